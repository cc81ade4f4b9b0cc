"""Hostile contributions in a real build and a real publish, read in Chromium: no route runs script,
no file from outside the book is published, and the page still works."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import copy_book, fresh_scratch, run_here, run_wpsr
from tests.test_browser import wait_until
from tests.test_checker import GOOD_TEXT
from tests.test_hostile import BODY_START
from wpsr.serving import serving

pytestmark = pytest.mark.build
SECRET = "TOP-SECRET-TOKEN-4711"
EMAIL = "private-author@example.org"
PWNED = "window.__pwned = 1"
ALERT = "alert(1)"
HANDLER_IN_TAG = r"<[a-zA-Z][^>]*\son\w+\s*="  # an event handler on an element, not quoted as text
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="  # 1×1
RUNNABLE_PWNED = r"<script(?![^>]*application/json)[^>]*>[^<]*__pwned"  # an inert JSON element may quote it

# Script by every route a contribution's text can take; the checker refuses each, and the preview
# builds the page without them.
ROUTES_FRONT = f"""myst:
  substitutions:
    evil: "<script>{PWNED}</script>"
  html_meta:
    "http-equiv=refresh": "0; url=https://example.org/"
"""
ROUTES_BODY = f"""```{{raw}} html
<script>{PWNED}</script>
```

```{{eval-rst}}
.. raw:: html

   <script>{PWNED}</script>
```

Some words, then {{{{evil}}}} and <svg onload="{PWNED}"></svg> inline, and a template:
{{{{ lipsum.__globals__["os"].popen("touch MARKER; echo RCE-$((6*7))").read() }}}}

<!-- a note to the editors, never published -->

```{{csv-table}} Read from an address
:url: file:///etc/hostname
```

```{{csv-table}} Read from a file
:file: ../../secret.txt
```

```{{literalinclude}} ../data/participants.csv
:diff: ../../secret.txt
```

![A chart](evil-image.svg)

{{download}}`a page <evil-page.html>`

<img src="x" onerror="{PWNED}">

```{{code-cell}} ipython3
from IPython.display import HTML, Javascript, display

display(Javascript("{PWNED}"))
```
"""
# Outputs a reviewer might wave through: the code is short and looks like a table.
OUTPUTS_CELL = f"""```{{code-cell}} ipython3
import pandas as pd
from IPython.display import HTML, display

import wpsr
from wpsr.safety import WPSR_MIME

display(HTML('<table><tr><td>ok</td></tr></table><script>{PWNED}</script><svg onload="{PWNED}"></svg>'
             '<img src="x" onerror="{PWNED}"><a href="jav&#x09;ascript:{ALERT}">x</a>'))
display({{WPSR_MIME: {{"html": '<figure><p>A figure</p></figure>',
                     "vega": {{"$schema": "</script><script>{PWNED}</script>"}}}}}}, raw=True)
wpsr.table(pd.DataFrame({{"name": ['=HYPERLINK("https://example.org","x")'], "value": [-3.5]}}),
           caption="A table", sources="internet-use", name="formulas")
```

```{{code-cell}} ipython3
import base64
from IPython.display import Image

Image(data=base64.b64decode("{PNG}"))  # an image a cell draws is published
```
"""
SVG_CELL = f"""```{{code-cell}} ipython3
import base64
from IPython.display import display
from wpsr.safety import WPSR_MIME

svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>{PWNED}</script></svg>'
uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
display({{WPSR_MIME: {{"html": f'<figure><img src="{{uri}}" data-wpsr-file="evil.svg" alt="x"></figure>',
                     "vega": None}}}}, raw=True)
```

```{{code-cell}} ipython3
from IPython.display import SVG

SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>{PWNED}</script></svg>')
```
"""
FILES_BODY = """```{literalinclude} ../../secret.txt
```

{download}`the source <hostile-files.md>`

