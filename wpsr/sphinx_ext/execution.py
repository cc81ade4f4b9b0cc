"""Notebook execution: re-run exactly the notebooks whose data or ``wpsr`` code changed, and run
them on every core.

- jupyter-cache alone hashes only code cells, and would publish stale figures: each executed
  notebook logs the files it read (``wpsr.load`` writes them to ``$WPSR_DEPENDENCY_LOG``), and a
  notebook is executed again when one of them changes (``DependencyTracker``);
- myst-nb executes notebooks one at a time as it reads them, each in a new kernel. Before reading,
  the notebooks the cache cannot answer are executed side by side, one warm worker per core, each
  notebook in a child of its worker (``wpsr.warm``: the toolkit is imported once per worker, not
  once per notebook, and nothing leaks between notebooks), into the same cache (``execute_ahead``);
  myst-nb then finds their outputs there. A cell that raises or runs past the time-out stops the
  build before any page is read (``NotebookFailed``): its file, line, number and error, with the
  traceback. Only if a worker itself dies is the notebook left to myst-nb, which executes it again.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from wpsr import data, warm
from wpsr.build import Stopped
from wpsr.problems import Problem, display

logger = logging.getLogger(__name__)
STATE_FILE = "wpsr-dependencies.json"
# The contributions and pages whose notebooks the last build in this process executed (paths in the
# book): what a preview ran on the author's machine, which the command line says after the build.
LAST_EXECUTED: set[str] = set()


class NotebookFailed(Stopped):
    """Notebooks whose execution failed: each failing code cell, located."""


def failure_problem(path: Path, failure: warm.Failure) -> Problem:
    """A failed notebook as a located problem: the file, its cell's first line of code, the cell's number."""
    from wpsr.body import code_cells

    cells = code_cells(path.read_text(encoding="utf-8", errors="replace"))
    line = cells[failure.cell - 1][0] if failure.cell and failure.cell <= len(cells) else None
    cell = f"code cell {failure.cell}" if failure.cell else "the notebook"
    if failure.error.startswith("timed out"):
        return Problem(display(path), line, f"{cell} ran past the time-out ({failure.error})",
                       "make it faster, or raise `execute: timeout:` in _config.yml")
    return Problem(display(path), line, f"{cell} raised {failure.error}", "fix the cell, or the data it reads")


@functools.lru_cache(maxsize=4096)
def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class DependencyTracker:
    """Which files each executed notebook read, and whether they changed since."""

    def __init__(self, app: Sphinx):
        _digest.cache_clear()
        self.root = Path(app.srcdir).resolve()
        self.cache_dir = Path(app.config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
        self.logs = self.cache_dir / "wpsr-logs"
        self.state_path = self.cache_dir / STATE_FILE
        self.load()
        self.started: dict[str, float] = {}
        LAST_EXECUTED.clear()
        self.executed_ahead: set[str] = set()
        # a translation beside English: what it asks whether English has executed the notebooks (as
        # `wpsr.build.build` takes it), the notebooks it waits to read, and whether English has
        self.english: Callable[..., bool | None] | None = None
        self.waiting_for: set[str] = set()
        self.english_executed = False
        self.stale = [doc for doc, rec in self.state.items()
                      if any(_digest(self.root / p) != h for p, h in rec["files"].items())]

    def load(self) -> None:
        """Read the state: what each executed notebook read (by English's build beside a translation,
        once it has executed them)."""
        try:
            self.state: dict[str, dict] = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}
        self.saved = copy.deepcopy(self.state)  # as read: written again only if changed

    def forget_stale(self) -> None:
        """Drop the cached outputs of the notebooks whose data or ``wpsr`` code changed, so they are
        executed again (by the build that executes: not by a translation beside English)."""
        if self.stale:
            self._forget_cached([str(self.root / self.state[doc]["source"]) for doc in self.stale])
            logger.info(f"[wpsr] data or wpsr changed: re-executing {', '.join(sorted(self.stale))}",
                        type="wpsr", subtype="progress")

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

    def log_env(self, docname: str) -> str:
        """The value of $WPSR_DEPENDENCY_LOG for a kernel executing this page (its log emptied)."""
        log = self.log_path(docname)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.unlink(missing_ok=True)
        return f"{os.getpid()}:{log}"

    def before_read(self, docname: str) -> None:
        if docname not in self.executed_ahead and self.english is None:  # English logs what its notebooks read
            os.environ[data.DEPENDENCY_LOG_ENV] = self.log_env(docname)
            self.started[docname] = time.time()

    def after_read(self, env: Any, docname: str) -> None:
        from myst_nb.sphinx_ import NbMetadataCollector

        os.environ.pop(data.DEPENDENCY_LOG_ENV, None)
        if docname in self.executed_ahead or self.english is not None:
            return
        exec_data = NbMetadataCollector.get_exec_data(env, docname)
        if not exec_data or exec_data.get("mtime", 0) < self.started.get(docname, 0) - 1:
            return  # not a notebook, or its outputs came from the cache
        self.record(docname, env.doc2path(docname))

    def record(self, docname: str, source: str | Path) -> None:
        """Note the files this page's notebook read as it was executed."""
        log = self.log_path(docname)
        files = {self._relative(p) for p in log.read_text(encoding="utf-8").split()} if log.exists() else set()
        self.state[docname] = {"source": self._relative(source),
                               "files": {p: _digest(self.root / p) for p in sorted(files)}}
        LAST_EXECUTED.add(self.state[docname]["source"])

    def _relative(self, path: str | Path) -> str:
        """Paths inside the book are kept relative to it, so a copied book stays correct."""
        path = Path(path).resolve()
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def save(self) -> None:
        """Write the state if this build changed it (a translation's build, which executes nothing,
        leaves what English's, running beside it, writes), whole or not at all."""
        if self.state == self.saved:
            return
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.state_path.with_name(f"{STATE_FILE}.{os.getpid()}.partial")
        partial.write_text(json.dumps(self.state, indent=1, sort_keys=True), encoding="utf-8")
        partial.replace(self.state_path)


