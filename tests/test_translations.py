"""The translations' catalogs: a bad one is a located problem, never a broken page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wpsr import translations
from wpsr.translations import check, entry_problems, interface, page_status, stamp

HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: fr\\n"\n\n'


def catalog(book: Path, docname: str, entries: str, language: str = "fr") -> Path:
    path = book / "locales" / language / "LC_MESSAGES" / f"{docname}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + entries, encoding="utf-8")
    return path


@pytest.mark.parametrize(("english", "translation", "what"), [
    ("See [the annex](../annexes/a.md).", "Voir [l'annexe](../annexes/b.md).", "link targets differ"),
    ("See {ref}`the list <print-edition>`.", "Voir {ref}`la liste <edition>`.", "role targets differ"),
    ("Run `wpsr check` first.", "Lancez `wpsr vérifier` d'abord.", "code differ"),
    ("Edition {edition} of {date}.", "Édition {édition} du {date}.", "placeholders differ"),
    ("Only 3.1 per cent in 2021.", "Seulement 3,2 pour cent en 2021.", "numbers differ"),
    ("Only 3.1 per cent in 2021.", "Seulement 3,1 pour cent.", "numbers differ"),
    ("From 9 to 10 August 2022.", "2022年7月9日至10日。", "numbers differ"),
    ("A **bold** claim.", "Une affirmation forte.", "emphasis or roles differ"),
    ("**Learn from the pandemic.** Text.", "**从疫情中学习。**文字。", "emphasis or roles differ"),  # not bold in MyST
    ("See the annex.", "Voir [l'annexe](javascript:alert(1)).", "which a page does not publish"),
])
def test_a_translation_that_changes_what_it_must_keep_is_refused(english: str, translation: str, what: str) -> None:
    assert any(what in problem for problem, _ in entry_problems(english, translation)), entry_problems(english,
                                                                                                       translation)


@pytest.mark.parametrize(("english", "translation"), [
    ("Only 3.1 per cent of the world's population in 2021 ([CIVICUS](https://monitor.civicus.org)).",
     "Seulement 3,1 pour cent de la population mondiale en 2021 ([CIVICUS](https://monitor.civicus.org))."),
    ("On 22 and 23 September 2024, **Member States** adopted it.", "Les 22 et 23 septembre 2024, les **États Membres** "
     "l'ont adopté."),
    ("10,000 people", "10 000 personnes"),
    ("From 9 to 10 August 2022.", "2022年8月9日至10日。"),
    ("the survey *Community Voice for Health*, a", "调查*Community Voice for Health*将"),
    ("**2. People as assets.** More.", "**2. 人民是资产**。更多。"),
    ("See {ref}`the list <print-edition>`, *in full*.", "Voir {ref}`la liste <print-edition>`, *en entier*."),
])
def test_a_faithful_translation_passes(english: str, translation: str) -> None:
    assert entry_problems(english, translation) == []


def test_catalog_problems_are_located_and_untranslated_ones_are_not_errors(empty_book: Path) -> None:
    broken = catalog(empty_book, "index", 'msgid "One"\nmsgstr "Un"\n\nmsgid "Two\nmsgstr "Deux"\n')
    fuzzy = catalog(empty_book, "chapters/x", '#, fuzzy\nmsgid "Old 2020"\nmsgstr "Vieux 2019"\n\n'
                    'msgid "Left in English"\nmsgstr ""\n\n'
                    '#: ../../chapters/x.md:7\nmsgid "In 2021."\nmsgstr "En 2022."\n')
    found = {(str(p.path), p.line, p.severity): p.message for p in check()}
    assert any(path == "locales/fr/LC_MESSAGES/index.po" and line and severity == "error"
               and "not a valid catalog" in message for (path, line, severity), message in found.items())
    lines = fuzzy.read_text(encoding="utf-8").splitlines()  # an entry is located at its first line
    # a fuzzy entry translates an older English (its numbers may differ): a warning, and never shown
    assert found[("locales/fr/LC_MESSAGES/chapters/x.po", lines.index("#, fuzzy") + 1, "warning")].startswith("fuzzy")
    assert "numbers differ" in found[("locales/fr/LC_MESSAGES/chapters/x.po",
                                      lines.index("#: ../../chapters/x.md:7") + 1, "error")]
    assert len(found) == 3 and broken.is_file()


def test_a_catalog_is_checked_again_once_it_changes_and_a_missing_one_is_a_located_problem(
        empty_book: Path) -> None:
    """Its problems are kept by the process until the file changes (each builder of a language checks
    the catalogs); a catalog that is not there is said, not a traceback."""
    path = catalog(empty_book, "index", 'msgid "In 2021."\nmsgstr "En 2021."\n')
    assert check([path]) == []
    path.write_text(HEADER + 'msgid "In 2021."\nmsgstr "En 2022."\n', encoding="utf-8")
    entry = path.read_text(encoding="utf-8").splitlines().index('msgid "In 2021."') + 1
    assert [p.line for p in check([path]) if "numbers differ" in p.message] == [entry]
    missing = [p for p in check([path.with_name("gone.po")]) if p.severity == "error"]
    assert [(str(p.path), p.line) for p in missing] == [("locales/fr/LC_MESSAGES/gone.po", 1)]
    assert "not a valid catalog" in missing[0].message


def test_a_page_whose_english_changed_after_its_translation_is_out_of_date(empty_book: Path) -> None:
    page = empty_book / "chapters" / "x.md"
    page.parent.mkdir()
    page.write_text("# Title\n\nText.\n", encoding="utf-8")
    catalog(empty_book, "chapters/x", 'msgid "Title"\nmsgstr "Titre"\n\nmsgid "Text."\nmsgstr ""\n')
    assert not page_status("fr", "chapters/x").outdated  # never stamped: nothing to compare with
    assert stamp("fr", ["chapters/x", "chapters/missing"]) == ["chapters/x"]
    status = page_status("fr", "chapters/x")
    assert (status.total, status.translated, status.untranslated, status.outdated) == (2, 1, 1, False)
    page.write_text("# Title\n\nText, changed.\n", encoding="utf-8")
    assert page_status("fr", "chapters/x").outdated
    assert any("chapters/x.md has changed" in p.message and p.severity == "warning" for p in check())


def test_the_toolkits_words_come_from_its_catalog_or_stay_english(empty_book: Path) -> None:
    catalog(empty_book, translations.INTERFACE, 'msgid "Languages"\nmsgstr "Langues"\n\nmsgid "Search"\nmsgstr ""\n')
    french = interface("fr")
    assert (french("Languages"), french("Search"), french("Unknown")) == ("Langues", "Search", "Unknown")
    assert interface("en")("Languages") == "Languages" and interface("ru")("Languages") == "Languages"


def test_the_command_checks_catalogs_named_relative_to_where_it_runs(empty_book: Path, wpsr) -> None:
    catalog(empty_book, "chapters/x", '#: ../../chapters/x.md:7\nmsgid "In 2021."\nmsgstr "En 2022."\n')
    result = wpsr(empty_book / "locales", "translate", "check", "fr/LC_MESSAGES/chapters/x.po")
    assert result.returncode == 1 and "locales/fr/LC_MESSAGES/chapters/x.po:" in result.stdout + result.stderr


def test_a_dataset_s_words_are_escaped_as_the_catalog_gives_them_in_text_and_attributes() -> None:
    """A directive's data words (`Words`): the English where a word has no translation, the catalog's
    words where it has one, escaped wherever the token stood (a hostile catalog or dataset writes text)."""
    from types import SimpleNamespace

    from docutils import nodes
    from docutils.utils import new_document
    from markupsafe import Markup

    from wpsr.sphinx_ext.data_words import Words, _render

    words = Words()
    markup = Markup('<a title="{0}">{1}</a> {0}').format(words('Say "hi"'), words("A meeting"))
    document = new_document("page")
    document += words.node(markup, "page.md", 1)
    meeting = list(document.findall(nodes.paragraph))[1]
    meeting.replace(meeting.children[0], nodes.Text("<img src=x onerror=alert(1)>"))
    meeting["translated"] = True  # as Sphinx's i18n transform marks a paragraph it translated
    _render(SimpleNamespace(builder=SimpleNamespace(name="html"), config=SimpleNamespace(language="fr")), document)
    assert [n.astext() for n in document.findall(nodes.raw)] == [  # untranslated: English, so marked in text
        '<a title="Say &#34;hi&#34;">&lt;img src=x onerror=alert(1)&gt;</a> <span lang="en">Say &#34;hi&#34;</span>']


def test_an_english_page_marks_none_of_its_data_words() -> None:
    from wpsr.sphinx_ext.data_words import said

    assert said("<b>@@wpsr-word-0@@</b>", ["A & B"], ["A & B"]) == "<b>A &amp; B</b>"


@pytest.mark.sphinx("html", testroot="passages", freshenv=True)
def test_translated_passages_read_as_sphinx_s_own_parse_reads_them(make_app, app_params,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain passage becomes its paragraph without a parse, a marked-up one is parsed once (not once
    per pass of the i18n transform): the page's nodes are exactly those of Sphinx's own reading."""
    from sphinx.transforms import i18n

    from wpsr.sphinx_ext import passages

    own_parse, parsed = passages.PARSE, []

    def counted(app, source: str, *rest):
        parsed.append(source)
        return own_parse(app, source, *rest)

    monkeypatch.setattr(passages, "PARSE", counted)
    args, kwargs = app_params
    quick = make_app(*args, **kwargs)
    quick.build()
    read_quickly = quick.env.get_doctree("index").pformat().replace(str(quick.srcdir), "SOURCE")

    monkeypatch.setattr(i18n, "publish_msgstr", own_parse)
    srcdir = shutil.copytree(kwargs["srcdir"], kwargs["srcdir"].parent / "passages-own",
                             ignore=shutil.ignore_patterns("_build"))
    own = make_app(*args, **{**kwargs, "srcdir": srcdir, "confoverrides": {"extensions": ["myst_nb"]}})
    own.build()
    assert read_quickly == own.env.get_doctree("index").pformat().replace(str(srcdir), "SOURCE")
    for translated in ("Des passages de toute sorte", "Une phrase simple", "emphase", "rôle", "术语", "Sa définition"):
        assert translated in read_quickly
    assert "Une phrase qui finit" not in read_quickly  # a list, not a paragraph: Sphinx keeps the English
    assert sorted(parsed) == sorted(set(parsed))  # each marked-up passage parsed once
    assert not [p for p in parsed if passages.plain(p)] and len(parsed) == 4
    assert not passages.plain("- Une phrase") and not passages.plain("2030 : un") and passages.plain("术语")


@pytest.mark.sphinx("html", testroot="passages", freshenv=True)
def test_a_translated_page_keeps_no_passage_s_own_document(app) -> None:
    """Sphinx moves a parsed passage's nodes into the page without making them the page's: each
    would carry its passage's document, settings and the environment into the page's pickle."""
    app.build()
    page = app.env.get_doctree("index")
    strangers = [node for node in page.findall() if node.__dict__.get("_document") not in (None, page)]
    assert "Sa définition" in page.astext() and strangers == []
