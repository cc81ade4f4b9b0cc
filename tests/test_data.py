"""The data package: every resource validates; broken CSVs give one clear line each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, run_wpsr
from wpsr.data import DataError, DataPackage, first_published

SCHEMA = {
    "fields": [
        {"name": "country", "type": "string", "constraints": {"required": True}},
        {"name": "year", "type": "year", "constraints": {"minimum": 2000, "maximum": 2030}},
        {"name": "share_pct", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "rating", "type": "string", "constraints": {"enum": ["open", "closed"]}},
    ],
    "primaryKey": ["country", "year"],
}
GOOD = "country,year,share_pct,rating\nMalawi,2021,12.5,open\nMexico,2021,40,closed\n"


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-dataset book."""
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "data").mkdir()
    descriptor = {"resources": [{
        "name": "shares", "path": "shares.csv", "title": "Shares", "schema": SCHEMA,
        "sources": [{"title": "A report", "publisher": "A publisher", "year": 2022,
                     "path": "https://example.org/report"}],
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "wpsr:asOf": "2022-08-10", "wpsr:cadence": "fixed",
    }]}
    (tmp_path / "data" / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    (tmp_path / "data" / "shares.csv").write_text(GOOD)
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(tmp_path))
    return tmp_path


def problems_for(book: Path, csv: str | bytes) -> list[str]:
    path = book / "data" / "shares.csv"
    path.write_bytes(csv if isinstance(csv, bytes) else csv.encode())
    with pytest.raises(DataError) as caught:
        DataPackage.read().resource("shares").load()
    return [str(p) for p in caught.value.problems]


def test_every_resource_of_the_report_validates() -> None:
    package = DataPackage.read(ROOT / "data")
    assert package.validate() == []
    assert len(package.resources) >= 7


def test_load_returns_typed_columns(book: Path) -> None:
    frame = DataPackage.read().resource("shares").load()
    assert frame["year"].tolist() == [2021, 2021]
    assert frame["share_pct"].tolist() == [12.5, 40.0]
    assert str(frame["year"].dtype) == "Int64"


@pytest.mark.parametrize(("csv", "expected"), [
    (GOOD.replace("12.5", "twelve"),
     "data/shares.csv:2: share_pct: 'twelve' is not a number such as 12.5 (a dot for decimals, "
     "no thousands separator) — correct the value"),
    (GOOD.replace("12.5", "112.5"), "data/shares.csv:2: share_pct: 112.5 is above the maximum 100 — correct the value"),
    (GOOD.replace("2021,40", "1999,40"), "data/shares.csv:3: year: 1999 is below the minimum 2000 — correct the value"),
    (GOOD.replace("closed", "shut"),
     "data/shares.csv:3: rating: 'shut' is not an allowed value — use one of: open, closed"),
    (GOOD.replace("Mexico", ""), "data/shares.csv:3: country: a value is required here — fill it in"),
    (GOOD + "Malawi,2021,3,open\n",
     "data/shares.csv:4: the key (country, year) repeats line 2 — each row needs a distinct key"),
    (GOOD + "Peru,2021,3\n", "data/shares.csv:4: has 3 cells, the header has 4 — check for a missing or extra comma, "
     "or quote text containing commas"),
])
def test_a_broken_cell_is_named_by_file_line_field_and_rule(book: Path, csv: str, expected: str) -> None:
    assert problems_for(book, csv) == [expected]


def test_a_missing_column_is_reported_on_the_header(book: Path) -> None:
    [problem] = problems_for(book, "country,year,share_pct\nMalawi,2021,12.5\n")
    assert problem == ("data/shares.csv:1: the header does not match the schema (missing column(s) rating) — "
                       "the header must be: country,year,share_pct,rating")


def test_non_utf8_bytes_are_located(book: Path) -> None:
    [problem] = problems_for(book, GOOD.encode() + "Côte d'Ivoire,2021,1,open\n".encode("latin-1"))
    assert problem == "data/shares.csv:4: byte 0xf4 is not valid UTF-8 — save the file as UTF-8"


