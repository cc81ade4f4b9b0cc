"""The toolkit behind the World Public Sector Report living report.

Notebooks use three things: ``load`` (a validated dataset), ``figure`` (a chart with
its description, source and data) and ``table`` (a captioned table with the same).
They are imported when first used, so that the command line and the build start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DataError", "figure", "load", "table"]
_HOMES = {"figure": "wpsr.charts", "load": "wpsr.data", "DataError": "wpsr.data", "table": "wpsr.tables"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'wpsr' has no attribute {name!r}")
