"""Word in and out: ``wpsr new --from draft.docx`` (or ``.odt``), and ``wpsr export x.md --docx``.

Pandoc, shipped by the pypandoc-binary package, reads and writes the documents, always in its sandbox
(it reads no file but the one it converts and fetches nothing). Before pandoc reads a document, this
module refuses what must not be converted: a file that is not a Word document, an encrypted or
macro-enabled one, an empty one or one of ``MAX_BYTES`` or more, and one with tracked changes or
comments. It then makes pandoc's tree of the document into a contribution: the specification's six
sections matched by their titles in the six UN languages (``specification.yaml``: ``sections``,
``titles``), other headings kept inside them, footnotes as MyST footnotes, tables as pipe tables, and the
images as files beside the contribution. The export writes a contribution as a Word file for reviewers,
its figures taken from the built site, or, when the site is not built, named where they go.
"""

from __future__ import annotations

import ast
import base64
import csv
import difflib
import io
import json
import os
import re
import subprocess
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wpsr.book import book_root
from wpsr.contributions import Contribution, private_fields, specification
from wpsr.contributions import read as read_contribution
from wpsr.problems import Problem, display
from wpsr.safety import IMAGE_TYPES, outside_book, safe_csv, svg_problem
from wpsr.template import TemplateError, section_text

SUFFIXES = (".docx", ".odt")  # what `wpsr new --from` converts
MACRO_SUFFIXES = (".docm", ".dotm")
ROUTED = (*SUFFIXES, *MACRO_SUFFIXES, ".doc")  # what `wpsr new --from` sends here, to convert or to refuse
MAX_BYTES = 50_000_000  # a document of 50 MB or more is refused
MAX_UNPACKED = 300_000_000  # what its package may unpack to (a zip bomb is refused)
PANDOC_SECONDS = 120
OLE = bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file: a Word 97-2003 .doc, or an encrypted .docx
GENERIC_AUTHORS = {"", "author", "user", "owner", "admin", "administrator", "unknown", "python-docx",
                   "microsoft office user", "windows user", "utilisateur", "usuario", "пользователь"}
DROPPED_STYLES = {"Abstract Title", "Affiliations"}  # paragraphs of an export that are not the text
RECOMMENDATION_STYLE = "Recommendation"
RECOMMENDATION = re.compile(r"(?P<text>.+?)\s*\((?:for|audience):\s*(?P<audience>[^()]+)\)\s*", re.I | re.S)
NUMBER_CELL = re.compile(r"[-+−–(]?\s*\d[\d\s.,\u00a0\u202f]*\)?\s*%?|[-–—.…]*|n/?a", re.I)
EXPORT_READER = ("commonmark_x-smart-emoji-tex_math_dollars-raw_html-raw_attribute-alerts-task_lists"
                 "-fancy_lists-subscript-superscript-strikeout-bracketed_spans-implicit_header_references")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
TRACKED = {"ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange",
           "trPrChange", "tcPrChange", "tblGridChange", "numberingChange", "cellIns", "cellDel", "cellMerge"}
DOCX_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


class WordError(TemplateError):
    """A document `wpsr new --from` or `wpsr export` cannot take; the message says how to fix it."""


# --- what a document is, before pandoc reads it ------------------------------------------------

def inspect(path: Path) -> str:
    """The document's kind, "docx" or "odt"; WordError, saying why and what to do, if it is refused."""
    shown = display(path)
    suffix = path.suffix.lower()
    if suffix in MACRO_SUFFIXES:
        raise WordError(_macros(shown, f"a macro-enabled document ({suffix})"))
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as err:
        raise WordError(f"{shown}: cannot be read ({err.strerror}) — check the path") from err
    if size == 0:
        raise WordError(f"{shown}: the file is empty — save the document again from Word and import that")
    if size >= MAX_BYTES:
        raise WordError(f"{shown}: {size / 1_000_000:.1f} MB, and a document of {MAX_BYTES // 1_000_000} MB or more "
                        "is refused — make its images smaller in Word (File > Compress Pictures) and send any "
                        "large image separately")
    if head == OLE:
        data = path.read_bytes()
        if any(name.encode("utf-16-le") in data for name in ("EncryptedPackage", "EncryptionInfo")):
            raise WordError(f"{shown}: the document is password-protected (encrypted), so it cannot be read — in "
                            "Word, remove the password (File > Info > Protect Document > Encrypt with Password, "
                            "and clear it), save, and import it again")
        raise WordError(f"{shown}: a Word 97-2003 document (the old .doc format) — open it in Word and save it as "
                        "a Word Document (.docx)")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise WordError(_not_word(shown)) from err
    with archive:
        kind = _package_kind(archive, shown)
        _refuse_review_marks(archive, kind, shown)
    return kind


def _not_word(shown: Path) -> str:
    return (f"{shown}: not a Word document (not a .docx or .odt package: a text file renamed, say, or a damaged "
            "file) — open it in Word and save it as a Word Document (.docx)")


def _macros(shown: Path, what: str) -> str:
    return (f"{shown}: {what} is refused, as macros are code that could run — save it as a Word Document "
            "(.docx), which keeps no macros, and import that")


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        return b""


def _package_kind(archive: zipfile.ZipFile, shown: Path) -> str:
    infos = archive.infolist()
    if len(infos) > 10_000 or sum(info.file_size for info in infos) > MAX_UNPACKED:
        raise WordError(f"{shown}: the document unpacks to more than {MAX_UNPACKED // 1_000_000} MB — save it again "
                        "from Word with smaller images (File > Compress Pictures)")
    names = {info.filename for info in infos}
    try:
        if "word/document.xml" in names:
            if "word/vbaProject.bin" in names or b"macroEnabled" in _member(archive, "[Content_Types].xml"):
                raise WordError(_macros(shown, "a document with macros (whatever its name says)"))
            return "docx"
        if _member(archive, "mimetype").strip() == b"application/vnd.oasis.opendocument.text":
            if b"encryption-data" in _member(archive, "META-INF/manifest.xml"):
                raise WordError(f"{shown}: the document is password-protected (encrypted), so it cannot be read — "
                                "save it again without a password (File > Save As, untick 'Save with password')")
            if any(name.startswith(("Basic/", "Scripts/")) for name in names):
                raise WordError(_macros(shown, "a document with macros"))
            return "odt"
    except (zipfile.BadZipFile, OSError, RuntimeError) as err:  # RuntimeError: a zip encrypted member by member
        raise WordError(_not_word(shown)) from err
    raise WordError(_not_word(shown))


