"""Charts: the house theme and the accessible, offline figure every chart is wrapped in.

A figure is one self-contained block of HTML: a title, a static SVG image drawn at
build time by vl-convert (what paints first, and what print, readers without JavaScript
and screen readers get), the chart compiled to a Vega spec that ``wpsr-charts.js`` draws
interactively in its place when the reader touches it, a text description, a source
line and a link to the chart's data as CSV. The image and the CSV travel inside the HTML
as ``data:`` URIs marked ``data-wpsr-file``, so a notebook shows the figure anywhere; the
book writes them out as files of the site (``figures/<page>/<name>.svg`` and ``.csv``).
Nothing in it refers to another origin, and it contains no random ids, so rebuilding the
same commit gives the same HTML.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Collection, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

import altair as alt
import pandas as pd
import vl_convert as vlc

from wpsr.book import slug
from wpsr.data import source_line
from wpsr.markup import render
from wpsr.safety import WPSR_MIME, safe_csv, script_json

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies; its yellow,
# faint on white, comes last.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2933"
WIDTH = 620
UNUSED_IN_IMAGE = re.compile(r' (?:aria-[a-z]+|role|class|pointer-events)="[^"]*"')
ATTRIBUTE = re.compile(r'="[^"]*"')  # coordinates are rounded in attributes only, never in the text drawn
DECIMALS = re.compile(r"(\d\.\d)\d+")


@alt.theme.register("wpsr", enable=True)
def house_theme() -> alt.theme.ThemeConfig:
    """The one place where charts get their colours, type and size."""
    label = {"labelFont": FONT, "labelFontSize": 13, "labelColor": INK,
             "titleFont": FONT, "titleFontSize": 13, "titleColor": INK, "titleFontWeight": "normal"}
    return {
        "config": {
            "font": FONT,
            "background": "#ffffff",
            "view": {"stroke": None, "continuousWidth": WIDTH, "continuousHeight": 320},
            "range": {"category": PALETTE},
            "axis": {**label, "gridColor": "#e4e7eb", "domainColor": "#9aa5b1", "tickColor": "#9aa5b1"},
            "legend": {**label, "orient": "bottom", "symbolSize": 120},
            "header": {**label, "labelFontWeight": "bold"},
            "title": {"font": FONT, "fontSize": 15, "color": INK, "anchor": "start"},
            "text": {"font": FONT, "fontSize": 12, "color": INK},
            "bar": {"color": PALETTE[0]},
            "line": {"strokeWidth": 2.5},
        }
    }


class Figure:
    """A chart ready for the page: notebooks display it, the book publishes its HTML."""

    def __init__(self, chart: alt.TopLevelMixin, *, title: str, description: str,
                 sources: Sequence[str], name: str | None = None, interactive: bool = True):
        if not description.strip():
            raise ValueError("a chart needs a description: say in words what it shows")
        if not isinstance(chart.data, pd.DataFrame):
            raise TypeError("give the chart its data as a pandas DataFrame at the top level")
        self.chart = chart.properties(description=description)
        self.title = title
        self.description = description
        self.name = slug(name or title)
        self.source = source_line(sources)
        self.datasets = list(sources)
        self.interactive = interactive  # False: the image alone (a map whose shapes would double the page)

    @property
    def spec(self) -> dict:
        return self.chart.to_dict()

    def parts(self) -> dict[str, Any]:
        """What the figure is drawn from, which the book keeps to draw it again in another language."""
        return {"spec": self.spec, "title": self.title, "description": self.description, "source": self.source,
                "name": self.name, "interactive": self.interactive, "csv": self.csv(), "datasets": self.datasets}

    def svg(self) -> str:
        return svg(self.spec)

    def csv(self) -> str:
        """The chart's data as its download publishes it (formula-like cells neutralised)."""
        return safe_csv(self.chart.data.to_csv(index=False, lineterminator="\n"))

    def _repr_html_(self) -> str:
        return draw(self.parts(), inline_spec=True)[0]

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """HTML for Jupyter, and for the book the markup without script beside the spec and the parts
        it is drawn from (WPSR_MIME)."""
        parts = self.parts()
        markup, vega = draw(parts)
        shown, _ = draw(parts, inline_spec=True, drawn=(image_of(markup), vega))  # drawn once, shown twice
        # in plain text, its title and description (Python's own repr, an address, changed at each run)
        return {"text/plain": f"{self.title}. {self.description}", "text/html": shown,
                WPSR_MIME: {"html": markup, "vega": vega, "figure": parts}}


