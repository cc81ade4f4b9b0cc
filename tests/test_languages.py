"""The report in the reader's language: the pages of an edition published in all six languages
(conftest's `second_edition`), built from the catalogs in locales/, read in Chromium: the language
menu keeps the page, Arabic is mirrored while its charts and code stay left to right, a phone never
scrolls sideways, axe finds nothing, budgets hold."""

from __future__ import annotations

import contextlib
import csv
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
import vl_convert
from markupsafe import escape
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import ROOT
from tests.test_browser import COLLECT_VIOLATIONS, axe_violations, open_watched
from wpsr.languages import LANGUAGES
from wpsr.serving import serving
from wpsr.weight import weigh

pytestmark = [pytest.mark.browser, pytest.mark.build]
BUILT = ("ar", "zh", "ru")
CHAPTER = "chapters/relationships-with-society"


@pytest.fixture(scope="module")
def translated(second_edition: dict) -> Path:
    """The edition published in all six languages (conftest's `second_edition`): English at its root,
    each translation in its folder, built strict from the catalogs in locales/."""
    return second_edition["path"] / second_edition["edition"]


@pytest.fixture(scope="module")
def served(second_edition: dict) -> Iterator[str]:
    """The edition's address, its site served whole (its pages ask for the site's editions menu)."""
    with serving(second_edition["path"]) as url:
        yield f"{url.rstrip('/')}/{second_edition['edition']}"


def test_every_page_names_its_language_and_links_its_versions(translated: Path) -> None:
    arabic = (translated / "ar" / f"{CHAPTER}.html").read_text(encoding="utf-8")
    assert '<html dir="rtl" lang="ar"' in arabic
    english = (translated / f"{CHAPTER}.html").read_text(encoding="utf-8")
    for page, root in ((arabic, "../../"), (english, "../")):
        for code in LANGUAGES:  # (an edition in English alone links none: tests/test_editions.py)
            folder = "" if code == "en" else f"{code}/"
            assert f'<link rel="alternate" hreflang="{code}" href="{root}{folder}{CHAPTER}.html">' in page
        assert f'<link rel="alternate" hreflang="x-default" href="{root}{CHAPTER}.html">' in page
    assert "not an official translation of the United Nations" not in english
    assert 'class="wpsr-banner wpsr-banner-translation"' in arabic and 'hreflang="en">' in arabic  # links the English
    untranslated = (translated / "ar" / "contributions" / "civic-space-under-pressure.html").read_text(encoding="utf-8")
    assert re.search(r'<p class="wpsr-untranslated" lang="en">', untranslated)  # a passage still in English says so


def test_the_language_menu_keeps_the_page_and_works_with_the_keyboard(browser: Browser, served: str) -> None:
    page = browser.new_page()
    page.goto(f"{served}/{CHAPTER}.html")
    menu = page.locator("nav.wpsr-languages")
    assert menu.get_attribute("aria-label")
    menu.locator("summary").focus()
    page.keyboard.press("Enter")
    russian = menu.locator('a[hreflang="ru"]')
    russian.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served}/ru/{CHAPTER}.html")
    assert page.evaluate("document.documentElement.lang") == "ru"
    page.locator("nav.wpsr-languages summary").click()
    page.locator('nav.wpsr-languages a[hreflang="en"]').click()
    page.wait_for_url(f"{served}/{CHAPTER}.html")
    page.close()


