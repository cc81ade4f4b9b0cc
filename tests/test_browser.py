"""Headless Chromium: every page with charts draws them with no error and no request elsewhere."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROOT
from tests.test_build import CHAPTERS, site_pages

pytestmark = pytest.mark.browser


def wait_until(page: Page, condition: str, timeout: float = 30) -> None:
    """Poll a JavaScript condition from outside the page: Playwright's wait_for_function compiles it
    in the page, which the page's Content-Security-Policy (no eval) rightly refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"never true: {condition}")
        page.wait_for_timeout(50)


def tab_until(page: Page, reached: str, what: str, presses: int = 300) -> None:
    """Press Tab until the JavaScript condition `reached` holds; fail, naming `what`, if it never does."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(reached):
            return
    pytest.fail(f"Tab never reached {what}")


CHART_PAGES = [f"chapters/{c}" for c in CHAPTERS] + ["annexes/subtopics", "annexes/global-processes"] + sorted(
    f"contributions/{p.stem}" for p in (ROOT / "contributions").glob("*.md"))


@pytest.mark.parametrize("path", CHART_PAGES)
def test_page_draws_every_chart_without_errors(browser: Browser, server: str, path: str) -> None:
    page = browser.new_page()
    errors, failed, elsewhere = [], [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("request", lambda r: not r.url.startswith((server, "data:")) and elsewhere.append(r.url))
    page.goto(f"{server}/{path}.html")
    for figure in page.locator("figure.wpsr-chart").all():  # each chart turns interactive when pointed at
        figure.scroll_into_view_if_needed()
        figure.dispatch_event("pointerenter")
    wait_until(page, "[...document.querySelectorAll('figure.wpsr-chart')]"
                     ".every(f => /drawn|failed/.test(f.dataset.state))")
    states = page.eval_on_selector_all("figure.wpsr-chart", "fs => fs.map(f => f.dataset.state)")
    assert len(states) >= 1 and set(states) == {"drawn"}
    assert page.eval_on_selector_all("figure.wpsr-chart svg[role=img]", "s => s.length") == len(states)
    assert page.eval_on_selector_all("img.wpsr-chart-static:not([hidden])", "s => s.length") == 0
    page.wait_for_load_state("networkidle")
    assert (errors, failed, elsewhere) == ([], [], [])
    page.close()


def test_tooltip_appears_on_hover(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/chapters/relationships-with-society.html")
    page.locator("figure.wpsr-chart").first.hover()
    mark = ("figure.wpsr-chart[data-state=drawn] svg path[aria-roledescription=bar], "
            "figure.wpsr-chart[data-state=drawn] svg path[aria-roledescription=point]")  # a bar or a line's point
    page.wait_for_selector(mark)
    page.locator(mark).first.hover()
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible")
    assert "%" in tooltip.inner_text() or "." in tooltip.inner_text()
    page.close()


def test_without_javascript_every_chart_is_an_image(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/chapters/priorities-and-trade-offs.html")
    visible = page.eval_on_selector_all(
        "figure.wpsr-chart img.wpsr-chart-static",
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0 && !i.hidden).length")
    assert visible == page.eval_on_selector_all("figure.wpsr-chart", "f => f.length") >= 2
    context.close()


def test_keyboard_reaches_the_chart_data_download(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/chapters/relationships-with-society.html")
    tab_until(page, "document.activeElement.textContent.includes('Download the data of this chart')",
              "a chart's data download link")
    page.close()


def test_search_finds_a_chapter(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(f"{server}/search.html?q=CIVICUS")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=20_000)
    hrefs = page.eval_on_selector_all(".pagefind-ui__result-link", "as => as.map(a => a.getAttribute('href'))")
    assert any("chapters/relationships-with-society" in h for h in hrefs), hrefs
    assert page.evaluate("window.__violations") == []
    page.close()


def test_keyboard_reaches_a_contribution_card_and_opens_it(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/chapters/assets-and-innovations.html")
    tab_until(page, "document.activeElement.closest('.wpsr-card') !== null", "a contribution card")
    page.keyboard.press("Enter")
    page.wait_for_url("**/contributions/closing-the-digital-divide.html")
    page.close()


@pytest.mark.parametrize("path", ["index.html", "chapters/priorities-and-trade-offs.html",
                                  "contributions/budgets-that-show-their-trade-offs.html",
                                  "annexes/innovation-checklist.html", "annexes/global-processes.html"])
def test_pages_fit_a_phone_screen(browser: Browser, server: str, path: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    page.goto(f"{server}/{path}")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    figure_widths = page.eval_on_selector_all(".wpsr-chart-view", "vs => vs.map(v => v.getBoundingClientRect().width)")
    assert all(w <= 375 for w in figure_widths)
    page.close()


def test_the_checklist_remembers_summarizes_exports_and_forgets(browser: Browser, server: str) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    with (ROOT / "data" / "innovation_checklist.csv").open(encoding="utf-8") as file:
        items = list(csv.DictReader(file))
    infrastructure = sum(item["dimension"] == "Infrastructure" for item in items)
    page.goto(f"{server}/annexes/innovation-checklist.html")
    summary = page.locator('.wpsr-checklist-summary li[data-dimension="Infrastructure"] .wpsr-summary-count')
    assert summary.inner_text() == f"0 of {infrastructure}"
    page.get_by_label("The people the innovation is meant for", exact=False).check()
    page.locator("#check-inf-03").check()
    page.fill("#notes-infrastructure", "Power cuts in the north")
    assert summary.inner_text() == f"2 of {infrastructure}"
    page.reload()
    assert page.locator("#check-inf-01").is_checked() and page.locator("#check-inf-03").is_checked()
    assert not page.locator("#check-inf-02").is_checked()
    assert summary.inner_text() == f"2 of {infrastructure}"
    assert page.input_value("#notes-infrastructure") == "Power cuts in the north"
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download my answers (CSV)").click()
    download = caught.value
    assert download.suggested_filename == "innovation-checklist-answers.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    answers = {line.split(",")[0].strip('"'): line for line in lines[1:]}
    assert len(answers) == len(items) + 1  # every item and the notes
    assert answers["inf-01"].endswith('"in place"') and answers["inf-02"].endswith('"not yet"')
    assert "Power cuts in the north" in answers["notes"]
    page.get_by_role("button", name="Clear my answers").click()
    assert summary.inner_text() == f"0 of {infrastructure}"
    page.reload()
    assert not page.locator("#check-inf-01").is_checked() and page.input_value("#notes-infrastructure") == ""
    assert errors == []
    context.close()


def test_without_javascript_the_checklist_lists_every_item(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    with (ROOT / "data" / "innovation_checklist.csv").open(encoding="utf-8") as file:
        items = len(list(csv.DictReader(file)))
    page.goto(f"{server}/annexes/innovation-checklist.html")
    assert page.locator("input.wpsr-check").count() == items
    assert page.locator("label .wpsr-check-item").count() == items
    assert not page.locator(".wpsr-checklist-tools").is_visible()
    context.close()


def test_the_calendar_filters_by_type_and_text(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/annexes/global-processes.html")
    rows = page.locator("table.wpsr-calendar tbody tr")
    with (ROOT / "data" / "global_processes.csv").open(encoding="utf-8") as processes:
        climate = sum(row["type"] == "Climate conference" for row in csv.DictReader(processes))
    page.select_option("#filter-type", "Climate conference")
    assert page.locator("table.wpsr-calendar tbody tr:visible").count() == climate
    assert page.inner_text(".wpsr-calendar-count") == f"{climate} of {rows.count()} meetings shown"
    page.select_option("#filter-type", "")
    page.fill("#filter-text", "summit of the future")
    assert page.locator("table.wpsr-calendar tbody tr:visible").count() == 1
    page.close()


def test_the_checklist_works_with_the_keyboard(browser: Browser, server: str) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{server}/annexes/innovation-checklist.html")
    tab_until(page, "document.activeElement.id === 'check-inf-01'", "the first checklist item")
    page.keyboard.press("Space")
    assert page.locator("#check-inf-01").is_checked()
    count = '.wpsr-checklist-summary li[data-dimension="Infrastructure"] .wpsr-summary-count'
    assert page.inner_text(count) == "1 of 3"
    page.context.close()


# --- every reader: accessibility, light pages, folded code -----------------------------------

AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Only the violations cross back from Chromium, a line each: axe's whole result (every rule that
# passed, with its elements) is large, and Playwright parses and checks all of it.
AXE_RUN = """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(result => result.violations.map(v => `${v.id} (${v.help}): ${v.nodes[0].html.slice(0, 160)}`))"""


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on the open page: "rule (help): the first element",
    axe injected from outside the page (its policy refuses an injected inline script)."""
    page.evaluate(AXE + "\n;true")
    return page.evaluate(AXE_RUN, WCAG_AA)


COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def test_every_page_passes_axe_runs_under_its_policy_and_loads_only_what_its_weight_counts(
        browser: Browser, server: str, site: Path) -> None:
    """Every page, theme included, opened once: WCAG 2.1 A and AA rules of axe-core; its
    Content-Security-Policy, with no violation as it loads and as its charts turn interactive; and
    every request it makes is a file of the site that the page-weight budget counts."""
    from wpsr.weight import weigh

    problems: list[str] = []
    # each figure's own page is one template's: tests/test_figure_pages.py runs axe on one of each kind
    paths = sorted(p.relative_to(site).as_posix() for p in site_pages(site, figures=False))
    # Every page is opened first, then each is checked: one page's wait for its network to fall
    # quiet is the time the others load in.
    opened = [(path, *open_watched(browser, f"{server}/{path}")) for path in paths]
    for path, page, _, _ in opened:
        policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
        assert policy and "script-src 'self'" in policy and "object-src 'none'" in policy, path
        scripts = policy.split("script-src")[1].split(";")[0]  # the search page alone compiles WebAssembly
        allowed = scripts.replace(" 'wasm-unsafe-eval'", "") if path == "search.html" else scripts
        assert "unsafe-eval" not in allowed and "'unsafe-inline'" not in scripts, path
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path  # as it loads
        problems += [f"{path}: {violation}" for violation in axe_violations(page)]
        page.evaluate("window.__violations.length = 0")  # axe's own <style>, which the policy rightly refuses
        for figure in page.locator("figure.wpsr-chart").all():
            figure.dispatch_event("pointerenter")
    for path, page, requested, failed in opened:
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], path
        problems += [f"{path}: request failed: {url}" for url in failed]
        counted = set(weigh(site, site / path).files)
        loaded = {r.removeprefix(server + "/").split("?")[0].split("#")[0] for r in requested
                  if r.startswith(server) and "/wpsr-fonts/" not in r}  # fonts load with the text that needs them:
        # axe lays out the closed language menu, whose names' glyphs a reader loads only on opening it
        # (tests/test_fonts.py measures what a font costs a page)
        problems += [f"{path}: loads {url}, which its weight does not count" for url in loaded - counted]
        problems += [f"{path}: requests another origin: {r}" for r in requested
                     if not r.startswith((server, "data:"))]
        page.close()
    assert problems == []


