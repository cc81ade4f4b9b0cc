"""Expert contributions: MyST notebooks in ``contributions/`` whose front matter is their metadata.

The specification (``specification.yaml`` beside this file) says what a contribution holds;
this module reads contributions, lists them in table-of-contents order and derives what the
pages show from their metadata: citations, BibTeX and related contributions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wpsr.book import Loader, book_root, chapters, front_matter_end, parse_yaml, yaml_error
from wpsr.data import log_dependency, package
from wpsr.problems import Problem, display, line_at

SPECIFICATION = Path(__file__).with_name("specification.yaml")
FOLDER = "contributions"
NOTEBOOK_KEYS = ("jupytext", "kernelspec")  # front matter that belongs to Jupytext, not to us


@functools.cache
def specification() -> dict[str, Any]:
    """The specification for expert contributions."""
    return yaml.load(SPECIFICATION.read_text(encoding="utf-8"), Loader=Loader)


def section_titles(section: dict[str, Any], language: str) -> list[str]:
    """A section's titles in a language (``specification.yaml``: the first is the one to write)."""
    if language == "en":
        return [section["title"]]
    given = (section.get("titles") or {}).get(language) or [section["title"]]
    return [given] if isinstance(given, str) else list(given)


def private_fields() -> set[str]:
    """Author fields never shown or published (e.g. email)."""
    spec = specification()["fields"]["authors"]["items"]["fields"]
    return {name for name, rule in spec.items() if rule.get("private")}


@dataclass
class Contribution:
    """One contribution: its file, its metadata and its body, with line numbers for messages."""

    path: Path
    text: str
    meta: dict[str, Any]
    body_start: int  # line number of the first body line
    lines: dict[tuple, int] = field(default_factory=dict)  # metadata key path -> line number

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def docname(self) -> str:
        return f"{FOLDER}/{self.slug}"

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.slug))

    @property
    def language(self) -> str:
        """The language it is written in (front matter ``language:``; English if left out)."""
        return str(self.meta.get("language") or "en")

    @property
    def translation_of(self) -> str | None:
        """The slug of the contribution this one translates, if it is a translation."""
        value = self.meta.get("translation_of")
        return str(value) if value else None

    @property
    def chapter(self) -> int | None:
        value = self.meta.get("chapter")
        return value if type(value) is int else None  # not a bool

    @property
    def authors(self) -> list[dict[str, Any]]:
        authors = self.meta.get("authors")
        return [a for a in authors if isinstance(a, dict)] if isinstance(authors, list) else []

    def listed(self, key: str) -> list[Any]:
        value = self.meta.get(key)
        return value if isinstance(value, list) else []

    @property
    def body(self) -> list[str]:
        return self.text.splitlines()[self.body_start - 1:]

    def line(self, *path: str | int) -> int:
        """The line of a metadata key (or of its nearest enclosing key that exists)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def public_text(self) -> str:
        """The source to publish: its front matter written anew from the parsed metadata without the
        private author fields (e.g. email), however they were written (folded, quoted, flow style,
        given twice), then the body as it is."""
        hidden = private_fields()
        meta = dict(self.meta)
        if isinstance(meta.get("authors"), list):
            meta["authors"] = [{k: v for k, v in a.items() if k not in hidden} if isinstance(a, dict) else a
                               for a in meta["authors"]]
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
        return "---\n" + front + "---\n" + "".join(self.text.splitlines(keepends=True)[self.body_start - 1:])


@dataclass(frozen=True)
class Summary:
    """What other pages show of a contribution: cards, key messages, sub-topics, related lists.

    Collected once as a page is read; the pages that show it are re-written, not re-read,
    when it changes."""

    docname: str
    slug: str
    title: str
    chapter: int | None
    subtopic: str
    status: str
    names: str  # "A and B"
    byline: str  # "A and B", or "the report team" mid-sentence
    abstract: str
    sdgs: tuple[str, ...]
    countries: tuple[str, ...]
    keywords: tuple[str, ...]
    recommendations: tuple[tuple[str, str], ...]  # (text, audience)

    @classmethod
    def of(cls, c: Contribution) -> Summary:
        return cls(c.docname, c.slug, c.title, c.chapter, str(c.meta.get("subtopic", "")),
                   str(c.meta.get("status", "")), author_names(c), byline(c),
                   " ".join(str(c.meta.get("abstract", "")).split()),
                   *(tuple(str(v) for v in c.listed(key)) for key in ("sdgs", "countries", "keywords")),
                   tuple((str(r.get("text", "")), str(r.get("audience", "")))
                         for r in c.listed("recommendations") if isinstance(r, dict)))


def _key_lines(node: yaml.Node, prefix: tuple, offset: int, out: dict[tuple, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, key.value)
            out[path] = key.start_mark.line + offset
            _key_lines(value, path, offset, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            out[(*prefix, index)] = item.start_mark.line + offset
            _key_lines(item, (*prefix, index), offset, out)


def read(path: Path) -> tuple[Contribution | None, list[Problem]]:
    """Read a contribution; on input that cannot be read, one clear problem instead."""
    def fail(line: int, message: str, hint: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display(path), line, message, hint)]

    if path.suffix == ".ipynb":
        return fail(1, "a Jupyter notebook (.ipynb) cannot be published as it is",
                    f"convert it with `wpsr new --from {display(path)}`, then delete the .ipynb")
    raw = path.read_bytes()
    if not raw.strip():
        return fail(1, "the file is empty", "start from the template: `wpsr new --help`")
    try:
        if b"\0" in raw:
            raise UnicodeDecodeError("utf-8", raw, raw.index(b"\0"), raw.index(b"\0") + 1, "NUL byte")
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return fail(line_at(raw, err.start), "not a UTF-8 text file (binary or another encoding)",
                    "a contribution is a MyST Markdown notebook: save it as UTF-8 text")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return fail(1, "no front matter", "the file must start with a `---` line, the metadata, and a "
                    "closing `---` line; `wpsr new` writes them for you")
    end = front_matter_end(lines)
    if end is None:
        return fail(1, "the front matter is never closed", "add a `---` line after the metadata")
    header = "\n".join(lines[1:end])
    try:
        node, meta = parse_yaml(header)
    except yaml.YAMLError as err:
        line, what, hint = yaml_error(err, "the front matter is not valid YAML",
                                      "check the indentation and quote values that contain ':' or start with '['")
        return fail(line + 1, what, hint)  # the front matter starts on line 2
    if not isinstance(meta, dict):
        return fail(2, "the front matter is not a set of `key: value` lines", "see the template from `wpsr new`")
    key_lines: dict[tuple, int] = {}
    _key_lines(node, (), 2, key_lines)
    return Contribution(path, text, meta, end + 2, key_lines), []


def subtopics() -> dict[str, dict[str, Any]]:
    """The sub-topics contributions answer (data/subtopics.csv), by id, each row typed (chapter: an int)."""
    return {row["id"]: row for row in _records("subtopics")}


def print_edition() -> dict[str, list[str]]:
    """The 2023 print edition's contributions (data/print_edition.csv) by the sub-topic they evidently take up."""
    by_subtopic: dict[str, list[str]] = {}
    for row in _records("print-edition"):
        if row["subtopic"]:
            by_subtopic.setdefault(row["subtopic"], []).append(row["title"])
    return by_subtopic


