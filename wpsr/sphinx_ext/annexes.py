"""The two working annexes: the innovation checklist (a self-assessment) and the calendar of
global processes (a filterable table, what is next, iCalendar files).

Both render complete, printable HTML from ``data/``; a small script of our own
(``wpsr-checklist.js``, ``wpsr-filters.js``) adds the interactive parts, so without
JavaScript nothing is lost but the interaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from docutils import nodes

from wpsr import data
from wpsr.book import slug
from wpsr.languages import locale
from wpsr.markup import Markup, Row, render, table_html
from wpsr.sphinx_ext import doctree

if TYPE_CHECKING:
    import pandas as pd

CALENDAR_DIR = "calendar"


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
        dimensions = list(dict.fromkeys(items.dimension))
        tools = render("checklist-tools.html", key=CHECKLIST_KEY,
                       dimensions=[(d, int((items.dimension == d).sum())) for d in dimensions])
        out: list[nodes.Node] = [doctree.trusted_html(tools)]
        for dimension in dimensions:
            section = doctree.section(dimension, f"dimension-{slug(dimension)}")
            section += doctree.trusted_html(render(
                "checklist-dimension.html", dimension=dimension, notes=f"notes-{slug(dimension)}",
                items=list(items[items.dimension == dimension].itertuples())))
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
               text_label: str) -> Markup:
    """The filters wpsr-filters.js brings to life (hidden without JavaScript): a select per
    (name, label, values) over the rows' data-NAME, and a text field over their header cells."""
    return render("filters.html", table_id=table_id, noun=noun, heading=heading, prefix=prefix, selects=selects,
                  text_label=text_label)


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

    def next_up(self, frame: pd.DataFrame, day: Any) -> Markup:
        from wpsr import processes

        under_way, coming = processes.upcoming(frame, day)
        undated = frame[(~frame.dates_confirmed) & (frame.year >= day.year)]

        def listing(rows: pd.DataFrame) -> list[tuple[str, str, str | None]]:
            return [(r["name"], processes.dates(r), r.place if isinstance(r.place, str) else None)
                    for _, r in rows.iterrows()]

        return render("calendar-next.html", day_shown=format_date(day, "long", locale=locale(self.config.language)),
                      under_way=listing(under_way), coming=listing(coming), undated=listing(undated))

    def downloads(self, resource: data.Resource) -> Markup:
        return render("calendar-downloads.html", ics=self.site_uri(f"{CALENDAR_DIR}/global-processes.ics"),
                      csv=self.site_uri(f"data/{resource.path.name}"))

    @staticmethod
    def filters(frame: pd.DataFrame) -> Markup:
        chapters = sorted({c for value in frame.chapters for c in value.split(";")})
        return filter_box("calendar-table", "meetings", "Filter the calendar", "wpsr-calendar",
                          [("type", "Type", list(dict.fromkeys(frame.type))),
                           ("year", "Year", [str(y) for y in sorted(frame.year.unique())]),
                           ("chapters", "Chapter", chapters)], "Name contains")

    def table(self, frame: pd.DataFrame) -> Markup:
        from wpsr import processes

        rows = []
        for _, r in frame.iterrows():
            ics = (render("calendar-link.html", href=self.site_uri(f"{CALENDAR_DIR}/{r.id}.ics"), name=r["name"])
                   if r.dates_confirmed else "Dates not confirmed")
            dates_from = processes.DATES_FROM.get(r.dates_source, "") if isinstance(r.dates_source, str) else ""
            rows.append(filter_row({"type": r.type, "year": r.year, "chapters": r.chapters},
                                   [processes.dates(r), row_heading(r["name"], r.url, text_or_none(r.note)), r.type,
                                    r.place if isinstance(r.place, str) else "Not confirmed", r.organizer,
                                    r.chapters.replace(";", ", "), dates_from.capitalize(), ics]))
        return filterable_table("calendar-table", "wpsr-calendar",
                                f"Main global processes, {frame.year.min()}-{frame.year.max()}",
                                ("Dates", "Meeting", "Type", "Place", "Organizer", "Chapters", "Dates from",
                                 "Calendar"), rows)


def text_or_none(value: object) -> str | None:
    """A CSV cell's text, or None for an empty cell (pandas gives NA)."""
    return value if isinstance(value, str) and value else None


def row_heading(title: str, url: str, note: str | None = None) -> Markup:
    """A row's heading: its title linked to its page, and its note (if any) beneath."""
    return render("row-heading.html", title=title, url=url, note=note)


def filter_row(values: dict[str, object], cells: list[object]) -> Row:
    """A row wpsr-filters.js can filter: the values it filters on as its data-* attributes."""
    return Row(cells, {f"data-{key}": str(value) for key, value in values.items()})


def filterable_table(table_id: str, css_class: str, caption: str, headers: tuple[str, ...], rows: list[Row]) -> Markup:
    """A table wpsr-filters.js can filter (rows from ``filter_row``); the second cell heads its row."""
    return table_html(caption, headers, rows, table_id=table_id, classes=[css_class], row_header=1)


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
        rows = [filter_row({"type": r.type, "year": r.date.year, "country": r.country},
                           [r.date.date().isoformat(), row_heading(r.title, r.url, r.note), r.type, r.organization,
                            r.country or "International or not given", r.took_up, r.checked.date().isoformat()])
                for r in frame.itertuples()]
        box = filter_box("uptake-table", "records", "Filter the records", "wpsr-uptake",
                         [("type", "Type", sorted(set(frame.type))),
                          ("year", "Year", sorted({str(d.year) for d in frame.date}, reverse=True)),
                          ("country", "Country", countries)], "Title contains")
        table = filterable_table("uptake-table", "wpsr-uptake", "Records of take-up, newest first",
                                 ("Date", "Record", "Type", "Organization", "Country", "Took up", "Checked"), rows)
        return [doctree.trusted_html(box + table)]
