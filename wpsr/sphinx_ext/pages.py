"""Pages built from contributions' metadata: each contribution's header and closing sections,
the cards in chapter overviews, the key messages and the sub-topics annex.

Every list here is generated from the contributions and ``data/subtopics.csv`` at build time;
none is kept by hand. It follows Sphinx's own model, so that an author's edit shows in seconds
however many contributions there are:

- as a contribution is read, its ``Summary`` is collected into the environment;
- a page that shows other contributions (a chapter's cards, the key messages, the sub-topics
  annex, a contribution's related list, a draft's problems in a preview) holds a ``view``
  placeholder, filled in by ``ViewResolver`` when the page is written;
- after reading, ``ContributionCollector`` re-writes (never re-reads) the pages whose views
  show something that changed, and every page when a title in the navigation changed.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pycountry
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment.collectors import EnvironmentCollector
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from wpsr import contributions as contrib
from wpsr import data
from wpsr.book import book_root, chapters, toc_path
from wpsr.editions import current_edition
from wpsr.safety import WPSR_MIME
from wpsr.sphinx_ext import doctree, figure_pages
from wpsr.sphinx_ext.doctree import bullets, doc_link, link, paragraph, section, table
from wpsr.sphinx_ext.figures import output_html

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
    docname = next((ch["file"] for ch in chapters() if ch["number"] == c.chapter), None)
    subtopic = contrib.subtopics().get(str(c.meta.get("subtopic")), {})
    box += paragraph(f"Chapter {c.chapter}: ", doc_link(docname) if docname else "", classes=["wpsr-chapter"])
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


def closing_sections(app: Sphinx, c: contrib.Contribution, data_files: list[str]) -> list[nodes.Element]:
    """Cite this contribution, key resources, downloads and (filled in when written) related contributions."""
    edition = current_edition(app.config.wpsr_edition or None)
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
    return [cite, resources, files, placeholder("related", c.docname)]


def render_contribution(app: Sphinx, doctree: nodes.document) -> None:
    """Give a contribution page its header, its recommendations and its closing sections (and every
    page the place where a preview lists its problems)."""
    docname = app.env.docname
    top = next(doctree.findall(nodes.section), None)
    if top is not None:  # a preview shows any page's problems at its top (a contribution's, a team page's)
        top.insert(1, placeholder("problems", docname))
    if not docname.startswith(f"{contrib.FOLDER}/"):
        return
    c, _ = contrib.read(Path(app.env.doc2path(docname)))
    if c is None:
        return
    _store(app.env, "wpsr_summaries")[docname] = contrib.Summary.of(c)
    for path in (toc_path(), data.package().resource("subtopics").path, book_root() / "editions.yaml"):
        app.env.note_dependency(str(path))
    for topic in list(doctree.findall(nodes.topic)):
        if "abstract" in topic["classes"]:
            topic.parent.remove(topic)  # docutils' own rendering of `abstract:`; the header has it
    if top is None:
        return
    # The title is metadata, so text: MyST would read the front matter's `title` as Markdown, and
    # pass any HTML in it to the page, its <title> and the navigation of every page.
    top[0].children = [nodes.Text(c.title)]
    top.insert(2, header(c))
    recommendations_title = next(s["title"] for s in contrib.specification()["sections"] if s.get("recommendations"))
    for part in top.findall(nodes.section):
        if part[0].astext().strip().lower() == recommendations_title.lower():
            part += recommendation_list(c)
            break
    state = getattr(app, "wpsr_tracker", None)
    used = state.state.get(docname, {}).get("files", {}) if state else {}
    data_files = sorted(p for p in used if p.startswith("data/") and p.endswith(".csv"))
    top += closing_sections(app, c, data_files)


# --- views: what pages show of other contributions, filled in when a page is written ------

class view(nodes.General, nodes.Element):
    """A placeholder for what a page shows of other contributions; ``ViewResolver`` fills it in."""


def placeholder(kind: str, docname: str) -> view:
    return view("", kind=kind, docname=docname)


def _summaries(env: Any) -> list[contrib.Summary]:
    """The summaries of the published contributions, in table-of-contents order."""
    collected = getattr(env, "wpsr_summaries", {})
    return [collected[doc] for chapter in chapters() for doc in chapter["sections"] if doc in collected]


def _chapters(env: Any) -> list[tuple[int, str, str]]:
    """(number, docname, title) of each chapter, the titles as Sphinx read them."""
    return [(c["number"], c["file"], env.titles[c["file"]].astext() if c["file"] in env.titles else c["file"])
            for c in chapters()]


def _card(s: contrib.Summary) -> nodes.container:
    card = nodes.container(classes=["wpsr-card"])
    card += paragraph(doc_link(s.docname, s.title), classes=["wpsr-card-title"])
    card += paragraph(s.names, classes=["wpsr-card-authors"])
    words = s.abstract.split()
    card += paragraph(" ".join(words[:45]) + (" …" if len(words) > 45 else ""))
    card += sdg_badges([int(g) for g in s.sdgs if g.isdigit()], short=True)
    card += paragraph(status_badge(s.status))
    return card


def _cards(env: Any, docname: str) -> tuple[Any, list[nodes.Node]]:
    number = next((c["number"] for c in chapters() if c["file"] == docname), None)
    mine = [s for s in _summaries(env) if s.chapter == number]
    shown = [(s.docname, s.title, s.names, s.abstract, s.sdgs, s.status) for s in mine]
    if not mine:
        return shown, [paragraph("No contribution has been published for this chapter yet.")]
    return shown, [nodes.container("", *map(_card, mine), classes=["wpsr-cards"])]


def _key_messages(env: Any, docname: str) -> tuple[Any, list[nodes.Node]]:
    themes = {row["id"]: row["theme"] for row in contrib.subtopics().values()}
    everything, titles = _summaries(env), _chapters(env)
    out: list[nodes.Node] = []
    for number, _, title in titles:
        block = section(f"Chapter {number}: {title}", f"key-messages-chapter-{number}")
        mine = [s for s in everything if s.chapter == number]
        if not mine:
            block += paragraph("No contribution to this chapter has been published yet.")
        by_theme: dict[str, list[nodes.Element]] = {}
        for s in mine:
            for text, audience in s.recommendations:
                by_theme.setdefault(themes.get(s.subtopic, "Other"), []).append(paragraph(
                    f"{text} ", nodes.emphasis(text=f"For {audience}. "), "From ", doc_link(s.docname, s.title),
                    f", by {s.byline}."))
        for theme in sorted(by_theme):
            block += nodes.rubric(text=theme)
            block += bullets(by_theme[theme])
        out.append(block)
    return ([(s.docname, s.title, s.byline, s.chapter, s.subtopic, s.recommendations) for s in everything],
            themes, titles), out


def _subtopics(env: Any, docname: str) -> tuple[Any, list[nodes.Node]]:
    """Every sub-topic the experts proposed, with the contributions that answer it, and a chart of
    coverage by chapter."""
    everything, titles, rows = _summaries(env), _chapters(env), list(contrib.subtopics().values())
    answering: dict[str, list[contrib.Summary]] = {}
    for s in everything:
        answering.setdefault(s.subtopic, []).append(s)
    printed = _print_edition()

    def build() -> list[nodes.Node]:
        from wpsr import coverage  # pandas and Altair: only when the page is written, not to compare digests

        shown = coverage.chart(set(answering))._repr_mimebundle_()[WPSR_MIME]
        figure_pages.note(env.app, shown["html"], shown["vega"], shown["figure"], docname)  # its own page too
        out: list[nodes.Node] = [output_html(shown["html"], shown["vega"])]
        for number, _, title in titles:
            cells = []
            for row in (r for r in rows if int(r["chapter"]) == number):
                found = paragraph(*[part for s in answering.get(row["id"], [])
                                    for part in (doc_link(s.docname, s.title), f" ({s.status}) ")]) \
                    if row["id"] in answering else paragraph("None yet")
                cells.append([row["id"], row["subtopic"], row["theme"], found,
                              "; ".join(printed.get(row["id"], [])) or "Not evident"])
            out.append(table(f"Chapter {number}: {title}",
                             ["Id", "Sub-topic", "Theme", "Contribution (status)",
                              "Taken up in the 2023 print edition"],
                             cells, classes=["wpsr-subtopics"]))
        return out

    return ([(s.docname, s.title, s.status, s.subtopic) for s in everything], titles, rows, printed), build


def _print_edition() -> dict[str, list[str]]:
    """The 2023 print edition's contributions by the sub-topic they evidently take up."""
    path = data.package().resource("print-edition").path
    by_subtopic: dict[str, list[str]] = {}
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows):
                if row.get("subtopic"):
                    by_subtopic.setdefault(row["subtopic"], []).append(row["title"])
    return by_subtopic


