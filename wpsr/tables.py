"""Tables: a captioned, accessible HTML table with its source and its data as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wpsr.book import slug
from wpsr.data import source_line
from wpsr.markup import notebook_table, render
from wpsr.safety import WPSR_MIME, safe_csv


class Table:
    """A table ready for the page; notebooks display it."""

    def __init__(self, frame: pd.DataFrame, *, caption: str, sources: Sequence[str], name: str):
        self.frame = frame
        self.caption = caption
        self.name = slug(name)
        self.source = source_line(sources)

    def parts(self) -> dict[str, Any]:
        """What the table is made of, kept in its output so that a translated page makes it again with
        its caption, headers and source in the page's language (the cells and the CSV keep the data's)."""
        return {"caption": self.caption, "headers": [str(c) for c in self.frame.columns],
                "rows": [["" if pd.isna(v) else str(v) for v in row] for row in self.frame.itertuples(index=False)],
                "source": self.source, "name": self.name,
                "csv": safe_csv(self.frame.to_csv(index=False, lineterminator="\n"))}

    def _repr_html_(self) -> str:
        return str(notebook_table(self.parts()))

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        parts = self.parts()
        markup = str(notebook_table(parts))
        return {"text/plain": self.caption, "text/html": markup,
                WPSR_MIME: {"html": markup, "vega": None, "table": parts}}


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
