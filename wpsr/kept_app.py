"""A preview's Sphinx application, kept for its next build (``wpsr serve --watch``).

Making the application costs more than the rebuild that follows a save: at 60 contributions,
about 1.3 s (its environment unpickled, the theme and its templates loaded, every extension set
up). A preview keeps the last one, with the docutils registry it was made in, and builds with it
again while nothing it was made from changed: the settings, the configuration jupyter-book makes
of _config.yml, and _toc.yml, editions.yaml and the data package's descriptor. An application
whose build failed or warned is let go: its environment would skip the pages that must be read
again. Any other build in the process lets it go too.
"""

from __future__ import annotations

import atexit
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MADE_FROM = ("_config.yml", "_toc.yml", "editions.yaml", "data/datapackage.json")


@dataclass
class Kept:
    key: str
    app: Any  # sphinx.application.Sphinx
    registry: contextlib.ExitStack  # docutils' registry as the application set it up, until let go


_kept: Kept | None = None


def key_of(root: Path, settings: Any, overrides: dict[str, Any]) -> str:
    """What an application is made from: two builds with the same key can share one."""
    files = {name: (root / name).stat().st_mtime_ns if (root / name).exists() else None for name in MADE_FROM}
    return json.dumps([str(root), repr(settings), overrides, files], default=str, sort_keys=True)


def take(key: str | None) -> Kept | None:
    """The kept application if it was made from the same (a key of None: none is wanted); else None,
    and the kept one is let go."""
    global _kept
    found, _kept = _kept, None
    if found is not None and found.key != key:
        found.registry.close()
        found = None
    return found


def keep(kept: Kept) -> None:
    global _kept
    forget()
    _kept = kept


def empty() -> bool:
    return _kept is None


@atexit.register
def forget() -> None:
    global _kept
    if _kept is not None:
        _kept.registry.close()
        _kept = None
