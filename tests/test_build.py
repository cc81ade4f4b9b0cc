"""The real, strict Jupyter Book build, and the HTML it publishes."""

from __future__ import annotations

import filecmp
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, copy_book, run_here
from wpsr.editions import current_edition

pytestmark = pytest.mark.build
CHAPTERS = ["relationships-with-society", "priorities-and-trade-offs", "assets-and-innovations"]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [c for part in toc["parts"] for c in part["chapters"]]
    return [toc["root"]] + [page for c in entries for page in [c["file"], *(s["file"] for s in c.get("sections", []))]]


class Loads(HTMLParser):
    """Everything a page makes the browser load, and every local link."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") not in ("canonical", "next", "prev", "index", "search"):
            self.loads.append(a["href"])
        if tag == "object" and a.get("data"):
            self.loads.append(a["data"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def parse(page: Path) -> Loads:
    parser = Loads()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def site_pages(site: Path, *, figures: bool = True, embed: bool = False) -> list[Path]:
    """The published pages, each figure's own page among them (``figures``), not the theme's template
    fragments under _static; the pages other sites frame (``embed``) are fragments of a page too."""
    skipped = {"_static", *(() if embed else ("embed",)), *(() if figures else ("figures",))}
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in skipped)


def is_other_origin(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url))


def test_every_page_of_the_toc_is_published(site: Path) -> None:
    for page in toc_pages():
        assert (site / f"{page}.html").is_file(), page


def test_no_page_loads_anything_from_another_origin(site: Path) -> None:
    pages = site_pages(site, embed=True)
    assert len(pages) >= len(toc_pages())
    for page in pages:
        others = [url for url in parse(page).loads if is_other_origin(url)]
        assert others == [], f"{page.relative_to(site)} loads {others}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"(url\(\s*['\"]?|@import\s+['\"])(https?:)?//", text), css


def test_local_links_and_loads_resolve(site: Path) -> None:
    for page in site_pages(site, embed=True):
        found = parse(page)
        for url in found.loads + found.links:
            if is_other_origin(url) or url.startswith(("data:", "mailto:", "#", "javascript:")):
                continue
            target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
            assert target.exists(), f"{page.relative_to(site)} -> {url}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_charts_carry_fallback_description_csv_and_source(site: Path, chapter: str) -> None:
    html = (site / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="wpsr-chart".*?</figure>', html, re.S)
    assert len(figures) >= 2
    for figure in figures:
        image = re.search(r'<img class="wpsr-chart-static" src="([^"]+)" alt="[^"]+"', figure)
        assert image and image[1].startswith(f"../figures/chapters/{chapter}/") and image[1].endswith(".svg")
        assert (site / "chapters" / image[1]).read_text(encoding="utf-8").startswith("<svg")
        assert re.search(r'<p class="wpsr-chart-description" id="[^"]+">[^<]{20,}</p>', figure)
        assert re.search(r'<p class="wpsr-source">Source: [^<]+\(\d{4}\)', figure)
        csv = re.search(r'<a download="[^"]+\.csv" href="([^"]+)"', figure)
        assert csv and csv[1].startswith(f"../figures/chapters/{chapter}/") and (site / "chapters" / csv[1]).is_file()
    assert '<div class="wpsr-table"' in html and "data:text/csv" not in html
    assert re.search(r'<script data-runtime="wpsr-vendor/vega.min.js wpsr-vendor/vega-interpreter.js" defer="defer" '
                     r'src="../_static/wpsr-charts', html)


def test_pages_without_charts_do_not_load_the_chart_runtime(site: Path) -> None:
    assert "vega" not in (site / "annexes" / "inception-meeting.html").read_text(encoding="utf-8")


def test_annexes_are_rendered_from_data(site: Path) -> None:
    meeting = (site / "annexes" / "inception-meeting.html").read_text(encoding="utf-8")
    assert "Gogontlejang Phaladi" in meeting
    assert "c3-g2-10" in (site / "annexes" / "subtopics.html").read_text(encoding="utf-8")
    sources = (site / "annexes" / "data-and-sources.html").read_text(encoding="utf-8")
    for csv in (ROOT / "data").glob("*.csv"):
        assert f'href="../data/{csv.name}"' in sources
        assert (site / "data" / csv.name).read_bytes() == csv.read_bytes()
    assert "bokeh-sampledata 2026.1" in sources


def test_same_commit_builds_the_same_site(built_book: Path, tmp_path: Path) -> None:
    """Every file of the site, byte for byte: pages, downloads (notebooks, workbooks, data), images,
    fonts and the search index. Only Sphinx's .buildinfo differs: it hashes the configuration, which
    names the book's folder."""
    again = copy_book(tmp_path / "again")
    result = run_here(again, "build", "--strict", "--all")
    assert result.returncode == 0, result.stderr
    first, second = built_book / "_build" / "html", again / "_build" / "html"

    def files(site: Path) -> list[str]:
        return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_file() and p.name != ".buildinfo")

    assert files(first) == files(second) and [p for p in files(first) if p.endswith((".ipynb", ".xlsx"))]
    _, mismatch, errors = filecmp.cmpfiles(first, second, files(first), shallow=False)
    assert mismatch == [] and errors == []