def test_arabic_is_mirrored_but_its_charts_and_code_stay_left_to_right(browser: Browser, served: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{served}/ar/{CHAPTER}.html")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    sidebar = page.locator(".bd-sidebar-primary").bounding_box()
    article = page.locator("article.bd-article").bounding_box()
    assert sidebar and article and sidebar["x"] > article["x"], "the sidebar is not on the right"
    assert page.eval_on_selector("figure.wpsr-chart", "f => getComputedStyle(f).direction") == "ltr"
    assert page.eval_on_selector("div.highlight pre", "p => getComputedStyle(p).direction") == "ltr"
    assert page.eval_on_selector("p", "p => getComputedStyle(p).direction") == "rtl"
    page.close()


@pytest.mark.parametrize("code", BUILT)
def test_a_chapter_s_figures_speak_its_language(translated: Path, code: str) -> None:
    """Each figure of a translated chapter: its title as the page's catalog gives it, its image drawing
    the catalog's words, and its interactive chart writing numbers as the language does."""
    catalog = {e.msgid: e.msgstr for e in polib.pofile(ROOT / "locales" / code / "LC_MESSAGES" / f"{CHAPTER}.po")
               if e.msgstr and not e.fuzzy}
    english = (translated / f"{CHAPTER}.html").read_text(encoding="utf-8")
    page = (translated / code / f"{CHAPTER}.html").read_text(encoding="utf-8")
    titles = [html.unescape(t) for t in re.findall(r'<figcaption class="wpsr-chart-title">([^<]+)<', english)]
    shown = re.findall(r'<figure class="wpsr-chart[^"]*".*?</figure>', page, flags=re.S)
    assert titles and len(shown) == len(titles)
    for title, figure in zip(titles, shown, strict=True):
        caption = re.search(r'<figcaption class="wpsr-chart-title"( lang="en")?>([^<]+)<', figure)
        if title not in catalog:
            assert caption[1] and html.unescape(caption[2]) == title, f"{title!r}: English, and not marked so"
            continue
        assert not caption[1] and html.unescape(caption[2]) == catalog[title]
        image = (translated / code / CHAPTER).parent / re.search(r'<img [^>]*src="([^"]+\.svg)"', figure)[1]
        drawn = {html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]+)</text>", image.read_text(encoding="utf-8"))}
        assert drawn & set(catalog.values()), f"{title!r}: its image draws none of the catalog's words"
        spec = re.search(r'<script type="application/json" class="wpsr-chart-spec">(.*?)</script>', figure, re.S)
        number = LANGUAGES[code].numbers
        if spec and number:
            locale = json.loads(spec[1])["config"]["locale"]["number"]
            assert locale == vl_convert.get_format_locale(number)


def said(code: str, catalog: str) -> dict[str, str]:
    """What a language's catalog translates (``catalog``: a page, or the toolkit's "wpsr")."""
    return {e.msgid: e.msgstr for e in polib.pofile(ROOT / "locales" / code / "LC_MESSAGES" / f"{catalog}.po")
            if e.msgstr and not e.fuzzy and not e.obsolete}