def execute_ahead(app: Sphinx, env: Any, docnames: list[str]) -> None:
    """Execute, one kernel per core, the notebooks about to be read that the cache cannot answer,
    and save what each read at once (a translation beside English reads it to link each page's data).
    A translation beside English (``app.wpsr_wait_for_notebooks``) executes none: it reads its
    other pages first, and waits for English to have executed them before reading the first one."""
    tracker: DependencyTracker = app.wpsr_tracker
    readers = {docname: _reader(env, docname) for docname in docnames}
    tracker.english = getattr(app, "wpsr_wait_for_notebooks", None)
    if tracker.english is not None:
        tracker.waiting_for = {docname for docname, found in readers.items() if found}
        docnames.sort(key=lambda docname: docname in tracker.waiting_for)  # stable: pages, then notebooks
        return
    tracker.forget_stale()
    try:
        _execute_ahead(app, env, tracker, readers)
    finally:  # what the notebooks read, for the translations beside English to read as they go on
        tracker.save()


def _execute_ahead(app: Sphinx, env: Any, tracker: DependencyTracker,
                   readers: dict[str, tuple[Path, str, Any] | None]) -> None:
    config = env.mystnb_config
    if config.execution_mode != "cache":
        return
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(config.execution_cache_path or tracker.cache_dir)
    todo, twins = [], {}  # notebooks with the same code are executed once: the cache answers the others
    for docname, found in readers.items():
        if found is None:
            continue  # a page, not a notebook
        path, text, reader = found
        notebook = reader.read(text)
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            code = cache.create_hashed_notebook(notebook)[1]
            if code in twins:
                twins[code].append(docname)
            else:
                twins[code] = []
                todo.append((docname, path, reader.read_fmt, notebook, twins[code]))
    if not todo:
        return
    workers = min(os.cpu_count() or 1, len(todo))
    logger.info(f"[wpsr] executing {len(todo)} notebook(s), {workers} at a time", type="wpsr", subtype="progress")
    for _, path, _, _, _ in todo:
        logger.info(f"  {display(path)}: Executing notebook", type="wpsr", subtype="progress")
    started, failed, details = time.perf_counter(), [], []
    with ProcessPoolExecutor(workers, mp_context=warm.start_method(),
                             initializer=warm.warm_up) as pool:  # warm workers: the toolkit imported once each
        running = {pool.submit(warm.run, notebook, str(path.parent), config.execution_timeout,
                               {data.DEPENDENCY_LOG_ENV: tracker.log_env(docname)}): (docname, path, read_fmt, same)
                   for docname, path, read_fmt, notebook, same in todo}
        for future, (docname, path, read_fmt, same) in running.items():
            try:
                executed, seconds, failure = future.result()
            except Exception as err:  # a worker that died: myst-nb executes it instead, and reports
                logger.info(f"[wpsr] {docname}: its worker died ({type(err).__name__}); myst-nb executes it")
                continue
            if failure:
                failed.append(failure_problem(path, failure))
                details.append(f"{failed[-1].path}, code cell {failure.cell}:\n{failure.traceback}".rstrip())
                continue
            stage = cache.add_nb_to_project(str(path), read_data=read_fmt)
            cache.cache_notebook_bundle(CacheBundleIn(executed, stage.uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            for each in [docname, *same]:
                if each != docname and tracker.log_path(docname).is_file():
                    shutil.copyfile(tracker.log_path(docname), tracker.log_path(each))
                tracker.record(each, env.doc2path(each))
                tracker.executed_ahead.add(each)
    app.wpsr_execution_seconds = time.perf_counter() - started
    logger.info(f"[wpsr] executed {len(todo)} notebook(s) in {app.wpsr_execution_seconds:.1f} s",
                type="wpsr", subtype="progress")
    if failed:
        raise NotebookFailed("a notebook's code failed", failed, "\n\n".join(details))


def _reader(env: Any, docname: str) -> tuple[Path, str, Any] | None:
    """A page's path, text and myst-nb notebook reader; None if the page is not a notebook."""
    from myst_nb.core.read import create_nb_reader

    path = Path(env.doc2path(docname))
    text = path.read_text(encoding="utf-8", errors="replace")
    reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
    return None if reader is None else (path, text, reader)


def _start(app: Sphinx) -> None:
    app.wpsr_tracker = DependencyTracker(app)


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    """In a translation beside English: before a notebook, wait for English to have executed them;
    before any page, stop if English has failed."""
    tracker: DependencyTracker = app.wpsr_tracker
    if tracker.english is not None and not tracker.english_executed:
        executed = tracker.english(block=docname in tracker.waiting_for)
        if executed is False:
            raise Stopped("English's build failed", [Problem("", None, "English's build failed before the notebooks "
                                                             "were executed", "its own output says why")])
        if executed:  # what each notebook read, as English recorded it on executing them (its data links)
            tracker.english_executed = True
            tracker.load()
    tracker.before_read(docname)


def _doctree_read(app: Sphinx, doctree: Any) -> None:
    app.wpsr_tracker.after_read(app.env, app.env.docname)


def setup(app: Sphinx) -> None:
    app.connect("wpsr-build-started", _start)
    app.connect("env-before-read-docs", execute_ahead)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read, priority=300)
