"""``wpsr check``: every contribution against the specification, without executing anything.

Each problem reads ``path:line: what is wrong — how to fix it``. Errors fail the check (and
the build); warnings are advice. In a draft, the rules about length and placeholders warn
instead of failing, so a work in progress can be previewed.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pycountry
import yaml

from wpsr.book import SCHEME, WEB_ADDRESS, book_root, chapters, parse_yaml, safe_link, toc_files, yaml_error
from wpsr.contributions import FOLDER, NOTEBOOK_KEYS, Contribution, files, read, specification, subtopics
from wpsr.editions import SUBSTITUTIONS
from wpsr.problems import Problem, display
from wpsr.safety import invisible_characters

ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DIRECTIVE = re.compile(r"\{([\w:-]+)\}")
TABLE_DIRECTIVES = {"table", "list-table", "csv-table"}
NOT_PROSE = TABLE_DIRECTIVES | {"code-cell", "code", "code-block", "math", "raw", "glue:figure", "mermaid"}
# A link target markdown-it left as text (it does so with javascript: and data: addresses); the
# link rules (book.safe_link) then judge it like any other.
LINK_IN_TEXT = re.compile(r"\]\(\s*([a-z][a-z0-9+.-]*:(?:[^()\s]|\([^()\s]*\))*)\)", re.I)
# Markup in a metadata value, which is shown as typed: HTML tags or entities, MyST roles,
# Markdown links and code.
MARKUP = re.compile(r"<[a-z/!?][^>]*>|&#?\w+;|\{[\w:-]+\}`|\]\(|`", re.I)


# --- the body, as markdown-it tokens (MyST's own parser) ---------------------------------

@dataclass
class Body:
    """What the rules look at in a contribution's body, each with its line in the file."""

    headings: list[tuple[int, int, str]] = field(default_factory=list)  # (level, line, text)
    cells: list[tuple[int, str]] = field(default_factory=list)  # (line of the code, code)
    tables: list[int] = field(default_factory=list)  # line of each Markdown table or table directive
    links: list[tuple[int, str]] = field(default_factory=list)  # (line, target): inline and reference links
    roles: list[tuple[int, str, str]] = field(default_factory=list)  # (line, role, content)
    html: list[tuple[int, str]] = field(default_factory=list)  # (line, raw HTML)
    directives: list[tuple[int, str, str, dict[str, str]]] = field(default_factory=list)  # line, name, arg, options
    substitutions: list[tuple[int, str]] = field(default_factory=list)  # (line, expression) of each {{ … }}
    unclosed: list[tuple[int, str]] = field(default_factory=list)  # (line, fence) of fences never closed
    words: int = 0  # words of prose a reader reads


@functools.cache
def _markdown() -> Any:
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions={"colon_fence", "deflist", "substitution"}),
                            RendererHTML)


def parse(contribution: Contribution) -> Body:
    """The contribution's body as MyST reads it: ATX and setext headings, reference links, HTML."""
    body = Body()
    _collect("\n".join(contribution.body), contribution.body_start, body)
    return body


def _words(text: str) -> int:
    return sum(1 for token in text.split() if re.search(r"\w", token))


def _collect(text: str, first_line: int, body: Body) -> None:
    tokens = _markdown().parse(text)
    heading = table = 0
    for index, token in enumerate(tokens):
        line = first_line + (token.map[0] if token.map else 0)
        kind = token.type
        if kind == "heading_open":
            heading = 1
            body.headings.append((int(token.tag[1]), line, tokens[index + 1].content.strip()))
        elif kind == "heading_close":
            heading = 0
        elif kind == "table_open":
            table += 1
            body.tables.append(line)
        elif kind == "table_close":
            table -= 1
        elif kind == "html_block":
            body.html.append((line, token.content.strip()))
        elif kind in ("fence", "colon_fence"):
            match = DIRECTIVE.match(token.info.strip())
            name = match.group(1) if match else ""
            if not _closed(token, text):
                body.unclosed.append((line, token.markup))
            if name:
                body.directives.append((line, name, token.info.strip()[match.end():].strip(),
                                        _option_values(token.content.splitlines())))
            if name == "code-cell":
                body.cells.append((line + 1, token.content))
            elif name in TABLE_DIRECTIVES:
                body.tables.append(line)
            elif name and name not in NOT_PROSE:  # an admonition or a figure: its content is prose
                lines = token.content.splitlines()
                skip = _options(lines)
                _collect("\n".join(lines[skip:]), line + 1 + skip, body)
        elif kind == "inline":
            _inline(token, line, body, prose=not heading and not table)
        elif kind == "substitution_block":
            body.substitutions.append((line, token.content))


