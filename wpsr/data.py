"""Datasets: the Frictionless Data Package in ``data/``, validated on every load.

Each CSV is described once in ``data/datapackage.json`` (fields, types, constraints,
source, licence). :func:`load` reads a resource, checks every cell against its Table
Schema and returns a typed DataFrame; any problem raises :class:`DataError` whose
lines read ``path:line: field: what is wrong — how to fix it``. The Table Schema itself (cell
types, fields, row rules) is ``wpsr.schema``; how current each dataset is, ``wpsr.provenance``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wpsr.book import SCHEME, WEB_ADDRESS, book_root
from wpsr.problems import Problem, display, line_at
from wpsr.provenance import CADENCES, Age, age_problems, today  # noqa: F401 (CADENCES, today: wpsr.data's API)
from wpsr.schema import CONSTRAINTS, PANDAS_DTYPES, PARSERS, Field, broken_row_rules

if TYPE_CHECKING:  # pandas loads when a dataset is first read: `wpsr check` never pays for it
    import pandas as pd

DESCRIPTOR = "datapackage.json"
# Set by the Sphinx extension while a notebook executes: each load() appends the
# files it read, so the build knows which notebooks a changed dataset affects.
DEPENDENCY_LOG_ENV = "WPSR_DEPENDENCY_LOG"
# Modules of the command line and the build, which a warm worker has loaded but no notebook's output
# depends on: editing them re-executes no notebook.
NOT_OUTPUT = ("wpsr.__main__", "wpsr.cli", "wpsr.warm", "wpsr.publish", "wpsr.review", "wpsr.checker", "wpsr.body",
              "wpsr.metadata", "wpsr.template", "wpsr.serving", "wpsr.pdf", "wpsr.browser", "wpsr.derive",
              "wpsr.sphinx_ext")
# The largest CSV a dataset may be: the report shows figures, not raw data (split or aggregate a bigger one).
MAX_CSV_BYTES = 5_000_000


class DataError(Exception):
    """A dataset or its descriptor breaks the rules; ``str()`` lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


# --- resources --------------------------------------------------------------------

