"""editions.yaml: its rules, and the files written from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from wpsr.editions import EditionError, citation_cff, editions


@pytest.fixture
def book(empty_book: Path) -> Path:
    return empty_book


@pytest.mark.parametrize(("entry", "message"), [
    ("status: published", "a published edition needs the git tag it is built from — add `tag:`"),
    ("status: final", "status 'final' — use draft or published"),
    ("status: draft\n  date: soon", "date 'soon' is not a date — write it as YYYY-MM-DD"),
    ("status: draft\n  languages: fr", "languages 'fr' is not a list of language codes"),
    ("status: draft\n  languages: [en, de]", "languages: 'de' is not one of the report's languages — use ar, zh"),
    ("status: draft\n  languages: [fr]", "every edition is published in English, the source — add en"),
])
def test_editions_yaml_rules(book: Path, entry: str, message: str) -> None:
    text = f'- id: "2023"\n  title: T\n  date: 2026-11-27\n  {entry}\n'
    if "date: soon" in entry:
        text = text.replace("  date: 2026-11-27\n", "")
    (book / "editions.yaml").write_text(text)
    with pytest.raises(EditionError, match=message):
        editions()


def test_an_edition_is_published_in_the_six_languages_unless_it_lists_fewer(book: Path) -> None:
    entry = '- id: "{}"\n  title: T\n  date: 2026-11-27\n  status: draft\n'
    (book / "editions.yaml").write_text(entry.format("2023") + "  languages: [fr, en]\n" + entry.format("2024"))
    first, second = editions()
    assert first.languages == ("en", "fr")  # in the language menu's order
    assert second.languages == ("ar", "zh", "en", "fr", "ru", "es")


def test_an_edition_id_is_used_once(book: Path) -> None:
    entry = '- id: "2023"\n  title: T\n  date: 2026-11-27\n  status: draft\n'
    (book / "editions.yaml").write_text(entry * 2)
    with pytest.raises(EditionError, match="used twice"):
        editions()


def test_citation_cff_is_up_to_date_with_editions_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WPSR_BOOK_ROOT", str(ROOT))
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == citation_cff(), "run `wpsr cff`"


@pytest.mark.parametrize("bad", ["latest", "../2023", "2023/1", "..", "twenty-23"])
def test_an_edition_id_follows_the_pattern(book: Path, bad: str) -> None:
    (book / "editions.yaml").write_text(f'- id: "{bad}"\n  title: T\n  date: 2026-11-27\n  status: draft\n')
    with pytest.raises(EditionError, match=r"editions.yaml:1: .* is not a year, or a year, a dot and a number"):
        editions()


@pytest.mark.parametrize(("text", "message"), [
    ('- id: "2023"\n  title: T\n   date: 2026-11-27\n', r"editions.yaml:3: not valid YAML"),
    ("id: 2023\ntitle: T\n", r"editions.yaml:1: not a list of editions"),
    ('- id: "2023"\n  title: T\n  date: 2026-11-27\n  status: draft\n- id: "2024.1"\n  title: T\n',
     r"editions.yaml:5: edition '2024.1': missing date, status"),
])
def test_a_broken_editions_yaml_is_one_located_error(book: Path, text: str, message: str) -> None:
    (book / "editions.yaml").write_text(text)
    with pytest.raises(EditionError, match=message):
        editions()