def image_of(markup: str) -> str | None:
    """The static image a figure's markup carries (its SVG), if any."""
    found = IMAGE.search(markup)
    return base64.b64decode(found[1]).decode() if found else None


def svg(spec: dict) -> str:
    """The static rendering, drawn offline with the same Vega version as the site. Shown as an
    image whose alt text and description carry its meaning, it sheds the marks' ARIA and class
    attributes and sub-pixel decimals: a third lighter for the reader. Drawn once a process for
    each spec (about 0.1 s a chart: the book's own charts are drawn at each build, and again by
    a publish's single-page build)."""
    return _svg(json.dumps(spec))  # its keys in their order: the spec as given


@functools.lru_cache(maxsize=128)
def _svg(spec: str) -> str:
    drawn = vlc.vegalite_to_svg(json.loads(spec), vl_version="6.4", allowed_base_urls=[])
    return ATTRIBUTE.sub(lambda m: DECIMALS.sub(r"\1", m[0]), UNUSED_IN_IMAGE.sub("", drawn))


IMAGE = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def draw(parts: dict[str, Any], *, english: Collection[str] = (), inline_spec: bool = False,
         drawn: tuple[str, dict | None] | None = None) -> tuple[str, dict | None]:
    """A figure's markup and its chart compiled to the Vega spec the site draws when a reader
    touches it (None: a still image). The markup holds the spec only with ``inline_spec`` (a
    notebook's view): the book places it itself. ``english``: the parts (title, description,
    source) a translated page leaves in English, marked ``lang="en"``. ``drawn``: the image and
    Vega spec already drawn from these parts (the markup alone is made again)."""
    if drawn is None:
        drawn = svg(parts["spec"]), vlc.vegalite_to_vega(parts["spec"], vl_version="6.4") if parts["interactive"] \
            else None
    image, vega = drawn
    size = re.search(r'<svg[^>]*?width="([\d.]+)"[^>]*?height="([\d.]+)"', image)
    width, height = (round(float(v)) for v in size.groups()) if size else (WIDTH, 320)
    markup = render("figure.html", kind="wpsr-chart" if parts["interactive"] else "wpsr-chart wpsr-chart-still",
                    ident=f"fig-{parts['name']}", name=parts["name"], title=parts["title"],
                    description=parts["description"], source=parts["source"], width=width, height=height,
                    svg=base64.b64encode(image.encode()).decode(), english=set(english),
                    spec=script_json(vega) if inline_spec and vega is not None else None,
                    csv_uri="data:text/csv;charset=utf-8," + quote(parts["csv"]))
    return str(markup), vega


# --- the words a chart draws, for its translations -----------------------------------------

TEXT_PARTS = ("title", "description", "source")
NAMED = ("nominal", "ordinal")  # the fields whose values a chart writes as words
LETTER = re.compile(r"[^\W\d_]")


def _named_fields(spec: Any, found: set[str]) -> set[str]:
    """The fields a chart encodes as names (categories, series, panels), anywhere in its spec."""
    if isinstance(spec, dict):
        if spec.get("type") in NAMED and isinstance(spec.get("field"), str):
            found.add(spec["field"])
        for value in spec.values():
            _named_fields(value, found)
    elif isinstance(spec, list):
        for value in spec:
            _named_fields(value, found)
    return found


