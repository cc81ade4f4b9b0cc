"""Reviewed code only: a contribution's code runs in the strict build and ``wpsr publish`` only once
a maintainer has read it and recorded it with ``wpsr review FILE --approve``.

Contributions come from outside authors, so their code is untrusted. The code of a contribution is
the ordered list of its code cells' sources, as ``wpsr check`` finds them (``checker.parse``).
``reviewed.yaml``, at the book's root, records for each contribution the day it was reviewed, the
SHA-256 of all its code (what approval compares) and a short SHA-256 of each cell (so a message can
say which cells changed, were added or removed): that file is ``wpsr.reviewed``'s, and this module
compares the code against it, answers the build, and is the ``wpsr review`` command (list, show,
approve). Code the notebook reader (myst-nb, which the build executes) would run but those cells do
not show is refused as well: a review must see all of it.

The preview (``wpsr build`` without --strict) still runs unreviewed code, on the author's own
machine, and says so. Chapters and annexes, the report team's own pages, are not gated.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from wpsr.book import book_root, read_yaml, toc_files
from wpsr.contributions import FOLDER, Contribution, files, read
from wpsr.problems import Problem, line_at
from wpsr.provenance import today
from wpsr.reviewed import SHORT, Record, ReviewError, records, save

SHOWN = 5  # contributions a preview names before it says how many more
EXTENSIONS = ("colon_fence", "deflist", "substitution")  # MyST's extensions, when _config.yml names none
ODD_BREAKS = re.compile("[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # line breaks to Python, not to MyST


@dataclass(frozen=True)
class Cell:
    """One code cell: its number in the contribution, the line of its first line, its source."""

    number: int
    line: int
    source: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:SHORT]

    @property
    def lines(self) -> list[str]:
        return self.source.rstrip("\n").split("\n")


@dataclass(frozen=True)
class Code:
    """The code of one contribution, and any code the notebook reader would run that it does not show."""

    key: str  # the contribution as reviewed.yaml names it: contributions/NAME.md
    cells: tuple[Cell, ...]
    contribution: Contribution | None = field(default=None, compare=False, repr=False)
    extensions: tuple[str, ...] = EXTENSIONS

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps([c.source for c in self.cells]).encode("utf-8")).hexdigest()

    @functools.cached_property
    def unseen(self) -> Problem | None:
        """Code the build would run that the cells do not show (asked only when it matters: it costs a parse)."""
        return _unseen(self.contribution, self.cells, self.extensions) if self.contribution else None


@dataclass(frozen=True)
class Status:
    """A contribution's code against its record: what changed since it was reviewed, if anything."""

    code: Code
    record: Record | None
    changed: tuple[Cell, ...] = ()
    added: tuple[Cell, ...] = ()
    removed: tuple[int, ...] = ()  # cells of the reviewed version, by their number then
    line: int = 1  # where a message points: the first cell to read

    @property
    def recorded(self) -> bool:
        """Whether its cells are the code recorded as reviewed (or there are none)."""
        return not self.code.cells or (self.record is not None and self.record.code == self.code.digest)

    @property
    def reviewed(self) -> bool:
        """Whether the strict build may run it: no code, or exactly the code recorded, all of it seen."""
        return self.recorded and self.code.unseen is None

    @property
    def to_read(self) -> list[Cell]:
        """The cells a maintainer reads: all of them if never reviewed, else those new or changed."""
        if self.reviewed:
            return []
        if self.record is None:
            return list(self.code.cells)
        return sorted({*self.changed, *self.added}, key=lambda cell: cell.number)

    def what(self) -> str:
        """What needs review, e.g. "code cell 3 changed since it was reviewed on 2026-12-01"."""
        if self.record is None:
            numbers = [c.number for c in self.code.cells]
            return f"{cells_phrase(numbers)} {'has' if len(numbers) == 1 else 'have'} never been reviewed"
        parts = [f"{cells_phrase([c.number for c in self.changed])} changed" if self.changed else "",
                 f"{cells_phrase([c.number for c in self.added])} added" if self.added else "",
                 f"{cells_phrase(list(self.removed))} of the reviewed version removed" if self.removed else ""]
        return f"{_join([p for p in parts if p])} since it was reviewed on {self.record.reviewed.isoformat()}"

    def problem(self) -> Problem | None:
        """Why the strict build refuses this contribution, located, or None."""
        if self.recorded:
            return self.code.unseen
        return Problem(self.code.key, self.line, self.what(),
                       f"a maintainer reads it and runs `wpsr review {self.code.key} --approve`")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cells_phrase(numbers: list[int]) -> str:
    """"code cell 3", "code cells 3 and 5", "code cells 1–4 and 7"."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    shown = [str(a) if a == b else f"{a} and {b}" if b == a + 1 else f"{a}–{b}" for a, b in runs]
    return f"code cell{'s' if len(numbers) > 1 else ''} {_join(shown)}"


# --- the code, as the review sees it and as the build would run it -----------------------------

def key(path: Path) -> str:
    """A contribution as reviewed.yaml and messages name it: relative to the book, e.g. contributions/x.md."""
    path = path.resolve()
    return path.relative_to(book_root()).as_posix() if path.is_relative_to(book_root()) else str(path)


def _extensions() -> tuple[str, ...]:
    """MyST's syntax extensions, as the build enables them (_config.yml)."""
    with contextlib.suppress(OSError, yaml.YAMLError, AttributeError, TypeError):
        found = read_yaml(book_root() / "_config.yml")["parse"]["myst_enable_extensions"]
        return tuple(sorted(map(str, found)))
    return EXTENSIONS