def test_every_problem_is_reported_not_just_the_first(book: Path) -> None:
    problems = problems_for(book, GOOD.replace("12.5", "x").replace("closed", "shut"))
    assert [p.split(":")[1] for p in problems] == ["2", "3"]


def test_invalid_descriptor_json_names_the_line(book: Path) -> None:
    (book / "data" / "datapackage.json").write_text('{\n  "resources": [\n  }\n')
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    assert str(caught.value).startswith("data/datapackage.json:3: is not valid JSON")


def test_a_source_without_citation_fields_is_refused(book: Path) -> None:
    path = book / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text())
    del descriptor["resources"][0]["sources"][0]["publisher"]
    path.write_text(json.dumps(descriptor))
    with pytest.raises(DataError, match=r"resources\[shares\]\.sources\[0\]: is missing publisher"):
        DataPackage.read()


def test_unknown_dataset_lists_the_known_ones(book: Path) -> None:
    with pytest.raises(DataError, match="no resource named 'sharez' — use one of: shares"):
        DataPackage.read().resource("sharez")


def test_cli_validate_prints_the_problem_without_a_traceback(book: Path, wpsr) -> None:
    (book / "data" / "shares.csv").write_text(GOOD.replace("12.5", "112.5"))
    result = wpsr(book, "validate")
    assert result.returncode == 1
    assert "data/shares.csv:2: share_pct: 112.5 is above the maximum 100" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_validate_passes_on_the_report(tmp_path: Path) -> None:
    result = run_wpsr(ROOT, "validate")
    assert result.returncode == 0, result.stderr
    assert "datasets valid" in result.stdout


