"""Where the book is: the folder holding ``_config.yml`` and ``data/``."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser, where it is installed


class ImpossibleDate(yaml.constructor.ConstructorError):
    """A YAML date that does not exist, such as 2026-02-30 (PyYAML raises a bare ValueError)."""


class Loader(SafeLoader):  # type: ignore[misc, valid-type]
    """The one way the toolkit reads YAML: safe, and every error a located ``yaml.YAMLError``."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as err:
            raise ImpossibleDate(None, None, f"{node.value!r} is not a date that exists ({err})",
                                 node.start_mark) from None


Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)


def parse_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """YAML text as its node tree (whose marks give each key's line) and its value; raises yaml.YAMLError."""
    node = yaml.compose(text, Loader=Loader)
    return node, Loader("").construct_document(node) if node is not None else None


def yaml_error(err: yaml.YAMLError, what: str, hint: str) -> tuple[int, str, str]:
    """A YAML error as (line, counted from 1 in the text parsed; what is wrong; how to fix it): `what`
    and `hint` say it of broken syntax, an impossible date is named as such."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark else 1
    if isinstance(err, ImpossibleDate):
        return line, str(err.problem), "write a date that exists, as YYYY-MM-DD"
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    context = getattr(err, "context_mark", None)
    if context and mark and context.line != mark.line and getattr(err, "context", None):
        problem += f", {err.context} on line {context.line + 1}"  # e.g. a list opened there, never closed
    return line, f"{what} ({problem})", hint


BOOK_ROOT_ENV = "WPSR_BOOK_ROOT"
_BUILDING: list[Path] = []  # the books being built in this process, innermost last (see `building`)


@contextlib.contextmanager
def building(root: Path) -> Iterator[Path]:
    """While a build of the book at `root` runs in this process, `book_root()` is that book."""
    _BUILDING.append(root.resolve())
    try:
        yield _BUILDING[-1]
    finally:
        _BUILDING.pop()


def build_started(root: Path) -> bool:
    """A build of the book at `root` has started in this process, outside `building` (jupyter-book's
    own): True if this call made it the book being built (`build_finished` then forgets it)."""
    if root.resolve() in _BUILDING:
        return False
    _BUILDING.append(root.resolve())
    return True


def build_finished(root: Path) -> None:
    """The build that `build_started` noted is over: `book_root()` is what it was before."""
    if root.resolve() in _BUILDING:
        _BUILDING.remove(root.resolve())


def book_root() -> Path:
    """The book's root: the book being built in this process, else $WPSR_BOOK_ROOT, else the nearest
    folder up from here with a _config.yml."""
    if _BUILDING:
        return _BUILDING[-1]
    if os.environ.get(BOOK_ROOT_ENV):
        return Path(os.environ[BOOK_ROOT_ENV]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "data").is_dir():
            return folder
    raise FileNotFoundError(
        f"no book found at or above {here} — run from inside the book, or set {BOOK_ROOT_ENV}"
    )


def toc_path() -> Path:
    return book_root() / "_toc.yml"


def read_yaml(path: Path) -> Any:
    """A YAML file, parsed once for each version of it (a build asks for _toc.yml many times)."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)


def chapters() -> list[dict[str, Any]]:
    """The report's chapters in _toc.yml order: number, file and the contributions listed under it.

    The table of contents is the one list of what is published: chapter N is the Nth entry
    under ``chapters/``, and its contributions are that entry's sections.
    """
    toc = read_yaml(toc_path()) or {}
    entries = [entry for part in toc.get("parts", []) for entry in part.get("chapters", [])]
    found = [e for e in entries if str(e.get("file", "")).startswith("chapters/")]
    return [{"number": number, "file": entry["file"],
             "sections": [s["file"] for s in entry.get("sections") or [] if "file" in s]}
            for number, entry in enumerate(found, start=1)]


def toc_files() -> list[str]:
    """Every page _toc.yml lists (its root, chapters and sections at any depth), without suffix."""
    found: list[str] = []

    def walk(entry: Any) -> None:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if key in ("root", "file") and isinstance(value, str):
                    found.append(value.rsplit(".", 1)[0] if value.endswith((".md", ".ipynb")) else value)
                else:
                    walk(value)
        elif isinstance(entry, list):
            for item in entry:
                walk(item)

    walk(read_yaml(toc_path()))
    return found


