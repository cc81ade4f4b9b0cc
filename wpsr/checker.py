"""``wpsr check``: every contribution against the specification, without executing anything.

Each problem reads ``path:line: what is wrong — how to fix it``. Errors fail the check (and
the build); warnings are advice. In a draft, the rules about length and placeholders warn
instead of failing, so a work in progress can be previewed.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pycountry
import yaml

from wpsr.body import Body, collect, parse, word_count  # noqa: F401 (word_count: the checker's API)
from wpsr.book import SCHEME, book_root, chapters, front_matter_end, parse_yaml, safe_link, toc_files, yaml_error
from wpsr.contributions import FOLDER, Contribution, files, read, section_titles, specification, subtopics
from wpsr.editions import SUBSTITUTIONS
from wpsr.metadata import MetadataRules
from wpsr.problems import Problem, display
from wpsr.safety import tag_in_words

# --- what the rules compare against -------------------------------------------------------

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
    """The specification's sections, in order, titled in the contribution's language (or in English)."""
    sections = specification()["sections"]
    wanted = [section_titles(s, c.language)[0] for s in sections]
    accepted = [{_heading_key(t) for t in [*section_titles(s, c.language), s["title"]]} for s in sections]
    found = body.headings
    for level, line, text in found:
        if level == 1:
            report(line, f"a level-1 heading ('# {text}')",
                   "the page title comes from the front matter's `title`: remove this line, or make it `##`")
    seconds = [(line, text) for level, line, text in found if level == 2]
    keys = [_heading_key(text) for _, text in seconds]
    for line, text in seconds:
        if not any(_heading_key(text) in titles for titles in accepted):
            close = difflib.get_close_matches(text, wanted, n=1)
            report(line, f"'## {text}' is not a section of the specification",
                   f"did you mean '## {close[0]}'?" if close else "make it a `###` heading inside a section",
                   severity="warning")
    last_line = c.body_start
    position = -1
    placed: dict[int, int] = {}  # a section's index: the index of its heading among the level-2 headings
    for index, title in enumerate(wanted):
        at = next((i for i, k in enumerate(keys) if k in accepted[index]), None)
        if at is None:
            report(last_line, f"missing section '## {title}'",
                   f"add it {'after the section ' + repr(wanted[index - 1]) if index else 'first'}; "
                   f"it covers: {sections[index]['guidance']}")
            continue
        placed[index] = at
        line = seconds[at][0]
        if at < position:
            report(line, f"section '## {title}' is out of order",
                   "the sections go in this order: " + "; ".join(wanted))
        position = max(position, at)
        last_line = line
    for index, section in enumerate(sections):
        if section.get("table") and index in placed:
            start, end = _section_range(c, seconds, placed[index])
            if not any(start <= line <= end for line in body.tables) and \
                    not any(start <= line <= end and "table(" in code for line, code in body.cells):
                report(start, f"the section '{wanted[index]}' has no table",
                       "add a Markdown table, a list-table, or a code cell that calls wpsr.table(...)")


def _heading_key(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


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
    """A contribution with code reads a cited dataset in it; one that only shows or cites data needs none."""
    if body.cells and not any(re.search(r"\bload\(", code) for _, code in body.cells):
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
    for line, name, argument, options in body.directives:
        if name in REFUSED_DIRECTIVES:
            report(line, f"a {{{name}}} block in a contribution: {REFUSED_DIRECTIVES[name]}",
                   "write it in Markdown; charts come from {wpsr-figure} or wpsr.figure, tables from wpsr.table")
        if name in ("wpsr-figure", "wpsr-table"):  # checked against the data as the build will
            from wpsr.declared import problems

            chosen = options if name == "wpsr-figure" else {k: v for k, v in options.items() if k != "caption"}
            for what, how in problems(argument, chosen, kind=None if name == "wpsr-figure" else "table"):
                report(line, f"{{{name}}} {what}", how)
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
        named = tag_in_words(tag)
        if tag not in HTML_TAGS:
            out.append((f"{named} is not allowed in a page", "use Markdown or one of: " + ", ".join(sorted(HTML_TAGS))))
            continue
        for name, value in attributes:
            if name.startswith("on"):
                out.append((f"the event handler {name}= on {named}", "remove it: pages run no inline script"))
            elif name not in GLOBAL_ATTRIBUTES | HTML_TAGS[tag]:
                out.append((f"the attribute {name}= on {named}", "allowed here: " +
                            ", ".join(sorted(GLOBAL_ATTRIBUTES | HTML_TAGS[tag]))))
            elif name in ("href", "src") and not safe_link(value or ""):
                out.append((f"{name}='{(value or '')[:40]}' on {named}",
                            "link to https://, mailto: or a relative path"))
    return out


def front_matter_problems(path: Path, text: str) -> list[Problem]:
    """A page's front matter (between its first two `---` lines) must be valid YAML: MyST would
    otherwise drop it with a warning and build the page without it."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return []
    end = front_matter_end(lines)
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
    collect(text, 1, body)
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
    """``check()`` of the whole report, kept in `cache`: while nothing but some contributions changed,
    only those are checked again (what each finds depends on the rest of the book, its labels and the
    list of contributions, never on another contribution's text); when nothing changed, none is."""
    import hashlib
    import json

    from wpsr.book import source_state

    here = Path(__file__).parent
    toolkit = {str(p): p.stat().st_mtime_ns for p in [*here.glob("*.py"), *here.glob("*.yaml")]}  # the specification
    sources = {path: at for path, at in source_state(book_root()).items() if "/locales/" not in path}  # not checked
    mine = {str(p.resolve()): p.stat().st_mtime_ns for p in files()}
    rest = {k: v for k, v in {**sources, **toolkit}.items() if str(Path(k).resolve()) not in mine}
    stamp = hashlib.sha256(json.dumps([sorted(rest.items()), sorted(mine), sorted(Context().all_labels())])
                           .encode()).hexdigest()
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        assert saved["stamp"] == stamp
        kept = {path: [Problem(**{**f, "path": Path(f["path"])}) for f in entry["findings"]]
                for path, entry in saved["contributions"].items() if entry["at"] == mine.get(path)}
        others = [Problem(**{**f, "path": Path(f["path"])}) for f in saved["others"]]
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        kept, others = {}, None
    changed = [Path(path) for path in mine if path not in kept]
    if others is None:  # the rest of the book changed: every contribution, and the other pages
        findings, changed = check(), [Path(path) for path in mine]
    else:
        findings = check(changed) if changed else []
    by_file: dict[str, list[Problem]] = {path: list(found) for path, found in kept.items()}
    for path in changed:
        by_file[str(path)] = [f for f in findings if f.path == display(path)]
    if others is None:
        others = [f for f in findings if f.path not in {display(p) for p in changed}]
    cache.parent.mkdir(parents=True, exist_ok=True)

    def saved_form(found: list[Problem]) -> list[dict]:
        return [{**f.__dict__, "path": str(f.path)} for f in found]

    cache.write_text(json.dumps({"stamp": stamp, "others": saved_form(others),
                                 "contributions": {path: {"at": mine[path], "findings": saved_form(found)}
                                                   for path, found in by_file.items()}}), encoding="utf-8")
    return sorted([*others, *(f for found in by_file.values() for f in found)],
                  key=lambda f: (str(f.path), f.line or 0))


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