def test_population_derivation_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rerunning the derivation from the registry package gives the committed CSV byte for byte."""
    from tests.conftest import copy_book
    from wpsr.derive import derive

    book = copy_book(tmp_path / "book")
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(book))
    path = derive("population")
    assert path.read_bytes() == (ROOT / "data" / "population_broad_age.csv").read_bytes()
    descriptor = json.loads((book / "data" / "datapackage.json").read_text())
    [entry] = [r for r in descriptor["resources"] if r["name"] == "population-broad-age"]
    assert entry["wpsr:derivedFrom"]["package"] == "bokeh-sampledata"


@pytest.mark.parametrize(("path", "message"), [
    ("../../secret.csv", "leads out of data/"),
    ("/etc/passwd", "is absolute"),
    ("https://example.org/x.csv", "is an address, not a file"),
    ("linked.csv", "is a link to a file outside data/"),
])
def test_a_resource_path_stays_inside_data(book: Path, path: str, message: str) -> None:
    (book / "outside.csv").write_text(GOOD)
    (book / "data" / "linked.csv").symlink_to(book / "outside.csv")
    descriptor_path = book / "data" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text())
    descriptor["resources"][0]["path"] = path
    descriptor_path.write_text(json.dumps(descriptor, indent=2))
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    problem = str(caught.value)
    line = descriptor_path.read_text().splitlines().index(f'      "path": {json.dumps(path)},') + 1
    assert problem.startswith(f"data/datapackage.json:{line}: resources[shares].path: ") and message in problem


@pytest.mark.parametrize("kind", ["sources", "licenses"])
def test_source_and_licence_addresses_are_web_addresses(book: Path, kind: str) -> None:
    descriptor_path = book / "data" / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text())
    descriptor["resources"][0][kind][0]["path"] = "javascript:alert(1)"
    descriptor_path.write_text(json.dumps(descriptor, indent=2))
    with pytest.raises(DataError, match=rf"resources\[shares\]\.{kind}\[0\]\.path: 'javascript:alert\(1\)' is not "
                                        "a web address — give its https://"):
        DataPackage.read()


def test_the_report_data_package_passes_frictionless() -> None:
    from frictionless import validate

    report = validate(str(ROOT / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def _with(book: Path, *, fields: list | None = None, csv: str | None = None, extra: dict | None = None,
          resources: list | None = None) -> Path:
    """Rewrite the one-dataset book's descriptor and CSV; return the descriptor's path."""
    path = book / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text())
    resource = descriptor["resources"][0]
    resource["profile"] = "tabular-data-resource"
    descriptor["profile"] = "tabular-data-package"
    if fields is not None:
        resource["schema"] = {"fields": fields}
    resource["schema"].update(extra or {})
    descriptor["resources"] += resources or []
    path.write_text(json.dumps(descriptor, indent=2))
    if csv is not None:
        (book / "data" / "shares.csv").write_text(csv)
    return path


def _refused_by_both(descriptor: Path) -> list[str]:
    """The problems wpsr finds, once Frictionless has refused the package too."""
    from frictionless import validate

    assert not validate(str(descriptor)).valid
    try:
        return [str(p) for p in DataPackage.read().validate()]
    except DataError as err:
        return [str(p) for p in err.problems]


@pytest.mark.parametrize(("fields", "csv", "expected"), [
    ([{"name": "year", "type": "year"}], "year\n2023\n12345\n", "shares.csv:3: year: '12345' is not a four-digit"),
    ([{"name": "day", "type": "date"}], "day\n2023-07-10\n20230710\n", "shares.csv:3: day: '20230710' is not a date"),
    ([{"name": "at", "type": "time"}], "at\n10:00:00\n10:00\n", "shares.csv:3: at: '10:00' is not a time"),
    ([{"name": "code", "type": "string", "constraints": {"minLength": 3}}], "code\nKEN\nKE\n",
     "shares.csv:3: code: is 2 characters long, under 3"),
    ([{"name": "code", "type": "string", "constraints": {"maxLength": 3}}], "code\nKEN\nKENY\n",
     "shares.csv:3: code: is 4 characters long, over 3"),
    ([{"name": "code", "type": "string", "constraints": {"unique": True}}], "code\nKEN\nKEN\n",
     "shares.csv:3: code: 'KEN' repeats line 2"),
])
def test_wpsr_refuses_what_frictionless_refuses(book: Path, fields: list, csv: str, expected: str) -> None:
    problems = _refused_by_both(_with(book, fields=fields, csv=csv))
    assert any(p.startswith(f"data/{expected}") for p in problems), problems


def test_an_unknown_constraint_is_refused_with_a_suggestion(book: Path) -> None:
    fields = [{"name": "code", "type": "string", "constraints": {"maxLenght": 3}}]
    problems = _refused_by_both(_with(book, fields=fields, csv="code\nKEN\n"))
    assert any("unknown constraint 'maxLenght' — did you mean 'maxLength'?" in p for p in problems), problems
    assert all(p.startswith("data/datapackage.json:") for p in problems)


def test_a_foreign_key_names_rows_that_exist(book: Path) -> None:
    (book / "data" / "countries.csv").write_text("country\nMalawi\n")
    countries = {"name": "countries", "path": "countries.csv", "profile": "tabular-data-resource",
                 "title": "Countries", "schema": {"fields": [{"name": "country", "type": "string"}]},
                 "sources": [{"title": "T", "publisher": "P", "year": 2022, "path": "https://example.org/"}],
                 "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
                 "wpsr:asOf": "2022", "wpsr:cadence": "fixed"}
    key = {"foreignKeys": [{"fields": ["country"], "reference": {"resource": "countries", "fields": ["country"]}}]}
    problems = _refused_by_both(_with(book, extra=key, resources=[countries]))
    assert problems == ["data/shares.csv:3: country: Mexico is not a country of countries — use one that is, or "
                        "add it to countries first"]


def test_a_primary_key_naming_no_field_is_a_located_error(book: Path) -> None:
    path = _with(book, extra={"primaryKey": ["country", "yaer"]})
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    assert "resources[shares].schema.primaryKey: names 'yaer', which is not a field" in str(caught.value)
    assert str(caught.value).startswith("data/datapackage.json:")
    assert path.is_file()


def test_first_published_keeps_each_figure_as_first_published_and_lists_revisions() -> None:
    frame = pd.DataFrame({"year": [2024, 2025, 2024, 2023], "group": ["World"] * 4,
                          "share": [71.0, 74.0, 68.0, 67.4], "edition": [2025, 2025, 2024, 2023]})
    first, revisions = first_published(frame, key=["year", "group"])
    assert sorted(zip(first.year, first.share, strict=True)) == [(2023, 67.4), (2024, 68.0), (2025, 74.0)]
    assert list(zip(revisions.edition, revisions.share, revisions.share_first, strict=True)) == [(2025, 71.0, 68.0)]


def test_a_blank_row_and_an_empty_key_are_refused_as_frictionless_refuses_them(book: Path) -> None:
    assert problems_for(book, GOOD + "\n") == [
        "data/shares.csv:4: the row is empty — remove the line, or fill in the row"]
    assert "data/shares.csv:3: the key (country, year) is empty — give each row its key" in problems_for(
        book, GOOD.replace("Mexico,2021", ","))


def test_records_are_typed_without_pandas(book: Path) -> None:
    assert DataPackage.read().resource("shares").records() == [
        {"country": "Malawi", "year": 2021, "share_pct": 12.5, "rating": "open"},
        {"country": "Mexico", "year": 2021, "share_pct": 40.0, "rating": "closed"}]


def test_validating_the_data_imports_no_pandas() -> None:
    """What the build pays when data/ changed: the checks, not a DataFrame library."""
    code = ("import sys\nfrom wpsr import data\nassert data.package().validate() == []\n"
            "assert 'pandas' not in sys.modules, 'pandas was imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_sub_topics_and_the_print_edition_are_read_through_their_resources() -> None:
    from wpsr.contributions import print_edition, subtopics

    rows = subtopics()
    assert len(rows) >= 50 and all(isinstance(row["chapter"], int) for row in rows.values())
    printed = print_edition()
    assert printed and set(printed) <= set(rows)
    assert all(isinstance(title, str) and title for titles in printed.values() for title in titles)


def test_reach_files_are_read_through_their_resource_and_a_broken_one_stops_the_import(tmp_path: Path) -> None:
    from wpsr.reach import write

    log = tmp_path / "access.log"
    log.write_text('203.0.113.5 - - [11/Jul/2026:08:00:00 +0000] "GET /2023/index.html HTTP/1.1" 200 9\n')
    views = tmp_path / "data" / "reach" / "pageviews.csv"
    views.parent.mkdir(parents=True)
    views.write_text("date,edition,page,views\n2026-07-10,2023,index.html,2\n2026-07-09,2023,index.html,0\n")
    with pytest.raises(DataError) as caught:
        write([log], tmp_path)
    assert [p.line for p in caught.value.problems] == [3] and "views: 0 is below the minimum 1" in str(caught.value)
    assert "2026-07-09" in views.read_text()  # nothing written
    views.write_text(views.read_text().replace(",0\n", ",1\n"))
    write([log], tmp_path)
    assert views.read_text().splitlines() == ["date,edition,page,views", "2026-07-09,2023,index.html,1",
                                              "2026-07-10,2023,index.html,2", "2026-07-11,2023,index.html,1"]


def test_values_not_published_as_figures_and_revisions_are_told_in_words() -> None:
    import pandas as pd

    from wpsr.data import describe_revisions, describe_value_sources, first_published

    frame = pd.DataFrame({"edition": [2024, 2025, 2025, 2025], "year": [2024, 2024, 2025, 2025],
                          "group": ["World", "World", "World", "Europe"], "share_pct": [68.0, 70.4, 74.0, 92.0],
                          "source_kind": ["published", "published", "published", "press report"]})
    first, revised = first_published(frame, key=["year", "group"])
    assert describe_value_sources(first, name="group", at="year", publisher="ITU") == (
        "Taken from a press report of the release, as ITU's own text gives only a range: Europe in 2025. ")
    assert describe_value_sources(first[first.group == "World"], name="group", at="year", publisher="ITU") == ""
    assert describe_revisions(revised, name="group", value="share_pct", at="year") == (
        "The 2025 edition put World at 70% in 2024, against 68% first published.")
    assert describe_revisions(revised.iloc[:0], name="group", value="share_pct", at="year") == ""
