"""The gate of wpsr.sphinx_ext (``gate``: what a page may pull in or carry, checked as it is read), on
a small test root (tests/roots/test-gate) built with sphinx.testing's `app`: every route a
contribution's text has to script, to a file outside the book or to a hidden field is refused at its
page and line, and none of it is published. The whole book with these routes, executed outputs
included, is built and read in Chromium in tests/test_hostile_site.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SECRET = "TOP-SECRET-TOKEN-4711"
EMAIL = "private-author@example.org"
RUNNABLE_PWNED = r"<script(?![^>]*application/json)[^>]*>[^<]*__pwned"  # an inert JSON element may quote it
HANDLER_IN_TAG = r"<[a-zA-Z][^>]*\son\w+\s*="  # an event handler on an element, not quoted as text


@pytest.fixture
def built(root_app) -> tuple[Path, str]:
    """The root built once as an author previews it, with a secret beside it: its site and its warnings."""
    srcdir = Path(root_app.srcdir)
    (srcdir.parent / "secret.txt").write_text(SECRET, encoding="utf-8")  # ../../secret.txt from contributions/
    root_app.build()
    return Path(root_app.outdir), root_app._warning.getvalue()


@pytest.mark.sphinx("html", testroot="gate", freshenv=True)
def test_every_route_is_refused_at_its_page_and_line(built: tuple[Path, str]) -> None:
    _, said = built
    routes = Path(__file__).parent / "roots" / "test-gate" / "contributions" / "hostile-routes.md"
    lines = routes.read_text(encoding="utf-8").splitlines()

    def at(fragment: str) -> str:
        return f"hostile-routes.md:{next(n for n, row in enumerate(lines, 1) if fragment in row)}: WARNING: "

    for where, message in ((at("myst:"), "front-matter field 'myst' is not part of a contribution"),
                           (at("{{ lipsum"), "a substitution other than the edition's"),
                           ("hostile-routes.md", "raw HTML is not published in a contribution"),
                           ("hostile-routes.md", "csv-table :url: is not read"),
                           ("hostile-routes.md", "csv-table :file: is refused: it lies outside the book"),
                           ("hostile-routes.md", "the literalinclude of '../../secret.txt' is refused"),
                           ("hostile-routes.md", "the SVG image is refused: it holds a <script>"),
                           ("hostile-routes.md", "a .html file is not offered"),
                           ("hostile-files.md", "the literalinclude of '../../secret.txt' is refused"),
                           ("hostile-files.md", "is refused: it is a contribution's source"),
                           ("hostile-include.md: WARNING: the include of", "is refused: it lies outside the book"),
                           ("team.md", "raw HTML")):
        assert any(where in line and message in line for line in said.splitlines()), (where, message, said)
    assert "team.md:3:" not in said  # <abbr> and <br> are on the team's allow-list
    assert "raw HTML is not published" not in said.split("hostile-routes.md:")[0]  # the comment is not refused


@pytest.mark.sphinx("html", testroot="gate", freshenv=True)
def test_nothing_refused_is_published(built: tuple[Path, str]) -> None:
    site, _ = built
    srcdir = site.parents[1]
    assert not (srcdir / "contributions" / "MARKER").exists() and not (srcdir / "MARKER").exists()
    for path in site.rglob("*"):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            assert SECRET.encode() not in content and EMAIL.encode() not in content and b"RCE-42" not in content, path
            assert b"__pwned" not in content or path.suffix in (".html", ".md", ".ipynb", ".js"), path
    for name in ("hostile-routes", "hostile-files", "team"):
        page = (site / ("contributions" if name != "team" else "") / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(RUNNABLE_PWNED, page), name
        assert not re.search(HANDLER_IN_TAG, page) and 'http-equiv="refresh"' not in page, name
        assert "javascript:" not in page, name
    team = (site / "team.html").read_text(encoding="utf-8")
    assert '<abbr title="United Nations">UN</abbr>' in team
    routes = (site / "contributions" / "hostile-routes.html").read_text(encoding="utf-8")
    assert re.search(r"This is edition [\w.]+\.", routes)  # the edition's own substitution is rendered
    withheld = (site / "contributions" / "hostile-include.html").read_text(encoding="utf-8")
    assert "This page was withheld" in withheld and "the include of '../../secret.txt'" not in withheld
    assert not list(site.rglob("evil-image.svg")) and not list(site.rglob("evil-page.html"))