[the secret](../../secret.txt)
"""


def _contribution(slug: str, title: str, front: str = "", body: str = "") -> str:
    text = GOOD_TEXT.replace("chapter: 1\n", "chapter: 1\n" + front, 1)
    text = re.sub(r'^title: .*$', f'title: "{title}"', text, count=1, flags=re.M)
    text = text.replace("    country: USA\n", f"    country: USA\n    email: {EMAIL}\n", 1)
    return text.replace(BODY_START, body + "\n" + BODY_START, 1)


def _list_in_toc(book: Path, *slugs: str) -> None:
    toc = book / "_toc.yml"
    lines = toc.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "contributions/" in line)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines[at:at] = [f"{indent}- file: contributions/{slug}\n" for slug in slugs]
    toc.write_text("".join(lines), encoding="utf-8")


def hostile_sources(folder: Path) -> Path:
    """A copy of the book in folder/book, made hostile (`make_hostile`)."""
    return make_hostile(copy_book(folder / "book"))


def make_hostile(book: Path) -> Path:
    """The book, given three hostile contributions, a hostile team page and a dataset of 20,000 rows,
    and a secret beside it, in ../secret.txt."""
    folder = book.parent
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    contributions = book / "contributions"
    routes = ROUTES_BODY + "\n" + OUTPUTS_CELL + "\n" + SVG_CELL
    (contributions / "hostile-routes.md").write_text(_contribution("hostile-routes", "Routes", ROUTES_FRONT, routes),
                                                     encoding="utf-8")
    (contributions / "hostile-files.md").write_text(_contribution("hostile-files", "Files", body=FILES_BODY),
                                                     encoding="utf-8")
    (book / "data" / "leak.txt").symlink_to(folder / "secret.txt")
    (contributions / "evil-image.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><script>{PWNED}</script>'
                                                  "</svg>", encoding="utf-8")
    (contributions / "evil-page.html").write_text(f"<script>{PWNED}</script>", encoding="utf-8")
    (contributions / "hostile-include.md").write_text(
        _contribution("hostile-include", "Include", body="```{include} ../../secret.txt\n```\n"), encoding="utf-8")
    _list_in_toc(book, "hostile-routes", "hostile-files", "hostile-include")
    # A team page with a tab in its front matter and a block never closed; a dataset of 20,000 rows.
    page = book / "key-messages.md"
    page.write_text("---\n\ttitle: x\n---\n" + page.read_text(encoding="utf-8") + "\n```text\nnever closed\n",
                    encoding="utf-8")
    with (book / "data" / "participants.csv").open("a", encoding="utf-8") as participants:
        participants.writelines(f"Participant {n:05},A role,An organization,Kenya,expert,\n" for n in range(20_000))
    return book


@pytest.fixture(scope="module")
def hostile(_scratch: tuple[Path, Path]) -> tuple[Path, subprocess.CompletedProcess]:
    """The hostile copy of the book, built as an author previews it: this worker's copy of the built
    book (conftest's `built_copy`, for the tests of this module), made hostile, so what is read and
    executed again is what the hostile files change."""
    book = make_hostile(fresh_scratch(_scratch))
    return book, run_here(book, "build")


def test_the_preview_publishes_none_of_it_and_says_where(hostile: tuple[Path, subprocess.CompletedProcess]) -> None:
    book, result = hostile
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout + result.stderr
    for message in ("front-matter field 'myst' is not part of a contribution",
                    "raw HTML is not published in a contribution", "outputs script (application/javascript)",
                    "is refused: it lies outside the book", "a figure's file 'evil.svg' is not published",
                    "a substitution other than the edition's", "csv-table :url: is not read",
                    "csv-table :file: is refused: it lies outside the book",
                    "the literalinclude of '../../secret.txt' is refused",
                    "the SVG image is refused: it holds a <script>",
                    "a .html file is not offered"):
        assert message in said, message
    assert "raw HTML is not published" not in said.split("hostile-routes.md:")[0]  # the comment is not refused
    assert re.search(r"hostile-routes\.md(:\d+)?: warning: the image of '[^']*jupyter_execute/[0-9a-f]+\.svg' is "
                     r"refused: the SVG image is refused", said)  # an SVG a cell draws, with script
    assert not (book / "contributions" / "MARKER").exists() and not (book / "MARKER").exists()
    site = book / "_build" / "html"
    for path in site.rglob("*"):
        if path.is_file() and not path.is_symlink():
            content = path.read_bytes()
            assert SECRET.encode() not in content, path
            assert EMAIL.encode() not in content and b"RCE-42" not in content, path
            assert b"__pwned" not in content or path.suffix in (".html", ".ipynb", ".md", ".js"), path
    for name in ("hostile-routes", "hostile-files"):
        page = (site / "contributions" / f"{name}.html").read_text(encoding="utf-8")
        assert not re.search(RUNNABLE_PWNED, page)
        assert not re.search(HANDLER_IN_TAG, page) and 'http-equiv="refresh"' not in page
        assert "javascript:" not in page.replace("jav&amp;#x09;ascript", "")
    withheld = (site / "contributions" / "hostile-include.html").read_text(encoding="utf-8")
    assert "This page was withheld" in withheld and "the include of '../../secret.txt'" not in withheld
    assert "hostile-include.md: warning: the include of" in said
    assert not [p for p in site.rglob("*") if p.is_file() and b"unpkg.com" in p.read_bytes()]  # thebe's CDN
    banner = (site / "key-messages.html").read_text(encoding="utf-8")
    assert "wpsr-banner-problems" in banner and "not valid YAML" in banner and "is never closed" in banner
    annex = site / "annexes" / "inception-meeting.html"
    assert annex.stat().st_size < 1_000_000  # the readers' budget, whatever the data's size
    assert re.search(r"The first 300 of [\d,]+ rows are shown", annex.read_text(encoding="utf-8"))
    formulas = site / "figures" / "contributions" / "hostile-routes" / "formulas.csv"
    assert formulas.read_text(encoding="utf-8").splitlines()[1].startswith("\"'=HYPERLINK(")
    assert not (site / "figures" / "contributions" / "hostile-routes" / "evil.svg").exists()


def visit(browser: Browser, url: str) -> dict:
    """Open a page; say whether any script of a contributor ran, what the policy blocked, and
    whether the page's charts still draw."""
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                         " e => window.__violations.push(e.violatedDirective));"
                         " window.print = () => { window.__printed = true; };")
    page.goto(url)
    for figure in page.locator("figure.wpsr-chart:not(.wpsr-chart-still)").all():
        figure.scroll_into_view_if_needed()
        figure.dispatch_event("pointerenter")
    wait_until(page, "[...document.querySelectorAll('figure.wpsr-chart:not(.wpsr-chart-still)')]"
                     ".every(f => /drawn|failed/.test(f.dataset.state))")
    seen = {"pwned": page.evaluate("window.__pwned === 1"), "dialogs": dialogs,
            "violations": page.evaluate("window.__violations"), "url": page.url,
            "charts": page.eval_on_selector_all("figure.wpsr-chart:not(.wpsr-chart-still)",
                                                "fs => fs.map(f => f.dataset.state)")}
    page.evaluate("document.querySelector('[data-wpsr-print]').click()")  # the theme's print button, in its menu
    seen["printed"] = page.evaluate("window.__printed === true")
    page.close()
    return seen