def _records(name: str) -> tuple[dict[str, Any], ...]:
    """A dataset's rows, typed, read through its Resource (checked against its schema: DataError, located, if
    broken) and cached until its CSV changes."""
    path = package().resource(name).path
    log_dependency(path)
    stat = path.stat()
    return _read(name, path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read(name: str, path: Path, mtime_ns: int, size: int) -> tuple[dict[str, Any], ...]:
    return tuple(package().resource(name).records())


def files() -> list[Path]:
    """Every file in contributions/ (hidden files and checkpoints aside)."""
    folder = book_root() / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_")))


def published(wanted: Callable[[str], bool] = lambda docname: True) -> list[Contribution]:
    """The contributions the table of contents publishes, chapter by chapter, that can be read
    (only those whose docname is `wanted`)."""
    out = []
    log_dependency(book_root() / "_toc.yml")  # a notebook that lists contributions depends on the list
    for chapter in chapters():
        for docname in chapter["sections"]:
            path = book_root() / f"{docname}.md"
            if docname.startswith(f"{FOLDER}/") and wanted(docname) and path.is_file():
                log_dependency(path)
                contribution, problems = read(path)
                if contribution and not problems:
                    out.append(contribution)
    return out


# --- what the pages show ------------------------------------------------------------

def author_names(contribution: Contribution) -> str:
    names = [str(a.get("name", "")) for a in contribution.authors]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def byline(contribution: Contribution) -> str:
    """The authors as they read mid-sentence ("by the report team", "by A and B")."""
    names = author_names(contribution)
    return "the" + names[3:] if names.startswith("The ") else names


def citation(contribution: Contribution, edition: Any, url: str) -> str:
    """A formatted reference to the contribution in this edition."""
    return (f"{author_names(contribution)} ({edition.date.year}). {contribution.title}. "
            f"In United Nations Department of Economic and Social Affairs, {edition.title}, "
            f"chapter {contribution.chapter}, living report edition {edition.id}. {url}")


BIBTEX_SPECIALS = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                   **{ch: "\\" + ch for ch in "&%$#_{}"}}


def _bibtex_escape(text: str) -> str:
    """Text as BibTeX shows it, never as commands: each special character escaped."""
    return "".join(BIBTEX_SPECIALS.get(ch, ch) for ch in text)


def bibtex(contribution: Contribution, edition: Any, url: str) -> str:
    """The contribution as a BibTeX @incollection entry."""
    authors = " and ".join("{" + _bibtex_escape(str(a.get("name", ""))) + "}"
                           if str(a.get("name", "")).lower().startswith("the ")
                           else _bibtex_escape(str(a.get("name", ""))) for a in contribution.authors)
    fields = {
        "author": authors,
        "title": "{" + _bibtex_escape(contribution.title) + "}",
        "booktitle": _bibtex_escape(edition.title),
        "chapter": str(contribution.chapter),
        "publisher": "{United Nations Department of Economic and Social Affairs}",
        "address": "New York",
        "year": str(edition.date.year),
        "edition": f"Living report edition {_bibtex_escape(edition.id)}",
        "url": url,
    }
    return bibtex_entry("incollection", f"wpsr{edition.id}{contribution.slug}", fields)


def bibtex_entry(kind: str, key: str, fields: dict[str, str]) -> str:
    """A BibTeX entry of fields already escaped (``_bibtex_escape``), its key made of word characters."""
    key = re.sub(r"\W", "", key)
    return f"@{kind}{{{key},\n" + ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items()) + "\n}"


def related(summary: Summary, others: list[Summary], limit: int = 3) -> list[Summary]:
    """The contributions sharing most with this one: sub-topic, SDGs, countries, keywords."""
    def shared(other: Summary) -> int:
        same_subtopic = 3 * (other.subtopic == summary.subtopic)
        return same_subtopic + sum(len({v.lower() for v in getattr(summary, key)} &
                                       {v.lower() for v in getattr(other, key)})
                                   for key in ("sdgs", "countries", "keywords"))

    scored = [(shared(o), o.slug, o) for o in others if o.slug != summary.slug]
    return [o for score, _, o in sorted(scored, key=lambda s: (-s[0], s[1])) if score > 0][:limit]
