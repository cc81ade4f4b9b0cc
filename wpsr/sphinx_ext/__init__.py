"""The Sphinx side of wpsr: a thin adapter over the data, chart and edition modules.

- validates the data package before anything is read, so a broken CSV stops the build
  with ``path:line: field: what — how`` and nothing else;
- re-executes exactly the notebooks whose datasets or whose ``wpsr`` code changed, on every core
  (``execution``);
- serves the chart runtime (vega, from ``node_modules``) from the site itself;
  pages with charts run it only when the reader touches a chart (``wpsr-charts.js``);
- renders tables of ``data/`` into pages (``wpsr-table``), lists every dataset
  (``wpsr-datasets``) and the citation of the edition (``wpsr-citation``);
- checks the contributions (``wpsr check``) before anything is read (a preview builds a draft that
  fails, with its problems on its page), and registers the pages built from data and metadata
  (``pages``, ``annexes``, ``changes``);
- names the edition on every page, and in a published site adds the edition menu;
- copies ``data/`` into the site, with each contribution's downloads and the calendar's .ics files.
"""

from __future__ import annotations

import contextlib
import html
import os
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.matching import Matcher

from wpsr import book, contributions, data
from wpsr.build import BuildLog, Stopped
from wpsr.editions import Edition, current_edition
from wpsr.markup import render, speak
from wpsr.problems import Problem, display
from wpsr.provenance import long_date
from wpsr.safety import safe_csv
from wpsr.sphinx_ext import (
    annexes,
    changes,
    data_words,
    declared,
    doctree,
    execution,
    figure_pages,
    figures,
    fonts,
    gate,
    languages,
    pages,
    passages,
    search,
    security,
    theme,
    webpage,
)
from wpsr.translations import interface

logger = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).parent  # static/ and templates/ live beside this file
VENDOR_FILES = {  # the chart runtime, served as _static/wpsr-vendor/NAME and loaded in this order
    "vega.min.js": "vega/build/vega.min.js",  # charts arrive compiled to Vega: no vega-lite in the browser
    "vega-interpreter.js": "vega-interpreter/build/vega-interpreter.js",  # expressions without eval (CSP)
}
VENDOR_TRANSFORMS = {"vega-interpreter.js": security.classic_interpreter}  # an ES module, made a classic script
MAX_PAGE_BYTES = 2_000_000  # a page's HTML, whatever its data: the readers' budget is half of it
MAX_TABLE_ROWS = 300  # rows a wpsr-table shows; the dataset's download has them all
CHART_SCRIPT = "wpsr-charts.js"  # fetches the runtime as a chart nears, runs it when one is touched


class DataPackageError(Stopped):
    category = "Invalid data"


class ContributionError(Stopped):
    category = "Contributions break the specification"


def edition_built(app: Sphinx) -> Edition:
    """The edition being built: the build's ``wpsr_edition``, else the newest."""
    return current_edition(app.config.wpsr_edition or None)


# --- setup: paths, data validation, vendor files -----------------------------------

def _exclude_pages_not_in_toc(app: Sphinx, config: Any) -> None:
    """Build only the pages _toc.yml lists (Jupyter Book's `only_build_toc_files`, which globs
    every folder, node_modules and .venv included, at every build): walk the book's own folders."""
    listed = set(book.toc_files())
    excluded = Matcher(config.exclude_patterns)
    suffixes = tuple(config.source_suffix)
    extra = []
    for folder, subfolders, names in os.walk(app.srcdir):
        relative = Path(folder).relative_to(app.srcdir)
        subfolders[:] = [d for d in subfolders if not d.startswith((".", "_"))
                         and not excluded((relative / d).as_posix())]
        for name in names:
            posix = (relative / name).as_posix()
            if name.endswith(suffixes) and posix.rsplit(".", 1)[0] not in listed and not excluded(posix):
                extra.append(posix)
    config.exclude_patterns = [*config.exclude_patterns, *extra]


