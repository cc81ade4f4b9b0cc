"""What a page of the built site costs a reader: every file a first visit downloads.

A reader on a phone and a slow network is the reader the site is built for, so each page has
a budget, counted on a first visit with an empty cache, all resources included: the page, its
stylesheets (and what they import or load with ``url()``), scripts, images and icons. Pages
with charts also count the chart runtime, which ``wpsr-charts.js`` loads when a chart nears the
screen (the files named in its ``data-runtime`` attribute). Sizes are given as served
uncompressed and compressed with gzip, as a static host serves them.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

KB = 1000
SITE = "site.invalid"  # the host pages are resolved against: any other host is another origin
BUDGETS = {  # page type: (uncompressed, gzip) in bytes; None where no budget is set
    "page": (1000 * KB, 300 * KB),
    "charts": (1200 * KB, None),
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
FONT_FACE = re.compile(r"@font-face\s*{[^}]*}")  # a font loads only when text uses it (the browser tests check)


class _Resources(HTMLParser):
    """The URLs a page asks for as it loads (not links the reader may follow)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.runtime: list[tuple[str, str]] = []  # (script URL, runtime file relative to it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = set(a.get("rel", "").lower().split())
        if tag == "link" and rel & {"stylesheet", "preload", "modulepreload", "icon"}:
            self.urls.append(a.get("href", ""))
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])
            self.runtime += [(a["src"], name) for name in a.get("data-runtime", "").split()]
        elif tag in ("img", "source", "input", "video", "audio", "iframe", "embed") and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])


@dataclass
class PageWeight:
    page: str
    files: dict[str, int] = field(default_factory=dict)  # path in the site: bytes
    gzip_files: dict[str, int] = field(default_factory=dict)
    runtime: list[str] = field(default_factory=list)  # files loaded when a chart nears the screen
    missing: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "charts" if self.runtime else "page"

    @property
    def bytes(self) -> int:
        return sum(self.files.values())

    @property
    def gzip_bytes(self) -> int:
        return sum(self.gzip_files.values())

    @property
    def first_paint_bytes(self) -> int:
        return sum(size for path, size in self.files.items() if path not in self.runtime)

    def over_budget(self) -> list[str]:
        """What goes over this page's budget, in words; empty when it fits."""
        raw, packed = BUDGETS[self.kind]
        out = []
        if raw is not None and self.bytes > raw:
            out.append(f"{self.page}: {self.bytes / KB:,.0f} KB uncompressed, over the {raw / KB:,.0f} KB budget "
                       f"of a {self.kind} page — the largest files: {self.largest()}")
        if packed is not None and self.gzip_bytes > packed:
            out.append(f"{self.page}: {self.gzip_bytes / KB:,.0f} KB with gzip, over the {packed / KB:,.0f} KB "
                       f"budget of a {self.kind} page — the largest files: {self.largest()}")
        return out

    def largest(self, count: int = 3) -> str:
        top = sorted(self.files.items(), key=lambda item: -item[1])[:count]
        return ", ".join(f"{path} ({size / KB:,.0f} KB)" for path, size in top)


def _local(site: Path, base: str, url: str) -> Path | None:
    """The file in the site a same-site URL names (None for data: URIs and fragments)."""
    if url.startswith(("data:", "#")) or not url:
        return None
    parts = urlsplit(urljoin(base, url))
    if (parts.scheme, parts.netloc) != ("http", SITE):
        raise ValueError(f"{url} is on another origin")
    return site / unquote(parts.path).lstrip("/")


def weigh(site: Path, page: Path) -> PageWeight:
    """Every file one page of the site loads on a first visit, with its size and its gzip size."""
    relative = page.relative_to(site).as_posix()
    weight = PageWeight(relative)
    base = f"http://{SITE}/{relative}"
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    queue = [(base, url) for url in parser.urls]
    queue += [(urljoin(base, script), name) for script, name in parser.runtime]
    runtime = {urljoin(urljoin(base, script), name) for script, name in parser.runtime}
    _count(weight, site, page)
    seen = {base}
    while queue:
        origin, url = queue.pop(0)
        absolute = urljoin(origin, url).split("#")[0].split("?")[0]
        if url.startswith("data:") or absolute in seen:
            continue
        seen.add(absolute)
        path = _local(site, origin, url)
        if path is None:
            continue
        if not path.is_file():
            weight.missing.append(url)
            continue
        name = _count(weight, site, path)
        if absolute in runtime:
            weight.runtime.append(name)
        if path.suffix == ".css":
            css = FONT_FACE.sub("", path.read_text(encoding="utf-8", errors="replace"))
            for match in CSS_URL.finditer(css):
                queue.append((absolute, match.group(1) or match.group(2)))
    return weight


def _count(weight: PageWeight, site: Path, path: Path) -> str:
    name = path.relative_to(site).as_posix()
    content = path.read_bytes()
    weight.files[name] = len(content)
    weight.gzip_files[name] = len(gzip.compress(content, compresslevel=6, mtime=0))
    return name


def weigh_site(site: Path) -> list[PageWeight]:
    """Every HTML page of the built site, weighed."""
    return [weigh(site, page) for page in sorted(site.rglob("*.html"))
            if "_static" not in page.relative_to(site).parts]
