"""What untrusted input may put into the site, said once: the HTML a code cell's output may carry,
the images and files a figure may write, the characters a metadata text may hold, and the cells a
spreadsheet may open. No Sphinx here: the toolkit, the checker and the build share it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from pathlib import Path

# The toolkit's figures and tables travel as this MIME type beside their text/html (which Jupyter
# shows): {"html": the markup without script, "vega": the chart's Vega spec or null}. The build
# publishes this one, sanitized, and writes the spec itself into an inert JSON element.
WPSR_MIME = "application/vnd.wpsr.html+json"

# An allow-list for HTML a code cell's output may publish: tables, text, figures and their images.
# Script, styles, frames, forms and event handlers are dropped, whatever the output claims to be.
OUTPUT_TAGS = {
    "a", "abbr", "b", "br", "caption", "code", "col", "colgroup", "dd", "div", "dl", "dt", "em", "figcaption",
    "figure", "h4", "h5", "h6", "i", "img", "li", "ol", "p", "pre", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
OUTPUT_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir", "aria-describedby", "aria-label"},
    "a": {"href", "download", "data-wpsr-file"},
    "img": {"src", "alt", "width", "height", "data-wpsr-file"},
    "th": {"scope", "colspan", "rowspan"}, "td": {"colspan", "rowspan"},
}
# A file a figure or table may carry inline, by the data: URI's media type and the file's extension.
FILE_TYPES = {"svg": "data:image/svg+xml", "csv": "data:text/csv", "png": "data:image/png"}
SAFE_DATA_URI = re.compile(r"data:(image/svg\+xml|image/png|image/jpeg|text/csv)[;,]", re.I)


def _attribute(element: str, attribute: str, value: str) -> str | None:
    """Keep a link or image address only if it is a web, mailto or relative address, or a data: URI
    of an image (img) or a CSV (a); keep a file name only if it is one a figure writes."""
    if attribute in ("href", "src"):
        from wpsr.book import safe_link

        if value.lower().startswith("data:"):
            wanted = "image/" if element == "img" else "text/csv"
            return value if SAFE_DATA_URI.match(value) and wanted in value[:20].lower() else None
        return value if safe_link(value) else None
    if attribute == "data-wpsr-file":
        return value if value.rpartition(".")[2].lower() in FILE_TYPES and "/" not in value else None
    return value


def clean_html(markup: str) -> str:
    """A code cell's HTML output as a page may publish it (nh3, the Ammonia sanitizer)."""
    import nh3

    return nh3.clean(markup, tags=OUTPUT_TAGS, attributes=OUTPUT_ATTRIBUTES, attribute_filter=_attribute,
                     url_schemes={"http", "https", "mailto", "data"}, link_rel=None, strip_comments=True)


def tag_in_words(tag: str, rest: str = "") -> str:
    """A tag as a message names it (``<script>``, ``<img onerror=…>``): words for a person to read in
    a report, never markup for a page."""
    return "".join(("<", tag, rest, ">"))


def script_json(value: object) -> str:
    """JSON safe inside a ``<script>`` element: no character can end the element or open a comment."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def chart_spec_element(vega: dict) -> str:
    """A chart's Vega spec as the inert JSON element ``wpsr-charts.js`` reads."""
    from wpsr.markup import render

    return str(render("chart-spec.html", spec=script_json(vega)))


# --- files a page pulls in -----------------------------------------------------------------

def outside_book(path: Path, build: Path | None = None) -> str | None:
    """Why a file may not be pulled into a page, or None: it must lie inside the book (symbolic
    links followed), outside hidden folders and the build, and not be a contribution's source
    (published only without its private fields)."""
    from wpsr.book import book_root

    root = book_root()
    try:
        inside = path.resolve(strict=False).relative_to(root)
    except (ValueError, OSError):
        return "it lies outside the book"
    if any(part.startswith(".") for part in inside.parts):
        return "it lies in a hidden folder"
    if inside.parts[:1] == ("_build",) or (build is not None and path.resolve().is_relative_to(build)):
        return "it lies in the build folder"
    if inside.parts[:1] == ("contributions",) and inside.suffix in (".md", ".ipynb"):
        return "it is a contribution's source, published only without private fields (Downloads on its page)"
    return None


# Files a page may offer or show: these open in a browser as data or images, never as a page or a
# script of the site's origin (an .html, .svg, .js or .xml download would run with its rights).
DOWNLOAD_TYPES = {".csv", ".tsv", ".json", ".txt", ".pdf", ".xlsx", ".xls", ".ods", ".odt", ".docx", ".zip", ".bib",
                  ".png", ".jpg", ".jpeg", ".gif", ".webp", ".md", ".ipynb"}
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


