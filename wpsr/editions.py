"""Editions of the report, described once in ``editions.yaml`` at the top of the book."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from wpsr.book import book_root, parse_yaml, yaml_error
from wpsr.languages import LANGUAGES, N_, SOURCE

STATUSES = (N_("draft"), N_("published"))
# An edition's id is its folder in the site and part of every address: a year, then optionally
# a dot and a number (2023, 2024.1). Never "latest", a slash or "..".
EDITION_ID = re.compile(r"\d{4}(\.\d{1,3})?")


# The substitutions every page may use ({{ edition }}…): the only ones a contribution may use.
SUBSTITUTIONS = ("edition", "edition_date", "edition_status")


@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    date: dt.date
    status: str
    note: str
    tag: str | None = None  # the git tag a published edition is built from
    languages: tuple[str, ...] = tuple(LANGUAGES)  # the languages it is published in: all six unless it says

    def substitutions(self) -> dict[str, str]:
        """The values of SUBSTITUTIONS for this edition."""
        return dict(zip(SUBSTITUTIONS, (self.id, self.date.isoformat(), self.status), strict=True))

    def citation(self) -> str:
        """How to cite this edition of the whole report."""
        return (f"United Nations Department of Economic and Social Affairs ({self.date.year}). "
                f"{self.title}, living report, edition {self.id} ({self.date.isoformat()}). "
                "United Nations, New York.")


class EditionError(ValueError):
    """editions.yaml breaks a rule; the message says where and how to fix it."""


def editions() -> list[Edition]:
    """Every edition, oldest first; a broken editions.yaml raises one located EditionError."""
    path = book_root() / "editions.yaml"
    try:
        text = path.read_text(encoding="utf-8")
        node, entries = parse_yaml(text)
    except UnicodeDecodeError:
        raise EditionError("editions.yaml:1: not a UTF-8 text file — save it as UTF-8") from None
    except yaml.YAMLError as err:
        line, what, hint = yaml_error(err, "not valid YAML", "check the indentation and the `- id:` that starts "
                                      "each edition")
        raise EditionError(f"editions.yaml:{line}: {what} — {hint}") from None
    if not entries or not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise EditionError("editions.yaml:1: not a list of editions — start each edition with `- id: ...`, "
                           "followed by its title, date and status")
    found = []
    lines: dict[str, int] = {}  # each id, and the line where it is first used
    for index, e in enumerate(entries):
        line = node.value[index].start_mark.line + 1
        where = f"editions.yaml:{line}: edition {e.get('id', index + 1)!r}"
        missing = [k for k in ("id", "title", "date", "status") if not e.get(k)]
        if missing:
            raise EditionError(f"{where}: missing {', '.join(missing)} — every edition needs id, title, date, status")
        if not EDITION_ID.fullmatch(str(e["id"])):
            raise EditionError(f"{where}: id {str(e['id'])!r} is not a year, or a year, a dot and a number "
                               "(2023, 2024.1) — rename it")
        at = next(k.start_mark.line + 1 for k, _ in node.value[index].value if k.value == "id")  # the id's line
        if (first := lines.setdefault(str(e["id"]), at)) != at:
            raise EditionError(f"editions.yaml:{at}: edition {str(e['id'])!r}: the id is used twice (first on line "
                               f"{first}) — give each edition its own id; a correction is a new edition")
        if e["status"] not in STATUSES:
            raise EditionError(f"{where}: status {e['status']!r} — use draft or published")
        if not isinstance(e["date"], dt.date):
            raise EditionError(f"{where}: date {e['date']!r} is not a date — write it as YYYY-MM-DD")
        if e["status"] == "published" and not e.get("tag"):
            raise EditionError(f"{where}: a published edition needs the git tag it is built from — add `tag:`")
        found.append(Edition(str(e["id"]), e["title"], e["date"], e["status"], (e.get("note") or "").strip(),
                             e.get("tag"), _languages(e, where)))
    return found


def _languages(entry: dict[str, Any], where: str) -> tuple[str, ...]:
    """An edition's ``languages:`` (an edition published before its translations existed lists
    fewer), in the order of the language menu; by default all six."""
    if "languages" not in entry:
        return tuple(LANGUAGES)
    listed = entry["languages"]
    if not isinstance(listed, list) or not all(isinstance(code, str) for code in listed):
        raise EditionError(f"{where}: languages {listed!r} is not a list of language codes — write it as "
                           f"[{', '.join(LANGUAGES)}], or leave it out for all six")
    unknown = [code for code in listed if code not in LANGUAGES]
    if unknown:
        raise EditionError(f"{where}: languages: {', '.join(map(repr, unknown))} is not one of the report's "
                           f"languages — use {', '.join(LANGUAGES)}")
    if SOURCE not in listed:
        raise EditionError(f"{where}: languages: every edition is published in English, the source — add {SOURCE}")
    return tuple(code for code in LANGUAGES if code in listed)


def edition(edition_id: str) -> Edition:
    """One edition by id, or a clear error listing the ids there are."""
    known = editions()
    for candidate in known:
        if candidate.id == edition_id:
            return candidate
    raise EditionError(f"editions.yaml has no edition {edition_id!r} — use one of: " + ", ".join(e.id for e in known))


def current_edition(wanted: str | None = None) -> Edition:
    """The edition `wanted` (a build's ``wpsr_edition``), else the newest."""
    return edition(wanted) if wanted else editions()[-1]


def previous(current: Edition) -> Edition | None:
    """The published edition before this one, if any."""
    known = editions()
    index = next(i for i, e in enumerate(known) if e.id == current.id)
    before = [e for e in known[:index] if e.status == "published"]
    return before[-1] if before else None


def citation_cff() -> str:
    """CITATION.cff for the report: its latest published edition, else its newest draft."""
    known = editions()
    published = [e for e in known if e.status == "published"]
    cited = published[-1] if published else known[-1]
    author = {"name": "United Nations Department of Economic and Social Affairs"}
    document = {
        "cff-version": "1.2.0",
        "message": "If you use the World Public Sector Report 2023 living report, please cite it as below.",
        "title": f"{cited.title}: living report",
        "authors": [author],
        "version": cited.id,
        "date-released": cited.date.isoformat(),
        "abstract": cited.note,
        "preferred-citation": {
            "type": "report", "title": cited.title, "authors": [dict(author)],
            "publisher": {"name": "United Nations", "city": "New York"},
            "year": cited.date.year, "edition": f"living report edition {cited.id}",
        },
    }
    header = "# Written by `wpsr cff` from editions.yaml: edit that file, not this one.\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


# --- what an edition holds ----------------------------------------------------------------

def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def content_digest(root: Path) -> dict[str, Any]:
    """What an edition holds, for "What changed": each contribution and dataset, by content hash."""
    from wpsr.contributions import read

    contributions = {}
    for path in sorted((root / "contributions").glob("*.md")):
        contribution, _ = read(path)
        contributions[path.stem] = {"sha256": sha256(path),
                                    "title": contribution.title if contribution else path.stem,
                                    "status": str(contribution.meta.get("status")) if contribution else ""}
    descriptor = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    datasets = {r["name"]: {"sha256": sha256(root / "data" / r["path"]), "title": r["title"]}
                for r in descriptor["resources"]}
    return {"contributions": contributions, "datasets": datasets}


def compare(before: dict[str, Any], now: dict[str, Any]) -> dict[str, list[str]]:
    """Contributions and datasets added, updated (by content hash) or removed, as readable lines."""
    out: dict[str, list[str]] = {}
    for kind in ("contributions", "datasets"):
        old, new = before.get(kind, {}), now.get(kind, {})
        out[f"{kind} added"] = [new[k]["title"] for k in sorted(new.keys() - old.keys())]
        out[f"{kind} removed"] = [old[k]["title"] for k in sorted(old.keys() - new.keys())]
        changed = []
        for key in sorted(old.keys() & new.keys()):
            if old[key]["sha256"] != new[key]["sha256"]:
                status = new[key].get("status")
                moved = f" (now {status}, was {old[key].get('status')})" if status != old[key].get("status") else ""
                changed.append(f"{new[key]['title']}{moved}")
        out[f"{kind} updated"] = changed
    return out
