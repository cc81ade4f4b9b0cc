"""The six languages: what they cost the build.

On a fresh copy of the book each time:

- a cold build of English alone (`wpsr build --all`), then a cold build of all six languages
  (`wpsr build --all --language all`: English, which executes the notebooks, and the five
  translations beside it once it has), and the ratio of the two (target: at most 2.5), in turn,
  ``--runs`` times, after one untimed build (this machine's speed varies from one minute to the
  next: each run, and the median ratio);
- in one warm process, as `wpsr serve --watch --language fr` works: a saved edit to one page's
  French catalog, the pages it re-read and wrote, and the seconds it took (target: at most 3 s).

Run `python benchmarks/languages.py` (`make bench` runs it).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import WPSR, copy_book

PAGE = "chapters/assets-and-innovations"


def cold(*arguments: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        started = time.perf_counter()
        done = subprocess.run([*WPSR, "build", "--all", *arguments], cwd=book, capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stdout[-2000:] + done.stderr[-3000:])
        return time.perf_counter() - started


def catalog_edit() -> tuple[float, list[str], int]:
    """A saved edit to one French catalog, rebuilt in a warm process: seconds, pages read, pages written."""
    from wpsr.build import Settings, build

    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        french = Settings(language="fr")
        for settings in (Settings(), french, french):  # the notebooks executed, then the process is warm
            assert build(book, settings).ok
        catalog = book / "locales" / "fr" / "LC_MESSAGES" / f"{PAGE}.po"
        catalog.write_text(catalog.read_text(encoding="utf-8").replace('msgstr "', 'msgstr "(révisé) ', 1),
                           encoding="utf-8")
        started = time.perf_counter()
        result = build(book, french)
        assert result.ok, result.problems + result.warnings
        return time.perf_counter() - started, result.pages_read, len(result.pages_written)


def main() -> None:
    import argparse
    import statistics

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold builds of each, in turn (at least 1)")
    runs = max(1, parser.parse_args().runs)
    cold()  # untimed: the first build after a while reads the toolkit from disk, not from its cache
    pairs = [(cold(), cold("--language", "all")) for _ in range(runs)]
    seconds, read, written = catalog_edit()
    print("| figure | seconds | target |")
    print("| --- | --- | --- |")
    for number, (english, everything) in enumerate(pairs, 1):
        print(f"| run {number}: cold build, English; six languages | {english:.1f}; {everything:.1f} "
              f"({everything / english:.2f}× English) | |")
    ratio = statistics.median(everything / english for english, everything in pairs)
    print(f"| cold build, six languages: the median ratio of {runs} run(s) | {ratio:.2f}× English | at most 2.5× |")
    edit = f"{seconds:.1f} ({', '.join(read)} read, {written} written)"
    print(f"| a French catalog edited, warm | {edit} | at most 3 s |")


if __name__ == "__main__":
    main()
