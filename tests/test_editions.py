"""Editions: two tagged editions published from a temporary git repository, then checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import ROOT, run_wpsr
from wpsr.serving import serving

pytestmark = pytest.mark.build
EDITION = {"title": "World Public Sector Report 2023", "note": "An edition for the tests."}
# The first edition came out in English, before its translations; the next one in all six languages.
FIRST = {"id": "2023", "date": dt.date(2026, 11, 1), "status": "published", "tag": "edition-2023", "languages": ["en"]}
SECOND = {"id": "2024.1", "date": dt.date(2026, 11, 20), "status": "published", "tag": "edition-2024.1"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           *args], check=True, capture_output=True, text=True).stdout


def set_editions(repo: Path, *entries: dict) -> None:
    (repo / "editions.yaml").write_text(yaml.safe_dump([{**EDITION, **e} for e in entries], sort_keys=False))


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def publish(repo: Path, edition: str, site: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_wpsr(repo, "publish", edition, "--site", str(site), *extra)


def publish_draft(repo: Path, site: Path, changed: Path, text: str, **draft: object) -> subprocess.CompletedProcess:
    """`wpsr publish` of a draft edition, 2024.2, from the working tree with one file changed to text;
    the repository as it was afterwards."""
    original = changed.read_text(encoding="utf-8")
    set_editions(repo, FIRST, SECOND, {"id": "2024.2", "date": dt.date(2026, 11, 27), "status": "draft", **draft})
    try:
        changed.write_text(text, encoding="utf-8")
        return publish(repo, "2024.2", site)
    finally:
        changed.write_text(original, encoding="utf-8")
        git(repo, "checkout", "--", "editions.yaml")


def publish_first_edition(repo: Path, site: Path) -> None:
    """A git repository of the book in repo, whose first edition, 2023, in English, `wpsr publish` put
    into site (conftest's `first_edition`, once per test run). The edition carries a contribution
    whose code a maintainer reviewed and whose outputs are hostile: tests/test_hostile_site.py
    reads its published page."""
    from tests.test_hostile_site import add_hostile_outputs

    repo.mkdir(parents=True)
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], check=True, capture_output=True,
                             text=True).stdout.split()
    for name in {*tracked, "reviewed.yaml"}:  # the record of reviewed code, tracked once committed
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    (repo / "node_modules").symlink_to(ROOT / "node_modules")
    add_hostile_outputs(repo)
    git(repo, "init", "-q", "-b", "main")
    set_editions(repo, FIRST)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Edition 2023")
    git(repo, "tag", "edition-2023")
    first = publish(repo, "2023", site)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr


def publish_second_edition(repo: Path, site: Path) -> dict:
    """The next edition, 2024.1, in the first edition's repository and site (conftest's
    `second_edition`, once per test run): one contribution commissioned, one dataset corrected, then
    tagged and published in all six languages. What the publish said, and the first edition's files
    as they were before it."""
    result = run_wpsr(repo, "new", "--chapter", "3", "--subtopic", "c3-g2-05", "--title", "Participatory budgeting",
                      "--author", "The report team; UN DESA; USA")
    assert result.returncode == 0, result.stderr
    approved = run_wpsr(repo, "review", "contributions/participatory-budgeting.md", "--approve")  # as a maintainer
    assert approved.returncode == 0, approved.stdout + approved.stderr
    subtopics = repo / "data" / "subtopics.csv"
    subtopics.write_text(subtopics.read_text().replace("c3-g2-05,3,2,Participatory budgeting",
                                                       "c3-g2-05,3,2,Participatory budgeting at every level"))
    set_editions(repo, FIRST, SECOND)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Edition 2024.1")
    git(repo, "tag", SECOND["tag"])
    before = hashes(site / "2023")
    second = publish(repo, SECOND["id"], site)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr
    return {"edition": SECOND["id"], "first_edition_before": before, "output": second.stdout}


@pytest.fixture(scope="module")
def site(second_edition: dict) -> dict:
    """Both editions published; the 2023 folder's files as they were before 2024.1 came out."""
    return second_edition


