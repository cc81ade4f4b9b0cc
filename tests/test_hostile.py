"""Hostile contributions, round 3: every route by which a contributor's file could run script in a
reader's browser, pull a file from outside the book or hide text, refused by the checker and by the
build's own gate. The routes are built in Chromium in tests/test_hostile_site.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_checker import GOOD, GOOD_TEXT, check_text, line_of, only
from wpsr.book import safe_link
from wpsr.checker import check
from wpsr.safety import clean_html, file_type_problem, invisible_characters, outside_book, safe_csv, svg_problem
from wpsr.sphinx_ext import security
from wpsr.sphinx_ext.gate import blank_unknown_keys

BODY_START = "## Background and policy context"  # hostile blocks go before this section


def with_block(block: str) -> str:
    return GOOD_TEXT.replace(BODY_START, block + "\n\n" + BODY_START, 1)


# --- the checker refuses each route, at its line ------------------------------------------------

@pytest.mark.parametrize(("block", "message"), [
    ("```{raw} html\n<script>window.__pwned = 1</script>\n```", "a {raw} block in a contribution"),
    ("```{eval-rst}\n.. raw:: html\n\n   <script>window.__pwned = 1</script>\n```", "a {eval-rst} block"),
    ("```{include} ../../../../../../etc/passwd\n```", "{include} of '../../../../../../etc/passwd' is refused"),
    ("```{literalinclude} ../../../../../../proc/self/environ\n```", "it lies outside the book"),
    ("{download}`my source <civic-space-under-pressure.md>`", "it is a contribution's source"),
    ("```{figure} ../.git/config\n```", "it lies in a hidden folder"),
    ("[my notes](../../../../../../etc/passwd)", "{link} of '../../../../../../etc/passwd' is refused"),
    ('Text {{ lipsum.__globals__["os"].popen("id").read() }} here.', "a substitution {{lipsum.__globals__"),
    ("```{csv-table} Data\n:url: file:///proc/self/environ\n```", "{csv-table} :url: is not read"),
    ("```{csv-table} Data\n:file: ../../../../../../etc/passwd\n```", "{csv-table :file:} of '../../../../../"),
    ("```{literalinclude} ../data/participants.csv\n:diff: ../../../../../etc/passwd\n```",
     "{literalinclude :diff:} of '../../../../../etc/passwd' is refused"),
])
def test_the_checker_refuses_each_route_at_its_line(book: Path, block: str, message: str) -> None:
    text = with_block(block)
    finding = only(check_text(book, text), message)
    assert finding.severity == "error" and finding.line == line_of(text, block.splitlines()[0])


def test_the_strict_build_refuses_every_route_before_reading(tmp_path: Path, wpsr) -> None:
    """The hostile copy of the book that tests/test_hostile_site.py builds: `wpsr check` (which the
    strict build runs before it reads anything) refuses every route in it."""
    from tests.test_hostile_site import hostile_sources

    result = wpsr(hostile_sources(tmp_path), "check")
    assert result.returncode == 1
    for message in ("a substitution {{lipsum", "{csv-table} :url: is not read",
                    "{csv-table :file:} of '../../secret.txt' is refused",
                    "{literalinclude :diff:} of '../../secret.txt'",
                    "a {raw} block", "a {eval-rst} block", "unknown field 'myst'", "raw HTML in a contribution",
                    "{literalinclude} of '../../secret.txt' is refused", "{download} of 'hostile-files.md' is refused",
                    "{link} of '../../secret.txt' is refused", "key-messages.md:2: the front matter is not valid YAML",
                    "is never closed"):
        assert message in result.stderr, message


@pytest.mark.parametrize("key", ["myst:\n  substitutions:\n    evil: \"<script>x</script>\"",
                                 "myst:\n  html_meta:\n    \"http-equiv=refresh\": \"0; url=https://example.org\"",
                                 "mystnb:\n  render_plugin: default"])
def test_front_matter_outside_the_specification_is_an_error(book: Path, key: str) -> None:
    text = GOOD_TEXT.replace("chapter: 1\n", f"chapter: 1\n{key}\n", 1)
    finding = only(check_text(book, text), f"unknown field '{key.split(':')[0]}'")
    assert finding.severity == "error" and finding.line == line_of(text, key.split("\n")[0])


def test_an_unknown_key_is_blanked_before_myst_reads_it_and_every_line_keeps_its_number() -> None:
    text = GOOD_TEXT.replace("chapter: 1\n", "chapter: 1\nmyst:\n  html_meta:\n    x: y\n", 1)
    blanked, keys = blank_unknown_keys(text)
    assert keys == [("myst", line_of(text, "myst:"))]
    assert "html_meta" not in blanked and blanked.count("\n") == text.count("\n")
    assert blanked.split("\n")[line_of(text, "chapter: 1") - 1] == "chapter: 1"


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff"])
def test_invisible_characters_in_metadata_are_located(book: Path, char: str) -> None:
    title = "Civic space under pressure"
    text = GOOD_TEXT.replace(title, f"Civic {char}space under pressure", 1)
    finding = only(check_text(book, text), "holds an invisible character")
    assert f"U+{ord(char):04X}" in finding.message and "at character 7" in finding.message
    assert finding.line == line_of(text, "title:")


def test_the_editions_substitutions_and_html_comments_are_allowed(book: Path) -> None:
    text = with_block("This is edition {{ edition }} of {{edition_date}}.\n\n<!-- a note for the editors -->")
    assert check_text(book, text) == []


def test_joiners_that_scripts_need_are_text() -> None:
    assert invisible_characters("می\u200cخواهم") == [] and invisible_characters("क्\u200dष") == []


def test_a_fence_never_closed_is_refused(book: Path) -> None:
    text = GOOD_TEXT.rstrip("\n") + "\n\n```{code-cell} ipython3\nprint('never closed')\n"
    finding = only(check_text(book, text), "is never closed")
    assert finding.line == len(text.splitlines()) - 1


def test_a_tab_in_a_team_pages_front_matter_is_located(book: Path) -> None:
    page = book / "chapters" / "assets-and-innovations.md"
    text = page.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    page.write_text(text.replace("---\n", "---\n\tkernelspec: x\n", 1), encoding="utf-8")
    finding = only(check(), "the front matter is not valid YAML")
    assert str(finding.path) == "chapters/assets-and-innovations.md" and finding.line == 2


@pytest.mark.parametrize("href", ["jav&#x09;ascript:alert(1)", "&#x20;javascript:alert(1)", "java\nscript:x"])
def test_links_are_read_as_a_browser_reads_them(book: Path, href: str) -> None:
    page = book / "chapters" / "assets-and-innovations.md"
    text = page.read_text(encoding="utf-8") + f'\nA line.\n\n<a href="{href}">x</a>\n'
    page.write_text(text, encoding="utf-8")
    finding = only(check(), "on <a>")
    assert str(finding.path) == "chapters/assets-and-innovations.md" and finding.line == line_of(text, '<a href="')
    assert not safe_link(href.replace("&#x09;", "\t").replace("&#x20;", " "))


# --- what the build's gate lets through ----------------------------------------------------------

def test_cell_html_keeps_tables_and_drops_script_handlers_frames_and_styles() -> None:
    hostile = ('<table class="dataframe"><thead><tr><th scope="col">a</th></tr></thead><tbody><tr><td>1</td></tr>'
               '</tbody></table><script>window.__pwned=1</script><img src="x" onerror="window.__pwned=1">'
               '<svg onload="window.__pwned=1"></svg><iframe src="https://example.org"></iframe>'
               '<style>body{display:none}</style><a href="jav&#x09;ascript:alert(1)">x</a>'
               '<meta http-equiv="refresh" content="0; url=https://example.org">'
               '<a href="data:text/html,<script>alert(1)</script>" data-wpsr-file="x.html">y</a>')
    clean = clean_html(hostile)
    assert '<th scope="col">a</th>' in clean and "<td>1</td>" in clean
    for gone in ("<script", "onerror", "onload", "<svg", "<iframe", "<style", "javascript", "<meta", "data:text/html",
                 "x.html"):
        assert gone not in clean.lower(), gone


@pytest.mark.parametrize(("name", "kind", "why"), [
    ("page.html", "download", "a .html file is not offered"), ("code.js", "download", "a .js file is not offered"),
    ("image.svg", "download", "a .svg file is not offered"), ("data.xml", "image", "a .xml file is not offered"),
    ("drawing.svg", "image", "the SVG image is refused: it holds a <script> element"),
])
def test_only_data_and_inert_images_are_copied_into_the_site(tmp_path: Path, name: str, kind: str, why: str) -> None:
    path = tmp_path / name
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', encoding="utf-8")
    assert (file_type_problem(path, kind) or "").startswith(why)
    assert file_type_problem(tmp_path / "data.csv", "download") is None
    assert file_type_problem(tmp_path / "chart.png", "image") is None


def test_only_inert_svg_becomes_a_file_of_the_site() -> None:
    drawn = (ROOT / "wpsr" / "sphinx_ext" / "static" / "favicon.svg").read_bytes()
    assert svg_problem(drawn) is None
    for hostile, why in [(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
                         (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
                         (b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>', "foreignobject"),
                         (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
                          b'<a x:href="javascript:alert(1)"><text>x</text></a></svg>', "javascript"),
                         (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg/>', "DOCTYPE"),
                         ('<!DOCTYPE svg><svg/>'.encode("utf-16"), "not UTF-8"),
                         (b'<?xml-stylesheet type="text/xsl" href="x.xsl"?><svg/>', "processing instruction"),
                         (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(https://x.org/a.css)</style>'
                          b"</svg>", "outside resource")]:
        assert why in (svg_problem(hostile) or ""), hostile


def test_spreadsheet_formulas_are_neutralised_and_numbers_kept() -> None:
    text = ('name,value\n"=HYPERLINK(""https://example.org"",""x"")",-3.5\n+cmd,@sum\nplain,-2\n" -1+1",1e5\n'
            '"1;=2",\uff1dSUM(A1)\n')
    rows = list(csv.reader(io.StringIO(safe_csv(text))))
    assert rows == [["name", "value"], ["'=HYPERLINK(\"https://example.org\",\"x\")", "-3.5"], ["'+cmd", "'@sum"],
                    ["plain", "-2"], ["' -1+1", "1e5"], ["1;=2", "'\uff1dSUM(A1)"]]
    assert '"1;=2"' in safe_csv(text)  # quoted: a spreadsheet that splits at ; keeps it whole
    assert safe_csv("a,b\n1,-2\n") == "a,b\n1,-2\n"  # nothing to neutralise: the bytes as they were


def test_files_pulled_in_stay_inside_the_book(book: Path) -> None:
    assert outside_book(book / "data" / "participants.csv") is None
    assert "outside" in outside_book(Path("/etc/passwd"))
    assert "hidden" in outside_book(book / ".git" / "config")
    (book / "data" / "link.csv").symlink_to("/etc/passwd")
    assert "outside" in outside_book(book / "data" / "link.csv")  # a symbolic link is followed
    assert "contribution's source" in outside_book(book / "contributions" / f"{GOOD}.md")


def test_the_policy_is_fixed_and_blocks_what_a_page_happens_to_contain() -> None:
    assert "unsafe" not in security.POLICY  # no unsafe-hashes, -inline or -eval, for scripts or styles
    page = "<html><head><meta charset='utf-8'></head><body><button onclick=\"window.print()\">Print</button>"
    assert security.unknown_script(page + "</body></html>") is not None  # until protect() rebinds it
    assert security.unknown_script(page.replace('onclick="window.print()"', "data-wpsr-print") + "</body>") is None
    for hostile in ("<script>window.__pwned = 1</script>", '<svg onload="x()"></svg>', "<svg/onload=x()>",
                    '<img title="a>b" onerror="x()">', '<script type="text/ecmascript">x()</script>',
                    '<script data-x="src=">x()</script>', '<script src="https://cdn.example.org/x.js"></script>'):
        assert security.unknown_script(hostile) is not None, hostile
    assert security.unknown_script('<script type="application/json">{"a": 1}</script>') is None
    assert security.unknown_script('<script src="../_static/wpsr-page.js"></script>') is None


def test_text_that_names_the_policy_does_not_keep_a_page_from_getting_it(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<html><head><meta charset="utf-8"></head><body><p>http-equiv="Content-Security-Policy"</p>'
                    "</body></html>", encoding="utf-8")
    security.protect(page)
    head = page.read_text(encoding="utf-8").split("</head>")[0]
    assert 'http-equiv="Content-Security-Policy" content="default-src' in head


def test_a_contribution_without_front_matter_or_linked_from_outside_stops_the_build(book: Path,
                                                                                   tmp_path: Path) -> None:
    from wpsr.book import source_problems

    page = book / "contributions" / f"{GOOD}.md"
    page.write_text(GOOD_TEXT.split("\n---\n", 1)[1], encoding="utf-8")
    assert [str(p) for p in source_problems()] == [
        f"contributions/{GOOD}.md:1: a contribution without front matter cannot be built — start the file with its "
        "metadata between two `---` lines (wpsr new writes them)"]
    outside = tmp_path / "elsewhere.md"
    outside.write_text(GOOD_TEXT, encoding="utf-8")
    page.unlink()
    page.symlink_to(outside)
    assert [p.message for p in source_problems()] == [f"a link to {outside}, outside the book"]


def test_a_figure_file_over_its_limit_is_refused() -> None:
    from wpsr.sphinx_ext.webpage import MAX_FIGURE_BYTES, file_problem

    assert file_problem("csv", "data:text/csv,x", b"a,b\n" + b"1,2\n" * 10) is None
    big = b"a,b\n" + b"1,2\n" * (MAX_FIGURE_BYTES // 4 + 1)
    assert "over the limit" in (file_problem("csv", "data:text/csv,x", big) or "")
    assert "not one a figure writes" in (file_problem("html", "data:text/html,x", b"<p>") or "")

