"""The site's markup, from the templates in ``wpsr/templates/``: Jinja with autoescape, so every
value a template writes is escaped unless it is ``Markup`` already (markup a template made, or
that a sanitizer or Sphinx's own writer produced; each such place says so).

``table_html`` is the one table builder: a notebook's ``wpsr.table``, the annexes' filterable
tables and the directives' tables (``wpsr.sphinx_ext.doctree.table``) all go through it.
No pandas and no Sphinx here: the Sphinx side imports it on every build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

__all__ = ["N_", "Markup", "Row", "notebook_table", "render", "say", "table_html"]
TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> Environment:
    return Environment(loader=PackageLoader("wpsr", "templates"), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


_LANGUAGE = ["en"]  # the language the templates speak in this process: a build's (speak), else English


def speak(language: str) -> None:
    """Templates rendered from now on say their words in this language (a build of a translation)."""
    _LANGUAGE[0] = language


def _say(language: str) -> Callable[..., str]:
    """A template's ``_("words {name}", name=value)``: the words in the language, from the toolkit's
    catalog, with each value escaped into them unless it is ``Markup``."""
    from wpsr.translations import interface

    translate = interface(language)

    def say(message: str, **values: object) -> str:
        return Markup(escape(translate(message))).format(**values) if values else translate(message)

    return say


def say(message: str, /, **values: object) -> str:
    """The toolkit's words in the language the templates speak (see `speak`), from its catalog. Where
    they are written, call this ``_("…")``: `wpsr translate update` extracts every ``_("…")`` in wpsr/."""
    return _say(_LANGUAGE[0])(message, **values)


def N_(message: str) -> str:
    """Words marked for the toolkit's catalog where they are defined, and said with `say` where shown."""
    return message


def render(template: str, /, **values: object) -> Markup:
    """A template of ``wpsr/templates/`` rendered with these values, each escaped unless ``Markup``."""
    from wpsr.data import DEPENDENCY_LOG_ENV, log_dependency

    if os.environ.get(DEPENDENCY_LOG_ENV):  # in a notebook's kernel: its outputs depend on the templates too
        log_dependency(*sorted(TEMPLATES.iterdir()))
    return Markup(environment().get_template(template).render(_=_say(_LANGUAGE[0]), **values))


@dataclass(frozen=True)
class Row:
    """A table's row: its cells (text, escaped, or ``Markup``) and its attributes (say ``data-year``),
    which filters read."""

    cells: Sequence[object]
    attributes: Mapping[str, object] = field(default_factory=dict)


def table_html(caption: str, headers: Sequence[object], rows: Iterable[Row | Sequence[object]], *,
               table_id: str | None = None, classes: Sequence[str] = ("table",), box_class: str = "wpsr-table",
               box_id: str | None = None, row_header: int | None = None, after: Markup | str = "") -> Markup:
    """A captioned table in a box that scrolls sideways on a narrow screen: a header row (``scope="col"``),
    then a row per ``rows``; the cell at ``row_header`` heads its row (``scope="row"``). ``after``
    follows the table inside the box (a source line, a download)."""
    return render("table.html", caption=caption, headers=headers, table_id=table_id, classes=classes,
                  box_class=box_class, box_id=box_id, row_header=row_header, after=after,
                  rows=[row if isinstance(row, Row) else Row(row) for row in rows])


def notebook_table(parts: Mapping[str, Any], say: Callable[[str], str] = str) -> Markup:
    """A notebook's table (``wpsr.table``) from its parts, its source and CSV download beneath; ``say``
    gives each of its texts (caption, headers, source) as the page says it."""
    notes = render("table-notes.html", source=say(parts["source"]), name=parts["name"],
                   csv_uri=f"data:text/csv;charset=utf-8,{quote(parts['csv'])}")
    return table_html(say(parts["caption"]), [say(h) for h in parts["headers"]], parts["rows"],
                      box_id=f"table-{parts['name']}", after=notes)