def _related(env: Any, docname: str) -> tuple[Any, list[nodes.Node]]:
    everything = _summaries(env)
    me = getattr(env, "wpsr_summaries", {}).get(docname)
    close = contrib.related(me, everything) if me else []
    listing = bullets(paragraph(doc_link(o.docname, o.title), f" by {o.byline}") for o in close) if close else \
        paragraph("No other contribution shares its sub-topic, SDGs, countries or keywords yet.")
    return [(o.docname, o.title, o.byline) for o in close], [section("Related contributions", "related-contributions",
                                                                     listing)]


def _problems(env: Any, docname: str) -> tuple[Any, list[nodes.Node]]:
    """In a preview, what keeps this draft from being published, at the top of its page."""
    found = [f for f in getattr(env.app, "wpsr_findings", {}).get(docname, [])]
    if not found:
        return [], []
    errors = [f for f in found if f.severity == "error"]
    box = nodes.container(classes=["wpsr-banner", "wpsr-banner-problems"], role="note")
    verdict = (f"{len(errors)} problem(s) keep this page from being published; `wpsr build --strict` and "
               "`wpsr publish` refuse it until they are fixed." if errors else
               "Nothing keeps it from being published; `wpsr check` has advice.")
    box += paragraph(nodes.strong(text="Preview. "), verdict)
    box += bullets(paragraph(f"{'Line ' + str(f.line) if f.line else 'The file'}: "
                             f"{'' if f.severity == 'error' else 'advice: '}{f.message} — {f.hint}")
                   for f in found)
    return [str(f) for f in found], [box]


