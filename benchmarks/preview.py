"""What an author waits for with `make serve`: from saving a contribution to the updated page in the
browser (target: at most 1.5 s at 60 contributions).

A fresh copy of the book grows to N contributions (as benchmarks/scale.py grows it), is built cold,
then served by `wpsr serve --watch`; Chromium opens one contribution, and a sentence is saved into it
five times. Each time: the seconds from the save until the open page shows the sentence (the
watcher's poll, the warm rebuild, the page's reload). Run `python benchmarks/preview.py
--contributions 3 60` (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.scale import grow
from tests.conftest import FLAGS, WPSR, copy_book
from tests.test_preview import free_port
from wpsr.browser import find_chromium

PAGE = "contributions/civic-space-under-pressure"
TARGET = 1.5
SAVES = 5


def measure(total: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        grow(book, total)
        if subprocess.run([*WPSR, "build", "--all"], cwd=book, capture_output=True).returncode:
            sys.exit("the cold build failed")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("WPSR_")}
        server = subprocess.Popen([*WPSR, "serve", "--watch", "--port", str(port)], cwd=book, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ready = threading.Event()
        threading.Thread(target=lambda: [ready.set() for line in server.stdout if line.startswith("Serving ")],
                         daemon=True).start()
        try:
            if not ready.wait(600):
                sys.exit("wpsr serve --watch did not start")
            source = book / f"{PAGE}.md"
            text = source.read_text(encoding="utf-8")
            seconds = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=find_chromium(full=True), args=FLAGS)  # an author's browser
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/{PAGE}.html")
                for save in range(SAVES):
                    sentence = f"Saved sentence number {save}."
                    page.wait_for_timeout(1000)  # the page is idle, as between an author's saves
                    started = time.perf_counter()
                    source.write_text(text.replace("## Background and policy context\n",
                                                   f"## Background and policy context\n\n{sentence}\n", 1),
                                      encoding="utf-8")
                    page.wait_for_function("text => document.body.innerText.includes(text)", arg=sentence,
                                           timeout=120_000)
                    seconds.append(time.perf_counter() - started)
                browser.close()
            return seconds
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, nargs="+", default=[3, 60])
    counts = parser.parse_args().contributions
    print(f"From a save to the updated page in Chromium (median of {SAVES} saves; target {TARGET} s at 60)")
    medians = {}
    for total in counts:
        seconds = measure(total)
        medians[total] = statistics.median(seconds)
        print(f"  {total:>3} contributions: median {medians[total]:.2f} s "
              f"(each: {', '.join(f'{s:.2f}' for s in seconds)})", flush=True)
    if len(counts) > 1:
        low, high = min(counts), max(counts)
        print(f"  growth: {(medians[high] - medians[low]) / (high - low) * 1000:.1f} ms per added contribution")


if __name__ == "__main__":
    main()
