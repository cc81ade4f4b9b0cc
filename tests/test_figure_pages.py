"""Every figure a page of its own (wpsr.sphinx_ext.figure_pages), on the shared build of the book:
its page, embed page and downloads, the index of figures, and in Chromium the embed framed by
another origin, the table sorted with the keyboard and the citation copied."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser

from tests.test_browser import COLLECT_VIOLATIONS, axe_violations
from wpsr.serving import serving
from wpsr.weight import weigh

pytestmark = pytest.mark.build


def figures_of(site: Path) -> list[Path]:
    """Each figure's SVG, as the pages of the site link them."""
    found = set()
    for page in site.rglob("*.html"):
        if page.is_relative_to(site / "figures"):
            continue
        for href in re.findall(r'<img class="wpsr-chart-static" src="([^"]+\.svg)"', page.read_text(encoding="utf-8")):
            found.add((page.parent / href).resolve())
    return sorted(found)


def embed_of(site: Path, svg: Path) -> Path:
    return site / "embed" / svg.with_suffix(".html").relative_to(site / "figures")


def test_every_figure_has_its_page_embed_page_and_downloads(site: Path) -> None:
    svgs = figures_of(site)
    assert svgs
    index = (site / "figures" / "index.html").read_text(encoding="utf-8")
    for svg in svgs:
        stem = svg.with_suffix("")
        page = stem.with_suffix(".html").read_text(encoding="utf-8")
        for name in (f"{stem.name}.csv", f"{stem.name}.xlsx", f"{stem.name}.json", f"{stem.name}.svg",
                     f"{stem.name}.png"):
            assert (stem.parent / name).is_file(), name
            assert f'href="{name}"' in page, name  # the page links its downloads
        assert embed_of(site, svg).is_file()
        assert stem.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
        assert f'href="{stem.relative_to(site / "figures").as_posix()}.html"' in index
        assert '<meta http-equiv="Content-Security-Policy"' in page


def test_the_xlsx_holds_the_csv_and_the_descriptor_is_a_valid_frictionless_resource(site: Path) -> None:
    from frictionless import Resource

    for svg in figures_of(site):
        rows = list(csv.reader(io.StringIO(svg.with_suffix(".csv").read_text(encoding="utf-8"))))
        sheet = load_workbook(svg.with_suffix(".xlsx"), read_only=True).active
        read_back = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
        assert len(read_back) == len(rows), svg.name
        for held, written in zip(read_back, rows, strict=True):  # numbers as numbers (to Excel's 15 digits)
            for value, text in zip(held, written, strict=True):
                assert value == pytest.approx(float(text), rel=1e-14) if isinstance(value, int | float) \
                    else value == text, (svg.name, value, text)
        descriptor = json.loads(svg.with_suffix(".json").read_text(encoding="utf-8"))
        assert [f["name"] for f in descriptor["schema"]["fields"]] == rows[0]
        report = Resource(descriptor, basepath=str(svg.parent)).validate()
        assert report.valid, (svg.name, report.flatten(["rowNumber", "fieldName", "type", "note"]))


@pytest.mark.browser
def test_a_figure_s_pages_pass_axe_and_hold_their_budgets(browser: Browser, server: str, site: Path) -> None:
    svg = figures_of(site)[0]
    for path in (svg.with_suffix(".html"), embed_of(site, svg), site / "figures" / "index.html"):
        address = f"{server}/{path.relative_to(site).as_posix()}"
        page = browser.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.goto(address)
        assert axe_violations(page) == [] and page.evaluate("window.__violations") == [], address
        page.close()
        assert weigh(site, path).over_budget() == []


@pytest.mark.browser
def test_another_site_frames_the_embed_page_and_it_draws_its_chart(browser: Browser, server: str, site: Path,
                                                                    tmp_path: Path) -> None:
    embed = embed_of(site, figures_of(site)[0]).relative_to(site).as_posix()
    (tmp_path / "index.html").write_text(f'<!DOCTYPE html><html lang="en"><title>Another site</title>'
                                         f'<iframe src="{server}/{embed}" title="A figure" width="900" '
                                         'height="700"></iframe></html>', encoding="utf-8")
    with serving(tmp_path) as other:  # another origin: another port
        page = browser.new_page()
        page.goto(f"{other}/index.html")
        frame = page.frame_locator("iframe")
        frame.locator("figure.wpsr-chart img.wpsr-chart-static").wait_for()
        frame.locator("figure.wpsr-chart .wpsr-chart-view").hover()  # touched: the interactive chart is drawn
        frame.locator("figure.wpsr-chart [data-wpsr-drawn], figure.wpsr-chart canvas, figure.wpsr-chart svg.marks"
                      ).first.wait_for(timeout=20_000)
        page.close()


@pytest.mark.browser
def test_the_table_sorts_and_the_citation_copies_with_the_keyboard(browser: Browser, server: str,
                                                                     site: Path) -> None:
    svg = figures_of(site)[0]
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.goto(f"{server}/{svg.with_suffix('.html').relative_to(site).as_posix()}")
    header = page.locator("table.wpsr-sortable th").last
    header.locator("button").focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    column = page.eval_on_selector_all("table.wpsr-sortable tbody tr",
                                       "rows => rows.map(r => r.cells[r.cells.length - 1].textContent.trim())")
    numeric = all(re.fullmatch(r"-?[\d.]+", v) for v in column if v)
    key = (lambda v: float(v) if v else float("-inf")) if numeric else str
    assert column == sorted(column, key=key)
    page.locator("button[data-copy=wpsr-cite-text]").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.wpsr-copy-status').textContent !== ''")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.inner_text("#wpsr-cite-text")
    context.close()


def test_a_cell_that_reads_like_a_formula_stays_text_in_the_xlsx() -> None:
    """A hostile output's data: the workbook holds the text, never a formula a spreadsheet would run."""
    from wpsr.sphinx_ext.figure_pages import xlsx

    written = xlsx([["name", "value"], ['=HYPERLINK("https://example.org","x")', "=1+1"], ["a", "2"]], "T")
    sheet = load_workbook(io.BytesIO(written)).active
    assert [[c.data_type for c in row] for row in sheet.iter_rows()] == [["s", "s"], ["s", "s"], ["s", "n"]]
    assert sheet["B2"].value == "=1+1" and sheet["B3"].value == 2
