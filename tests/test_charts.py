"""A chart figure carries everything a reader needs, and the same chart gives the same HTML."""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import altair as alt
import pandas as pd
import pytest

import wpsr
from tests.conftest import ROOT
from wpsr.charts import PALETTE, bars


@pytest.fixture(autouse=True)
def _book(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(ROOT))


def civic_figure() -> wpsr.charts.Figure:
    civic = wpsr.load("civic-space").assign(report_year=lambda d: d.report_year.astype(str))
    return wpsr.figure(bars(civic, value="share_pct", category="rating_group", group="report_year",
                            value_title="Share (%)"),
                       title="Civic space", description="Shares by rating.", sources="civic-space")


def test_figure_has_static_image_spec_description_source_and_csv() -> None:
    html = civic_figure()._repr_html_()
    svg = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(svg).startswith(b"<svg")
    assert '<script type="application/json" class="wpsr-chart-spec">' in html
    assert '<p class="wpsr-chart-description" id="fig-civic-space-desc">Shares by rating.</p>' in html
    assert "Source: CIVICUS Monitor (2020). People Power Under Attack 2020" in html
    csv = unquote(re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', html).group(1))
    assert csv.splitlines()[0] == "report_year,rating_group,share_pct,label"
    assert "2020,Repressed,43.4" in csv


def test_same_chart_same_html() -> None:
    assert civic_figure()._repr_html_() == civic_figure()._repr_html_()


def test_figure_refers_to_no_other_origin() -> None:
    html = civic_figure()._repr_html_()
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_house_theme_uses_the_colour_blind_safe_palette() -> None:
    spec = civic_figure().spec
    assert spec["config"]["range"]["category"] == PALETTE


def test_a_chart_without_description_is_refused() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")
    with pytest.raises(ValueError, match="a chart needs a description"):
        wpsr.figure(chart, title="t", description=" ", sources="civic-space")


def test_a_figure_cites_only_known_datasets() -> None:
    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x")
    with pytest.raises(wpsr.DataError, match="no resource named 'nope'"):
        wpsr.figure(chart, title="t", description="d", sources="nope")


def test_table_has_caption_header_scope_source_and_csv() -> None:
    html = wpsr.table(pd.DataFrame({"Place": ["Malawi"]}), caption="Cases", sources="meeting-examples",
                      name="cases")._repr_html_()
    assert "<caption>Cases</caption>" in html and '<th scope="col">Place</th>' in html
    assert "Source: UN DESA (2022)." in html and 'download="cases.csv"' in html
