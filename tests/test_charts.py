"""A chart figure carries everything a reader needs, and the same chart gives the same HTML."""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import altair as alt
import pandas as pd
import pytest
import vl_convert

import wpsr
from tests.conftest import ROOT
from wpsr.charts import PALETTE, bars, describe_series, lines, rounded, small_multiples
from wpsr.data import DataPackage


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
    first_source = DataPackage.read().resource("civic-space").sources[0]
    assert f"Source: {first_source['publisher']} ({first_source['year']}). {first_source['title']}" in html
    csv = unquote(re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', html).group(1))
    assert csv.splitlines()[0] == "report_year,rating_group,share_pct"  # the data shown, no label made from it
    civic = wpsr.load("civic-space")
    assert len(csv.splitlines()) == len(civic) + 1
    assert f"{civic.report_year[0]},{civic.rating_group[0]},{civic.share_pct[0]}" in csv


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


SERIES = pd.DataFrame({"year": [2018, 2019, 2021, 2018, 2019], "share": [4.0, 3.5, 3.1, 17.6, 12.7],
                       "rating": ["Open", "Open", "Open", "Narrowed", "Narrowed"]})


def drawn(chart: alt.TopLevelMixin) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version="6.4")


def line_paths(svg: str) -> int:
    """The lines Vega drew: the paths in its SVG's line-mark groups."""
    return sum(group.count("<path") for group in re.findall(r'<g class="mark-line role-mark[^"]*".*?</g>', svg, re.S))


def test_lines_keep_a_gap_in_the_data_as_a_gap_only_when_asked() -> None:
    joined = drawn(lines(SERIES, x="year", y="share", series="rating", y_title="%"))
    broken = drawn(lines(SERIES, x="year", y="share", series="rating", y_title="%", max_step=1))
    assert line_paths(joined) == 2  # one line per series, across 2020
    assert line_paths(broken) == 3  # Open splits at the missing 2020


def test_every_series_is_named_where_it_ends() -> None:
    svg = drawn(lines(SERIES, x="year", y="share", series="rating", y_title="%"))
    names = re.findall(r"<text[^>]*>(Open|Narrowed)</text>", svg)
    assert sorted(names) == ["Narrowed", "Open"]  # Narrowed ends in 2019, before the last year


def test_each_piece_of_a_broken_line_is_named() -> None:
    svg = drawn(lines(SERIES, x="year", y="share", series="rating", y_title="%", max_step=1))
    names = re.findall(r"<text[^>]*>(Open|Narrowed)</text>", svg)
    assert sorted(names) == ["Narrowed", "Open", "Open"]  # Open 2018-2019, then Open 2021


def test_small_multiples_can_leave_points_unjoined() -> None:
    svg = drawn(small_multiples(SERIES, x="year", y="share", panel="rating", y_title="%", max_step=0))
    assert line_paths(svg) == 0 and svg.count('aria-roledescription="point"') == len(SERIES)


def test_numbers_are_rounded_as_the_chart_rounds_them() -> None:
    assert rounded(90.5, ".0f") == "91" and rounded(0.125, ".2f") == "0.13" and rounded(12, "d") == "12"


def test_small_multiples_name_each_panel_and_write_its_last_value() -> None:
    svg = drawn(small_multiples(SERIES, x="year", y="share", panel="rating", y_title="%", number_format=".1f"))
    texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert {"Open", "Narrowed", "3.1", "12.7"} <= set(texts) and "4.0" not in texts


def test_series_are_put_into_words_in_order() -> None:
    assert describe_series(SERIES.iloc[::-1], x="year", y="share", series="rating") == (
        "Narrowed: 17.6% in 2018, 12.7% in 2019; Open: 4.0% in 2018, 3.5% in 2019, 3.1% in 2021")


# --- a figure in another language: its words, translated without executing the notebook again -------

def test_a_figure_offers_every_word_it_draws_but_no_number() -> None:
    parts = civic_figure().parts()
    words = wpsr.charts.chart_words(parts)
    assert words[:3] == ["Civic space", "Shares by rating.", parts["source"]]
    assert "Share (%)" in words  # the axis title
    civic = wpsr.load("civic-space")
    assert set(civic.rating_group) <= set(words)  # every category the bars name
    assert not [w for w in words if not re.search(r"[^\W\d_]", w)]  # years and values are not words


def test_a_translated_figure_draws_its_words_and_numbers_in_the_language() -> None:
    from wpsr.charts import draw, translated

    parts = civic_figure().parts()
    group = wpsr.load("civic-space").rating_group[0]
    words = {"Civic space": "Espace civique", "Share (%)": "Part (%)", group: f"{group} (fr)"}
    french = translated(parts, words, vl_convert.get_format_locale("fr-FR"))
    markup, vega = draw(french, english=["description", "source"])
    image = base64.b64decode(re.search(r'base64,([^"]+)"', markup)[1]).decode()
    drawn = [t.replace("\xa0", " ") for t in re.findall(r"<text[^>]*>([^<]+)</text>", image)]
    assert "Part (%)" in drawn and f"{group} (fr)" in drawn and group not in drawn
    assert any(re.fullmatch(r"\d+,\d \(\d{4}\)", t) for t in drawn)  # its labels: 40,0 (2019), not 40.0
    assert vega["config"]["locale"]["number"]["decimal"] == ","  # and so does the interactive chart
    assert '<figcaption class="wpsr-chart-title">Espace civique</figcaption>' in markup
    assert '<p class="wpsr-chart-description" id="fig-civic-space-desc" lang="en">Shares by rating.</p>' in markup
    assert parts["spec"] == civic_figure().parts()["spec"]  # the English parts are left as they were