def rows(dataset: str) -> list[dict[str, str]]:
    with (ROOT / "data" / f"{dataset}.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("code", BUILT)
def test_the_annexes_say_their_data_s_words_and_their_scripts_words_in_the_page_s_language(
        translated: Path, code: str) -> None:
    """The checklist's items and the calendar's meetings are words of the page's catalog; the words the
    checklist's and the filters' scripts write come from the toolkit's catalog, as does each heading."""
    toolkit = said(code, "wpsr")

    def say(words: dict[str, str], english: str) -> str:  # a data word not yet translated is marked English
        return str(escape(words[english])) if english in words else f'<span lang="en">{escape(english)}</span>'

    def say_toolkit(english: str) -> str:
        return str(escape(toolkit.get(english, english)))

    checklist = (translated / code / "annexes" / "innovation-checklist.html").read_text(encoding="utf-8")
    words = said(code, "annexes/innovation-checklist")
    for item in rows("innovation_checklist"):
        assert f'<span class="wpsr-check-item">{say(words, item["item"])}.</span>' in checklist, item["id"]
        assert f'<span class="wpsr-check-question">{say(words, item["question"])}</span>' in checklist, item["id"]
    assert f'data-count="{say_toolkit("{done} of {total}")}"' in checklist
    assert f'data-in-place="{say_toolkit("in place")}"' in checklist
    calendar = (translated / code / "annexes" / "global-processes.html").read_text(encoding="utf-8")
    words = said(code, "annexes/global-processes")
    for meeting in rows("global_processes"):
        assert f'>{say(words, meeting["name"])}</a>' in calendar, meeting["id"]
    assert f'data-shown="{say_toolkit("{shown} of {total} meetings shown")}"' in calendar
    assert f'<th scope="col">{say_toolkit("Organizer")}</th>' in calendar


def test_the_arabic_checklist_and_calendar_count_in_arabic(browser: Browser, served: str) -> None:
    toolkit = said("ar", "wpsr")
    page = browser.new_page()
    page.goto(f"{served}/ar/annexes/innovation-checklist.html")
    infrastructure = sum(item["dimension"] == "Infrastructure" for item in rows("innovation_checklist"))
    summary = page.locator('.wpsr-checklist-summary li[data-dimension="Infrastructure"] .wpsr-summary-count')
    page.locator("#check-inf-01").check()
    counted = toolkit.get("{done} of {total}", "{done} of {total}")
    assert summary.inner_text() == counted.format(done=1, total=infrastructure)
    page.get_by_role("button", name=toolkit.get("Clear my answers", "Clear my answers")).click()
    assert page.inner_text(".wpsr-checklist-status") == toolkit.get(
        "Your answers were cleared from this browser.", "Your answers were cleared from this browser.")
    page.goto(f"{served}/ar/annexes/global-processes.html")
    climate = sum(row["type"] == "Climate conference" for row in rows("global_processes"))
    total = page.locator("table.wpsr-calendar tbody tr").count()
    page.select_option("#filter-type", "Climate conference")  # the value stays the data's; its label is Arabic
    shown = toolkit.get("{shown} of {total} meetings shown", "{shown} of {total} meetings shown")
    assert page.inner_text(".wpsr-calendar-count") == shown.format(shown=climate, total=total)
    page.close()


@pytest.mark.parametrize("code", ["en", *BUILT])
def test_search_finds_a_page_in_the_reader_s_language(browser: Browser, served: str, translated: Path,
                                                      code: str) -> None:
    """A word of a chapter's title, as the page in that language writes it (two characters in
    Chinese, which has no spaces), finds that page and only pages of that language."""
    folder = "" if code == "en" else f"{code}/"
    title = html.unescape(re.search(r"<h1>([^<]+)", (translated / folder / f"{CHAPTER}.html")
                                    .read_text(encoding="utf-8"))[1]).strip()
    query = title[:2] if code == "zh" else max(title.split(), key=len)
    page = browser.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(f"{served}/{folder}search.html?q={query}")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=20_000)
    wanted = f"{served}/{folder}{CHAPTER}.html"
    with contextlib.suppress(PlaywrightTimeout):  # results are drawn one by one, as their fragments load
        page.wait_for_function("""wanted => [...document.querySelectorAll('.pagefind-ui__result-link')]
                                  .some(a => a.href.split('#')[0] === wanted)""", arg=wanted, timeout=10_000)
    found = page.eval_on_selector_all(".pagefind-ui__result-link", "as => as.map(a => a.href)")
    assert wanted in [link.split("#")[0] for link in found], (query, found)
    others = [f"{served}/{c}/" for c in LANGUAGES if c not in ("en", code)]
    assert not [link for link in found if link.startswith(tuple(others))], (query, found)
    assert page.evaluate("window.__violations") == []
    page.close()


@pytest.mark.parametrize("code", BUILT)
def test_a_phone_never_scrolls_sideways(browser: Browser, served: str, code: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for path in ("index", CHAPTER):
        page.goto(f"{served}/{code}/{path}.html")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, f"{code}/{path}"
    page.close()


@pytest.mark.parametrize("code", BUILT)
def test_translated_pages_pass_axe_keep_their_policy_and_budgets(browser: Browser, served: str, translated: Path,
                                                                 code: str) -> None:
    problems, origin = [], "{0.scheme}://{0.netloc}/".format(urlsplit(served))  # the site's: its editions menu
    opened = [(path, *open_watched(browser, f"{served}/{code}/{path}.html"))  # each loads as the one before is checked
              for path in ("index", CHAPTER, "annexes/translations")]
    for path, page, requested, failed in opened:
        page.wait_for_load_state("networkidle")
        problems += [f"{code}/{path}: policy violation {v}" for v in page.evaluate("window.__violations")]
        problems += [f"{code}/{path}: {violation}" for violation in axe_violations(page)]
        problems += [f"{code}/{path}: requests another origin: {url}" for url in requested
                     if not url.startswith((origin, "data:"))]
        problems += [f"{code}/{path}: request failed: {url}" for url in failed]
        problems += weigh(translated, translated / code / f"{path}.html").over_budget()
        page.close()
    assert problems == [], "\n".join(problems)
