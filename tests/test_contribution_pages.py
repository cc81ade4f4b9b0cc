"""Contribution pages, cards, key messages and the sub-topics annex in the built HTML."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, run_here
from wpsr.contributions import read
from wpsr.editions import current_edition

pytestmark = pytest.mark.build
SLUGS = sorted(p.stem for p in (ROOT / "contributions").glob("*.md"))


def meta(slug: str) -> dict:
    contribution, _ = read(ROOT / "contributions" / f"{slug}.md")
    assert contribution is not None
    return contribution.meta


def page(site: Path, path: str) -> str:
    return html.unescape((site / path).read_text(encoding="utf-8"))


def text_of(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


@pytest.mark.parametrize("slug", SLUGS)
def test_the_header_is_built_from_the_front_matter(site: Path, slug: str) -> None:
    m = meta(slug)
    markup = page(site, f"contributions/{slug}.html")
    header = re.search(r'<div class="wpsr-contribution-header.*?<p class="rubric">Abstract</p>', markup, re.S)
    assert header, "no header"
    words = text_of(header.group(0))
    assert m["authors"][0]["name"] in words and m["authors"][0]["affiliations"][0] in words
    assert f"Chapter {m['chapter']}:" in words
    for goal in m["sdgs"]:
        assert f"SDG {goal}:" in words
    assert f"Status: {m['status']}" in words
    abstract = " ".join(m["abstract"].split())
    assert text_of(markup).count(abstract[:80]) == 1  # docutils' own abstract block is gone
    assert re.search(r"<h1>" + re.escape(m["title"]), markup)


@pytest.mark.parametrize("slug", SLUGS)
def test_each_contribution_ends_with_citation_resources_downloads_and_related(site: Path, slug: str) -> None:
    m = meta(slug)
    markup = page(site, f"contributions/{slug}.html")
    words = text_of(markup)
    edition = current_edition()
    assert f"The report team ({edition.date.year}). {m['title']}. In United Nations Department of Economic and " \
        "Social Affairs" in words
    key = re.sub(r"\W", "", f"wpsr{edition.id}{slug}")
    assert f"@incollection{{{key}," in markup
    bib = (site / "downloads" / f"{slug}.bib").read_text()
    assert bib.startswith(f"@incollection{{{key},") and m["title"] in bib
    for resource in m["resources"]:
        assert f'href="{resource["url"]}"' in markup
    for name in (f"{slug}.ipynb", f"{slug}.md", f"{slug}.bib"):
        assert f'href="../downloads/{name}"' in markup
    notebook = json.loads((site / "downloads" / f"{slug}.ipynb").read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and any(c["outputs"] for c in code)  # the notebook comes with its outputs
    assert re.search(r'href="\.\./data/\w+\.csv">Data: ', markup)
    related = re.search(r'id="related-contributions".*?</section>', markup, re.S).group(0)
    others = [s for s in SLUGS if s != slug]
    assert any(f'href="{other}.html"' in related for other in others)
    recommendations = re.search(r'<ol class="[^"]*wpsr-recommendations.*?</ol>', markup, re.S).group(0)
    for rec in m["recommendations"]:
        assert rec["text"] in text_of(recommendations)


def test_chapter_overviews_list_their_contributions_as_cards(site: Path) -> None:
    for slug in SLUGS:
        m = meta(slug)
        cards = {p.name: re.findall(r'<div class="wpsr-card.*?</div>', page(site, f"chapters/{p.name}"), re.S)
                 for p in (site / "chapters").glob("*.html")}
        holding = [name for name, found in cards.items() if any(f'href="../contributions/{slug}.html"' in c
                                                                 for c in found)]
        assert len(holding) == 1, (slug, holding)
        assert f"Chapter {m['chapter']}:" in page(site, f"contributions/{slug}.html")


def test_key_messages_gather_every_recommendation_with_a_link_back(site: Path) -> None:
    markup = page(site, "key-messages.html")
    items = re.findall(r"<li>(.*?)</li>", markup, re.S)
    for slug in SLUGS:
        for rec in meta(slug)["recommendations"]:
            item = next(i for i in items if rec["text"] in text_of(i))
            assert f'href="contributions/{slug}.html"' in item and rec["audience"] in item


def test_the_subtopics_annex_shows_who_answers_what(site: Path) -> None:
    markup = page(site, "annexes/subtopics.html")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", markup, re.S)
    for slug in SLUGS:
        m = meta(slug)
        row = next(r for r in rows if f">{m['subtopic']}<" in r)
        assert f'href="../contributions/{slug}.html"' in row and f"({m['status']})" in row
    subtopics = pd.read_csv(ROOT / "data" / "subtopics.csv")
    answered = {meta(slug)["subtopic"] for slug in SLUGS}
    assert len([r for r in rows if "None yet" in r]) == len(subtopics) - len(answered)
    counts = "; ".join(f"{chapter.id.isin(answered).sum()} of {len(chapter)} in chapter {number}"
                       for number, chapter in subtopics.groupby("chapter"))
    assert f"contributions answer {counts}." in markup
    with (ROOT / "data" / "print_edition.csv").open(encoding="utf-8") as printed:
        taken = [row for row in csv.DictReader(printed) if row["subtopic"]]
    for row in taken:  # the print edition's contributions, where they evidently take up a sub-topic
        line = next(r for r in rows if f">{row['subtopic']}<" in r)
        assert html.escape(row["title"], quote=False) in line or row["title"] in html.unescape(line)


def test_the_specification_page_is_generated_from_the_specification(site: Path) -> None:
    words = text_of(page(site, "annexes/specification.html"))
    for title in ("The sub-topic and why it matters now", "Prospects for sustaining what works", "recommendations"):
        assert title in words


def test_editing_a_contribution_updates_every_page_built_from_it(built_copy: Path) -> None:
    book = built_copy
    path = book / "contributions" / "civic-space-under-pressure.md"
    path.write_text(path.read_text().replace("status: published", "status: in review")
                    .replace("  - text: Keep civil society representatives", "  - text: Keep, by law, civil society "
                             "representatives"))
    result = run_here(book, "build", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.findall(r"^  reading (\S+)", result.stdout, re.M) == ["contributions/civic-space-under-pressure"]
    site = book / "_build" / "html"
    assert "Keep, by law, civil society representatives" in page(site, "key-messages.html")
    assert "(in review)" in page(site, "annexes/subtopics.html")
    assert "Status: in review" in page(site, "chapters/relationships-with-society.html")


def test_a_preview_shows_a_drafts_problems_and_the_strict_build_refuses_it(built_copy: Path) -> None:
    book = built_copy
    path = book / "contributions" / "civic-space-under-pressure.md"
    hostile = "Civic <script>alert(7)</script> space"
    text = re.sub(r"(?m)^title: .*$", f'title: "{hostile}"', path.read_text(encoding="utf-8"), count=1)
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("title:"))
    preview = run_here(book, "build")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "contributions/civic-space-under-pressure.md break(s) the specification" in preview.stdout
    site = book / "_build" / "html"
    markup = (site / "contributions" / "civic-space-under-pressure.html").read_text(encoding="utf-8")
    banner = re.search(r'<div class="wpsr-banner wpsr-banner-problems.*?</ul>', markup, re.S)
    assert banner and f"Line {line}: 'title' holds markup ('&lt;script&gt;')" in banner.group(0)
    for written in site.rglob("*.html"):
        assert "<script>alert(7)" not in written.read_text(encoding="utf-8"), written
    assert "Civic &lt;script&gt;alert(7)&lt;/script&gt; space" in (site / "index.html").read_text(encoding="utf-8")
    strict = run_here(book, "build", "--strict")
    assert strict.returncode == 1
    assert f"contributions/civic-space-under-pressure.md:{line}: 'title' holds markup" in strict.stderr
