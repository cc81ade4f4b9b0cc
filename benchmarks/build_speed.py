"""Speed figures for the README: builds, prose and code edits, `wpsr check`, publishing an edition.

Runs the real `wpsr build` and `wpsr check` in a fresh copy of the book and prints each
figure with its target. Run with `make bench`.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import copy_book, run_wpsr

TARGETS = {"cold build, whole edition": 90, "no-op rebuild": 3, "prose edit, one page": 4,
           "prose edit, a contribution": 4, "wpsr check, whole report": 2, "publish a draft edition (with PDF)": 120}


def timed_build(book: Path, *args: str) -> tuple[float, list[str]]:
    started = time.perf_counter()
    result = run_wpsr(book, "build", *args)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stderr}")
    return seconds, [Path(p).name for p in re.findall(r"(\S+\.md): Executing notebook", result.stdout)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        page = book / "chapters" / "priorities-and-trade-offs.md"
        figures = {}
        figures["cold build, whole edition"] = timed_build(book, "--all")
        figures["no-op rebuild"] = timed_build(book)
        page.write_text(page.read_text().replace("*Chapter overview by the report team.*",
                                                 "*Chapter overview by the report team (edited).*"))
        figures["prose edit, one page"] = timed_build(book)
        page.write_text(page.read_text().replace('cited = ["Argentina",', 'cited = ["Argentina", "India",'))
        figures["code-cell edit, one page"] = timed_build(book)
        contribution = book / "contributions" / "closing-the-digital-divide.md"
        contribution.write_text(contribution.read_text().replace("The divide is large.", "The divide is wide."))
        figures["prose edit, a contribution"] = timed_build(book)
        started = time.perf_counter()
        if run_wpsr(book, "check").returncode != 0:
            sys.exit("wpsr check failed")
        figures["wpsr check, whole report"] = (time.perf_counter() - started, [])
        started = time.perf_counter()
        published = run_wpsr(book, "publish", "2023", "--site", str(Path(tmp) / "site"))
        if published.returncode != 0:
            sys.exit(f"publish failed:\n{published.stderr}")
        figures["publish a draft edition (with PDF)"] = (time.perf_counter() - started, [])
    for name, (seconds, executed) in figures.items():
        target = f"target <= {TARGETS[name]} s" if name in TARGETS else "target: only that notebook re-runs"
        ran = ", ".join(executed) or "none"
        print(f"{name:28} {seconds:6.1f} s   notebooks executed: {ran:45} ({target})")


if __name__ == "__main__":
    main()
