"""Code cells' outputs, as a page may publish them: one gate in the parse itself, for every page.

myst-nb asks every renderer registered under ``myst_nb.mime_renderers`` first, whatever a page's
own settings say, so this gate cannot be configured away by a contribution:

- the toolkit's figures and tables (``WPSR_MIME``) are published from their markup, sanitized,
  with the chart's spec written by the build into an inert JSON element;
- any other ``text/html`` (a pandas table, say) passes the allow-list sanitizer (nh3): table and
  text markup stay, script, handlers, frames and styles go;
- ``application/javascript``, widgets and ``text/markdown`` (which would be parsed as MyST, raw
  HTML and directives included) are refused, the cell located;
- text and images render as myst-nb renders them.

Every HTML node this gate lets through is marked trusted; ``guard`` removes any other raw HTML
from a contribution.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes

from wpsr.markup import notebook_table
from wpsr.safety import WPSR_MIME, clean_html
from wpsr.sphinx_ext.data_words import Words
from wpsr.sphinx_ext.doctree import trusted_html
from wpsr.sphinx_ext.figures import figure_node, output_html

CELL_FENCE = re.compile(r"\s*(`{3,}|:{3,})\{code-cell\}")
REFUSED = {
    "application/javascript": "script",
    "application/vnd.jupyter.widget-view+json": "an interactive widget",
    "text/markdown": "Markdown, which would be published as the page's own text",
}


class SafeOutputs:
    """myst-nb's MIME render plugin for this book (registered in pyproject.toml)."""

    # The toolkit's own markup first; refused kinds are never chosen.
    mime_priority_overrides: ClassVar[list[tuple[str, str, int | None]]] = [
        ("*", WPSR_MIME, 1), *(("*", mime, None) for mime in REFUSED)]

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if data.mime_type == WPSR_MIME:
            content = data.content if isinstance(data.content, dict) else {}
            if _drawable(content.get("figure")):  # a chart: drawn in the page's language once the page is read
                return [figure_node(content, renderer.renderer.document["source"], _cell_line(renderer, data.line))]
            if _tabular(content.get("table")):  # a table: its caption, headers and source in the page's language
                words = Words()
                return [words.node(notebook_table(content["table"], say=words), renderer.renderer.document["source"],
                                   _cell_line(renderer, data.line))]
            return [output_html(str(content.get("html", "")), content.get("vega"))]
        if data.mime_type == "text/html":
            return [trusted_html(clean_html(data.string), classes=["output", "text_html"])]
        if data.mime_type in REFUSED:
            renderer.logger.warning(
                f"the code cell here outputs {REFUSED[data.mime_type]} ({data.mime_type}), which a page does not "
                "publish — show a chart with wpsr.figure, a table with wpsr.table, or print text",
                line=_cell_line(renderer, data.line), subtype="wpsr_output")
            return []
        return None


def _drawable(parts: Any) -> bool:
    """Whether an output's figure parts are what wpsr.charts draws a figure from (they may be hostile)."""
    kinds = {"spec": dict, "title": str, "description": str, "source": str, "name": str, "interactive": bool,
             "csv": str}
    return isinstance(parts, dict) and all(isinstance(parts.get(key), kind) for key, kind in kinds.items())


def _tabular(parts: Any) -> bool:
    """Whether an output's table parts are what wpsr.tables makes a table from (they may be hostile)."""
    texts = ("caption", "source", "name", "csv")
    return (isinstance(parts, dict) and all(isinstance(parts.get(key), str) for key in texts)
            and isinstance(parts.get("headers"), list) and all(isinstance(h, str) for h in parts["headers"])
            and isinstance(parts.get("rows"), list)
            and all(isinstance(row, list) and all(isinstance(c, str) for c in row) for row in parts["rows"]))


def _cell_line(renderer: Any, line: int | None) -> int | None:
    """The line of the code cell's opening fence: myst-nb's line for an output lies inside the cell."""
    try:
        lines = Path(renderer.renderer.document["source"]).read_text(encoding="utf-8").split("\n")
    except (OSError, KeyError, TypeError, UnicodeDecodeError):
        return line
    start = min(line or 1, len(lines))
    return next((n for n in range(start, 0, -1) if CELL_FENCE.match(lines[n - 1])), line)
