"""Reviewed code only: the strict build runs a contribution's code once a maintainer has recorded it
with `wpsr review --approve`; the preview runs it on the author's machine and says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import copy_book, run_here, run_wpsr
from wpsr import review, reviewed
from wpsr.build import problems_before
from wpsr.cli import main

SLUG = "civic-space-under-pressure"
KEY = f"contributions/{SLUG}.md"
FENCE = "```{code-cell} ipython3\n"
HOW = f"a maintainer reads it and runs `wpsr review {KEY} --approve`"


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    book = copy_book(tmp_path / "book")
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(book))
    monkeypatch.chdir(book)
    return book


def edit(book: Path, change) -> str:
    """Change the contribution's text; return the new text."""
    path = book / KEY
    text = change(path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def reviewed_on() -> str:
    return reviewed.records()[KEY].reviewed.isoformat()


def marker_cell(marker: Path) -> str:
    return f"\n{FENCE}from pathlib import Path\n\n_ = Path({str(marker)!r}).write_text('ran')\n```\n"


def test_the_worked_examples_are_reviewed_and_the_record_says_what_it_is(book: Path,
                                                                         capsys: pytest.CaptureFixture) -> None:
    assert review.refusals() == []
    text = (book / reviewed.RECORD).read_text(encoding="utf-8")
    assert text.startswith("# reviewed.yaml: the code of each contribution") and "Written only by `wpsr review" in text
    assert main(["review", "--list"]) == 0
    assert capsys.readouterr().out == "The code of every contribution is reviewed (3 with code, 0 without).\n"


def test_unreviewed_code_stops_the_strict_build_before_anything_runs(book: Path, tmp_path: Path, wpsr) -> None:
    marker = tmp_path / "ran"
    text = edit(book, lambda t: t + marker_cell(marker))
    line = line_of(text, "from pathlib import Path")
    result = wpsr(book, "build", "--strict")
    assert result.returncode == 1
    expected = f"{KEY}:{line}: code cell 3 added since it was reviewed on {reviewed_on()} — {HOW}"
    assert [ln for ln in result.stderr.splitlines() if ln.startswith(KEY)] == [expected]
    assert "ran no code" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists() and not (book / "_build" / "html").exists()


def test_a_contribution_never_reviewed_is_refused_and_approving_lets_it_pass(book: Path,
                                                                             capsys: pytest.CaptureFixture) -> None:
    record = book / reviewed.RECORD
    record.write_text(re.sub(rf"(?m)^{re.escape(KEY)}:\n(  .*\n)+", "", record.read_text(encoding="utf-8")),
                      encoding="utf-8")
    first = line_of((book / KEY).read_text(encoding="utf-8"), "import wpsr")
    never = f"{KEY}:{first}: code cells 1 and 2 have never been reviewed — {HOW}"
    assert [str(p) for p in review.refusals()] == [never]
    stop = problems_before(book, strict=True)
    assert stop is not None and "reviewed.yaml" in stop[0] and [str(p) for p in stop[1]] == [never]
    before = record.read_bytes()
    assert main(["review", KEY]) == 0  # shows the code, records nothing
    shown = capsys.readouterr().out
    assert f"code cell 1, lines {first}–" in shown and f"  {first} | import wpsr" in shown
    assert f"Nothing recorded. If this code is safe to run on the build machine (CI, `wpsr publish`), record it: " \
           f"wpsr review {KEY} --approve" in shown
    assert record.read_bytes() == before
    assert main(["review", KEY, "--approve"]) == 0
    assert f"Approved {KEY}: 2 code cell(s)" in capsys.readouterr().out
    assert review.refusals() == [] and problems_before(book, strict=True) is None
    entry = reviewed.records()[KEY]
    assert len(entry.code) == 64 and len(entry.cells) == 2 and all(len(d) == reviewed.SHORT for d in entry.cells)
    assert main(["review", KEY, "--approve"]) == 0
    assert "have not changed since: nothing to review" in capsys.readouterr().out


@pytest.mark.parametrize(("change", "fragment", "what"), [
    (lambda t: t.replace('    sources="civic-space",\n)', '    sources="civic-space",\n)\nprint("more")'),
     "wpsr.figure(", "code cell 2 changed"),
    (lambda t: t.replace(f"{FENCE}wpsr.figure(", f"{FENCE}:tags: [hide-output]\nwpsr.figure("),
     ":tags: [hide-output]", "code cell 2 changed"),
    (lambda t: t.replace(f"{FENCE}wpsr.figure(", f"{FENCE}print('new')\n```\n\n{FENCE}wpsr.figure("),
     "print('new')", "code cell 2 added"),
    (lambda t: re.sub(r"```\{code-cell\} ipython3\nimport wpsr.*?```\n", "", t, count=1, flags=re.S),
     "wpsr.figure(", "code cell 1 of the reviewed version removed"),
    (lambda t: t.replace("import wpsr\n", "import os\n").replace(f"{FENCE}wpsr.figure(", f"{FENCE}x = 1\n```\n\n"
                                                                 f"{FENCE}wpsr.figure("),
     "import os", "code cell 1 changed and code cell 2 added"),
])
def test_a_change_since_the_review_is_refused_naming_the_cells(book: Path, change, fragment: str, what: str) -> None:
    text = edit(book, change)
    line = line_of(text, fragment)
    assert [str(p) for p in review.refusals()] == [f"{KEY}:{line}: {what} since it was reviewed on {reviewed_on()} "
                                                   f"— {HOW}"]


def test_review_shows_only_the_cells_to_read_with_their_lines(book: Path, capsys: pytest.CaptureFixture) -> None:
    text = edit(book, lambda t: t.replace('    sources="civic-space",\n)', '    sources="civic-space",\n)  # edited'))
    first, last = line_of(text, "wpsr.figure("), line_of(text, "# edited")
    assert main(["review", KEY]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"{KEY}: code cell 2 changed since it was reviewed on {reviewed_on()}.\n")
    assert f"code cell 2, lines {first}–{last} (changed):" in shown and f"  {last} | )  # edited" in shown
    assert "code cell 1," not in shown and "import wpsr" not in shown
    assert main(["review", "--list"]) == 0
    assert f"{KEY}:{first}: code cell 2 changed" in capsys.readouterr().out


def test_review_shows_control_characters_instead_of_letting_them_hide_code(book: Path,
                                                                          capsys: pytest.CaptureFixture) -> None:
    edit(book, lambda t: t + f"\n{FENCE}import os  # \x1b[2K\x1b[1A harmless\nx = '\u202e'\n```\n")
    assert main(["review", KEY]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "import os  # ⟨U+001B⟩[2K⟨U+001B⟩[1A harmless" in shown and "x = '⟨U+202E⟩'" in shown
    assert "(3 control or invisible character(s) in this cell, shown as ⟨U+XXXX⟩: read it with care)" in shown


def test_a_contribution_without_code_needs_no_review(book: Path, capsys: pytest.CaptureFixture) -> None:
    edit(book, lambda t: re.sub(r"```\{code-cell\}.*?```\n", "", t, flags=re.S))
    (book / reviewed.RECORD).write_text(reviewed.HEADER, encoding="utf-8")  # nothing reviewed at all
    assert [p.path for p in review.refusals()] == ["contributions/budgets-that-show-their-trade-offs.md",
                                                   "contributions/closing-the-digital-divide.md"]
    assert main(["review", KEY, "--approve"]) == 0
    assert "no code cells: nothing to review" in capsys.readouterr().out
    assert KEY not in reviewed.records()
    text = edit(book, lambda t: t.replace("\nabstract: >-\n", "\nabstract: >-\n  ----\n  ~~~{code-cell} ipython3\n"
                                          "  import os\n  ~~~\n", 1))  # no cell the check sees, one it would run
    refused = [str(p) for p in review.refusals() if p.path == KEY]
    assert len(refused) == 1 and refused[0].startswith(f"{KEY}:{line_of(text, '  ----')}: MyST ends the front matter")


def test_the_team_s_pages_are_not_gated(book: Path, capsys: pytest.CaptureFixture) -> None:
    page = book / "chapters" / "assets-and-innovations.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n{FENCE}print('the team')\n```\n", encoding="utf-8")
    assert review.refusals() == []
    assert main(["review", "chapters/assets-and-innovations.md", "--approve"]) == 1
    assert "not a contribution" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "fragment", "message"), [
    # the check's YAML reads `----` and `...` as text; MyST ends the front matter there, and runs the cell after
    (lambda t: t.replace("\nabstract: >-\n", "\nabstract: >-\n  ----\n  ~~~{code-cell} ipython3\n  import os\n  ~~~\n",
                         1), "  ----", "MyST ends the front matter on line {line}, not on line {end}"),
    (lambda t: t + f"\n{FENCE}:load: ../data/hidden.py\n```\n", ":load:",
     "code cell 3 loads its code from another file (`:load:`), which the review does not show"),
    (lambda t: t.replace("2020, grouped as", "2020,\u2028grouped as"), "2020,",
     "a line break other than a newline (U+2028)"),
])
def test_code_the_review_cannot_show_is_refused_and_cannot_be_approved(book: Path, change, fragment: str,
                                                                       message: str,
                                                                       capsys: pytest.CaptureFixture) -> None:
    (book / "data" / "hidden.py").write_text("print('hidden')\n", encoding="utf-8")
    text = edit(book, change)
    line = line_of(text, fragment)
    end = [n for n, row in enumerate(text.splitlines(), 1) if row == "---"][1]  # where `wpsr check` ends it
    unseen = f"{KEY}:{line}: {message.format(line=line, end=end)} — "
    before = (book / reviewed.RECORD).read_bytes()
    assert main(["review", KEY, "--approve"]) == 1
    assert capsys.readouterr().err.startswith(unseen)
    assert (book / reviewed.RECORD).read_bytes() == before
    assert len(review.refusals()) == 1  # unreviewed, or (below) reviewed but hiding code
    code = review.code_of(book / KEY)  # as if its visible cells had been approved: the build still refuses it
    approved = reviewed.Record(review.today(), code.digest, tuple(c.digest for c in code.cells))
    reviewed.save({**reviewed.records(), KEY: approved})
    problems = [str(p) for p in review.refusals()]
    assert len(problems) == 1 and problems[0].startswith(unseen), problems


