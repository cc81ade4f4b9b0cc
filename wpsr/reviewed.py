"""``reviewed.yaml``: the record of the code maintainers have reviewed, read and written here only.

For each contribution (``contributions/NAME.md``) it holds the day it was reviewed, the SHA-256 of
all its code (what approval compares) and a short SHA-256 of each cell (so a message can say which
cells changed, were added or removed). It is parsed safely and checked field by field: the first
problem raises :class:`ReviewError`, located. What is compared against it, and the ``wpsr review``
command, are ``wpsr.review``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from wpsr.book import SafeLoader, book_root, yaml_error
from wpsr.problems import Problem, line_at

RECORD = "reviewed.yaml"
SHORT = 12  # hex digits of a cell's digest, to tell cells apart; approval compares the full SHA-256
HEADER = """\
# reviewed.yaml: the code of each contribution that a maintainer has read and approved to run.
# `wpsr build --strict` and `wpsr publish` refuse a contribution whose code is not recorded here,
# or changed since. Written only by `wpsr review FILE --approve`: do not edit it by hand.
# For each contribution: the day it was reviewed, the SHA-256 of all its code cells (`code`),
# and a short SHA-256 of each cell, in order (`cells`).
"""
REWRITE = (f"{RECORD} is written only by `wpsr review`: restore it from git (`git restore {RECORD}`), "
           "then record what was reviewed since with `wpsr review FILE --approve`")


class ReviewError(Exception):
    """reviewed.yaml cannot be read; ``problem`` says where and how to fix it."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Record:
    """What reviewed.yaml holds for one contribution."""

    reviewed: dt.date
    code: str
    cells: tuple[str, ...]


def records() -> dict[str, Record]:
    """What reviewed.yaml records, by contribution (none without the file); ReviewError if it is broken."""
    path = book_root() / RECORD
    return dict(_records(path.read_bytes())) if path.is_file() else {}


@functools.lru_cache(maxsize=8)
def _records(raw: bytes) -> tuple[tuple[str, Record], ...]:
    return tuple(parse_records(raw).items())


def parse_records(raw: bytes) -> dict[str, Record]:
    """reviewed.yaml's text, parsed safely and checked; the first problem raises ReviewError."""
    def broken(line: int, what: str) -> ReviewError:
        return ReviewError(Problem(RECORD, line, what, REWRITE))

    try:
        node = yaml.compose(raw.decode("utf-8"), Loader=SafeLoader)
    except UnicodeDecodeError as err:
        raise broken(line_at(raw, err.start), "not UTF-8 text") from None
    except yaml.YAMLError as err:
        line, what, _ = yaml_error(err, "not valid YAML", REWRITE)
        raise broken(line, what) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise broken(node.start_mark.line + 1, "not a mapping of contributions (`contributions/NAME.md:` "
                     "with `reviewed`, `code` and `cells` under each)")
    out: dict[str, Record] = {}
    lines: dict[str, int] = {}
    for name_node, entry in node.value:
        line = name_node.start_mark.line + 1
        name = name_node.value if isinstance(name_node, yaml.ScalarNode) else None
        if not isinstance(name, str) or not name.endswith(".md"):
            raise broken(line, "a key that is not a contribution's path (contributions/NAME.md)")
        if name in lines:
            raise broken(line, f"{name} is recorded twice (also on line {lines[name]})")
        lines[name] = line
        out[name] = _record(name, entry, line, broken)
    return out


def _is_digest(value: object, length: int) -> bool:
    return isinstance(value, str) and re.fullmatch(f"[0-9a-f]{{{length}}}", value) is not None


# each field of an entry: whether a value is right, and what is wrong otherwise
FIELDS: dict[str, tuple[Callable[[object], bool], str]] = {
    "reviewed": (lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime), "is not a date (YYYY-MM-DD)"),
    "code": (lambda v: _is_digest(v, 64), "is not a SHA-256 digest (64 hexadecimal digits)"),
    "cells": (lambda v: isinstance(v, list) and all(_is_digest(d, SHORT) for d in v),
              f"is not a list of short SHA-256 digests ({SHORT} hexadecimal digits each)"),
}


def _record(name: str, entry: yaml.Node, line: int, broken: Callable[[int, str], ReviewError]) -> Record:
    """One entry of reviewed.yaml, each field checked; the first problem raises ReviewError."""
    if not isinstance(entry, yaml.MappingNode):
        raise broken(line, f"{name}: not a mapping with `reviewed`, `code` and `cells`")
    given = {k.value: (v, v.start_mark.line + 1) for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
    extras = sorted(set(given) - set(FIELDS))
    if extras:
        raise broken(given[extras[0]][1], f"{name}: unknown field `{extras[0]}`")
    values = {}
    for wanted, (right, wrong) in FIELDS.items():
        if wanted not in given:
            raise broken(line, f"{name}: no `{wanted}`")
        value_node, at = given[wanted]
        try:
            values[wanted] = SafeLoader("").construct_document(value_node)
        except (yaml.YAMLError, ValueError) as err:  # an impossible date raises a bare ValueError
            raise broken(at, f"{name}: `{wanted}` cannot be read ({err})") from None
        if not right(values[wanted]):
            raise broken(at, f"{name}: `{wanted}` {wrong}")
    return Record(values["reviewed"], values["code"], tuple(values["cells"]))


def save(recorded: dict[str, Record]) -> Path:
    """Write reviewed.yaml (sorted, its header first), replacing the old one in one step."""
    path = book_root() / RECORD
    entries = {name: {"reviewed": r.reviewed, "code": r.code, "cells": list(r.cells)}
               for name, r in sorted(recorded.items())}
    body = yaml.safe_dump(entries, sort_keys=False, default_flow_style=None, width=100) if entries else ""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{RECORD}.", delete=False,
                                     encoding="utf-8") as handle:
        handle.write(HEADER + ("\n" + body if body else ""))
    os.replace(handle.name, path)
    path.chmod(0o644)
    return path