def open_watched(browser: Browser, url: str) -> tuple[Page, list[str], list[str]]:
    """The page at url, opened with its policy's violations collected, and the requests it makes and
    those that failed, as they come."""
    page = browser.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(url)
    return page, requested, failed


def test_the_chart_runtime_waits_until_a_chart_nears_the_screen(browser: Browser, server: str, site: Path) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 600})
    runtime: list[str] = []
    page.on("request", lambda r: "wpsr-vendor" in r.url and runtime.append(r.url))
    path = "contributions/" + sorted(p.stem for p in (ROOT / "contributions").glob("*.md"))[0] + ".html"
    page.goto(f"{server}/{path}")
    page.wait_for_load_state("networkidle")
    top = page.eval_on_selector("figure.wpsr-chart", "f => f.getBoundingClientRect().top")
    assert top > 600 + 300, f"the first chart of {path} is too near the top for this test: move the test's page"
    assert runtime == [] and page.locator("figure.wpsr-chart[data-state]").count() == 0
    assert page.locator("img.wpsr-chart-static").first.evaluate("i => i.complete && i.naturalWidth > 0")
    with page.expect_request("**/wpsr-vendor/vega.min.js"):  # fetched, not run, as the chart nears
        page.locator("figure.wpsr-chart").first.scroll_into_view_if_needed()
    assert page.locator("figure.wpsr-chart[data-state]").count() == 0
    page.locator("figure.wpsr-chart").first.dispatch_event("touchstart")
    page.wait_for_selector("figure.wpsr-chart[data-state=drawn]")
    page.close()