@dataclass(frozen=True)
class Resource:
    """A CSV described in the data package."""

    package: DataPackage
    descriptor: dict[str, Any]

    @property
    def name(self) -> str:
        return self.descriptor["name"]

    @property
    def title(self) -> str:
        return self.descriptor.get("title", self.name)

    @property
    def path(self) -> Path:
        return self.package.directory / self.descriptor["path"]

    @property
    def display_path(self) -> Path:
        """The CSV's path relative to the book, as error messages show it."""
        return display(self.path)

    @cached_property
    def fields(self) -> list[Field]:
        return [
            Field(f["name"], f.get("type", "string"), f.get("title", f["name"]),
                  f.get("description", ""), f.get("constraints", {}), f.get("format", "default"))
            for f in self.descriptor["schema"]["fields"]
        ]

    @property
    def sources(self) -> list[dict[str, Any]]:
        return self.descriptor.get("sources", [])

    @property
    def licenses(self) -> list[dict[str, Any]]:
        return self.descriptor.get("licenses", [])

    def citation(self) -> str:
        """A one-line source note, as printed under a chart or table, ending with the data's age."""
        parts = []
        for s in self.sources:
            text = f"{s.get('publisher', '')} ({s.get('year', 'n.d.')}). {s['title']}"
            if s.get("locator"):
                text += f", {s['locator']}"
            parts.append(text.strip() + ".")
        return " ".join(parts) + f" Data as of {self.age.shown}."

    @property
    def age(self) -> Age:
        """When the data was published, how often its source releases it, and when the next is due."""
        d = self.descriptor
        following = d.get("wpsr:nextRelease")
        as_of = str(d["wpsr:asOf"])
        return Age(dt.date.fromisoformat((as_of + "-01-01")[:10] if len(as_of) < 10 else as_of), d["wpsr:cadence"],
                   dt.date.fromisoformat(following) if following else None, len(as_of.split("-")))

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number, cells) for every data row; raises DataError on bad bytes or a file too big."""
        if not self.path.exists():
            raise DataError([Problem(self.display_path, None, "the file does not exist",
                                     f"create it or correct resource {self.name!r} in {DESCRIPTOR}")])
        if (size := self.path.stat().st_size) > MAX_CSV_BYTES:
            with self.path.open("rb") as handle:  # the line on which the file passes the limit
                line = handle.read(MAX_CSV_BYTES).count(b"\n") + 1
            raise DataError([Problem(self.display_path, line, f"the file is {size:,} bytes, over the limit of "
                                     f"{MAX_CSV_BYTES:,} bytes for a dataset (it passes the limit on this line)",
                                     "split it into smaller CSVs, each a resource in data/datapackage.json, or "
                                     "aggregate it (e.g. by year or country) to what the report shows")])
        raw = self.path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = line_at(raw, err.start)
            raise DataError([Problem(self.display_path, line,
                                     f"byte {raw[err.start]:#04x} is not valid UTF-8",
                                     "save the file as UTF-8")]) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        for cells in reader:
            yield reader.line_num, cells

    def validate(self) -> tuple[pd.DataFrame | None, list[Problem]]:
        """Check every cell; return the typed table (None if any problem) and the problems."""
        import pandas as pd

        problems: list[Problem] = []
        where = self.display_path

        def problem(line: int | None, message: str, field: str | None = None) -> None:
            text, _, hint = message.partition(" — ")
            problems.append(Problem(where, line, text, hint, field))

        rows = self.rows()
        header_line, header = next(rows, (1, []))
        expected = [f.name for f in self.fields]
        if header != expected:
            missing = [n for n in expected if n not in header]
            extra = [n for n in header if n not in expected]
            detail = "; ".join(filter(None, [
                missing and f"missing column(s) {', '.join(missing)}",
                extra and f"unexpected column(s) {', '.join(extra)}",
                not (missing or extra) and "columns are out of order",
            ]))
            problem(header_line, f"the header does not match the schema ({detail}) — "
                                 f"the header must be: {','.join(expected)}")
            return None, problems

        columns: list[list[Any]] = [[] for _ in self.fields]
        unique = {f.name: {} for f in self.fields if f.constraints.get("unique")}
        key_fields = self.descriptor["schema"].get("primaryKey", [])
        key_fields = [key_fields] if isinstance(key_fields, str) else key_fields
        keys: dict[tuple, int] = {}
        texts: list[tuple[int, dict[str, str]]] = []  # each row as written, for foreign keys
        for line, cells in rows:
            if not cells:
                continue
            if len(cells) != len(self.fields):
                problem(line, f"has {len(cells)} cells, the header has {len(self.fields)} — "
                              "check for a missing or extra comma, or quote text containing commas")
                continue
            texts.append((line, dict(zip(expected, cells, strict=True))))
            record = {}
            for field, text, column in zip(self.fields, cells, columns, strict=True):
                value, error = field.check(text)
                if error:
                    problem(line, error, field.name)
                if field.name in unique and value is not None:
                    first = unique[field.name].setdefault(value, line)
                    if first != line:
                        problem(line, f"{text!r} repeats line {first} — values must be unique", field.name)
                record[field.name] = value
                column.append(value)
            for field, message in broken_row_rules(self.descriptor["schema"].get("wpsr:rowRules", []), record):
                problem(line, message, field)
            if key_fields:
                key = tuple(record[k] for k in key_fields)
                first = keys.setdefault(key, line)
                if first != line:
                    problem(line, f"the key ({', '.join(key_fields)}) repeats line {first} — "
                                  "each row needs a distinct key")
        for fk in self.descriptor["schema"].get("foreignKeys", []):
            mine, theirs = _names(fk["fields"]), _names(fk["reference"]["fields"])
            target = fk["reference"]["resource"] or self.name
            known = self._keys(target, theirs) if target != self.name else \
                {tuple(row[f] for f in theirs) for _, row in texts}
            for line, row in texts if known is not None else []:
                value = tuple(row[f] for f in mine)
                if all(value) and value not in known:
                    problem(line, f"{', '.join(value)} is not a {', '.join(theirs)} of {target} — use one that "
                                  f"is, or add it to {target} first", ", ".join(mine))
        if problems:
            return None, problems
        frame = pd.DataFrame({
            f.name: pd.Series(col, dtype=PANDAS_DTYPES.get(f.type, "object"))
            for f, col in zip(self.fields, columns, strict=True)
        })
        for f in self.fields:
            if f.type == "date":
                frame[f.name] = pd.to_datetime(frame[f.name])
        return frame, []

    def _keys(self, name: str, fields: list[str]) -> set[tuple[str, ...]] | None:
        """The values of these fields in another resource, as written (None if it cannot be read)."""
        try:
            rows = self.package.resource(name).rows()
            _, header = next(rows)
            return {tuple(cells[header.index(f)] for f in fields) for _, cells in rows if len(cells) == len(header)}
        except (DataError, ValueError, StopIteration, OSError):
            return None

    def load(self) -> pd.DataFrame:
        """Return the validated table; raise DataError if anything is wrong."""
        log_dependency(self.path, self.package.path)
        frame, problems = self.validate()
        if problems:
            raise DataError(problems)
        frame.attrs["wpsr_resource"] = self.name
        return frame


# --- the package ------------------------------------------------------------------

_REQUIRED_RESOURCE_KEYS = ("name", "path", "title", "schema", "sources", "licenses")
_REQUIRED_SOURCE_KEYS = ("title", "publisher", "year", "path")


@dataclass(frozen=True)
class DataPackage:
    """The descriptor ``data/datapackage.json`` and the resources it lists."""

    path: Path
    descriptor: dict[str, Any]

    @classmethod
    def read(cls, directory: Path | None = None) -> DataPackage:
        """Read and check the descriptor (not yet the CSVs)."""
        path = (directory or book_root() / "data") / DESCRIPTOR
        shown = display(path)
        try:
            descriptor = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError([Problem(shown, None, "the data package descriptor is missing",
                                     "create it (see the README, 'Adding a dataset')")]) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            line = getattr(err, "lineno", None)
            msg = getattr(err, "msg", str(err))
            raise DataError([Problem(shown, line, f"is not valid JSON ({msg})",
                                     "fix the syntax, e.g. a missing comma or quote")]) from None
        package = cls(path, descriptor)
        problems = package._check_descriptor()
        if problems:
            raise DataError(problems)
        return package

    @property
    def directory(self) -> Path:
        return self.path.parent

    @cached_property
    def resources(self) -> dict[str, Resource]:
        return {r["name"]: Resource(self, r) for r in self.descriptor["resources"]}

    def resource(self, name: str) -> Resource:
        try:
            return self.resources[name]
        except KeyError:
            known = ", ".join(sorted(self.resources))
            raise DataError([Problem(display(self.path), None, f"no resource named {name!r}",
                                     f"use one of: {known}")]) from None

    def validate(self) -> list[Problem]:
        """Check every resource; return all problems found."""
        problems: list[Problem] = []
        for resource in self.resources.values():
            try:
                problems += resource.validate()[1]
            except DataError as err:
                problems += err.problems
        return problems

    def _check_descriptor(self) -> list[Problem]:
        shown = display(self.path)
        problems = []

        text = self.path.read_text(encoding="utf-8")

        def bad(where: str, message: str, hint: str, near: str | None = None, within: str | None = None) -> None:
            """A problem on the line of `near`: the first after `within` (its resource's name), else the first
            anywhere, else the line of `within`."""
            start = max(text.find(within), 0) if within else 0
            at = next((a for a in (text.find(near, start), text.find(near)) if a >= 0), -1) if near else -1
            at = text.find(within) if at < 0 and within else at
            problems.append(Problem(shown, line_at(text, at) if at >= 0 else None, message, hint, where))

        resources = self.descriptor.get("resources")
        if not isinstance(resources, list) or not resources:
            bad("resources", "no resources are listed", "list each CSV under 'resources'")
            return problems
        names = set()
        for i, r in enumerate(resources):
            where = f"resources[{i}]"
            missing = [k for k in _REQUIRED_RESOURCE_KEYS if k not in r]
            if missing:
                bad(where, f"is missing {', '.join(missing)}", "describe every resource fully")
                continue
            where = f"resources[{r['name']}]"
            if r["name"] in names:
                bad(where, "the name is used twice", "give each resource its own name")
            names.add(r["name"])
            if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", r["name"]):
                bad(where, "the name is not lower-case letters, digits, '-', '.' or '_'", "rename it")
            near = f'"name": "{r["name"]}"'
            for problem, hint in age_problems(r):
                bad(where, problem, hint, near)
            if problem := self._outside(r["path"]):
                bad(f"{where}.path", problem, "give the CSV's file name, relative to data/ (e.g. internet_use.csv), "
                    "for a file inside data/", json.dumps(r["path"]), near)
            for j, s in enumerate(r["sources"]):
                own = "wpsr:own" in s  # data the project itself produces (how, in wpsr:own): no address to cite
                lacks = [k for k in _REQUIRED_SOURCE_KEYS if not s.get(k) and not (own and k == "path")]
                if lacks:
                    bad(f"{where}.sources[{j}]", f"is missing {', '.join(lacks)}",
                        "cite publisher, title, year and URL (path) of every source", near)
            for kind in ("sources", "licenses"):
                for j, item in enumerate(r[kind]):
                    url = item.get("path") if isinstance(item, dict) else None
                    if url is not None and not WEB_ADDRESS.fullmatch(str(url)):
                        bad(f"{where}.{kind}[{j}].path", f"{str(url)[:60]!r} is not a web address",
                            "give its https:// (or http://) address", json.dumps(url))
            fields = r["schema"].get("fields") if isinstance(r["schema"], dict) else None
            if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str)
                                                       for f in fields):
                bad(f"{where}.schema.fields", "is missing" if fields is None else f"is {json.dumps(fields)[:50]}, "
                    "not a list of fields, each with a name", 'list the columns as [{"name": ..., "type": ...}, ...], '
                    "in the order of the CSV's header", '"fields"', near)
                continue
            for k, f in enumerate(fields):
                if f.get("type", "string") not in PARSERS:
                    bad(f"{where}.schema.fields[{k}]", f"unknown type {f.get('type')!r}",
                        f"use one of: {', '.join(PARSERS)}", near)
                if f.get("format", "default") not in ("default", *(["%H:%M"] if f.get("type") == "time" else [])):
                    bad(f"{where}.schema.fields[{f.get('name', k)}].format", f"the format {f['format']!r} is not "
                        "read by wpsr", "leave it out (the default), or for a time without seconds use %H:%M", near)
                for constraint in f.get("constraints", {}):
                    if constraint not in CONSTRAINTS:
                        close = difflib.get_close_matches(constraint, CONSTRAINTS, n=1)
                        bad(f"{where}.schema.fields[{f.get('name', k)}].constraints",
                            f"unknown constraint {constraint!r}", f"did you mean {close[0]!r}?" if close else
                            f"use one of: {', '.join(CONSTRAINTS)}", json.dumps(constraint))
            names_here = {f.get("name") for f in fields}
            key = r["schema"].get("primaryKey", [])
            for name in [key] if isinstance(key, str) else key:
                if name not in names_here:
                    bad(f"{where}.schema.primaryKey", f"names {name!r}, which is not a field",
                        "name fields of this resource", near)
            for j, fk in enumerate(r["schema"].get("foreignKeys", [])):
                target = fk.get("reference", {}).get("resource")
                others = {x.get("name"): x for x in resources}
                referenced = r if target == "" else others.get(target)
                if referenced is None:
                    bad(f"{where}.schema.foreignKeys[{j}]", f"refers to no resource named {target!r}",
                        f"use one of: {', '.join(sorted(map(str, others)))}", near)
                    continue
                theirs = {f.get("name") for f in referenced["schema"].get("fields", [])}
                mine, wanted = _names(fk.get("fields")), _names(fk.get("reference", {}).get("fields"))
                if len(mine) != len(wanted) or not set(mine) <= names_here or not set(wanted) <= theirs:
                    bad(f"{where}.schema.foreignKeys[{j}]", "its fields do not match (as many on each side, "
                        "each a field of its resource)", "list this resource's fields and the referenced ones", near)
        return problems


    def _outside(self, path: Any) -> str | None:
        """Why a resource's path does not name a file inside data/, if it does not."""
        if not isinstance(path, str) or not path.strip():
            return "the path is not a file name"
        if "\0" in path:
            return f"the path {path!r} contains a NUL byte"
        if Path(path).is_absolute() or path.startswith(("/", "\\")) or re.match(r"[a-zA-Z]:", path):
            return f"the path {path!r} is absolute"
        if ".." in Path(path).parts or "\\" in path:
            return f"the path {path!r} leads out of data/"
        if SCHEME.match(path):
            return f"the path {path!r} is an address, not a file"
        resolved = (self.directory / path).resolve()
        if not resolved.is_relative_to(self.directory.resolve()):
            return f"the path {path!r} is a link to a file outside data/"
        if path.endswith("/") or resolved.is_dir():
            return f"the path {path!r} names a folder, not a CSV file"
        return None


def _names(fields: Any) -> list[str]:
    return [fields] if isinstance(fields, str) else list(fields or [])


def log_dependency(*paths: Path) -> None:
    """Note, for the build, the files this notebook's output depends on: data and wpsr code.

    The variable reads ``BUILD_PID:LOG_PATH``; only the notebook's kernel logs, not the
    build process itself (its own reads, by directives, are tracked by Sphinx).
    """
    builder, _, log = os.environ.get(DEPENDENCY_LOG_ENV, "").partition(":")
    if log and builder != str(os.getpid()):
        modules = [Path(m.__file__) for name, m in list(sys.modules.items())
                   if name.split(".")[0] == "wpsr" and not name.startswith(NOT_OUTPUT) and getattr(m, "__file__", None)]
        with open(log, "a", encoding="utf-8") as out:
            out.writelines(f"{p.resolve()}\n" for p in [*paths, *modules])


def package() -> DataPackage:
    """The book's data package."""
    return DataPackage.read()


def load(name: str) -> pd.DataFrame:
    """Load and validate one dataset by its resource name."""
    return package().resource(name).load()


def first_published(frame: pd.DataFrame, *, key: Sequence[str], edition: str = "edition"
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a dataset that holds several editions of the same figures (a source that revises
    earlier years) into each key's figure as first published, and the later revisions, each
    beside the figure it revises (its columns suffixed ``_first``)."""
    ordered = frame.sort_values(edition, kind="stable")
    first = ordered.drop_duplicates(list(key), keep="first")
    revisions = ordered[ordered.duplicated(list(key), keep="first")].merge(first, on=list(key), suffixes=("", "_first"))
    return first, revisions


def status(day: dt.date | None = None) -> list[tuple[Resource, Age]]:
    """The datasets whose source's next edition is due or overdue on `day` (by default, today)."""
    day = day or today()
    due = [(r, r.age) for r in package().resources.values() if r.age.due(day)]
    return sorted(due, key=lambda pair: pair[1].next_release)


def source_line(names: Sequence[str]) -> str:
    """The citations of these datasets, as printed under a chart or table."""
    resources = package()
    return " ".join(resources.resource(name).citation() for name in names)
