"""What is refused before pandoc reads a document: not a Word file, empty or too large, encrypted,
macro-enabled, or with tracked changes or comments; each WordError says why and what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from wpsr.problems import display
from wpsr.word.pandoc import WordError

SUFFIXES = (".docx", ".odt")  # what `wpsr new --from` converts
MACRO_SUFFIXES = (".docm", ".dotm")
ROUTED = (*SUFFIXES, *MACRO_SUFFIXES, ".doc")  # what `wpsr new --from` sends here, to convert or to refuse
MAX_BYTES = 50_000_000  # a document of 50 MB or more is refused
MAX_UNPACKED = 300_000_000  # what its package may unpack to (a zip bomb is refused)
OLE = bytes.fromhex("d0cf11e0a1b11ae1")  # an OLE compound file: a Word 97-2003 .doc, or an encrypted .docx

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TRACKED = {"ins", "del", "moveFrom", "moveTo", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange",
           "trPrChange", "tcPrChange", "tblGridChange", "numberingChange", "cellIns", "cellDel", "cellMerge"}
DOCX_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


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
