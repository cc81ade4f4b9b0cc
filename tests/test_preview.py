"""The preview refreshes itself: `wpsr serve --watch` on a copy of the built book, a page open in
Chromium, and the contribution's file edited as an author saves it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import WPSR
from wpsr.serving import PREVIEW_TAG, serving

PAGE = "contributions/civic-space-under-pressure"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def previewing(built_copy: Path) -> Iterator[tuple[Path, str, list[str]]]:
    """The book served by `wpsr serve --watch`: (book, address, what it has printed so far)."""
    book = built_copy
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WPSR_")}
    process = subprocess.Popen([*WPSR, "serve", "--watch", "--port", str(port)], cwd=book, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    printed: list[str] = []
    serving_now = threading.Event()

    def read() -> None:
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Serving "):
                serving_now.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert serving_now.wait(180), "".join(printed)
        yield book, f"http://127.0.0.1:{port}", printed
    finally:  # the server and whatever it started (the search index it may still be writing into the book)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


@pytest.mark.browser
@pytest.mark.build
def test_an_open_page_reloads_where_it_was_after_a_save_and_shows_a_failed_build(
        previewing: tuple[Path, str, list[str]], browser: Browser) -> None:
    book, url, printed = previewing
    page = browser.new_page(viewport={"width": 1280, "height": 700})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{url}/{PAGE}.html")
    page.evaluate("window.scrollTo(0, 600)")
    page.wait_for_function("() => window.scrollY >= 600")
    source = book / f"{PAGE}.md"
    text = source.read_text(encoding="utf-8")
    added = "A sentence the author has just saved."
    source.write_text(text.replace("## Background and policy context\n",
                                   f"## Background and policy context\n\n{added}\n", 1), encoding="utf-8")
    shown = "text => document.body.innerText.includes(text)"
    page.wait_for_function(shown, arg=added, timeout=60_000)  # the page reloaded by itself
    page.wait_for_function("() => Math.abs(window.scrollY - 600) < 2")  # where the author was
    broken = source.read_text(encoding="utf-8").replace("import wpsr\n", "import wpsr\nraise ValueError('oops')\n", 1)
    source.write_text(broken, encoding="utf-8")
    box = page.wait_for_selector("#wpsr-preview-problems[role=alert]", timeout=60_000)
    shown = box.inner_text()
    assert "The last build failed" in shown and f"{PAGE}.md:" in shown and "ValueError" in shown, "".join(printed)
    assert page.evaluate("text => document.body.innerText.includes(text)", added)  # the page before the failure stays
    source.write_text(text, encoding="utf-8")  # fixed: the page reloads, the problems go
    page.wait_for_function("text => !document.body.innerText.includes(text)", arg=added, timeout=60_000)
    assert page.query_selector("#wpsr-preview-problems") is None
    assert errors == []  # nothing the policy blocked, no script error
    page.close()


@pytest.mark.build
def test_only_a_preview_s_pages_get_its_script_and_the_files_never_do(built_book: Path) -> None:
    site = built_book / "_build" / "html"
    assert not [p for p in site.rglob("*.html") if b"/_wpsr/preview.js" in p.read_bytes()]
    with serving(site) as url:
        served = urllib.request.urlopen(f"{url}/{PAGE}.html").read()
        assert PREVIEW_TAG not in served
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{url}/_wpsr/preview.js")
    from wpsr.serving import Reloading

    with serving(site, reloading=Reloading()) as url:
        served = urllib.request.urlopen(f"{url}/{PAGE}.html").read()
        assert re.search(rb"<script src=\"/_wpsr/preview.js\" defer></script></body>", served)
        assert urllib.request.urlopen(f"{url}/_wpsr/preview.js").read().startswith(b"// The preview")


def test_a_file_saved_while_the_preview_builds_is_built_next(tmp_path: Path) -> None:
    """The watcher compares with what it built from, not with what it finds once the build is done."""
    from wpsr.cli import watch

    class Enough(Exception):
        pass

    page = tmp_path / "index.md"
    page.write_text("first\n", encoding="utf-8")
    built: list[str] = []

    def rebuild() -> None:
        built.append(page.read_text(encoding="utf-8"))
        if len(built) == 1:  # saved again while this build runs
            time.sleep(0.05)
            page.write_text("saved while building\n", encoding="utf-8")
        else:
            raise Enough

    threading.Timer(0.3, lambda: page.write_text("second\n", encoding="utf-8")).start()
    with pytest.raises(Enough):
        watch(tmp_path, rebuild, every=0.05)
    assert built == ["second\n", "saved while building\n"]
