"""The report at full size: build, edit and check times with N contributions.

For each N (default 3, 23 and 60) a fresh copy of the book gains N minus today's count of
contributions, each scaffolded by `wpsr new` (the template's real notebook, with a chart), then:

- a cold build, `wpsr build --all` in a new process (notebooks executed on every core), with
  the peak resident size of its largest process;
- a no-op `wpsr build` in a new process (nothing changed since the last build: Sphinx is not started);
- what an author waits for with `wpsr serve --watch`, which rebuilds in one warm process: a
  no-op, a one-sentence prose edit to one contribution and an edit to its metadata (a keyword),
  each with the number of pages it re-read;
- `wpsr check` of the whole report.

It prints one table, then each figure's growth per added contribution. Run
`python benchmarks/scale.py --contributions 3 23 60` (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import WPSR, copy_book, run_wpsr

TARGETS = {"cold build": 45, "no-op, new process": 1.5, "no-op, warm": 2, "prose edit, warm": 3,
           "metadata edit, warm": 5, "wpsr check": 1}
SUBTOPICS = ["c1-g1-04", "c2-g1-03", "c3-g1-06", "c1-g2-05", "c2-g2-02", "c3-g2-08"]


# What a notebook author's contribution computes (the template declares its figure without code;
# the scaled book measures what executing real notebooks costs).
CODE_FIGURE = """```{code-cell} ipython3
import wpsr
from wpsr.charts import bars

internet = wpsr.load("internet-use")
regions = internet[(internet.grouping == "ITU region") & (internet.year == internet.year.max())]
```

```{code-cell} ipython3
wpsr.figure(
    bars(regions, value="share_pct", category="group", value_title="Individuals using the Internet (%)"),
    title="Internet use by ITU region",
    description="; ".join(f"{r.group} {r.share_pct:.1f}%" for r in regions.itertuples()) + ".",
    sources="internet-use",
)
```
"""


def grow(book: Path, total: int) -> None:
    """Scaffold contributions with `wpsr new` until the book has `total` of them, each drawing its
    chart with code."""
    have = len(list((book / "contributions").glob("*.md")))
    for index in range(have, total):
        subtopic = SUBTOPICS[index % len(SUBTOPICS)]
        result = run_wpsr(book, "new", "--chapter", subtopic[1], "--subtopic", subtopic,
                          "--author", f"Scale Author {index}; Benchmark University; KEN",
                          "--title", f"Scaled contribution number {index}")
        if result.returncode != 0:
            sys.exit(result.stderr)
        page = book / "contributions" / f"scaled-contribution-number-{index}.md"
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r"```\{wpsr-figure\}.*?\n```\n", lambda _: CODE_FIGURE, text, count=1, flags=re.S),
                        encoding="utf-8")


FIGURE_PAGES = re.compile(r"\[wpsr\] (\d+) figure page\(s\) written in ([\d.]+) s")


def build(book: Path, *args: str, said: list[str] | None = None) -> tuple[float, int]:
    """Seconds taken and pages re-read by one `wpsr build` (what it printed, added to ``said``)."""
    started = time.perf_counter()
    result = subprocess.run([*WPSR, "build", *args], cwd=book, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    if said is not None:
        said.append(result.stdout + result.stderr)
    return seconds, len(re.findall(r"^  reading ", result.stdout, re.M))


def edits(book: Path) -> dict[str, tuple[float, int]]:
    """In this process, as `wpsr serve --watch` does: rebuilds after a no-op, a prose edit and a metadata edit."""
    from wpsr.running import build_once

    os.environ["WPSR_BOOK_ROOT"] = str(book)
    page = book / "contributions" / "closing-the-digital-divide.md"

    def timed() -> tuple[float, int]:
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out):
            if build_once(book) != 0:
                sys.exit(f"build failed:\n{out.getvalue()[-3000:]}")
        return time.perf_counter() - started, len(re.findall(r"^  reading ", out.getvalue(), re.M))

    timed()  # the process starts, as `wpsr serve --watch` does before the author's first save
    figures = {"no-op, warm": timed()}
    page.write_text(page.read_text(encoding="utf-8").replace("The divide is large.", "The divide is wide."),
                    encoding="utf-8")
    figures["prose edit, warm"] = timed()
    page.write_text(page.read_text(encoding="utf-8").replace("keywords: [", "keywords: [scale benchmark, ", 1),
                    encoding="utf-8")
    figures["metadata edit, warm"] = timed()
    return figures


def measure(total: int) -> dict[str, tuple[float, int | None]]:
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        grow(book, total)
        figures: dict[str, tuple[float, int | None]] = {}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        said: list[str] = []
        figures["cold build"] = build(book, "--all", said=said)
        pages = FIGURE_PAGES.search(said[0])  # each figure's own page, its files and the index
        figures["figure pages, in the cold build"] = (float(pages[2]), int(pages[1])) if pages else (0.0, 0)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        figures["peak RSS (MB)"] = (max(peak, before) / 1024, None)
        figures["no-op, new process"] = build(book)
        warm = subprocess.run([sys.executable, __file__, "--edits", str(book)], capture_output=True, text=True,
                              timeout=1800)
        if warm.returncode != 0:
            sys.exit(warm.stderr + warm.stdout)
        figures.update({name: tuple(value) for name, value in json.loads(warm.stdout).items()})
        started = time.perf_counter()
        if subprocess.run([*WPSR, "check"], cwd=book, capture_output=True).returncode != 0:
            sys.exit("wpsr check failed")
        figures["wpsr check"] = (time.perf_counter() - started, None)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, nargs="+", default=[3, 23, 60])
    parser.add_argument("--edits", type=Path, help=argparse.SUPPRESS)  # the warm rebuilds, in a process of their own
    args = parser.parse_args()
    if args.edits:
        print(json.dumps(edits(args.edits)))
        return
    sizes = sorted(args.contributions)
    results = {n: measure(n) for n in sizes}
    names = list(results[sizes[0]])
    print("| figure | " + " | ".join(f"{n} contributions" for n in sizes) + " | growth per contribution | target |")
    print("| --- |" + " --- |" * (len(sizes) + 2))
    for name in names:
        cells = []
        for n in sizes:
            value, pages = results[n][name]
            cells.append(f"{value:.1f}" + ("" if pages is None else f" s ({pages} read)"))
        first, last = results[sizes[0]][name][0], results[sizes[-1]][name][0]
        growth = (last - first) / (sizes[-1] - sizes[0]) if len(sizes) > 1 else 0.0
        unit = " MB" if "MB" in name else " s"
        target = f"≤ {TARGETS[name]} s at 60" if name in TARGETS else "≤ 10% of the cold build" \
            if name.startswith("figure pages") else \
            "grows no faster than pages" if "MB" in name else "none"
        print(f"| {name} | " + " | ".join(cells) + f" | {growth:+.3f}{unit} | {target} |")


if __name__ == "__main__":
    main()
