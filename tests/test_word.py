"""Word in and out: `wpsr new --from FILE.docx` (and .odt) and `wpsr export FILE --docx`.

The Word files are made here: with python-docx (headings, tables, merged cells, images with and without
alt text, document properties, comments, and tracked changes written as their XML), or with pandoc
from Markdown where python-docx cannot (footnotes, and .odt)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import docx
import pypandoc
import pytest
import yaml
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Inches

from tests.conftest import copy_book
from wpsr import word
from wpsr.contributions import specification
from wpsr.template import render

AUTHOR = "Amina Example; University of Somewhere; KEN"
SECTIONS = [s["title"] for s in specification()["sections"]]
LANGUAGES = {
    "en": "Public services moved online at speed during the pandemic.",
    "fr": "Les services publics sont passés en ligne très vite pendant la pandémie.",
    "es": "Los servicios públicos pasaron a internet con rapidez durante la pandemia.",
    "ru": "Во время пандемии государственные услуги быстро перешли в онлайн.",
    "ar": "انتقلت الخدمات العامة إلى الإنترنت بسرعة خلال الجائحة.",
    "zh": "疫情期间，公共服务迅速转向线上。",
}


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return copy_book(tmp_path / "book")


def png(rgb: tuple[int, int, int], width: int = 4, height: int = 3) -> bytes:
    """A small PNG of one colour."""
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def sections_document(path: Path, headings: list[str], text: str, **properties: str) -> Path:
    """A .docx with the given section headings, a paragraph of `text` under each, and a table under the third."""
    document = docx.Document()
    for name, value in properties.items():
        setattr(document.core_properties, name, value)
    for index, heading in enumerate(headings):
        document.add_heading(heading, 1)
        document.add_paragraph(text)
        if index == 2:
            table = document.add_table(rows=2, cols=2)
            for (row, column), value in {(0, 0): "Place", (0, 1): "What changed", (1, 0): "Nairobi",
                                         (1, 1): text}.items():
                table.cell(row, column).text = value
    document.save(path)
    return path


def from_markdown(path: Path, markdown: str) -> Path:
    """A .docx or .odt written by pandoc from Markdown (footnotes, which python-docx cannot write)."""
    pypandoc.convert_text(markdown, path.suffix[1:], format="markdown", outputfile=str(path))
    return path


def new(wpsr: Callable[..., CompletedProcess], book: Path, source: Path, *extra: str,
        author: bool = True) -> CompletedProcess:
    return wpsr(book, "new", "--chapter", "2", "--subtopic", "c2-g2-04", *(["--author", AUTHOR] if author else []),
                "--from", str(source), *extra)


def imported(wpsr: Callable[..., CompletedProcess], book: Path, document: Any, folder: Path, title: str,
             slug: str) -> tuple[CompletedProcess, Path]:
    """A Word document saved, then imported by `wpsr new --from` as the contribution `slug`, which
    succeeds: what the command said, and the new file."""
    source = folder / f"{slug}.docx"
    document.save(source)
    result = new(wpsr, book, source, "--title", title)
    assert result.returncode == 0, result.stderr
    return result, book / "contributions" / f"{slug}.md"


def state(book: Path) -> tuple[list[str], str]:
    """What an import may change: the files under contributions/ and _toc.yml."""
    return (sorted(str(p.relative_to(book)) for p in (book / "contributions").rglob("*")),
            (book / "_toc.yml").read_text(encoding="utf-8"))


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def meta(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# --- headings and the six sections ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "section"), [
    ("1. Background and policy context", 1),
    ("BACKGROUND AND POLICY CONTEXT.", 1),
    ("II) Background and policy context", 1),
    ("Section 3: What changed — examples", 2),
    ("3 What changed: examples", 2),
    ("4. Résultats et tendances, atouts et défis", 3),
    ("一、背景和政策环境", 1),
    ("٢. الخلفية وسياق السياسات", 1),
    ("6. Рекомендации по вопросам политики", 5),
    ("Recomendaciones de políticas", 5),
    ("Background", None),
    ("Methodology", None),
    ("Policy", None),
])
def test_headings_match_a_section_whatever_their_case_punctuation_numbering_or_language(
        text: str, section: int | None) -> None:
    assert word.match_section(text) == section


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_six_sections_are_found_in_each_un_language_and_the_text_comes_through(
        book: Path, tmp_path: Path, wpsr, language: str) -> None:
    titles = [s["title"] if language == "en" else s["titles"][language][0] for s in specification()["sections"]]
    source = sections_document(tmp_path / f"draft-{language}.docx", [f"{n}. {t}" for n, t in enumerate(titles, 1)],
                               LANGUAGES[language])
    result = new(wpsr, book, source, "--title", "Services online", "--slug", f"services-{language}")
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / f"services-{language}.md"
    text = body(path)
    assert re.findall(r"^## (.+)$", text, re.M) == SECTIONS
    assert text.count(LANGUAGES[language]) == 7  # six paragraphs and a table cell, intact
    assert "TODO: write this section" not in text  # none added: all six were found
    assert "| Place | What changed |" in re.sub(r" +", " ", text)
    said = result.stderr
    assert "missing section" not in said and "is not one of the specification's" not in said
    assert "has no table" not in said


def test_headings_that_are_no_section_are_kept_inside_theirs_and_reported_at_their_line(
        book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()
    document.add_heading("The sub-topic and why it matters now", 1)
    document.add_paragraph("Why it matters.")
    document.add_heading("Methodology", 2)
    document.add_paragraph("How we looked.")
    document.add_heading("Context and policies", 1)  # close to a section, but not one
    document.add_paragraph("Some context.")
    result, path = imported(wpsr, book, document, tmp_path, "A title", "a-title")
    text = body(path)
    assert "### Methodology\n\nHow we looked." in text
    assert "### Context and policies\n\nSome context." in text
    line = line_of(path, "### Methodology")
    assert (f"contributions/a-title.md:{line}: warning: the heading 'Methodology' is not one of the specification's "
            "six sections: kept as '### Methodology' inside 'The sub-topic and why it matters now'") in result.stderr
    line = line_of(path, "### Context and policies")
    assert f"contributions/a-title.md:{line}: warning: the heading 'Context and policies'" in result.stderr
    # the sections the document lacks come from the template, in their place, and `wpsr check` says so
    assert re.findall(r"^## (.+)$", text, re.M) == SECTIONS
    assert text.count("TODO: write this section.") == 5
    assert "placeholder 'TODO'" in result.stderr


# --- what is carried over ------------------------------------------------------------------------

DRAFT = """---
title: Budgets in the open
author: [Amina Example]
---

