"""Table Schema, as the data package uses it: each cell type's parser, a field with its
constraints, the rules a row must keep (``wpsr:rowRules``), and a whole table checked against
its schema (:func:`check_table`: header, cells, unique fields, primary key). No pandas here.

This is the one validator the build runs; Frictionless, the reference implementation, is its
oracle in the tests (``tests/test_validator_oracle.py``): why, with the measurements, is in
``wpsr.data``'s docstring."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from wpsr.provenance import today

# --- cell types -------------------------------------------------------------------

def _parse_integer(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError
    return int(text)


def _parse_number(text: str) -> float:
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError
    return float(text)


def _parse_boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError
    return text == "true"


def _parse_year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text):
        raise ValueError
    return int(text)


def _parse_date(text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # Python alone would take 20230710 too
        raise ValueError
    return dt.date.fromisoformat(text)


def _parse_time(text: str, format: str = "default") -> str:
    """A time as Frictionless reads it: HH:MM:SS by default, HH:MM with the format "%H:%M"."""
    seconds = "" if format == "%H:%M" else ":[0-5]\\d"
    if not re.fullmatch(rf"([01]\d|2[0-3]):[0-5]\d{seconds}", text):
        raise ValueError
    return text


PARSERS: dict[str, tuple[Callable[[str], Any], str]] = {
    "string": (str, "text"),
    "integer": (_parse_integer, "a whole number such as 2023"),
    "number": (_parse_number, "a number such as 12.5 (a dot for decimals, no thousands separator)"),
    "year": (_parse_year, "a four-digit year such as 2023"),
    "date": (_parse_date, "a date written YYYY-MM-DD"),
    "time": (_parse_time, "a time written HH:MM:SS (HH:MM with the format %H:%M)"),
    "boolean": (_parse_boolean, "true or false"),
}
CONSTRAINTS = ("required", "unique", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength")
PANDAS_DTYPES = {"integer": "Int64", "year": "Int64", "number": "Float64", "boolean": "boolean",
                  "string": "string", "time": "string"}


@dataclass(frozen=True)
class Field:
    """One column of a Table Schema."""

    name: str
    type: str
    title: str
    description: str
    constraints: dict[str, Any]
    format: str = "default"

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    def check(self, text: str) -> tuple[Any, str | None]:
        """Return the typed value of one cell and, if it breaks a rule, what to fix."""
        if text == "":
            return None, ("a value is required here — fill it in" if self.required else None)
        parse, expected = PARSERS[self.type]
        try:
            value = parse(text, self.format) if self.type == "time" else parse(text)
        except ValueError:
            return None, f"{text!r} is not {expected} — correct the value"
        c = self.constraints
        if "enum" in c and value not in c["enum"]:
            allowed = ", ".join(map(str, c["enum"]))
            return value, f"{text!r} is not an allowed value — use one of: {allowed}"
        if "minimum" in c and value < bound_value(self.type, c["minimum"]):
            return value, f"{text} is below the minimum {c['minimum']} — correct the value"
        if "maximum" in c and value > bound_value(self.type, c["maximum"]):
            return value, f"{text} is above the maximum {c['maximum']} — correct the value"
        if "pattern" in c and not re.fullmatch(c["pattern"], text):
            return value, f"{text!r} does not match the pattern {c['pattern']} — correct the value"
        if "maxLength" in c and len(text) > c["maxLength"]:
            return value, f"is {len(text)} characters long, over {c['maxLength']} — shorten it"
        if "minLength" in c and len(text) < c["minLength"]:
            return value, f"is {len(text)} characters long, under {c['minLength']} — complete it"
        return value, None


def broken_row_rules(rules: list[dict[str, Any]], record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Rules across the cells of one row (``wpsr:rowRules`` in a schema): (field, message) per break.

    ``{"field": "end", "notBefore": "start"}``; ``{"field": "start", "requiredWhen": {"dates_confirmed": true}}``;
    ``{"field": "start", "emptyWhen": {"dates_confirmed": false}}``; ``{"field": "date", "notInFuture": true}``
    (not after the day of the check: $SOURCE_DATE_EPOCH, else today).
    """
    for rule in rules:
        name, value = rule["field"], record.get(rule["field"])
        if rule.get("notInFuture") and value is not None and value > today():
            yield name, (f"{cell_text(value)} is in the future (today is {today().isoformat()}) — record what "
                         "has happened")
        other = rule.get("notBefore")
        if other and value is not None and record.get(other) is not None and value < record[other]:
            yield name, f"{cell_text(value)} is before {other} {cell_text(record[other])} — correct the dates"
        for key, wanted in rule.get("requiredWhen", {}).items():
            if record.get(key) == wanted and value is None:
                yield name, (f"a value is required when {key} is {cell_text(wanted)} — fill it in, "
                             f"or set {key} to {cell_text(not wanted)}")
        for key, wanted in rule.get("emptyWhen", {}).items():
            if record.get(key) == wanted and value is not None:
                yield name, (f"{cell_text(value)} is given but {key} is {cell_text(wanted)} — remove the value, "
                             f"or set {key} to {cell_text(not wanted)} if it is confirmed")


