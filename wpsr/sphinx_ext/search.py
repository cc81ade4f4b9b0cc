"""Search in each language, with Pagefind (PyPI ``pagefind-bin-extended``, pinned).

Sphinx's own search neither splits Chinese into words nor stems Arabic, and its index, one file,
grows with the report. Pagefind indexes the pages once they are written, by their language
(``<html lang>``): English at the site's root, each translation in its own folder, each with its
own index (``pagefind/``), which the search page loads in chunks, as a query needs them. Its
extended build splits Chinese words. The search page alone runs it, under a policy that allows
WebAssembly (``security.SEARCH_POLICY``); no other page loads any of it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from wpsr.languages import LANGUAGES, SOURCE

logger = logging.getLogger(__name__)
INDEX = "pagefind"  # the index's folder, in each language's folder of the site
# What a result shows and what is indexed: the article, without the menus and notes every page repeats.
LEFT_OUT = ("nav", ".wpsr-languages", ".wpsr-editions", ".wpsr-banner", ".wpsr-translation-note",
            ".wpsr-chart-spec", ".headerlink", ".toggle-details")


def pagefind() -> Path:
    """The Pagefind binary (its extended build, which splits Chinese words)."""
    import pagefind_bin_extended

    return Path(pagefind_bin_extended.__file__).parent / "pagefind_extended"


def index(site: Path, language: str) -> str | None:
    """Index one language's pages of the site (English: the pages outside the translations' folders)
    into ``site/pagefind``; return what went wrong, if anything."""
    target = site / INDEX
    shutil.rmtree(target, ignore_errors=True)
    folders = ("chapters", "contributions", "annexes")  # English: its pages, not the translations' folders
    pages = "{" + ",".join(["*.html", *(f"{f}/**/*.html" for f in folders)]) + "}" if language == SOURCE \
        else "**/*.html"
    command = [str(pagefind()), "--site", str(site), "--output-subdir", INDEX, "--glob", pages,
               "--root-selector", "article.bd-article", "--exclude-selectors", ", ".join(LEFT_OUT), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip()


def _index(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    language = app.config.language if app.config.language in LANGUAGES else SOURCE
    if app.config.wpsr_watched:  # a watched preview: the page reloads first, its search index follows
        app.wpsr_afterwards.append(lambda: _said(index(Path(app.outdir), language)))
        return
    failed = index(Path(app.outdir), language)
    if failed:
        logger.warning(_said(failed), type="wpsr", subtype="search")


def _said(failed: str | None) -> str | None:
    return failed and f"the search index could not be built: {failed} — reinstall the requirements " \
        "(pagefind-bin-extended)"


def _no_sphinx_index(app: Sphinx) -> None:
    """Sphinx indexes nothing (Pagefind does, once the pages are written); the search page is ours."""
    if app.builder.format == "html":
        app.builder.search = False
        app.config.html_additional_pages = {**app.config.html_additional_pages, "search": "search.html"} \
            if app.builder.name == "html" else app.config.html_additional_pages


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", _no_sphinx_index)
    app.connect("build-finished", _index, priority=900)  # after every page has its final form