def _relabel(spec: Any, named: set[str], words: Callable[[str], str]) -> Any:
    """A copy of the spec with each title, each name a named field takes in the data, and each list
    of names (sort orders, scale domains) passed through `words`."""
    def word(text: Any) -> Any:
        return words(text) if isinstance(text, str) and LETTER.search(text) else text

    def records(rows: Any) -> Any:
        return [{k: word(v) if k in named else v for k, v in row.items()} if isinstance(row, dict) else row
                for row in rows] if isinstance(rows, list) else rows

    if isinstance(spec, list):
        return [_relabel(value, named, words) for value in spec]
    if not isinstance(spec, dict):
        return spec
    copied = {}
    for name, value in spec.items():
        if name == "title" and isinstance(value, (str, list)):
            copied[name] = [word(t) for t in value] if isinstance(value, list) else word(value)
        elif name in ("sort", "domain") and isinstance(value, list):
            copied[name] = [word(t) for t in value]
        elif name == "datasets" and isinstance(value, dict):  # Altair's data, by name
            copied[name] = {key: records(rows) for key, rows in value.items()}
        elif name == "values":  # inline data
            copied[name] = records(value)
        else:
            copied[name] = _relabel(value, named, words)
    return copied


def chart_words(parts: dict[str, Any]) -> list[str]:
    """Every text of a figure a translation gives: its title, description and source, then each
    title and name its chart draws, once each, in the order met."""
    met: dict[str, None] = dict.fromkeys(parts[p] for p in TEXT_PARTS)
    _relabel(parts["spec"], _named_fields(parts["spec"], set()), lambda text: met.setdefault(text) or text)
    return list(met)


def translated(parts: dict[str, Any], words: dict[str, str], number_locale: dict | None = None) -> dict[str, Any]:
    """The figure's parts with each text `words` translates (the others stay as they are), its numbers
    written as `number_locale` (d3's format locale) writes them: in its image and its interactive chart."""
    spec = _relabel(parts["spec"], _named_fields(parts["spec"], set()), lambda text: words.get(text, text))
    if spec.get("description") == parts["description"]:  # what the interactive chart tells screen readers
        spec["description"] = words.get(parts["description"], parts["description"])
    if number_locale:
        spec["config"] = {**spec.get("config", {}), "locale": {"number": number_locale}}
    return {**parts, "spec": spec, **{p: words.get(parts[p], parts[p]) for p in TEXT_PARTS}}


def figure(chart: alt.TopLevelMixin, *, title: str, description: str,
           sources: str | Sequence[str], name: str | None = None, interactive: bool = True) -> Figure:
    """Wrap an Altair chart with its title, text description and datasets it draws on
    (with interactive=False, its image alone: no runtime, no tooltips)."""
    return Figure(chart, title=title, description=description,
                  sources=[sources] if isinstance(sources, str) else sources, name=name, interactive=interactive)


def rounded(value: float, number_format: str) -> str:
    """A number as the chart's own labels write it: d3's ``.Nf`` rounds halves up (90.5 -> 91),
    where Python's format rounds them to even."""
    places = re.fullmatch(r"\.(\d+)f", number_format)
    if not places:
        return format(value, number_format)
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-int(places[1])), rounding=ROUND_HALF_UP))


def describe_series(frame: pd.DataFrame, *, x: str, y: str, series: str, number_format: str = ".1f",
                    unit: str = "%") -> str:
    """Each series in words, for a chart's description: "A: 4% in 2018, 3% in 2021; B: …"."""
    def words(rows: pd.DataFrame) -> str:
        rows = rows.sort_values(x)
        return ", ".join(f"{rounded(value, number_format)}{unit} in {at}"
                         for at, value in zip(rows[x], rows[y], strict=True))

    return "; ".join(f"{name}: {words(rows)}" for name, rows in frame.groupby(series, sort=False))


# --- house chart types: every series is told apart by more than its colour --------

