"""What readers get, for the README: every page's weight against its budget, and Lighthouse.

Builds a fresh copy of the book with the real `wpsr build --all`, weighs every page as a first
visit with an empty cache downloads it (uncompressed and gzip, chart runtime included), then
serves the site compressed, as a static host does, and runs Lighthouse 12 (mobile, default
throttling) on the home page, each chapter, each contribution, the checklist and the calendar.
Run with `make bench` (or `python benchmarks/readers.py [--no-lighthouse]`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import ROOT, copy_book, run_wpsr
from wpsr.book import chapters
from wpsr.browser import find_chromium
from wpsr.serving import serving
from wpsr.weight import BUDGETS, KB, weigh_site

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
MEASURED = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift"]


def lighthouse_pages() -> list[str]:
    """Home, chapters, contributions, the checklist and the calendar: what readers land on."""
    pages = ["index.html"]
    for chapter in chapters():  # the copy has the same table of contents
        pages += [f"{chapter['file']}.html", *(f"{s}.html" for s in chapter["sections"])]
    return [*pages, "annexes/innovation-checklist.html", "annexes/global-processes.html"]


def lighthouse(url: str, chromium: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report.name}",
                        "--only-categories=" + ",".join(CATEGORIES),
                        "--chrome-flags=--headless --no-sandbox --disable-gpu"],
                       check=True, env={**os.environ, "CHROME_PATH": chromium}, timeout=300)
        result = json.loads(Path(report.name).read_text())
    scores = {c: round(100 * result["categories"][c]["score"]) for c in CATEGORIES}
    scores.update({m: result["audits"][m]["displayValue"] for m in MEASURED})
    scores["failed"] = [a["id"] for c in CATEGORIES for ref in result["categories"][c]["auditRefs"]
                        if ref["weight"] and (a := result["audits"][ref["id"]])["score"] is not None
                        and a["score"] < 1]
    return scores


def print_weights(site: Path) -> None:
    weights = weigh_site(site)
    print("| page | type | uncompressed | gzip | at first paint | budget |")
    print("| --- | --- | --- | --- | --- | --- |")
    for w in weights:
        raw, packed = BUDGETS[w.kind]
        budget = f"{raw / KB:,.0f} KB" + (f" / {packed / KB:,.0f} KB gzip" if packed else "")
        verdict = "over" if w.over_budget() else "fits"
        print(f"| {w.page} | {w.kind} | {w.bytes / KB:,.0f} KB | {w.gzip_bytes / KB:,.0f} KB | "
              f"{w.first_paint_bytes / KB:,.0f} KB | {budget}: {verdict} |")
    by_kind = defaultdict(list)
    for w in weights:
        by_kind[w.kind].append(w)
    print("\n| type | pages | heaviest, uncompressed | heaviest, gzip | mean, uncompressed |")
    print("| --- | --- | --- | --- | --- |")
    for kind, group in sorted(by_kind.items()):
        print(f"| {kind} | {len(group)} | {max(w.bytes for w in group) / KB:,.0f} KB | "
              f"{max(w.gzip_bytes for w in group) / KB:,.0f} KB | "
              f"{sum(w.bytes for w in group) / len(group) / KB:,.0f} KB |")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp) / "book")
        result = run_wpsr(book, "build", "--strict", "--all")
        if result.returncode != 0:
            sys.exit(f"build failed:\n{result.stderr}")
        site = book / "_build" / "html"
        print_weights(site)
        if "--no-lighthouse" in sys.argv:
            return
        chromium = find_chromium(full=True)
        if chromium is None or not LIGHTHOUSE.exists():
            sys.exit("Lighthouse needs Chromium and `npm ci` (node_modules/.bin/lighthouse)")
        print("\nLighthouse 12 (mobile, default throttling), the site served with gzip:\n")
        print("| page | " + " | ".join(CATEGORIES) + " | " + " | ".join(MEASURED) + " |")
        print("| --- " * (1 + len(CATEGORIES) + len(MEASURED)) + "|")
        below = []
        with serving(site) as base:
            for page in lighthouse_pages():
                scores = lighthouse(f"{base}/{page}", chromium)
                print(f"| {page} | " + " | ".join(str(scores[c]) for c in (*CATEGORIES, *MEASURED)) + " |",
                      flush=True)
                below += [f"{page}: {c} {scores[c]} (target {t}; audits: {', '.join(scores['failed'])})"
                          for c, t in TARGETS.items() if scores[c] < t]
        print("\nTargets: performance ≥ 95, accessibility, best practices and SEO 100. "
              + ("All met." if not below else "Below target:\n" + "\n".join(below)))


if __name__ == "__main__":
    main()
