"""Shared fixtures: a temporary copy of the book, one real build of it, a local server, Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wpsr.browser import find_chromium
from wpsr.serving import serving

ROOT = Path(__file__).resolve().parents[1]
WPSR = [sys.executable, "-m", "wpsr"]
BOOK_FILES = ["_config.yml", "_toc.yml", "editions.yaml", "reviewed.yaml", "chapters", "contributions", "annexes",
              "data", "locales", *sorted(p.name for p in ROOT.glob("*.md") if p.name != "README.md")]


def copy_book(target: Path, build_from: Path | None = None) -> Path:
    """Copy the book's sources (and optionally an earlier build, cache included) to target."""
    target.mkdir(parents=True, exist_ok=True)
    for name in BOOK_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    (target / "node_modules").symlink_to(ROOT / "node_modules")
    if build_from is not None:
        shutil.copytree(build_from / "_build", target / "_build", symlinks=True)
    return target


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the book that the toolkit, called in this process, takes as its book."""
    book = copy_book(tmp_path / "book")
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(book))
    return book


@pytest.fixture
def empty_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A book of nothing but _config.yml and data/, for the files a test writes into it."""
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(tmp_path))
    return tmp_path


def run_wpsr(book: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WPSR_")}
    return subprocess.run([*WPSR, *args], cwd=book, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the book built from cold by the real, strict build."""
    book = copy_book(tmp_path_factory.mktemp("book"))
    result = run_wpsr(book, "build", "--strict", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    return book


@pytest.fixture(scope="session")
def site(built_book: Path) -> Path:
    return built_book / "_build" / "html"


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """The built site served on a free local port, compressed as a static host serves it."""
    with serving(site) as url:
        yield url


FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator:
    """Headless Chromium, driven by Playwright, for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        message = ("no Chromium found: install one (Debian: `apt-get install chromium`) "
                   "or set CHROMIUM to its path")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
