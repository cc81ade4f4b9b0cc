"""Where the book is: the folder holding ``_config.yml`` and ``data/``."""

from __future__ import annotations

import os
from pathlib import Path

BOOK_ROOT_ENV = "WPSR_BOOK_ROOT"


def book_root() -> Path:
    """The book's root: $WPSR_BOOK_ROOT, else the nearest folder up from here with a _config.yml."""
    if os.environ.get(BOOK_ROOT_ENV):
        return Path(os.environ[BOOK_ROOT_ENV]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "data").is_dir():
            return folder
    raise FileNotFoundError(
        f"no book found at or above {here} — run from inside the book, or set {BOOK_ROOT_ENV}"
    )