def test_editing_a_csv_re_executes_exactly_the_notebooks_that_read_it(built_copy: Path) -> None:
    book = built_copy
    csv = book / "data" / "civic_space.csv"
    csv.write_text(csv.read_text().replace("2020,Repressed,43.4", "2020,Repressed,47.9"))
    result = run_here(book, "build", "--strict")
    assert result.returncode == 0, result.stderr
    page = (book / "_build" / "html" / "chapters" / "relationships-with-society.html").read_text()
    assert "Repressed: 40.0% in 2019, 47.9% in 2020" in page and "43.4% in 2020" not in page
    contribution = (book / "_build" / "html" / "contributions" / "civic-space-under-pressure.html").read_text()
    assert "Repressed 40.0% then 47.9%" in contribution
    executed = re.findall(r"(\S+\.md): Executing notebook", result.stdout)
    assert sorted(Path(p).name for p in executed) == ["civic-space-under-pressure.md", "relationships-with-society.md"]


def test_a_cell_that_raises_fails_the_build_naming_notebook_line_and_error(built_copy: Path) -> None:
    book = built_copy
    page = book / "chapters" / "assets-and-innovations.md"
    cells = page.read_text().count("```{code-cell}")
    page.write_text(page.read_text() + "\n```{code-cell} ipython3\nshare = 1\nshare = share / 2\n```\n"
                    "\n```{code-cell} ipython3\nshare = 1\nshare = share / 0\n```\n")  # two cells that start alike
    line = page.read_text().splitlines().index("share = share / 0")
    result = run_here(book, "build", "--strict")
    assert result.returncode == 1
    assert f"chapters/assets-and-innovations.md:{line}: code cell {cells + 2} raised" in result.stderr
    assert "raised ZeroDivisionError: division by zero" in result.stderr


def test_a_broken_csv_stops_the_build_before_it_starts(built_book: Path, tmp_path: Path) -> None:
    book = copy_book(tmp_path / "book")
    csv = book / "data" / "internet_use.csv"
    lines = csv.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if ",ITU region," in text)
    fields = lines[line - 1].split(",")
    lines[line - 1] = ",".join([*fields[:3], "137.1", *fields[4:]])
    csv.write_text("\n".join(lines) + "\n")
    result = run_here(book, "build", "--strict")
    assert result.returncode == 1
    expected = f"data/internet_use.csv:{line}: share_pct: 137.1 is above the maximum 100 — correct the value"
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_warning_fails_every_build_until_it_is_fixed(built_copy: Path) -> None:
    book = built_copy
    index = book / "index.md"
    index.write_text(index.read_text() + "\nSee [a missing page](chapters/missing.md).\n")
    for _ in range(2):
        result = run_here(book, "build", "--strict")
        assert result.returncode == 1
        assert "index.md:" in result.stderr and "missing.md" in result.stderr


def test_every_page_names_its_edition(site: Path) -> None:
    edition = current_edition()
    for page in site_pages(site):
        if page.name in ("genindex.html", "search.html"):
            continue
        text = page.read_text(encoding="utf-8")
        assert f'<meta name="wpsr-edition" content="{edition.id}" data-status="{edition.status}" ' in text, page
        assert f"This page is part of edition {edition.id}" in text, page
    draft = f"This is a draft of edition {edition.id}, not yet published."
    assert (draft in (site / "index.html").read_text()) == (edition.status == "draft")
