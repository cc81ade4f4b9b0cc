"""One build of the book, run in this process, and what it did: ``build(root, Settings()) -> Result``.

The command line only prints a ``Result`` (``wpsr build``, ``wpsr serve --watch``, and ``wpsr publish``
through ``wpsr build``), and tests assert on one. Settings reach the Sphinx extension as config
values (``confoverrides``); problems come back as exceptions that carry them and as log records with
their location, caught by a handler on Sphinx's logger (``BuildLog``): nothing is read back from
printed output.

Before Sphinx starts, the edition, the pages and _toc.yml, the data (when data/ changed) and, for
a strict build, the contributions and their code review are checked (``problems_before``): a build
that cannot succeed stops in a second, without executing anything. And a build that has nothing to
do does nothing: when no input changed since the last clean build with the same settings (the
book's sources, the toolkit, the installed packages, the day), Sphinx is not even imported
(``UpToDate``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sphinx.errors import SphinxError

from wpsr import kept_app
from wpsr.book import building
from wpsr.languages import LANGUAGES
from wpsr.problems import Problem, display

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """How to build: a preview (drafts built, their problems on their pages) or strict, and for what."""

    strict: bool = False  # fail on any warning or any contribution that breaks the specification
    builder: str = "html"  # or "singlehtml", the one page the PDF is printed from
    fresh: bool = False  # read every page again
    edition: str | None = None  # an id from editions.yaml; by default the newest
    base_url: str | None = None  # the edition's address, for citations and the sitemap
    previous_manifest: Path | None = None  # the previous edition's manifest, which "What changed" compares with
    site: bool = False  # a page of a published, versioned site: with the editions menu
    verbose: bool = False  # pass Sphinx's own log on as progress
    language: str = "en"  # the language of the pages: English, or a translation from locales/
    languages: tuple[str, ...] = ()  # the languages built into the same site, which each page links
    keep: bool = False  # keep the Sphinx application for the next build (a preview: wpsr.kept_app)
    # The sources, the data and (strict) the contributions were checked by an earlier build of the
    # same run, which read the same files (the first builder's, English's beside a translation): not again.
    checked: bool = False

    def arguments(self) -> list[str]:
        """These settings as `wpsr build`'s arguments, for a build in another process."""
        named = {"--builder": self.builder, "--edition": self.edition, "--base-url": self.base_url,
                 "--previous-manifest": self.previous_manifest, "--language": self.language,
                 "--languages": ",".join(self.languages)}
        flags = {"--strict": self.strict, "--all": self.fresh, "--site": self.site, "--verbose": self.verbose}
        return [*(f for f, on in flags.items() if on), *(a for k, v in named.items() if v for a in (k, str(v)))]

    def output(self, root: Path) -> Path:
        """Where the pages go: _build/BUILDER, and a translation's in its language's folder inside."""
        folder = root / "_build" / self.builder
        return folder if self.language == "en" or self.builder == "gettext" else folder / self.language

    def doctrees(self, root: Path) -> Path:
        """Sphinx's environment: one per language (and one for extracting the messages to translate)."""
        kind = "gettext" if self.builder == "gettext" else self.language
        return root / "_build" / (".doctrees" if kind == "en" else f".doctrees-{kind}")

    def overrides(self, root: Path) -> dict[str, Any]:
        """The Sphinx configuration values these settings set. ``wpsr_checked``: `build` checks the data
        and (strict) the contributions before Sphinx starts, so the extension does not check them again."""
        values = {"external_toc_path": (root / "_toc.yml").as_posix(), "latex_individualpages": False,
                  "nitpicky": True, "wpsr_preview": not self.strict, "wpsr_checked": True, "wpsr_watched": self.keep,
                  "wpsr_edition": self.edition or "", "wpsr_site": self.site,
                  "wpsr_previous_manifest": str(self.previous_manifest or ""), "language": self.language,
                  "wpsr_languages": list(self.languages),
                  # one notebook cache for every builder and language: a translation reads what English executed
                  "nb_execution_cache_path": (root / "_build" / ".jupyter_cache").as_posix()}
        if self.base_url:  # the edition's address; a translation's pages are in its folder there
            folder = "" if self.language == "en" else f"{self.language}/"
            values["html_baseurl"] = f"{self.base_url.rstrip('/')}/{folder}"
        return values


