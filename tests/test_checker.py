"""`wpsr check`: every rule of the specification, on good and bad contributions, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_wpsr
from wpsr.checker import check, word_count
from wpsr.contributions import read, specification
from wpsr.problems import Problem

GOOD = "civic-space-under-pressure"
GOOD_TEXT = (ROOT / "contributions" / f"{GOOD}.md").read_text(encoding="utf-8")


def check_text(book: Path, text: str, slug: str = GOOD) -> list[Problem]:
    path = book / "contributions" / f"{slug}.md"
    path.write_text(text, encoding="utf-8")
    return check([path])


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def only(findings: list[Problem], fragment: str) -> Problem:
    matching = [f for f in findings if fragment in f.message]
    assert len(matching) == 1, "\n".join(map(str, findings))
    return matching[0]


def test_the_worked_examples_pass_with_no_warning(book: Path) -> None:
    assert check() == []


# (what to replace, its replacement, message fragment, line holding this fragment, severity)
METADATA_CASES = [
    ("chapter: 1\n", "", "missing field 'chapter'", "---", "error"),
    ("sdgs: [16, 17, 10]", "sdgs: [16, 18]", "'sdgs.1' is not an SDG number", "sdgs:", "error"),
    ("countries: []", "countries: [KEN, XKZ]", "'countries.1' is not an ISO 3166-1 alpha-3", "countries:", "error"),
    ("countries: []", "countries: [Kenya]", "'countries.0' is not an ISO 3166-1 alpha-3", "countries:", "error"),
    ("    country: USA\n", "    country: USA\n    orcid: 0000-0002-1825-0098\n", "wrong check digit", "orcid:",
     "error"),
    ("    country: USA\n", "    country: USA\n    orcid: 12345\n", "not an ORCID iD", "orcid:", "error"),
    ("    country: USA\n", "    country: USA\n    email: nobody\n", "not an email address", "email:", "error"),
    ('subtopic: "c1-g1-05"', 'subtopic: "c1-g1-99"', "names no sub-topic", "subtopic:", "error"),
    ('subtopic: "c1-g1-05"', 'subtopic: "c2-g1-01"', "is a sub-topic of chapter 2, not of chapter 1", "subtopic:",
     "error"),
    ("status: published", "status: final", "'status' is 'final', not one of", "status:", "error"),
    ("status: published\n", "status: published\nlanguage: de\n", "'language' is not one of the report's languages",
     "language: de", "error"),
    ("status: published\n", "status: published\ntranslation_of: closing-the-digital-divid\n",
     "names no contribution in contributions/ ('closing-the-digital-divid'); did you mean closing-the-digital-divide?",
     "translation_of:", "error"),
    ("status: published\n", "status: published\ntranslation_of: closing-the-digital-divide\n",
     "'translation_of' names a contribution written in the same language (en)", "translation_of:", "error"),
    ("    year: 2021\n", "    year: twenty\n", "'resources.1.year' is not a four-digit year", "year: twenty", "error"),
    ("    url: https://findings2021.monitor.civicus.org/", "    url: findings2021.monitor.civicus.org",
     "'resources.1.url' is not a web address", "url: findings2021", "error"),
    ("keywords: [civic space, civil society, trust, misinformation, participation]", "keywords: [civic space]",
     "'keywords' has 1 item(s), fewer than 2", "keywords:", "error"),
    ("title: \"Civic space under pressure: keeping the door open after the pandemic\"", "title: [a, b]",
     "'title' is not text", "title:", "error"),
    ("    audience: national governments\n", "    audience: national governments\n    priority: high\n",
     "unknown field 'recommendations.0.priority'", "priority:", "error"),
    ("keywords:", "keyword:", "unknown field 'keyword'", "keyword:", "error"),
    ("  - text: Keep civil society", "  - text: " + "very " * 50 + "Keep civil society",
     "'recommendations.0.text' has", "very very", "error"),
    ('title: "Civic space under pressure', 'title: "Civic <script>alert(7)</script> space under pressure',
     "'title' holds markup ('<script>')", "title:", "error"),
    ('  - name: "The report team"', '  - name: "The [report team](https://example.org)"',
     "'authors.0.name' holds markup", "- name:", "error"),
    ("affiliations: [\"United Nations", "affiliations: [\"<b>United</b> Nations",
     "'authors.0.affiliations.0' holds markup", "affiliations:", "error"),
    ("sdgs: [16, 17, 10]", "sdgs: [true]", "'sdgs.0' is not an SDG number", "sdgs:", "error"),
    ("chapter: 1\n", "chapter: true\n", "'chapter' is not a chapter number", "chapter:", "error"),
    ("keywords: [civic space,", "keywords: [a, b, c, d, e, f, g, h, civic space,",
     "'keywords' has 13 items, more than 8", "keywords:", "error"),
    ('title: "Civic space under pressure', 'title: "' + "Long " * 40 + "Civic space under pressure",
     "characters long, more than 160", "title:", "error"),
]


@pytest.mark.parametrize(("old", "new", "message", "at", "severity"), METADATA_CASES,
                         ids=[c[2][:40] for c in METADATA_CASES])
def test_metadata_rules(book: Path, old: str, new: str, message: str, at: str, severity: str) -> None:
    assert old in GOOD_TEXT
    text = GOOD_TEXT.replace(old, new, 1)
    finding = only(check_text(book, text), message)
    assert finding.severity == severity
    assert finding.line == line_of(text, at)
    assert str(finding).startswith(f"contributions/{GOOD}.md:{finding.line}: ")
    assert " — " in str(finding)  # and says how to fix it


BODY_CASES = [
    ("## Background and policy context\n", "", "missing section '## Background and policy context'", "error"),
    ("## The sub-topic and why it matters now\n", "# Civic space\n\n## The sub-topic and why it matters now\n",
     "a level-1 heading", "error"),
    ("## Policy recommendations\n", "## Further thoughts\n\n## Policy recommendations\n",
     "'## Further thoughts' is not a section of the specification", "warning"),
    ('civic = wpsr.load("civic-space")', 'civic = wpsr.datasets["civic-space"]', "no data cell", "error"),
    ("    description=\"Share of", "    alt=\"Share of", "a chart without a description", "error"),
    ("both_years = civic[", "both_years = = civic[", "code cell 1 is not valid Python", "error"),
    ("(../annexes/inception-meeting.md)", "(../annexes/nowhere.md)", "broken link to '../annexes/nowhere.md'",
     "error"),
    ("## Results and trends", "See {ref}`no-such-label`.\n\n## Results and trends",
     "broken cross-reference {ref}`no-such-label`", "error"),
    ("## Results and trends", "See {doc}`/chapters/nowhere`.\n\n## Results and trends",
     "broken cross-reference {doc}`/chapters/nowhere`", "error"),
    ("## Results and trends", "TODO: add more.\n\n## Results and trends", "placeholder 'TODO' left on 1 line",
     "error"),
    ("## Results and trends", '<div onclick="steal()">Hi</div>\n\n## Results and trends',
     "raw HTML in a contribution ('<div onclick", "error"),
    ("## Results and trends", "Text with <script>alert(1)</script> inline.\n\n## Results and trends",
     "raw HTML in a contribution ('<script>')", "error"),
    ("## Results and trends", "A [bad link](javascript:alert(1)).\n\n## Results and trends",
     "a link to 'javascript:alert(1)'", "error"),
    ("## Results and trends", "A [data link](data:text/html,hi).\n\n## Results and trends",
     "a link to 'data:text/html,hi'", "error"),
    ("## Results and trends", "See [the annex][annex].\n\n[annex]: ../annexes/nowhere.md\n\n## Results and trends",
     "broken link to '../annexes/nowhere.md'", "error"),
]


@pytest.mark.parametrize(("old", "new", "message", "severity"), BODY_CASES, ids=[c[2][:40] for c in BODY_CASES])
def test_body_rules(book: Path, old: str, new: str, message: str, severity: str) -> None:
    assert old in GOOD_TEXT
    text = GOOD_TEXT.replace(old, new, 1)
    finding = only(check_text(book, text), message)
    assert finding.severity == severity
    assert finding.line is not None and finding.line > 1


def test_sections_out_of_order(book: Path) -> None:
    first, second = "## The sub-topic and why it matters now", "## Background and policy context"
    text = GOOD_TEXT.replace(first, "@@").replace(second, first).replace("@@", second)
    finding = only(check_text(book, text), "section '## Background and policy context' is out of order")
    assert finding.line == line_of(text, second)


def test_the_examples_section_needs_a_table(book: Path) -> None:
    text = "\n".join(line for line in GOOD_TEXT.splitlines() if not line.startswith("|"))
    finding = only(check_text(book, text), "has no table")
    assert finding.line == line_of(text, "## What changed: examples")


def test_a_draft_may_be_short_and_unfinished_but_a_published_contribution_may_not(book: Path) -> None:
    head, _, _ = GOOD_TEXT.partition("## Background and policy context")
    short = head + "TODO\n\n" + "\n".join(f"## {t}\n\nText.\n" for t in [
        "Background and policy context", "What changed: examples", "Results and trends, strengths and challenges",
        "Prospects for sustaining what works", "Policy recommendations"])
    published = check_text(book, short)
    words = only(published, "words of prose, outside 1,000–2,000")
    assert words.severity == "error"
    assert only(published, "placeholder").severity == "error"
    draft = check_text(book, short.replace("status: published", "status: draft"))
    assert {f.severity for f in draft if "words of prose" in f.message or "placeholder" in f.message} == {"warning"}


def test_a_length_between_the_limits_and_the_aim_only_warns(book: Path) -> None:
    path = book / "contributions" / f"{GOOD}.md"
    lines = GOOD_TEXT.splitlines(keepends=True)
    prose = [i for i, line in enumerate(lines) if line[:1].isalpha() and i > lines.index("---\n", 1)]
    dropped: set[int] = set()
    words = word_count(read(path)[0])
    aim_low = specification()["words"]["warning"][0]
    for index in reversed(prose):  # drop lines of prose from the end until under the aim
        if words < aim_low:
            break
        dropped.add(index)
        path.write_text("".join(line for i, line in enumerate(lines) if i not in dropped), encoding="utf-8")
        words = word_count(read(path)[0])
    assert specification()["words"]["error"][0] <= words < aim_low
    finding = only(check([path]), f"outside the {aim_low:,}–")
    assert finding.severity == "warning"


@pytest.mark.parametrize(("content", "message", "line"), [
    (b"", "the file is empty", 1),
    (b"---\ntitle: x\n\xff\xfe\x00\x01binary", "not a UTF-8 text file", 3),
    (b"# A title\n\nSome text.\n", "no front matter", 1),
    (b"---\ntitle: x\nchapter: 1\n", "the front matter is never closed", 1),
    (b"---\ntitle: ok\nauthors: [unclosed\nchapter: 1\n---\n", "the front matter is not valid YAML", 4),
    (b"---\n- a\n- b\n---\n", "not a set of `key: value` lines", 2),
])
def test_bad_input_gets_one_clear_message(book: Path, content: bytes, message: str, line: int) -> None:
    path = book / "contributions" / f"{GOOD}.md"
    path.write_bytes(content)
    findings = check([path])
    assert len(findings) == 1, "\n".join(map(str, findings))
    assert message in findings[0].message and findings[0].line == line


def test_a_notebook_in_contributions_must_be_converted(book: Path) -> None:
    path = book / "contributions" / "draft.ipynb"
    path.write_text("{}", encoding="utf-8")
    finding = only(check(), "cannot be published as it is")
    assert "wpsr new --from contributions/draft.ipynb" in finding.hint


def test_duplicate_slugs(book: Path) -> None:
    (book / "contributions" / f"{GOOD.upper()}.md").write_text(GOOD_TEXT, encoding="utf-8")
    assert only(check(), "duplicate slug").severity == "error"


def test_a_contribution_must_be_listed_under_its_own_chapter(book: Path) -> None:
    toc = book / "_toc.yml"
    toc.write_text(toc.read_text().replace(f"          - file: contributions/{GOOD}\n", ""))
    assert "add `- file: contributions/civic-space-under-pressure` under the sections of chapters/" \
           "relationships-with-society" in only(check(), "not in _toc.yml").hint
    moved = toc.read_text().replace("      - file: chapters/priorities-and-trade-offs\n        sections:\n",
                                    "      - file: chapters/priorities-and-trade-offs\n        sections:\n"
                                    f"          - file: contributions/{GOOD}\n")
    toc.write_text(moved)
    assert only(check(), "listed under chapter 2 in _toc.yml but says chapter 1")


def test_the_command_exits_non_zero_on_errors_and_names_file_and_line(book: Path) -> None:
    assert run_wpsr(book, "check").returncode == 0
    path = book / "contributions" / f"{GOOD}.md"
    path.write_text(GOOD_TEXT.replace("sdgs: [16, 17, 10]", "sdgs: [16, 99]"), encoding="utf-8")
    result = run_wpsr(book, "check", f"contributions/{GOOD}.md")
    assert result.returncode == 1
    assert f"contributions/{GOOD}.md:{line_of(GOOD_TEXT, 'sdgs:')}: 'sdgs.1' is not an SDG number" in result.stderr
    assert "1 error(s)" in result.stderr


def test_magics_are_not_python_errors_and_only_contributions_are_checked(book: Path) -> None:
    text = GOOD_TEXT.replace("import wpsr\n", "%matplotlib inline\n!echo hello\nimport wpsr\n", 1)
    assert check_text(book, text) == []
    finding = only(check([book / "chapters" / "assets-and-innovations.md"]), "not a contribution")
    assert "contributions/" in finding.hint


def test_setext_headings_are_sections(book: Path) -> None:
    title = "Background and policy context"
    text = GOOD_TEXT.replace(f"## {title}\n", f"{title}\n{'-' * len(title)}\n", 1)
    assert check_text(book, text) == []
    missing = check_text(book, GOOD_TEXT.replace(f"## {title}\n", f"{title}\n", 1))
    assert only(missing, f"missing section '## {title}'")


def test_a_reference_link_is_located_on_its_own_line(book: Path) -> None:
    text = GOOD_TEXT.replace("## Results and trends", "First line of a paragraph,\nthen [a link][gone] on the "
                             "second.\n\n[gone]: ../nowhere.md\n\n## Results and trends", 1)
    finding = only(check_text(book, text), "broken link to '../nowhere.md'")
    assert finding.line == line_of(text, "then [a link][gone]")


def test_html_comments_and_mailto_links_are_allowed(book: Path) -> None:
    text = GOOD_TEXT.replace("## Results and trends", "<!-- a note to the editors -->\n\nWrite to "
                             "[the team](mailto:team@example.org).\n\n## Results and trends", 1)
    assert check_text(book, text) == []


@pytest.mark.parametrize(("html", "message"), [
    ("<script>alert(1)</script>", "<script> is not allowed in a page"),
    ('<iframe src="https://example.org"></iframe>', "<iframe> is not allowed in a page"),
    ('<span onmouseover="steal()">x</span>', "the event handler onmouseover= on <span>"),
    ('<a href="javascript:alert(1)">x</a>', "href='javascript:alert(1)' on <a>"),
    ('<img src="data:image/svg+xml,x" alt="x">', "src='data:image/svg+xml,x' on <img>"),
    ('<div style="color:red">x</div>', "the attribute style= on <div>"),
])
def test_raw_html_in_the_teams_pages_keeps_to_the_allow_list(book: Path, html: str, message: str) -> None:
    page = book / "chapters" / "assets-and-innovations.md"
    text = page.read_text(encoding="utf-8") + f"\nA closing line.\n\n{html}\n"
    page.write_text(text, encoding="utf-8")
    finding = only(check(), message)
    assert str(finding.path) == "chapters/assets-and-innovations.md" and finding.line == line_of(text, html)


def test_allowed_html_in_the_teams_pages_passes(book: Path) -> None:
    page = book / "chapters" / "assets-and-innovations.md"
    page.write_text(page.read_text(encoding="utf-8") + '\n<abbr title="United Nations">UN</abbr> and '
                    '<a href="https://un.org">a link</a><br>\n', encoding="utf-8")
    assert check() == []


def test_the_report_check_is_kept_until_a_source_changes(book: Path, tmp_path: Path) -> None:
    from wpsr.checker import check_report

    cache = tmp_path / "check.json"
    assert check_report(cache) == check() == [] and cache.is_file()
    path = book / "contributions" / f"{GOOD}.md"
    path.write_text(GOOD_TEXT.replace("chapter: 1\n", "chapter: 1\nkeyword: x\n", 1), encoding="utf-8")
    found = check_report(cache)
    assert [f.message for f in found] == ["unknown field 'keyword' (the build ignores it)"]
    assert check_report(cache) == found  # read back from the cache, the same problems


def test_after_an_edit_to_one_contribution_the_report_check_reads_only_that_one(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from wpsr import checker

    cache, read = tmp_path / "check.json", []
    rules = checker.check_contribution
    monkeypatch.setattr(checker, "check_contribution", lambda c, context: read.append(c.path.name) or rules(c, context))
    everything = sorted(p.name for p in (book / "contributions").glob("*.md"))
    assert checker.check_report(cache) == [] and sorted(read) == everything
    read.clear()
    path = book / "contributions" / f"{GOOD}.md"
    path.write_text(GOOD_TEXT.replace("chapter: 1\n", "chapter: 1\nkeyword: x\n", 1), encoding="utf-8")
    assert [f.message for f in checker.check_report(cache)] == ["unknown field 'keyword' (the build ignores it)"]
    assert read == [f"{GOOD}.md"]
    read.clear()
    toc = book / "_toc.yml"  # the rest of the book changed: every contribution is read again
    toc.write_text(toc.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert len(checker.check_report(cache)) == 1 and sorted(read) == everything


# --- figures declared in Markdown ({wpsr-figure}): checked before building, each problem located ----------

DECLARED = """```{wpsr-figure} internet-use
:kind: bars
:value: share_pct
:category: group
:where: grouping = ITU region; year = latest
:title: Internet use by ITU region, latest year
```
"""

DECLARED_CASES = [
    (":value: share_pct", ":value: share", "{wpsr-figure} no column 'share' in internet-use",
     "name one of: year, grouping, group, share_pct"),
    ("grouping = ITU region", "grouping = ITU regions", "no row of internet-use has grouping = 'ITU regions'",
     "grouping is one of: ITU region, Income group, World"),
    ("year = latest", "year latest", "the filter 'year latest' is not COLUMN = VALUE", "`year = latest`"),
    (":kind: bars", ":kind: pie", "unknown kind of figure 'pie'", "bars, lines, small-multiples, table"),
    ("{wpsr-figure} internet-use", "{wpsr-figure} internet", "unknown dataset 'internet'", "internet-use"),
    (":title: Internet use by ITU region, latest year\n", "", "no :title:", "add :title:"),
    (":category: group", ":category: group\n:colour: blue", "the option :colour: does not apply to bars",
     ":value:, :category:"),
]


@pytest.mark.parametrize(("old", "new", "message", "how"), DECLARED_CASES, ids=[c[2][:40] for c in DECLARED_CASES])
def test_a_declared_figure_s_problem_names_its_line_and_the_valid_choices(book: Path, old: str, new: str,
                                                                          message: str, how: str) -> None:
    declared = DECLARED.replace(old, new, 1)
    assert declared != DECLARED
    text = GOOD_TEXT.replace("## Results and trends", f"{declared}\n## Results and trends", 1)
    finding = only(check_text(book, text), message)
    assert finding.severity == "error" and how in finding.hint
    assert finding.line == line_of(text, "```{wpsr-figure}")


def test_a_contribution_that_shows_its_data_without_code_needs_no_code_cell(book: Path) -> None:
    """Its code cells removed, a figure and a table declared instead: nothing is missing."""
    text = re.sub(r"```\{code-cell\}.*?\n```\n", "", GOOD_TEXT, flags=re.S)
    assert "code-cell" not in text
    table = "```{wpsr-figure} civic-space\n:kind: table\n:where: report_year = latest\n```\n"
    text = text.replace("## Results and trends", f"{DECLARED}\n{table}\n## Results and trends", 1)
    assert [str(f) for f in check_text(book, text) if f.severity == "error"] == []


def test_a_contribution_written_in_another_language_has_its_sections_and_words_counted_in_it(book: Path) -> None:
    """`language: fr` (or any of the six): the sections are titled in that language (as the
    specification gives them) and its words counted in it; Chinese by its characters."""
    french = GOOD_TEXT.replace("status: published\n", "status: published\nlanguage: fr\n", 1)
    for section in specification()["sections"]:
        french = french.replace(f"## {section['title']}\n", f"## {section['titles']['fr'][0]}\n", 1)
    assert check_text(book, french) == []
    as_english = check_text(book, french.replace("language: fr\n", ""))
    assert len([f for f in as_english if f.message.startswith("missing section")]) == len(specification()["sections"])
    from wpsr.body import count_words

    assert count_words("Les experts ont plaidé pour une taille « intelligente ».") == 8
    assert count_words("专家们主张“明智”的规模。") == 7  # 10 characters, 1.5 a word