def _configure(app: Sphinx, config: Any) -> None:
    # for a build started by jupyter-book (`wpsr build` has said it): forgotten when the build ends
    app.wpsr_started_book = book.build_started(Path(app.srcdir))
    staging = Path(app.outdir).parent / ".wpsr-static"
    vendor = staging / "wpsr-vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    modules = Path(app.srcdir) / "node_modules"
    for name, relative in VENDOR_FILES.items():
        source = modules / relative
        if not source.is_file():
            raise DataPackageError("a package the site serves is not installed", [Problem(
                display(source), None, "is missing", f"run `npm ci` in {app.srcdir} (`make html` does this)")])
        content = source.read_text(encoding="utf-8")
        content = VENDOR_TRANSFORMS.get(name, str)(content)
        if not (vendor / name).is_file() or (vendor / name).read_text(encoding="utf-8") != content:
            (vendor / name).write_text(content, encoding="utf-8")
    config.html_static_path = [*config.html_static_path, str(PACKAGE_DIR / "static"), str(staging)]
    # Themes append their folders to the default list, shared by every build in one process
    # (`wpsr serve --watch`): without duplicates, the configuration's hash stays the same.
    config.templates_path = list(dict.fromkeys([str(PACKAGE_DIR / "templates"), *config.templates_path]))
    config.html_favicon = config.html_favicon or str(PACKAGE_DIR / "static" / "favicon.svg")
    config.html_context = {"default_mode": "light", **config.html_context}
    edition = current_edition(config.wpsr_edition or None)
    speak(config.language or "en")  # the toolkit's templates, in the language of the pages
    _ = interface(config.language or "en")
    config.html_theme_options = {**config.html_theme_options, "extra_footer": html.escape(_(
        "This page is part of edition {edition} ({date}, {status}). Cite as: {citation}").format(
        edition=edition.id, date=edition.date.isoformat(), status=_(edition.status), citation=edition.citation()))}
    config.myst_substitutions = {**config.myst_substitutions, **edition.substitutions()}
    if config.wpsr_site:  # only a published site has the switcher.json the menu reads
        app.add_js_file("wpsr-editions.js", loading_method="defer")


def _validate_data(app: Sphinx) -> None:
    if app.config.wpsr_checked:
        return  # `wpsr build` validated the data before it started Sphinx
    problems = data.problems()
    if problems:
        raise DataPackageError("the data in data/ breaks its schema:", problems)


def _check_contributions(app: Sphinx) -> None:
    """Refuse contributions that break the specification; in a preview, keep each page's problems
    for the banner at its top (``pages.VIEWS["problems"]``) instead."""
    from wpsr.checker import check_report

    app.wpsr_findings = {}
    preview = app.config.wpsr_preview
    if app.config.wpsr_checked and not preview:
        return  # `wpsr build --strict` checked them before it started Sphinx
    findings = check_report(Path(app.doctreedir).parent / "wpsr-check.json")
    if preview:
        for finding in findings:
            docname = Path(str(finding.path)).with_suffix("").as_posix()
            app.wpsr_findings.setdefault(docname, []).append(finding)
        return
    from wpsr.review import refusals  # a build started without `wpsr build` runs only reviewed code too

    errors = [f for f in [*findings, *refusals()] if f.severity == "error"]
    if errors:
        raise ContributionError("run `wpsr check` after fixing:", errors)


def _start(app: Sphinx) -> None:
    """What each build starts from (a preview builds again with the same application: wpsr.kept_app)."""
    app.wpsr_written = set()
    app.wpsr_execution_seconds = 0.0
    app.wpsr_share_images = {}
    app.wpsr_afterwards = []  # a watched preview's work that the page does not wait for (wpsr.build.Result)