@dataclass
class Result:
    """What a build did. ``problems`` failed it (each located); ``warnings`` fail a strict build."""

    ok: bool
    output: Path
    stopped_before: str | None = None  # why the build did not start: `problems` says what to fix
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    drafts: dict[str, list[Problem]] = field(default_factory=dict)  # a preview: pages breaking the specification
    pages_read: list[str] = field(default_factory=list)
    pages_written: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)  # notebooks executed, as paths in the book
    timings: dict[str, float] = field(default_factory=dict)  # seconds: checks, execution, reading, writing, total
    detail: str = ""  # the traceback of a failing cell, or of a fault in the toolkit
    up_to_date: bool = False  # nothing changed since the last clean build: nothing was done
    # A watched preview's work that the page does not wait for (its search index): the caller runs
    # each once it has said the result, and says what each returns.
    afterwards: list[Callable[[], str | None]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.timings.get("total", 0.0)


class Stopped(SphinxError):
    """Raised by the extension when the build cannot go on: its problems, each located."""

    category = "The build stopped"

    def __init__(self, message: str, problems: list[Problem], detail: str = ""):
        super().__init__(message + "".join(f"\n{p}" for p in problems))
        self.problems, self.detail = problems, detail


# --- before Sphinx starts ---------------------------------------------------------------

def _data_stamp(root: Path) -> str:
    """What data/ holds (names, sizes, times): unchanged since it last validated, it is not read again."""
    return "\n".join(f"{p.relative_to(root)} {p.stat().st_size} {p.stat().st_mtime_ns}"
                     for p in sorted((root / "data").rglob("*")) if p.is_file())  # data/reach/ too


def problems_before(root: Path, strict: bool, language: str = "en",
                    checked: bool = False) -> tuple[str, list[Problem]] | None:
    """Why the build cannot start (what, and its problems), or None. A broken editions.yaml raises
    its one located ``EditionError``. ``checked``: as ``Settings.checked``; the language's catalogs
    are checked all the same."""
    from wpsr.book import source_problems
    from wpsr.editions import current_edition

    current_edition()
    stamp, recorded = _data_stamp(root), root / "_build" / ".wpsr-valid-data"
    stages = [] if checked else [("problems in the book's pages and _toc.yml", source_problems)]
    if not checked and (not recorded.is_file() or recorded.read_text(encoding="utf-8") != stamp):
        from wpsr.data import problems

        stages.append(("problems in data/, which breaks its schema", problems))
    for where, find in stages:
        problems = find()
        if problems:
            return where, problems
    if not checked:  # valid as this build found it, not as an earlier one did
        recorded.parent.mkdir(parents=True, exist_ok=True)
        recorded.write_text(stamp, encoding="utf-8")
    if language != "en":  # a catalog that would break a page never reaches one
        from wpsr.translations import catalogs, check

        broken = [p for p in check(catalogs(root, language)) if p.severity == "error"]
        if broken:
            return f"the {language} catalogs would break pages: run `wpsr translate check` after fixing", broken
    if strict and not checked:
        from wpsr.checker import check
        from wpsr.review import refusals

        findings = check()
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            return "contributions break the specification: run `wpsr check` after fixing", findings
        unreviewed = refusals()
        if unreviewed:
            return ("it ran no code: it runs contributions' code only as a maintainer's review recorded it "
                    "in reviewed.yaml"), unreviewed
    return None


# --- nothing to do --------------------------------------------------------------------------

class UpToDate:
    """What the last clean build (no problem, no warning) read, for one builder: a build whose inputs
    and settings are the same has nothing to do. Its drafts are kept, to be said again."""

    def __init__(self, root: Path, settings: Settings):
        self.path = root / "_build" / f".wpsr-up-to-date-{settings.builder}-{settings.language}.json"
        self.output = settings.output(root)
        self.root, self.settings = root, settings
        self.inputs = self._inputs()  # before the build: a file saved while it runs is new next time

    def _inputs(self) -> str:
        from wpsr.book import source_state
        from wpsr.provenance import today

        toolkit = Path(__file__).parent
        files = {**source_state(self.root),
                 **{str(p): p.stat().st_mtime_ns for p in toolkit.rglob("*") if p.suffix != ".pyc" and p.is_file()},
                 **{str(p): p.stat().st_mtime_ns for p in [self.root / "package-lock.json", *self._packages()]
                    if p.exists()}}
        settings = {**self.settings.__dict__, "verbose": False, "fresh": False, "keep": False, "checked": False}
        return json.dumps([sorted(files.items()), str(settings), today().isoformat(), sys.version])

    def _packages(self) -> list[Path]:
        """Where Python finds its packages (a folder's time changes as packages come and go), not the
        book itself (the build adds its _build there)."""
        found = [Path(os.__file__).parent, *(Path(p or ".").resolve() for p in sys.path)]
        return [p for p in found if p.exists() and not p.is_relative_to(self.root)]

    def stamp(self) -> str:
        """The inputs, and the output's folders (a page deleted from the site changes its folder's time)."""
        output = []
        for folder, subfolders, _ in os.walk(self.output):
            if Path(folder) == self.output:  # not the translations' folders inside the English site
                subfolders[:] = [d for d in subfolders if d not in LANGUAGES]
            output.append((folder, Path(folder).stat().st_mtime_ns))
        return hashlib.sha256(json.dumps([self.inputs, output]).encode()).hexdigest()

    def replay(self, result: Result) -> bool:
        """If nothing changed since the last clean build, give `result` what that build said (its
        drafts and, in a preview, its warnings) and say so."""
        if self.settings.fresh or not (self.output / "index.html").is_file():
            return False
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
            if saved["stamp"] != self.stamp():
                return False
            result.drafts = {doc: [_problem(p) for p in found] for doc, found in saved["drafts"].items()}
            result.warnings = [_problem(p) for p in saved["warnings"]]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        result.ok = result.up_to_date = True
        return True

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)

    def record(self, result: Result) -> None:
        """A build that succeeded (a strict one: without a warning, each of which fails it) is the last clean one."""
        if result.ok and not (self.settings.strict and result.warnings):
            said = {"stamp": self.stamp(), "warnings": [_plain(p) for p in result.warnings],
                    "drafts": {doc: [_plain(p) for p in found] for doc, found in result.drafts.items()}}
            self.path.write_text(json.dumps(said), encoding="utf-8")


