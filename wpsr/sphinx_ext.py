"""The Sphinx side of wpsr: a thin adapter over the data, chart and edition modules.

- validates the data package before anything is read, so a broken CSV stops the build
  with ``path:line: field: what — how`` and nothing else;
- re-executes exactly the notebooks whose datasets or whose ``wpsr`` code changed
  (jupyter-cache alone hashes only code cells, and would publish stale figures);
- serves the chart runtime (vega, from ``node_modules``) from the site itself;
  pages with charts run it only when the reader touches a chart (``wpsr-charts.js``);
- renders tables of ``data/`` into pages (``wpsr-table``), lists every dataset
  (``wpsr-datasets``) and the citation of the edition (``wpsr-citation``);
- checks the contributions (``wpsr check``) before anything is read, and registers the pages
  built from data and metadata (``wpsr.pages``, ``wpsr.annexes``, ``wpsr.changes``);
- names the edition on every page, and in a published site adds the edition menu;
- copies ``data/`` into the site, with each contribution's downloads and the calendar's .ics files.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from wpsr import annexes, changes, contributions, data, doctree, pages, processes, webpage
from wpsr.book import BOOK_ROOT_ENV
from wpsr.editions import SITE_BUILD_ENV, current_edition

logger = logging.getLogger(__name__)
PACKAGE_DIR = Path(__file__).parent
VENDOR_FILES = {  # the chart runtime, served as _static/wpsr-vendor/NAME and loaded in this order
    "vega.min.js": "vega/build/vega.min.js",  # charts arrive compiled to Vega: no vega-lite in the browser
}
CHART_SCRIPT = "wpsr-charts.js"  # fetches the runtime as a chart nears, runs it when one is touched
STATE_FILE = "wpsr-dependencies.json"


class DataPackageError(SphinxError):
    category = "Invalid data"


class ContributionError(SphinxError):
    category = "Contributions break the specification"


# --- setup: paths, data validation, vendor files -----------------------------------

def _configure(app: Sphinx, config: Any) -> None:
    os.environ[BOOK_ROOT_ENV] = str(Path(app.srcdir).resolve())
    staging = Path(app.outdir).parent / ".wpsr-static"
    vendor = staging / "wpsr-vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    modules = Path(app.srcdir) / "node_modules"
    for name, relative in VENDOR_FILES.items():
        source = modules / relative
        if not source.is_file():
            raise DataPackageError(f"{source} is missing — run `npm ci` in {app.srcdir} "
                                   "(`make html` does this)")
        if not (vendor / name).is_file() or (vendor / name).read_bytes() != source.read_bytes():
            shutil.copyfile(source, vendor / name)
    config.html_static_path = [*config.html_static_path, str(PACKAGE_DIR / "static"), str(staging)]
    config.templates_path = [str(PACKAGE_DIR / "templates"), *config.templates_path]
    config.html_favicon = config.html_favicon or str(PACKAGE_DIR / "static" / "favicon.svg")
    config.html_context = {"default_mode": "light", **config.html_context}
    edition = current_edition()
    config.html_baseurl = os.environ.get("WPSR_BASE_URL", config.html_baseurl)
    config.html_theme_options = {**config.html_theme_options, "extra_footer": html.escape(
        f"This page is part of edition {edition.id} ({edition.date.isoformat()}, {edition.status}). Cite as: "
        + edition.citation())}
    config.myst_substitutions = {**config.myst_substitutions, "edition": edition.id,
                                 "edition_date": edition.date.isoformat(),
                                 "edition_status": edition.status}


def _validate_data(app: Sphinx) -> None:
    try:
        problems = data.package().validate()
    except data.DataError as err:
        problems = err.problems
    if problems:
        raise DataPackageError("the data in data/ breaks its schema:\n" + "\n".join(map(str, problems)))


def _check_contributions(app: Sphinx) -> None:
    from wpsr.checker import check

    findings = check()
    for finding in findings:
        if finding.severity == "warning":
            logger.info(f"[wpsr check] {finding}")  # advice: it does not fail the strict build
    errors = [str(f) for f in findings if f.severity == "error"]
    if errors:
        raise ContributionError("run `wpsr check` after fixing:\n" + "\n".join(errors))


# --- notebooks re-run when what they read changes -----------------------------------

def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class DependencyTracker:
    """Which files each executed notebook read, and whether they changed since."""

    def __init__(self, app: Sphinx):
        self.root = Path(app.srcdir).resolve()
        self.cache_dir = Path(app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
        self.logs = self.cache_dir / "wpsr-logs"
        self.state_path = self.cache_dir / STATE_FILE
        try:
            self.state: dict[str, dict] = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}
        self.started: dict[str, float] = {}
        self.stale = [doc for doc, rec in self.state.items()
                      if any(_digest(self.root / p) != h for p, h in rec["files"].items())]
        if self.stale:
            self._forget_cached([str(self.root / self.state[doc]["source"]) for doc in self.stale])
            logger.info(f"[wpsr] data or wpsr changed: re-executing {', '.join(sorted(self.stale))}")

    def _forget_cached(self, sources: list[str]) -> None:
        """Drop these notebooks' cached outputs, matched by path or by their code."""
        if not (self.cache_dir / "global.db").exists():
            return
        import jupytext
        from jupyter_cache import get_cache

        cache = get_cache(self.cache_dir)
        wanted = {str(Path(s).resolve()) for s in sources}
        stale = {r.pk for r in cache.list_cache_records() if str(Path(r.uri).resolve()) in wanted}
        for source in sources:
            with contextlib.suppress(KeyError, OSError, ValueError):
                stale.add(cache.match_cache_notebook(jupytext.read(source)).pk)
        for pk in stale:
            cache.remove_cache(pk)

    def log_path(self, docname: str) -> Path:
        return self.logs / (docname.replace("/", "__") + ".log")

    def before_read(self, docname: str) -> None:
        log = self.log_path(docname)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.unlink(missing_ok=True)
        os.environ[data.DEPENDENCY_LOG_ENV] = f"{os.getpid()}:{log}"
        self.started[docname] = time.time()

    def after_read(self, env: Any, docname: str) -> None:
        from myst_nb.sphinx_ import NbMetadataCollector

        os.environ.pop(data.DEPENDENCY_LOG_ENV, None)
        exec_data = NbMetadataCollector.get_exec_data(env, docname)
        log = self.log_path(docname)
        if not exec_data or exec_data.get("mtime", 0) < self.started.get(docname, 0) - 1:
            return  # not a notebook, or its outputs came from the cache
        files = {self._relative(p) for p in log.read_text(encoding="utf-8").split()} if log.exists() else set()
        self.state[docname] = {"source": self._relative(env.doc2path(docname)),
                               "files": {p: _digest(self.root / p) for p in sorted(files)}}

    def _relative(self, path: str | Path) -> str:
        """Paths inside the book are kept relative to it, so a copied book stays correct."""
        path = Path(path).resolve()
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps(self.state, indent=1, sort_keys=True), encoding="utf-8")


