"""How current each dataset is, and where each value comes from: the states a dataset can be in on a
given day, what a reader is told of them (beside a chart's source line, in the data annex, in the
page's language), the check of wpsr:checked, and the provenance columns.

Every day here is injected (an Age's day, or $SOURCE_DATE_EPOCH): no test fails because a date passes."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wpsr.data import DataError, DataPackage
from wpsr.provenance import GRACE, Age, Currency, long_date

EXPECTED = dt.date(2030, 3, 1)  # a next edition's expected day, later than any check the report records
BEFORE, AFTER = EXPECTED - dt.timedelta(days=40), EXPECTED + dt.timedelta(days=3)


def age(checked: dt.date | None, next_release: dt.date | None = EXPECTED) -> Age:
    return Age(dt.date(2029, 2, 1), "annual", next_release, 3, checked)


def epoch(day: dt.date) -> str:
    """$SOURCE_DATE_EPOCH for noon on that day."""
    return str(calendar.timegm(dt.datetime.combine(day, dt.time(12)).timetuple()))


# --- the states --------------------------------------------------------------------------------------

def test_a_dataset_is_current_until_its_next_edition_is_expected() -> None:
    assert age(BEFORE).currency(EXPECTED - dt.timedelta(days=1)) is Currency.CURRENT
    assert age(None, next_release=None).currency(EXPECTED + GRACE * 10) is Currency.CURRENT  # a record of one event


def test_unchecked_since_it_was_expected_a_dataset_is_due_then_overdue() -> None:
    assert age(BEFORE).currency(EXPECTED) is Currency.DUE
    assert age(BEFORE).currency(EXPECTED + GRACE - dt.timedelta(days=1)) is Currency.DUE
    assert age(BEFORE).currency(EXPECTED + GRACE) is Currency.OVERDUE
    assert age(None).currency(EXPECTED + GRACE) is Currency.OVERDUE


def test_checked_on_or_after_the_expected_day_a_dataset_is_awaited_however_late() -> None:
    assert age(EXPECTED).currency(EXPECTED) is Currency.AWAITED
    assert age(AFTER).currency(AFTER + GRACE * 10) is Currency.AWAITED


# --- what a reader is told -----------------------------------------------------------------------------

def test_the_reader_is_told_nothing_while_current_and_what_the_last_check_found_after() -> None:
    assert age(BEFORE).note(EXPECTED - dt.timedelta(days=1)) == ""
    due = age(BEFORE).note(EXPECTED + GRACE)
    assert due.startswith("A newer edition may exist") and long_date(BEFORE) in due
    awaited = age(AFTER).note(AFTER)
    assert "not yet published" in awaited and long_date(AFTER) in awaited
    assert long_date(dt.date(2026, 12, 2)) == "2 December 2026"  # UN English, as the calendar writes a day


def test_the_note_is_in_the_page_language_and_its_date_as_the_language_writes_it(empty_book: Path) -> None:
    message = "Checked on {date}: the next edition is not yet published."
    folder = empty_book / "locales" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "wpsr.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: fr\\n"\n\n'
        f'msgid "{message}"\nmsgstr "Vérifié le {{date}} : la prochaine édition n\'est pas encore parue."\n',
        encoding="utf-8")
    french = age(AFTER).note(AFTER, "fr")
    assert french.startswith("Vérifié le ") and long_date(AFTER, "fr") in french
    assert long_date(AFTER, "fr") != long_date(AFTER)  # the French way of writing the day
    assert age(BEFORE).note(EXPECTED, "fr").startswith("A newer edition may exist")  # untranslated: English


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report's data in a book of its own, with one dataset expected on EXPECTED and last checked before
    it (internet-use), and one expected long after (civic-space)."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "_config.yml").write_text("title: test\n")
    path = tmp_path / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "internet-use":
            resource.update({"wpsr:nextRelease": EXPECTED.isoformat(), "wpsr:checked": BEFORE.isoformat()})
        elif resource["name"] == "civic-space":
            resource["wpsr:nextRelease"] = (EXPECTED + GRACE * 20).isoformat()
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(tmp_path))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(EXPECTED))  # the day of the check, unless a test says another
    return tmp_path


def rewrite(book: Path, change: Callable[[dict], None]) -> str:
    """Change each resource of the book's descriptor in place; the descriptor's new text."""
    path = book / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        change(resource)
    text = json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def test_a_source_line_says_what_the_last_check_found_once_the_next_edition_was_due(book: Path) -> None:
    package = DataPackage.read()
    overdue, current = package.resource("internet-use"), package.resource("civic-space")
    before = overdue.citation(EXPECTED - dt.timedelta(days=1))
    assert before.endswith(f"Data as of {overdue.age.shown}.")
    after = overdue.citation(EXPECTED + GRACE)
    assert after.startswith(before)
    assert after.endswith(f"A newer edition may exist; last checked on {long_date(BEFORE)}.")
    assert current.citation(EXPECTED + GRACE).endswith(f"Data as of {current.age.shown}.")


def test_data_status_tells_the_three_states_apart(book: Path, wpsr, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = {"internet-use": BEFORE, "population-broad-age": EXPECTED - GRACE * 3, "uptake": AFTER}
    released = {"internet-use": EXPECTED, "population-broad-age": EXPECTED - GRACE * 2, "uptake": EXPECTED}

    def states(resource: dict) -> None:
        if resource["name"] in checks:
            resource.update({"wpsr:nextRelease": released[resource["name"]].isoformat(),
                             "wpsr:checked": checks[resource["name"]].isoformat()})
        elif resource.get("wpsr:nextRelease"):  # every other dataset current
            resource["wpsr:nextRelease"] = (EXPECTED + GRACE * 20).isoformat()

    rewrite(book, states)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(AFTER))
    said = wpsr(book, "data", "status")
    assert said.returncode == 0, said.stderr
    lines = {line.split(":")[0]: line for line in said.stdout.splitlines()}
    assert set(lines) == set(checks)
    assert lines["internet-use"].startswith(f"internet-use: {Currency.DUE.value}: ")
    assert lines["population-broad-age"].startswith(f"population-broad-age: {Currency.OVERDUE.value}: ")
    assert lines["uptake"].startswith(f"uptake: {Currency.AWAITED.value}: ")
    assert all(" — " in line and "wpsr:checked" in line for line in lines.values())
    rewrite(book, lambda r: r.update({"wpsr:nextRelease": (EXPECTED + GRACE * 20).isoformat()})
            if r.get("wpsr:nextRelease") else None)
    assert wpsr(book, "data", "status").stdout.startswith("Every dataset is current")


# --- wpsr:checked, checked ------------------------------------------------------------------------------

@pytest.mark.parametrize(("checked", "message"), [
    ("2026-02-30", "wpsr:checked '2026-02-30' is not a date — "),
    ("02/12/2026", "wpsr:checked '02/12/2026' is not a date — "),
    (None, "wpsr:checked is missing — "),
    ("2001-01-01", "wpsr:checked 2001-01-01 is before wpsr:asOf"),
    ((EXPECTED + dt.timedelta(days=1)).isoformat(), f"is after today ({EXPECTED.isoformat()})"),
])
def test_a_bad_wpsr_checked_is_a_located_error(book: Path, monkeypatch: pytest.MonkeyPatch,
                                              checked: str | None, message: str) -> None:
    def set_checked(resource: dict) -> None:
        if resource["name"] == "internet-use":
            resource.pop("wpsr:checked")
            resource.update({"wpsr:checked": checked} if checked else {})

    text = rewrite(book, set_checked)
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"name": "internet-use"' in row)
    assert [str(p) for p in caught.value.problems if message in str(p)] == [
        p for p in map(str, caught.value.problems) if p.startswith(f"data/datapackage.json:{line}: "
                                                                  "resources[internet-use]: ")], caught.value
    assert len(caught.value.problems) == 1


def test_a_record_of_one_event_needs_no_check(book: Path) -> None:
    package = DataPackage.read()
    fixed = [r for r in package.resources.values() if r.age.cadence == "fixed"]
    assert fixed and all(r.age.currency(EXPECTED + GRACE * 100) is Currency.CURRENT for r in fixed)


# --- where each value comes from ------------------------------------------------------------------------

@pytest.mark.parametrize(("dataset", "column"), [("internet-use", "source_kind"),
                                                 ("global-processes", "dates_source")])
def test_a_provenance_column_refuses_an_unknown_kind_on_its_line(book: Path, dataset: str, column: str) -> None:
    resource = DataPackage.read().resource(dataset)
    rows = list(csv.reader(io.StringIO(resource.path.read_text(encoding="utf-8"))))
    at = rows[0].index(column)
    line = next(n for n, row in enumerate(rows[1:], 2) if row[at])  # the first row that says where it comes from
    rows[line - 1][at] = "hearsay"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    resource.path.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        resource.load()
    [problem] = [str(p) for p in caught.value.problems]
    assert problem.startswith(f"data/{resource.path.name}:{line}: {column}: 'hearsay' is not an allowed value — ")


def test_the_calendar_chart_shows_where_each_meetings_dates_come_from(book: Path) -> None:
    from wpsr import processes

    figure = processes.chart()
    frame = processes.processes()
    known = frame[frame.dates_confirmed]
    assert set(known.dates_source) <= set(processes.DATES_FROM)
    tooltips = [t.get("field") for layer in figure.spec["layer"] for t in layer["encoding"]["tooltip"]]
    assert "dates from" in tooltips
    for row in known.itertuples():  # a meeting whose dates rest on anything but an official page is named
        said = f"{row.name} ({processes.DATES_FROM[row.dates_source]})"
        assert (said in figure.description) == (row.dates_source != "official"), row.name
    assert "dates_source" in figure.csv().splitlines()[0]


# --- the data annex: the reader is told there too ---------------------------------------------------------

@pytest.fixture
def annex_app(book: Path, make_app, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A one-page book whose page is the data annex's list of datasets (the report's data, as `book` set it)."""
    from wpsr.book import building

    shutil.copy2(ROOT / "tests" / "roots" / "test-site" / "conf.py", book / "conf.py")
    for name in ("editions.yaml", "reviewed.yaml"):
        shutil.copy2(ROOT / name, book / name)
    (book / "node_modules").symlink_to(ROOT / "node_modules")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (book / "index.md").write_text("# Data\n\n```{wpsr-datasets}\n```\n")
    for name in [n for n in os.environ if n.startswith("WPSR_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(book)
    with building(book):
        yield make_app("html", srcdir=book)


def test_the_data_annex_says_an_overdue_dataset_may_be_out_of_date_and_a_current_one_not(
        annex_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch(EXPECTED + GRACE))
    annex_app.build()
    page = (Path(annex_app.outdir) / "index.html").read_text(encoding="utf-8")

    def entry(name: str) -> str:
        return re.sub(r"<[^>]+>", "", re.search(rf'id="dataset-{name}".*?(?=id="dataset-|$)', page, re.S)[0])

    assert f"{long_date(EXPECTED)}. A newer edition may exist; last checked on {long_date(BEFORE)}." \
        in entry("internet-use")
    assert "source_kind (string)" in entry("internet-use")  # the provenance column, among the columns
    assert "A newer edition may exist" not in entry("civic-space") and "not yet published" not in entry("civic-space")
