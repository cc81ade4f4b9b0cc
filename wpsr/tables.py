"""Tables: a captioned, accessible HTML table with its source and its data as CSV."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from urllib.parse import quote

import pandas as pd

from wpsr.book import slug
from wpsr.data import source_line
from wpsr.safety import WPSR_MIME, safe_csv


class Table:
    """A table ready for the page; notebooks display it."""

    def __init__(self, frame: pd.DataFrame, *, caption: str, sources: Sequence[str], name: str):
        self.frame = frame
        self.caption = caption
        self.name = slug(name)
        self.source = source_line(sources)

    def _repr_html_(self) -> str:
        e = html.escape

        def cells(row: Iterable[object], tag: str, scope: str) -> str:
            return "".join(f'<{tag}{scope}>{e("" if pd.isna(v) else str(v))}</{tag}>' for v in row)

        head = "<tr>" + cells(self.frame.columns, "th", ' scope="col"') + "</tr>"
        body = "\n".join("<tr>" + cells(row, "td", "") + "</tr>"
                         for row in self.frame.itertuples(index=False))
        csv = safe_csv(self.frame.to_csv(index=False, lineterminator="\n"))
        return (
            f'<div class="wpsr-table" id="table-{self.name}">\n'
            f'<table class="table"><caption>{e(self.caption)}</caption>\n'
            f"<thead>{head}</thead>\n<tbody>\n{body}\n</tbody></table>\n"
            f'<p class="wpsr-source">Source: {e(self.source)}</p>\n'
            f'<p class="wpsr-download"><a download="{self.name}.csv" '
            f'href="data:text/csv;charset=utf-8,{quote(csv)}" data-wpsr-file="{self.name}.csv">'
            "Download this table (CSV)</a></p>\n"
            f"</div>"
        )

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
        parts = html.escape(self.text).split("`")
        return '<p class="wpsr-note">' + "".join(f"<code>{p}</code>" if i % 2 else p
                                                  for i, p in enumerate(parts)) + "</p>"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        markup = self._repr_html_()
        return {"text/plain": self.text, "text/html": markup, WPSR_MIME: {"html": markup, "vega": None}}


def note(text: str) -> Note:
    """A sentence for the page (plain text; `backticks` mark code)."""
    return Note(text)