def file_type_problem(path: Path, kind: str) -> str | None:
    """Why a file may not be copied into the site as an image or a download, or None; an SVG image
    must be inert (``svg_problem``)."""
    suffix = path.suffix.lower()
    allowed = IMAGE_TYPES if kind == "image" else DOWNLOAD_TYPES if kind == "download" else None
    if allowed is not None and suffix not in allowed:
        return f"a {suffix or 'nameless'} file is not offered ({', '.join(sorted(allowed))} are)"
    if kind == "image" and suffix == ".svg":
        try:
            problem = svg_problem(path.read_bytes())
        except OSError:
            return None  # missing: Sphinx says so
        return f"the SVG image is refused: {problem}" if problem else None
    return None


# --- images a figure writes into the site -------------------------------------------------

SVG_ACTIVE = {"script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "animate", "set",
              "animatemotion", "animatetransform"}


def svg_problem(svg: bytes) -> str | None:
    """Why an SVG may not be published as a file of the site (opened on its own, an SVG runs its
    script with the site's rights), or None: no script, handler, foreign content or outside reference."""
    try:
        text = svg.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    if re.search(r"<!(ENTITY|DOCTYPE)", text, re.I):
        return "it declares a DOCTYPE or entities"
    if re.search(r"<\?(?!xml[\s?])", text):
        return "it holds a processing instruction (a style sheet, say)"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as err:
        return f"it is not well-formed XML ({err})"
    if root.tag.rpartition("}")[2] != "svg":
        return "it is not an SVG image"
    for element in root.iter():
        name = str(element.tag).rpartition("}")[2].lower()
        if name in SVG_ACTIVE:
            return f"it holds a <{name}> element"
        if name == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", element.text or "", re.I):
            return "its style sheet refers to an outside resource"
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2].lower()
            if local.startswith("on"):
                return f"it holds an event handler ({local}=)"
            if local == "href" and not (value.startswith("#") or value.startswith("data:image/")):
                return f"it refers to {value[:40]!r}"
            if "url(" in value and re.search(r"url\(\s*['\"]?(?!#)", value):
                return f"it refers to an outside resource in {local}="
    return None


# --- text that is text ---------------------------------------------------------------------

JOINERS = {"\u200c", "\u200d"}  # zero-width (non-)joiners: Persian, Arabic and Indic scripts need them


def invisible_characters(text: str) -> list[tuple[int, str]]:
    """Format characters (Unicode category Cf: bidi overrides and isolates, zero-width spaces, the
    BOM) and controls in a text, as (1-based position, name); joiners that scripts need are allowed."""
    found = []
    for position, char in enumerate(text, start=1):
        kind = unicodedata.category(char)
        if (kind == "Cf" and char not in JOINERS) or (kind == "Cc" and char not in "\n\t"):
            found.append((position, unicodedata.name(char, f"U+{ord(char):04X}") + f" (U+{ord(char):04X})"))
    return found


# --- spreadsheets -----------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
OTHER_SEPARATORS = re.compile(r"[;\t|]")  # a spreadsheet set to another separator splits a cell here


def formula_like(cell: str) -> bool:
    """Whether a spreadsheet would read a cell as a formula (OWASP's CSV injection): it starts, after
    any spaces, with = + - @ (or their full-width forms), a tab or a line break, and is not simply a
    number such as -3.5."""
    stripped = cell.lstrip(" ")
    return stripped.startswith(FORMULA_START) and not NUMBER.fullmatch(stripped)


def _risky(cell: str) -> bool:
    """Formula-like as a whole, or in a part a spreadsheet could split off at another separator."""
    return formula_like(cell) or any(formula_like(part) for part in OTHER_SEPARATORS.split(cell)[1:])


def safe_csv(text: str) -> str:
    """A CSV as published for download: each formula-like cell prefixed with an apostrophe, which
    spreadsheets show as text. The data package keeps the original; a CSV without such a cell is
    returned as it was, byte for byte."""
    if not any(ch in text for ch in "=+-@\t\r\uff1d\uff0b\uff0d\uff20"):
        return text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not any(_risky(cell) for row in rows for cell in row):
        return text
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)  # quoted: no other separator splits a cell
    writer.writerows([[f"'{cell}" if formula_like(cell) else cell for cell in row] for row in rows])
    return out.getvalue()

