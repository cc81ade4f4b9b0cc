"""Where headless Chromium is: it prints the PDF edition (``wpsr.pdf``) and, in the tests, reads the site."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ENV = "CHROMIUM"


def find_chromium() -> str | None:
    """$CHROMIUM, Debian's /usr/bin/chromium, or Playwright's own browser."""
    for candidate in (os.environ.get(CHROMIUM_ENV), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if Path(path).is_file() else None
    except Exception:
        return None
