"""The PDF edition: the single-page build (``wpsr build --builder singlehtml``), printed to A4 by
headless Chromium with the book's print stylesheet (code folded away, charts as their images)."""

from __future__ import annotations

from pathlib import Path

from wpsr.browser import find_chromium
from wpsr.markup import render

SINGLE_PAGE = Path("_build") / "singlehtml" / "index.html"  # in the book, after the single-page build


class PdfError(RuntimeError):
    """The PDF could not be printed; the message says how to fix it."""


def print_editions(book: Path, pdfs: dict[str, Path], *, title: str) -> dict[str, int]:
    """Print the book's single-page build in each language (a translation's is in its folder) to its
    PDF, ``pdfs[language]``; return each PDF's number of pages. One Chromium prints them all, a tab
    per core at a time."""
    import asyncio

    chromium = find_chromium()
    if chromium is None:
        raise PdfError("no Chromium to print the PDF with — install it (Debian: apt-get install chromium) "
                       "or set CHROMIUM to its path")
    pages = {code: book / SINGLE_PAGE if code == "en" else book / SINGLE_PAGE.parent / code / SINGLE_PAGE.name
             for code in pdfs}
    asyncio.run(_print_all({pages[code]: pdf for code, pdf in pdfs.items()}, title=title, chromium=chromium))
    from pypdf import PdfReader

    return {code: len(PdfReader(pdf).pages) for code, pdf in pdfs.items()}


async def _print_all(pdfs: dict[Path, Path], *, title: str, chromium: str) -> None:
    """Print each single-page HTML edition to its PDF: its table of contents (Sphinx puts the book's
    contents on the first page), the charts as their static images, page numbers."""
    import asyncio
    import os

    from playwright.async_api import async_playwright

    header, footer = str(render("pdf-header.html", title=title)), str(render("pdf-footer.html"))
    at_once = asyncio.Semaphore(os.cpu_count() or 1)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])

        async def one(page: Path, pdf: Path) -> None:
            async with at_once:
                tab = await browser.new_page()
                await tab.goto(page.resolve().as_uri(), wait_until="load")
                await tab.emulate_media(media="print")
                await tab.pdf(path=str(pdf), format="A4", print_background=True, display_header_footer=True,
                              margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                              header_template=header, footer_template=footer)
                await tab.close()

        await asyncio.gather(*(one(page, pdf) for page, pdf in pdfs.items()))
        await browser.close()