def _closed(token: Any, text: str) -> bool:
    """Whether a fence has its closing line (markdown-it runs an unclosed one to the end of the page)."""
    lines = text.split("\n")
    end = token.map[1] if token.map else 0
    if end - 1 <= token.map[0] or end > len(lines):
        return False
    last = lines[end - 1].strip()
    return last.startswith(token.markup) and not last.strip(token.markup[0])


def _option_values(lines: list[str]) -> dict[str, str]:
    """A directive's options, ``:name: value`` lines or a YAML block, as text."""
    head = lines[:_options(lines)]
    if head and head[0].strip() == "---":
        try:
            values = yaml.safe_load("\n".join(head[1:-1])) or {}
        except yaml.YAMLError:
            return {}
        return {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
    return {m.group(1): m.group(2).strip() for m in (re.match(r"\s*:([\w-]+):(.*)", line) for line in head) if m}


def code_cells(text: str) -> list[tuple[int, str]]:
    """A page's code cells, after its front matter: (line of their first line of code, code)."""
    return _body_of(text).cells


def _body_of(text: str) -> Body:
    lines = text.split("\n")
    end = 0
    if lines and lines[0].strip() == "---":
        end = next((i + 1 for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
    body = Body()
    _collect("\n".join(lines[end:]), end + 1, body)
    return body


def substitutions(text: str) -> list[tuple[int, str]]:
    """Every MyST substitution (``{{ … }}``) in a page's text, after its front matter: (line, expression)."""
    return _body_of(text).substitutions


def _options(lines: list[str]) -> int:
    """How many lines of a directive's content are its options (``:name: value`` or a YAML block)."""
    if lines and lines[0].strip() == "---":
        return next((i + 1 for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0)
    return next((i for i, line in enumerate(lines) if not re.match(r"\s*:[\w-]+:", line)), len(lines))


def _inline(token: Any, line: int, body: Body, *, prose: bool) -> None:
    for child in token.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            body.links.append((line, str(child.attrGet("href") or "")))
        elif child.type == "image":
            body.links.append((line, str(child.attrGet("src") or "")))
        elif child.type == "myst_role":
            body.roles.append((line, child.meta.get("name", ""), child.content))
            body.words += prose and _words(child.content)
        elif child.type == "html_inline":
            body.html.append((line, child.content))
        elif child.type == "substitution_inline":
            body.substitutions.append((line, child.content))
        elif child.type in ("text", "code_inline"):
            if child.type == "text":  # markdown-it leaves javascript: and data: links as text: still a mistake
                body.links += [(line, target) for target in LINK_IN_TEXT.findall(child.content)]
            body.words += prose and _words(child.content)
            line += child.content.count("\n")


def word_count(contribution: Contribution) -> int:
    return parse(contribution).words


# --- metadata ---------------------------------------------------------------------------

class Context:
    """What the rules compare against: sub-topics, chapters, countries, labels."""

    def __init__(self) -> None:
        self.subtopics = subtopics()
        self.chapters = chapters()
        self.countries = {c.alpha_3 for c in pycountry.countries}
        self.labels: set[str] | None = None

    def all_labels(self) -> set[str]:
        if self.labels is None:
            root = book_root()
            pages = [p for folder in ("chapters", "annexes", FOLDER) for p in (root / folder).glob("*.md")]
            self.labels = {m for p in [*pages, root / "index.md"] if p.is_file()
                           for m in re.findall(r"^\(([^)\s]+)\)=\s*$", p.read_text(encoding="utf-8",
                                                                             errors="replace"), re.M)}
        return self.labels


class MetadataRules:
    """Front matter against the specification's ``fields``."""

    def __init__(self, contribution: Contribution, context: Context, report: Callable[..., None]):
        self.c = contribution
        self.context = context
        self.report = report

    def check(self) -> None:
        fields = specification()["fields"]
        self.check_object(self.c.meta, fields, ())
        known = set(fields) | set(NOTEBOOK_KEYS)
        for key in self.c.meta:
            if key not in known:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                self.report(self.c.line(key), f"unknown field '{key}' (the build ignores it)",
                            f"did you mean '{close[0]}'?" if close else "remove it; a contribution's front matter "
                            "holds only the specification's fields (`wpsr new` writes them)")

    def check_object(self, value: dict, fields: dict[str, Any], path: tuple) -> None:
        for name, rule in fields.items():
            where = ".".join(map(str, (*path, name)))
            if name not in value or value[name] is None or value[name] == "":
                if rule.get("required"):
                    self.report(self.c.line(*path), f"missing field '{where}'",
                                f"add `{name}:` with {rule['help']}")
                continue
            self.check_value(value[name], rule, (*path, name))

    def check_value(self, value: Any, rule: dict[str, Any], path: tuple) -> None:
        where = ".".join(map(str, path))
        line = self.c.line(*path)
        kind = rule["type"]

        def bad(what: str) -> None:
            self.report(line, f"'{where}' {what}", f"it should be {rule['help']}" if "help" in rule else
                        "see the specification", soft=" words" in what)  # length: a draft may be short

        if kind == "list":
            if not isinstance(value, list):
                return bad("is not a list")
            if len(value) < rule.get("min_items", 0):
                return bad(f"has {len(value)} item(s), fewer than {rule['min_items']}")
            if len(value) > rule.get("max_items", len(value)):
                return bad(f"has {len(value)} items, more than {rule['max_items']}")
            for index, item in enumerate(value):
                self.check_value(item, {**rule["items"], "help": rule["items"].get("help", rule.get("help"))},
                                 (*path, index))
            return None
        if kind == "object":
            if not isinstance(value, dict):
                return bad("is not a set of `key: value` fields")
            self.check_object(value, rule["fields"], path)
            for key in value:
                if key not in rule["fields"]:
                    self.report(self.c.line(*path, key), f"unknown field '{where}.{key}'",
                                "known fields here: " + ", ".join(rule["fields"]))
            return None
        check = getattr(self, f"is_{kind}")
        problem = check(value, rule)
        if problem:
            bad(problem)
        return None

    def is_string(self, value: Any, rule: dict) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "is not text"
        if hidden := invisible_characters(value):
            position, name = hidden[0]
            return (f"holds an invisible character, {name}, at character {position}: it can make text read "
                    "differently from how it is stored; delete it")
        if markup := MARKUP.search(value):
            return (f"holds markup ({markup.group(0)!r}): metadata is plain text, shown as typed; "
                    "remove the markup")
        if len(value) > rule.get("max_length", len(value)):
            return f"is {len(value)} characters long, more than {rule['max_length']}"
        words = len(value.split())
        if words < rule.get("min_words", 0):
            return f"has {words} words, fewer than {rule['min_words']}"
        if words > rule.get("max_words", words):
            return f"has {words} words, more than {rule['max_words']}"
        return None

    def is_country(self, value: Any, rule: dict) -> str | None:
        if str(value).upper() in self.context.countries and str(value) == str(value).upper():
            return None
        close = difflib.get_close_matches(str(value).upper(), sorted(self.context.countries), n=1)
        return f"is not an ISO 3166-1 alpha-3 country code ({value!r})" + (f"; did you mean {close[0]}?"
                                                                             if close else "")

    def is_sdg(self, value: Any, rule: dict) -> str | None:
        goals = specification()["sdgs"]
        return None if type(value) is int and value in goals else f"is not an SDG number from 1 to 17 ({value!r})"

    def is_chapter(self, value: Any, rule: dict) -> str | None:
        numbers = [c["number"] for c in self.context.chapters]
        return None if type(value) is int and value in numbers else f"is not a chapter number ({value!r})"

    def is_status(self, value: Any, rule: dict) -> str | None:
        statuses = specification()["statuses"]
        return None if value in statuses else f"is {value!r}, not one of: {', '.join(statuses)}"

    def is_year(self, value: Any, rule: dict) -> str | None:
        return None if type(value) is int and 1900 <= value <= 2100 else f"is not a four-digit year ({value!r})"

    def is_url(self, value: Any, rule: dict) -> str | None:
        return None if isinstance(value, str) and WEB_ADDRESS.fullmatch(value) else f"is not a web address ({value!r})"

    def is_email(self, value: Any, rule: dict) -> str | None:
        return None if isinstance(value, str) and EMAIL.fullmatch(value) else f"is not an email address ({value!r})"

    def is_orcid(self, value: Any, rule: dict) -> str | None:
        text = str(value).removeprefix("https://orcid.org/")
        if not ORCID.fullmatch(text):
            return f"is not an ORCID iD of the form 0000-0000-0000-0000 ({value!r})"
        total = 0
        for digit in text.replace("-", "")[:-1]:
            total = (total + int(digit)) * 2
        check = (12 - total % 11) % 11
        return None if text[-1] == ("X" if check == 10 else str(check)) else f"has a wrong check digit ({value!r})"

    def is_subtopic(self, value: Any, rule: dict) -> str | None:
        row = self.context.subtopics.get(str(value))
        if row is None:
            close = difflib.get_close_matches(str(value), list(self.context.subtopics), n=1)
            return f"names no sub-topic in data/subtopics.csv ({value!r})" + (f"; did you mean {close[0]}?"
                                                                               if close else "")
        chapter = self.c.meta.get("chapter")
        if isinstance(chapter, int) and int(row["chapter"]) != chapter:
            return f"is a sub-topic of chapter {row['chapter']}, not of chapter {chapter}"
        return None


# --- the whole check -------------------------------------------------------------------

def check_contribution(contribution: Contribution, context: Context) -> list[Problem]:
    """Every rule of the specification for one readable contribution."""
    spec = specification()
    found: list[Problem] = []
    lenient = contribution.meta.get("status") in spec["lenient_statuses"]

    def report(line: int, message: str, hint: str, severity: str = "error", soft: bool = False) -> None:
        found.append(Problem(display(contribution.path), line, message, hint,
                             severity="warning" if soft and lenient else severity))

    MetadataRules(contribution, context, report).check()
    body = parse(contribution)
    _check_sections(contribution, body, report)
    _check_words(contribution, body, report)
    _check_code(contribution, body, report)
    _check_references(contribution, body, context, report)
    _check_html(body, report)
    _check_directives(contribution, body, report)
    placeholder = spec["placeholder"]
    left = [number for number, line in enumerate(contribution.text.splitlines(), start=1)
            if re.search(rf"\b{placeholder}\b", line) and not line.lstrip().startswith("%")]
    if left:
        shown = ", ".join(map(str, left[:12])) + (", …" if len(left) > 12 else "")
        report(left[0], f"placeholder '{placeholder}' left on {len(left)} line(s): {shown}",
               "replace each with your own words (and delete the `# TODO` comments once done)", soft=True)
    return found


def _check_sections(c: Contribution, body: Body, report: Callable[..., None]) -> None:
    sections = specification()["sections"]
    wanted = [s["title"] for s in sections]
    key = _heading_key
    found = body.headings
    for level, line, text in found:
        if level == 1:
            report(line, f"a level-1 heading ('# {text}')",
                   "the page title comes from the front matter's `title`: remove this line, or make it `##`")
    seconds = [(line, text) for level, line, text in found if level == 2]
    keys = [key(text) for _, text in seconds]
    for line, text in seconds:
        if key(text) not in map(key, wanted):
            close = difflib.get_close_matches(text, wanted, n=1)
            report(line, f"'## {text}' is not a section of the specification",
                   f"did you mean '## {close[0]}'?" if close else "make it a `###` heading inside a section",
                   severity="warning")
    last_line = c.body_start
    position = -1
    for index, title in enumerate(wanted):
        if key(title) not in keys:
            report(last_line, f"missing section '## {title}'",
                   f"add it {'after the section ' + repr(wanted[index - 1]) if index else 'first'}; "
                   f"it covers: {sections[index]['guidance']}")
            continue
        at = keys.index(key(title))
        line = seconds[at][0]
        if at < position:
            report(line, f"section '## {title}' is out of order",
                   "the sections go in this order: " + "; ".join(wanted))
        position = max(position, at)
        last_line = line
    for section in sections:
        if section.get("table") and key(section["title"]) in keys:
            start, end = _section_range(c, seconds, keys.index(key(section["title"])))
            if not any(start <= line <= end for line in body.tables) and \
                    not any(start <= line <= end and "table(" in code for line, code in body.cells):
                report(start, f"the section '{section['title']}' has no table",
                       "add a Markdown table, a list-table, or a code cell that calls wpsr.table(...)")


def _heading_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _section_range(c: Contribution, seconds: list[tuple[int, str]], index: int) -> tuple[int, int]:
    start = seconds[index][0]
    end = seconds[index + 1][0] - 1 if index + 1 < len(seconds) else c.body_start + len(c.body)
    return start, end


def _check_words(c: Contribution, body: Body, report: Callable[..., None]) -> None:
    words = specification()["words"]
    count = body.words
    (low, high), (aim_low, aim_high) = words["error"], words["warning"]
    if not low <= count <= high:
        report(c.body_start, f"{count:,} words of prose, outside {low:,}–{high:,}",
               f"aim for about {words['aim']:,} words (code, tables and comments are not counted)", soft=True)
    elif not aim_low <= count <= aim_high:
        report(c.body_start, f"{count:,} words of prose, outside the {aim_low:,}–{aim_high:,} aimed for",
               f"aim for about {words['aim']:,} words", severity="warning")


def _check_code(c: Contribution, body: Body, report: Callable[..., None]) -> None:
    if not any(re.search(r"\bload\(", code) for _, code in body.cells):
        report(c.body_start, "no data cell",
               'add a code cell that reads a cited dataset, e.g. `wpsr.load("internet-use")`; '
               "datasets are listed in data/datapackage.json")
    for number, (start, code) in enumerate(body.cells, start=1):
        source = "\n".join(_cell_code(code.splitlines()))
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            report(start + (err.lineno or 1) - 1, f"code cell {number} is not valid Python: {err.msg}",
                   "fix the code")
            continue
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", None)) == "figure":
                given = {k.arg: k.value for k in call.keywords}
                description = given.get("description")
                if description is None or (isinstance(description, ast.Constant) and not str(description.value)
                                           .strip()):
                    report(start + call.lineno - 1, "a chart without a description",
                           "pass description=\"…\" to wpsr.figure: say in words what the chart shows")


def _cell_code(lines: list[str]) -> list[str]:
    """A code cell's code, its options and magics blanked (so line numbers are kept)."""
    end = -1
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), -1)
    return ["" if i <= end or line.startswith(":") or line.lstrip().startswith(("%", "!")) else line
            for i, line in enumerate(lines)]  # options and IPython magics are not Python


def _check_references(c: Contribution, body: Body, context: Context, report: Callable[..., None]) -> None:
    root = book_root()
    for number, target in body.links:
        if not safe_link(target):
            report(number, f"a link to '{target[:60]}'", "links are web addresses (https://…), mailto: or "
                   "relative paths to files of the book")
            continue
        if SCHEME.match(target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        base = root if path.startswith("/") else c.path.parent
        if not any((base / path.lstrip("/")).with_suffix(s).exists() or (base / path.lstrip("/")).exists()
                   for s in (".md", ".ipynb")):
            report(number, f"broken link to '{target}'", "point it at a file that exists, relative to "
                   "this one (e.g. ../chapters/assets-and-innovations.md)")
    for number, role, target in body.roles:
        target = re.sub(r".*<(.*)>", r"\1", target).strip()
        if role == "ref" and target not in context.all_labels():
            report(number, f"broken cross-reference {{ref}}`{target}`",
                   "no page defines the label `(" + target + ")=`: fix the name or add the label")
        if role == "doc":
            base = root if target.startswith("/") else c.path.parent
            if not (base / (target.lstrip("/") + ".md")).exists():
                report(number, f"broken cross-reference {{doc}}`{target}`",
                       "name a page without its extension, e.g. /chapters/assets-and-innovations")


REFUSED_DIRECTIVES = {
    "raw": "raw output is published as it is",
    "eval-rst": "reStructuredText is not checked as a contribution's Markdown is",
}
FILE_DIRECTIVES = {"include", "literalinclude", "figure", "image"}
FILE_OPTIONS = {"file", "diff"}  # options naming a file: csv-table's and raw's :file:, literalinclude's :diff:


def file_problems(base: Path, body: Body) -> list[tuple[int, str, str]]:
    """Files that directives and {download} roles pull in from outside the book: (line, what, how)."""
    from wpsr.safety import outside_book

    pulled = [(line, name, argument) for line, name, argument, _ in body.directives if name in FILE_DIRECTIVES]
    pulled += [(line, f"{name} :{option}:", value) for line, name, _, options in body.directives
               for option, value in options.items() if option in FILE_OPTIONS]
    pulled += [(line, role, re.sub(r".*<(.*)>", r"\1", target).strip()) for line, role, target in body.roles
               if role == "download"]
    pulled += [(line, "link", target.split("#")[0]) for line, target in body.links
               if not SCHEME.match(target) and not target.startswith("#")]
    found = [(line, f"{{{name}}} :url: is not read", "put the data in data/ and show it with a wpsr-table")
             for line, name, _, options in body.directives if "url" in options]
    for line, name, target in pulled:
        if not target or "://" in target:
            continue
        why = outside_book((book_root() if target.startswith("/") else base) / target.lstrip("/"))
        if name == "link" and Path(target).suffix in ("", ".md", ".ipynb", ".html") and why and "outside" not in why:
            continue  # a link to a page of the book, not a file offered for download
        if why:
            found.append((line, f"{{{name}}} of '{target[:60]}' is refused: {why}",
                          "pull in only files of the book: data in data/, images beside the page"))
    return found


def _check_directives(c: Contribution, body: Body, report: Callable[..., None]) -> None:
    for line, expression in body.substitutions:
        if expression.strip() not in SUBSTITUTIONS:
            report(line, f"a substitution {{{{{expression.strip()[:40]}}}}}: a contribution may use only "
                   + ", ".join(f"{{{{ {name} }}}}" for name in SUBSTITUTIONS),
                   "write the text itself (substitutions are templates, run by the build)")
    for line, name, _, _ in body.directives:
        if name in REFUSED_DIRECTIVES:
            report(line, f"a {{{name}}} block in a contribution: {REFUSED_DIRECTIVES[name]}",
                   "write it in Markdown; charts come from wpsr.figure, tables from wpsr.table")
    for line, what, how in file_problems(c.path.parent, body):
        report(line, what, how)
    for line, fence in body.unclosed:
        report(line, f"the block opened here with {fence} is never closed, so the rest of the page is inside it",
               f"close it with a line of {fence}")


def _check_html(body: Body, report: Callable[..., None]) -> None:
    """Contributions are Markdown: raw HTML is refused (pages would publish it as it is)."""
    for number, raw in body.html:
        if raw.startswith("<!--"):
            continue  # an HTML comment is not published
        report(number, f"raw HTML in a contribution ('{raw.splitlines()[0][:60]}')",
               "write it in Markdown: **bold**, *italics*, [a link](https://…), a table or a figure directive")


# --- raw HTML in the team's pages: a short allow-list -------------------------------------

HTML_TAGS = {  # tag: its own attributes, besides GLOBAL_ATTRIBUTES (the README lists them)
    "a": {"href"}, "abbr": set(), "b": set(), "br": set(), "cite": set(), "code": set(), "dd": set(),
    "del": set(), "details": {"open"}, "div": set(), "dl": set(), "dt": set(), "em": set(),
    "figcaption": set(), "figure": set(), "i": set(), "img": {"src", "alt", "width", "height"},
    "kbd": set(), "mark": set(), "p": set(), "q": set(), "s": set(), "small": set(), "span": set(),
    "strong": set(), "sub": set(), "summary": set(), "sup": set(), "u": set(),
}
GLOBAL_ATTRIBUTES = {"class", "id", "lang", "dir", "title"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def html_problems(raw: str) -> list[tuple[str, str]]:
    """What the allow-list refuses in a piece of HTML: (what, how to fix it)."""
    parser = _Tags()
    parser.feed(raw)
    out = []
    for tag, attributes in parser.found:
        if tag not in HTML_TAGS:
            out.append((f"<{tag}> is not allowed in a page", "use Markdown or one of: " + ", ".join(sorted(HTML_TAGS))))
            continue
        for name, value in attributes:
            if name.startswith("on"):
                out.append((f"the event handler {name}= on <{tag}>", "remove it: pages run no inline script"))
            elif name not in GLOBAL_ATTRIBUTES | HTML_TAGS[tag]:
                out.append((f"the attribute {name}= on <{tag}>", "allowed here: " +
                            ", ".join(sorted(GLOBAL_ATTRIBUTES | HTML_TAGS[tag]))))
            elif name in ("href", "src") and not safe_link(value or ""):
                out.append((f"{name}='{(value or '')[:40]}' on <{tag}>",
                            "link to https://, mailto: or a relative path"))
    return out


def front_matter_problems(path: Path, text: str) -> list[Problem]:
    """A page's front matter (between its first two `---` lines) must be valid YAML: MyST would
    otherwise drop it with a warning and build the page without it."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return []
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        return [Problem(display(path), 1, "the front matter is never closed", "add a `---` line after it")]
    try:
        parse_yaml("\n".join(lines[1:end]))
    except yaml.YAMLError as err:
        line, what, hint = yaml_error(err, "the front matter is not valid YAML",
                                      "indent with spaces, never tabs, and quote values that contain ':'")
        return [Problem(display(path), line + 1, what, hint)]
    return []


def check_page(path: Path) -> list[Problem]:
    """A chapter, annex or other page of the report team: raw HTML within the allow-list, safe links."""
    text = path.read_text(encoding="utf-8", errors="replace")
    body = Body()
    _collect(text, 1, body)
    found = [Problem(display(path), line, what, how) for line, raw in body.html for what, how in html_problems(raw)]
    found += [Problem(display(path), line, what, how) for line, what, how in file_problems(path.parent, body)]
    found += [Problem(display(path), line, f"the block opened here with {fence} is never closed",
                      f"close it with a line of {fence}") for line, fence in body.unclosed]
    found += front_matter_problems(path, text)
    found += [Problem(display(path), line, f"a link to '{target[:60]}'", "links are web addresses (https://…), "
                      "mailto: or relative paths to files of the book")
              for line, target in body.links if not safe_link(target)]
    return found


def check_report(cache: Path) -> list[Problem]:
    """``check()`` of the whole report, kept in `cache` and reused while no source file of the book,
    and no module of the toolkit, has changed (a no-op preview then reads no contribution)."""
    import hashlib
    import json

    from wpsr.book import source_state

    here = Path(__file__).parent
    toolkit = {str(p): p.stat().st_mtime_ns for p in [*here.glob("*.py"), *here.glob("*.yaml")]}  # the specification
    stamp = hashlib.sha256(json.dumps(sorted({**source_state(book_root()), **toolkit}.items())).encode()).hexdigest()
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        if saved["stamp"] == stamp:
            return [Problem(**{**finding, "path": Path(finding["path"])}) for finding in saved["findings"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    findings = check()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"stamp": stamp, "findings": [{**f.__dict__, "path": str(f.path)} for f in findings]}),
                     encoding="utf-8")
    return findings


def check(paths: list[Path] | None = None) -> list[Problem]:
    """Check the named contributions, or every file in contributions/, and their place in _toc.yml."""
    context = Context()
    everything = files()
    targets = [Path(p).resolve() for p in paths] if paths else everything
    found: list[Problem] = []
    in_toc = {doc: chapter["number"] for chapter in context.chapters for doc in chapter["sections"]}
    stems: dict[str, Path] = {}
    for path in everything:
        other = stems.setdefault(path.stem.lower(), path)
        if other != path and (path.resolve() in targets or other.resolve() in targets):
            found.append(Problem(display(path), 1, f"duplicate slug '{path.stem}': {display(other)} has it too",
                                 "rename one file; the file name is the contribution's address"))
    for path in targets:
        if not path.is_file():
            found.append(Problem(display(path), None, "no such file", "check the path"))
            continue
        if path.parent != book_root() / FOLDER:
            found.append(Problem(display(path), None, "not a contribution",
                                 f"contributions live in {FOLDER}/; `wpsr check` checks only those"))
            continue
        contribution, problems = read(path)
        found += [Problem(p.path, p.line, p.message, p.hint) for p in problems]
        if contribution is None:
            continue
        found += check_contribution(contribution, context)
        docname = f"{FOLDER}/{path.stem}"
        chapter = contribution.chapter
        if docname not in in_toc:
            where = next((ch["file"] for ch in context.chapters if ch["number"] == chapter), "its chapter")
            found.append(Problem(display(path), 1, "not in _toc.yml, so it is not published",
                                 f"add `- file: {docname}` under the sections of {where}"))
        elif chapter is not None and in_toc[docname] != chapter:
            found.append(Problem(display(path), contribution.line("chapter"),
                                 f"listed under chapter {in_toc[docname]} in _toc.yml but says chapter {chapter}",
                                 "move its _toc.yml entry or correct `chapter:`"))
    if not paths:
        for docname in toc_files():
            page = book_root() / f"{docname}.md"
            if not docname.startswith(f"{FOLDER}/") and page.is_file():
                found += check_page(page)
    return sorted(found, key=lambda f: (str(f.path), f.line or 0))
