"""The fonts for Arabic, Chinese and Cyrillic: fontsource's files, cut to the site's characters and
served by the site with a stylesheet of its own; and, in Chromium, a Chinese page set in them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from wpsr.serving import serving
from wpsr.sphinx_ext import fonts

MODULES = ROOT / "node_modules"
ARABIC, CHINESE, RUSSIAN = "العربية", "中文数据，报告。", "Русский"
FACES = re.compile(r"@font-face\s*{([^}]*)}")


def _faces(css: str) -> list[dict[str, str]]:
    return [dict((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in body.split(";")) if v)
            for body in FACES.findall(css)]


def _served(css: str) -> dict[str, frozenset[int]]:
    """Each family's characters, over all its files."""
    served: dict[str, frozenset[int]] = {}
    for face in _faces(css):
        family = face["font-family"].strip('"')
        served[family] = served.get(family, frozenset()) | fonts.parse_range(face["unicode-range"])
    return served


def _points(text: str) -> frozenset[int]:
    return frozenset(map(ord, text))


@pytest.fixture(scope="module")
def regular() -> tuple[fonts.Family, ...]:
    """The families in one weight: each cut costs a fraction of a second."""
    return tuple(dataclasses.replace(family, weights=(400,)) for family in fonts.FAMILIES)


def test_unicode_ranges_read_and_written() -> None:
    assert fonts.parse_range("U+0600-0602, U+200C,u+4??") == {0x600, 0x601, 0x602, 0x200C, *range(0x400, 0x500)}
    assert fonts.format_range({0x41, 0x42, 0x43, 0x4E2D, 0x1F600}) == "U+41-43,U+4E2D,U+1F600"
    points = _points(ARABIC + CHINESE + RUSSIAN)
    assert fonts.parse_range(fonts.format_range(points)) == points


def test_fontsource_stylesheets_are_read_with_each_file_and_range() -> None:
    css = (MODULES / "@fontsource/noto-sans-sc/400.css").read_text(encoding="utf-8")
    faces = fonts.read_faces(css, "@fontsource/noto-sans-sc")
    assert len(faces) > 90 and all(f.weight == 400 and f.file.startswith("files/") for f in faces)
    assert all((MODULES / "@fontsource/noto-sans-sc" / f.file).is_file() for f in faces)
    assert sum(ord("数") in f.characters for f in faces) == 1
    naskh = fonts.package_faces(MODULES, fonts.FAMILIES[0], 700)
    assert [f.subset for f in naskh] == ["arabic"] and ord("ع") in naskh[0].characters
    assert {f.subset for f in fonts.package_faces(MODULES, fonts.FAMILIES[2], 400)} == {"cyrillic", "cyrillic-ext"}


def test_chinese_site_is_served_its_own_cut_files_with_their_ranges(tmp_path: Path, regular) -> None:
    pages = _points(CHINESE + ARABIC + RUSSIAN + "Latin 2023 “quoted”")
    css = fonts.write(tmp_path, "zh", pages, frozenset(), MODULES, tmp_path / "cache", regular)
    assert css == tmp_path / "_static" / fonts.STYLESHEET
    text = css.read_text(encoding="utf-8")
    assert "//" not in text.replace("/*", "").replace("*/", "") and "@import" not in text  # nothing from elsewhere
    for face in _faces(text):
        url = re.fullmatch(r'url\("([^"/]+\.woff2)"\) format\("woff2"\)', face["src"])
        assert url, face["src"]  # a file of the site's own, beside the stylesheet
        assert (css.parent / url[1]).is_file()
        assert face["font-display"] == "swap" and face["font-weight"] == "400"
    # each family holds exactly what the site shows of it: the Chinese site's Latin is left to the theme
    assert _served(text) == {"Noto Sans SC": _points("中文数据，报告。“”"), "Noto Naskh Arabic": _points(ARABIC),
                      "Noto Sans": _points(RUSSIAN)}
    for family in ("zh", "ar", "ru"):
        assert f'[lang|="{family}"]' in text
    assert '"Noto Sans SC", var(--pst-font-family-base-system)' in text
    files = sorted(p.name for p in css.parent.glob("*.woff2"))
    assert len(files) == len(_faces(text))
    licences = sorted(p.name for p in css.parent.glob("*-LICENSE.txt"))  # the fonts' Open Font License
    assert licences == ["noto-naskh-arabic-LICENSE.txt", "noto-sans-LICENSE.txt", "noto-sans-sc-LICENSE.txt"]
    assert "SIL Open Font License" in (css.parent / licences[0]).read_text(encoding="utf-8")
    from fontTools.ttLib import TTFont

    for face in _faces(text):  # every file has a glyph for each character of its range, and no others
        font = TTFont(css.parent / re.search(r'"(.+?)"', face["src"])[1])
        assert set(font.getBestCmap()) == fonts.parse_range(face["unicode-range"])


def test_each_range_is_within_fontsource_s_own(tmp_path: Path, regular) -> None:
    pages = _points(CHINESE + "的是了人我在有他这为之大来以个中上们")
    css = fonts.write(tmp_path, "zh", pages, frozenset(), MODULES, tmp_path / "cache", regular).read_text()
    original = {f.file.rsplit("/", 1)[1].removesuffix(".woff2"): f.characters
                for f in fonts.package_faces(MODULES, regular[1], 400)}
    for face in _faces(css):
        stem = re.search(r'"(noto-sans-sc-.+-400-normal)-[0-9a-f]{16}\.woff2"', face["src"])
        if stem:
            assert fonts.parse_range(face["unicode-range"]) <= original[stem[1]]