def _plain(problem: Problem) -> dict:
    return {**problem.__dict__, "path": str(problem.path)}


def _problem(saved: dict) -> Problem:
    return Problem(**{**saved, "path": Path(saved["path"]) if saved["path"] else ""})


# --- what Sphinx says --------------------------------------------------------------------

class BuildLog(logging.Handler):
    """Sphinx's warnings, kept as located problems, and wpsr's progress messages, passed on as they come."""

    def __init__(self, app: Any):
        super().__init__(logging.INFO)
        self.app, self.warnings, self.listener = app, [], None
        self.seen: list[str] = []  # progress said before a listener was set

    def emit(self, record: logging.LogRecord) -> None:
        from sphinx.util.logging import is_suppressed_warning

        if getattr(record, "wpsr_seen", False):
            return  # Sphinx holds warnings back while it reads, then logs each again
        record.wpsr_seen = True
        kind, subtype = getattr(record, "type", None) or "", getattr(record, "subtype", None) or ""
        if record.levelno >= logging.WARNING:
            if is_suppressed_warning(kind, subtype, self.app.config.suppress_warnings):
                return
            path, line = self.where(getattr(record, "location", None))
            self.warnings.append(Problem(path, line, record.getMessage(), "", severity="warning"))
            self.say(str(self.warnings[-1]))
        elif kind == "wpsr" and subtype == "progress":
            self.say(record.getMessage())

    def say(self, message: str) -> None:
        if self.listener:
            self.listener(message)
        else:
            self.seen.append(message)

    def where(self, location: Any) -> tuple[Path | str, int | None]:
        """A record's location (a page, a (page, line) pair, "path:line" or a node) as (path, line)."""
        from docutils import nodes
        from docutils.utils import get_source_line

        line = None
        if isinstance(location, tuple):
            location, line = location
        if isinstance(location, nodes.Node):
            location, line = get_source_line(location)
        if not location:
            return "", line
        if isinstance(location, str) and ":" in location and line is None:  # docutils says "path:line"
            location, _, number = location.rpartition(":")
            line = int(number) if number.isdigit() else None
            return display(Path(location)), line
        path = Path(self.app.env.doc2path(location)) if self.app.env and not Path(location).is_absolute() \
            else Path(location)
        return display(path), line

    @classmethod
    def attach(cls, app: Any) -> BuildLog:
        """Listen first on Sphinx's logger: before Sphinx's own handlers rewrite each record's location."""
        log = cls(app)
        logging.getLogger("sphinx").handlers.insert(0, log)
        return log

    def detach(self) -> None:
        handlers = logging.getLogger("sphinx").handlers
        if self in handlers:
            handlers.remove(self)