def _outdated(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """Notebooks whose data changed, pages that say what is next if the day has changed, and the
    versions of a contribution whose translations changed (each links to the others)."""
    dated = getattr(env, "wpsr_dated_pages", set()) if getattr(env, "wpsr_build_day", None) != \
        data.today() else set()
    relinked = languages.versions_changed(env, added | changed, removed)
    return [doc for doc in [*app.wpsr_tracker.stale, *sorted(dated), *sorted(relinked)] if doc in env.all_docs]


# --- pages ------------------------------------------------------------------------

def _page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Name the edition (and mark a draft) on every page; load our scripts only where they have work."""
    app.wpsr_written.add(pagename)
    edition = edition_built(app)
    context["metatags"] = context.get("metatags", "") + str(render("edition-meta.html", edition=edition.id,
                                                                   status=edition.status))
    if edition.status == "draft" and context.get("body"):
        _ = interface(app.config.language or "en")
        banner = render("banner.html", kind="draft", text=_(
            "This is a draft of edition {edition}, not yet published.").format(edition=edition.id))
        context["body"] = str(banner) + context["body"]  # str: Markup would escape the body it is added to
    body = context.get("body") or ""
    scripts = {"wpsr-checklist-tools": "wpsr-checklist.js", "data-filters-for": "wpsr-filters.js"}
    for marker, script in scripts.items():
        if marker in body:
            app.add_js_file(script, priority=950, loading_method="defer")
    if '<script type="application/json" class="wpsr-chart-spec">' in body:
        app.add_js_file(CHART_SCRIPT, priority=900, loading_method="defer",
                        **{"data-runtime": " ".join(f"wpsr-vendor/{name}" for name in VENDOR_FILES)})


def _drop_thebe(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """sphinx-thebe appends its settings to every page as inline script; thebe is off in this book."""
    for raw in list(doctree.findall(nodes.raw)):
        if "thebe-config" in raw.astext() or raw.astext().startswith("<script>kernelName"):
            raw.parent.remove(raw)


def _forget_book(app: Sphinx, exception: Exception | None) -> None:
    """Last of all: a build that jupyter-book started no longer is this process's book."""
    if getattr(app, "wpsr_started_book", False):
        book.build_finished(Path(app.srcdir))


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if hasattr(app, "wpsr_tracker"):
        app.wpsr_tracker.save()
    if exception is not None or app._warncount:
        # Sphinx would not re-read a page whose warning failed this build, and the next
        # incremental build would pass: forget the environment so every page is read again.
        (Path(app.doctreedir) / "environment.pickle").unlink(missing_ok=True)
    if exception is None and app.builder.format == "html":
        for pagename in sorted(app.wpsr_written):
            page = Path(app.outdir) / f"{pagename}.html"
            if not page.is_file():
                continue
            languages.set_direction(page, languages.language_of(app))
            blocked = security.protect(page, security.SEARCH_POLICY if pagename == "search" else security.POLICY)
            if blocked:
                logger.warning(f"the page carries script the site's policy blocks ({blocked!r}) — pages run only "
                               "the site's own scripts; remove it", location=pagename, type="wpsr", subtype="csp")
            if page.stat().st_size > MAX_PAGE_BYTES:
                logger.warning(f"the page is {page.stat().st_size:,} bytes of HTML, over the limit of "
                               f"{MAX_PAGE_BYTES:,} — split it, or show less of its data (a table's download "
                               "carries all of it)", location=pagename, type="wpsr", subtype="size")
        if app.builder.name == "html":  # the site's downloads (the single page is only printed to the PDF)
            _publish_downloads(app)


def _publish_downloads(app: Sphinx) -> None:
    """Each contribution's files, the calendar's, and data/ with its descriptor."""
    _publish_contribution_files(app)
    calendars = getattr(app.env, "wpsr_dated_pages", set())  # the pages with the calendar directive
    if calendars & app.wpsr_written or not (Path(app.outdir) / annexes.CALENDAR_DIR).is_dir():
        annexes.ics_files(Path(app.outdir))
    package = data.package()
    target = Path(app.outdir) / "data"
    target.mkdir(exist_ok=True)
    for path in [package.path, *(r.path for r in package.resources.values())]:
        copy = target / path.name
        content = path.read_bytes()
        if path.suffix == ".csv":  # as a spreadsheet opens it: no cell runs as a formula
            content = safe_csv(content.decode("utf-8")).encode("utf-8")
        if not copy.is_file() or copy.read_bytes() != content:
            copy.write_bytes(content)


def _publish_contribution_files(app: Sphinx) -> None:
    """Each contribution's notebook (with its outputs), source and BibTeX entry, without private
    fields: for the contribution pages written in this build, and any whose files are missing."""
    import jupytext

    edition = edition_built(app)
    target = Path(app.outdir) / pages.DOWNLOADS
    target.mkdir(exist_ok=True)
    for c in contributions.published(lambda docname: docname in app.wpsr_written or not all(
            (target / f"{docname.rpartition('/')[2]}{suffix}").is_file() for suffix in (".md", ".ipynb", ".bib"))):
        text = c.public_text()
        (target / f"{c.slug}.md").write_text(text, encoding="utf-8")
        copied = Path(app.outdir) / "_sources" / f"{c.docname}.md"
        if copied.exists():
            copied.write_text(text, encoding="utf-8")  # the theme's download button serves this copy
        notebook = _with_outputs(app, jupytext.reads(text, fmt="md:myst"))
        jupytext.write(notebook, target / f"{c.slug}.ipynb", fmt="ipynb")
        url = pages.contribution_url(app, c.docname)
        (target / f"{c.slug}.bib").write_text(contributions.bibtex(c, edition, url) + "\n", encoding="utf-8")


def _with_outputs(app: Sphinx, notebook: Any) -> Any:
    """The notebook with the outputs of its last execution, from the execution cache, each cell
    named by its place (nbformat names a new cell at random: the same source made another file)."""
    from jupyter_cache import get_cache

    with contextlib.suppress(KeyError, OSError, ValueError):
        notebook = get_cache(app.wpsr_tracker.cache_dir).merge_match_into_notebook(notebook)[1]
    for number, cell in enumerate(notebook.cells, 1):
        cell.id = f"cell-{number}"
    return notebook


# --- directives -------------------------------------------------------------------

class TableDirective(doctree.DataDirective):
    """A table of data/ as a page table: ``wpsr-table RESOURCE`` with ``:columns: a, b``, ``:where:
    column = value; …`` (as ``{wpsr-figure}`` reads it; a problem is a located warning) and ``:caption:``."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"columns": directives.unchanged, "where": directives.unchanged,
                   "caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        import pandas as pd

        from wpsr import declared  # the columns and the filter, as {wpsr-figure} reads and checks them

        chosen = {k: v or "" for k, v in self.options.items() if k in ("columns", "where")}
        found = declared.problems(self.arguments[0], chosen, kind="table")
        if found:
            for what, how in found:
                logger.warning(f"{{wpsr-table}} {what} — {how}", location=(self.env.docname, self.lineno),
                               type="wpsr", subtype="declared")
            return []
        resource = self.resource(self.arguments[0])
        frame = declared.select(resource.load(), chosen.get("where", ""))
        columns = declared.columns_of("table", chosen, frame)
        titles = {f.name: f.title for f in resource.fields}
        block = doctree.table(self.options.get("caption", resource.title),
                              [titles.get(c, c).replace("_", " ").capitalize() for c in columns],
                              [["" if pd.isna(v) else _text(v) for v in record]
                               for record in frame[columns].head(MAX_TABLE_ROWS).itertuples(index=False)])
        download = self.site_uri(f"data/{resource.path.name}")
        shown = (f"The first {MAX_TABLE_ROWS:,} of {len(frame):,} rows are shown; the download has them all. "
                 if len(frame) > MAX_TABLE_ROWS else "")
        note = doctree.paragraph(f"{shown}Source: {resource.citation()} ",
                                 doctree.link(f"Download the dataset ({resource.path.name})", download),
                                 classes=["wpsr-source"])
        return [block, note]


def _text(value: Any) -> str:
    return value.date().isoformat() if hasattr(value, "date") and hasattr(value, "hour") else str(value)


class DatasetsDirective(doctree.DataDirective):
    """Every dataset of the data package with its source, licence, provenance and a download."""

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        language = self.config.language or "en"
        _ = interface(language)
        for name in data.package().resources:
            resource = self.resource(name)
            out.append(nodes.rubric(text=resource.title, ids=[f"dataset-{name}"]))
            fields = nodes.field_list()
            items = [
                ("Download", [doctree.link(resource.path.name, self.site_uri(f"data/{resource.path.name}")),
                              f" (CSV, {resource.path.stat().st_size:,} bytes)"]),
                ("Description", [resource.descriptor.get("description", "")]),
                *[("Source", [f"{s['publisher']} ({s['year']}). {s['title']}"
                              + (f", {s['locator']}" if s.get("locator") else "") + ". ",
                              doctree.link(s["path"], s["path"]) if s.get("path") else s.get("wpsr:own", "")])
                  for s in resource.sources],
                *[("Licence", [doctree.link(lic.get("title", lic["name"]), lic["path"])])
                  for lic in resource.licenses],
                ("How obtained", [resource.descriptor.get("wpsr:obtained", "")]),
                ("As of", [f"{resource.age.shown}; the source publishes "
                           f"{data.CADENCES[resource.age.cadence]}"]),
                ("Next expected update", [self.next_update(resource.age)]),
                *([(_("Last checked"), [long_date(resource.age.checked, language)])] if resource.age.checked else []),
                ("Columns", [", ".join(f"{f.name} ({f.type})" for f in resource.fields)]),
            ]
            derived = resource.descriptor.get("wpsr:derivedFrom")
            if derived:
                items.append(("Derived from", [f"{derived['package']} {derived['version']} "
                                               f"(rerun with {derived['command']})"]))
            for label, parts in items:
                field = nodes.field()
                field += nodes.field_name(text=label)
                field += nodes.field_body("", doctree.paragraph(*parts))
                fields += field
            out.append(fields)
        return out

    def next_update(self, age: data.Age) -> str:
        """When the source's next edition is expected and, once that day has come, what the last check found
        (the page is read again when the day of the build changes)."""
        language = self.config.language or "en"
        if age.next_release is None:
            return interface(language)("None: the source will not publish another edition.")
        self.env.wpsr_dated_pages = {*getattr(self.env, "wpsr_dated_pages", set()), self.env.docname}
        self.env.wpsr_build_day = data.today()
        note = age.note(data.today(), language)
        return long_date(age.next_release, language) + (f". {note}" if note else "")


class CitationDirective(SphinxDirective):
    """How to cite the edition being built."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(Path(self.env.srcdir) / "editions.yaml"))
        block = nodes.literal_block(text=edition_built(self.env.app).citation(), classes=["wpsr-citation"])
        block["language"] = "text"
        return [block]


def _require_output_gate() -> None:
    """Cell outputs pass wpsr's gate only if myst-nb finds it among its MIME render plugins."""
    from myst_nb.core.render import load_mime_renders

    from wpsr.sphinx_ext.outputs import SafeOutputs

    if not any(plugin is SafeOutputs for plugin in load_mime_renders()):
        raise ContributionError("wpsr's gate for cell outputs is not registered with myst-nb — reinstall the "
                                "toolkit (`pip install --no-deps -e .`, which `make html` does)")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _configure)
    app.connect("config-inited", _exclude_pages_not_in_toc)
    app.add_event("wpsr-build-started")  # as the builder is made, and as a kept application builds again
    app.connect("builder-inited", lambda app: app.emit("wpsr-build-started"))
    app.connect("wpsr-build-started", _validate_data)
    app.connect("wpsr-build-started", _check_contributions)
    app.connect("wpsr-build-started", _start)
    app.connect("env-get-outdated", _outdated)
    app.connect("html-page-context", _page_scripts)
    app.connect("build-finished", _finish)
    app.connect("build-finished", _forget_book, priority=999)
    app.add_css_file("wpsr.css")
    app.add_js_file("wpsr-page.js", loading_method="defer")  # binds the print button (no inline handler)
    app.connect("doctree-resolved", _drop_thebe, priority=900)
    app.add_config_value("wpsr_preview", False, "", bool)  # drafts built, their problems on their pages
    app.add_config_value("wpsr_watched", False, "", bool)  # a preview rebuilt after each save, its page reloaded
    app.add_config_value("wpsr_checked", False, "", bool)  # data (strict: contributions) checked before Sphinx
    app.add_config_value("wpsr_edition", "", "env", str)  # an id from editions.yaml; "" for the newest
    app.add_config_value("wpsr_site", False, "html", bool)  # a published, versioned site: the editions menu
    app.add_config_value("wpsr_previous_manifest", "", "env", str)  # what "What changed" compares with
    app.wpsr_log = BuildLog.attach(app)
    app.add_directive("wpsr-table", TableDirective)
    app.add_directive("wpsr-datasets", DatasetsDirective)
    app.add_directive("wpsr-citation", CitationDirective)
    app.add_directive("wpsr-checklist", annexes.ChecklistDirective)
    app.add_directive("wpsr-changes", changes.ChangesDirective)
    app.add_directive("wpsr-calendar", annexes.CalendarDirective)
    app.add_directive("wpsr-uptake", annexes.UptakeDirective)
    _require_output_gate()
    gate.setup(app)
    execution.setup(app)
    pages.setup(app)
    webpage.setup(app)
    languages.setup(app)
    passages.setup(app)
    theme.setup(app)
    figures.setup(app)
    figure_pages.setup(app)
    data_words.setup(app)
    declared.setup(app)
    search.setup(app)
    fonts.setup(app)
    # Neither reading nor writing is safe in parallel: reading records each notebook's dependencies
    # (``app.wpsr_tracker``), and writing the pages it wrote (``app.wpsr_written``, which the policy
    # check and the downloads at the end go through), in this process; Sphinx's forked readers and
    # writers would lose them, and nothing merges them back. Notebooks run in parallel anyway, before
    # reading (``execution.execute_ahead``), and they are what takes the time.
    return {"version": "0.1", "parallel_read_safe": False, "parallel_write_safe": False}
