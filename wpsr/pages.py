"""Pages built from contributions' metadata: each contribution's header and closing sections,
the cards in chapter overviews, the key messages and the sub-topics annex.

Every list here is generated from the contributions and ``data/subtopics.csv`` at build time;
none is kept by hand. Pages note the files they were built from, so an incremental build
re-reads them when a contribution changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pycountry
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from wpsr import contributions as contrib
from wpsr.book import book_root, chapters, page_title, toc_path
from wpsr.doctree import bullets, doc_link, link, paragraph, section, table
from wpsr.editions import current_edition

DOWNLOADS = "downloads"


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=str(code))
    return getattr(country, "common_name", None) or country.name if country else str(code)


def sdg_badges(goals: list[int], *, short: bool = False) -> nodes.Element:
    names = contrib.specification()["sdgs"]
    line = paragraph("SDGs addressed: ", classes=["wpsr-sdgs"])
    for goal in goals:
        label = f"SDG {goal}" if short else f"SDG {goal}: {names.get(goal, '')}"
        line += nodes.inline("", label, classes=["wpsr-sdg", f"wpsr-sdg-{goal}"])
        line += nodes.Text(" ")
    return line


def status_badge(status: str) -> nodes.inline:
    return nodes.inline("", f"Status: {status}", classes=["wpsr-status", f"wpsr-status-{status.replace(' ', '-')}"])


def _note_sources(directive_or_env: Any, *, all_contributions: bool = True) -> None:
    env = getattr(directive_or_env, "env", directive_or_env)
    for path in [toc_path(), book_root() / "data" / "subtopics.csv", book_root() / "editions.yaml"]:
        env.note_dependency(str(path))
    if all_contributions:
        for path in contrib.files():
            env.note_dependency(str(path))


def chapter_title(number: int | None) -> tuple[str, str]:
    """(docname, title) of a chapter by number."""
    for chapter in chapters():
        if chapter["number"] == number:
            return chapter["file"], page_title(chapter["file"])
    return "", ""


# --- a contribution's own page ------------------------------------------------------

def contribution_url(app: Sphinx, docname: str) -> str:
    """The address to cite: html_baseurl joined with the page, or the page's path if no base is set."""
    page = app.builder.get_target_uri(docname) if hasattr(app.builder, "get_target_uri") else f"{docname}.html"
    page = f"{docname}.html" if not page or page.startswith("#") else page
    base = (app.config.html_baseurl or "").rstrip("/")
    return f"{base}/{page}" if base else page


def header(c: contrib.Contribution) -> nodes.container:
    """Authors, chapter, sub-topic, SDGs, status and abstract, from the front matter."""
    box = nodes.container(classes=["wpsr-contribution-header"])
    people = paragraph(classes=["wpsr-authors"])
    for index, author in enumerate(c.authors):
        if index:
            people += nodes.Text("; ")
        people += nodes.strong(text=str(author.get("name", "")))
        affiliations = ", ".join(map(str, author.get("affiliations") or []))
        people += nodes.Text(f", {affiliations}, {country_name(author.get('country', ''))}")
        if author.get("orcid"):
            orcid = str(author["orcid"]).removeprefix("https://orcid.org/")
            people += nodes.Text(" (")
            people += nodes.reference("", f"ORCID {orcid}", refuri=f"https://orcid.org/{orcid}")
            people += nodes.Text(")")
    box += people
    docname, title = chapter_title(c.chapter)
    subtopic = contrib.subtopics().get(str(c.meta.get("subtopic")), {})
    box += paragraph(f"Chapter {c.chapter}: ", doc_link(docname, title), node=nodes.paragraph,
                 classes=["wpsr-chapter"])
    box += paragraph(f"Sub-topic: {subtopic.get('subtopic', '')} ({subtopic.get('theme', '')})",
                 classes=["wpsr-subtopic"])
    box += sdg_badges(c.listed("sdgs"))
    places = [country_name(code) for code in c.listed("countries")]
    meta_line = paragraph(status_badge(str(c.meta.get("status", ""))), classes=["wpsr-meta"])
    if places:
        meta_line += nodes.Text(" · Countries discussed: " + ", ".join(places))
    meta_line += nodes.Text(" · Keywords: " + ", ".join(map(str, c.listed("keywords"))))
    box += meta_line
    abstract = nodes.container(classes=["wpsr-abstract"])
    abstract += nodes.rubric(text="Abstract")
    abstract += paragraph(str(c.meta.get("abstract", "")).strip())
    box += abstract
    return box


def recommendation_list(c: contrib.Contribution) -> nodes.enumerated_list:
    listing = nodes.enumerated_list(classes=["wpsr-recommendations"])
    for rec in c.listed("recommendations"):
        listing += nodes.list_item("", paragraph(str(rec.get("text", "")), " ",
                                             nodes.emphasis(text=f"(For {rec.get('audience', '')}.)")))
    return listing