def cell_text(value: Any) -> str:
    """A value as it is written in the CSV (None: an empty cell)."""
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def bound_value(field_type: str, bound: Any) -> Any:
    return dt.date.fromisoformat(bound) if field_type == "date" else bound


# --- a table ------------------------------------------------------------------------

Broken = tuple[int | None, str, str | None]  # (line, "what is wrong — how to fix it", field or None)


@dataclass(frozen=True)
class Row:
    """One data row as checked: its line, its cells as written and their typed values (None if empty or
    unreadable)."""

    line: int
    texts: dict[str, str]
    values: dict[str, Any]


def names(value: Any) -> list[str]:
    """A field name or a list of them (as primaryKey and foreignKeys give them), as a list."""
    return [value] if isinstance(value, str) else list(value or [])


def fields_of(schema: dict[str, Any]) -> list[Field]:
    return [Field(f["name"], f.get("type", "string"), f.get("title", f["name"]), f.get("description", ""),
                  f.get("constraints", {}), f.get("format", "default")) for f in schema["fields"]]


def check_table(schema: dict[str, Any], rows: Iterable[tuple[int, list[str]]]) -> tuple[list[Row], list[Broken]]:
    """Check a table, its header first, against its schema: the header, each row's width, each cell's type and
    constraints, unique fields, the primary key and the row rules. Return the rows of the right width (not
    blank) and what is wrong. Foreign keys, which need other tables, are the data package's to check."""
    fields = fields_of(schema)
    expected = [f.name for f in fields]
    rows = iter(rows)
    header_line, header = next(rows, (1, []))
    if header != expected:
        missing = [n for n in expected if n not in header]
        extra = [n for n in header if n not in expected]
        detail = "; ".join(filter(None, [
            missing and f"missing column(s) {', '.join(missing)}",
            extra and f"unexpected column(s) {', '.join(extra)}",
            not (missing or extra) and "columns are out of order",
        ]))
        return [], [(header_line, f"the header does not match the schema ({detail}) — "
                                  f"the header must be: {','.join(expected)}", None)]
    broken: list[Broken] = []
    checked: list[Row] = []
    unique: dict[str, dict[Any, int]] = {f.name: {} for f in fields if f.constraints.get("unique")}
    key_fields = names(schema.get("primaryKey"))
    keys: dict[tuple, int] = {}
    for line, cells in rows:
        if not any(cells):
            broken.append((line, "the row is empty — remove the line, or fill in the row", None))
            continue
        if len(cells) != len(fields):
            broken.append((line, f"has {len(cells)} cells, the header has {len(fields)} — check for a missing or "
                                 "extra comma, or quote text containing commas", None))
            continue
        values = {}
        for field, text in zip(fields, cells, strict=True):
            value, error = field.check(text)
            if error:
                broken.append((line, error, field.name))
            if field.name in unique and value is not None:
                first = unique[field.name].setdefault(value, line)
                if first != line:
                    broken.append((line, f"{text!r} repeats line {first} — values must be unique", field.name))
            values[field.name] = value
        for name, message in broken_row_rules(schema.get("wpsr:rowRules", []), values):
            broken.append((line, message, name))
        if key_fields:
            key = tuple(values[k] for k in key_fields)
            first = keys.setdefault(key, line)
            if all(v is None for v in key):
                broken.append((line, f"the key ({', '.join(key_fields)}) is empty — give each row its key", None))
            elif first != line:
                broken.append((line, f"the key ({', '.join(key_fields)}) repeats line {first} — "
                                     "each row needs a distinct key", None))
        checked.append(Row(line, dict(zip(expected, cells, strict=True)), values))
    return checked, broken
