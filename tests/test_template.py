"""`wpsr new`: the scaffold round trip, the .ipynb import, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import nbformat
import pytest
import yaml

from tests.conftest import copy_book, run_here, run_wpsr

AUTHOR = "Amina Example; University of Somewhere | Another Institute; KEN; 0000-0002-1825-0097; amina@example.org"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return copy_book(tmp_path / "book")


def new(run: Callable[..., CompletedProcess], book: Path, *extra: str, title: str = "Open budgets under pressure",
        chapter: str = "2", subtopic: str = "c2-g2-04") -> CompletedProcess:
    """`wpsr new` with the test's author, run by `run` (in this process, or in its own)."""
    return run(book, "new", "--chapter", chapter, "--subtopic", subtopic, "--author", AUTHOR,
                    *(["--title", title] if title else []), *extra)


def sections_of(book: Path, chapter_file: str) -> list[str]:
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    entry = next(c for part in toc["parts"] for c in part["chapters"] if c["file"] == chapter_file)
    return [s["file"] for s in entry.get("sections") or []]


def test_new_scaffolds_a_contribution_that_passes_the_structural_checks(book: Path, wpsr) -> None:
    result = new(wpsr, book)
    assert result.returncode == 0, result.stderr
    assert "wpsr check contributions/open-budgets-under-pressure.md" in result.stdout
    path = book / "contributions" / "open-budgets-under-pressure.md"
    text = path.read_text()
    assert sections_of(book, "chapters/priorities-and-trade-offs")[-1] == "contributions/open-budgets-under-pressure"
    checked = wpsr(book, "check", "contributions/open-budgets-under-pressure.md")
    assert checked.returncode == 0, checked.stderr
    assert "0 error(s)" in checked.stdout
    warnings = checked.stderr.splitlines()
    assert any("placeholder 'TODO'" in w for w in warnings) and any("words of prose" in w for w in warnings)
    # the author's details went where the specification says
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["authors"] == [{"name": "Amina Example", "affiliations": ["University of Somewhere",
                                                                          "Another Institute"],
                                "country": "KEN", "orcid": "0000-0002-1825-0097", "email": "amina@example.org"}]
    assert (meta["chapter"], meta["subtopic"], meta["status"]) == (2, "c2-g2-04", "draft")


@pytest.mark.build
def test_the_scaffold_builds_and_its_email_is_published_nowhere(built_copy: Path) -> None:
    book = built_copy  # only the new contribution is executed
    assert new(run_wpsr, book).returncode == 0
    result = run_here(book, "build", "--strict")  # its figure is declared: no code waits for a review
    assert result.returncode == 0, result.stdout + result.stderr
    site = book / "_build" / "html"
    page = (site / "contributions" / "open-budgets-under-pressure.html").read_text()
    assert "Amina Example" in page and "Status: draft" in page
    assert '<figure class="wpsr-chart' in page  # drawn from the data, without a notebook's code
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in page
    chapter = (site / "chapters" / "priorities-and-trade-offs.html").read_text()
    assert 'href="../contributions/open-budgets-under-pressure.html"' in chapter
    annex = (site / "annexes" / "subtopics.html").read_text()
    assert "Open budgets under pressure" in annex and "(draft)" in annex
    leaks = [p for p in site.rglob("*") if p.is_file() and b"amina@example.org" in p.read_bytes()]
    assert leaks == []
    assert "Amina Example" in (site / "downloads" / "open-budgets-under-pressure.md").read_text()


def test_new_from_a_notebook_keeps_its_cells(book: Path, tmp_path: Path, wpsr) -> None:
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Participatory budgeting after the pandemic\n\nWhy it matters."),
        nbformat.v4.new_code_cell("import wpsr\nshares = wpsr.load(\"internet-use\")",
                                  outputs=[nbformat.v4.new_output("stream", text="ignored\n")]),
        nbformat.v4.new_markdown_cell("## Background and policy context\n\nSome background."),
    ])
    source = tmp_path / "draft.ipynb"
    nbformat.write(notebook, source)
    result = wpsr(book, "new", "--chapter", "3", "--subtopic", "c3-g2-05", "--author", AUTHOR,
                  "--from", str(source))
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / "participatory-budgeting-after-the-pandemic.md"
    text = path.read_text()
    assert 'title: "Participatory budgeting after the pandemic"' in text
    assert "# Participatory" not in text  # the heading became the title
    assert "Why it matters." in text and "Some background." in text
    assert '```{code-cell} ipython3\nimport wpsr\nshares = wpsr.load("internet-use")\n```' in text
    assert "ignored" not in text
    checked = wpsr(book, "check", str(path.relative_to(book)))
    assert checked.returncode == 1
    assert f"{path.relative_to(book)}:" in checked.stderr
    assert "missing section '## The sub-topic and why it matters now'" in checked.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--subtopic", "c9-g9-99"], "--subtopic 'c9-g9-99' is not in data/subtopics.csv"),
    (["--chapter", "4"], "--chapter 4: the report has chapters 1, 2, 3"),
    (["--author", "Just a name"], "--author 'Just a name': write it as"),
    (["--slug", "Bad Slug!"], "--slug 'Bad Slug!': use lower-case words joined by hyphens"),
])
def test_new_rejects_bad_arguments_with_a_clear_message(book: Path, args: list[str], message: str, wpsr) -> None:
    base = {"--chapter": "2", "--subtopic": "c2-g2-04", "--author": AUTHOR, "--title": "A title"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    flat = [item for key, value in {**base, **given}.items() for item in (key, value)]
    result = wpsr(book, "new", *flat)
    assert result.returncode == 2
    assert message in result.stderr
    assert not list((book / "contributions").glob("a-title.md"))


def test_new_refuses_to_overwrite_and_to_read_a_broken_notebook(book: Path, tmp_path: Path, wpsr) -> None:
    assert new(wpsr, book).returncode == 0
    again = new(wpsr, book)
    assert again.returncode == 2 and "already exists" in again.stderr
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    result = new(wpsr, book, "--from", str(broken), title="")
    assert result.returncode == 2 and "not a Jupyter notebook" in result.stderr
    missing = new(wpsr, book, "--from", str(tmp_path / "missing.ipynb"), title="Another")
    assert missing.returncode == 2 and "cannot be read" in missing.stderr


def test_contributions_are_added_after_the_chapter_s_existing_ones(book: Path, wpsr) -> None:
    assert new(wpsr, book, title="First").returncode == 0
    assert new(wpsr, book, title="Second").returncode == 0
    assert sections_of(book, "chapters/priorities-and-trade-offs")[-2:] == ["contributions/first",
                                                                            "contributions/second"]
    assert wpsr(book, "check").returncode == 0
