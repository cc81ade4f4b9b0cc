"""The report team's translations: gettext catalogs under ``locales/<language>/LC_MESSAGES/``.

One catalog per page (``chapters/x.po`` for ``chapters/x.md``), made and updated by
``wpsr translate update`` (Sphinx's gettext builder, then sphinx-intl), and one for the toolkit's
own words (``wpsr.po``: banners, menus, notes). A catalog's header records which revision of its
English page it translates (``X-WPSR-Source``, written by ``wpsr translate stamp``), so a page
whose English changed since says so. No Sphinx here: the command line and the build share it.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wpsr.book import book_root
from wpsr.languages import LANGUAGES, SOURCE, TRANSLATIONS
from wpsr.problems import Problem, display

INTERFACE = "wpsr"  # the toolkit's own catalog: locales/<language>/LC_MESSAGES/wpsr.po
SOURCE_HEADER = "X-WPSR-Source"  # the digest of the English page a catalog translates


def locales(root: Path | None = None) -> Path:
    return (root or book_root()) / "locales"


def catalog_path(language: str, docname: str, root: Path | None = None) -> Path:
    return locales(root) / language / "LC_MESSAGES" / f"{docname}.po"


def source_digest(docname: str, root: Path | None = None) -> str:
    """A short digest of the English page: a translation records the one it was made from."""
    path = (root or book_root()) / f"{docname}.md"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else ""


@functools.lru_cache(maxsize=256)
def _read(path: Path, stamp: int) -> Any:
    import polib

    return polib.pofile(str(path), wrapwidth=0)


def read(path: Path) -> Any:
    """A catalog, parsed once while the file is unchanged."""
    return _read(path, path.stat().st_mtime_ns)


@dataclass(frozen=True)
class PageStatus:
    """How much of a page a language has: messages translated, fuzzy, untranslated; and whether the
    English changed since the translation was made."""

    language: str
    docname: str
    total: int
    translated: int
    fuzzy: int
    outdated: bool  # the English page changed after the translation was stamped

    @property
    def untranslated(self) -> int:
        return self.total - self.translated - self.fuzzy


def page_status(language: str, docname: str, root: Path | None = None) -> PageStatus:
    path = catalog_path(language, docname, root)
    if not path.is_file():
        return PageStatus(language, docname, 0, 0, 0, False)
    catalog = read(path)
    entries = [e for e in catalog if not e.obsolete]
    translated = sum(1 for e in entries if e.translated())
    fuzzy = sum(1 for e in entries if "fuzzy" in e.flags)
    stamp = catalog.metadata.get(SOURCE_HEADER, "")
    return PageStatus(language, docname, len(entries), translated, fuzzy,
                      bool(stamp) and stamp != source_digest(docname, root))


def interface(language: str, root: Path | None = None) -> Callable[[str], str]:
    """The toolkit's words in a language: a message's translation, else the English (a translation
    must keep the message's ``{placeholders}``, which `wpsr translate check` verifies)."""
    if language == SOURCE:
        return lambda message: message
    path = catalog_path(language, INTERFACE, root)
    if not path.is_file():
        return lambda message: message
    found = {e.msgid: e.msgstr for e in read(path) if e.translated() and not e.obsolete}
    return lambda message: found.get(message, message)


# --- checks: a catalog never brings broken markup, lost numbers or an unsafe link to a page ----------

LINK_TARGET = re.compile(r"\]\(([^)\s]*)")  # [text](target)
ROLE_TARGET = re.compile(r"<([^<>]+)>`")  # {ref}`text <target>`
CODE = re.compile(r"(?<!\})`[^`]+`")  # not a role's text
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%(?:\([a-z_]+\))?[sd]|\{\{[^}]*\}\}")
ROLE = re.compile(r"\{[a-z-]+\}`")


def markup(text: str) -> Counter:
    """The emphasis, strong emphasis, links and code a message's Markdown has, as MyST's parser reads it
    (a `**` against Chinese punctuation, say, may not open anything), and its roles."""
    tokens = [t for block in _parser().parse(text) for t in (block.children or [])]
    return Counter(t.type for t in tokens if t.type in ("em_open", "strong_open", "link_open", "code_inline")) \
        + Counter(ROLE.findall(text))


@functools.cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
NUMBER = re.compile(r"\d+(?:[.,\u202f\u00a0 ]\d+)*")


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r")\b")


def numbers(text: str) -> list[str]:
    """The numbers a text gives, as digits: a decimal comma or point, and a thin space or a space
    between groups of digits, are written as the language wants, so they are left out."""
    return sorted(re.sub(r"\D", "", n) for n in NUMBER.findall(text))


