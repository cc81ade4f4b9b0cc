"""The gate every page passes as it is read, in preview and strict builds alike (``wpsr check``
says the same earlier, with lines, but the build does not rely on it):

- a contribution's front matter holds only the specification's fields: any other key (``myst:``
  with ``html_meta`` or ``substitutions``, ``mystnb:``…) is blanked before MyST reads it;
- raw HTML the build did not make is removed from a contribution (a ``{raw}`` directive, ``.. raw::``
  in ``{eval-rst}``, a substitution), and from the team's pages when it breaks their allow-list;
- every file a page pulls in (``include``, ``literalinclude`` and its ``:diff:``, ``csv-table
  :file:``, ``download``, ``figure``, ``image``) stays inside the book, symbolic links followed,
  outside hidden folders and the build; a contribution's source is never offered raw (its
  published copy is written without private fields).

Each refusal is a warning at the page and line (a strict build fails on it); what was refused is
not published.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from docutils.parsers.rst.directives import misc, tables
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives import code
from sphinx.util import logging

from wpsr.book import SafeLoader, front_matter_end
from wpsr.contributions import FOLDER, NOTEBOOK_KEYS, specification
from wpsr.safety import file_type_problem, outside_book
from wpsr.sphinx_ext.doctree import TRUSTED

logger = logging.getLogger(__name__)
COMMENT = re.compile(r"\s*(<!--.*?-->\s*)+", re.S)


def _refuse(docname: str, node: nodes.Node | None, message: str, hint: str) -> None:
    line = node.line if node is not None else None
    logger.warning(f"{message} — {hint}", location=(docname, line) if line else docname, type="wpsr",
                   subtype="gate")


# --- front matter --------------------------------------------------------------------------

def front_matter_keys(text: str) -> tuple[list[tuple[str, int, int]], int] | None:
    """The top-level keys of a page's front matter, as (key, first line, last line) counted from
    the file's first line, and the line of the closing ``---``; None without readable front matter."""
    lines = text.split("\n")
    end = front_matter_end(lines)
    if end is None:
        return None
    try:
        node = yaml.compose("\n".join(lines[1:end]), Loader=SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    keys = []
    for index, (key, value) in enumerate(node.value):
        following = node.value[index + 1][0].start_mark.line if index + 1 < len(node.value) else end - 1
        last = max(value.end_mark.line - (1 if value.end_mark.column == 0 else 0), key.start_mark.line)
        keys.append((str(key.value), key.start_mark.line + 2, min(last, following - 1) + 2))
    return keys, end + 1


def allowed_keys() -> set[str]:
    return set(specification()["fields"]) | set(NOTEBOOK_KEYS)


def blank_unknown_keys(text: str) -> tuple[str, list[tuple[str, int]]]:
    """A contribution's text with every front-matter key outside the specification blanked (its
    lines emptied, so every line keeps its number), and the keys blanked with their lines."""
    found = front_matter_keys(text)
    if found is None:
        return text, []
    lines = text.split("\n")
    known = allowed_keys()
    blanked = []
    for key, first, last in found[0]:
        if key not in known:
            blanked.append((key, first))
            for number in range(first, last + 1):
                lines[number - 1] = ""
    return "\n".join(lines), blanked


def escape_substitutions(text: str, allowed: set[str]) -> tuple[str, list[int]]:
    """A contribution's text with every ``{{ … }}`` that is not a bare name the book defines turned
    into plain text (MyST renders substitutions with Jinja, which can reach Python), and their lines."""
    from wpsr.body import substitutions

    lines = text.split("\n")
    found = []
    for line, expression in substitutions(text):
        if expression.strip() not in allowed:
            found.append(line)
            lines[line - 1] = lines[line - 1].replace("{{", "\\{\\{").replace("}}", "\\}\\}")
    return "\n".join(lines), sorted(set(found))


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if not docname.startswith(f"{FOLDER}/"):
        return
    source[0], blanked = blank_unknown_keys(source[0])
    for key, line in blanked:
        logger.warning(f"front-matter field '{key}' is not part of a contribution and was ignored — remove it; "
                       "`wpsr check` lists the fields a contribution has", location=(docname, line), type="wpsr",
                       subtype="gate")
    source[0], escaped = escape_substitutions(source[0], set(app.config.myst_substitutions))
    for line in escaped:
        logger.warning("a substitution other than the edition's ({{ edition }}, …) is shown as text — remove it",
                       location=(docname, line), type="wpsr", subtype="gate")


# --- raw HTML and files ----------------------------------------------------------------------

def confined(app: Sphinx, path: Path) -> str | None:
    """Why a file may not be pulled into a page (``safety.outside_book``), or None."""
    return outside_book(path, build=Path(app.outdir).resolve().parent)


def guard(app: Sphinx, doctree: nodes.document) -> None:
    """Refuse what a page may not publish (see the module's docstring), before Sphinx collects it."""
    from wpsr.checker import html_problems

    docname = app.env.docname
    contribution = docname.startswith(f"{FOLDER}/")
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or raw.get(TRUSTED):
            continue
        if contribution and COMMENT.fullmatch(raw.astext()):
            pass  # an HTML comment: never published, and allowed (wpsr check lets it pass too)
        elif contribution:
            _refuse(docname, raw, "raw HTML is not published in a contribution",
                    "write it in Markdown; charts come from wpsr.figure, tables from wpsr.table")
        elif problems := html_problems(raw.astext()):
            _refuse(docname, raw, f"raw HTML refused: {problems[0][0]}", problems[0][1])
        else:
            continue
        raw.parent.remove(raw)
    if contribution:
        for node in [*doctree.findall(nodes.meta)]:  # `.. meta::` inside {eval-rst}: a refresh, say
            _refuse(docname, node, "a <meta> element is not published in a contribution", "remove it")
            node.parent.remove(node)
    pulled: list[tuple[nodes.Node | None, str, str]] = []
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if "://" not in uri and not uri.startswith("data:"):
            pulled.append((image, uri, "image"))
    pulled += [(ref, ref["reftarget"], "download") for ref in doctree.findall(addnodes.download_reference)]
    # Files the include directives read (docutils' and MyST's record them here; the toolkit's own
    # dependencies, its datasets and modules, go to the environment instead).
    included = getattr(doctree.settings.record_dependencies, "list", [])
    pulled += [(None, str(dependency), "include") for dependency in sorted(set(included))]
    outputs = Path(app.outdir).parent / "jupyter_execute"  # where myst-nb writes cells' images
    for node, target, kind in pulled:
        # docutils records an include relative to the working directory; the others are the page's
        path = Path(target).resolve() if kind == "include" else Path(app.env.relfn2path(target, docname)[1])
        if kind == "image" and path.resolve().is_relative_to(outputs.resolve()):
            why = file_type_problem(path, kind)
        else:
            why = confined(app, path) or file_type_problem(path, kind)
        if why is None:
            continue
        _refuse(docname, node, f"the {kind} of '{target}' is refused: {why}",
                "pull in only files of the book (data in data/, images beside the page)")
        if node is not None:
            node.replace_self(nodes.inline(text=node.astext()) if kind == "download" else nodes.inline())
        else:  # included text: nothing of this page is published
            doctree.children = [nodes.paragraph(text="This page was withheld: it pulls in a file from outside "
                                                     "the book.")]


def _refused_file(env: Any, target: str | None) -> str | None:
    """Why a file a directive names (relative to its page, or to the book with a leading /) may not
    be read, or None."""
    return None if target is None else confined(env.app, Path(env.relfn2path(str(target))[1]))


class CSVTable(tables.CSVTable):
    """``csv-table`` that reads no address (``:url:``) and no file outside the book (``:file:``)."""

    def run(self) -> list[nodes.Node]:
        if "url" in self.options:
            return [self.reporter.warning("csv-table :url: is not read: put the data in data/ and use :file:, "
                                          "or a wpsr-table", line=self.lineno)]
        if why := _refused_file(self.state.document.settings.env, self.options.get("file")):
            return [self.reporter.warning(f"csv-table :file: is refused: {why}", line=self.lineno)]
        return super().run()


class LiteralInclude(code.LiteralInclude):
    """``literalinclude`` of a file of the book, and a ``:diff:`` against one."""

    def run(self) -> list[nodes.Node]:
        for target in (self.arguments[0], self.options.get("diff")):
            if why := _refused_file(self.env, target):
                return [self.state.document.reporter.warning(f"the literalinclude of '{target}' is refused: {why}",
                                                             line=self.lineno)]
        return super().run()


class Raw(misc.Raw):
    """``raw`` without ``:file:`` or ``:url:``: nothing is read from elsewhere into a page."""

    def run(self) -> list[nodes.Node]:
        if {"file", "url"} & set(self.options):
            return [self.state.document.reporter.warning("raw :file: and :url: are not read — put the markup "
                                                         "in the page", line=self.lineno)]
        return super().run()


def setup(app: Sphinx) -> None:
    app.add_directive("csv-table", CSVTable, override=True)
    app.add_directive("literalinclude", LiteralInclude, override=True)
    app.add_directive("raw", Raw, override=True)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", guard, priority=100)  # before Sphinx collects images and downloads