def source_problems() -> list:
    """What stops the book from being read at all, each located: a broken _toc.yml, a page it lists
    that is missing, and a page that is not UTF-8 text."""
    from wpsr.problems import Problem, line_at

    path = toc_path()
    try:
        read_yaml(path)
    except FileNotFoundError:
        return [Problem("_toc.yml", None, "the table of contents is missing", "restore _toc.yml from git")]
    except yaml.YAMLError as err:
        line, what, hint = yaml_error(err, "not valid YAML", "indent each `- file:` under its `chapters:` or "
                                      "`sections:` by two more spaces than them")
        return [Problem("_toc.yml", line, what, hint)]
    text = path.read_text(encoding="utf-8")
    problems = []
    for docname in toc_files():
        page = next((book_root() / f"{docname}{suffix}" for suffix in ("", ".md", ".ipynb")
                     if (book_root() / f"{docname}{suffix}").is_file()), None)
        line = line_at(text, max(text.find(docname), 0))
        if page is None:
            problems.append(Problem("_toc.yml", line, f"lists '{docname}', but there is no {docname}.md",
                                    "correct the name (without .md), or remove the entry"))
            continue
        shown = page.relative_to(book_root())
        if not page.resolve().is_relative_to(book_root()):
            problems.append(Problem(shown, None, f"a link to {page.resolve()}, outside the book",
                                    "replace the link with the file itself"))
            continue
        raw = page.read_bytes()
        if docname.startswith("contributions/") and not raw.removeprefix(b"\xef\xbb\xbf").startswith(b"---"):
            problems.append(Problem(shown, 1, "a contribution without front matter cannot be built",
                                    "start the file with its metadata between two `---` lines (wpsr new writes them)"))
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as err:
            problems.append(Problem(page.relative_to(book_root()), line_at(raw, err.start),
                                    f"not UTF-8 text (byte 0x{raw[err.start]:02x})",
                                    "save the file as UTF-8 (most editors: File, Save with encoding)"))
    return problems


WATCHED = ("chapters", "contributions", "annexes", "data", "locales")  # with the top-level .md and .yml files


def source_state(root: Path) -> dict[str, int]:
    """Every source file a build reads, with its modification time."""
    files = [*root.glob("*.md"), *root.glob("*.yml"), *root.glob("*.yaml"),
             *(p for folder in WATCHED for p in (root / folder).rglob("*") if p.is_file())]
    return {str(p): p.stat().st_mtime_ns for p in files
            if not p.name.startswith(".") and p.suffix != ".mo"}  # a .mo is built from its .po


def front_matter_end(lines: list[str]) -> int | None:
    """The index of the line closing a page's front matter (the page's first line is `---`), or None
    when the page has none or never closes it."""
    if not lines or lines[0].strip() != "---":
        return None
    return next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)


def page_title(docname: str) -> str:
    """A page's title: its first level-1 heading."""
    path = book_root() / f"{docname}.md"
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return docname


# Addresses, one rule for the whole book: links in pages and contributions, and the sources and
# licences of datasets, are web addresses (http, https), mailto: or relative paths.
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
WEB_ADDRESS = re.compile(r"https?://[^\s/$.?#][^\s]*", re.I)


def safe_link(target: str) -> bool:
    """Whether a link may be published: http(s), mailto, or relative (no scheme at all). Read as a
    browser reads it: tabs and line breaks anywhere, and spaces or controls around it, are dropped
    first (`jav&#x09;ascript:` is javascript:); any other control character is refused."""
    target = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", re.sub(r"[\t\n\r]", "", target))
    if re.search(r"[\x00-\x1f\x7f]", target):
        return False
    return not SCHEME.match(target) or re.match(r"(https?|mailto):", target, re.I) is not None


def slug(text: str, words: int | None = None) -> str:
    """A name for a file or an anchor: lower-case words (the first `words` of them) joined by hyphens.

    Accents are dropped from Latin letters ("Gouvernance numérique" is gouvernance-numerique);
    other scripts keep their letters, so a Cyrillic, Arabic or Chinese title has a stable,
    readable slug too."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "-".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFC", plain))[:words])