def numbers_kept(english: str, translation: str) -> bool:
    """Whether a translation gives every number of its English, and no other, except the number of a
    month the English names (Chinese writes 9 August 2022 as 2022年8月9日)."""
    given, source = Counter(numbers(translation)), Counter(numbers(english))
    months = Counter(str(MONTHS.index(m) + 1) for m in MONTH.findall(english))
    return not source - given and not (given - source) - months


def entry_problems(msgid: str, msgstr: str) -> list[tuple[str, str]]:
    """What a translation changes that it must keep: (what, how to fix it)."""
    from wpsr.book import safe_link

    found = []
    for name, pattern in (("link targets", LINK_TARGET), ("role targets", ROLE_TARGET), ("code", CODE),
                          ("placeholders", PLACEHOLDER)):
        source, translation = sorted(pattern.findall(msgid)), sorted(pattern.findall(msgstr))
        if source != translation:
            found.append((f"its {name} differ from the English ({', '.join(source) or 'none'} in the English, "
                          f"{', '.join(translation) or 'none'} here)",
                          f"keep the {name} exactly as the English has them"))
    unsafe = [t for t in LINK_TARGET.findall(msgstr) if not safe_link(t)]
    if unsafe:
        found.append((f"a link to {unsafe[0]!r}, which a page does not publish",
                      "links are http(s), mailto or within the site, as in the English"))
    if markup(msgid) != markup(msgstr):
        found.append(("its emphasis or roles differ from the English", "keep each **bold**, *emphasis* and {role}`…`"))
    if not numbers_kept(msgid, msgstr):
        found.append((f"its numbers differ from the English ({' '.join(numbers(msgid)) or 'none'} in the English, "
                      f"{' '.join(numbers(msgstr)) or 'none'} here)",
                      "give every number of the English, with the same digits"))
    return found