def _xml(data: bytes, shown: Path) -> Any:
    """An XML part of a document, parsed without entities, DTDs or the network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        raise WordError(f"{shown}: the document is damaged ({err}) — open it in Word, save it again and import "
                        "that") from err


def _note(found: dict[str, str], element: Any, tags: tuple[str, ...], text: Any) -> None:
    """Record the paragraph an element of a tracked change or a comment is in, with its text."""
    paragraph = element if element.tag in tags else next(element.iterancestors(*tags), None)
    if paragraph is None:
        paragraph = next(element.iter(*tags), None)
    if paragraph is None:
        found.setdefault("", "")
        return
    found.setdefault(paragraph.getroottree().getpath(paragraph), text(paragraph))


def _docx_text(paragraph: Any) -> str:
    return "".join(t.text or "" for t in paragraph.iter(W + "t", W + "delText"))


def _odt_text(paragraph: Any) -> str:
    return "".join(paragraph.xpath(".//text()[not(ancestor::office:annotation)]",
                                   namespaces={"office": OFFICE[1:-1]}))


def _refuse_review_marks(archive: zipfile.ZipFile, kind: str, shown: Path) -> None:
    """Tracked changes and comments are refused, naming the paragraph they are in: the text to import is
    the one the author settled."""
    changes: dict[str, str] = {}
    comments: dict[str, str] = {}
    if kind == "docx":
        for part in DOCX_PARTS:
            data = _member(archive, part)
            if not data:
                continue
            for element in _xml(data, shown).iter(W + "*"):
                name = element.tag.removeprefix(W)
                if name in TRACKED:
                    _note(changes, element, (W + "p",), _docx_text)
                elif name in ("commentRangeStart", "commentReference"):
                    _note(comments, element, (W + "p",), _docx_text)
        notes = _member(archive, "word/comments.xml")
        if not comments and notes and _xml(notes, shown).find(f".//{W}comment") is not None:
            comments[""] = ""
    else:
        root = _xml(_member(archive, "content.xml"), shown)
        for element in root.iter(TEXT + "change-start", TEXT + "change"):
            _note(changes, element, (TEXT + "p", TEXT + "h"), _odt_text)
        if not changes and root.find(f".//{TEXT}changed-region") is not None:
            changes[""] = ""
        for element in root.iter(OFFICE + "annotation"):
            _note(comments, element, (TEXT + "p", TEXT + "h"), _odt_text)
    if not changes and not comments:
        return
    what = " and ".join(f"{label} ({_where(found)})" for label, found in (("tracked changes", changes),
                                                                           ("comments", comments)) if found)
    how = ("in LibreOffice, accept or reject every change (Edit > Track Changes > Manage) and delete the comments"
           if kind == "odt" else "in Word, accept or reject every change (Review > Accept > Accept All Changes, "
           "or Reject > Reject All Changes) and delete the comments (Review > Delete > Delete All Comments in "
           "Document)")
    raise WordError(f"{shown}: the document has {what} — {how}, save it, and import it again")


def _where(found: dict[str, str]) -> str:
    """Where the first of them is: the paragraph's first words, and how many more paragraphs."""
    key, text = next(iter(found.items()))
    words = text.split()
    begins = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    place = (f"in the paragraph that begins “{begins}”" if begins else
             "in an empty paragraph" if key else "in the document")
    more = len(found) - 1
    return place + (f" and in {more} more paragraph{'s' if more > 1 else ''}" if more else "")


def _linked_images(path: Path, kind: str) -> list[str]:
    """The images a .docx only links to, outside it: pandoc leaves them out, so they are said."""
    if kind != "docx":
        return []
    with zipfile.ZipFile(path) as archive:
        data = _member(archive, "word/_rels/document.xml.rels")
    if not data:
        return []
    return [str(rel.get("Target")) for rel in _xml(data, display(path)).iter("{*}Relationship")
            if rel.get("TargetMode") == "External" and str(rel.get("Type", "")).endswith("/image")]


def _properties(path: Path, kind: str) -> tuple[str | None, list[str]]:
    """The document's title and authors, from its properties (Word: File > Info > Properties)."""
    shown = display(path)
    with zipfile.ZipFile(path) as archive:
        data = _member(archive, "docProps/core.xml" if kind == "docx" else "meta.xml")
    if not data:
        return None, []
    root = _xml(data, shown)

    def first(tag: str) -> str:
        return next((" ".join("".join(e.itertext()).split()) for e in root.iter(tag)), "")

    title = first(DC + "title")
    creator = first(META + "initial-creator") or first(DC + "creator")  # in an .odt, dc:creator last saved it
    names = [name.strip() for name in creator.split(";")]
    return title or None, [name for name in names if name.casefold() not in GENERIC_AUTHORS]


# --- pandoc --------------------------------------------------------------------------------

def _pandoc(arguments: list[str], shown: Path | str, data: bytes | None = None) -> bytes:
    """Run the pandoc that pypandoc-binary ships, in its sandbox; WordError if it fails."""
    import pypandoc

    command = [pypandoc.get_pandoc_path(), "--sandbox", *arguments]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=PANDOC_SECONDS, check=False)
    except subprocess.TimeoutExpired as err:
        raise WordError(f"{shown}: pandoc took more than {PANDOC_SECONDS} s to convert it — split the document "
                        "or make it simpler (fewer, smaller images)") from err
    if done.returncode:
        said = " ".join(done.stderr.decode("utf-8", "replace").split())[:300]
        raise WordError(f"{shown}: pandoc could not convert it ({said}) — open it in Word, save it again as a Word "
                        "Document (.docx) and retry")
    return done.stdout


# --- section titles ---------------------------------------------------------------------------