@pytest.mark.parametrize(("change", "line", "message"), [
    (lambda t: t.replace("  cells: [", "  cells: [[", 1), 11, "not valid YAML"),
    (lambda t: re.sub(r"(?m)^  reviewed: .*$", "  reviewed: 2026-02-30", t, count=1), 8,
     "`reviewed` cannot be read"),
    (lambda t: re.sub(r"(?m)^  code: \w+$", "  code: not-a-digest", t, count=1), 9,
     "`code` is not a SHA-256 digest"),
    (lambda t: t + "".join(t.splitlines(keepends=True)[6:10]), 19, "is recorded twice (also on line 7)"),
    (lambda t: "- just a list\n", 1, "not a mapping of contributions"),
])
def test_a_broken_record_is_one_located_error(book: Path, change, line: int, message: str,
                                              capsys: pytest.CaptureFixture) -> None:
    record = book / reviewed.RECORD
    record.write_text(change(record.read_text(encoding="utf-8")), encoding="utf-8")
    problems = [str(p) for p in review.refusals()]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"reviewed.yaml:{line}: ") and message in problems[0], problems
    assert "— reviewed.yaml is written only by `wpsr review`: restore it from git" in problems[0]
    assert main(["review", "--list"]) == 1
    assert capsys.readouterr().err.strip() == problems[0]


@pytest.mark.build
def test_the_preview_runs_unreviewed_code_and_says_so_then_approval_lets_the_strict_build_run_it(
        built_copy: Path, tmp_path: Path) -> None:
    book = built_copy  # only the changed contribution is executed
    marker = tmp_path / "ran"
    (book / KEY).write_text((book / KEY).read_text(encoding="utf-8") + marker_cell(marker), encoding="utf-8")
    preview = run_here(book, "build")
    assert preview.returncode == 0, preview.stdout[-3000:] + preview.stderr
    assert marker.read_text() == "ran"
    notice = [ln for ln in preview.stdout.splitlines() if ln.startswith("Preview: ran the code")]
    assert notice == [f"Preview: ran the code of 1 unreviewed contribution(s) on this machine: {KEY} — the strict "
                      "build and `wpsr publish` refuse them until a maintainer has reviewed them (`wpsr review`)"]
    approved = run_wpsr(book, "review", KEY, "--approve")
    assert approved.returncode == 0, approved.stderr
    strict = run_here(book, "build", "--strict")
    assert strict.returncode == 0, strict.stdout[-3000:] + strict.stderr
    assert "Preview:" not in strict.stdout
