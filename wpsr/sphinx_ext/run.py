"""Run Jupyter Book's Sphinx build in this process.

`wpsr build` runs it once; `wpsr serve --watch` keeps this process, its imports and its
caches warm and runs it again after every save, so an author's edit shows in about a second
instead of paying Python, Sphinx and myst-nb's start-up each time.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _Lines(io.TextIOBase):
    """A text stream that hands each complete line to a callback."""

    def __init__(self, each: Callable[[str], None]):
        self.each, self.pending = each, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.pending += text
        *done, self.pending = self.pending.split("\n")
        for line in done:
            self.each(ANSI.sub("", line))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.each(ANSI.sub("", self.pending))
            self.pending = ""


@dataclass
class BuildResult:
    ok: bool
    seconds: float
    lines: list[str]


def build(root: Path, *, builder: str = "html", strict: bool = False, fresh: bool = False,
          each_line: Callable[[str], None] = lambda line: None) -> BuildResult:
    """Build the book at `root` into _build/BUILDER, as `jupyter-book build -n --keep-going` does
    (with -W when strict, with --all when fresh); every line of output goes to `each_line`."""
    from jupyter_book.sphinx import build_sphinx

    lines: list[str] = []

    def keep(line: str) -> None:
        lines.append(line)
        each_line(line)

    stream = _Lines(keep)
    overrides = {"external_toc_path": (root / "_toc.yml").as_posix(), "latex_individualpages": False,
                 "nitpicky": True}
    started = time.perf_counter()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        result = build_sphinx(root, root / "_build" / builder, noconfig=True, path_config=root / "_config.yml",
                              confoverrides=overrides, builder=builder, warningiserror=strict, keep_going=True,
                              freshenv=fresh)
    stream.flush()
    return BuildResult(result == 0, time.perf_counter() - started, lines)
