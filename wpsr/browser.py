"""Where headless Chromium is: it prints the PDF edition (``wpsr.pdf``) and, in the tests, reads the site."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ENV = "CHROMIUM"
# Chromium's headless-only build (Debian: chromium-headless-shell): the same engine without the
# browser's interface, at half the processor time for the same pages (measured: axe on twelve pages
# and one PDF, 17 s of processor time against 36 s).
HEADLESS_SHELL = "chromium-headless-shell"
DEBIAN = Path("/usr/bin")  # where Debian's packages put them, whatever the PATH


def find_chromium(*, full: bool = False) -> str | None:
    """$CHROMIUM; else Chromium's headless shell, unless ``full`` (Lighthouse wants the whole browser);
    else Debian's /usr/bin/chromium, or Playwright's own browser."""
    names = ["chromium"] if full else [HEADLESS_SHELL, "chromium"]
    installed = [path for name in names for path in (DEBIAN / name, shutil.which(name))]
    for candidate in (os.environ.get(CHROMIUM_ENV), *installed):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = p.chromium.executable_path
        return path if Path(path).is_file() else None
    except Exception:
        return None
