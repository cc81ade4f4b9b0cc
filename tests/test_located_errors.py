"""Bad input gives one located message, `path:line: what — how to fix it`, never a traceback: a
broken data package, a CSV over the size limit, an impossible date, an edition id used twice, a
corrupt manifest in the site, unreadable log lines, and (as a last resort) any other exception."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_book
from wpsr import cli
from wpsr.data import MAX_CSV_BYTES, DataError, DataPackage
from wpsr.editions import EditionError, editions

GOOD_CSV = "country,year\nMalawi,2021\nMexico,2021\n"
SOURCE = {"title": "A report", "publisher": "A publisher", "year": 2022, "path": "https://example.org/report"}
LICENCE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
FIELDS = [{"name": "country", "type": "string"}, {"name": "year", "type": "year"}]


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A book of one small dataset, and nothing else."""
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shares.csv").write_text(GOOD_CSV)
    describe(tmp_path)
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(tmp_path))
    return tmp_path


def describe(book: Path, path: object = "shares.csv", fields: object = FIELDS) -> str:
    """Write the book's data package with this resource path and these fields; return its text."""
    resource = {"name": "shares", "path": path, "title": "Shares", "schema": {"fields": fields},
                "sources": [SOURCE], "licenses": [LICENCE], "wpsr:asOf": "2022-08-10", "wpsr:cadence": "fixed"}
    text = json.dumps({"resources": [resource]}, indent=2)
    (book / "data" / "datapackage.json").write_text(text)
    return text


def line_of(text: str, start: str) -> int:
    """The number of the first line of `text` that starts (after its indentation) with `start`."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(start))


def one_located_line(output: str, prefix: str) -> str:
    """The one line of output starting with `prefix`, the output holding no traceback."""
    assert "Traceback" not in output, output
    found = [line for line in output.splitlines() if line.startswith(prefix)]
    assert len(found) == 1, output
    assert " — " in found[0], found  # what is wrong, then how to fix it
    return found[0]


# --- 1. the data package: a resource path and a schema's fields ---------------------------------

@pytest.mark.parametrize(("path", "message"), [
    ("sha\0res.csv", "the path 'sha\\x00res.csv' contains a NUL byte"),
    ("data/", "the path 'data/' names a folder, not a CSV file"),
    (".", "the path '.' names a folder, not a CSV file"),
    ("sub", "the path 'sub' names a folder, not a CSV file"),
])
def test_a_resource_path_that_names_no_csv_file_is_located(book: Path, path: str, message: str, wpsr) -> None:
    (book / "data" / "sub").mkdir()
    text = describe(book, path=path)
    line = line_of(text, '"path"')
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    assert [str(p) for p in caught.value.problems] == [
        f"data/datapackage.json:{line}: resources[shares].path: {message} — give the CSV's file name, relative to "
        "data/ (e.g. internet_use.csv), for a file inside data/"]
    result = wpsr(book, "validate")
    assert result.returncode == 1
    one_located_line(result.stderr, f"data/datapackage.json:{line}: resources[shares].path: {message} — ")


@pytest.mark.parametrize(("fields", "shown"), [
    (3, "is 3, not a list of fields"),
    ({"country": "string"}, 'is {"country": "string"}, not a list of fields'),
    (["country", "year"], 'is ["country", "year"], not a list of fields'),
    ([{"type": "string"}], 'is [{"type": "string"}], not a list of fields, each with a name'),
    (None, "is missing"),
])
def test_schema_fields_that_are_not_a_list_of_fields_are_located(book: Path, fields: object, shown: str, wpsr) -> None:
    text = describe(book, fields=fields)
    if fields is None:
        text = text.replace('"fields": null', '"fieldz": []')
        (book / "data" / "datapackage.json").write_text(text)
    line = line_of(text, '"fields"' if fields is not None else '"name": "shares"')
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    [problem] = map(str, caught.value.problems)
    assert problem.startswith(f"data/datapackage.json:{line}: resources[shares].schema.fields: {shown}"), problem
    assert problem.endswith("— list the columns as [{\"name\": ..., \"type\": ...}, ...], in the order of the "
                            "CSV's header")
    result = wpsr(book, "validate")
    assert result.returncode == 1
    one_located_line(result.stderr, f"data/datapackage.json:{line}: resources[shares].schema.fields: ")


def test_a_problem_is_located_in_its_own_resource(book: Path) -> None:
    """Two resources with the same bad path: each problem is on its own resource's line."""
    describe(book, path="data/")
    path = book / "data" / "datapackage.json"
    descriptor = json.loads(path.read_text())
    descriptor["resources"].append({**descriptor["resources"][0], "name": "others"})
    text = json.dumps(descriptor, indent=2)
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        DataPackage.read()
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith('"path": "data/"')]
    assert [p.line for p in caught.value.problems] == lines and len(set(lines)) == 2


