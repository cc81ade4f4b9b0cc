"""Frictionless is the oracle of wpsr's own validator (issue 19, option 2: why, with the numbers, is in
``wpsr.data``'s docstring).

Hypothesis generates Table Schemas (the types and constraints data/datapackage.json uses) and CSVs for
them; wpsr (``Resource.check``) and Frictionless (``frictionless.Resource.validate``) must agree on
which tables are valid and, cell by cell, on the rows and fields they refuse. wpsr is stricter by
design in a few listed ways (one way to write each value: ``STRICTER``); where a CSV holds such a
value, whatever Frictionless refuses wpsr must refuse too. The run is derandomized, so CI sees the
same cases each time; set WPSR_ORACLE_EXAMPLES (e.g. 5000) to search further.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import frictionless
import pytest
from frictionless import formats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wpsr.package import DataPackage

EXAMPLES = int(os.environ.get("WPSR_ORACLE_EXAMPLES", "100"))
ORACLE = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MALFORMED = settings(ORACLE, max_examples=max(EXAMPLES // 4, 1))  # a header or a row's width: simpler cases

# The patterns data/datapackage.json uses. (Frictionless anchors a pattern as ^...$ without a group, so
# "a|b" would accept "ab": Table Schema means the whole value, as wpsr does; no pattern here has a
# top-level |.)
PATTERNS = ["[A-Z]{3}", "https?://\\S+", "c[1-3]-g[12]-\\d{2}", "[a-z]{3}-\\d{2}", "[a-z0-9-]+",
            "session-[1-6][ab]?", "[1-3](;[1-3]){0,2}", "https://[^\\s,]+"]
# Values both must read alike, the wrong among them refused by both.
SAME = {
    "integer": ["0", "7", "-3", "+4", "007", "12", "2023", "1.0", "1e3", "x", "--1", "1.5"],
    "number": ["0", "1.5", "-0.25", ".5", "5.", "1e3", "2E-2", "12.50", "100", "1e", "1.2.3", "x", "1,5"],
    "year": ["1999", "2000", "2023", "2031", "0999", "999", "12345", "-100", "+2020", "20x3"],
    "date": ["2022-08-09", "2022-08-10", "2023-07-10", "1999-12-31", "2020-02-29", "2021-02-29", "2023-13-01",
             "20230710", "2023-07-10T10:00", "tomorrow"],
    "time": ["00:00:00", "09:30:00", "23:59:59", "10:00", "1:00:00", "25:00:00", "12:60:00", "noon"],
    "time%H:%M": ["00:00", "09:30", "23:59", "10:00:00", "25:00", "12:60", "noon"],
    "boolean": ["true", "false", "yes", "no", "maybe"],
}
# Values wpsr refuses by design (one way to write each value) that Frictionless may take.
STRICTER = {
    "integer": [" 12", "12 ", "1_000"],
    "number": ["NaN", "INF", "-INF", "nan", "inf", " 1.5", "1_000.5"],
    "year": [" 2020"],
    "date": ["2020-1-1", "2020-01-1"],
    "time": ["24:00:00", "10:00:00.5", "10:00:00Z"],
    "time%H:%M": ["1:00", "9:5"],
    "boolean": ["True", "TRUE", "False", "FALSE", "1", "0"],
}
TEXT = st.text(st.sampled_from("abcKENMEXab-;:/, 'é\"01"), max_size=8)


@st.composite
def fields(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["string", "integer", "number", "year", "date", "boolean", "time", "time%H:%M"]))
    field: dict[str, Any] = {"name": name, "type": kind.removesuffix("%H:%M")}
    if kind == "time%H:%M":
        field["format"] = "%H:%M"
    constraints: dict[str, Any] = {}
    if draw(st.booleans()):
        constraints["required"] = True
    if draw(st.integers(0, 4)) == 0:
        constraints["unique"] = True
    if kind in ("integer", "number", "year") and draw(st.booleans()):  # whole-number bounds, as data/ has them
        low = draw(st.integers(1990, 2025) if kind == "year" else st.integers(-5, 2025))  # a year: 4 digits
        constraints.update(draw(st.sampled_from([{"minimum": low}, {"maximum": low}, {"minimum": low,
                                                                                      "maximum": low + 30}])))
    if kind == "date" and draw(st.booleans()):
        constraints.update({"minimum": "2022-08-09", "maximum": "2023-07-10"})
    if kind == "integer" and draw(st.integers(0, 3)) == 0:
        constraints["enum"] = draw(st.lists(st.integers(-3, 12), min_size=1, max_size=3, unique=True))
    if kind == "string":
        choice = draw(st.integers(0, 4))
        if choice == 0:
            constraints["enum"] = draw(st.lists(TEXT.filter(bool), min_size=1, max_size=3, unique=True))
        elif choice == 1:
            constraints["pattern"] = draw(st.sampled_from(PATTERNS))
        elif choice == 2:
            constraints["maxLength"] = draw(st.integers(0, 6))
    if constraints:
        field["constraints"] = constraints
    return field


def cell(field: dict[str, Any], stricter: bool) -> st.SearchStrategy[str]:
    """A cell for this field: usually one both read alike, some empty, a few (if `stricter`) of STRICTER."""
    kind = field["type"] + field.get("format", "")
    constraints = field.get("constraints", {})
    if field["type"] == "string":
        options = [TEXT, st.sampled_from([str(v) for v in constraints.get("enum", [])] or ["KEN"])]
        if "pattern" in constraints:
            options.append(st.from_regex(constraints["pattern"], fullmatch=True).filter(
                lambda s: "\n" not in s and "\r" not in s and len(s) < 30))
        same = st.one_of(*options)
    else:
        same = st.sampled_from(SAME[kind])
        if field["type"] in ("integer", "year"):
            same = st.one_of(same, st.integers(-50, 2050).map(str))
        bounds = [constraints[c] for c in ("minimum", "maximum") if c in constraints]
        if bounds:  # on either side of a bound, and on it
            steps = {"date": [-1, 0, 1], "number": [-0.5, 0, 0.5, 1]}.get(field["type"], [-1, 0, 1])
            same = st.one_of(same, st.sampled_from([near(b, step) for b in bounds for step in steps]))
    choices = [same, same, same, st.just("")]
    if stricter and kind in STRICTER:
        choices.append(st.sampled_from(STRICTER[kind]))
    return st.one_of(*choices)


def near(bound: int | str, step: float) -> str:
    """A value `step` away from a bound (a day, for a date)."""
    if isinstance(bound, str):
        return (dt.date.fromisoformat(bound) + dt.timedelta(days=step)).isoformat()
    return str(bound + step)


@st.composite
def tables(draw: st.DrawFn, stricter: bool) -> tuple[dict[str, Any], list[list[str]]]:
    """A schema and its data rows (each of the header's width; a few blank)."""
    count = draw(st.integers(1, 4))
    schema: dict[str, Any] = {"fields": [draw(fields(f"f{i}")) for i in range(count)]}
    if draw(st.integers(0, 2)) == 0:
        schema["primaryKey"] = draw(st.lists(st.sampled_from([f["name"] for f in schema["fields"]]), min_size=1,
                                             max_size=2, unique=True))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        if rows and draw(st.integers(0, 5)) == 0:
            rows.append(list(draw(st.sampled_from(rows))))  # a repeated row: unique fields and keys
        elif draw(st.integers(0, 12)) == 0:
            rows.append([""] * count)  # blank
        else:
            rows.append([draw(cell(f, stricter)) for f in schema["fields"]])
    return schema, rows


def write(schema: dict[str, Any], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f["name"] for f in schema["fields"]])
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def by_wpsr(folder: Path, schema: dict[str, Any], text: str) -> set[tuple[int | None, str | None]]:
    """Where wpsr refuses the table: (line, field), the field None for a whole row."""
    (folder / "table.csv").write_bytes(text.encode("utf-8"))
    package = DataPackage(folder / "datapackage.json", {"resources": [
        {"name": "table", "path": "table.csv", "schema": schema}]})
    return {(p.line, p.field) for p in package.resource("table").check()[1]}


