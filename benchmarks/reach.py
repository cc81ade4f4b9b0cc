"""`wpsr reach` at a busy site's scale: N log lines (default 1 million), gzipped, in one run.

Writes synthetic Combined Log Format lines (readers on phones and desks, crawlers, downloads,
a few malformed lines) into a temporary copy of the book, runs `wpsr reach` on them and prints
the time taken and the peak resident size of the process, with the target (at most 10 s for
1 million lines on this 2-core machine). Run with `make bench`.
"""

from __future__ import annotations

import argparse
import gzip
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import WPSR, copy_book

AGENTS = ["Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0",
          "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
          "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"]
PATHS = ["/2023/index.html", "/2023/chapters/relationships-with-society.html", "/2023/key-messages.html",
         "/2024.1/contributions/closing-the-digital-divide.html", "/2024.1/", "/2023/bundle/wpsr-2023.pdf",
         "/2023/data/internet_use.csv", "/2023/calendar/global-processes.ics", "/2023/_static/wpsr.css"]


def synthetic_log(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for n in range(lines):
            if n % 997 == 0:
                out.write("garbage that is not a log line\n")
                continue
            day = 1 + n * 28 // lines
            ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
            out.write(f'{ip} - - [{day:02d}/Feb/2027:{rng.randrange(24):02d}:{rng.randrange(60):02d}:00 +0000] '
                      f'"GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice([200, 200, 200, 304, 404])} '
                      f'{rng.randrange(100, 90000)} "-" "{rng.choice(AGENTS)}"\n')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    lines = parser.parse_args().lines
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        log = Path(tmp) / "access.log.gz"
        synthetic_log(log, lines)
        started = time.perf_counter()
        result = subprocess.run([*WPSR, "reach", str(log)], cwd=book, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(result.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(result.stdout.strip())
    print(f"wpsr reach: {lines:,} lines ({log.name}, gzipped) in {seconds:.1f} s, {lines / seconds:,.0f} lines/s, "
          f"peak resident size {peak:.0f} MB (target: at most 10 s for 1,000,000 lines)")


if __name__ == "__main__":
    main()