def heading_key(text: str) -> str:
    """A heading as compared with the sections' titles: without numbering, case, accents, punctuation
    or spaces ("1. Background and policy context" is "backgroundandpolicycontext")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = re.sub(r"^\W*(?:(?:section|chapter|chapitre|sección|capítulo|раздел|глава)\s*)?"
                  r"(?:(?:\d+(?:[.\-]\d+)*|[٠-٩]+|[一二三四五六七八九十]+)\s*[.)\]:、．-]?|"
                  r"(?:[ivxlc]+|[a-zа-я])\s*[.)\]:、．-])\s*", "", text.strip())
    text = re.sub(r"^第[一二三四五六七八九十\d]+[章节部分]\s*", "", text)
    text = text.translate(str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": ""}))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def section_titles() -> list[list[str]]:
    """Each section's titles: the English, then each translation (``specification.yaml``)."""
    out = []
    for section in specification()["sections"]:
        titles = [section["title"]]
        for value in (section.get("titles") or {}).values():
            titles += [value] if isinstance(value, str) else list(value)
        out.append(titles)
    return out


def match_section(text: str) -> int | None:
    """The index of the section a heading names, in any of the six languages, or None."""
    key = heading_key(text)
    return next((index for index, titles in enumerate(section_titles())
                 if key and key in {heading_key(title) for title in titles}), None)


# --- pandoc's tree -----------------------------------------------------------------------------

def plain(inlines: list[Any]) -> str:
    """Inline elements as plain text (footnotes left out)."""
    out = []
    for inline in inlines:
        kind, content = inline["t"], inline.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math", "RawInline"):
            out.append(content[1])
        elif kind in ("Link", "Image", "Span", "Cite"):
            out.append(plain(content[1]))
        elif kind == "Quoted":
            out.append("“" + plain(content[1]) + "”")
        elif kind != "Note" and isinstance(content, list):
            out.append(plain(content))
    return "".join(out)


def plain_blocks(blocks: list[Any]) -> str:
    """Blocks as plain text, one space between them."""
    out = []
    for block in blocks:
        kind, content = block["t"], block.get("c")
        if kind in ("Para", "Plain"):
            out.append(plain(content))
        elif kind == "Header":
            out.append(plain(content[2]))
        elif kind in ("BlockQuote", "Div"):
            out.append(plain_blocks(content if kind == "BlockQuote" else content[1]))
        elif kind in ("BulletList", "OrderedList"):
            out += [plain_blocks(item) for item in (content if kind == "BulletList" else content[1])]
        elif kind == "CodeBlock":
            out.append(content[1])
        elif kind == "Table":
            out += [plain_blocks(cell[4]) for row in _rows(content) for cell in row[1]]
    return " ".join(" ".join(out).split())


def _rows(table: list[Any]) -> list[Any]:
    """A table's rows, head, bodies and foot, in order."""
    _attr, _caption, _specs, head, bodies, foot = table
    return [*head[1], *(row for body in bodies for row in (*body[2], *body[3])), *foot[1]]


def _text(text: str) -> list[Any]:
    words = text.split()
    out: list[Any] = []
    for word in words:
        out += [{"t": "Space"}, {"t": "Str", "c": word}] if out else [{"t": "Str", "c": word}]
    return out


NO_ATTR: list[Any] = ["", [], []]