def by_frictionless(schema: dict[str, Any], text: str) -> set[tuple[int | None, str | None]]:
    """Where Frictionless refuses it: its row number (the header is row 1, as lines count when no cell
    spans lines) and field, the field None for a whole row."""
    resource = frictionless.Resource(text.encode("utf-8"), format="csv", encoding="utf-8",
                                     schema=frictionless.Schema.from_descriptor(schema),
                                     dialect=frictionless.Dialect(controls=[formats.CsvControl(delimiter=",")]))
    report = resource.validate()
    whole_row = {"primary-key", "blank-row", "missing-cell", "extra-cell"}
    return {(row if row is not None else 1, None if kind in whole_row or not name else name)
            for row, name, kind in report.flatten(["rowNumber", "fieldName", "type"])}


@ORACLE
@given(tables(stricter=False))
def test_wpsr_and_frictionless_refuse_the_same_cells(folder: Path, table: tuple[dict[str, Any], list]) -> None:
    schema, rows = table
    text = write(schema, rows)
    assert by_wpsr(folder, schema, text) == by_frictionless(schema, text), text


@ORACLE
@given(tables(stricter=True))
def test_wpsr_refuses_whatever_frictionless_refuses(folder: Path, table: tuple[dict[str, Any], list]) -> None:
    schema, rows = table
    text = write(schema, rows)
    theirs = by_frictionless(schema, text)
    assert by_wpsr(folder, schema, text) or not theirs, (text, theirs)


@MALFORMED
@given(tables(stricter=False), st.data())
def test_a_row_of_another_width_is_refused_by_both_on_its_line(folder: Path, table: tuple[dict[str, Any], list],
                                                               data: st.DataObject) -> None:
    schema, rows = table
    if not rows or not any(rows):
        rows = [["x"] * len(schema["fields"])]
    at = data.draw(st.integers(0, len(rows) - 1))
    rows[at] = rows[at] + ["extra"] if data.draw(st.booleans()) or len(rows[at]) == 1 else rows[at][:-1]
    text = write(schema, rows)
    ours, theirs = by_wpsr(folder, schema, text), by_frictionless(schema, text)
    assert (at + 2, None) in ours and (at + 2, None) in theirs, (text, theirs, ours)


@MALFORMED
@given(tables(stricter=False), st.data())
def test_a_header_unlike_the_schema_is_refused_by_both(folder: Path, table: tuple[dict[str, Any], list],
                                                       data: st.DataObject) -> None:
    schema, rows = table
    names = [f["name"] for f in schema["fields"]]
    header = data.draw(st.one_of(st.permutations(names), st.lists(st.sampled_from([*names, "other"]), min_size=1,
                                                                  max_size=5)).filter(lambda h: list(h) != names))
    text = ",".join(header) + "\n" + write(schema, rows).split("\n", 1)[1]
    assert by_wpsr(folder, schema, text) == {(1, None)}  # the header, on its line, and nothing else
    assert by_frictionless(schema, text), text