def code_of(path: Path) -> Code | None:
    """The code of the contribution at path; None if it cannot be read (`wpsr check` says why)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()  # by content: a time stamp may not change
    return _code(path.resolve(), digest, _extensions())


@functools.lru_cache(maxsize=512)
def _code(path: Path, content: str, extensions: tuple[str, ...]) -> Code | None:
    from wpsr.body import parse

    contribution, _ = read(path)
    if contribution is None:
        return None
    cells = tuple(Cell(number, line, source) for number, (line, source) in enumerate(parse(contribution).cells, 1))
    return Code(key(path), cells, contribution, extensions)


def _unseen(contribution: Contribution, cells: tuple[Cell, ...], extensions: tuple[str, ...]) -> Problem | None:
    """Code that myst-nb's reader, as the build runs it, finds in the file but the cells do not show.

    The review shows the cells `wpsr check` finds. For the build to run no other code, MyST must
    end the front matter where the check does (a hidden cell could follow a `----` or `...` line
    inside it), and each code cell the reader finds must be one of those cells, as written there
    (not loaded from another file)."""
    from markdown_it.renderer import RendererHTML
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    where, text = key(contribution.path), contribution.text
    odd = ODD_BREAKS.search(text.replace("\r\n", "\n"))
    if odd:
        line = line_at(text.replace("\r\n", "\n"), odd.start())
        return Problem(where, line, f"a line break other than a newline (U+{ord(odd.group()):04X})",
                       "save the file with ordinary line ends: MyST and `wpsr review` would see different code")
    config = MdParserConfig(enable_extensions=set(extensions))
    blocks = create_md_parser(dataclasses.replace(config, disable_syntax=[*config.disable_syntax, "inline"]),
                              RendererHTML).parse(text + "\n")
    front = blocks[0].map if blocks and blocks[0].type == "front_matter" else None
    if front != [0, contribution.body_start - 1]:
        return Problem(where, front[1] if front else 1,
                       f"MyST ends the front matter on line {front[1]}, not on line {contribution.body_start - 1}"
                       if front else "MyST does not read the front matter as front matter",
                       "start the file with a line `---` and end the metadata with the first line `---`; no line "
                       "inside it may start with `---` or be `...`")
    try:
        notebook = read_myst_markdown_notebook(text, config, add_source_map=True, path=contribution.path)
    except Exception as err:  # whatever the reader raises, the build would stop on it too
        return Problem(where, 1, f"the notebook reader cannot read it ({err})", "fix what it names, then review it")
    shown = {cell.line - 1: cell for cell in cells}  # by the line of the cell's opening fence
    for cell, fence in zip(notebook.cells, notebook.metadata["source_map"], strict=True):
        if cell.cell_type != "code":
            continue
        mine = shown.get(fence)
        if mine is None:
            return Problem(where, fence, "the build would run a code cell here that `wpsr review` does not show",
                           "write code only in ```{code-cell} fences at the top level of the page")
        if not mine.source.rstrip("\n").endswith(cell.source):
            how = ("loads its code from another file (`:load:`), which the review does not show"
                   if "load" in cell.metadata else "would run other code than it shows")
            return Problem(where, mine.line, f"code cell {mine.number} {how}",
                           "put the code itself in the cell, where the review reads it")
    return None


def gated() -> list[Path]:
    """The contributions whose code runs in the strict build only once reviewed: every file in
    contributions/ and every page _toc.yml lists under it."""
    root = book_root()
    found = {p.resolve() for p in files()}
    with contextlib.suppress(OSError, yaml.YAMLError):  # a broken _toc.yml stops the build before this
        found |= {(root / f"{d}.md").resolve() for d in toc_files()
                  if d.startswith(f"{FOLDER}/") and (root / f"{d}.md").is_file()}
    return sorted(found)


# --- what the build and `wpsr review` ask --------------------------------------------------------

def status(code: Code, recorded: dict[str, Record]) -> Status:
    """The contribution's code against what reviewed.yaml records of it."""
    record = recorded.get(code.key)
    first = code.cells[0].line if code.cells else 1
    if record is None or not code.cells or record.code == code.digest:
        return Status(code, record, line=first)
    changed: list[Cell] = []
    added: list[Cell] = []
    removed: list[int] = []
    lines = []
    digests = [c.digest for c in code.cells]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, record.cells, digests, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1)
        changed += code.cells[j1:j1 + pairs]
        added += code.cells[j1 + pairs:j2]
        removed += range(i1 + pairs + 1, i2 + 1)
        lines.append(code.cells[min(j1, len(code.cells) - 1)].line)
    if not lines:  # every cell's short digest agrees but the whole does not: read all of it again
        changed, lines = list(code.cells), [first]
    return Status(code, record, tuple(changed), tuple(added), tuple(removed), min(lines))


