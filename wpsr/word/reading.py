"""A Word document read as a new contribution: its properties, the six sections matched by their titles,
the MyST Markdown written, and what to fix located in it."""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
import tempfile
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wpsr.contributions import read as read_contribution
from wpsr.contributions import section_titles as contribution_titles
from wpsr.contributions import specification
from wpsr.problems import Problem, display
from wpsr.safety import IMAGE_TYPES, safe_csv, svg_problem
from wpsr.template import section_text
from wpsr.word.pandoc import _pandoc
from wpsr.word.refusals import _member, _xml, inspect
from wpsr.word.tree import NO_ATTR, _text, _Tree, plain, plain_blocks

GENERIC_AUTHORS = {"", "author", "user", "owner", "admin", "administrator", "unknown", "python-docx",
                   "microsoft office user", "windows user", "utilisateur", "usuario", "пользователь"}
NUMBER_CELL = re.compile(r"[-+−–(]?\s*\d[\d\s.,\u00a0\u202f]*\)?\s*%?|[-–—.…]*|n/?a", re.I)
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"


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
    return [[section["title"], *(title for language in section.get("titles") or {}
                                 for title in contribution_titles(section, language))]
            for section in specification()["sections"]]


def match_section(text: str) -> int | None:
    """The index of the section a heading names, in any of the six languages, or None."""
    key = heading_key(text)
    return next((index for index, titles in enumerate(section_titles())
                 if key and key in {heading_key(title) for title in titles}), None)



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