# --- 2. the size of a dataset ----------------------------------------------------------------------

def test_a_csv_over_the_limit_is_refused_on_the_line_where_it_passes_it(book: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wpsr.data.MAX_CSV_BYTES", len(GOOD_CSV))
    assert DataPackage.read().resource("shares").load()["country"].tolist() == ["Malawi", "Mexico"]  # at the limit
    bigger = GOOD_CSV + "Mali,2021\n"
    (book / "data" / "shares.csv").write_text(bigger)
    with pytest.raises(DataError) as caught:
        DataPackage.read().resource("shares").load()
    assert [str(p) for p in caught.value.problems] == [
        f"data/shares.csv:4: the file is {len(bigger):,} bytes, over the limit of {len(GOOD_CSV):,} bytes for a "
        "dataset (it passes the limit on this line) — split it into smaller CSVs, each a resource in "
        "data/datapackage.json, or aggregate it (e.g. by year or country) to what the report shows"]


def test_validate_refuses_a_csv_over_5_mb(book: Path, wpsr) -> None:
    row = "Malawi,2021\n"
    rows = (MAX_CSV_BYTES - len("country,year\n")) // len(row) + 1
    (book / "data" / "shares.csv").write_text("country,year\n" + row * rows)
    size = (book / "data" / "shares.csv").stat().st_size
    assert size > MAX_CSV_BYTES
    result = wpsr(book, "validate")
    assert result.returncode == 1
    found = one_located_line(result.stderr, "data/shares.csv:")
    assert re.match(r"data/shares\.csv:\d+: the file is ", found), found
    assert f"{size:,} bytes, over the limit of {MAX_CSV_BYTES:,} bytes" in found
    assert "split it" in found and "aggregate it" in found


def test_the_size_limit_is_five_mb_and_the_readme_says_so() -> None:
    assert MAX_CSV_BYTES == 5_000_000
    adding = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("### Adding a dataset")[1].split("\n2. ")[0]
    assert "at most 5 MB" in adding and "MAX_CSV_BYTES" in adding


# --- 3. an impossible date, 4. an edition id used twice --------------------------------------------

@pytest.fixture
def editions_book(empty_book: Path) -> Path:
    return empty_book


IMPOSSIBLE = ("'2026-02-30' is not a date that exists (day is out of range for month) — write a date that exists, "
              "as YYYY-MM-DD")


def test_an_impossible_date_in_editions_yaml_is_located(editions_book: Path, wpsr) -> None:
    text = '- id: "2023"\n  title: T\n  date: 2026-11-27\n  status: draft\n- id: "2024"\n  title: T\n' \
           '  date: 2026-02-30\n  status: draft\n'
    (editions_book / "editions.yaml").write_text(text)
    with pytest.raises(EditionError) as caught:
        editions()
    assert str(caught.value) == f"editions.yaml:7: {IMPOSSIBLE}"
    result = wpsr(editions_book, "cff")
    assert result.returncode == 1
    assert one_located_line(result.stderr, "editions.yaml:") == f"editions.yaml:7: {IMPOSSIBLE}"


def test_an_impossible_date_in_a_contribution_is_located(tmp_path: Path, wpsr) -> None:
    book = copy_book(tmp_path / "book")
    path = book / "contributions" / "civic-space-under-pressure.md"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if line.startswith("chapter:"))
    lines.insert(at + 1, "reviewed: 2026-02-30\n")
    path.write_text("".join(lines), encoding="utf-8")
    from wpsr.contributions import read

    contribution, problems = read(path)
    shown = "contributions/civic-space-under-pressure.md"
    assert contribution is None
    assert [str(p).split(": ", 1)[1] for p in problems] == [IMPOSSIBLE]
    assert problems[0].line == at + 2
    result = wpsr(book, "check", str(path.relative_to(book)))
    assert result.returncode == 1
    assert one_located_line(result.stderr, f"{shown}:") == f"{shown}:{at + 2}: {IMPOSSIBLE}"