# Eight dash patterns, one per colour of the palette: lines differ in print without colour.
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [4, 1, 1, 1], [10, 2], [3, 3, 1, 3]]


def runs(chart: alt.Chart, *, x: str, series: str, max_step: int | None) -> alt.Chart:
    """Cut each series into runs of points no further apart than max_step along x (one run per
    series without it): ``wpsr_run`` numbers a point's run and ``wpsr_run_end`` is its run's last x.
    A line drawn per run leaves a gap in the data as a gap on the chart."""
    order = [alt.SortField(x)]
    jump = "false" if max_step is None else f"{alt.datum[x] - alt.datum.wpsr_previous} > {max_step}"
    return (chart.transform_window(wpsr_previous=f"lag({x})", groupby=[series], sort=order)
            .transform_calculate(wpsr_starts=f"{alt.datum.wpsr_previous} == null || {jump} ? 1 : 0")
            .transform_window(wpsr_run="sum(wpsr_starts)", groupby=[series], sort=order)
            .transform_joinaggregate(wpsr_run_end=f"max({x})", groupby=[series, "wpsr_run"]))


def bars(frame: pd.DataFrame, *, value: str, category: str, value_title: str,
         group: str | None = None, number_format: str = ".1f") -> alt.LayerChart:
    """Horizontal bars, each labelled with its value (and its group, when grouped), written by the
    chart itself, so that a translation writes it as its language writes numbers."""
    label = f"format(datum[{json.dumps(value)}], {json.dumps(number_format)})"
    if group:
        label += f" + ' (' + datum[{json.dumps(group)}] + ')'"
    whole = number_format.endswith("d")  # counts: whole-number ticks, never 0.05 of a record
    enc: dict = {"y": alt.Y(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),  # never cut
                 "x": alt.X(f"{value}:Q", title=value_title,
                            axis=alt.Axis(format=number_format, tickMinStep=1) if whole else alt.Axis()),
                 "tooltip": [c for c in (category, group) if c] + [alt.Tooltip(value, format=number_format)]}
    if group:
        enc["color"] = alt.Color(f"{group}:N", title=None)
        if frame.groupby(category)[group].nunique().max() > 1:  # side by side within a category
            enc["yOffset"] = alt.YOffset(f"{group}:N")
    base = alt.Chart().encode(**enc)
    return alt.layer(base.mark_bar(),
                     base.mark_text(align="left", dx=4, color=INK).encode(text="wpsr_label:N", color=alt.value(INK))
                     .transform_calculate(wpsr_label=label),
                     data=frame)


def lines(frame: pd.DataFrame, *, x: str, y: str, series: str, y_title: str,
          x_title: str | None = None, number_format: str = ".1f", max_step: int | None = None) -> alt.LayerChart:
    """Lines told apart by colour, dash and point shape, each named where it ends (a series
    that stops early, or has one point, is named where it stops). With max_step, points further
    apart than that are not joined, and each piece is named: a gap in the data stays a gap."""
    color = alt.Color(f"{series}:N", legend=None)  # each line is named at its end instead
    base = runs(alt.Chart(), x=x, series=series, max_step=max_step).encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(padding=8, nice=False)),
        y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=[series, alt.Tooltip(f"{x}:Q", format="d"), alt.Tooltip(y, format=number_format)])
    return alt.layer(
        base.mark_line().encode(color=color, detail="wpsr_run:N",
                                strokeDash=alt.StrokeDash(f"{series}:N", legend=None, scale=alt.Scale(range=DASHES))),
        base.mark_point(size=40, filled=True).encode(color=color, shape=alt.Shape(f"{series}:N", legend=None)),
        base.mark_text(align="left", dx=6).encode(text=f"{series}:N")
        .transform_filter(alt.datum[x] == alt.datum.wpsr_run_end),
        data=frame,
    ).properties(padding={"left": 5, "top": 5, "bottom": 5, "right": 40})  # a top-level chart: room for names