def _download(app: Sphinx, docname: str, filename: str, label: str) -> nodes.Element:
    uri = relative_uri(app.builder.get_target_uri(docname), f"{DOWNLOADS}/{filename}")
    return paragraph(link(label, uri))


def closing_sections(app: Sphinx, c: contrib.Contribution, others: list[contrib.Contribution],
                     data_files: list[str]) -> list[nodes.section]:
    """Cite this contribution, key resources, downloads and related contributions."""
    edition = current_edition()
    url = contribution_url(app, c.docname)
    cite = section("Cite this contribution", "cite-this-contribution",
                    paragraph(contrib.citation(c, edition, url), classes=["wpsr-reference"]),
                    nodes.literal_block(text=contrib.bibtex(c, edition, url), language="bibtex",
                                        classes=["wpsr-bibtex"]),
                    _download(app, c.docname, f"{c.slug}.bib", f"Download the BibTeX entry ({c.slug}.bib)"))
    resources = section("Key resources", "key-resources", bullets(
        paragraph(f"{r.get('publisher', '')} ({r.get('year', '')}). ", nodes.emphasis(text=str(r.get("title", ""))),
              ". ", link(str(r.get("url", "")), str(r.get("url", ""))))
        for r in c.listed("resources")))
    downloads = [_download(app, c.docname, f"{c.slug}.ipynb", f"The notebook, to run it yourself ({c.slug}.ipynb)"),
                 _download(app, c.docname, f"{c.slug}.md", f"Its source, as MyST Markdown ({c.slug}.md)")]
    downloads += [paragraph(link(f"Data: {Path(path).name}", relative_uri(app.builder.get_target_uri(c.docname),
                                                                       path)))
                  for path in data_files]
    files = section("Downloads", "downloads", bullets(downloads))
    close = contrib.related(c, others)
    related = section("Related contributions", "related-contributions",
                       bullets(paragraph(doc_link(o.docname, o.title), f" by {contrib.byline(o)}")
                                for o in close) if close else
                       paragraph("No other contribution shares its sub-topic, SDGs, countries or keywords yet."))
    return [cite, resources, files, related]


def render_contribution(app: Sphinx, doctree: nodes.document) -> None:
    """Give a contribution page its header, its recommendations and its closing sections."""
    docname = app.env.docname
    if not docname.startswith(f"{contrib.FOLDER}/"):
        return
    c, _ = contrib.read(Path(app.env.doc2path(docname)))
    if c is None:
        return
    _note_sources(app.env)
    for topic in list(doctree.findall(nodes.topic)):
        if "abstract" in topic["classes"]:
            topic.parent.remove(topic)  # docutils' own rendering of `abstract:`; the header has it
    top = next(doctree.findall(nodes.section), None)
    if top is None:
        return
    top.insert(1, header(c))
    recommendations_title = next(s["title"] for s in contrib.specification()["sections"] if s.get("recommendations"))
    for part in top.findall(nodes.section):
        if part[0].astext().strip().lower() == recommendations_title.lower():
            part += recommendation_list(c)
            break
    state = getattr(app, "wpsr_tracker", None)
    used = state.state.get(docname, {}).get("files", {}) if state else {}
    data_files = sorted(p for p in used if p.startswith("data/") and p.endswith(".csv"))
    top += closing_sections(app, c, contrib.published(), data_files)


# --- directives ---------------------------------------------------------------------

class ContributionsDirective(SphinxDirective):
    """Cards for the contributions of the chapter this page is (``{wpsr-contributions}``)."""

    def run(self) -> list[nodes.Node]:
        _note_sources(self)
        number = next((c["number"] for c in chapters() if c["file"] == self.env.docname), None)
        mine = [c for c in contrib.published() if c.chapter == number]
        if not mine:
            return [paragraph("No expert contribution has been published for this chapter yet.")]
        grid = nodes.container(classes=["wpsr-cards"])
        for c in mine:
            card = nodes.container(classes=["wpsr-card"])
            card += paragraph(doc_link(c.docname, c.title), classes=["wpsr-card-title"])
            card += paragraph(contrib.author_names(c), classes=["wpsr-card-authors"])
            abstract = str(c.meta.get("abstract", "")).split()
            card += paragraph(" ".join(abstract[:45]) + (" …" if len(abstract) > 45 else ""))
            card += sdg_badges(c.listed("sdgs"), short=True)
            card += paragraph(status_badge(str(c.meta.get("status", ""))))
            grid += card
        return [grid]


