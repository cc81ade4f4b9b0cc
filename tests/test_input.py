"""Input that is wrong or hostile: slugs for every language, private fields, BibTeX, broken
sources that stop a build with one located message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_book
from wpsr.book import slug
from wpsr.contributions import bibtex, read

GOOD = ROOT / "contributions" / "civic-space-under-pressure.md"


@pytest.mark.parametrize(("title", "expected"), [
    ("Gouvernance numérique", "gouvernance-numerique"),
    ("Civic space — under pressure (2023)", "civic-space-under-pressure-2023"),
    ("Über Straße", "uber-strasse"),
])
def test_slugs_drop_accents_from_latin_letters(title: str, expected: str) -> None:
    assert slug(title) == expected


@pytest.mark.parametrize("title", ["Цифровое управление", "الحوكمة الرقمية", "数字治理与公共服务"])
def test_slugs_of_other_scripts_are_stable_and_not_empty(title: str) -> None:
    made = slug(title)
    assert made and made == slug(title) and "-" not in (made[0], made[-1]) and "/" not in made


EMAILS = {
    "plain": "    email: ana@example.org\n",
    "quoted": '    email: "ana@example.org"\n',
    "folded": "    email: >-\n      ana@example.org\n",
    "twice": "    email: ana@example.org\n    email: ana@example.org\n",
}


@pytest.mark.parametrize("form", [*EMAILS, "flow"])
def test_private_fields_are_removed_however_they_are_written(tmp_path: Path, form: str) -> None:
    text = GOOD.read_text(encoding="utf-8")
    author = next(line for line in text.splitlines() if line.startswith("    country:")) + "\n"
    if form == "flow":
        start = text.index("authors:\n")
        end = text.index("chapter:")
        text = text[:start] + ('authors: [{name: "Ana", affiliations: [U], country: KEN, email: ana@example.org}]\n'
                               + text[end:])
    else:
        text = text.replace(author, author + EMAILS[form], 1)
    path = tmp_path / "contribution.md"
    path.write_text(text, encoding="utf-8")
    contribution, problems = read(path)
    assert contribution is not None and not problems
    published = contribution.public_text()
    assert "ana@example.org" not in published and "email" not in published
    again, _ = read(_written(tmp_path, published))
    assert again is not None and again.title == contribution.title and again.body == contribution.body


def _written(folder: Path, text: str) -> Path:
    path = folder / "published.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_bibtex_escapes_every_special_character() -> None:
    contribution, _ = read(GOOD)
    assert contribution is not None
    contribution.meta["title"] = r"A \input{/etc/passwd} title & 50% of {x}"

    class Edition:
        id, title = "2023", "World Public Sector Report 2023"
        date = __import__("datetime").date(2026, 1, 1)

    entry = bibtex(contribution, Edition, "https://example.org/x.html")
    assert r"\textbackslash{}input\{/etc/passwd\} title \& 50\% of \{x\}" in entry
    assert r"\input{" not in entry


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: (b / "_toc.yml").write_text((b / "_toc.yml").read_text().replace(
        "chapters/assets-and-innovations", "chapters/no-such-page")),
     "_toc.yml:{line}: lists 'chapters/no-such-page', but there is no chapters/no-such-page.md"),
    (lambda b: (b / "_toc.yml").write_text((b / "_toc.yml").read_text().replace(
        "      - file: key-messages", "     - file: key-messages")),
     "_toc.yml:{line}: not valid YAML"),
    (lambda b: (b / "chapters" / "assets-and-innovations.md").write_bytes(
        (b / "chapters" / "assets-and-innovations.md").read_bytes().replace(b"digital", b"digit\xe9l", 1)),
     "chapters/assets-and-innovations.md:{line}: not UTF-8 text (byte 0xe9)"),
    (lambda b: (b / "editions.yaml").write_text("- id: [broken\n"),
     "editions.yaml:{line}: not valid YAML"),
])
def test_a_broken_source_stops_the_build_with_one_located_message(tmp_path: Path, change, message: str, wpsr) -> None:
    book = copy_book(tmp_path / "book")
    change(book)
    result = wpsr(book, "build", "--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "migrate" not in result.stderr
    found = [line for line in result.stderr.splitlines() if message.split("{line}")[1] in line]
    assert len(found) == 1, result.stderr
    prefix = message.split("{line}")[0]
    assert found[0].startswith(prefix) and found[0][len(prefix):].split(":")[0].isdigit(), found
