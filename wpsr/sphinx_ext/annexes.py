"""The two working annexes: the innovation checklist (a self-assessment) and the calendar of
global processes (a filterable table, what is next, iCalendar files).

Both render complete, printable HTML from ``data/``; a small script of our own
(``wpsr-checklist.js``, ``wpsr-filters.js``) adds the interactive parts, so without
JavaScript nothing is lost but the interaction.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes

from wpsr import data
from wpsr.book import slug
from wpsr.sphinx_ext import doctree

if TYPE_CHECKING:
    import pandas as pd

CALENDAR_DIR = "calendar"
e = html.escape


# --- the checklist --------------------------------------------------------------------

# One key for every edition, so answers survive a new edition; the first editions stored them
# under "wpsr-checklist:<edition>", which wpsr-checklist.js migrates.
CHECKLIST_KEY = "wpsr-checklist"


class ChecklistDirective(doctree.DataDirective):
    """The innovation checklist as a self-assessment: a section per dimension, a checkbox per item,
    notes per dimension, and a summary, export and clear (added by wpsr-checklist.js)."""

    def run(self) -> list[nodes.Node]:
        resource = self.resource("innovation-checklist")
        items = resource.load()
        key = CHECKLIST_KEY
        dimensions = list(dict.fromkeys(items.dimension))
        summary = "".join(
            f'<li data-dimension="{e(d)}"><span class="wpsr-summary-name">{e(d)}</span> '
            f'<span class="wpsr-summary-bar" aria-hidden="true"><span></span></span> '
            f'<span class="wpsr-summary-count">0 of {int((items.dimension == d).sum())}</span></li>'
            for d in dimensions)
        tools = (
            f'<div class="wpsr-checklist-tools" data-storage-key="{e(key)}" hidden>'
            '<h2 id="where-you-stand">Where you stand</h2>'
            '<p>Your answers are kept in this browser only, on this device; nothing is sent anywhere.</p>'
            f'<ul class="wpsr-checklist-summary" aria-live="polite">{summary}</ul>'
            '<p class="wpsr-checklist-buttons">'
            '<button type="button" data-action="export">Download my answers (CSV)</button> '
            '<button type="button" data-action="print">Print my answers</button> '
            '<button type="button" data-action="clear">Clear my answers</button></p>'
            '<p class="wpsr-checklist-status" role="status"></p></div>')
        out: list[nodes.Node] = [doctree.trusted_html(tools)]
        for dimension in dimensions:
            rows = items[items.dimension == dimension]
            section = doctree.section(dimension, f"dimension-{slug(dimension)}")
            entries = "".join(
                f'<li><input type="checkbox" class="wpsr-check" id="check-{e(r.id)}" name="{e(r.id)}" '
                f'data-dimension="{e(dimension)}"> <label for="check-{e(r.id)}"><span class="wpsr-check-item">'
                f'{e(r.item)}.</span> <span class="wpsr-check-question">{e(r.question)}</span></label> '
                f'<span class="wpsr-check-source">(UN DESA, 2022, {e(r.source_section)})</span></li>'
                for r in rows.itertuples())
            notes = f"notes-{slug(dimension)}"
            section += doctree.trusted_html(
                f'<ul class="wpsr-checklist" data-dimension="{e(dimension)}">{entries}</ul>'
                f'<p class="wpsr-notes"><label for="{notes}">Your notes on {e(dimension.lower())}</label>'
                f'<textarea id="{notes}" class="wpsr-note" data-dimension="{e(dimension)}" rows="3">'
                '</textarea></p>')
            out.append(section)
        out.append(doctree.paragraph(f"Source: {resource.citation()} ",
                                     doctree.link(f"Download the checklist ({resource.path.name})",
                                                  self.site_uri(f"data/{resource.path.name}")),
                                     classes=["wpsr-source"]))
        return out


# --- the calendar -----------------------------------------------------------------------

def ics_files(site: Path) -> None:
    """Write the whole calendar and one file per meeting into the site's calendar/ folder."""
    from wpsr import processes

    frame = processes.processes()
    folder = site / CALENDAR_DIR
    folder.mkdir(exist_ok=True)
    (folder / "global-processes.ics").write_bytes(processes.ics(frame))
    for index in frame[frame.dates_confirmed].index:
        (folder / f"{frame.at[index, 'id']}.ics").write_bytes(processes.ics(frame.loc[[index]]))


