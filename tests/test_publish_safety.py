"""Publishing never loses or alters a published edition: killed at any step, it leaves the site as
it was. The builds are replaced by small fakes; publishing's own steps run for real."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import run_wpsr

STEPS = ["export", "build", "pdf", "assemble", "swap"]
EDITIONS = """\
- {id: "2023", title: T, date: 2026-11-01, status: published, tag: edition-2023, note: first}
- {id: "2024.1", title: T, date: 2026-11-20, status: draft, note: second}
"""
# Runs `publish` with the builds faked; SIGKILLs itself when it reaches the step named on the command line.
SCRIPT = textwrap.dedent('''
    import os, signal, sys
    from pathlib import Path
    from wpsr import pdf, publish

    site, edition, version, stop = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

    def reached(step):
        if step == stop:
            os.kill(os.getpid(), signal.SIGKILL)

    def export(root, wanted, target, site):
        (target / "data").mkdir(parents=True)
        (target / "data" / "datapackage.json").write_text('{"resources": []}')
        (target / "contributions").mkdir()
        reached("export")
        return {"tag": None, "commit": None, "working_tree": True}

    def build(source, wanted, site, progress, base_url):
        for builder in ("html", "singlehtml"):
            (source / "_build" / builder).mkdir(parents=True)
            (source / "_build" / builder / "index.html").write_text(f"{wanted.id} {version} {builder}")
        reached("build")

    def print_editions(book, pdfs, *, title):
        for target in pdfs.values():
            target.write_bytes(b"%PDF-1.4 " + version.encode())
        reached("pdf")
        return dict.fromkeys(pdfs, 1)

    assemble, exchange = publish.assemble, publish.exchange

    def assembled(*args, **kwargs):
        manifest = assemble(*args, **kwargs)
        reached("assemble")
        return manifest

    def swapped(new, old):
        exchange(new, old)
        reached("swap")

    publish.export_source, publish.build, pdf.print_editions = export, build, print_editions
    publish.assemble, publish.exchange = assembled, swapped
    publish.publish(edition, site, progress=lambda line: None)
''')


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, hidden ones included, with the files' digests."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def run(book: Path, site: Path, edition: str, version: str, stop: str = "never") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT, str(site), edition, version, stop], cwd=book,
                          capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                                             "WPSR_BOOK_ROOT": str(book)})


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A book and its site (beside it) with both editions published: made once, copied by each test."""
    folder = tmp_path_factory.mktemp("published")
    book = folder / "book"
    (book / "data").mkdir(parents=True)
    (book / "_config.yml").write_text("title: test\n")
    (book / "editions.yaml").write_text(EDITIONS)
    site = folder / "site"
    for edition in ("2023", "2024.1"):
        result = run(book, site, edition, "first")
        assert result.returncode == 0, result.stderr
    assert run_wpsr(book, "verify", "--site", str(site)).returncode == 0
    return folder


@pytest.fixture
def book(published: Path, tmp_path: Path) -> Path:
    """A copy of the published book and site, for one test to publish into, kill and verify."""
    for name in ("book", "site"):
        shutil.copytree(published / name, tmp_path / name, symlinks=True)
    assert tree(tmp_path / "site") == tree(published / "site")
    return tmp_path / "book"


@pytest.mark.parametrize("step", STEPS[:-1])
def test_a_publish_killed_before_the_swap_leaves_the_site_byte_identical(book: Path, step: str, wpsr) -> None:
    site = book.parent / "site"
    before = tree(site)
    result = run(book, site, "2024.1", "second", stop=step)
    assert result.returncode == -9
    assert tree(site) == before
    assert wpsr(book, "verify", "--site", str(site)).returncode == 0


def test_a_publish_killed_after_the_swap_leaves_a_complete_edition(book: Path, wpsr) -> None:
    site = book.parent / "site"
    published = tree(site / "2023")
    result = run(book, site, "2024.1", "second", stop="swap")
    assert result.returncode == -9
    assert (site / "2024.1" / "index.html").read_text() == "2024.1 second html"
    assert tree(site / "2023") == published
    assert wpsr(book, "verify", "--site", str(site)).returncode == 0
    again = run(book, site, "2024.1", "third")  # the next publish clears what the killed one left beside the site
    assert again.returncode == 0, again.stderr
    assert not list(book.parent.glob(".site.wpsr-staging-*"))


def test_a_draft_is_replaced_but_a_published_edition_never_is(book: Path, wpsr) -> None:
    site = book.parent / "site"
    published = tree(site / "2023")
    assert run(book, site, "2024.1", "second").returncode == 0
    assert (site / "2024.1" / "index.html").read_text() == "2024.1 second html"
    refused = wpsr(book, "publish", "2023", "--site", str(site))
    assert refused.returncode == 1 and "a published edition is never changed" in refused.stderr
    assert tree(site / "2023") == published