# The sub-topic and why it matters now

Budgets *changed* during the **pandemic**.[^1] See [the treasury](https://example.org/treasury).

- monthly reports
- open procurement

> A quotation from a minister.

# What changed: examples

| Place | What changed |
|-------|--------------|
| Kenya | Monthly reports[^2] |
| Chile | Open data |

% of budgets published rose.

[^1]: As the inception meeting noted.

[^2]: Published by the national treasury.
"""


def test_paragraphs_emphasis_lists_links_quotes_tables_and_footnotes_are_carried_over(
        book: Path, tmp_path: Path, wpsr) -> None:
    source = from_markdown(tmp_path / "draft.docx", DRAFT)
    result = new(wpsr, book, source)
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / "budgets-in-the-open.md"
    assert meta(path)["title"] == "Budgets in the open"  # Word's Title paragraph
    text = body(path)
    assert "Budgets *changed* during the **pandemic**.[^1] See [the treasury](https://example.org/treasury)." in text
    assert "- monthly reports\n- open procurement" in text
    assert "> A quotation from a minister." in text
    assert re.search(r"^\| Kenya +\| Monthly reports\[\^2\] +\|$", text, re.M)
    assert re.search(r"^\[\^1\]: As the inception meeting noted\.$", text, re.M)
    assert re.search(r"^\[\^2\]: Published by the national treasury\.$", text, re.M)
    assert "\n\\% of budgets published rose." in text  # not a MyST comment: the reader sees it
    checked = wpsr(book, "check", str(path.relative_to(book)))
    assert "broken" not in checked.stderr and "raw HTML" not in checked.stderr


def test_merged_and_multi_paragraph_cells_become_a_pipe_table(book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()
    document.add_heading("What changed: examples", 1)
    table = document.add_table(rows=3, cols=3)
    for (row, column), value in {(0, 0): "Place", (0, 1): "Change", (0, 2): "Year", (1, 0): "Kenya",
                                 (1, 1): "Reports", (1, 2): "2021", (2, 0): "Chile"}.items():
        table.cell(row, column).text = value
    table.cell(1, 1).add_paragraph("and open data")
    table.cell(2, 1).merge(table.cell(2, 2)).text = "Open procurement since 2020"
    source = tmp_path / "tables.docx"
    document.save(source)
    assert new(wpsr, book, source, "--title", "Tables").returncode == 0
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in body(book / "contributions" / "tables.md")
            .splitlines() if line.startswith("|")]
    assert rows[0] == ["Place", "Change", "Year"]
    assert rows[2] == ["Kenya", "Reports and open data", "2021"]
    assert rows[3][:2] == ["Chile", "Open procurement since 2020"] and len(rows[3]) == 3


def test_a_table_of_numbers_is_reported_and_offered_as_a_csv(book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()
    document.add_heading("What changed: examples", 1)
    table = document.add_table(rows=3, cols=3)
    for (row, column), value in {(0, 0): "Country", (0, 1): "2019", (0, 2): "2022", (1, 0): "Kenya",
                                 (1, 1): "23.5", (1, 2): "40.1", (2, 0): "Chile", (2, 1): "1,204", (2, 2): "87 %"
                                 }.items():
        table.cell(row, column).text = value
    result, path = imported(wpsr, book, document, tmp_path, "Numbers", "numbers")
    line = line_of(path, "| Country")
    assert f"contributions/numbers.md:{line}: warning: a table of numbers (2 rows)" in result.stderr
    saved = (book / "contributions" / "numbers-files" / "table-1.csv").read_text(encoding="utf-8")
    assert saved == "Country,2019,2022\nKenya,23.5,40.1\nChile,\"1,204\",87 %\n"


def test_images_are_extracted_beside_the_contribution_and_one_without_alt_text_is_located(
        book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()
    document.add_heading("Results and trends, strengths and challenges", 1)
    document.add_paragraph("A map follows.")
    document.add_picture(io.BytesIO(png((200, 0, 0))), width=Inches(1))
    document.add_paragraph("A chart follows.")
    document.add_picture(io.BytesIO(png((0, 0, 200))), width=Inches(1))
    document.inline_shapes[1]._inline.docPr.set("descr", "Forty per cent of budgets were published in 2022")
    result, path = imported(wpsr, book, document, tmp_path, "Images", "images")
    text = body(path)
    assert "![TODO: describe what this image shows](images-files/figure-1.png)" in text
    assert "![Forty per cent of budgets were published in 2022](images-files/figure-2.png)" in text
    assert (book / "contributions" / "images-files" / "figure-1.png").read_bytes() == png((200, 0, 0))
    assert (book / "contributions" / "images-files" / "figure-2.png").read_bytes() == png((0, 0, 200))
    line = line_of(path, "images-files/figure-1.png")
    assert f"contributions/images.md:{line}: an image without alt text (images-files/figure-1.png)" in result.stderr
    assert "figure-2.png) —" not in result.stderr  # the described one is not reported
    checked = wpsr(book, "check", "contributions/images.md")
    assert "broken link" not in checked.stderr and "refused" not in checked.stderr


def bmp(width: int = 2, height: int = 2) -> bytes:
    """A small 24-bit BMP, a format Word keeps and browsers do not show."""
    row = b"\x00\x80\x00" * width + b"\x00" * ((4 - width * 3 % 4) % 4)
    pixels = row * height
    return (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0) + pixels)


def test_an_image_browsers_cannot_show_is_reported(book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()
    document.add_heading("Results and trends, strengths and challenges", 1)
    document.add_picture(io.BytesIO(bmp()), width=Inches(1))
    document.inline_shapes[0]._inline.docPr.set("descr", "A green square")
    result, path = imported(wpsr, book, document, tmp_path, "Bitmap", "bitmap")
    line = line_of(path, "bitmap-files/figure-1.bmp")
    assert (f"contributions/bitmap.md:{line}: a .bmp image (bitmap-files/figure-1.bmp) cannot be shown on the web "
            "— save the picture as PNG") in result.stderr
    assert "without alt text" not in result.stderr


def test_an_image_the_document_only_links_to_is_said_to_be_left_out(book: Path, tmp_path: Path, wpsr) -> None:
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_heading("Results and trends, strengths and challenges", 1)
    document.add_picture(io.BytesIO(png((1, 2, 3))), width=Inches(1))
    blip = document.inline_shapes[0]._inline.xpath(".//a:blip")[0]
    del blip.attrib[qn("r:embed")]  # Insert > Pictures > Link to File: the document holds only the address
    blip.set(qn("r:link"), document.part.relate_to("https://example.org/chart.png", "http://schemas.openxmlformats"
                                                   ".org/officeDocument/2006/relationships/image", is_external=True))
    source = tmp_path / "linked.docx"
    document.save(source)
    result = new(wpsr, book, source, "--title", "Linked")
    assert result.returncode == 0, result.stderr
    assert ("contributions/linked.md: the document only links to an image outside it (https://example.org/chart.png), "
            "so it is not imported — insert the image itself") in result.stderr
    assert not (book / "contributions" / "linked-files").exists()


# --- document properties -------------------------------------------------------------------------

def test_word_s_title_and_authors_fill_the_front_matter(book: Path, tmp_path: Path, wpsr) -> None:
    source = sections_document(tmp_path / "props.docx", SECTIONS, LANGUAGES["ru"],
                               title="Участие граждан в бюджете", author="Amina Example; Li Wei")
    result = new(wpsr, book, source, "--slug", "participation", author=False)
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / "participation.md"
    found = meta(path)
    assert found["title"] == "Участие граждан в бюджете"
    assert [a["name"] for a in found["authors"]] == ["Amina Example", "Li Wei"]
    assert found["authors"][0]["affiliations"] == ["TODO: institution"]
    assert "    # TODO: country: ISO 3166-1 alpha-3 code" in path.read_text(encoding="utf-8")
    line = line_of(path, "- name: \"Amina Example\"")
    assert f"contributions/participation.md:{line}: missing field 'authors.0.country'" in result.stderr
    # --title and --author win over the properties
    again = new(wpsr, book, source, "--slug", "participation-2", "--title", "Citizens and budgets")
    found = meta(book / "contributions" / "participation-2.md")
    assert found["title"] == "Citizens and budgets"
    assert [a["name"] for a in found["authors"]] == ["Amina Example"] and found["authors"][0]["country"] == "KEN"
    assert again.returncode == 0


def test_a_title_in_arabic_or_chinese_comes_through_and_asks_for_a_latin_file_name(
        book: Path, tmp_path: Path, wpsr) -> None:
    source = sections_document(tmp_path / "arabic.docx", [s["titles"]["ar"][0] for s in specification()["sections"]],
                               LANGUAGES["ar"], title="الحوكمة الرقمية بعد الجائحة", author="أمينة مثال")
    before = state(book)
    refused = new(wpsr, book, source)
    assert refused.returncode == 2
    assert "wpsr new: the title makes no file name of lower-case Latin words ('الحوكمة-" in refused.stderr
    assert "— give one with --slug" in refused.stderr
    assert state(book) == before
    result = new(wpsr, book, source, "--slug", "digital-governance", author=False)
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / "digital-governance.md"
    found = meta(path)
    assert found["title"] == "الحوكمة الرقمية بعد الجائحة" and found["authors"][0]["name"] == "أمينة مثال"
    assert body(path).count(LANGUAGES["ar"]) == 7
    chinese = sections_document(tmp_path / "chinese.docx", [s["titles"]["zh"][0] for s in specification()["sections"]],
                                LANGUAGES["zh"], title="数字治理")
    assert new(wpsr, book, chinese, "--slug", "digital-governance-zh").returncode == 0
    assert meta(book / "contributions" / "digital-governance-zh.md")["title"] == "数字治理"


def test_without_a_title_property_the_first_heading_is_the_title(book: Path, tmp_path: Path, wpsr) -> None:
    document = docx.Document()  # python-docx names its author "python-docx": not an author
    document.add_heading("Participatory budgeting after the pandemic", 1)
    document.add_heading("The sub-topic and why it matters now", 1)
    document.add_paragraph("Why it matters.")
    source = tmp_path / "untitled.docx"
    document.save(source)
    result = new(wpsr, book, source, author=False)
    assert result.returncode == 2 and "give at least one --author" in result.stderr
    assert "the document names no author" in result.stderr
    result = new(wpsr, book, source)
    assert result.returncode == 0, result.stderr
    path = book / "contributions" / "participatory-budgeting-after-the-pandemic.md"
    assert meta(path)["title"] == "Participatory budgeting after the pandemic"
    assert "Participatory budgeting" not in body(path)  # the heading became the title


# --- refused, with one message, and nothing written ---------------------------------------------

def comment_document(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("Budgets moved online during the pandemic and stayed there.")
    paragraph = document.add_paragraph("Open data portals were launched in many countries at once.")
    document.add_comment(paragraph.runs, text="Which countries?", author="Reviewer")
    document.save(path)
    return path


def tracked_document(path: Path, change: str) -> Path:
    document = docx.Document()
    document.add_paragraph("Budgets moved online during the pandemic and stayed there.")
    paragraph = document.add_paragraph("Open data portals were launched in many countries ")
    paragraph._p.append(parse_xml(f'<w:{change} {nsdecls("w")} w:id="7" w:author="Reviewer" '
                                  f'w:date="2024-05-01T00:00:00Z"><w:r><w:{"delText" if change == "del" else "t"}>'
                                  f'at once</w:{"delText" if change == "del" else "t"}></w:r></w:{change}>'))
    document.save(path)
    return path


def odt_with_comment(path: Path, tracked: bool = False) -> Path:
    """An .odt with a comment (or a tracked insertion) in its second paragraph, as LibreOffice writes them."""
    from_markdown(path, "First paragraph of the draft.\n\nSecond paragraph, where a reviewer wrote a note.\n")
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    content = parts["content.xml"].decode("utf-8")
    note = ('<text:change-start text:change-id="ct1"/>Now: <text:change-end text:change-id="ct1"/>' if tracked else
            '<office:annotation><dc:creator>Reviewer</dc:creator><text:p>Source?</text:p></office:annotation>')
    content = re.sub(r"(<text:p[^>]*>)(Second)", rf"\1{note}\2", content, count=1)
    if tracked:
        content = content.replace("<office:text>", '<office:text><text:tracked-changes><text:changed-region '
                                  'text:id="ct1"><text:insertion><office:change-info><dc:creator>R</dc:creator>'
                                  '<dc:date>2024-05-01T00:00:00</dc:date></office:change-info></text:insertion>'
                                  '</text:changed-region></text:tracked-changes>', 1)
        assert "<text:tracked-changes>" in content
    assert note in content
    parts["content.xml"] = content.encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path



def refused(book: Path, wpsr, source: Path) -> str:
    """What `wpsr new --from SOURCE` says when it refuses: one message, exit status 2, nothing written."""
    before = state(book)
    result = new(wpsr, book, source, "--title", "Refused")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1  # one message
    assert state(book) == before
    return result.stderr

@pytest.mark.parametrize(("make", "message"), [
    (lambda p: tracked_document(p / "inserted.docx", "ins"),
     "the document has tracked changes (in the paragraph that begins “Open data portals were launched in many "
     "countries…”)"),
    (lambda p: tracked_document(p / "deleted.docx", "del"),
     "tracked changes (in the paragraph that begins “Open data portals were launched in many countries…”)"),
    (lambda p: comment_document(p / "commented.docx"),
     "the document has comments (in the paragraph that begins “Open data portals were launched in many "
     "countries…”)"),
    (lambda p: odt_with_comment(p / "commented.odt"),
     "comments (in the paragraph that begins “Second paragraph, where a reviewer wrote a note.”)"),
    (lambda p: odt_with_comment(p / "tracked.odt", tracked=True),
     "tracked changes (in the paragraph that begins “Now: Second paragraph, where a reviewer wrote a…”)"),
])
def test_tracked_changes_and_comments_are_refused_naming_the_paragraph(
        book: Path, tmp_path: Path, wpsr, make: Callable[[Path], Path], message: str) -> None:
    source = make(tmp_path)
    said = refused(book, wpsr, source)
    assert message in said
    assert "accept or reject every change" in said and "delete the comments" in said
    assert ("LibreOffice" in said) == (source.suffix == ".odt")


def test_changes_and_comments_together_are_one_message(book: Path, tmp_path: Path, wpsr) -> None:
    source = comment_document(tmp_path / "both.docx")
    document = docx.Document(source)
    document.paragraphs[0]._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="9" w:author="R" '
                                               'w:date="2024-05-01T00:00:00Z"><w:r><w:t>now</w:t></w:r></w:ins>'))
    document.save(source)
    result = new(wpsr, book, source, "--title", "Both")
    assert result.returncode == 2
    assert ("tracked changes (in the paragraph that begins “Budgets moved online during the pandemic and stayed…”) "
            "and comments (in the paragraph that begins “Open data") in result.stderr


def encrypted(path: Path) -> Path:
    """What Word writes for a password-protected document: an OLE compound file whose directory names the
    EncryptionInfo and EncryptedPackage streams (in UTF-16)."""
    directory = b"".join(name.encode("utf-16-le").ljust(128, b"\0") for name in ("Root Entry", "EncryptionInfo",
                                                                                    "EncryptedPackage"))
    path.write_bytes(word.OLE + b"\0" * 504 + directory + b"\0" * 1024)
    return path


def old_doc(path: Path) -> Path:
    path.write_bytes(word.OLE + b"\0" * 504 + "WordDocument".encode("utf-16-le").ljust(128, b"\0") + b"\0" * 1024)
    return path


def with_macros(path: Path) -> Path:
    sections_document(path, SECTIONS[:1], "Text.")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\0" * 64)
    return path


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: (p / "renamed.docx").write_text("Budgets in the open\n\nA text file.") and p / "renamed.docx",
     "renamed.docx: not a Word document (not a .docx or .odt package"),
    (lambda p: encrypted(p / "locked.docx"),
     "locked.docx: the document is password-protected (encrypted), so it cannot be read — in Word, remove the "
     "password"),
    (lambda p: old_doc(p / "old.doc"), "old.doc: a Word 97-2003 document (the old .doc format) — open it in Word "
     "and save it as a Word Document (.docx)"),
    (lambda p: sections_document(p / "macros.docm", SECTIONS[:1], "Text."),
     "macros.docm: a macro-enabled document (.docm) is refused, as macros are code"),
    (lambda p: with_macros(p / "hidden-macros.docx"), "hidden-macros.docx: a document with macros (whatever its "
     "name says) is refused"),
    (lambda p: (p / "empty.docx").write_bytes(b"") == 0 and p / "empty.docx", "empty.docx: the file is empty"),
    (lambda p: sparse(p / "huge.docx", word.MAX_BYTES), "huge.docx: 50.0 MB, and a document of 50 MB or more is "
     "refused — make its images smaller"),
    (lambda p: sparse(p / "nearly.docx", word.MAX_BYTES - 1), "nearly.docx: not a Word document"),  # not the size
    (lambda p: p / "missing.docx", "missing.docx: cannot be read (No such file or directory) — check the path"),
    (lambda p: (p / "draft.txt").write_text("text") and p / "draft.txt",
     "draft.txt: --from takes a Jupyter notebook (.ipynb) or a Word document (.docx, .odt)"),
])
def test_what_is_not_a_word_document_to_import_is_refused_with_one_message_and_nothing_written(
        book: Path, tmp_path: Path, wpsr, make: Callable[[Path], Path], message: str) -> None:
    said = refused(book, wpsr, make(tmp_path))
    assert message in said and said.startswith("wpsr new: ")


def test_an_odt_document_is_imported_too(book: Path, tmp_path: Path, wpsr) -> None:
    markdown = "\n\n".join(f"# {s['titles']['fr'][0]}\n\nTexte de la section.[^{n}]\n\n[^{n}]: Note {n}."
                           for n, s in enumerate(specification()["sections"], 1))
    source = from_markdown(tmp_path / "brouillon.odt", markdown)
    result = new(wpsr, book, source, "--title", "Brouillon")
    assert result.returncode == 0, result.stderr
    text = body(book / "contributions" / "brouillon.md")
    assert re.findall(r"^## (.+)$", text, re.M) == SECTIONS
    assert len(re.findall(r"^\[\^\d+\]: Note \d\.$", text, re.M)) == 6


# --- export, and the round trip ----------------------------------------------------------------------

BODY = """## The sub-topic and why it matters now

Budgets changed during the pandemic.[^why] Governments *published* more, and **faster**.

## Background and policy context

Context with a [link](https://example.org/budgets) and a list:

- first point
- second point

> A quotation from a minister.

## What changed: examples

% A comment for the author only.

| Place | What changed |
| --- | --- |
| Kenya | Monthly budget reports[^kenya] |
| Chile | Open procurement data |

## Results and trends, strengths and challenges

Results were mixed, as {ref}`the chapter <some-label>` says.

```{code-cell} ipython3
import wpsr
wpsr.figure(chart, title="Share of budgets published online",
            description="Forty per cent of budgets were published online in 2022.", sources="internet-use")
```

## Prospects for sustaining what works

Prospects depend on fiscal space.

## Policy recommendations

Two recommendations follow.

[^why]: As the inception meeting noted.
[^kenya]: Published by the national treasury.
"""


def contribution(book: Path, slug: str = "open-budgets") -> Path:
    path = book / "contributions" / f"{slug}.md"
    authors = [{"name": "Amina Example", "affiliations": ["University of Somewhere"], "country": "KEN",
                "email": "amina@example.org"}]
    extra = {"abstract": "Budgets opened up during the pandemic. " * 8,
             "recommendations": [{"text": "Publish budget data every month.", "audience": "ministries of finance"},
                                 {"text": "Open procurement data.", "audience": "national governments"}]}
    path.write_text(render(title="Open budgets under pressure", chapter=2, subtopic="c2-g2-04", authors=authors,
                           cells=BODY, extra=extra), encoding="utf-8")
    return path


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))


def test_export_writes_a_word_file_for_reviewers(book: Path, wpsr) -> None:
    contribution(book)
    result = wpsr(book, "export", "contributions/open-budgets.md", "--docx")
    assert result.returncode == 0, result.stderr
    target = book / "_build" / "word" / "open-budgets.docx"
    assert f"Wrote {target}." in result.stdout and "The site is not built" in result.stdout
    document = docx.Document(target)
    assert document.core_properties.title == "Open budgets under pressure"
    assert document.core_properties.author == "Amina Example"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == SECTIONS
    paragraphs = [p.text for p in document.paragraphs]
    assert "Amina Example: University of Somewhere (KEN)" in paragraphs
    assert "Publish budget data every month. (for: ministries of finance)" in paragraphs
    assert any(text.startswith("Figure (drawn by code cell 1 when the site is built): Share of budgets published "
                               "online. Forty per cent") for text in paragraphs)
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["Place", "What changed"], ["Kenya", "Monthly budget reports"], ["Chile", "Open procurement data"]]
    assert "Results were mixed, as the chapter says." in paragraphs
    xml = docx_text(target)
    assert "A comment for the author only" not in xml and "import wpsr" not in xml
    assert "amina@example.org" not in xml  # private fields stay with the report team
    assert "Published by the national treasury." in xml  # a footnote


def test_export_takes_the_figures_from_the_built_site(book: Path, tmp_path: Path, wpsr) -> None:
    contribution(book)
    figures = book / "_build" / "html" / "figures" / "contributions" / "open-budgets"
    figures.mkdir(parents=True)
    (book / "_build" / "html" / "contributions").mkdir()
    (figures / "share.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                                       '<rect width="40" height="20" fill="#1f77b4"/></svg>', encoding="utf-8")
    (book / "_build" / "html" / "contributions" / "open-budgets.html").write_text(
        '<html><body><div class="cell docutils container"><div class="cell_output docutils container">'
        '<figure class="wpsr-chart"><figcaption class="wpsr-chart-title">Share of budgets published online'
        '</figcaption><div class="wpsr-chart-view"><img class="wpsr-chart-static" '
        'src="../figures/contributions/open-budgets/share.svg" alt="Chart"></div>'
        '<p class="wpsr-chart-description">Forty per cent in 2022; twelve in 2019.</p>'
        '<p class="wpsr-source">Source: the national treasury (2023).</p></figure></div></div></body></html>',
        encoding="utf-8")
    target = tmp_path / "review.docx"
    result = wpsr(book, "export", "contributions/open-budgets.md", "--docx", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert "come from the built site" in result.stdout
    with zipfile.ZipFile(target) as archive:
        images = [n for n in archive.namelist() if n.startswith("word/media/")]
        assert len(images) == 1 and archive.read(images[0]).startswith(b"\x89PNG")
    xml = docx_text(target)
    assert 'descr="Forty per cent in 2022; twelve in 2019."' in xml  # the description is the image's alt text
    paragraphs = [p.text for p in docx.Document(target).paragraphs]
    assert "Figure 1. Share of budgets published online" in paragraphs
    assert "Source: the national treasury (2023)." in paragraphs
    # a page built before the contribution last changed is not used
    source = book / "contributions" / "open-budgets.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    stale = wpsr(book, "export", "contributions/open-budgets.md", "--docx", "--output", str(target))
    assert "was built before contributions/open-budgets.md last changed" in stale.stdout


def test_export_takes_a_declared_figure_from_the_built_page_and_leaves_out_a_cell_that_shows_nothing(
        book: Path, tmp_path: Path, wpsr) -> None:
    import base64

    path = contribution(book)
    declared = ("```{wpsr-figure} internet-use\n:kind: bars\n:value: share_pct\n:category: group\n"
                ":title: Internet use by region\n\nWhat the figure shows.\n```\n")
    path.write_text(path.read_text(encoding="utf-8").replace("## Prospects", declared + "\n## Prospects"),
                    encoding="utf-8")
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" width="30" height="10"><rect width="30" '
                           b'height="10" fill="#e377c2"/></svg>').decode()
    page = book / "_build" / "html" / "contributions" / "open-budgets.html"
    page.parent.mkdir(parents=True)
    page.write_text('<html><body><div class="cell docutils container"><pre>import wpsr</pre></div>'
                    '<figure class="wpsr-chart wpsr-chart-still"><figcaption class="wpsr-chart-title">Internet use by '
                    f'region</figcaption><div class="wpsr-chart-view"><img class="wpsr-chart-static" '
                    f'src="data:image/svg+xml;base64,{svg}" alt="Chart"></div><p class="wpsr-chart-description">'
                    'Africa 37%; Europe 91%.</p></figure></body></html>', encoding="utf-8")
    target = tmp_path / "declared.docx"
    result = wpsr(book, "export", "contributions/open-budgets.md", "--docx", "--output", str(target))
    assert result.returncode == 0, result.stderr
    paragraphs = [p.text for p in docx.Document(target).paragraphs]
    assert "Figure 1. Internet use by region" in paragraphs and "Africa 37%; Europe 91%." in paragraphs
    assert not any("Share of budgets published online" in text for text in paragraphs)  # its cell drew nothing
    with zipfile.ZipFile(target) as archive:
        assert [n for n in archive.namelist() if n.startswith("word/media/")]


def test_export_refuses_what_is_not_a_contribution(book: Path, wpsr) -> None:
    (book / "contributions" / "notes.md").write_text("Just notes, no front matter.\n", encoding="utf-8")
    result = wpsr(book, "export", "contributions/notes.md", "--docx")
    assert result.returncode == 2
    assert "wpsr export: contributions/notes.md:1: no front matter" in result.stderr
    assert not (book / "_build" / "word").exists()
    missing = wpsr(book, "export", "contributions/notes.md")
    assert missing.returncode == 2 and "--docx" in missing.stderr


def test_a_contribution_exported_and_imported_again_keeps_its_sections_tables_and_footnotes(
        book: Path, tmp_path: Path, wpsr) -> None:
    original = contribution(book)
    target = tmp_path / "review.docx"
    assert wpsr(book, "export", str(original.relative_to(book)), "--docx", "--output", str(target)).returncode == 0
    result = new(wpsr, book, target, "--slug", "open-budgets-again", author=False)
    assert result.returncode == 0, result.stderr
    again = book / "contributions" / "open-budgets-again.md"
    text = body(again)
    assert re.findall(r"^## (.+)$", text, re.M) == re.findall(r"^## (.+)$", BODY, re.M) == SECTIONS
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    assert rows[0] == ["Place", "What changed"] and [r[0] for r in rows[2:]] == ["Kenya", "Chile"]
    assert re.match(r"Monthly budget reports\[\^\d+\]$", rows[2][1])
    notes = re.findall(r"^\[\^\d+\]: (.+)$", text, re.M)
    assert notes == ["As the inception meeting noted.", "Published by the national treasury."]
    assert "Budgets changed during the pandemic.[^1] Governments *published* more, and **faster**." in text
    found = meta(again)
    assert found["title"] == "Open budgets under pressure"
    assert found["abstract"] == " ".join(("Budgets opened up during the pandemic. " * 8).split())
    assert found["recommendations"] == [{"text": "Publish budget data every month.",
                                         "audience": "ministries of finance"},
                                        {"text": "Open procurement data.", "audience": "national governments"}]
    assert "Amina Example: University" not in text and "Abstract" not in text  # the front matter's, not the text
    checked = wpsr(book, "check", str(again.relative_to(book)))
    assert "missing section" not in checked.stderr and "has no table" not in checked.stderr
