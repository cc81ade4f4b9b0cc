"""The Data Package: ``data/datapackage.json``, read and checked, and the resources it lists.

Each resource is one CSV described once here (fields, types, constraints, source, licence);
reading and checking the CSV itself is ``wpsr.data.Resource``, and its Table Schema
``wpsr.schema``. A broken descriptor raises :class:`DataError` with one located problem per
fault, ``data/datapackage.json:LINE: resources[NAME].KEY: what is wrong — how to fix it``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wpsr.book import SCHEME, WEB_ADDRESS, book_root
from wpsr.problems import Problem, display, line_at
from wpsr.provenance import age_problems
from wpsr.schema import CONSTRAINTS, PARSERS, names

if TYPE_CHECKING:
    from wpsr.data import Resource

DESCRIPTOR = "datapackage.json"
_REQUIRED_RESOURCE_KEYS = ("name", "path", "title", "schema", "sources", "licenses")
_REQUIRED_SOURCE_KEYS = ("title", "publisher", "year", "path")


class DataError(Exception):
    """A dataset or its descriptor breaks the rules; ``str()`` lists every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


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
        from wpsr.data import Resource  # a resource reads its CSV: wpsr.data, which is built on this module

        return {r["name"]: Resource(self, r) for r in self.descriptor["resources"]}

    def resource(self, name: str) -> Resource:
        try:
            return self.resources[name]
        except KeyError:
            known = ", ".join(sorted(self.resources))
            raise DataError([Problem(display(self.path), None, f"no resource named {name!r}",
                                     f"use one of: {known}")]) from None

    def validate(self) -> list[Problem]:
        """Check every resource's CSV (without pandas); return all problems found."""
        problems: list[Problem] = []
        for resource in self.resources.values():
            try:
                problems += resource.check()[1]
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
        names_used = set()
        for i, r in enumerate(resources):
            where = f"resources[{i}]"
            missing = [k for k in _REQUIRED_RESOURCE_KEYS if k not in r]
            if missing:
                bad(where, f"is missing {', '.join(missing)}", "describe every resource fully")
                continue
            where = f"resources[{r['name']}]"
            if r["name"] in names_used:
                bad(where, "the name is used twice", "give each resource its own name")
            names_used.add(r["name"])
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
            for name in names(r["schema"].get("primaryKey")):
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
                mine, wanted = names(fk.get("fields")), names(fk.get("reference", {}).get("fields"))
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