@pytest.mark.browser
def test_no_route_runs_script_in_chromium(hostile: tuple[Path, subprocess.CompletedProcess], browser: Browser) -> None:
    book, _ = hostile
    with serving(book / "_build" / "html") as url:
        for name in ("hostile-routes", "hostile-files"):
            seen = visit(browser, f"{url}/contributions/{name}.html")
            assert not seen["pwned"] and seen["dialogs"] == [] and seen["url"].startswith(url), seen
            assert seen["charts"] and set(seen["charts"]) == {"drawn"} and seen["printed"], seen  # the page works


@pytest.mark.browser
def test_script_that_reaches_a_page_anyway_is_blocked_by_the_policy(
        hostile: tuple[Path, subprocess.CompletedProcess], browser: Browser, tmp_path: Path) -> None:
    """The policy is the second wall: script written into a built page (as if the gate had missed
    it) does not run, and the browser reports the violation."""
    book, _ = hostile
    site = tmp_path / "site"
    shutil.copytree(book / "_build" / "html", site)
    page = site / "contributions" / "hostile-routes.html"
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace("</body>", f"<script>{PWNED}</script><img src=x onerror=\"{PWNED}\"></body>"),
                    encoding="utf-8")
    with serving(site) as url:
        seen = visit(browser, f"{url}/contributions/hostile-routes.html")
    assert not seen["pwned"] and seen["dialogs"] == []
    assert seen["violations"] and all(v.startswith("script-src") for v in seen["violations"]), seen