class _Tree:
    """Pandoc's blocks made into what a contribution holds: styles, spans, raw markup and bookmarks
    dropped; tables simple enough to be pipe tables; images named and kept aside."""

    def __init__(self, media: dict[str, bytes]) -> None:
        self.media = media
        self.abstract: list[str] = []
        self.recommendations: list[dict[str, str]] = []
        self.files: dict[str, bytes] = {}  # file name -> content
        self.names: dict[str, str] = {}  # src in pandoc's tree -> file name
        self.images: list[dict[str, Any]] = []  # the Image nodes, their src set once the slug is known

    def blocks(self, blocks: list[Any], top: bool = False) -> list[Any]:
        return [out for block in blocks for out in self.block(block, top)]

    def block(self, block: dict[str, Any], top: bool) -> list[Any]:
        kind, content = block["t"], block.get("c")
        if kind == "Div":
            style = dict(content[0][2]).get("custom-style", "")
            if style in DROPPED_STYLES:
                return []
            if style == "Abstract":
                self.abstract.append(plain_blocks(content[1]))
                return []
            if style == RECOMMENDATION_STYLE:
                self.recommendations += [_recommendation(text) for b in content[1] if (text := plain_blocks([b]))]
                return []
            return self.blocks(content[1], top)
        if kind in ("Para", "Plain"):
            inlines = self.inlines(content)
            return [{"t": kind, "c": inlines}] if plain(inlines).strip() or self._has_image(inlines) else []
        if kind == "Header":
            inlines = self.inlines(content[2])
            if not plain(inlines).strip():
                return []
            return [{"t": "Header", "c": [content[0], NO_ATTR, inlines]} if top else
                    {"t": "Para", "c": [{"t": "Strong", "c": inlines}]}]
        if kind == "BlockQuote":
            inner = self.blocks(content)
            return [{"t": kind, "c": inner}] if inner else []
        if kind in ("BulletList", "OrderedList"):
            items = [inner for item in (content if kind == "BulletList" else content[1])
                     if (inner := self.blocks(item))]
            if all(len(item) == 1 and item[0]["t"] == "Para" for item in items):  # a tight list
                items = [[{"t": "Plain", "c": item[0]["c"]}] for item in items]
            if not items:
                return []
            return [{"t": kind, "c": items if kind == "BulletList" else [content[0], items]}]
        if kind == "DefinitionList":
            return [out for term, definitions in content
                    for out in [{"t": "Para", "c": [{"t": "Strong", "c": self.inlines(term)}]},
                                *(b for definition in definitions for b in self.blocks(definition))]]
        if kind == "Table":
            return self.table(content)
        if kind == "Figure":
            return self.blocks(content[2]) + self.blocks(content[1][1])
        if kind == "LineBlock":
            inlines = [i for n, line in enumerate(content)
                       for i in ([{"t": "LineBreak"}] if n else []) + self.inlines(line)]
            return [{"t": "Para", "c": inlines}]
        if kind == "CodeBlock":
            language = [c for c in content[0][1][:1] if re.fullmatch(r"[\w+-]+", c)]
            return [{"t": "CodeBlock", "c": [["", language, []], content[1]]}]
        if kind == "HorizontalRule":
            return [block]
        return []  # raw markup, and anything else pandoc may add: not carried over

    @staticmethod
    def _has_image(inlines: list[Any]) -> bool:
        return any(i["t"] == "Image" or (isinstance(i.get("c"), list) and i["t"] in ("Emph", "Strong", "Link")
                                         and _Tree._has_image(i["c"] if i["t"] != "Link" else i["c"][1]))
                   for i in inlines)

    def inlines(self, inlines: list[Any]) -> list[Any]:
        out: list[Any] = []
        for inline in inlines:
            kind, content = inline["t"], inline.get("c")
            if kind == "Span":
                out += self.inlines(content[1])
            elif kind in ("Underline", "SmallCaps"):
                out += self.inlines(content)
            elif kind in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
                if inner := self.inlines(content):
                    out.append({"t": kind, "c": inner})
            elif kind == "Quoted":
                out.append({"t": kind, "c": [content[0], self.inlines(content[1])]})
            elif kind == "Cite":
                out += self.inlines(content[1])
            elif kind == "Link":
                text, (url, title) = self.inlines(content[1]), content[2]
                out += text if not url or url.startswith("#") else [{"t": "Link", "c": [NO_ATTR, text, [url, title]]}]
            elif kind == "Image":
                out += self.image(content)
            elif kind == "Note":
                if blocks := self.blocks(content):
                    if blocks[0]["t"] in ("Para", "Plain"):  # Word puts a space after the note's number
                        while blocks[0]["c"] and blocks[0]["c"][0]["t"] in ("Space", "SoftBreak"):
                            blocks[0]["c"].pop(0)
                    out.append({"t": "Note", "c": blocks})
            elif kind != "RawInline":
                out.append(inline)
        return out

    def image(self, content: list[Any]) -> list[Any]:
        alt, src = " ".join(plain(content[1]).split()), content[2][0]
        data = self.media.get(os.path.normpath(src))
        todo = specification()["placeholder"]
        if data is None:  # not in the document (pandoc found no file for it)
            return _text(f"{todo}: insert here the image that the document only linked to ({alt or 'no description'})")
        if src not in self.names:
            suffix = Path(src).suffix.lower() or ".png"
            self.names[src] = f"figure-{len(self.names) + 1}{'.jpg' if suffix == '.jpeg' else suffix}"
            self.files[self.names[src]] = data
        node = {"t": "Image", "c": [NO_ATTR, _text(alt or f"{todo}: describe what this image shows"),
                                    [self.names[src], ""]]}
        self.images.append(node)
        return [node]

    def cell(self, blocks: list[Any]) -> list[Any]:
        """A table cell's content as one line: paragraphs joined, list items separated by semicolons."""
        out: list[Any] = []
        for block in self.blocks(blocks):
            kind, content = block["t"], block["c"]
            if kind in ("Para", "Plain"):
                inlines = [{"t": "Space"} if i["t"] in ("LineBreak", "SoftBreak") else i for i in content]
            elif kind in ("BulletList", "OrderedList"):
                items = content if kind == "BulletList" else content[1]
                inlines = _text("; ".join(plain_blocks(item) for item in items))
            else:
                inlines = _text(plain_blocks([block]))
            if inlines:
                out += ([{"t": "Space"}] if out else []) + inlines
        return out

    def table(self, content: list[Any]) -> list[Any]:
        """A table as a pipe table: merged cells split (the text in the first), one header row."""
        _attr, caption, specs, *_ = content
        width = len(specs)
        grid: list[list[list[Any]]] = []
        covered: dict[int, int] = {}  # column -> rows a cell above still spans
        for row in _rows(content):
            cells, queue, column = [], list(row[1]), 0
            while column < width:
                if covered.get(column, 0) > 0:
                    covered[column] -= 1
                    cells.append([])
                    column += 1
                    continue
                if not queue:
                    cells.append([])
                    column += 1
                    continue
                _a, _align, rowspan, colspan, blocks = queue.pop(0)
                cells += [self.cell(blocks)] + [[] for _ in range(max(colspan, 1) - 1)]
                for spanned in range(column, column + max(colspan, 1)):
                    if rowspan > 1:
                        covered[spanned] = rowspan - 1
                column += max(colspan, 1)
            grid.append(cells[:width])
        if not width or not grid:
            return []

        def row(cells: list[list[Any]]) -> list[Any]:
            return [NO_ATTR, [[NO_ATTR, {"t": "AlignDefault"}, 1, 1, [{"t": "Plain", "c": c}] if c else []]
                              for c in cells]]

        table = {"t": "Table", "c": [NO_ATTR, [None, []], [[spec[0], {"t": "ColWidthDefault"}] for spec in specs],
                                     [NO_ATTR, [row(grid[0])]], [[NO_ATTR, 0, [], [row(r) for r in grid[1:]]]],
                                     [NO_ATTR, []]]}
        title = plain_blocks(caption[1])
        return ([{"t": "Para", "c": [{"t": "Strong", "c": _text(title)}]}] if title else []) + [table]


def _recommendation(text: str) -> dict[str, str]:
    """A recommendation as the export writes it, "Text (for: audience)"."""
    match = RECOMMENDATION.fullmatch(text)
    if match:
        return {"text": match["text"].strip(), "audience": " ".join(match["audience"].split())}
    return {"text": text, "audience": f"{specification()['placeholder']}: who should act, e.g. national governments"}


# --- a document read, and written as a contribution ---------------------------------------------

