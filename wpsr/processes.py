"""The calendar of main global processes, 2023-2027: what is next, a timeline and iCalendar files."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import icalendar
import pandas as pd

from wpsr.data import load, today
from wpsr.markup import N_
from wpsr.markup import say as _

if TYPE_CHECKING:
    from wpsr.charts import Figure

DATASET = "global-processes"
PRODID = "-//UN DESA//World Public Sector Report 2023 living report//EN"


build_day = today  # the day the site is built: $SOURCE_DATE_EPOCH (for reproducible builds), else today

# What kind of page a meeting's dates rest on (the dates_source column), as a reader is told it.
DATES_FROM = {"official": N_("official page"), "government": N_("government page"), "press report": N_("press report"),
              "secondary": N_("secondary page")}


def processes() -> pd.DataFrame:
    """Every process, in date order (those without confirmed dates last within their year)."""
    frame = load(DATASET)
    return frame.sort_values(["year", "start"], na_position="last").reset_index(drop=True)


def dates(row: pd.Series, language: str = "en") -> str:
    """'18-19 September 2023', '30 November - 12 December 2023', or '2027, dates not confirmed'; in
    another language, as babel writes a span of days there (with the month as that language shortens it)."""
    if not row.dates_confirmed:
        return _("{year}, dates not confirmed", year=row.year)
    start, end = row.start.date(), row.end.date()
    if language != "en":
        from babel.dates import format_date, format_interval

        from wpsr.languages import locale

        where = locale(language)
        return format_date(start, "long", locale=where) if start == end else \
            format_interval(start, end, "yMMMMd", locale=where)
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}-{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} - {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} - {end.day} {end:%B %Y}"


def upcoming(frame: pd.DataFrame, day: dt.date, count: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(under way on that day, the next `count` to start after it), among those with confirmed dates."""
    known = frame[frame.dates_confirmed]
    now = pd.Timestamp(day)
    under_way = known[(known.start <= now) & (known.end >= now)]
    return under_way, known[known.start > now].head(count)


def chart() -> Figure:
    """The processes with confirmed dates on a timeline, one lane per type."""
    from wpsr.charts import figure, timeline  # altair loads only when a chart is drawn

    frame = processes()
    known = frame[frame.dates_confirmed].assign(when=lambda f: f.apply(dates, axis=1),
                                                **{"dates from": lambda f: f.dates_source.map(DATES_FROM)})
    later = frame[~frame.dates_confirmed]
    by_type = known.groupby("type", sort=False).size()
    unofficial = known[known.dates_source != "official"]
    return figure(
        timeline(known, start="start", end="end", lane="type", label="name", tooltip=["when", "place", "dates from"]),
        title=f"Main global processes with confirmed dates, {known.year.min()}-{known.year.max()}",
        description=f"{len(known)} meetings with confirmed dates, by type: "
        + "; ".join(f"{t} {n}" for t, n in by_type.items())
        + (". Dates that rest on a page other than an official one of the meeting or the United Nations: "
           + "; ".join(f"{name} ({kind})" for name, kind in zip(unofficial.name, unofficial["dates from"], strict=True))
           if len(unofficial) else "")
        + f". Not shown, as their dates are not yet confirmed: {', '.join(later.name)}.",
        sources=DATASET,
        name="global-processes-timeline",
    )


def ics(frame: pd.DataFrame, *, day: dt.date | None = None) -> bytes:
    """The processes with confirmed dates as an RFC 5545 calendar of all-day events."""
    stamp = dt.datetime.combine(day or build_day(), dt.time(), dt.UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "World Public Sector Report 2023: main global processes")
    for row in frame[frame.dates_confirmed].itertuples():
        event = icalendar.Event()
        event.add("uid", f"{row.id}@wpsr2023.living-report")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.start.date())
        event.add("dtend", row.end.date() + dt.timedelta(days=1))  # all-day events end the day after
        event.add("summary", row.name)
        if isinstance(row.place, str):
            event.add("location", row.place)
        event.add("description", f"{row.type}, organized by {row.organizer}. Bears on chapter(s) "
                  f"{row.chapters.replace(';', ', ')} of the World Public Sector Report 2023. {row.url}")
        event.add("url", row.url)
        calendar.add_component(event)
    return calendar.to_ical()