def small_multiples(frame: pd.DataFrame, *, x: str, y: str, panel: str, y_title: str,
                    columns: int = 3, number_format: str = ".0f", max_step: int | None = None,
                    details: dict[str, str] | None = None) -> alt.FacetChart:
    """One small chart per panel, on a shared scale, each named above and its last value written
    after its last point: many series without a legend or overlapping labels. Points are joined
    by a line unless further apart than max_step (max_step=0: points alone). ``details``: more fields
    each point's tooltip gives, by their titles (say, where a figure comes from)."""
    order = list(dict.fromkeys(frame[panel]))  # panels in the frame's order
    first, last = int(frame[x].min()), int(frame[x].max())
    base = runs(alt.Chart(), x=x, series=panel, max_step=max_step).encode(
        x=alt.X(f"{x}:Q", title=None, scale=alt.Scale(zero=False, nice=False, padding=24),  # room for the value
                axis=alt.Axis(format="d", values=list(range(first, last + 1)),  # a grid line a year, two labels
                              labelExpr=f"datum.value == {first} || datum.value == {last} ? datum.label : ''")),
        y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=[panel, alt.Tooltip(f"{x}:Q", format="d"), alt.Tooltip(y, format=number_format),
                 *(alt.Tooltip(f"{field}:N", title=title) for field, title in (details or {}).items())])
    joined = [] if max_step == 0 else [base.mark_line(color=PALETTE[0]).encode(detail="wpsr_run:N")]
    layers = alt.layer(
        *joined,
        base.mark_point(size=36, filled=True, color=PALETTE[0]),
        base.mark_text(align="left", dx=6, color=INK).encode(text=alt.Text(f"{y}:Q", format=number_format))
        .transform_joinaggregate(wpsr_last=f"max({x})", groupby=[panel])
        .transform_filter(alt.datum[x] == alt.datum.wpsr_last),
    ).properties(width=(WIDTH - 40 * columns) // columns, height=120)
    return layers.facet(data=frame, facet=alt.Facet(f"{panel}:N", title=None, sort=order), columns=columns)


def dumbbell(frame: pd.DataFrame, *, value: str, category: str, period: str, value_title: str,
             number_format: str = ".1f") -> alt.LayerChart:
    """Two periods per category joined by a rule; periods differ in colour and shape."""
    base = alt.Chart().encode(y=alt.Y(f"{category}:N", title=None, sort="-x"))
    points = base.mark_point(size=110, filled=True).encode(
        x=alt.X(f"{value}:Q", title=value_title),
        color=alt.Color(f"{period}:N", title=None), shape=alt.Shape(f"{period}:N", title=None),
        tooltip=[category, period, alt.Tooltip(value, format=number_format)])
    rule = base.mark_rule(color="#9aa5b1").encode(x=f"min({value}):Q", x2=f"max({value}):Q")
    return alt.layer(rule, points, data=frame)


def timeline(frame: pd.DataFrame, *, start: str, end: str, lane: str, label: str,
             tooltip: Sequence[str] = ()) -> alt.LayerChart:
    """Events along a time axis, one lane per kind: a bar from start to end with a marker at the start.
    Lanes differ by position and marker shape as well as colour."""
    base = alt.Chart().encode(y=alt.Y(f"{lane}:N", title=None, sort=None),
                              color=alt.Color(f"{lane}:N", legend=None),
                              tooltip=[label, *tooltip])
    return alt.layer(
        base.mark_rule(strokeWidth=6).encode(x=alt.X(f"{start}:T", title=None, scale=alt.Scale(padding=14),
                                                     axis=alt.Axis(format="%Y", tickCount="year")),
                                             x2=f"{end}:T"),
        base.mark_point(size=90, filled=True).encode(x=f"{start}:T", shape=alt.Shape(f"{lane}:N", legend=None)),
        data=frame,
    ).properties(height=alt.Step(44))