def _start_tracking(app: Sphinx) -> None:
    app.wpsr_tracker = DependencyTracker(app)


def _outdated(app: Sphinx, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """Notebooks whose data changed, and pages that say what is next if the day has changed."""
    dated = getattr(env, "wpsr_dated_pages", set()) if getattr(env, "wpsr_build_day", None) != \
        processes.build_day() else set()
    return [doc for doc in [*app.wpsr_tracker.stale, *sorted(dated)] if doc in env.all_docs]


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    app.wpsr_tracker.before_read(docname)


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    app.wpsr_tracker.after_read(app.env, app.env.docname)


# --- pages ------------------------------------------------------------------------

def _page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Name the edition (and mark a draft) on every page; load our scripts only where they have work."""
    edition = current_edition()
    context["metatags"] = context.get("metatags", "") + (
        f'<meta name="wpsr-edition" content="{html.escape(edition.id)}" data-status="{edition.status}">')
    if edition.status == "draft" and context.get("body"):
        context["body"] = (f'<div class="wpsr-banner wpsr-banner-draft" role="note">This is a draft of edition '
                           f'{html.escape(edition.id)}, not yet published.</div>') + context["body"]
    body = context.get("body") or ""
    scripts = {"wpsr-checklist-tools": "wpsr-checklist.js", "wpsr-calendar-filters": "wpsr-calendar.js"}
    for marker, script in scripts.items():
        if marker in body:
            app.add_js_file(script, priority=950, loading_method="defer")
    if 'class="wpsr-chart"' in body:
        app.add_js_file(CHART_SCRIPT, priority=900, loading_method="defer",
                        **{"data-runtime": " ".join(f"wpsr-vendor/{name}" for name in VENDOR_FILES)})


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if hasattr(app, "wpsr_tracker"):
        app.wpsr_tracker.save()
    if exception is not None or app._warncount:
        # Sphinx would not re-read a page whose warning failed this build, and the next
        # incremental build would pass: forget the environment so every page is read again.
        (Path(app.doctreedir) / "environment.pickle").unlink(missing_ok=True)
    if exception is None and app.builder.format == "html":
        _publish_contribution_files(app)
        annexes.ics_files(Path(app.outdir))
        package = data.package()
        target = Path(app.outdir) / "data"
        target.mkdir(exist_ok=True)
        for path in [package.path, *(r.path for r in package.resources.values())]:
            shutil.copyfile(path, target / path.name)


def _publish_contribution_files(app: Sphinx) -> None:
    """Each contribution's notebook (with its outputs), source and BibTeX entry, without private fields."""
    import jupytext

    edition = current_edition()
    target = Path(app.outdir) / pages.DOWNLOADS
    target.mkdir(exist_ok=True)
    for c in contributions.published():
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
    """The notebook with the outputs of its last execution, from the execution cache."""
    from jupyter_cache import get_cache

    with contextlib.suppress(KeyError, OSError, ValueError):
        return get_cache(app.wpsr_tracker.cache_dir).merge_match_into_notebook(notebook)[1]
    return notebook


# --- directives -------------------------------------------------------------------

class TableDirective(doctree.DataDirective):
    """A table of data/ as a page table: ``wpsr-table RESOURCE`` with
    ``:columns: a, b``, ``:where: column=value`` and ``:caption:``."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"columns": directives.unchanged, "where": directives.unchanged,
                   "caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        resource = self.resource(self.arguments[0])
        frame = resource.load()
        if "where" in self.options:
            column, _, value = self.options["where"].partition("=")
            frame = frame[frame[column.strip()].astype("string") == value.strip()]
        columns = [c.strip() for c in self.options.get("columns", ",".join(frame.columns)).split(",")]
        titles = {f.name: f.title for f in resource.fields}
        block = doctree.table(self.options.get("caption", resource.title),
                              [titles.get(c, c).replace("_", " ").capitalize() for c in columns],
                              [["" if pd.isna(v) else _text(v) for v in record]
                               for record in frame[columns].itertuples(index=False)])
        download = self.site_uri(f"data/{resource.path.name}")
        note = doctree.paragraph(f"Source: {resource.citation()} ",
                                 doctree.link(f"Download the dataset ({resource.path.name})", download),
                                 classes=["wpsr-source"])
        return [block, note]


def _text(value: Any) -> str:
    return value.date().isoformat() if hasattr(value, "date") and hasattr(value, "hour") else str(value)


class DatasetsDirective(doctree.DataDirective):
    """Every dataset of the data package with its source, licence, provenance and a download."""

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
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
                              doctree.link(s["path"], s["path"])]) for s in resource.sources],
                *[("Licence", [doctree.link(lic.get("title", lic["name"]), lic["path"])])
                  for lic in resource.licenses],
                ("How obtained", [resource.descriptor.get("wpsr:obtained", "")]),
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


class CitationDirective(SphinxDirective):
    """How to cite the edition being built."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(Path(self.env.srcdir) / "editions.yaml"))
        block = nodes.literal_block(text=current_edition().citation(), classes=["wpsr-citation"])
        block["language"] = "text"
        return [block]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _validate_data)
    app.connect("builder-inited", _check_contributions)
    app.connect("builder-inited", _start_tracking)
    app.connect("env-get-outdated", _outdated)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read, priority=300)
    app.connect("html-page-context", _page_scripts)
    app.connect("build-finished", _finish)
    app.add_css_file("wpsr.css")
    if os.environ.get(SITE_BUILD_ENV):  # only a published site has the switcher.json the menu reads
        app.add_js_file("wpsr-editions.js", loading_method="defer")
    app.add_directive("wpsr-table", TableDirective)
    app.add_directive("wpsr-datasets", DatasetsDirective)
    app.add_directive("wpsr-citation", CitationDirective)
    app.add_directive("wpsr-checklist", annexes.ChecklistDirective)
    app.add_directive("wpsr-changes", changes.ChangesDirective)
    app.add_directive("wpsr-calendar", annexes.CalendarDirective)
    pages.setup(app)
    webpage.setup(app)
    return {"version": "0.1", "parallel_read_safe": False, "parallel_write_safe": True}
