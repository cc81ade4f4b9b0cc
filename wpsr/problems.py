"""One problem with the report's input (a dataset, a contribution, an edition), located as precisely
as possible and said the same way everywhere: ``path:line: what — how to fix it``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wpsr.book import book_root


@dataclass(frozen=True)
class Problem:
    """What is wrong, where, and how to fix it. A warning is advice: it fails nothing."""

    path: Path | str
    line: int | None
    message: str
    hint: str
    field: str | None = None
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        label = "warning: " if self.severity == "warning" else ""
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {label}{what}" + (f" — {self.hint}" if self.hint else "")


def line_at(text: str | bytes, offset: int) -> int:
    """The line, counted from 1, of a character (or byte) offset in a text."""
    return text.count("\n" if isinstance(text, str) else b"\n", 0, offset) + 1


def display(path: Path) -> Path:
    """A path as a message shows it: relative to the book when it is inside it."""
    try:
        return path.resolve().relative_to(book_root())
    except (ValueError, FileNotFoundError):
        return path
