"""Warm kernels: a cold build of N contributions whose code is the same, against N whose code differs.

Contributions scaffolded by `wpsr new` share their code, and notebooks with the same code are
executed once; real contributions each have their own code, so each is executed. The gap between
the two cold builds is what executing one notebook costs; with warm workers (``wpsr.warm``) it is
the notebook's own work, not a kernel's start and the toolkit's imports. Both builds run in one
run of this script, from fresh copies of the book, and print their peak resident size.

Run `python benchmarks/kernels.py --contributions 58` (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.scale import grow
from tests.conftest import WPSR, copy_book

TARGET_RATIO, TARGET_SECONDS, TARGET_MB = 1.5, 40, 1536


def make_distinct(book: Path) -> int:
    """Give every scaffolded contribution's first code cell a line of its own."""
    changed = 0
    for index, page in enumerate(sorted((book / "contributions").glob("scaled-*.md"))):
        text = page.read_text(encoding="utf-8")
        marked = text.replace("```{code-cell} ipython3\n", f"```{{code-cell}} ipython3\nDISTINCT = {index}\n", 1)
        page.write_text(marked, encoding="utf-8")
        changed += 1
    return changed


def cold_build(total: int, distinct: bool) -> tuple[float, float, int]:
    """Seconds, peak resident MB of the largest process, and notebooks executed, for one cold build."""
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        grow(book, total)
        if distinct:
            make_distinct(book)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        result = subprocess.run([*WPSR, "build", "--all", "-v"], cwd=book, capture_output=True, text=True,
                                timeout=3600)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        executed = re.search(r"\[wpsr\] executing (\d+) notebooks", result.stdout)
        return seconds, peak, int(executed.group(1)) if executed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributions", type=int, default=58)
    total = parser.parse_args().contributions
    same = cold_build(total, distinct=False)
    different = cold_build(total, distinct=True)
    ratio = different[0] / same[0]
    print(f"| cold build, {total} contributions | seconds | peak resident MB | notebooks executed ahead |")
    print("| --- | --- | --- | --- |")
    print(f"| identical code | {same[0]:.1f} | {same[1]:.0f} | {same[2]} |")
    print(f"| distinct code | {different[0]:.1f} | {different[1]:.0f} | {different[2]} |")
    print(f"\ndistinct / identical: {ratio:.2f}× (target ≤ {TARGET_RATIO}×); distinct: {different[0]:.1f} s "
          f"(target ≤ {TARGET_SECONDS} s); per distinct notebook: "
          f"{(different[0] - same[0]) / max(1, different[2] - same[2]):.2f} s; "
          f"peak {max(same[1], different[1]):.0f} MB (target < {TARGET_MB} MB)")


if __name__ == "__main__":
    main()
