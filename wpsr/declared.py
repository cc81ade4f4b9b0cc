"""Figures and tables declared in Markdown, for authors who write no code: a dataset, a kind of
figure, its columns, a filter and a title.

    ```{wpsr-figure} internet-use
    :kind: bars
    :value: share_pct
    :category: group
    :where: grouping = ITU region; year = latest
    :title: Internet use by ITU region, latest year
    ```

The build draws it as a notebook's ``wpsr.figure`` would be drawn (offline, translatable), with a
description written from the data: every value shown, rounded as the chart's labels round. Its
source line, "as of" and CSV come with it. `problems` says what is wrong with a declaration, for
`wpsr check` and the build alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from wpsr.charts import Figure
    from wpsr.data import Resource
    from wpsr.tables import Table

# Each kind: the columns it must be given, and those it may be given.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "bars": (("value", "category"), ("group",)),
    "lines": (("x", "y", "series"), ()),
    "small-multiples": (("x", "y", "panel"), ()),
    "table": ((), ("columns",)),
}
TEXTS = ("title", "value-title", "format", "unit", "name")  # options that are not columns
OPTIONS = ("kind", "where", *TEXTS, *sorted({c for needed, may in KINDS.values() for c in (*needed, *may)}))
LATEST = "latest"  # a filter's value: the column's greatest (the latest year)
CHOICES_SHOWN = 12


def conditions(where: str) -> list[tuple[str, str]]:
    """``grouping = ITU region; year = latest`` as [(column, value), …]; ValueError if a part has no ``=``."""
    found = []
    for part in filter(None, (p.strip() for p in where.split(";"))):
        column, equals, value = part.partition("=")
        if not equals or not column.strip() or not value.strip():
            raise ValueError(part)
        found.append((column.strip(), value.strip()))
    return found


def _choices(values: list[str]) -> str:
    shown = ", ".join(values[:CHOICES_SHOWN])
    return shown + (f" (and {len(values) - CHOICES_SHOWN} more)" if len(values) > CHOICES_SHOWN else "")


def _text(value: Any) -> str:
    """A cell as a filter compares it: 2025 for an integer year, the text otherwise."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def select(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """The rows that meet every condition (``latest``: the column's greatest value)."""
    for column, value in conditions(where):
        cells = frame[column].map(_text)
        wanted = _text(frame[column].max()) if value == LATEST else value
        frame = frame[cells == wanted]
    return frame


def columns_of(kind: str, options: Mapping[str, str], frame: pd.DataFrame) -> list[str]:
    """The columns a declaration shows, in the order a reader reads them."""
    if kind == "table":
        return [c.strip() for c in options["columns"].split(",")] if options.get("columns") else list(frame.columns)
    needed, may = KINDS[kind]
    return [options[c] for c in (*needed, *may) if options.get(c)]


def problems(dataset: str, options: Mapping[str, str], *, kind: str | None = None) -> list[tuple[str, str]]:
    """Everything wrong with a declaration, as (what, how): the dataset, the kind, the columns and
    the filter's columns and values are checked against the data package and the data."""
    from wpsr.data import DataError, package

    resources = package().resources
    if dataset not in resources:
        return [(f"unknown dataset {dataset!r}", f"name one of: {_choices(sorted(resources))}")]
    kind = kind or options.get("kind", "")
    if kind not in KINDS:
        return [(f"unknown kind of figure {kind!r}" if kind else "no :kind:",
                 f"give :kind: one of: {', '.join(KINDS)}")]
    found = []
    needed, may = KINDS[kind]
    for option in (o for o in options if o not in (*TEXTS, "kind", "where", *needed, *may)):
        found.append((f"the option :{option}: does not apply to {kind}",
                      f"{kind} takes: {', '.join(f':{o}:' for o in (*needed, *may, 'where', 'title'))}"))
    found += [(f"no :{o}: (the column to draw as {o})", f"add :{o}: COLUMN") for o in needed if not options.get(o)]
    if kind != "table" and not options.get("title", "").strip():
        found.append(("no :title:", "add :title: a title that states what the chart shows"))
    try:
        frame = resources[dataset].load()
    except DataError as err:
        return [*found, (f"the dataset {dataset!r} does not load: {err}", "run `wpsr validate` and fix it")]
    names = list(frame.columns)
    for column in columns_of(kind, {k: v for k, v in options.items() if k in (*needed, *may)}, frame):
        if column not in names:
            found.append((f"no column {column!r} in {dataset}", f"name one of: {', '.join(names)}"))
    try:
        wanted = conditions(options.get("where", ""))
    except ValueError as err:
        return [*found, (f"the filter {err.args[0]!r} is not COLUMN = VALUE",
                         "write :where: as `column = value; other = value` (`year = latest`: the latest year)")]
    for column, value in wanted:
        if column not in names:
            found.append((f"the filter names no column of {dataset}: {column!r}", f"name one of: {', '.join(names)}"))
            continue
        values = sorted(set(frame[column].dropna().map(_text)))
        if value != LATEST and value not in values:
            found.append((f"no row of {dataset} has {column} = {value!r}", f"{column} is one of: {_choices(values)}"
                          + ("; or `latest`" if frame[column].dtype.kind in "iuf" else "")))
    if not found and select(frame, options.get("where", "")).empty:
        found.append((f"no row of {dataset} meets the filter {options.get('where')!r}", "loosen the filter"))
    return found


def _unit(resource: Resource, column: str) -> str:
    return "%" if column.endswith("_pct") else ""


def _title(resource: Resource, column: str) -> str:
    """A column's title for an axis: its schema's title, else its name in words."""
    titles = {f.name: f.title for f in resource.fields if f.title != f.name}
    return titles.get(column) or column.replace("_", " ").capitalize()


def _format(frame: pd.DataFrame, column: str, given: str | None) -> str:
    if given:
        return given
    return "d" if frame[column].dtype.kind in "iu" else ".1f"


def figure(dataset: str, options: Mapping[str, str]) -> Figure | Table:
    """The figure (or table) a valid declaration declares, its description written from the data."""
    from wpsr import charts, tables
    from wpsr.data import package

    resource = package().resource(dataset)
    kind = options["kind"]
    frame = select(resource.load(), options.get("where", ""))
    shown = frame[columns_of(kind, options, frame)]
    title = options.get("title", "").strip()
    name = options.get("name") or title or dataset
    if kind == "table":
        return tables.table(shown.rename(columns=lambda c: _title(resource, c)), caption=title or resource.title,
                            sources=dataset, name=name)
    measure = options["value"] if kind == "bars" else options["y"]
    number_format = _format(frame, measure, options.get("format"))
    unit = options.get("unit", _unit(resource, measure))
    axis = options.get("value-title") or _title(resource, measure)
    if kind == "bars":
        group = options.get("group")
        chart = charts.bars(shown, value=measure, category=options["category"], value_title=axis, group=group,
                            number_format=number_format)
        values = "; ".join(f"{row[options['category']]}{f' ({row[group]})' if group else ''}: "
                           f"{charts.rounded(row[measure], number_format)}{unit}" for _, row in shown.iterrows())
    else:
        along = options["series"] if kind == "lines" else options["panel"]
        chart = (charts.lines(shown, x=options["x"], y=measure, series=along, y_title=axis,
                              number_format=number_format) if kind == "lines" else
                 charts.small_multiples(shown, x=options["x"], y=measure, panel=along, y_title=axis,
                                        number_format=number_format))
        values = charts.describe_series(shown, x=options["x"], y=measure, series=along, number_format=number_format,
                                        unit=unit)
    named = options["category"] if kind == "bars" else along
    description = f"{axis}. {values}. {_value_sources(resource, frame, named)}".strip()
    return charts.figure(chart, title=title, description=re.sub(r"\.\.", ".", description), sources=dataset,
                         name=name)


def _value_sources(resource: Resource, frame: pd.DataFrame, named: str) -> str:
    """The values their source did not publish as exact figures (a ``source_kind`` column), in words."""
    from wpsr.data import describe_value_sources

    if "source_kind" not in frame or "year" not in frame:
        return ""
    publisher = resource.sources[0].get("publisher", resource.title) if resource.sources else resource.title
    return describe_value_sources(frame, name=named, at="year", publisher=publisher).strip()