@pytest.fixture(scope="module")
def repo(second_edition: dict) -> Path:
    """The editions' repository, 2024.1 tagged in it."""
    return second_edition["repo"]


def test_publishing_reports_what_it_published(site: dict) -> None:
    assert "Published edition 2024.1" in site["output"] and "verify with: wpsr verify --site" in site["output"]
    assert "sources: tag edition-2024.1" in site["output"]
    # English, then each translation in a worker of its own, each said as it ends
    assert re.search(r"\[fr\]\n(.*\n)*? *Built in [0-9.]+ s: .*_build/html/fr/index.html", site["output"])
    assert "Built 6 languages (ar, zh, en, fr, ru, es)" in site["output"]


def test_switcher_and_redirects_point_to_the_latest_edition(site: dict) -> None:
    root = site["path"]
    switcher = json.loads((root / "switcher.json").read_text())
    assert [(e["version"], e["name"], e.get("preferred", False)) for e in switcher] == [
        ("2024.1", "2024.1 (latest)", True), ("2023", "2023", False)]
    assert [e["url"] for e in switcher] == ["2024.1/", "2023/"]
    assert 'url=2024.1/"' in (root / "index.html").read_text()
    assert 'url=../2024.1/"' in (root / "latest" / "index.html").read_text()


def test_each_figure_of_the_latest_edition_has_a_stable_address_and_cites_its_own_edition(site: dict) -> None:
    root = site["path"]
    pages = sorted(p.relative_to(root / "2024.1") for p in (root / "2024.1" / "figures").rglob("*.html"))
    assert pages
    for page in pages:  # latest/figures/… leads to the latest edition's page
        stub = (root / "latest" / page).read_text(encoding="utf-8")
        target = re.search(r'url=([^"]+)"', stub)[1]
        assert ((root / "latest" / page).parent / target).resolve() == (root / "2024.1" / page).resolve()
    for edition in ("2023", "2024.1"):  # a published edition's figures cite that edition, never "latest"
        for figure in (root / edition / "figures").rglob("*.html"):
            cited = re.search(r'<p id="wpsr-cite-text">([^<]+)</p>', figure.read_text(encoding="utf-8"))
            assert cited is None or f"living report edition {edition}." in html.unescape(cited[1]), figure


def test_publishing_a_new_edition_leaves_the_old_one_byte_identical(site: dict) -> None:
    assert hashes(site["path"] / "2023") == site["first_edition_before"]


def test_each_edition_has_a_manifest_and_verify_passes(site: dict, repo: Path) -> None:
    manifest = json.loads((site["path"] / "2024.1" / "manifest.json").read_text())
    assert manifest["source"]["tag"] == "edition-2024.1"
    assert manifest["source"]["commit"] == git(repo, "rev-parse", "edition-2024.1^{commit}").strip()
    assert manifest["files"]["index.html"] == hashlib.sha256((site["path"] / "2024.1" / "index.html")
                                                             .read_bytes()).hexdigest()
    result = run_wpsr(repo, "verify", "--site", str(site["path"]))
    assert result.returncode == 0, result.stderr


