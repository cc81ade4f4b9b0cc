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
from wpsr.markup import say as _
from wpsr.sphinx_ext import doctree
from wpsr.sphinx_ext.data_words import Words

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
        where = self.get_source_info()
        words = Words()  # the checklist's own words, in the page's language
        tools = render("checklist-tools.html", key=CHECKLIST_KEY,
                       dimensions=[(d, words(d), int((items.dimension == d).sum())) for d in dimensions])
        out: list[nodes.Node] = [words.node(tools, *where)]
        for dimension in dimensions:
            words = Words()
            mine = [{"id": r.id, "item": words(r.item), "question": words(r.question),
                     "source_section": words(r.source_section)}
                    for r in items[items.dimension == dimension].itertuples()]
            section = doctree.section(dimension, f"dimension-{slug(dimension)}")
            section += words.node(render("checklist-dimension.html", dimension=dimension, said=words(dimension),
                                         notes=f"notes-{slug(dimension)}", items=mine), *where)
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


def filter_box(table_id: str, shown: str, heading: str, prefix: str,
               selects: list[tuple[str, str, list[str] | list[tuple[str, str]]]], text_label: str) -> Markup:
    """The filters wpsr-filters.js brings to life (hidden without JavaScript): a select per
    (name, label, values) over the rows' data-NAME, each value a string or (value, as shown), and a
    text field over their header cells. ``shown`` says how many rows are shown ({shown}, {total})."""
    options = [(name, label, [v if isinstance(v, tuple) else (v, v) for v in values])
               for name, label, values in selects]
    return render("filters.html", table_id=table_id, shown=shown, heading=heading, prefix=prefix, selects=options,
                  text_label=text_label)


class CalendarDirective(doctree.DataDirective):
    """What is next, then every process in a table that wpsr-filters.js can filter. The meetings' names,
    kinds, places, organizers and notes are words of the page's catalog (`Words`)."""

    def run(self) -> list[nodes.Node]:
        from wpsr import processes

        resource = self.resource(processes.DATASET)
        frame = processes.processes()
        day = processes.build_day()
        self.env.wpsr_dated_pages = {*getattr(self.env, "wpsr_dated_pages", set()), self.env.docname}
        self.env.wpsr_build_day = day  # "what is next" is re-read when the day changes
        words = Words()
        markup = (self.next_up(frame, day, words) + self.downloads(resource) + self.filters(frame, words)
                  + self.table(frame, words))
        return [words.node(markup, *self.get_source_info())]

    def next_up(self, frame: pd.DataFrame, day: Any, words: Words) -> Markup:
        from wpsr import processes

        under_way, coming = processes.upcoming(frame, day)
        undated = frame[(~frame.dates_confirmed) & (frame.year >= day.year)]
        language = self.config.language or "en"

        def listing(rows: pd.DataFrame) -> list[tuple[str, str, str | None]]:
            return [(words(r["name"]), processes.dates(r, language), words(text_or_none(r.place) or ""))
                    for _index, r in rows.iterrows()]

        return render("calendar-next.html", day_shown=format_date(day, "long", locale=locale(language)),
                      under_way=listing(under_way), coming=listing(coming), undated=listing(undated))

    def downloads(self, resource: data.Resource) -> Markup:
        return render("calendar-downloads.html", ics=self.site_uri(f"{CALENDAR_DIR}/global-processes.ics"),
                      csv=self.site_uri(f"data/{resource.path.name}"))

    @staticmethod
    def filters(frame: pd.DataFrame, words: Words) -> Markup:
        chapters = sorted({c for value in frame.chapters for c in value.split(";")})
        return filter_box("calendar-table", _("{shown} of {total} meetings shown"), _("Filter the calendar"),
                          "wpsr-calendar",
                          [("type", _("Type"), [(t, words(t)) for t in dict.fromkeys(frame.type)]),
                           ("year", _("Year"), [(str(y), str(y)) for y in sorted(frame.year.unique())]),
                           ("chapters", _("Chapter"), [(c, c) for c in chapters])], _("Name contains"))

    def table(self, frame: pd.DataFrame, words: Words) -> Markup:
        from wpsr import processes

        language = self.config.language or "en"
        rows = []
        for _index, r in frame.iterrows():
            name = words(r["name"])
            ics = (render("calendar-link.html", href=self.site_uri(f"{CALENDAR_DIR}/{r.id}.ics"), name=name)
                   if r.dates_confirmed else _("Dates not confirmed"))
            dates_from = (_(processes.DATES_FROM[r.dates_source]) if isinstance(r.dates_source, str)
                          and r.dates_source in processes.DATES_FROM else "")
            rows.append(filter_row({"type": r.type, "year": r.year, "chapters": r.chapters},
                                   [processes.dates(r, language),
                                    row_heading(name, r.url, words(text_or_none(r.note) or "")),
                                    words(r.type), words(text_or_none(r.place) or "") or _("Not confirmed"),
                                    words(r.organizer), r.chapters.replace(";", ", "), dates_from.capitalize(), ics]))
        return filterable_table("calendar-table", "wpsr-calendar",
                                _("Main global processes, {first}-{last}", first=frame.year.min(),
                                  last=frame.year.max()),
                                (_("Dates"), _("Meeting"), _("Type"), _("Place"), _("Organizer"), _("Chapters"),
                                 _("Dates from"), _("Calendar")), rows)


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
            return [doctree.paragraph(_("No record of take-up has been verified yet."))]
        frame = frame.sort_values("date", ascending=False)
        frame = frame.astype({"country": object, "note": object, "took_up": object}).fillna("")
        countries = sorted({c for c in frame.country if c})
        rows = [filter_row({"type": r.type, "year": r.date.year, "country": r.country},
                           [r.date.date().isoformat(), row_heading(r.title, r.url, r.note), r.type, r.organization,
                            r.country or _("International or not given"), r.took_up, r.checked.date().isoformat()])
                for r in frame.itertuples()]
        box = filter_box("uptake-table", _("{shown} of {total} records shown"), _("Filter the records"),
                         "wpsr-uptake", [("type", _("Type"), sorted(set(frame.type))),
                                         ("year", _("Year"), sorted({str(d.year) for d in frame.date}, reverse=True)),
                                         ("country", _("Country"), countries)], _("Title contains"))
        table = filterable_table("uptake-table", "wpsr-uptake", _("Records of take-up, newest first"),
                                 (_("Date"), _("Record"), _("Type"), _("Organization"), _("Country"), _("Took up"),
                                  _("Checked")), rows)
        return [doctree.trusted_html(box + table)]
