"""A build the code can see: `wpsr.build.build` returns what it read, wrote, failed on and where."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, run_wpsr
from wpsr.build import Settings, build
from wpsr.problems import Problem

pytestmark = pytest.mark.build


@pytest.fixture
def copied(built_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built book, its execution cache included; no WPSR_ variable set."""
    for name in [n for n in os.environ if n.startswith("WPSR_")]:
        monkeypatch.delenv(name)
    return built_copy


def test_an_edit_reads_and_writes_that_page_and_sets_nothing_in_the_environment(copied: Path) -> None:
    assert build(copied, Settings()).ok  # the preview of the strict build it was copied from
    before = dict(os.environ)
    key = copied / "key-messages.md"
    key.write_text(key.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    said: list[str] = []
    result = build(copied, Settings(), progress=said.append)
    assert result.ok and result.problems == [] and result.warnings == []
    assert result.pages_read == ["key-messages"] and "key-messages" in result.pages_written
    assert "  reading key-messages" in said and result.executed == []
    assert result.output == copied / "_build" / "html" / "index.html"
    assert set(result.timings) >= {"checks", "reading", "writing", "total"} and result.seconds > 0
    assert dict(os.environ) == before  # settings travel as Sphinx config values, not environment variables


def test_a_failing_cell_is_named_by_its_number_line_and_error(copied: Path) -> None:
    page = copied / "chapters" / "assets-and-innovations.md"
    cells = page.read_text(encoding="utf-8").count("```{code-cell}")
    page.write_text(page.read_text(encoding="utf-8") + "\n```{code-cell} ipython3\nshare = 1\nshare = share / 2\n```\n"
                    "\n```{code-cell} ipython3\nshare = 1\nshare = share / 0\n```\n", encoding="utf-8")
    line = page.read_text(encoding="utf-8").splitlines().index("share = share / 0")  # the cell's first line, from 1
    result = build(copied, Settings(strict=True))
    assert not result.ok and result.stopped_before is None
    assert result.problems == [Problem(Path("chapters/assets-and-innovations.md"), line,
                                       f"code cell {cells + 2} raised ZeroDivisionError: division by zero",
                                       "fix the cell, or the data it reads")]
    assert "share = share / 0" in result.detail and "ZeroDivisionError" in result.detail
    assert result.pages_written == []  # nothing was read, so nothing was written


def test_a_warning_is_a_located_problem(copied: Path) -> None:
    index = copied / "index.md"
    text = index.read_text(encoding="utf-8") + "\nSee [a missing page](chapters/missing.md).\n"
    index.write_text(text, encoding="utf-8")
    strict = build(copied, Settings(strict=True))
    assert not strict.ok and strict.problems == []
    [warning] = strict.warnings
    assert (warning.path, warning.line, warning.severity) == (Path("index.md"), len(text.splitlines()), "warning")
    assert "missing.md" in warning.message
    preview = build(copied, Settings())  # a preview builds, and still says so
    assert preview.ok and [w.path for w in preview.warnings] == [Path("index.md")]
    again = build(copied, Settings())  # nothing changed: nothing is built, and the warning is said again
    assert again.up_to_date and again.warnings == preview.warnings
    assert not build(copied, Settings(strict=True)).ok  # a strict build fails on it, every time
    assert not build(copied, Settings(strict=True)).ok


def test_a_published_edition_gets_its_settings_as_config_values(copied: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"content": {}}', encoding="utf-8")
    base = "https://example.org/wpsr/2023/"
    result = build(copied, Settings(strict=True, base_url=base, site=True, previous_manifest=manifest))
    assert result.ok, result.problems + result.warnings
    page = (copied / "_build" / "html" / "key-messages.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{base}key-messages.html"' in page
    assert "wpsr-editions.js" in page  # the editions menu of a versioned site
    edition = yaml.safe_load((copied / "editions.yaml").read_text(encoding="utf-8"))[-1]["id"]
    figures = [p for p in (copied / "_build" / "html" / "figures").rglob("*.html")
               if p.name != "index.html"]
    assert figures
    for figure in figures:  # a figure is cited in this edition, at this edition's address, never "latest"
        cited = re.search(r'<p id="wpsr-cite-text">([^<]+)</p>', figure.read_text(encoding="utf-8"))[1]
        address = base + figure.relative_to(copied / "_build" / "html").as_posix()
        assert f"living report edition {edition}. {address}" in html.unescape(cited) and "latest" not in cited
        sitemap = (copied / "_build" / "html" / "sitemap.xml").read_text(encoding="utf-8")
        assert f"<loc>{address}</loc>" in sitemap and f"<loc>{address.removesuffix('.html')}.xlsx</loc>" in sitemap


def test_data_that_breaks_its_schema_stops_the_build_before_it_starts(copied: Path) -> None:
    csv = copied / "data" / "internet_use.csv"
    lines = csv.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if ",ITU region," in text)
    fields = lines[line - 1].split(",")
    lines[line - 1] = ",".join([*fields[:3], "137.1", *fields[4:]])
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = build(copied, Settings())
    assert not result.ok and "data/" in result.stopped_before and result.pages_read == []
    assert [(str(p.path), p.line, p.field) for p in result.problems] == [("data/internet_use.csv", line, "share_pct")]


def test_a_build_with_nothing_to_do_does_nothing_until_an_input_or_the_output_changes(copied: Path) -> None:
    assert build(copied, Settings()).ok
    again = build(copied, Settings())
    assert again.ok and again.up_to_date and again.pages_read == [] and again.pages_written == []
    assert not build(copied, Settings(strict=True)).up_to_date  # other settings: another build
    assert build(copied, Settings(strict=True)).up_to_date
    (copied / "_build" / "html" / "key-messages.html").unlink()
    rebuilt = build(copied, Settings(strict=True))
    assert not rebuilt.up_to_date and (copied / "_build" / "html" / "key-messages.html").is_file()
    page = copied / "contributions" / "civic-space-under-pressure.md"
    page.write_text(page.read_text(encoding="utf-8").replace("\n## ", "\nAn added sentence.\n\n## ", 1),
                    encoding="utf-8")
    edited = build(copied, Settings(strict=True))
    assert not edited.up_to_date and edited.pages_read == ["contributions/civic-space-under-pressure"]
    assert not build(copied, Settings(strict=True, fresh=True)).up_to_date  # --all always builds


def test_preloading_leaves_python_s_logging_as_it_was_and_hides_what_it_loaded_from_the_collector_once() -> None:
    """`build.preload`, before a build (and before the translations' workers are forked): a11y_pygments
    configures the root logger at INFO as it is imported, which would print every library's INFO
    messages (fontTools', hundreds of lines a font cut) into the build's output; what it loaded is
    frozen out of the garbage collector's walks, once a process (what is frozen is never collected)."""
    said = subprocess.run([sys.executable, "-c", "import gc, logging; from pathlib import Path; "
                           "from wpsr.build import preload; preload(Path.cwd()); frozen = gc.get_freeze_count(); "
                           "preload(Path.cwd()); "
                           "print(logging.getLogger().handlers, logging.getLevelName(logging.getLogger().level), "
                           "frozen > 100_000, gc.get_freeze_count() == frozen)"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert said.stdout.split() == ["[]", "WARNING", "True", "True"], said.stdout + said.stderr


def test_a_failing_translation_fails_the_build_of_every_language_by_name(copied: Path) -> None:
    """`wpsr build --language all`: a translation that fails fails the build, by name (that every
    language builds beside English is tested by the editions' publish, which builds them so)."""
    editions = copied / "editions.yaml"
    entries = yaml.safe_load(editions.read_text(encoding="utf-8"))
    entries[-1]["languages"] = ["en", "es"]
    editions.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    catalog = copied / "locales" / "es" / "LC_MESSAGES" / "key-messages.po"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(re.sub(r'msgstr "(.*?)(\d+)', lambda m: f'msgstr "{m[1]}{int(m[2]) + 1}', text, count=1),
                       encoding="utf-8")  # a number that differs from the English
    failed = run_wpsr(copied, "build", "--strict", "--language", "all")
    assert failed.returncode == 1
    assert re.search(r"Built in [0-9.]+ s: .*_build/html/index.html", failed.stdout)  # English was built
    assert "[fr]" not in failed.stdout and not (copied / "_build" / "html" / "fr").exists()  # not the edition's
    english = (copied / "_build" / "html" / "index.html").read_text(encoding="utf-8")
    assert 'hreflang="es"' in english and 'hreflang="fr"' not in english  # the edition's languages alone
    assert "The build failed in: es (above)." in failed.stderr
    assert re.search(r"locales/es/LC_MESSAGES/key-messages.po:\d+: .*number", failed.stderr), failed.stderr


def test_a_translation_beside_english_reads_its_other_pages_first_and_stops_if_english_failed(copied: Path) -> None:
    """A translation built beside English (`wpsr build --language all`) executes no notebook: it reads
    the pages that are not notebooks while English executes them, asking before each whether English
    failed, waits for English before the first notebook, and stops as soon as it knows English failed."""
    said: list[str] = []
    asked: list[tuple[bool, list[str]]] = []

    def english_fails_before_executing(block: bool = True) -> bool | None:
        asked.append((block, [line.split()[-1] for line in said if line.startswith("  reading ")]))
        return False if block else None  # still executing as each page is read, failed once waited for

    result = build(copied, Settings(language="es", fresh=True, checked=True), progress=said.append,
                   wait_for_notebooks=english_fails_before_executing)
    assert not result.ok and [p.message for p in result.problems] == [
        "English's build failed before the notebooks were executed"]
    assert result.executed == []
    listed = re.findall(r"(?:root|file): (\S+)", (copied / "_toc.yml").read_text(encoding="utf-8"))
    notebooks = {page for page in listed if "kernelspec:" in (copied / f"{page}.md").read_text(encoding="utf-8")}
    assert notebooks and sorted(result.pages_read) == sorted(set(listed) - notebooks)  # every other page, first
    assert [block for block, _ in asked] == [False] * len(result.pages_read) + [True]  # before each; then it waits
    assert asked[-1][1] == result.pages_read  # it stopped at the first notebook

    said.clear()
    known = build(copied, Settings(language="es", fresh=True, checked=True), progress=said.append,
                  wait_for_notebooks=lambda block=True: False)  # English failed already
    assert not known.ok and known.pages_read == [] and known.executed == []


def test_a_preview_builds_again_with_its_application_until_a_warning_or_its_configuration_lets_it_go(
        copied: Path) -> None:
    """`wpsr serve --watch` keeps its Sphinx application between saves (wpsr.kept_app): an edit is read
    and written by the same one; a warning lets it go, so the page is read again once fixed; a change
    to _config.yml makes a new one."""
    from wpsr import kept_app

    preview = Settings(keep=True)
    page, written = copied / "key-messages.md", copied / "_build" / "html" / "key-messages.html"
    text = page.read_text(encoding="utf-8")
    try:
        assert build(copied, preview).ok
        first = kept_app._kept.app
        page.write_text(text + "\nOne more sentence.\n", encoding="utf-8")
        edited = build(copied, preview)
        assert edited.ok and edited.pages_read == ["key-messages"] and kept_app._kept.app is first
        assert "One more sentence." in written.read_text(encoding="utf-8")
        index = copied / "_build" / "html" / "pagefind" / "pagefind-entry.json"
        index.unlink()
        assert [work() for work in edited.afterwards] == [None] and index.is_file()  # the search index, after

        page.write_text(text + "\nSee [a missing page](chapters/missing.md).\n", encoding="utf-8")
        warned = build(copied, preview)
        assert [w for w in warned.warnings if "missing.md" in w.message] and kept_app._kept is None
        page.write_text(text + "\nA sentence once fixed.\n", encoding="utf-8")
        fixed = build(copied, preview)
        assert fixed.ok and fixed.warnings == [] and "key-messages" in fixed.pages_read
        assert "A sentence once fixed." in written.read_text(encoding="utf-8")
        second = kept_app._kept.app
        assert second is not first

        config = copied / "_config.yml"
        config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        assert build(copied, preview).ok and kept_app._kept.app is not second
    finally:
        kept_app.forget()


def test_a_saved_catalog_shows_in_the_preview_s_next_build(copied: Path) -> None:
    """`wpsr serve --watch --language fr`: a translation saved in its catalog is on the page after the
    rebuild (neither Sphinx's translators nor Python's cache of the catalogs it read keep the old one);
    and this process speaks English again after it."""
    from wpsr import kept_app
    from wpsr.markup import render

    french = Settings(language="fr", keep=True)
    catalog = copied / "locales" / "fr" / "LC_MESSAGES" / "key-messages.po"
    try:
        assert build(copied, french).ok
        text = catalog.read_text(encoding="utf-8")
        revised = re.sub(r'(msgid "[^"]+"\nmsgstr ")', r"\1(révisé) ", text, count=1)
        assert revised != text
        catalog.write_text(revised, encoding="utf-8")
        result = build(copied, french)
        assert result.ok and result.pages_read == ["key-messages"]
        page = copied / "_build" / "html" / "fr" / "key-messages.html"
        assert "(révisé) " in page.read_text(encoding="utf-8")
    finally:
        kept_app.forget()
    assert "Download this table (CSV)" in str(render("table-notes.html", source="S", name="n", csv_uri="data:,"))


def test_a_contribution_written_in_french_says_so_and_links_its_original_and_back(copied: Path) -> None:
    """`language: fr` and `translation_of:`: in the English site its text is marked French, a note says
    so, and it and its original link to each other; in the French site it is no translation of anything."""
    from wpsr.contributions import specification

    original = (copied / "contributions" / "civic-space-under-pressure.md").read_text(encoding="utf-8")
    french = original.replace("status: published\n", "status: published\nlanguage: fr\n"
                              "translation_of: civic-space-under-pressure\n", 1)
    french = re.sub(r'title: "[^"]*"', 'title: "L\'espace civique sous pression"', french, count=1)
    for section in specification()["sections"]:
        french = french.replace(f"## {section['title']}\n", f"## {section['titles']['fr'][0]}\n", 1)
    toc = copied / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace(
        "          - file: contributions/civic-space-under-pressure\n",
        "          - file: contributions/civic-space-under-pressure\n          - file: contributions/espace-civique\n"),
        encoding="utf-8")
    both = ("en", "fr")
    unlinked = french.replace("translation_of: civic-space-under-pressure\n", "")
    (copied / "contributions" / "espace-civique.md").write_text(unlinked, encoding="utf-8")
    assert build(copied, Settings(languages=both)).ok
    (copied / "contributions" / "espace-civique.md").write_text(french, encoding="utf-8")  # it names its original
    relinked = build(copied, Settings(languages=both))
    assert relinked.ok and "contributions/civic-space-under-pressure" in relinked.pages_written
    site = copied / "_build" / "html" / "contributions"
    page = (site / "espace-civique.html").read_text(encoding="utf-8")
    assert '<div lang="fr" dir="ltr"><section' in page and "This contribution is written in French." in page
    assert re.search(r'Original, in English: <a href="../contributions/civic-space-under-pressure.html" hreflang="en" '
                     r'lang="en">Civic space under pressure', page)
    english = (site / "civic-space-under-pressure.html").read_text(encoding="utf-8")
    assert ('Translation into French: <a href="../fr/contributions/espace-civique.html" hreflang="fr" '
            'lang="fr">') in english
    assert '<div lang="fr"' not in english

    assert build(copied, Settings(language="fr", languages=both)).ok
    in_french = (site.parent / "fr" / "contributions" / "espace-civique.html").read_text(encoding="utf-8")
    assert "wpsr-untranslated" not in in_french and '<section lang="en"' not in in_french
    assert "wpsr-banner-translation" in in_french and "written in" not in in_french  # only the link to its original
    assert 'href="../../contributions/civic-space-under-pressure.html" hreflang="en"' in in_french  # its original

    from wpsr import translations

    assert translations.update(copied, progress=lambda said: None) == []
    catalogs = copied / "locales" / "es" / "LC_MESSAGES" / "contributions"
    assert (catalogs / "civic-space-under-pressure.po").is_file()
    assert not (catalogs / "espace-civique.po").exists()  # written in French: no catalog of its English
    assert 'figcaption class="wpsr-chart-title">' in in_french  # its chart's words are its own, not English