def filter_box(table_id: str, noun: str, heading: str, prefix: str, selects: list[tuple[str, str, list[str]]],
               text_label: str) -> str:
    """The filters wpsr-filters.js brings to life (hidden without JavaScript): a select per
    (name, label, values) over the rows' data-NAME, and a text field over their header cells."""
    def select(name: str, label: str, values: list[str]) -> str:
        options = "".join(f'<option value="{e(v)}">{e(v)}</option>' for v in values)
        return (f'<label for="filter-{name}">{label}</label> <select id="filter-{name}" data-filter="{name}">'
                f'<option value="">All</option>{options}</select> ')

    return (f'<div class="{prefix}-filters wpsr-filters" data-filters-for="{table_id}" data-noun="{noun}" hidden>'
            f'<h2 id="{table_id}-filters">{heading}</h2>' + "".join(select(*s) for s in selects)
            + f'<label for="filter-text">{text_label}</label> <input id="filter-text" type="search" '
              f'data-filter="text"> <span class="{prefix}-count" role="status"></span></div>')


class CalendarDirective(doctree.DataDirective):
    """What is next, then every process in a table that wpsr-filters.js can filter."""

    def run(self) -> list[nodes.Node]:
        from wpsr import processes

        resource = self.resource(processes.DATASET)
        frame = processes.processes()
        day = processes.build_day()
        self.env.wpsr_dated_pages = {*getattr(self.env, "wpsr_dated_pages", set()), self.env.docname}
        self.env.wpsr_build_day = day  # "what is next" is re-read when the day changes
        return [doctree.trusted_html(self.next_up(frame, day) + self.downloads(resource) + self.filters(frame)
                                      + self.table(frame))]

    def next_up(self, frame: pd.DataFrame, day: Any) -> str:
        from wpsr import processes

        under_way, coming = processes.upcoming(frame, day)
        undated = frame[(~frame.dates_confirmed) & (frame.year >= day.year)]

        def listing(rows: pd.DataFrame) -> str:
            return "".join(f"<li><strong>{e(r['name'])}</strong>: {e(processes.dates(r))}"
                           + (f", {e(r.place)}" if isinstance(r.place, str) else "") + "</li>"
                           for _, r in rows.iterrows())

        parts = [f'<div class="wpsr-next"><h2 id="what-is-next">What is next</h2>'
                 f"<p>As of {day.day} {day:%B %Y}, the day this edition was built:</p>"]
        if len(under_way):
            parts.append(f"<p>Under way:</p><ul>{listing(under_way)}</ul>")
        if len(coming):
            parts.append(f"<p>Next:</p><ul>{listing(coming)}</ul>")
        if not len(under_way) and not len(coming):
            parts.append("<p>No meeting in this calendar with confirmed dates is under way or still to come.</p>")
        if len(undated):
            parts.append(f"<p>Still to be dated:</p><ul>{listing(undated)}</ul>")
        return "".join(parts) + "</div>"

    def downloads(self, resource: data.Resource) -> str:

        return ('<p class="wpsr-calendar-downloads">Download the whole calendar: '
                f'<a href="{self.site_uri(f"{CALENDAR_DIR}/global-processes.ics")}" download>'
                "for calendar programs (iCalendar, .ics)</a>, or "
                f'<a href="{self.site_uri(f"data/{resource.path.name}")}">as data (CSV)</a>. '
                "Meetings whose dates are not confirmed are not in the .ics file.</p>")

    @staticmethod
    def filters(frame: pd.DataFrame) -> str:
        chapters = sorted({c for value in frame.chapters for c in value.split(";")})
        return filter_box("calendar-table", "meetings", "Filter the calendar", "wpsr-calendar",
                          [("type", "Type", list(dict.fromkeys(frame.type))),
                           ("year", "Year", [str(y) for y in sorted(frame.year.unique())]),
                           ("chapters", "Chapter", chapters)], "Name contains")

    def table(self, frame: pd.DataFrame) -> str:
        from wpsr import processes

        rows = []
        for _, r in frame.iterrows():
            ics = (f'<a href="{self.site_uri(f"{CALENDAR_DIR}/{r.id}.ics")}" download>Add to calendar '
                   f'<span class="wpsr-visually-hidden">({e(r["name"])})</span></a>' if r.dates_confirmed
                   else "Dates not confirmed")
            rows.append(({"type": r.type, "year": r.year, "chapters": r.chapters},
                         [e(processes.dates(r)), row_heading(r["name"], r.url, text_or_none(r.note)), e(r.type),
                          e(r.place) if isinstance(r.place, str) else "Not confirmed", e(r.organizer),
                          e(r.chapters.replace(";", ", ")), ics]))
        return filterable_table("calendar-table", "wpsr-calendar",
                                f"Main global processes, {frame.year.min()}-{frame.year.max()}",
                                ("Dates", "Meeting", "Type", "Place", "Organizer", "Chapters", "Calendar"), rows)