def test_an_impossible_date_in_the_table_of_contents_is_located(editions_book: Path) -> None:
    from wpsr.book import source_problems

    (editions_book / "_toc.yml").write_text("format: jb-book\nroot: index\nupdated: 2026-13-01\n")
    (editions_book / "index.md").write_text("# Home\n")
    [problem] = source_problems()
    assert (str(problem.path), problem.line) == ("_toc.yml", 3)
    assert "'2026-13-01' is not a date that exists" in problem.message and "YYYY-MM-DD" in problem.hint


def test_valid_dates_are_still_dates(editions_book: Path) -> None:
    (editions_book / "editions.yaml").write_text('- {id: "2024", title: T, date: 2024-02-29, status: draft}\n')
    assert [e.date.isoformat() for e in editions()] == ["2024-02-29"]


def test_an_edition_id_used_twice_names_both_lines(editions_book: Path, wpsr) -> None:
    text = ('- id: "2023"\n  title: T\n  date: 2026-11-27\n  status: draft\n'
            '- title: Again\n  date: 2026-11-28\n  id: "2023"\n  status: draft\n')
    (editions_book / "editions.yaml").write_text(text)
    expected = ("editions.yaml:7: edition '2023': the id is used twice (first on line 1) — give each edition its "
                "own id; a correction is a new edition")
    with pytest.raises(EditionError) as caught:
        editions()
    assert str(caught.value) == expected
    result = wpsr(editions_book, "cff")
    assert result.returncode == 1 and one_located_line(result.stderr, "editions.yaml:") == expected


# --- 5. a corrupt manifest in the site ---------------------------------------------------------------

def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with the files' digests."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize(("manifest", "why"), [
    ('{\n "edition": "2023",\n "files": {\n', ":4: not a valid manifest (Expecting property name"),
    ('["2023"]\n', ": not a valid manifest (no valid edition, status, files, content)"),
    ('{"edition": "2023", "status": "published", "content": {}}\n', ": not a valid manifest (no valid files)"),
])
@pytest.mark.parametrize("publishing", ["2023", "2024.1"])  # the edition itself, or the one after it
def test_a_corrupt_manifest_stops_publishing_and_changes_nothing(tmp_path: Path, manifest: str, why: str,
                                                                 publishing: str, wpsr) -> None:
    book, site = tmp_path / "book", tmp_path / "site"
    (book / "data").mkdir(parents=True)
    (book / "_config.yml").write_text("title: test\n")
    (book / "editions.yaml").write_text(
        '- {id: "2023", title: T, date: 2026-11-01, status: published, tag: edition-2023, note: first}\n'
        '- {id: "2024.1", title: T, date: 2026-11-20, status: draft, note: second}\n')
    (site / "2023").mkdir(parents=True)
    (site / "2023" / "index.html").write_text("2023")
    (site / "2023" / "manifest.json").write_text(manifest)
    before = tree(tmp_path)
    result = wpsr(book, "publish", publishing, "--site", str(site))
    assert result.returncode == 1
    shown = f"{site.resolve() / '2023' / 'manifest.json'}"
    found = one_located_line(result.stderr.replace("Not published: ", ""), shown)
    assert found.startswith(shown + why), found
    assert "— restore it from a backup of the site" in found and "never rewrites a published edition" in found
    assert tree(tmp_path) == before  # nothing published, nothing changed, no staging folder left
    verified = wpsr(book, "verify", "--site", str(site))
    assert verified.returncode == 1
    assert one_located_line(verified.stderr, shown).startswith(shown + why)


# --- 6. unreadable lines in access logs ----------------------------------------------------------------

