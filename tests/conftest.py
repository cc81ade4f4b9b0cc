"""Shared fixtures: a temporary copy of the book, one real build of it shared by every test that only
reads it (and by the workers of `pytest -n`), a local server, one Chromium, the command line run in
this process, and small Sphinx projects under tests/roots/ (sphinx.testing's `app` fixture)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wpsr.browser import find_chromium
from wpsr.serving import serving

pytest_plugins = ("sphinx.testing.fixtures",)

ROOT = Path(__file__).resolve().parents[1]
WPSR = [sys.executable, "-m", "wpsr"]
BOOK_FILES = ["_config.yml", "_toc.yml", "editions.yaml", "reviewed.yaml", "chapters", "contributions", "annexes",
              "data", "locales", *sorted(p.name for p in ROOT.glob("*.md") if p.name != "README.md")]


# The longest modules: they publish. And those that read the edition published in six languages
# (`second_edition`), which come after the other long ones, so as not to wait for it.
FIRST = ["test_editions.py", "test_hostile_site.py"]
AFTER_THE_EDITIONS = ["test_languages.py", "test_fonts.py"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first, module by module (a module's tests stay together, as its fixtures are made once;
    `make test` runs `pytest -n 2 --dist loadfile --no-loadscope-reorder`, which sends each file to one
    worker in this order): the modules that publish; then every module that reads the shared build,
    builds or drives Chromium; then those that read the published editions; then the rest. So one
    worker publishes while the other builds the shared book, and the short tests fill in at the end."""
    heavy = {i.path for i in items if i.get_closest_marker("build") or i.get_closest_marker("browser")}

    def rank(item: pytest.Item) -> int:
        if item.path.name in FIRST:
            return FIRST.index(item.path.name)
        if item.path.name in AFTER_THE_EDITIONS:
            return len(FIRST) + 1
        return len(FIRST) + (2 if item.path not in heavy else 0)

    items.sort(key=rank)  # stable: the order within a module is kept