def test_a_chart_turns_interactive_when_the_reader_points_at_it(browser: Browser, server: str) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 600})
    page.goto(f"{server}/chapters/priorities-and-trade-offs.html")
    last = "[...document.querySelectorAll('figure.wpsr-chart')].pop()"
    page.wait_for_load_state("networkidle")
    assert page.evaluate(f"{last}.dataset.state") is None
    page.locator("figure.wpsr-chart").last.dispatch_event("pointerenter")
    wait_until(page, f"{last}.dataset.state === 'drawn'")
    page.close()


def test_code_opens_with_the_keyboard_and_has_a_spoken_name(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(f"{server}/chapters/priorities-and-trade-offs.html")
    fold = page.locator("details.wpsr-fold-code").first
    assert not fold.locator(".cell_input").is_visible()
    expect(fold.locator("summary")).to_have_accessible_name("Show code")
    tab_until(page, "document.activeElement.matches('details.wpsr-fold-code > summary')", "a Show code control")
    page.keyboard.press("Enter")
    opened = page.locator("details.wpsr-fold-code[open]").first
    assert opened.locator(".cell_input").is_visible()
    assert opened.locator("summary").inner_text() == "Hide code"
    page.emulate_media(media="print")
    assert not opened.locator(".cell_input").is_visible()
    page.close()


def test_code_opens_without_javascript(browser: Browser, server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/contributions/closing-the-digital-divide.html")
    fold = page.locator("details.wpsr-fold-code").first
    fold.locator("summary").click()
    assert fold.locator(".cell_input").is_visible()
    context.close()


def test_checklist_answers_of_an_earlier_edition_carry_over(browser: Browser, server: str) -> None:
    context = browser.new_context()
    context.add_init_script("""if (!sessionStorage.getItem("seeded")) {
        sessionStorage.setItem("seeded", "1");
        localStorage.setItem("wpsr-checklist:2023", JSON.stringify({checked: ["inf-02"], notes: {}}));
    }""")
    page = context.new_page()
    page.goto(f"{server}/annexes/innovation-checklist.html")
    assert page.locator("#check-inf-02").is_checked()
    keys = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('wpsr-checklist'))")
    assert keys == ["wpsr-checklist"]  # the earlier edition's key is gone
    page.reload()
    assert page.locator("#check-inf-02").is_checked()
    context.close()


def test_an_injected_inline_script_is_blocked(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(f"{server}/index.html")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__ran = true"; document.head.appendChild(s); }""")
    wait_until(page, "window.__violations.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert page.evaluate("window.__violations")[0].startswith("script-src")
    page.close()


def test_the_reach_page_draws_its_charts_and_map_and_filters_the_register(browser: Browser, server: str) -> None:
    with (ROOT / "data" / "uptake.csv").open(encoding="utf-8") as records:
        uptake = list(csv.DictReader(records))
    page = browser.new_page()
    page.goto(f"{server}/annexes/reach-and-uptake.html")
    names = page.locator("figure.wpsr-chart").evaluate_all("fs => fs.map(f => f.id)")
    assert any("uptake-map" in name for name in names) == any(r["country"] for r in uptake)
    charts = page.locator("figure.wpsr-chart:not(.wpsr-chart-still)")
    for figure in charts.all():
        figure.scroll_into_view_if_needed()
        figure.dispatch_event("pointerenter")
    wait_until(page, "[...document.querySelectorAll('figure.wpsr-chart:not(.wpsr-chart-still)')]"
                     ".every(f => f.dataset.state === 'drawn')")
    if any(r["country"] for r in uptake):  # the map is its image, drawn from world-atlas at build time
        page.locator("#fig-uptake-map img").scroll_into_view_if_needed()
        wait_until(page, "document.querySelector('#fig-uptake-map img').naturalWidth > 0")
    rows = page.locator("#uptake-table tbody tr")
    assert rows.count() == len(uptake)
    kind = uptake[0]["type"]
    page.select_option("#filter-type", kind)
    shown = sum(r["type"] == kind for r in uptake)
    assert page.locator("#uptake-table tbody tr:visible").count() == shown
    assert page.inner_text(".wpsr-uptake-count") == f"{shown} of {len(uptake)} records shown"
    page.close()