@dataclass
class Document:
    """A Word document read by pandoc and checked: what it gives a new contribution."""

    source: Path
    title: str | None
    authors: list[dict[str, Any]]
    metadata: dict[str, Any]  # other fields of the front matter: abstract, recommendations
    blocks: list[Any]
    api: list[int]
    tree: _Tree
    matched: list[tuple[str, str]] = field(default_factory=list)  # (heading, section title)
    added: list[str] = field(default_factory=list)  # sections the document lacks, added from the template
    unmatched: list[tuple[str, int, str | None, bool]] = field(default_factory=list)  # text, level, in, duplicate
    found: list[Problem] = field(default_factory=list)  # what to fix, located in the new file (after save)
    linked: list[str] = field(default_factory=list)  # images the document only links to, not imported
    folder: Path | None = None  # where its images and tables went

    def markdown(self, slug: str, title: str) -> str:
        """The contribution's body: the six sections, in the document's order, the template's for those it
        lacks; a first heading that says the title left out; images in `<slug>-files/`."""
        sections = specification()["sections"]
        blocks = list(self.blocks)
        first = next((i for i, b in enumerate(blocks) if b["t"] in ("Header", "Para", "Plain")), None)
        if first is not None:  # the title again, as a heading or a paragraph: the front matter has it
            said = plain(blocks[first]["c"][2] if blocks[first]["t"] == "Header" else blocks[first]["c"])
            if match_section(said) is None and heading_key(said) == heading_key(title):
                del blocks[first]
        headers = [b["c"][0] for b in blocks if b["t"] == "Header"]
        base = min([b["c"][0] for b in blocks if b["t"] == "Header" and match_section(plain(b["c"][2])) is not None]
                   or headers or [1])
        out: list[Any] = []
        seen: dict[int, int] = {}
        current = None
        for block in blocks:
            if block["t"] != "Header":
                out.append(block)
                continue
            level, _attr, inlines = block["c"]
            text = " ".join(plain(inlines).split())
            index = match_section(text)
            if index is not None and index not in seen:
                seen[index], current = len(out), index
                if text != sections[index]["title"]:
                    self.matched.append((text, sections[index]["title"]))
                out.append({"t": "Header", "c": [2, NO_ATTR, _text(sections[index]["title"])]})
                continue
            new = min(6, max(3, level - base + 2))
            self.unmatched.append((text, new, sections[current]["title"] if current is not None else None,
                                   index is not None))
            out.append({"t": "Header", "c": [new, NO_ATTR, inlines]})
        marker = f"WPSRSECTION{uuid.uuid4().hex}X"
        inserts = [(min([seen[j] for j in seen if j > index] or [len(out)]), index)
                   for index in range(len(sections)) if index not in seen]
        for position, index in sorted(inserts, reverse=True):
            out.insert(position, {"t": "Para", "c": [{"t": "Str", "c": f"{marker}{index}"}]})
        self.added = [sections[index]["title"] for _, index in sorted(inserts, key=lambda i: i[1])]
        for node in self.tree.images:
            node["c"][2][0] = f"{slug}-files/{node['c'][2][0].rpartition('/')[2]}"
        tree = {"pandoc-api-version": self.api, "meta": {}, "blocks": out}
        text = _pandoc(["-f", "json", "-t", "gfm-raw_html", "--wrap=none"], self.source,
                       json.dumps(tree).encode("utf-8")).decode("utf-8")
        return _myst_safe(text, marker)

    def save(self, path: Path) -> list[Problem]:
        """Write the images (and a CSV of each table of numbers) beside the contribution, and locate what
        to fix in it: headings that are no section, images without alt text or not for the web."""
        from wpsr.body import _markdown

        self.folder = path.with_name(f"{path.stem}-files")
        shown = display(path)
        for name, data in self.tree.files.items():
            self.folder.mkdir(exist_ok=True)
            (self.folder / name).write_bytes(data)
        contribution, _ = read_contribution(path)
        assert contribution is not None  # we just wrote it
        lines = contribution.body
        start = contribution.body_start
        found: list[Problem] = []
        tokens = _markdown().parse("\n".join(lines))
        headings = [(start + token.map[0], int(token.tag[1])) for token in tokens
                    if token.type == "heading_open" and token.map and int(token.tag[1]) >= 3]
        for (line, _), (text, level, section, duplicate) in zip(headings, self.unmatched, strict=False):
            where = f"inside '{section}'" if section else "before the first section"
            if duplicate:
                found.append(Problem(shown, line, f"a second heading for the section '{text}': kept as "
                                     f"'{'#' * level} {text}' {where}", "merge it into that section, or rename it",
                                     severity="warning"))
                continue
            close = difflib.get_close_matches(heading_key(text), [heading_key(t) for ts in section_titles()
                                                                   for t in ts], n=1, cutoff=0.75)
            guess = next((s[0] for s in section_titles() if close and close[0] in map(heading_key, s)), None)
            found.append(Problem(shown, line, f"the heading '{text}' is not one of the specification's six sections: "
                                 f"kept as '{'#' * level} {text}' {where}",
                                 f"if it is meant to be '## {guess}', give it that title" if guess else
                                 "keep it as a sub-heading, or give it a section's title (the sections: "
                                 + "; ".join(s["title"] for s in specification()["sections"]) + ")",
                                 severity="warning"))
        found += self._images(tokens, start, shown)
        found += self._tables(tokens, start, shown)
        todo = specification()["placeholder"]
        found += [Problem(shown, number, "an image that is not in the document, so not imported",
                          "insert the image itself into the document (Insert > Pictures > This Device) and import "
                          "again, or put the image file beside the contribution and refer to it here")
                  for number, line in enumerate(lines, start) if f"{todo}: insert here the image" in line]
        found += [Problem(shown, None, f"the document only links to an image outside it ({target[:80]}), so it is "
                          "not imported", "insert the image itself into the document (Insert > Pictures > This "
                          "Device) and import again, or put the image file beside the contribution and refer to it")
                  for target in self.linked]
        self.found = sorted(found, key=lambda p: p.line or 0)
        return self.found

    def _images(self, tokens: list[Any], start: int, shown: Path) -> list[Problem]:
        todo = specification()["placeholder"]
        found, line, reported = [], start, set()
        for token in tokens:
            line = start + token.map[0] if token.map else line
            for child in token.children or []:
                src = str(child.attrGet("src") or "") if child.type == "image" else ""
                name = src.rpartition("/")[2]
                if name not in self.tree.files or (name, child.content) in reported:
                    continue
                reported.add((name, child.content))
                if child.content.startswith(f"{todo}: describe"):
                    found.append(Problem(shown, line, f"an image without alt text ({src})",
                                         "write what it shows in place of the TODO in ![…]: a reader who cannot "
                                         "see it hears that (in Word: right-click the image > View Alt Text)"))
                suffix = Path(name).suffix
                if suffix not in IMAGE_TYPES:
                    found.append(Problem(shown, line, f"a {suffix} image ({src}) cannot be shown on the web",
                                         "save the picture as PNG (or SVG for a drawing) and insert it again, "
                                         "or replace the file and the link here"))
                elif suffix == ".svg" and (why := svg_problem(self.tree.files[name])):
                    found.append(Problem(shown, line, f"the SVG image {src} is refused: {why}",
                                         "save the picture as PNG and insert it again"))
        return found

    def _tables(self, tokens: list[Any], start: int, shown: Path) -> list[Problem]:
        """Tables of numbers: each offered as a CSV beside the contribution, and said."""
        found: list[Problem] = []
        rows: list[list[str]] = []
        line, inside = start, False
        for token in tokens:
            if token.type == "table_open":
                rows, line, inside = [], start + token.map[0], True
            elif token.type == "tr_open":
                rows.append([])
            elif token.type == "inline" and inside and rows:
                rows[-1].append(re.sub(r"\\(.)", r"\1", token.content).strip())
            elif token.type == "table_close":
                inside = False
                if not _numeric(rows):
                    continue
                assert self.folder is not None
                self.folder.mkdir(exist_ok=True)
                target = self.folder / f"table-{len(found) + 1}.csv"
                text = io.StringIO()
                csv.writer(text, lineterminator="\n").writerows(rows)
                target.write_text(safe_csv(text.getvalue()), encoding="utf-8")  # no cell a spreadsheet runs
                found.append(Problem(shown, line, f"a table of numbers ({len(rows) - 1} rows), written as a CSV too: "
                                     f"{display(target)}", "if it is data, put the CSV in data/, describe it in "
                                     "data/datapackage.json and show it with a {wpsr-table} or {wpsr-figure}: the "
                                     "page then gives its source and a download", severity="warning"))
        return found

    def summary(self) -> list[str]:
        """What the import did, in sentences, for the command line."""
        out = []
        if self.matched:
            out.append("Headings matched to the specification's sections: "
                       + "; ".join(f"'{text}' is '## {title}'" for text, title in self.matched) + ".")
        if self.added:
            out.append("Sections the document lacks, added from the template with guidance and a TODO: "
                       + "; ".join(f"'{title}'" for title in self.added) + ".")
        if self.tree.files and self.folder is not None:
            out.append(f"Images: {len(self.tree.files)} file(s) in {display(self.folder)}/.")
        return out


