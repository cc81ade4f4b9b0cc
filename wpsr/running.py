"""Builds run from the command line, printed as they go: one build (`build_once`), one language's
builders one after the other (`build_builders`), and every language of an edition, English in this
process and the translations beside it (`build_languages`)."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wpsr.build import Settings


def build_builders(root: Path, settings: Settings, builders: list[str],
                   executed: Callable[[], object] = lambda: None,
                   wait_for_notebooks: Callable[..., bool | None] | None = None) -> int:
    """One language's builds, one builder after the other, in this process: the pages are read once
    (``--all`` applies to the first), and the next builder writes from what the first read.
    ``executed``: as `wpsr.build.build` takes it, for the first builder; ``wait_for_notebooks``, for
    each (a translation's later builder, too, leaves the notebooks and their cache to English)."""
    import dataclasses

    for index, builder in enumerate(builders):
        later = {"fresh": False, "checked": True} if index else {}  # the first builder read and checked the book
        if build_once(root, dataclasses.replace(settings, builder=builder, **later),
                      executed=(lambda: None) if index else executed, wait_for_notebooks=wait_for_notebooks):
            return 1
    return 0


def build_languages(root: Path, settings: Settings, builders: list[str]) -> int:
    """English in this process, and the translations beside it at once, in workers forked before
    English started (the build's modules already imported), each language running every builder;
    each language's output as it ends. A translation reads its other pages while English executes
    the notebooks, and waits for English before it reads the first notebook (which it then finds in
    the cache): the processor's second core, idle while English starts, is put to work."""
    import dataclasses
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from wpsr.build import preload
    from wpsr.languages import SOURCE

    translations = [code for code in settings.languages if code != SOURCE]
    started = time.perf_counter()
    preload(root)  # before the workers are forked: each then starts a build at once
    context = multiprocessing.get_context("fork")
    executed, english_ok = context.Event(), context.Value("b", 0)  # inherited by the workers as they fork
    # One more worker than cores: the cores are shared with English only while it builds, and the
    # last translations then end closer together (measured: 34-35 s for six languages, against 36-38 s).
    workers = max(1, min((os.cpu_count() or 1) + 1, len(translations)))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(executed, english_ok)) as pool:
        running = {code: pool.submit(translate, root, dataclasses.replace(settings, language=code, checked=True),
                                     builders) for code in translations}

        def english_executed() -> None:
            english_ok.value = 1
            executed.set()

        try:
            failed_english = build_builders(root, dataclasses.replace(settings, language="en"), builders,
                                            executed=english_executed)
        finally:
            executed.set()  # if English failed (or was stopped) before it executed them, the translations stop
        if failed_english:
            pool.shutdown(cancel_futures=True)  # a translation past its wait ends; none other starts
            return 1
        failed = []
        for code in translations:
            status, out, err = running[code].result()
            print(f"\n[{code}]", flush=True)
            print(out, end="", flush=True)
            print(err, end="", file=sys.stderr, flush=True)
            if status:
                failed.append(code)
    if failed:
        print(f"\nThe build failed in: {', '.join(failed)} (above).", file=sys.stderr)
        return 1
    print(f"\nBuilt {len(settings.languages)} languages ({', '.join(settings.languages)}) in "
          f"{time.perf_counter() - started:.1f} s.", flush=True)
    return 0


# In a translation's worker: set once English has executed the notebooks (or failed), and whether it had.
_english: tuple[Any, Any] | None = None


def _start_worker(executed: Any, english_ok: Any) -> None:
    """A translation's worker, as it forks: keep English's signal, and yield the processor to English
    and its notebooks' kernels (whose time-out is counted in seconds of the clock)."""
    global _english
    _english = executed, english_ok
    os.nice(5)


def _english_executed(block: bool = True) -> bool | None:
    """Whether English has executed the notebooks (False: it failed first), once it has; without
    ``block``, None while it is still at it."""
    executed, english_ok = _english
    if not executed.wait(None if block else 0):
        return None
    return bool(english_ok.value)


@functools.cache
def _start_renderer() -> None:
    """In a translation's worker, as English builds: start the chart renderer (half a second), which
    draws each chart again in the translation's words."""
    try:
        import vl_convert

        vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{}]}}, vl_version="6.4")
    except Exception:  # only a head start: a renderer that fails here fails, and is said, in the build
        pass


def translate(root: Path, settings: Settings, builders: list[str]) -> tuple[int, str, str]:
    """One translation's builds, in a worker of `build_languages`, as `wpsr build --language CODE`
    runs them: its exit status, and what it printed."""
    import io

    if _english_executed(block=False) is False:
        return 1, "", ""  # English failed before this translation started: nothing to add to what it said
    _start_renderer()
    out, err = io.StringIO(), io.StringIO()
    os.chdir(root)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = build_builders(root, settings, builders, wait_for_notebooks=_english_executed)
        except Exception as error:  # said as the command line would say it
            import traceback

            traceback.print_exception(error)
            status = 1
    return status, out.getvalue(), err.getvalue()


def build_once(root: Path, settings: Settings | None = None,
               then: Callable[[list[str]], object] = lambda problems: None,
               executed: Callable[[], object] = lambda: None,
               wait_for_notebooks: Callable[..., bool | None] | None = None) -> int:
    """One build, in this process: progress as it goes, then what was built, or what failed and where
    (``then`` is given the problems that failed it: none if it succeeded; ``executed`` and
    ``wait_for_notebooks``: as `wpsr.build.build` takes them)."""
    from wpsr.build import Settings, build
    from wpsr.review import preview_notice

    settings = settings or Settings()
    result = build(root, settings, progress=lambda message: print(message, flush=True), executed=executed,
                   wait_for_notebooks=wait_for_notebooks)
    then([] if result.ok else [str(p) for p in result.problems + result.warnings]
         or [result.stopped_before or "the build failed (its output says why)"])
    for work in result.afterwards:  # what the page did not wait for
        said = work()
        if said:
            print(said, file=sys.stderr, flush=True)
    if result.stopped_before:
        print(f"The build stopped before it started: {result.stopped_before}.", file=sys.stderr)
        for problem in result.problems:
            print(problem, file=sys.stderr)
        return 1
    # A preview runs unreviewed code on this machine: say so, of what it executed (if it failed, of all).
    unreviewed = None if settings.strict else preview_notice(set(result.executed) if result.ok else None)
    if unreviewed:
        print(unreviewed, flush=True)
    if result.ok:
        for warning in result.warnings if result.up_to_date else ():  # said as they came in a build that ran
            print(warning, flush=True)
        print(f"Up to date: nothing changed since the last build ({result.seconds:.1f} s): {result.output}"
              if result.up_to_date else f"Built in {result.seconds:.1f} s: {result.output}", flush=True)
        if result.drafts and not settings.strict:
            print(f"A preview: {', '.join(sorted(str(found[0].path) for found in result.drafts.values()))} break(s) "
                  "the specification, as the banner at the top of each page says; `wpsr build --strict` and "
                  "`wpsr publish` refuse them.", flush=True)
        return 0
    if result.detail:
        print(result.detail, file=sys.stderr)
    print("\nBuild failed.", file=sys.stderr)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.warnings:
        print(f"{len(result.warnings)} warning(s), each fatal in a strict build:", file=sys.stderr)
        for warning in result.warnings:
            print(warning, file=sys.stderr)
    return 1
