"""The theme's sidebar, rendered once a page.

pydata-sphinx-theme renders every template of a page's sidebars and bars once more, before the
page, only to drop those that come out empty; it spares its own navigation that check, not
sphinx-book-theme's (``sbt-sidebar-nav.html``), which lists every page of the book: rendering it
twice made each page's writing grow with the book (about 0.14 s a page at 60 contributions). Our
book's navigation is never empty, so it is spared the check too.
"""

from __future__ import annotations

import functools
from typing import Any

from sphinx.application import Sphinx

NEVER_EMPTY = ("sbt-sidebar-nav.html",)  # the book's navigation: every page of the table of contents


def _sparing(check: Any) -> Any:
    @functools.wraps(check)
    def spared(*args: Any, templates_skip_empty_check: list[str] | None = None, **kwargs: Any) -> list[str]:
        return check(*args, templates_skip_empty_check=[*(templates_skip_empty_check or []), *NEVER_EMPTY],
                     **kwargs)

    spared.wpsr_spared = True
    return spared


def setup(app: Sphinx) -> None:
    from pydata_sphinx_theme import utils

    if not getattr(utils._update_and_remove_templates, "wpsr_spared", False):
        utils._update_and_remove_templates = _sparing(utils._update_and_remove_templates)