def _numeric(rows: list[list[str]]) -> bool:
    """A table whose body is numbers (its first column may name the rows)."""
    body = [row[1:] for row in rows[1:]]
    cells = [cell for row in body for cell in row]
    return len(rows) > 2 and bool(cells) and any(re.search(r"\d", c) for c in cells) and \
        all(NUMBER_CELL.fullmatch(cell) for cell in cells)


def _myst_safe(text: str, marker: str) -> str:
    """Pandoc's CommonMark as MyST reads it: what MyST would take as a comment, a target, a block break, a
    directive, a definition, a substitution or a role is escaped; the marker lines become the template's
    sections."""
    sections = specification()["sections"]
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        if fence:
            fence = "" if line.strip().startswith(fence) and not line.strip().strip(fence[0]) else fence
            out.append(line)
            continue
        if match := re.match(r"\s*(`{3,}|~{3,})", line):
            fence = match.group(1)
            out.append(line)
            continue
        if line.startswith(marker):
            out.append(section_text(sections[int(line[len(marker):])]).rstrip("\n"))
            continue
        line = re.sub(r"^(\s*)(%|\+\+\+|:::|[:~](?=\s)|\((?=[^)]*\)=\s*$))", r"\1\\\2", line)
        line = line.replace("{{", r"\{\{")
        line = re.sub(r"\{([\w:-]+)\}(?=`)", r"\\{\1}", line)
        out.append(line)
    return "\n".join(out).strip() + "\n"


def read(path: Path) -> Document:
    """Check a Word (.docx) or OpenDocument (.odt) document and read it with pandoc; WordError if refused."""
    kind = inspect(path)
    shown = display(path)
    title, names = _properties(path, kind)
    with tempfile.TemporaryDirectory(prefix="wpsr-word-") as folder:
        output = _pandoc([str(path), "-f", "docx+styles" if kind == "docx" else "odt", "-t", "json",
                          f"--extract-media={folder}"], shown)
        media = {os.path.normpath(str(p)): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}
    document = json.loads(output)
    meta = document.get("meta", {})
    tree = _Tree(media)
    blocks = tree.blocks(document["blocks"], top=True)
    if not title and meta.get("title"):
        title = " ".join(_meta_text(meta["title"]).split()) or None
    if not names and meta.get("author"):
        names = [n for n in (" ".join(_meta_text(a).split()) for a in _meta_list(meta["author"]))
                 if n.casefold() not in GENERIC_AUTHORS]
    first = next((b for b in blocks if b["t"] == "Header"), None)
    if not title and first is not None and match_section(plain(first["c"][2])) is None:
        title = " ".join(plain(first["c"][2]).split())
    todo = specification()["placeholder"]
    authors = [{"name": name, "affiliations": [f"{todo}: institution"]} for name in names if name]
    metadata: dict[str, Any] = {}
    if tree.abstract:
        metadata["abstract"] = " ".join(tree.abstract)
    if tree.recommendations:
        metadata["recommendations"] = tree.recommendations
    return Document(path, title, authors, metadata, blocks, document["pandoc-api-version"], tree,
                    linked=_linked_images(path, kind))


def _meta_list(value: dict[str, Any]) -> list[Any]:
    return value["c"] if value.get("t") == "MetaList" else [value]


def _meta_text(value: dict[str, Any]) -> str:
    kind, content = value.get("t"), value.get("c")
    if kind == "MetaInlines":
        return plain(content)
    if kind == "MetaBlocks":
        return plain_blocks(content)
    if kind == "MetaString":
        return str(content)
    if kind == "MetaList":
        return "; ".join(_meta_text(v) for v in content)
    return ""


# --- a contribution written as a Word file ------------------------------------------------------

CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
CELL = f"//div[{CLASS.format('cell')}]"
OUTPUTS = f".//figure[{CLASS.format('wpsr-chart')}] | .//div[{CLASS.format('wpsr-table')}]"
DECLARED = (f"//figure[{CLASS.format('wpsr-chart')}][not(ancestor::div[{CLASS.format('cell')}])] | "
            f"//div[{CLASS.format('wpsr-table')}][not(ancestor::div[{CLASS.format('cell')}])]")
DIRECTIVE = re.compile(r"\{([\w:-]+)\}")
ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")


def escape(text: str) -> str:
    """Plain text as Markdown that says it: every ASCII punctuation character escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(text).split()))


def _data_uri(data: bytes, suffix: str) -> str:
    kind = {".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}.get(suffix, "png")
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _png(svg: Path) -> bytes:
    """A chart's PNG: the one the build drew beside its SVG, or drawn from the SVG now."""
    png = svg.with_suffix(".png")
    if png.is_file() and png.stat().st_mtime >= svg.stat().st_mtime:
        return png.read_bytes()
    import vl_convert

    return vl_convert.svg_to_png(svg.read_text(encoding="utf-8"), scale=2)


class _Site:
    """What the built site shows for a page's code cells and declared figures, when it is built and
    newer than the page; otherwise `note` says why the figures are only named."""

    def __init__(self, contribution: Contribution, cells: int, declared: int) -> None:
        self.cells: list[list[str]] | None = None
        self.declared: list[str] | None = None
        self.note = ""
        self.figures = self.tables = 0
        root = book_root()
        self.html = root / "_build" / "html"
        try:
            page = self.html / (contribution.path.resolve().relative_to(root).with_suffix(".html"))
        except ValueError:
            page = self.html / "none"
        if not cells and not declared:
            return
        if not page.is_file():
            self.note = ("The site is not built, so each figure is named where it goes, with its title and "
                         "description: run `wpsr build`, then export again, to have the figures themselves.")
            return
        if page.stat().st_mtime < contribution.path.stat().st_mtime:
            self.note = (f"The site was built before {display(contribution.path)} last changed, so each figure is "
                         "named where it goes: run `wpsr build`, then export again, to have the figures themselves.")
            return
        from lxml import html

        tree = html.fromstring(page.read_bytes())
        built, shown = tree.xpath(CELL), tree.xpath(DECLARED)
        if len(built) != cells or len(shown) != declared:
            self.note = (f"The built page shows {len(built)} code cell(s) and {len(shown)} declared figure(s), the "
                         f"contribution has {cells} and {declared}, so each figure is named where it goes: run "
                         "`wpsr build`, then export again.")
            return
        self.cells = [[self.output(element, page) for element in cell.xpath(OUTPUTS)] for cell in built]
        self.declared = [self.output(element, page) for element in shown]
        self.note = (f"The figures and tables drawn by code or declared come from the built site "
                     f"({display(page)}).")

    def png(self, src: str, page: Path) -> bytes | None:
        """A chart's static image as PNG: its SVG file in the site (or the SVG inline in the page)."""
        import vl_convert

        if src.startswith("data:image/svg+xml;base64,"):
            svg = base64.b64decode(src.partition(",")[2]).decode("utf-8", "replace")
            return None if svg_problem(svg.encode("utf-8")) else vl_convert.svg_to_png(svg, scale=2)
        path = (page.parent / src).resolve()
        if path.is_relative_to(self.html.resolve()) and path.suffix == ".svg" and path.is_file():
            return _png(path)
        return None

    def output(self, element: Any, page: Path) -> str:
        """A figure (its image, title, description and source) or a table, as Markdown."""
        def text(xpath: str) -> str:
            return " ".join(" ".join(e.text_content().split()) for e in element.xpath(xpath))

        source = text(f".//p[{CLASS.format('wpsr-source')}]")
        if element.tag == "figure":
            self.figures += 1
            title = text(f".//figcaption[{CLASS.format('wpsr-chart-title')}]")
            description = text(f".//p[{CLASS.format('wpsr-chart-description')}]")
            image = ""
            for src in element.xpath(f".//img[{CLASS.format('wpsr-chart-static')}]/@src"):
                png = self.png(str(src), page)
                if png:
                    image = f"![{escape(description)}]({_data_uri(png, '.png')}){{width=100%}}\n\n"
            return (f"**Figure {self.figures}. {escape(title)}**\n\n{image}{escape(description)}\n\n"
                    + (f"*{escape(source)}*\n" if source else ""))
        self.tables += 1
        caption = text(".//caption")
        header = [" ".join(th.text_content().split()) for th in element.xpath(".//thead//th")]
        rows = [[" ".join(td.text_content().split()) for td in tr.xpath("./td|./th")]
                for tr in element.xpath(".//tbody/tr")]
        return (f"**Table {self.tables}. {escape(caption)}**\n\n" + _pipe_table(header, rows)
                + (f"\n*{escape(source)}*\n" if source else ""))


def _pipe_table(header: list[str], rows: list[list[str]]) -> str:
    width = max([len(header), *map(len, rows)])
    header = header + [""] * (width - len(header))
    lines = ["| " + " | ".join(escape(c) for c in header) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(escape(c) for c in row + [""] * (width - len(row))) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _literal(node: ast.expr | None) -> str:
    """A string argument as written (an f-string's fields as …), or ''."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) + _literal(node.right)
    return ""


def _named_cell(code: str, number: int) -> str:
    """Where a code cell's figures and tables go, named by their title and description, without the site."""
    try:
        tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!", ":")) else line
                                   for line in code.splitlines()))
    except SyntaxError:
        return ""
    out = []
    for call in ast.walk(tree):
        name = getattr(call.func, "id", getattr(call.func, "attr", None)) if isinstance(call, ast.Call) else None
        if name in ("figure", "table"):
            given = {k.arg: k.value for k in call.keywords}
            title = _literal(given.get("title") or given.get("caption")) or "untitled"
            description = _literal(given.get("description"))
            out.append(f"> **{'Figure' if name == 'figure' else 'Table'} (drawn by code cell {number} when the site "
                       f"is built): {escape(title)}.** {escape(description)}\n")
    return "\n".join(out)


