"""The PDF edition: the single-page build (``wpsr build --builder singlehtml``), printed to A4 by
headless Chromium with the book's print stylesheet (code folded away, charts as their images)."""

from __future__ import annotations

from pathlib import Path

from wpsr.browser import find_chromium
from wpsr.markup import render

SINGLE_PAGE = Path("_build") / "singlehtml" / "index.html"  # in the book, after the single-page build


class PdfError(RuntimeError):
    """The PDF could not be printed; the message says how to fix it."""


def print_edition(book: Path, pdf: Path, *, title: str, language: str = "en") -> int:
    """Print the book's single-page build in a language (a translation's is in its folder) to `pdf`;
    return its number of pages."""
    chromium = find_chromium()
    if chromium is None:
        raise PdfError("no Chromium to print the PDF with — install it (Debian: apt-get install chromium) "
                       "or set CHROMIUM to its path")
    page = book / SINGLE_PAGE if language == "en" else book / SINGLE_PAGE.parent / language / SINGLE_PAGE.name
    return print_pdf(page, pdf, title=title, chromium=chromium)


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
                header_template=str(render("pdf-header.html", title=title)),
                footer_template=str(render("pdf-footer.html")))
        browser.close()
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)