# --- the build ---------------------------------------------------------------------------

# What a build imports, some of it only as it reads or writes a page: Sphinx and its builders, the
# theme, MyST-NB and its cache, the extension, and what it draws charts, cuts fonts and writes
# spreadsheets and calendars with.
BUILD_MODULES = ("jupyter_book.config", "sphinx.application", "sphinx.builders.html", "sphinx.builders.singlehtml",
                 "myst_nb.sphinx_ext", "myst_nb.core.read", "jupyter_cache", "jupytext", "sphinx_book_theme",
                 "sphinx_design", "a11y_pygments", "wpsr.sphinx_ext", "pandas", "altair", "vl_convert", "openpyxl",
                 "fontTools.subset", "fontTools.ttLib.woff2", "icalendar")


_preloaded = False


def preload(root: Path) -> None:
    """Once a process (or in the process it was forked from), before Sphinx first runs or the
    translations' workers are forked (`wpsr.running`): import what a build of the book at `root`
    imports (about 3 s: the modules above and the extensions its configuration names), then take
    it out of the garbage collector's sight (`gc.freeze`). It lives as long as the process, and
    every full collection of a build walked all of it again (a cold build of English alone took
    14.2 s and 10 s of processor time, 10.5-11 s and 7-8 s since; of six languages, 34.7 s and
    56 s, 25.7-27.4 s and 42-46 s)."""
    import gc

    global _preloaded
    if _preloaded:  # in this process, or in the one it was forked from
        return
    from jupyter_book.config import get_final_config

    try:
        config, _ = get_final_config(user_yaml=root / "_config.yml", sourcedir=root, use_external_toc=True,
                                     cli_config={"latex_individualpages": False})
        extensions = list(config["extensions"])
    except Exception:  # a configuration the build will refuse, saying where: its extensions load then, if ever
        extensions = []
    import_quietly([*BUILD_MODULES, *extensions])
    gc.collect()  # what is frozen is never collected: garbage first
    gc.freeze()
    _preloaded = True


def import_quietly(names: list[str]) -> None:
    """Import these modules, leaving Python's logging as it was: a11y_pygments (the code's colours,
    which the theme loads as a build ends) calls logging.basicConfig(level=INFO) as it is imported,
    and every library's INFO messages (fontTools', at each font cut) would reach the build's output."""
    import importlib

    top = logging.getLogger()
    handlers, level = list(top.handlers), top.level
    for name in names:
        importlib.import_module(name)
    top.handlers[:] = handlers
    top.setLevel(level)


def build(root: Path, settings: Settings = Settings(), progress: Progress = lambda message: None,
          executed: Callable[[], object] = lambda: None,
          wait_for_notebooks: Callable[..., bool | None] | None = None) -> Result:
    """Check what can be checked first, then build the book at `root` into _build/BUILDER, as
    `jupyter-book build -n --keep-going` does (with -W when strict). ``executed`` is called once the
    notebooks are executed (or found in the cache), before the pages are read: from then on, another
    language's build finds every output in the cache. ``wait_for_notebooks``: a translation built
    beside English executes no notebook; it reads its other pages first, asking before each
    (``block=False``: None while English is still at it), then waits before the first notebook
    until English has executed them (True); False, English failed, and so does this build. Raises
    ``EditionError`` if editions.yaml is broken: which edition to build is then unknown."""
    from wpsr import data

    root = root.resolve()
    result = Result(ok=False, output=settings.output(root) / "index.html")
    started = time.perf_counter()
    data.forget_package()  # read and checked once a build: what it links to may have changed since
    with building(root):
        last = UpToDate(root, settings)
        if not (settings.keep and kept_app.empty()) and last.replay(result):  # a watched preview makes its app
            executed()  # nothing changed: the cache answers as it did for the last build
            result.timings["total"] = time.perf_counter() - started
            return result
        last.forget()
        stop = problems_before(root, settings.strict, settings.language, settings.checked)
        result.timings["checks"] = time.perf_counter() - started
        if stop:
            result.stopped_before, result.problems = stop
        else:
            from wpsr.sphinx_run import run_sphinx

            run_sphinx(root, settings, result, progress, executed, wait_for_notebooks)
            last.record(result)
    result.timings["total"] = time.perf_counter() - started
    return result