def _named_declared(name: str, argument: str, options: dict[str, str], content: str) -> str:
    kind = "Table" if name == "wpsr-table" or options.get("kind") == "table" else "Figure"
    title = options.get("title") or options.get("caption") or "untitled"
    lines = [line for line in content.splitlines() if not re.match(r"\s*:[\w-]+:", line)]
    return (f"> **{kind} (drawn from the dataset {escape(argument)} when the site is built): {escape(title)}.** "
            f"{escape(' '.join(lines))}\n")


def _export_body(contribution: Contribution) -> tuple[str, str]:
    """The body as pandoc's CommonMark: code cells and declared figures replaced by what they show, MyST's
    comments, targets and block breaks left out, roles as their text, images inside the book embedded."""
    from wpsr.body import _markdown, _option_values

    lines = contribution.body
    parsed = _markdown().parse("\n".join(lines))
    tokens = [t for t in parsed if t.level == 0 and t.map]
    fences = [(t, m.group(1) if (m := DIRECTIVE.match(t.info.strip())) else "") for t in tokens
              if t.type in ("fence", "colon_fence")]
    site = _Site(contribution, sum(name == "code-cell" for _, name in fences),
                 sum(name in ("wpsr-figure", "wpsr-table") for _, name in fences))
    replaced: dict[int, tuple[int, str]] = {}
    cell = declared = 0
    for token in tokens:
        start, end = token.map
        name = (m.group(1) if (m := DIRECTIVE.match(token.info.strip())) else "") \
            if token.type in ("fence", "colon_fence") else ""
        if name == "code-cell":
            cell += 1
            replaced[start] = (end, "\n".join(site.cells[cell - 1]) if site.cells is not None
                               else _named_cell(token.content, cell))
        elif name in ("wpsr-figure", "wpsr-table"):
            declared += 1
            argument = token.info.strip()[len(name) + 2:].strip()
            replaced[start] = (end, site.declared[declared - 1] if site.declared is not None else
                               _named_declared(name, argument, _option_values(token.content.splitlines()),
                                               token.content))
        elif name:  # an admonition or another directive: its text, quoted
            content = [line for line in token.content.splitlines() if not re.match(r"\s*:[\w-]+:", line)]
            replaced[start] = (end, "\n".join(f"> {line}" for line in content) + "\n")
        elif token.type in ("myst_line_comment", "myst_target", "myst_block_break", "html_block"):
            replaced[start] = (end, "")
    out, index, fence = [], 0, ""
    while index < len(lines):
        if index in replaced:
            end, text = replaced[index]
            out.append(text)
            index = end
            continue
        line = lines[index]
        if match := re.match(r"\s*(`{3,}|~{3,})", line):
            fence = "" if fence and line.strip().startswith(fence) else fence or match.group(1)
        if not fence:
            line = ROLE.sub(lambda m: escape(re.sub(r"\s*<[^>]*>\s*$", "", m.group(1)) or m.group(1)), line)
        out.append(line)
        index += 1
    text = "\n".join(out)
    sources = {str(child.attrGet("src") or "") for token in parsed for child in token.children or []
               if child.type == "image"}
    for src in sorted(sources - {""}):
        if "://" not in src and not src.startswith("data:"):
            text = text.replace(f"]({src}", f"]({_embedded(contribution.path.parent, src)}")
    return text, site.note


def _embedded(folder: Path, src: str) -> str:
    """An image of the book as a data: address (pandoc, in its sandbox, reads no file); else the address,
    which pandoc then shows as the image's description."""
    path = (book_root() if src.startswith("/") else folder) / src.lstrip("/")
    suffix = path.suffix.lower()
    if outside_book(path) or suffix not in IMAGE_TYPES or not path.is_file():
        return src
    data = path.read_bytes()
    if suffix == ".svg":
        if svg_problem(data):
            return src
        import vl_convert

        data, suffix = vl_convert.svg_to_png(data.decode("utf-8"), scale=2), ".png"
    return _data_uri(data, suffix)


def export(path: Path, output: Path | None = None) -> tuple[Path, str]:
    """Write a contribution as a Word file for reviewers: its title, authors and abstract, its text and tables,
    its figures with their descriptions, and its recommendations. Returns the file and a note on where the
    figures came from."""
    contribution, problems = read_contribution(path)
    if contribution is None:
        raise WordError(str(problems[0]) if problems else f"{display(path)}: cannot be read — check the path")
    body, note = _export_body(contribution)
    hidden = private_fields()
    authors = [a for a in contribution.authors if a.get("name")]
    affiliations = "\n\n".join(escape(f"{a['name']}: " + "; ".join(map(str, a.get("affiliations") or []))
                                      + (f" ({a['country']})" if a.get("country") else ""))
                               for a in ({k: v for k, v in a.items() if k not in hidden} for a in authors))
    recommendations = "\n\n".join(escape(f"{r.get('text', '')} (for: {r.get('audience', '')})")
                                  for r in contribution.listed("recommendations") if isinstance(r, dict))
    if recommendations:
        body = _after_section(body, f'::: {{custom-style="{RECOMMENDATION_STYLE}"}}\n{recommendations}\n:::\n')
    text = (f'::: {{custom-style="Affiliations"}}\n{affiliations}\n:::\n\n' if affiliations else "") + body
    meta = {"title": escape(contribution.title), "author": [escape(str(a["name"])) for a in authors]}
    if contribution.meta.get("abstract"):
        meta["abstract"] = escape(str(contribution.meta["abstract"]))
    target = output or book_root() / "_build" / "word" / f"{contribution.slug}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wpsr-word-") as folder:
        metadata = Path(folder) / "metadata.yaml"
        metadata.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        _pandoc(["-f", EXPORT_READER, "-t", "docx", f"--metadata-file={metadata}", "-o", str(target)],
                display(path), text.encode("utf-8"))
    return target, note


def _after_section(body: str, block: str) -> str:
    """Put a block at the end of the recommendations' section (or of the body, if it has none)."""
    title = next(s["title"] for s in specification()["sections"] if s.get("recommendations"))
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if re.fullmatch(rf"##\s+{re.escape(title)}\s*#*\s*", line)), None)
    if start is None:
        return body.rstrip("\n") + "\n\n" + block
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"##?\s", lines[i])), len(lines))
    return "\n".join([*lines[:end], "", block, *lines[end:]])