def copy_book(target: Path, build_from: Path | None = None, catalogs: bool = True) -> Path:
    """Copy the book's sources (and optionally an earlier build, cache included) to target; without
    the translations' catalogs (locales/) if not ``catalogs``."""
    target.mkdir(parents=True, exist_ok=True)
    for name in BOOK_FILES if catalogs else [n for n in BOOK_FILES if n != "locales"]:
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
    """A copy of the book that the toolkit, called in this process, takes as its book: without the
    translations' catalogs, four in five of its files (a test that reads them copies them)."""
    book = copy_book(tmp_path / "book", catalogs=False)
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
    """`python -m wpsr ARGS` in its own process, in the book, without any WPSR_ variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WPSR_")}
    return subprocess.run([*WPSR, *args], cwd=book, env=env, capture_output=True, text=True, timeout=600)


def run_here(book: Path, *args: str) -> subprocess.CompletedProcess:
    """`wpsr ARGS` run in this process, in the book, without any WPSR_ variable: what `run_wpsr` does,
    without starting Python and importing the toolkit again (the command line's own process is
    tested by the tests that use run_wpsr, and `--language all`, which forks workers, runs there:
    never fork a test process). Returns what run_wpsr returns."""
    from wpsr.cli import main

    out, err = io.StringIO(), io.StringIO()
    unset = {name: os.environ.pop(name) for name in [n for n in os.environ if n.startswith("WPSR_")]}
    was = Path.cwd()
    os.chdir(book)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as stop:  # as `python -m wpsr` ends: sys.exit(main()), argparse's errors
                code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
    finally:
        os.chdir(was)
        os.environ.update(unset)
    return subprocess.CompletedProcess(["wpsr", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def wpsr() -> Callable[..., subprocess.CompletedProcess]:
    """`run_here`, for the tests that take the command line as a fixture."""
    return run_here


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Held by one process at a time (the workers of `pytest -n` share what is built under it)."""
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run shared by all its workers (under `pytest -n`, each has its own basetemp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the book built from cold by the real, strict build: once per test run, whatever the
    number of workers. Tests only read it; a test that changes the book changes a copy of it
    (`built_copy`, or `copy_book(target, build_from=built_book)`)."""
    shared = _shared_folder(tmp_path_factory)
    book, done = shared / "built-book", shared / "built-book.ok"
    with _locked(shared / "built-book.lock"):
        if not done.exists():
            # Built in this worker's scratch folder (`_scratch`), which then needs no build of its own:
            # in the process that needs it first, whose later builds find the toolkit imported.
            scratch, pristine = _scratch_folders(tmp_path_factory)
            shutil.rmtree(book, ignore_errors=True)
            copy_book(scratch)
            result = run_here(scratch, "build", "--strict", "--all")
            assert result.returncode == 0, result.stdout + result.stderr
            shutil.copytree(scratch, pristine, symlinks=True)  # with each file's time: Sphinx finds nothing changed
            shutil.copytree(scratch, book, symlinks=True)
            done.write_text("built\n")
    return book


@pytest.fixture(scope="session")
def first_edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A git repository of the book, and a site into which `wpsr publish` put its first edition, 2023
    (tests/test_editions.py's `publish_first_edition`): once per test run, whatever the number of
    workers. tests/test_editions.py publishes the next edition into the same site; the first is
    never changed, and other tests only read it."""
    from tests.test_editions import publish_first_edition

    shared = _shared_folder(tmp_path_factory)
    repo, site, done = shared / "editions-repo", shared / "editions-site", shared / "editions.ok"
    with _locked(shared / "editions.lock"):
        if not done.exists():
            shutil.rmtree(repo, ignore_errors=True)
            shutil.rmtree(site, ignore_errors=True)
            publish_first_edition(repo, site)
            done.write_text("published\n")
    return repo, site


@pytest.fixture(scope="session")
def second_edition(first_edition: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The next edition, 2024.1, in all six languages, published beside the first (tests/test_editions.py's
    `publish_second_edition`), once per test run: the editions' tests check the publish, and the
    languages' and fonts' tests read its translated pages. ``path``: the site; ``edition``: its id (its
    folder in the site); ``repo``; ``output``: what the publish said; ``first_edition_before``: the
    first edition's files as they were before it."""
    from tests.test_editions import publish_second_edition

    repo, site = first_edition
    shared = _shared_folder(tmp_path_factory)
    record = shared / "second-edition.json"
    with _locked(shared / "second-edition.lock"):  # not the first's: its readers need not wait for this one
        if not record.exists():
            try:
                said = publish_second_edition(repo, site)
            except BaseException as failure:  # said to every worker: the repository is no longer as it was
                record.write_text(json.dumps({"failed": str(failure)[-3000:]}), encoding="utf-8")
                raise
            record.write_text(json.dumps(said), encoding="utf-8")
    said = json.loads(record.read_text(encoding="utf-8"))
    if "failed" in said:
        pytest.fail(f"the second edition's publish failed (in another worker):\n{said['failed']}")
    return {**said, "path": site, "repo": repo}


@pytest.fixture(scope="session")
def _scratch(built_book: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """This process's copy of the built book, built again in the one folder where `built_copy` puts
    it (in a new folder, Sphinx reads every page again), and a copy of it as it was then."""
    book, pristine = _scratch_folders(tmp_path_factory)
    if not pristine.exists():  # the shared build was made by another worker (else it made this one)
        copy_book(book, build_from=built_book)
        result = run_here(book, "build", "--strict")
        assert result.returncode == 0, result.stdout + result.stderr
        shutil.copytree(book, pristine, symlinks=True)  # with each file's time: Sphinx finds nothing changed
    return book, pristine


def _scratch_folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """This worker's scratch book and its pristine copy."""
    base = tmp_path_factory.getbasetemp()
    return base / "scratch-book", base / "scratch-pristine"


@pytest.fixture
def built_copy(_scratch: tuple[Path, Path]) -> Path:
    """A copy of the built book that this test may change, in the folder its build was made in: a
    build in it reads only what the test changed. Made afresh for each test."""
    return fresh_scratch(_scratch)


def fresh_scratch(scratch: tuple[Path, Path]) -> Path:
    """`_scratch`'s book as it was built (for `built_copy`, or a module's fixture that changes it)."""
    from wpsr import kept_app

    book, pristine = scratch
    kept_app.forget()  # an application kept by an earlier test, in this same folder
    shutil.rmtree(book)
    shutil.copytree(pristine, book, symlinks=True)
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


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator:
    """Headless Chromium, driven by Playwright, started once for every test that drives it (Playwright's
    sync API runs one instance per thread: a test never starts its own)."""
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


# --- small Sphinx projects: tests/roots/test-NAME, built with sphinx.testing's `app` fixture ---------

@pytest.fixture(scope="session")
def rootdir() -> Path:
    return Path(__file__).parent / "roots"


@pytest.fixture
def root_app(app_params, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """sphinx.testing's `app` for the test root named by ``@pytest.mark.sphinx(testroot=NAME)``, with the
    report's data, editions and review record in it (a root holds only its pages and conf.py), taken as
    the toolkit's book while the app lives."""
    from wpsr.book import building

    srcdir = prepare_root(app_params, monkeypatch)
    monkeypatch.chdir(srcdir)  # as `wpsr build` runs, in the book
    with building(srcdir):
        yield request.getfixturevalue("app")


def prepare_root(app_params, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test root's folder with the report's data, editions and review record, and no WPSR_ setting."""
    srcdir = Path(app_params.kwargs["srcdir"])
    for name in ("data", "editions.yaml", "reviewed.yaml"):
        if not (srcdir / name).exists():
            (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, srcdir / name)
    if not (srcdir / "node_modules").exists():
        (srcdir / "node_modules").symlink_to(ROOT / "node_modules")
    for name in [n for n in os.environ if n.startswith("WPSR_")]:
        monkeypatch.delenv(name)
    return srcdir