def test_whole_files_keep_fontsource_s_ranges(tmp_path: Path, regular) -> None:
    css = fonts.write(tmp_path, "ar", _points(ARABIC), frozenset(), MODULES, None, regular).read_text()
    (face,) = _faces(css)
    assert face["src"] == 'url("noto-naskh-arabic-arabic-400-normal.woff2") format("woff2")'
    naskh = fonts.package_faces(MODULES, regular[0], 400)[0]
    assert fonts.parse_range(face["unicode-range"]) == naskh.characters


def test_other_languages_get_their_script_alone_and_only_their_pages_count(tmp_path: Path, regular) -> None:
    """An English site sets the names of the language menu; the copy button's script, which carries
    every language's words, does not make it serve them."""
    css = fonts.write(tmp_path, "en", _points("English — “menu”: 中文 " + RUSSIAN), _points("复制到剪贴板"),
                      MODULES, tmp_path / "cache", regular).read_text()
    assert _served(css) == {"Noto Sans SC": _points("中文"), "Noto Sans": _points(RUSSIAN)}
    assert '[lang|="ar"]' not in css


def test_cuts_are_kept_and_what_is_no_longer_served_goes(tmp_path: Path, regular) -> None:
    cache, site = tmp_path / "cache" / "zh", tmp_path / "site"
    fonts.write(site, "zh", _points("中文"), frozenset(), MODULES, cache, regular)
    first = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    fonts.write(site, "zh", _points("中文"), frozenset(), MODULES, cache, regular)
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == first  # nothing cut again
    fonts.write(site, "zh", _points("中"), frozenset(), MODULES, cache, regular)  # 文 is in another file
    assert len(first) == 2 and len(cache_names(cache)) == 1 and cache_names(cache) < set(first)
    assert {p.name for p in (site / "_static" / fonts.FOLDER).iterdir()} == {
        "fonts.css", "noto-sans-sc-LICENSE.txt", *cache_names(cache)}
    other = tmp_path / "cache" / "ar"  # another language's build takes the same cut from the first
    fonts.write(tmp_path / "ar", "ar", _points("中"), frozenset(), MODULES, other, regular)
    assert cache_names(other) == cache_names(cache)


def cache_names(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir()}


def test_site_characters_are_read_from_this_language_s_pages(tmp_path: Path) -> None:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.html").write_text('<p title="标题">&#x6570;据</p>', encoding="utf-8")
    for skipped in ("zh", "_static", "_sources", ".wpsr-static"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "b.html").write_text("Ж", encoding="utf-8")
    (tmp_path / "searchindex.js").write_text('Search.setIndex({"t": "\\u62a5"})', encoding="utf-8")
    assert _points("标题数据") <= fonts.site_characters(tmp_path, "en")
    assert ord("Ж") not in fonts.site_characters(tmp_path, "en")
    assert ord("报") in fonts.script_characters(tmp_path)


def test_pages_name_the_stylesheet_they_get(tmp_path: Path) -> None:
    css = tmp_path / "_static" / fonts.STYLESHEET
    css.parent.mkdir(parents=True)
    css.write_text("a{}", encoding="utf-8")
    page = tmp_path / "index.html"
    page.write_text('<link rel="stylesheet" href="_static/wpsr-fonts/fonts.css?v=00000000" />', encoding="utf-8")
    fonts.version_links([page], css)
    import zlib

    assert f'fonts.css?v={zlib.crc32(b"a{}"):08x}"' in page.read_text(encoding="utf-8")


@pytest.mark.build
@pytest.mark.browser
def test_chinese_page_is_set_in_the_site_s_own_font(browser, second_edition: dict) -> None:
    """On a machine without a Chinese font (as this one), the Chinese of the page's heading is drawn in
    the served Noto Sans SC, from _static/wpsr-fonts/ (its digits in the theme's font), with nothing
    from another origin, within the first visit's budget: in the edition published in six languages."""
    with serving(second_edition["path"]) as url:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        client = context.new_cdp_session(page)
        client.send("Network.enable")
        responses: dict[str, str] = {}
        sizes: dict[str, int] = {}
        client.on("Network.responseReceived", lambda e: responses.__setitem__(e["requestId"], e["response"]["url"]))
        client.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
        page.goto(f"{url.rstrip('/')}/{second_edition['edition']}/zh/index.html", wait_until="networkidle")
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"Noto Sans SC\"', '数据'))")
        client.send("DOM.enable")
        client.send("CSS.enable")
        root = client.send("DOM.getDocument")["root"]["nodeId"]
        heading = client.send("DOM.querySelector", {"nodeId": root, "selector": "article h1"})["nodeId"]
        used = client.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]
        chinese = [c for c in page.eval_on_selector("article h1", "h => h.firstChild.textContent") if ord(c) >= 0x2000]
        page.wait_for_load_state("networkidle")
        context.close()
    served = sum(f["glyphCount"] for f in used if f["isCustomFont"] and f["familyName"].startswith("Noto Sans SC"))
    assert chinese and served == len(chinese), used
    loaded = list(responses.values())
    assert not [u for u in loaded if not u.startswith((url.rstrip("/"), "data:"))], "a request went elsewhere"
    assert [u for u in loaded if "/zh/_static/wpsr-fonts/noto-sans-sc-" in u and ".woff2" in u]
    assert sum(sizes.values()) <= 1_000_000