PO_LINE = re.compile(r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"|#.*|')


def syntax_problem(text: str) -> tuple[int, str] | None:
    """The first line a gettext parser would refuse (readers as lenient as polib and Babel guess at
    it instead): (line, what)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not PO_LINE.fullmatch(line.strip()):
            opened = line.count('"') % 2 == 1
            return number, "a string is not closed on its line" if opened else f"not a catalog line: {line.strip()!r}"
    return None


def catalogs(root: Path | None = None, language: str | None = None) -> list[Path]:
    """Every translation's catalogs (or one language's)."""
    languages = [language] if language else TRANSLATIONS
    return sorted(p for code in languages for p in (locales(root) / code).rglob("*.po"))


def check(paths: list[Path] | None = None) -> list[Problem]:
    """Every catalog's problems, located: errors for what would break a page, warnings for what is not
    translated yet, fuzzy, or translates an English page that has changed since."""
    root = book_root()
    found: list[Problem] = []
    for path in paths or catalogs(root):
        valid, problems = _catalog_problems(path)
        found += problems
        if not valid:
            continue
        language, _, *parts = path.relative_to(locales(root)).with_suffix("").parts  # LANGUAGE/LC_MESSAGES/page
        docname = "/".join(parts)
        if docname != INTERFACE and page_status(language, docname, root).outdated:
            found.append(Problem(display(path), 1, f"{docname}.md has changed since this translation was made",
                                 "update the translation, then `wpsr translate stamp` it", severity="warning"))
    return found


def _catalog_problems(path: Path) -> tuple[bool, tuple[Problem, ...]]:
    """Whether a catalog can be read, and its own problems (its syntax, or what each translation
    breaks or has yet to do): found once while the file is unchanged (each builder of a language
    checks its catalogs before it starts, a publish runs two, and a preview checks before each
    rebuild)."""
    try:
        stat = path.stat()
    except OSError:  # gone, or never there: said as a catalog that cannot be read
        return _problems_of(path, display(path), None, None)
    return _problems_of(path, display(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _problems_of(path: Path, shown: Path, mtime_ns: int | None, size: int | None) -> tuple[bool, tuple[Problem, ...]]:
    found, catalog = [], None
    try:
        broken = syntax_problem(path.read_text(encoding="utf-8"))
        catalog = None if broken else read(path)
    except (OSError, UnicodeDecodeError, ValueError) as err:
        line = re.search(r"line (\d+)", str(err))
        broken = (int(line.group(1)) if line else 1, str(err))
    if broken:
        found.append(Problem(shown, broken[0], f"not a valid catalog: {broken[1]}",
                             "fix the line (a quoted string per line, `\\\"` for a quotation mark), or run "
                             "`wpsr translate update`"))
    for entry in catalog or ():
        if entry.obsolete or not entry.msgid:
            continue
        if "fuzzy" in entry.flags:  # never shown (the page shows the English, marked): it translates older English
            found.append(Problem(shown, entry.linenum, "fuzzy: the English changed since it was translated",
                                 "check the translation against the English, then remove the `#, fuzzy` line",
                                 severity="warning"))
            continue
        if not entry.translated():
            continue  # counted by `wpsr translate status`: the page shows the English, marked
        for what, how in entry_problems(entry.msgid, entry.msgstr):
            found.append(Problem(shown, entry.linenum, what, how))
    return not broken, tuple(found)


def status(root: Path | None = None) -> dict[str, list[PageStatus]]:
    """For each translation, the status of each page of the book (_toc.yml's; a catalog may not exist yet)."""
    from wpsr.book import toc_files

    pages = sorted(toc_files())
    return {language: [page_status(language, docname, root) for docname in pages] for language in TRANSLATIONS}


def status_lines(root: Path | None = None) -> list[str]:
    """`wpsr translate status`: per language, the pages and messages translated, then the pages not done."""
    lines = []
    for language, found in status(root).items():
        total, done = sum(s.total for s in found), sum(s.translated for s in found)
        complete = sum(1 for s in found if s.total and s.translated == s.total and not s.outdated)
        lines.append(f"{language} ({LANGUAGES[language].english}): {complete} of {len(found)} pages complete, "
                     f"{done} of {total} messages translated ({done / total:.0%})" if total else
                     f"{language} ({LANGUAGES[language].english}): no catalog yet")
        for s in found:
            if s.total and (s.translated < s.total or s.outdated):
                lines.append(f"  {s.docname}: {s.translated}/{s.total}" + (f", {s.fuzzy} fuzzy" if s.fuzzy else "")
                             + (", English changed since" if s.outdated else ""))
    return lines


# --- keeping catalogs in step with the English ---------------------------------------------------

def extract_interface(target: Path) -> int:
    """The toolkit's own words (each ``_("…")`` in wpsr/) as a template catalog: how many."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import write_po

    catalog = Catalog(project="World Public Sector Report 2023", charset="utf-8")
    package = Path(__file__).parent
    for filename, line, message, _comments, _context in extract_from_dir(
            package, method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
            keywords={"_": None, "N_": None}):
        catalog.add(message, locations=[(f"wpsr/{filename}", line)])
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        write_po(out, catalog, width=0, omit_header=False)
    return len(catalog)


def update(root: Path, progress: Callable[[str], None] = print) -> list[Problem]:
    """Extract every page's messages (Sphinx's gettext builder) and the toolkit's, and merge them into
    each language's catalogs: new messages untranslated, changed ones fuzzy. The build's problems if
    it failed, else none."""
    from sphinx_intl.basic import update as merge

    from wpsr.build import Settings, build
    from wpsr.contributions import FOLDER
    from wpsr.contributions import read as read_contribution

    # every page read again: a directive's words come from data and code that Sphinx does not watch
    result = build(root, Settings(builder="gettext", fresh=True), progress=lambda message: None)
    if not result.ok:
        return result.problems + result.warnings
    templates = root / "_build" / "gettext"
    for contribution in [c for c in (read_contribution(p)[0] for p in sorted((root / FOLDER).glob("*.md")))
                         if c and c.language != SOURCE]:
        (templates / f"{contribution.docname}.pot").unlink(missing_ok=True)  # written in another language
    own = extract_interface(templates / f"{INTERFACE}.pot")
    progress(f"Extracted the messages of {len(result.pages_read)} page(s) and {own} of the toolkit "
             f"into {display(templates)}.")
    merge(str(locales(root)), str(templates), list(TRANSLATIONS), line_width=0)
    return []


def stamp(language: str, docnames: list[str], root: Path | None = None) -> list[str]:
    """Record that these pages' catalogs translate their English as it is now; the pages stamped."""
    import polib

    done = []
    for docname in docnames:
        path = catalog_path(language, docname, root)
        if not path.is_file():
            continue
        catalog = polib.pofile(str(path), wrapwidth=0)
        catalog.metadata[SOURCE_HEADER] = source_digest(docname, root)
        catalog.save()
        done.append(docname)
    return done


__all__ = ["INTERFACE", "LANGUAGES", "SOURCE", "TRANSLATIONS", "PageStatus", "catalog_path", "check", "interface",
           "page_status", "read", "source_digest"]
