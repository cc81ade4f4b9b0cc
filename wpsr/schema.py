"""Table Schema, as the data package uses it: each cell type's parser, a field with its
constraints, and the rules a row must keep (``wpsr:rowRules``). No pandas here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
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
    """A value as it is written in the CSV."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def bound_value(field_type: str, bound: Any) -> Any:
    return dt.date.fromisoformat(bound) if field_type == "date" else bound