def test_verify_catches_a_changed_an_added_and_a_deleted_file(site: dict, repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(site["path"], copy, symlinks=True)
    (copy / "2023" / "index.html").write_text("tampered")
    (copy / "2023" / "extra.html").write_text("added")
    (copy / "2024.1" / "key-messages.html").unlink()
    result = run_wpsr(repo, "verify", "--site", str(copy))
    assert result.returncode == 1
    assert "2023/index.html: changed after publication" in result.stderr
    assert "2023/extra.html: added after publication" in result.stderr
    assert "2024.1/key-messages.html: missing" in result.stderr


def test_a_published_edition_cannot_be_published_again(site: dict, repo: Path) -> None:
    before = hashes(site["path"])
    result = publish(repo, "2023", site["path"])
    assert result.returncode == 1
    assert "edition 2023 is already published" in result.stderr and "new edition" in result.stderr
    assert hashes(site["path"]) == before


def test_a_failing_build_leaves_the_site_exactly_as_it_was(site: dict, repo: Path) -> None:
    before = hashes(site["path"])
    csv = repo / "data" / "internet_use.csv"
    result = publish_draft(repo, site["path"], csv,
                           csv.read_text(encoding="utf-8").replace("2023,World,World,67.4", "2023,World,World,sixty"))
    assert result.returncode == 1
    assert "Not published" in result.stderr and "internet_use.csv" in result.stdout + result.stderr
    assert hashes(site["path"]) == before
    assert not list(site["path"].glob(".wpsr-staging-*"))


def test_a_publish_builds_strictly_so_unreviewed_code_stops_it(site: dict, repo: Path) -> None:
    """What only a strict build refuses stops a publish: here, code changed since a maintainer reviewed
    it (a preview would run it). The site is left exactly as it was."""
    before = hashes(site["path"])
    contribution = repo / "contributions" / "civic-space-under-pressure.md"
    changed = contribution.read_text(encoding="utf-8").replace(
        "```{code-cell} ipython3\n", "```{code-cell} ipython3\nprint('changed since its review')\n", 1)
    result = publish_draft(repo, site["path"], contribution, changed, languages=["en"])
    said = result.stdout + result.stderr
    assert result.returncode == 1 and "Not published" in result.stderr
    assert "reviewed.yaml" in said and "contributions/civic-space-under-pressure.md" in said
    assert hashes(site["path"]) == before


def test_what_changed_compares_with_the_previous_edition(site: dict) -> None:
    page = (site["path"] / "2024.1" / "what-changed.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Compared with edition 2023" in text
    assert "Contributions added: Participatory budgeting." in text
    assert re.search(r"Datasets updated: Sub-topics the experts proposed", text)
    first = (site["path"] / "2023" / "what-changed.html").read_text()
    assert "This is the first edition of the living report." in first


def test_what_changed_names_the_figures_whose_data_changed(site: dict) -> None:
    first, newest = site["path"] / "2023", site["path"] / "2024.1"
    page = html.unescape((newest / "what-changed.html").read_text(encoding="utf-8"))
    said = re.search(r"Figures whose data changed: (.*?)</p>", page, re.S)[1]
    added = re.search(r"Figures new in this edition: (.*?)</p>", page, re.S)[1]
    changed = 0
    for figure in json.loads((newest / "figures" / "figures.json").read_text(encoding="utf-8")):
        data = figure["page"].removesuffix(".html") + ".csv"
        if not (first / data).is_file():
            assert figure["title"] in added, figure["title"]
            continue
        differs = (first / data).read_bytes() != (newest / data).read_bytes()
        assert (f">{figure['title']}</a>" in said) == differs, figure["title"]
        changed += differs
    assert changed  # the new contribution answers a sub-topic: the coverage chart's data changed


def test_each_edition_is_published_in_its_languages_each_with_its_pdf(site: dict) -> None:
    newest, first = site["path"] / "2024.1", site["path"] / "2023"
    manifest = json.loads((newest / "manifest.json").read_text())
    translations = ["ar", "zh", "fr", "ru", "es"]
    assert sorted(manifest["pdf_pages_by_language"]) == sorted(["en", *translations])
    for code in translations:
        assert (newest / code / "index.html").is_file(), code
        assert re.search(f'<html [^>]*lang="{code}"', (newest / code / "index.html").read_text(encoding="utf-8"))
        assert PdfReader(newest / "bundle" / f"wpsr-2024.1-{code}.pdf").pages, code
    assert 'hreflang="fr"' in (newest / "index.html").read_text(encoding="utf-8")
    assert list(json.loads((first / "manifest.json").read_text())["pdf_pages_by_language"]) == ["en"]
    assert not any((first / code).exists() for code in translations)
    assert not (first / "bundle" / "wpsr-2023-fr.pdf").exists()
    assert "hreflang" not in (first / "index.html").read_text(encoding="utf-8")  # no other version to point to


def test_each_translated_contribution_links_the_data_its_notebook_read(site: dict) -> None:
    """Built beside English from cold, a translation learns what each notebook read as English executed
    it: its contribution pages link the same datasets as the English ones."""
    newest = site["path"] / "2024.1"
    pages = sorted((newest / "contributions").glob("*.html"))
    linked = {page.name: set(re.findall(r'href="[./]*data/(\w+\.csv)"', page.read_text(encoding="utf-8")))
              for page in pages}
    assert any(linked.values())
    for code in ("ar", "zh", "fr", "ru", "es"):
        for page in pages:
            translated = (newest / code / "contributions" / page.name).read_text(encoding="utf-8")
            assert set(re.findall(r'href="[./]*data/(\w+\.csv)"', translated)) == linked[page.name], (code, page.name)


def test_each_edition_offers_a_pdf_the_data_and_an_archive(site: dict) -> None:
    bundle = site["path"] / "2024.1" / "bundle"
    with zipfile.ZipFile(bundle / "wpsr-2024.1-data.zip") as data:
        names = data.namelist()
    assert "datapackage.json" in names and "subtopics.csv" in names
    archive = bundle / "wpsr-2024.1-html.zip"
    digest = (bundle / "wpsr-2024.1-html.zip.sha256").read_text().split()[0]
    assert digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    with zipfile.ZipFile(archive) as html:
        assert "index.html" in html.namelist() and not any(n.startswith("bundle/") for n in html.namelist())


def test_the_pdf_starts_each_chapter_on_a_page_and_carries_the_charts(site: dict, repo: Path) -> None:
    reader = PdfReader(site["path"] / "2024.1" / "bundle" / "wpsr-2024.1.pdf")
    texts = [page.extract_text() for page in reader.pages]  # read once: a second or so per 20 pages
    tops = [" ".join(text.split()[:40]) for text in texts]
    toc = yaml.safe_load((repo / "_toc.yml").read_text())
    chapters = [c["file"] for part in toc["parts"] for c in part["chapters"] if c["file"].startswith("chapters/")]
    for chapter in chapters:
        title = next(line[2:] for line in (repo / f"{chapter}.md").read_text().splitlines() if line.startswith("# "))
        assert any(" ".join(title.split()[:6]) in top for top in tops[1:]), title
    # NFKC undoes the typeface's ligatures (the PDF's "ﬁnance" is "finance")
    printed = set(unicodedata.normalize("NFKC", " ".join(texts)).split())
    charts = sorted((site["path"] / "2024.1" / "figures").rglob("*.svg"))
    assert len(charts) >= len(chapters)
    for chart in charts:  # every chart is printed as its image: the words it draws are in the PDF's text
        labels = [html.unescape(t).strip() for t in re.findall(r"<text[^>]*>([^<]+)</text>", chart.read_text())]
        labels = [label for label in labels if len(label) >= 3]
        assert sum(all(word in printed for word in label.split()) for label in labels) >= 0.75 * len(labels), \
            chart.name
    assert len(texts) > 40
    assert "Page 2 of" in texts[1]


@pytest.mark.browser
def test_an_older_edition_points_readers_to_the_latest(site: dict, browser) -> None:
    with serving(site["path"]) as base:
        page = browser.new_page()
        page.goto(f"{base}/2023/chapters/priorities-and-trade-offs.html")
        banner = page.wait_for_selector(".wpsr-banner-old")
        assert banner.inner_text() == "You are reading the 2023 edition; the latest is 2024.1."
        link = page.get_attribute(".wpsr-banner-old a", "href")
        assert link == f"{base}/2024.1/chapters/priorities-and-trade-offs.html"
        page.goto(f"{base}/2024.1/chapters/priorities-and-trade-offs.html")
        page.wait_for_selector("nav.wpsr-editions")
        assert page.locator(".wpsr-banner-old").count() == 0
        page.click("nav.wpsr-editions summary")
        menu = page.eval_on_selector_all("nav.wpsr-editions a", "as => as.map(a => [a.textContent, a.href])")
        assert menu == [["2024.1 (latest), 2026-11-20", f"{base}/2024.1/"], ["2023, 2026-11-01", f"{base}/2023/"]]
        page.goto(f"{base}/latest/")
        page.wait_for_url(f"{base}/2024.1/")
        page.close()