# --- a real publish: reviewed code whose outputs are hostile ------------------------------------

def add_hostile_outputs(repo: Path) -> None:
    """A contribution whose code a maintainer reviewed and whose outputs are hostile, in repo's book and
    its table of contents."""
    contribution = repo / "contributions" / "hostile-outputs.md"
    contribution.write_text(_contribution("hostile-outputs", "Outputs", body=OUTPUTS_CELL).replace(EMAIL, "x@y.org"),
                            encoding="utf-8")
    _list_in_toc(repo, "hostile-outputs")
    approved = run_wpsr(repo, "review", "contributions/hostile-outputs.md", "--approve")
    assert approved.returncode == 0, approved.stdout + approved.stderr


@pytest.mark.browser
def test_hostile_outputs_run_no_script_after_a_real_publish(first_edition: tuple[Path, Path], browser: Browser) -> None:
    """The first edition of tests/test_editions.py carries the reviewed contribution whose outputs are hostile."""
    _, site = first_edition
    page = (site / "2023" / "contributions" / "hostile-outputs.html").read_text(encoding="utf-8")
    assert "<td>ok</td>" in page  # the table the cell drew is published, its script is not
    assert re.search(r'<img [^>]*src="\.\./_images/[0-9a-f]+\.png"', page)  # and so is the image it drew
    assert not re.search(RUNNABLE_PWNED, page) and not re.search(HANDLER_IN_TAG, page)
    with serving(site) as url:
        seen = visit(browser, f"{url}/2023/contributions/hostile-outputs.html")
    assert not seen["pwned"] and seen["dialogs"] == [] and seen["violations"] == [], seen


def test_a_script_output_stops_the_strict_build_at_its_cell(built_copy: Path) -> None:
    """A reviewed cell that outputs script stops the strict build that `wpsr publish` runs, at that cell
    (and a publish whose build fails changes nothing: tests/test_editions.py). Last in this module:
    `built_copy` makes the worker's scratch copy afresh, the `hostile` fixture's book with it."""
    book = built_copy
    add_hostile_outputs(book)
    contribution = book / "contributions" / "hostile-outputs.md"
    text = contribution.read_text(encoding="utf-8").replace(
        "display(HTML(", f"from IPython.display import Javascript\ndisplay(Javascript(\"{PWNED}\"))\ndisplay(HTML(", 1)
    contribution.write_text(text, encoding="utf-8")
    assert run_wpsr(book, "review", "contributions/hostile-outputs.md", "--approve").returncode == 0
    result = run_here(book, "build", "--strict")
    assert result.returncode == 1
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith("```{code-cell}")
                and "Javascript" in "\n".join(text.splitlines()[n:n + 15]))
    assert f"contributions/hostile-outputs.md:{line}" in result.stdout + result.stderr
    assert "outputs script (application/javascript)" in result.stdout + result.stderr
