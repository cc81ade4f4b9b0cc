"""Headless Chromium, for printing the PDF edition (and, in the tests, for reading the site)."""

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


def print_pdf(page: Path, pdf: Path, *, title: str, chromium: str) -> int:
    """Print a single-page HTML edition to PDF: its table of contents (Sphinx puts the book's
    contents on the first page), the charts as their static images, page numbers. Returns the page count."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        tab.goto(page.resolve().as_uri(), wait_until="load")
        tab.emulate_media(media="print")
        tab.pdf(path=str(pdf), format="A4", print_background=True, display_header_footer=True,
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                header_template=f'<div style="font-size:8px;width:100%;text-align:center">{title}</div>',
                footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>')
        browser.close()
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)