VIEW = '203.0.113.5 - - [11/Jul/2026:08:00:00 +0000] "GET /2023/index.html HTTP/1.1" 200 2326 "-" "Mozilla/5.0"\n'


@pytest.mark.parametrize("zipped", [False, True])
def test_unreadable_log_lines_are_counted_and_skipped(tmp_path: Path, zipped: bool, wpsr) -> None:
    from wpsr.reach import MAX_LINE_BYTES, aggregate

    lines = [VIEW.encode(), b'203.0.113.5 - - [11/Jul/2026:08:00:01 +0000] "GET /2023/caf\xe9.html HTTP/1.1" 200 1\n',
             VIEW.encode(), b"x" * 10_000_000 + b"\n", VIEW.encode(), b"y" * (MAX_LINE_BYTES + 1) + b"\n",
             b"z" * MAX_LINE_BYTES + b"\n", VIEW.encode()]  # a line of exactly the limit is read (and malformed)
    log = tmp_path / ("access.log.gz" if zipped else "access.log")
    with (gzip.open if zipped else open)(log, "wb") as out:
        out.write(b"".join(lines))
    views, _, summary = aggregate([log])
    assert views == [(views[0][0], "2023", "index.html", 4)]
    assert (summary.lines, summary.malformed, summary.views) == (8, 1, 4)
    assert {why: (count, first) for why, count, first in summary.skipped} == {
        "not UTF-8 text": (1, f"{log}:2"), "longer than 64 KiB": (2, f"{log}:4")}
    book = copy_book(tmp_path / "book")
    result = wpsr(book, "reach", str(log))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (f"Skipped 3 line(s) that could not be read: 1 not UTF-8 text (the first at {log}:2); 2 longer than "
            f"64 KiB (the first at {log}:4).") in result.stdout
    assert "Read 8 lines" in result.stdout and "1 lines in neither log format" in result.stdout
    assert "2026-07-11,2023,index.html,4" in (book / "data" / "reach" / "pageviews.csv").read_text()


def test_a_clean_log_says_nothing_about_skipped_lines(tmp_path: Path) -> None:
    from wpsr.reach import aggregate

    log = tmp_path / "access.log"
    log.write_text(VIEW * 3)
    assert aggregate([log])[2].skipped == ()


# --- 7. anything else: one line, the traceback on request ------------------------------------------

def _boom() -> None:
    raise RuntimeError("the descriptor\nbroke")


def test_an_internal_error_is_one_line_without_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("WPSR_DEBUG", raising=False)
    monkeypatch.setattr("wpsr.data.package", _boom)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert err == ("wpsr validate: internal error: RuntimeError: the descriptor broke — this is a bug in wpsr; "
                   "please report it with the command you ran (run with WPSR_DEBUG=1 for the traceback)\n")


def test_wpsr_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WPSR_DEBUG", "1")
    monkeypatch.setattr("wpsr.data.package", _boom)
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in _boom" in err and "RuntimeError: the descriptor" in err


def test_ctrl_c_is_not_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("wpsr.data.package", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["validate"])


def test_located_errors_keep_their_own_message(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    describe(book, path=".")
    assert cli.main(["validate"]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and "resources[shares].path: the path '.' names a folder" in err


@pytest.mark.parametrize("builders", ["pdf", "html,html", "html,"])
def test_an_unknown_builder_is_refused_before_anything_is_built(book: Path, builders: str, wpsr) -> None:
    result = wpsr(book, "build", "--builder", builders)
    assert result.returncode == 2 and "name html, singlehtml or both (html,singlehtml)" in result.stderr
    assert not (book / "_build").exists()


def test_a_missing_npm_package_stops_the_build_with_the_file_and_what_to_run(tmp_path: Path) -> None:
    """A checkout without `npm ci` (node_modules/ absent): the build names the file it lacks, and the fix."""
    from wpsr.build import Settings, build

    book = copy_book(tmp_path / "book", catalogs=False)
    (book / "node_modules").unlink()
    result = build(book, Settings())
    assert not result.ok and len(result.problems) == 1, result.problems
    problem = result.problems[0]
    assert str(problem.path).startswith("node_modules/") and problem.message == "is missing"
    assert problem.hint.startswith("run `npm ci` in ") and "internal" not in str(problem)