VIEWS: dict[str, Callable[[Any, str], tuple[Any, Any]]] = {
    "cards": _cards, "key-messages": _key_messages, "subtopics": _subtopics, "related": _related,
    "problems": _problems,
}


def _render(env: Any, kind: str, docname: str) -> list[nodes.Node]:
    _, made = VIEWS[kind](env, docname)
    return made() if callable(made) else made


def view_digest(env: Any, kinds: list[tuple[str, str]]) -> str:
    """A digest of everything these views show: when it changes, the page is re-written."""
    shown = [VIEWS[kind](env, docname)[0] for kind, docname in kinds]
    return hashlib.sha256(json.dumps(shown, default=_plain, sort_keys=True).encode()).hexdigest()


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else str(value)


class ViewResolver(SphinxPostTransform):
    """Fill in the views as the page is written, before its links are resolved."""

    default_priority = 5  # Sphinx resolves references at 10

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(view)):
            node.replace_self(_render(self.env, node["kind"], node["docname"]))


class ContributionCollector(EnvironmentCollector):
    """Collects each contribution's summary and each page's views; says which pages to re-write."""

    stores = ("wpsr_summaries", "wpsr_views")

    def clear_doc(self, app: Sphinx, env: Any, docname: str) -> None:
        for store in self.stores:
            getattr(env, store, {}).pop(docname, None)

    def merge_other(self, app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
        for store in self.stores:
            mine, theirs = _store(env, store), getattr(other, store, {})
            mine.update({doc: theirs[doc] for doc in docnames if doc in theirs})

    def process_doc(self, app: Sphinx, doctree: nodes.document) -> None:
        kinds = [(n["kind"], n["docname"]) for n in doctree.findall(view)]
        if kinds:
            _store(app.env, "wpsr_views")[app.env.docname] = kinds

    def get_updated_docs(self, app: Sphinx, env: Any) -> list[str]:
        """Pages whose views show something new, or every page if a title in the navigation changed."""
        digests = _store(env, "wpsr_view_digests")
        changed = []
        for docname, kinds in _store(env, "wpsr_views").items():
            digest = view_digest(env, kinds)
            if digests.get(docname) != digest:
                digests[docname] = digest
                changed.append(docname)
        titles = {doc: env.titles[doc].astext() for doc in sorted(env.all_docs) if doc in env.titles}
        if titles != getattr(env, "wpsr_titles", None):
            env.wpsr_titles = titles
            return sorted(env.all_docs)
        return changed


def _store(env: Any, name: str) -> dict:
    if not hasattr(env, name):
        setattr(env, name, {})
    return getattr(env, name)


# --- directives ---------------------------------------------------------------------

class ViewDirective(SphinxDirective):
    """A page's view of the contributions: ``{wpsr-contributions}`` (a chapter's cards),
    ``{wpsr-key-messages}`` and ``{wpsr-subtopics}``."""

    kind = ""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(toc_path()))
        return [placeholder(self.kind, self.env.docname)]


def view_directive(kind: str) -> type[ViewDirective]:
    return type(f"{kind.title().replace('-', '')}Directive", (ViewDirective,), {"kind": kind})


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
        fields = table("Metadata at the top of a contribution", ["Field", "Required", "What to write"], rows)
        return [
            nodes.rubric(text="Sections, in this order"), sections,
            nodes.rubric(text="Length"),
            paragraph(f"About {spec['words']['aim']:,} words of prose (code, tables and comments are not counted). "
                  "Outside "
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
    app.add_node(view)
    doctree.setup(app)  # the node every table of a page is (doctree.table, here and in the data directives)
    app.add_post_transform(ViewResolver)
    app.add_env_collector(ContributionCollector)
    app.add_directive("wpsr-contributions", view_directive("cards"))
    app.add_directive("wpsr-key-messages", view_directive("key-messages"))
    app.add_directive("wpsr-subtopics", view_directive("subtopics"))
    app.add_directive("wpsr-specification", SpecificationDirective)
