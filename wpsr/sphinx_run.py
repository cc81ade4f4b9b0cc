"""One run of Sphinx for `wpsr.build.build`: the application made (or taken from a watched preview),
its log caught, and what it did written into the build's ``Result``."""

from __future__ import annotations

import contextlib
import gettext
import io
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wpsr import kept_app
from wpsr.build import BuildLog, Progress, Result, Settings, Stopped, preload
from wpsr.problems import Problem


def run_sphinx(root: Path, settings: Settings, result: Result, progress: Progress,
               executed: Callable[[], object], wait_for_notebooks: Callable[..., bool | None] | None = None) -> None:
    """Sphinx's build for `wpsr.build.build`, into ``result``: with a new application, or the one a
    watched preview kept (``wpsr.kept_app``); what it read, wrote, executed and warned of, and when.
    ``executed`` and ``wait_for_notebooks``: as `wpsr.build.build` takes them."""
    from jupyter_book.config import get_final_config
    from sphinx import locale
    from sphinx.application import Sphinx
    from sphinx.util import logging as sphinx_logging
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    from wpsr.sphinx_ext.execution import LAST_EXECUTED

    preload(root)  # a11y_pygments before the theme imports it as the build ends; then out of the collector's walks

    overrides, _ = get_final_config(user_yaml=root / "_config.yml", sourcedir=root, use_external_toc=True,
                                    cli_config=settings.overrides(root))
    quiet = io.StringIO()  # Sphinx's printed log: the result carries what matters
    out = sys.stdout if settings.verbose else quiet
    app, listeners = None, []
    marks = {"start": time.perf_counter()}
    key = kept_app.key_of(root, settings, overrides)
    kept = kept_app.take(key if settings.keep else None)
    registry = kept.registry if kept else contextlib.ExitStack()
    # Sphinx keeps each catalog's translator for the life of the process, keyed by the catalog's name
    # alone, and adds a later language's (or a catalog's saved again) behind it: a second build in
    # this process (the tests, `wpsr serve --watch`) would be given the first one's words. A new
    # application starts afresh; a kept one forgets its pages' catalogs only (Sphinx's, the theme's
    # and the extensions' were set up as it was made).
    pages = set(kept.app.env.found_docs) if kept else set()
    for name in [n for n in locale.translators if not kept or n[1] in pages]:
        del locale.translators[name]
    for read in [r for r in gettext._translations if Path(r[1]).is_relative_to(root / "locales")]:
        del gettext._translations[read]  # Python's own cache of the catalogs it read, which a save changed
    try:
        if kept:  # a preview's next build: the application it kept, its per-build state made afresh
            app = kept.app
            app.statuscode, app._warncount = 0, 0
            sphinx_logging.setup(app, out, out)
            app.wpsr_log = BuildLog.attach(app)
            app.emit("wpsr-build-started")
        else:
            registry.enter_context(patch_docutils(None))
            registry.enter_context(docutils_namespace())
            app = Sphinx(srcdir=root, confdir=None, outdir=settings.output(root),
                         doctreedir=settings.doctrees(root), buildername=settings.builder,
                         confoverrides=overrides, status=out, warning=out, freshenv=settings.fresh,
                         warningiserror=settings.strict, keep_going=True)
        app.wpsr_wait_for_notebooks = wait_for_notebooks
        log: BuildLog = app.wpsr_log
        log.listener = progress
        for message in log.seen:
            progress(message)
        if app.builder.name == "singlehtml":
            app.set_html_assets_policy("always")

        def read(_app: Any, docname: str, _source: list[str]) -> None:
            result.pages_read.append(docname)
            progress(f"  reading {docname}")

        def mark(name: str) -> Callable[..., None]:
            return lambda *_: marks.setdefault(name, time.perf_counter()) and None

        listeners = [app.connect("source-read", read),
                     app.connect("env-before-read-docs", mark("read"), priority=100),
                     app.connect("env-before-read-docs", lambda *_: executed() and None, priority=900),
                     app.connect("env-updated", mark("write"))]
        app.build(force_all=settings.fresh)
        result.ok = app.statuscode == 0
    except Stopped as err:
        result.problems, result.detail = err.problems, err.detail
    except Exception as err:  # Sphinx's own errors, and faults in an extension: said, with the traceback
        where = getattr(err, "category", None) or type(err).__name__
        result.problems = [Problem("", None, f"{where}: {err}", "the traceback is in the result's detail")]
        result.detail = "".join(traceback.format_exception(err))
    finally:
        from wpsr.markup import speak

        speak("en")  # the templates spoke the build's language: this process goes on in English
        if app is not None:
            app.wpsr_log.detach()
            for listener in listeners:
                app.disconnect(listener)
        if app is not None and settings.keep and app.statuscode == 0 and not app._warncount and not result.problems:
            kept_app.keep(kept_app.Kept(key, app, registry))
        else:
            registry.close()
    ended = time.perf_counter()
    if app is not None:
        result.warnings = app.wpsr_log.warnings
        result.drafts = {doc: found for doc, found in getattr(app, "wpsr_findings", {}).items()
                         if any(f.severity == "error" for f in found)}
        result.pages_written = sorted(getattr(app, "wpsr_written", ()))
        result.afterwards = list(getattr(app, "wpsr_afterwards", ()))
        result.timings["execution"] = getattr(app, "wpsr_execution_seconds", 0.0)
    result.executed = sorted(LAST_EXECUTED)
    read, write = marks.get("read", ended), marks.get("write", ended)
    result.timings.update(start=read - marks["start"], reading=write - read, writing=ended - write)
    result.ok = result.ok and not result.problems
