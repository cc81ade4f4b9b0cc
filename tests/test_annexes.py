"""The working annexes' data and logic: schema rules with bad rows, dates, what is next, iCalendar."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import ics
import pandas as pd
import pytest

from tests.conftest import ROOT
from wpsr import processes
from wpsr.data import DataError, DataPackage

CALENDAR = (ROOT / "data" / "global_processes.csv").read_text(encoding="utf-8")
CHECKLIST = (ROOT / "data" / "innovation_checklist.csv").read_text(encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "_config.yml").write_text("title: test\n")
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(tmp_path))
    return tmp_path / "data"


def problems(data_dir: Path, name: str, path: str, text: str) -> list[str]:
    (data_dir / path).write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        DataPackage.read().resource(name).load()
    return [str(p) for p in caught.value.problems]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


BAD_CALENDAR_ROWS = [
    ("2023-07-10,2023-07-19,true", "2023-07-19,2023-07-10,true", "end: 2023-07-10 is before start 2023-07-19"),
    ("SDG review,2023,2023-07-10", "Party,2023,2023-07-10", "type: 'Party' is not an allowed value"),
    ("(ECOSOC),1;2;3,https://hlpf.un.org/2023", "(ECOSOC),1;4,https://hlpf.un.org/2023",
     "chapters: '1;4' does not match the pattern"),
    ("https://hlpf.un.org/2023", "hlpf.un.org/2023", "url: 'hlpf.un.org/2023' does not match the pattern"),
    ("2023-07-10,2023-07-19", "2023-07-40,2023-07-19", "start: '2023-07-40' is not a date"),
    ("2023-07-10,2023-07-19,true", ",,true", "start: a value is required when dates_confirmed is true"),
    ("2023-07-10,2023-07-19,true", "2023-07-10,2023-07-19,false",
     "start: 2023-07-10 is given but dates_confirmed is false"),
]


@pytest.mark.parametrize(("good", "bad", "message"), BAD_CALENDAR_ROWS, ids=[m[:30] for _, _, m in BAD_CALENDAR_ROWS])
def test_a_bad_calendar_row_names_file_line_field_and_rule(data_dir: Path, good: str, bad: str, message: str) -> None:
    row = next(line for line in CALENDAR.splitlines() if line.startswith("hlpf-2023,"))
    assert good in row
    text = CALENDAR.replace(row, row.replace(good, bad))
    found = problems(data_dir, "global-processes", "global_processes.csv", text)
    line = line_of(text, "hlpf-2023,")
    assert any(p.startswith(f"data/global_processes.csv:{line}: ") and message in p and " — " in p for p in found), \
        found


def test_a_checklist_item_without_a_dimension_is_refused(data_dir: Path) -> None:
    text = CHECKLIST.replace("inf-02,Infrastructure,", "inf-02,,")
    found = problems(data_dir, "innovation-checklist", "innovation_checklist.csv", text)
    assert found == [f"data/innovation_checklist.csv:{line_of(text, 'inf-02,')}: dimension: "
                     "a value is required here — fill it in"]


def test_the_build_stops_on_a_bad_calendar_row(tmp_path: Path, wpsr) -> None:
    from tests.conftest import copy_book

    book = copy_book(tmp_path / "book")
    path = book / "data" / "global_processes.csv"
    path.write_text(CALENDAR.replace("2023-07-10,2023-07-19", "2023-07-19,2023-07-10"))
    result = wpsr(book, "build", "--strict")
    assert result.returncode == 1
    assert "The build stopped before it started" in result.stderr
    assert f"global_processes.csv:{line_of(CALENDAR, 'hlpf-2023,')}: end:" in result.stderr
    assert not (book / "_build" / "html").exists()


def meeting(ident: str, start: str | None = None, end: str | None = None, year: int = 2025) -> dict:
    """A calendar row as processes.processes() gives it: dates as timestamps, none when unconfirmed."""
    return {"id": ident, "year": year, "dates_confirmed": start is not None,
            "start": pd.Timestamp(start) if start else pd.NaT, "end": pd.Timestamp(end or start) if start else pd.NaT}


def test_dates_read_as_people_write_them() -> None:
    def said(*args: str | None, year: int = 2025) -> str:
        return processes.dates(pd.Series(meeting("m", *args, year=year)))

    assert said("2023-09-18", "2023-09-19") == "18-19 September 2023"
    assert said("2023-11-30", "2023-12-12") == "30 November - 12 December 2023"
    assert said("2025-06-30", "2025-06-30") == "30 June 2025"
    assert said("2026-12-30", "2027-01-02") == "30 December 2026 - 2 January 2027"
    assert said(None, None, year=2027) == "2027, dates not confirmed"


def test_what_is_next_depends_on_the_day() -> None:
    frame = pd.DataFrame([meeting("past", "2025-06-01", "2025-06-05"), meeting("now", "2025-06-30", "2025-07-03"),
                          meeting("a", "2025-07-14", "2025-07-23"), meeting("b", "2025-11-04", "2025-11-06"),
                          meeting("c", "2025-11-10", "2025-11-21"), meeting("d", "2025-12-16", "2025-12-17"),
                          meeting("undated")])
    under_way, coming = processes.upcoming(frame, dt.date(2025, 7, 1))
    assert list(under_way.id) == ["now"]
    assert list(coming.id) == ["a", "b", "c"]  # the next three, in date order; never the undated one
    under_way, coming = processes.upcoming(frame, dt.date(2025, 12, 1))
    assert under_way.empty and list(coming.id) == ["d"]
    under_way, coming = processes.upcoming(frame, dt.date(2030, 1, 1))
    assert under_way.empty and coming.empty


def test_the_build_day_can_be_fixed_for_reproducible_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1751328000")  # 2025-07-01 00:00 UTC
    assert processes.build_day() == dt.date(2025, 7, 1)


def test_the_ics_file_parses_back_with_an_independent_parser() -> None:
    frame = processes.processes()
    confirmed = frame[frame.dates_confirmed]
    calendar = ics.Calendar(processes.ics(frame, day=dt.date(2026, 11, 27)).decode())
    events = {e.uid.split("@")[0]: e for e in calendar.events}
    assert len(confirmed) and set(events) == set(confirmed.id) and len(calendar.events) == len(confirmed)
    for row in confirmed.itertuples():
        event = events[row.id]
        assert event.name == row.name and event.all_day
        assert event.begin.date() == row.start.date()
        assert event.end.date() == row.end.date() + dt.timedelta(days=1)  # DTEND is exclusive for dates
    text = processes.ics(frame, day=dt.date(2026, 11, 27)).decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "\r\nVERSION:2.0\r\n" in text and "PRODID:" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))  # RFC 5545 line folding
