"""Tables: a captioned, accessible HTML table with its source and its data as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

import pandas as pd

from wpsr.book import slug
from wpsr.data import source_line
from wpsr.markup import render, table_html
from wpsr.safety import WPSR_MIME, safe_csv


class Table:
    """A table ready for the page; notebooks display it."""

    def __init__(self, frame: pd.DataFrame, *, caption: str, sources: Sequence[str], name: str):
        self.frame = frame
        self.caption = caption
        self.name = slug(name)
        self.source = source_line(sources)

    def _repr_html_(self) -> str:
        csv = safe_csv(self.frame.to_csv(index=False, lineterminator="\n"))
        notes = render("table-notes.html", source=self.source, name=self.name,
                       csv_uri=f"data:text/csv;charset=utf-8,{quote(csv)}")
        rows = [["" if pd.isna(v) else str(v) for v in row] for row in self.frame.itertuples(index=False)]
        return str(table_html(self.caption, [str(c) for c in self.frame.columns], rows, box_id=f"table-{self.name}",
                              after=notes))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        html_table = self._repr_html_()
        return {"text/html": html_table, WPSR_MIME: {"html": html_table, "vega": None}}


def table(frame: pd.DataFrame, *, caption: str, sources: str | Sequence[str], name: str) -> Table:
    """Show a DataFrame as a captioned table citing the datasets it comes from."""
    return Table(frame, caption=caption, name=name,
                 sources=[sources] if isinstance(sources, str) else sources)


class Note:
    """A sentence in a page's flow, from code (say, why a chart is missing): text, with `code` kept."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return str(render("note.html", parts=self.text.split("`")))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        markup = self._repr_html_()
        return {"text/plain": self.text, "text/html": markup, WPSR_MIME: {"html": markup, "vega": None}}


def note(text: str) -> Note:
    """A sentence for the page (plain text; `backticks` mark code)."""
    return Note(text)