def statuses(recorded: dict[str, Record]) -> list[Status]:
    """Every gated contribution that can be read, against its record."""
    return [status(code, recorded) for path in gated() if (code := code_of(path)) is not None]


def refusals() -> list[Problem]:
    """Why the strict build may not run: one located problem for each contribution whose code is not
    reviewed or changed since, or the one problem of a broken reviewed.yaml."""
    try:
        recorded = records()
    except ReviewError as err:
        return [err.problem]
    return [problem for s in statuses(recorded) if (problem := s.problem())]


def preview_notice(executed: set[str] | None = None) -> str | None:
    """What a preview says about the unreviewed code it ran on this machine (None: there is none):
    of the contributions it `executed` (paths in the book), or of every one when that is not known."""
    broken = ""
    try:
        recorded = records()
    except ReviewError as err:
        recorded, broken = {}, f"{err.problem}\n"
    ran = [path for path in gated() if executed is None or key(path) in executed]
    waiting = [s.code.key for path in ran if (code := code_of(path)) is not None
               and not (s := status(code, recorded)).recorded]  # recorded: no parse by myst-nb here
    if not waiting:
        return broken.strip() or None
    named = ", ".join(waiting[:SHOWN]) + (f" and {len(waiting) - SHOWN} more (`wpsr review --list`)"
                                          if len(waiting) > SHOWN else "")
    return (f"{broken}Preview: ran the code of {len(waiting)} unreviewed contribution(s) on this machine: "
            f"{named} — the strict build and `wpsr publish` refuse them until a maintainer has "
            "reviewed them (`wpsr review`)")


def list_unreviewed() -> int:
    """Print each contribution whose code is unreviewed or changed, located (exit status 0: advice)."""
    try:
        found = statuses(records())
    except ReviewError as err:
        print(err.problem, file=sys.stderr)
        return 1
    waiting = [p for s in found if (p := s.problem())]
    with_code = sum(bool(s.code.cells) for s in found)
    for problem in waiting:
        print(problem)
    if waiting:
        print(f"{len(waiting)} of {with_code} contribution(s) with code need a maintainer's review: read each with "
              "`wpsr review FILE`, then record it with `wpsr review FILE --approve`.")
    else:
        print(f"The code of every contribution is reviewed ({with_code} with code, {len(found) - with_code} "
              "without).")
    return 0


