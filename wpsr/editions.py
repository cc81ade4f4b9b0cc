"""Editions of the report, described once in ``editions.yaml`` at the top of the book."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import yaml

from wpsr.book import book_root

EDITION_ENV = "WPSR_EDITION"


@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    date: dt.date
    status: str
    note: str

    def citation(self) -> str:
        """How to cite this edition of the whole report."""
        return (f"United Nations Department of Economic and Social Affairs ({self.date.year}). "
                f"{self.title}, living report, edition {self.id} ({self.date.isoformat()}). "
                "United Nations, New York.")


def editions() -> list[Edition]:
    """Every edition, oldest first."""
    path = book_root() / "editions.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [Edition(str(e["id"]), e["title"], e["date"], e["status"], e.get("note", "").strip())
            for e in entries]


def current_edition() -> Edition:
    """The edition being built: $WPSR_EDITION, else the newest."""
    wanted = os.environ.get(EDITION_ENV)
    known = editions()
    for edition in known:
        if edition.id == wanted:
            return edition
    if wanted:
        raise ValueError(f"editions.yaml has no edition {wanted!r} — use one of: "
                         + ", ".join(e.id for e in known))
    return known[-1]