def text_or_none(value: object) -> str | None:
    """A CSV cell's text, or None for an empty cell (pandas gives NA)."""
    return value if isinstance(value, str) and value else None


def row_heading(title: str, url: str, note: str | None = None) -> str:
    """A row's heading: its title linked to its page, and its note (if any) beneath."""
    under = f'<br><span class="wpsr-note-text">{e(note)}</span>' if note else ""
    return f'<a href="{e(url)}">{e(title)}</a>{under}'


def filterable_table(table_id: str, css_class: str, caption: str, headers: tuple[str, ...],
                     rows: list[tuple[dict[str, object], list[str]]]) -> str:
    """A table wpsr-filters.js can filter. Each row is its data-* attributes (escaped here) and
    its cells as HTML, escaped by the caller; the second cell is the row's header."""
    body = "".join(
        "<tr" + "".join(f' data-{key}="{e(str(value))}"' for key, value in attributes.items()) + ">"
        + "".join(f'<th scope="row">{cell}</th>' if i == 1 else f"<td>{cell}</td>" for i, cell in enumerate(cells))
        + "</tr>" for attributes, cells in rows)
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    return (f'<div class="wpsr-table"><table class="{css_class}" id="{table_id}"><caption>{e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


# --- the take-up register ------------------------------------------------------------------

class UptakeDirective(doctree.DataDirective):
    """Every record of take-up in a table that wpsr-filters.js can filter by type, year and country."""

    def run(self) -> list[nodes.Node]:
        frame = self.resource("uptake").load()
        if frame.empty:
            return [doctree.paragraph("No record of take-up has been verified yet.")]
        frame = frame.sort_values("date", ascending=False)
        frame = frame.astype({"country": object, "note": object, "took_up": object}).fillna("")
        countries = sorted({c for c in frame.country if c})
        rows = [({"type": r.type, "year": r.date.year, "country": r.country},
                 [r.date.date().isoformat(), row_heading(r.title, r.url, r.note), e(r.type), e(r.organization),
                  e(r.country) or "International or not given", e(r.took_up), r.checked.date().isoformat()])
                for r in frame.itertuples()]
        box = filter_box("uptake-table", "records", "Filter the records", "wpsr-uptake",
                         [("type", "Type", sorted(set(frame.type))),
                          ("year", "Year", sorted({str(d.year) for d in frame.date}, reverse=True)),
                          ("country", "Country", countries)], "Title contains")
        table = filterable_table("uptake-table", "wpsr-uptake", "Records of take-up, newest first",
                                 ("Date", "Record", "Type", "Organization", "Country", "Took up", "Checked"), rows)
        return [doctree.trusted_html(box + table)]