def visible(text: str) -> tuple[str, int]:
    """Code as a terminal may show it: each control or format character (an escape sequence, a bidi
    override, a zero-width space, which could hide or reorder code) as ⟨U+XXXX⟩; and how many."""
    hidden = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != "\t"]
    for char in set(hidden):
        text = text.replace(char, f"⟨U+{ord(char):04X}⟩")
    return text, len(hidden)


def show(state: Status) -> None:
    """Print each cell a maintainer must read, with its line numbers."""
    kinds = {**{c: "changed" for c in state.changed}, **{c: "added" for c in state.added}}
    width = len(str(max((c.line + len(c.lines) for c in state.to_read), default=1)))
    for cell in state.to_read:
        last = cell.line + len(cell.lines) - 1
        label = kinds.get(cell, "never reviewed" if state.record is None else "")
        print(f"\ncode cell {cell.number}, lines {cell.line}–{last} ({label}):")
        hidden = 0
        for number, text in enumerate(cell.lines, start=cell.line):
            shown, count = visible(text)
            hidden += count
            print(f"  {number:>{width}} | {shown}".rstrip())
        if hidden:
            print(f"  ({hidden} control or invisible character(s) in this cell, shown as ⟨U+XXXX⟩: read it with care)")
    if state.removed:
        print(f"\n{cells_phrase(list(state.removed)).capitalize()} of the reviewed version "
              f"{'was' if len(state.removed) == 1 else 'were'} removed: check that the code left still does "
              "what was reviewed.")


def review(names: list[str], *, approve: bool = False) -> int:
    """`wpsr review FILE...`: show each contribution's code that is new or changed since its review;
    with approve, record it as reviewed. Exit status 1 if a file cannot be reviewed."""
    try:
        recorded = records()
    except ReviewError as err:
        print(err.problem, file=sys.stderr)
        return 1
    failed, approved = False, []
    folder = book_root() / FOLDER
    for name in names:
        path = Path(name)
        if not path.is_file():
            print(f"{name}: no such file — name a contribution, e.g. contributions/NAME.md", file=sys.stderr)
            failed = True
            continue
        if not path.resolve().is_relative_to(folder):
            print(f"{name}: not a contribution — only files in {FOLDER}/ are reviewed; the report team's own "
                  "pages (chapters, annexes) are not gated", file=sys.stderr)
            failed = True
            continue
        code = code_of(path)
        if code is None:
            for problem in read(path.resolve())[1]:
                print(problem, file=sys.stderr)
            failed = True
            continue
        state = status(code, recorded)
        if code.unseen is not None:
            print(f"{code.unseen}\n{code.key}: nothing recorded: its code cannot be reviewed until this is fixed.",
                  file=sys.stderr)
            failed = True
            continue
        if not code.cells:
            print(f"{code.key}: no code cells: nothing to review (the strict build runs nothing of it).")
            continue
        if state.reviewed:
            print(f"{code.key}: its {len(code.cells)} code cell(s) were reviewed on "
                  f"{state.record.reviewed.isoformat()} and have not changed since: nothing to review.")
            continue
        print(f"{code.key}: {state.what()}.")
        show(state)
        if approve:
            recorded[code.key] = Record(today(), code.digest, tuple(c.digest for c in code.cells))
            approved.append(code.key)
            print(f"\nApproved {code.key}: {len(code.cells)} code cell(s), reviewed on {today().isoformat()}. The "
                  "strict build and `wpsr publish` will run it.\n")
        else:
            print(f"\nNothing recorded. If this code is safe to run on the build machine (CI, `wpsr publish`), "
                  f"record it: wpsr review {code.key} --approve\n")
    if approved:
        print(f"Wrote {save(recorded).name}: {', '.join(approved)}.")
    return 1 if failed else 0
