"""Datasets: every CSV in ``data/`` is read through :class:`Resource` and validated on every load.

Each CSV is described once in ``data/datapackage.json`` (fields, types, constraints, source,
licence). :func:`load` reads a resource, checks every cell against its Table Schema and returns a
typed DataFrame; :meth:`Resource.records` gives the same rows, typed, without pandas (for the
command line and the build). Any problem raises :class:`DataError`, whose lines read
``path:line: field: what is wrong — how to fix it``. The descriptor is ``wpsr.package``; the Table
Schema (cell types, fields, a table checked) ``wpsr.schema``; how current each dataset is,
``wpsr.provenance``. Notebooks use ``wpsr.load`` and this module's functions.

One validator, decided by measurement (issue 19): Frictionless 5.18.1, the reference implementation
of Table Schema, validates data/ in a fresh process, its import included, in 0.41 s at best and
0.43–0.72 s at the median of each of four sets of 7–15 runs (the import alone 0.2–0.3 s; a second
validation in the same process still 0.13–0.18 s), on the 2-core machine, over the 0.3 s a build may
spend on it. This validator takes 0.06 s at best, 0.07–0.09 s at the median (half of it the import),
as it no longer imports pandas to validate (0.29 s at best before). So the build and ``wpsr validate``
run this one, and Frictionless is its oracle in the tests (``tests/test_validator_oracle.py``):
over schemas and CSVs that hypothesis generates, both must refuse the same tables, on the same rows
and fields. Where this validator is stricter by design (one way to write a value: ``true``/``false``,
``YYYY-MM-DD``, ``HH:MM:SS``, numbers without spaces, ``_`` or NaN), it must refuse whatever
Frictionless refuses.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wpsr.book import book_root
from wpsr.package import DESCRIPTOR, DataError, DataPackage
from wpsr.problems import Problem, display, line_at
from wpsr.provenance import CADENCES, Age, Currency, today
from wpsr.schema import PANDAS_DTYPES, Field, Row, check_table, fields_of, names

if TYPE_CHECKING:  # pandas loads when a dataset is first loaded: `wpsr check` and `wpsr validate` never pay for it
    import pandas as pd

__all__ = ["CADENCES", "DESCRIPTOR", "Age", "Currency", "DataError", "DataPackage", "Problem", "Resource",
           "first_published", "load", "log_dependency", "package", "source_line", "status", "today"]

# Set by the Sphinx extension while a notebook executes: each load() appends the
# files it read, so the build knows which notebooks a changed dataset affects.
DEPENDENCY_LOG_ENV = "WPSR_DEPENDENCY_LOG"
# Modules of the command line and the build, which a warm worker has loaded but no notebook's output
# depends on: editing them re-executes no notebook.
NOT_OUTPUT = ("wpsr.__main__", "wpsr.cli", "wpsr.warm", "wpsr.publish", "wpsr.review", "wpsr.checker", "wpsr.body",
              "wpsr.metadata", "wpsr.template", "wpsr.serving", "wpsr.pdf", "wpsr.browser", "wpsr.derive",
              "wpsr.sphinx_ext")  # by prefix: wpsr.review covers wpsr.reviewed too
# The largest CSV a dataset may be: the report shows figures, not raw data (split or aggregate a bigger one).
MAX_CSV_BYTES = 5_000_000


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
        return self.package.directory / self.descriptor["path"]  # an absolute path (see `at`) stays as it is

    @property
    def display_path(self) -> Path:
        """The CSV's path relative to the book, as error messages show it."""
        return display(self.path)

    @cached_property
    def fields(self) -> list[Field]:
        return fields_of(self.descriptor["schema"])

    @property
    def sources(self) -> list[dict[str, Any]]:
        return self.descriptor.get("sources", [])

    @property
    def licenses(self) -> list[dict[str, Any]]:
        return self.descriptor.get("licenses", [])

    def at(self, path: Path) -> Resource:
        """The same dataset, schema and all, in another file: e.g. the copy `wpsr reach` rewrites in a book
        other than this one."""
        return Resource(self.package, {**self.descriptor, "path": str(Path(path).resolve())})

    def citation(self, day: dt.date | None = None) -> str:
        """A one-line source note, as printed under a chart or table, ending with the data's age and, once
        its next edition was due on `day` (the build's, by default), what its last check found."""
        parts = []
        for s in self.sources:
            text = f"{s.get('publisher', '')} ({s.get('year', 'n.d.')}). {s['title']}"
            if s.get("locator"):
                text += f", {s['locator']}"
            parts.append(text.strip() + ".")
        note = self.age.note(day or today())
        return " ".join(parts) + f" Data as of {self.age.shown}." + (f" {note}" if note else "")

    @property
    def age(self) -> Age:
        """When the data was published, how often its source releases it, when the next is due, and when
        the source was last checked for it."""
        d = self.descriptor
        following, checked = d.get("wpsr:nextRelease"), d.get("wpsr:checked")
        as_of = str(d["wpsr:asOf"])
        return Age(dt.date.fromisoformat((as_of + "-01-01")[:10] if len(as_of) < 10 else as_of), d["wpsr:cadence"],
                   dt.date.fromisoformat(following) if following else None, len(as_of.split("-")),
                   dt.date.fromisoformat(checked) if checked else None)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number, cells) for every row, the header first; raises DataError on bad bytes or a
        file too big."""
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

    def check(self) -> tuple[list[Row], list[Problem]]:
        """Check the CSV against its schema, foreign keys included, without pandas: its rows and the problems.
        DataError if the file cannot be read at all."""
        rows, broken = check_table(self.descriptor["schema"], self.rows())
        for fk in self.descriptor["schema"].get("foreignKeys", []):
            mine, theirs = names(fk["fields"]), names(fk["reference"]["fields"])
            target = fk["reference"]["resource"] or self.name
            known = self._keys(target, theirs) if target != self.name else \
                {tuple(row.texts[f] for f in theirs) for row in rows}
            for row in rows if known is not None else []:
                value = tuple(row.texts[f] for f in mine)
                if all(value) and value not in known:
                    broken.append((row.line, f"{', '.join(value)} is not a {', '.join(theirs)} of {target} — use "
                                             f"one that is, or add it to {target} first", ", ".join(mine)))
        problems = []
        for line, message, field in broken:
            what, _, hint = message.partition(" — ")
            problems.append(Problem(self.display_path, line, what, hint, field))
        return rows, problems

    def _keys(self, name: str, fields: list[str]) -> set[tuple[str, ...]] | None:
        """The values of these fields in another resource, as written (None if it cannot be read)."""
        try:
            rows = self.package.resource(name).rows()
            _, header = next(rows)
            return {tuple(cells[header.index(f)] for f in fields) for _, cells in rows if len(cells) == len(header)}
        except (DataError, ValueError, StopIteration, OSError):
            return None

    def records(self) -> list[dict[str, Any]]:
        """Every row, each a dict of typed values (None for an empty cell), without pandas; DataError if
        anything is wrong."""
        log_dependency(self.path, self.package.path)
        rows, problems = self.check()
        if problems:
            raise DataError(problems)
        return [row.values for row in rows]

    def load(self) -> pd.DataFrame:
        """Return the validated table, typed; raise DataError if anything is wrong."""
        import pandas as pd

        records = self.records()
        frame = pd.DataFrame({
            f.name: pd.Series([r[f.name] for r in records], dtype=PANDAS_DTYPES.get(f.type, "object"))
            for f in self.fields
        })
        for f in self.fields:
            if f.type == "date":
                frame[f.name] = pd.to_datetime(frame[f.name])
        frame.attrs["wpsr_resource"] = self.name
        return frame


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


_packages: dict[Path, tuple[bytes, DataPackage]] = {}


def package() -> DataPackage:
    """The book's data package: read (and its descriptor checked) again only when the descriptor's
    content changed, or after `forget_package` (a build asks for it from many places)."""
    path = book_root() / "data" / DESCRIPTOR
    try:
        content = path.read_bytes()
    except OSError:
        return DataPackage.read()  # which says what is missing
    if path not in _packages or _packages[path][0] != content:
        _packages[path] = content, DataPackage.read()
    return _packages[path][1]


def forget_package() -> None:
    """Read the data package afresh next time: its checks look at more than the descriptor's bytes
    (a resource's file may have become a link out of data/, or a folder)."""
    _packages.clear()


def problems() -> list[Problem]:
    """Everything wrong with the book's data package and its datasets, each located (none: valid)."""
    try:
        return package().validate()
    except DataError as err:
        return err.problems


def load(name: str) -> pd.DataFrame:
    """Load and validate one dataset by its resource name."""
    return package().resource(name).load()


# How a value came to be when its source did not publish it as an exact figure (a dataset's `source_kind`).
VALUE_SOURCES = {
    "press report": "Taken from a press report of the release, as {publisher}'s own text gives only a range",
    "derived": "Derived by the report team",
}


def describe_value_sources(frame: pd.DataFrame, *, name: str, at: str, publisher: str) -> str:
    """The values their source did not publish as exact figures, in words, for a chart's description:
    "Taken from a press report of the release, …: Americas and Europe in 2025. " ("" if none)."""
    marked = frame[frame["source_kind"] != "published"]
    return "".join(f"{VALUE_SOURCES[kind].format(publisher=publisher)}: {' and '.join(rows[name])} in {when}. "
                   for (when, kind), rows in marked.groupby([at, "source_kind"]))


def first_published(frame: pd.DataFrame, *, key: Sequence[str], edition: str = "edition"
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a dataset that holds several editions of the same figures (a source that revises
    earlier years) into each key's figure as first published, and the later revisions, each
    beside the figure it revises (its columns suffixed ``_first``)."""
    ordered = frame.sort_values(edition, kind="stable")
    first = ordered.drop_duplicates(list(key), keep="first")
    revisions = ordered[ordered.duplicated(list(key), keep="first")].merge(first, on=list(key), suffixes=("", "_first"))
    return first, revisions


def describe_revisions(revisions: pd.DataFrame, *, name: str, value: str, at: str, number_format: str = ".0f",
                       edition: str = "edition") -> str:
    """The later revisions `first_published` found, in words, for a chart's description: "The 2022
    edition put World at 63% in 2021, against 62% first published; …." ("" if none)."""
    from wpsr.charts import rounded

    said = "; ".join(f"The {r[edition]} edition put {r[name]} at {rounded(r[value], number_format)}% in {r[at]}, "
                     f"against {rounded(r[value + '_first'], number_format)}% first published"
                     for r in revisions.to_dict("records"))
    return f"{said}." if said else ""


def status(day: dt.date | None = None) -> list[tuple[Resource, Currency]]:
    """The datasets whose source's next edition was due on `day` (by default, today), each with its state:
    due, overdue and unchecked, or checked and not yet out; the longest expected first."""
    day = day or today()
    due = [(r, r.age.currency(day)) for r in package().resources.values() if r.age.due(day)]
    return sorted(due, key=lambda pair: pair[0].age.next_release)


def source_line(names: Sequence[str], day: dt.date | None = None) -> str:
    """The citations of these datasets, as printed under a chart or table (on `day`: the build's)."""
    resources = package()
    return " ".join(resources.resource(name).citation(day) for name in names)
