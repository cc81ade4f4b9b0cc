"""A page's body as MyST reads it (markdown-it tokens, MyST's own parser): headings, code cells,
tables, links, roles, raw HTML, directives with their options, substitutions, blocks never
closed, and the words of prose. No Sphinx and no pandas: `wpsr check` reads a page in milliseconds."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from wpsr.book import front_matter_end
from wpsr.contributions import Contribution

DIRECTIVE = re.compile(r"\{([\w:-]+)\}")
TABLE_DIRECTIVES = {"table", "list-table", "csv-table"}
NOT_PROSE = TABLE_DIRECTIVES | {"code-cell", "code", "code-block", "math", "raw", "glue:figure", "mermaid"}
# A link target markdown-it left as text (it does so with javascript: and data: addresses); the
# link rules (book.safe_link) then judge it like any other.
LINK_IN_TEXT = re.compile(r"\]\(\s*([a-z][a-z0-9+.-]*:(?:[^()\s]|\([^()\s]*\))*)\)", re.I)


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
    collect("\n".join(contribution.body), contribution.body_start, body)
    return body


HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # Chinese characters, written without spaces
# A Chinese text is counted in characters: 1.5 of them for an English word, translators' usual
# equivalence (1,000 English words make about 1,300 to 1,800 characters).
CHARACTERS_PER_WORD = 1.5


def count_words(text: str) -> int:
    """Words of prose in any of the six languages: Chinese by its characters, the others by spaces."""
    characters = len(HAN.findall(text))
    spaced = sum(1 for token in HAN.sub(" ", text).split() if re.search(r"\w", token))
    return spaced + round(characters / CHARACTERS_PER_WORD)


def collect(text: str, first_line: int, body: Body) -> None:
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
            options = _option_values(token.content.splitlines()) if name else {}
            if name:
                body.directives.append((line, name, token.info.strip()[match.end():].strip(), options))
            if name == "code-cell":
                body.cells.append((line + 1, token.content))
            elif name in TABLE_DIRECTIVES or (name == "wpsr-figure" and options.get("kind") == "table"):
                body.tables.append(line)
            elif name and name not in NOT_PROSE:  # an admonition or a figure: its content is prose
                lines = token.content.splitlines()
                skip = _options(lines)
                collect("\n".join(lines[skip:]), line + 1 + skip, body)
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
    closing = front_matter_end(lines)
    end = 0 if closing is None else closing + 1
    body = Body()
    collect("\n".join(lines[end:]), end + 1, body)
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
            body.words += prose and count_words(child.content)
        elif child.type == "html_inline":
            body.html.append((line, child.content))
        elif child.type == "substitution_inline":
            body.substitutions.append((line, child.content))
        elif child.type in ("text", "code_inline"):
            if child.type == "text":  # markdown-it leaves javascript: and data: links as text: still a mistake
                body.links += [(line, target) for target in LINK_IN_TEXT.findall(child.content)]
            body.words += prose and count_words(child.content)
            line += child.content.count("\n")


def word_count(contribution: Contribution) -> int:
    return parse(contribution).words