class KeyMessagesDirective(SphinxDirective):
    """Every contribution's recommendations, by chapter and theme, each linking back."""

    def run(self) -> list[nodes.Node]:
        _note_sources(self)
        themes = contrib.subtopics()
        everything = contrib.published()
        out: list[nodes.Node] = []
        for chapter in chapters():
            mine = [c for c in everything if c.chapter == chapter["number"]]
            title = f"Chapter {chapter['number']}: {page_title(chapter['file'])}"
            block = section(title, f"key-messages-chapter-{chapter['number']}")
            if not mine:
                block += paragraph("No contribution to this chapter has been published yet.")
            by_theme: dict[str, list[nodes.Element]] = {}
            for c in mine:
                theme = themes.get(str(c.meta.get("subtopic")), {}).get("theme", "Other")
                for rec in c.listed("recommendations"):
                    by_theme.setdefault(theme, []).append(paragraph(
                        f"{rec.get('text', '')} ", nodes.emphasis(text=f"For {rec.get('audience', '')}. "),
                        "From ", doc_link(c.docname, c.title), f", by {contrib.byline(c)}."))
            for theme in sorted(by_theme):
                block += nodes.rubric(text=theme)
                block += bullets(by_theme[theme])
            out.append(block)
        return out


class SubtopicsDirective(SphinxDirective):
    """Every sub-topic the experts proposed, with the contributions that answer it, and a chart
    of coverage by chapter (drawn here, at read time, so a contribution's edit re-runs no notebook)."""

    def run(self) -> list[nodes.Node]:
        from wpsr import coverage

        _note_sources(self)
        answering: dict[str, list[contrib.Contribution]] = {}
        for c in contrib.published():
            answering.setdefault(str(c.meta.get("subtopic")), []).append(c)
        out: list[nodes.Node] = [nodes.raw("", coverage.chart()._repr_html_(), format="html")]
        rows = list(contrib.subtopics().values())
        for chapter in chapters():
            cells = []
            for row in (r for r in rows if int(r["chapter"]) == chapter["number"]):
                answers = answering.get(row["id"], [])
                found = paragraph(*[part for c in answers for part in
                                    (doc_link(c.docname, c.title), f" ({c.meta.get('status')}) ")]) \
                    if answers else paragraph("None yet")
                cells.append([row["id"], row["subtopic"], row["theme"], found])
            out.append(table(f"Chapter {chapter['number']}: {page_title(chapter['file'])}",
                             ["Id", "Sub-topic", "Theme", "Contribution (status)"], cells,
                             widths=(1, 5, 2, 3), classes=["wpsr-subtopics"]))
        return out


class SpecificationDirective(SphinxDirective):
    """The specification for contributions, as authors read it: sections, length, metadata."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(contrib.SPECIFICATION))
        spec = contrib.specification()
        (low, high), (aim_low, aim_high) = spec["words"]["error"], spec["words"]["warning"]
        sections = nodes.enumerated_list()
        for part in spec["sections"]:
            sections += nodes.list_item("", paragraph(nodes.strong(text=part["title"]), f". {part['guidance']}"))
        rows = []
        for name, rule in spec["fields"].items():
            rows.append([name, "yes" if rule.get("required") else "no", rule["help"]])
            for sub, sub_rule in rule.get("items", {}).get("fields", {}).items():
                rows.append([f"{name}: {sub}", "yes" if sub_rule.get("required") else "no", sub_rule["help"]])
        fields = table("Metadata at the top of a contribution", ["Field", "Required", "What to write"], rows,
                       widths=(2, 1, 6))
        return [
            nodes.rubric(text="Sections, in this order"), sections,
            nodes.rubric(text="Length"),
            paragraph(f"About 1,500 words of prose (code, tables and comments are not counted). Outside "
                  f"{aim_low:,}–{aim_high:,} words the check warns; outside {low:,}–{high:,} it fails, "
                  f"except for a contribution whose status is {', '.join(spec['lenient_statuses'])}."),
            nodes.rubric(text="Data"),
            paragraph("At least one code cell that loads a cited dataset from data/ with wpsr.load, and a text "
                  "description for every chart."),
            fields,
            paragraph("Statuses: " + ", ".join(spec["statuses"]) + ". Email addresses are for the report team and "
                  "never appear on the site or in its downloads."),
        ]


def setup(app: Sphinx) -> None:
    # after the build notes which data a notebook read (300), before the page's contents are collected (500)
    app.connect("doctree-read", render_contribution, priority=400)
    app.add_directive("wpsr-contributions", ContributionsDirective)
    app.add_directive("wpsr-key-messages", KeyMessagesDirective)
    app.add_directive("wpsr-subtopics", SubtopicsDirective)
    app.add_directive("wpsr-specification", SpecificationDirective)
