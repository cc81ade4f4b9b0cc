"""What a reader's browser gets: budgets, data as files, folded code, metadata, compression."""

from __future__ import annotations

import gzip
import random
import re
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from docutils import nodes
from docutils.utils import new_document

from tests.conftest import ROOT, prepare_root
from tests.test_build import site_pages as pages
from wpsr import charts
from wpsr.serving import serving
from wpsr.sphinx_ext import webpage
from wpsr.weight import BUDGETS, weigh, weigh_site

CONTRIBUTIONS = sorted(p.stem for p in (ROOT / "contributions").glob("*.md"))


# --- the built site ------------------------------------------------------------------------

@pytest.mark.build
def test_every_page_fits_its_budget(site: Path) -> None:
    weights = weigh_site(site)
    assert {w.page for w in weights} == {p.relative_to(site).as_posix() for p in pages(site, embed=True)}
    assert [w.missing for w in weights if w.missing] == []
    assert [problem for w in weights for problem in w.over_budget()] == []
    charted = [w for w in weights if w.kind == "charts"]
    assert charted and all("_static/wpsr-vendor/vega.min.js" in w.runtime for w in charted)


@pytest.mark.build
def test_no_unrendered_template_icon_font_or_theme_catalog_ships(site: Path) -> None:
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not re.search(r"{%-?\s*(macro|import|extends|block)|{{\s*pathto", text), path
    assert not (site / "_static" / "scripts" / "fontawesome.js").exists()
    assert not list(site.rglob("*.po")) and not list(site.rglob("*.mo"))  # the theme's own catalogs
    theme_css = (site / "_static" / "styles" / "pydata-sphinx-theme.css").read_text()
    assert not re.search(r"@font-face\{[^}]*Font Awesome", theme_css) and ".fa-bars:before" not in theme_css


@pytest.mark.build
def test_chart_and_table_data_are_files_of_the_site(site: Path) -> None:
    linked = 0
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        assert "data:text/csv" not in html and "data:image/svg" not in html, page
        for href in re.findall(r'<p class="wpsr-download"><a download="[^"]+" href="([^"]+)"', html):
            target = (page.parent / href).resolve()
            assert target.is_relative_to((site / "figures").resolve()) and target.is_file(), href
            assert "," in target.read_text(encoding="utf-8").splitlines()[0]  # a CSV header
            linked += 1
    assert linked >= len(CONTRIBUTIONS)


@pytest.mark.build
def test_every_page_has_a_description_and_a_share_image(site: Path) -> None:
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        description = re.search(r'<meta name="description" content="([^"]{40,})">', html)
        assert description, page
        image = re.search(r'<meta property="og:image" content="([^"]+)">', html)[1]
        assert (page.parent / image).resolve().read_bytes().startswith(b"\x89PNG"), page
        for tag in ("og:title", "og:description", "twitter:card", "twitter:image"):
            assert f'"{tag}"' in html
        if 'class="wpsr-chart"' in html:  # the page's first chart
            assert (page.parent / image).resolve().is_relative_to((site / "figures").resolve()), page


@pytest.mark.build
@pytest.mark.parametrize("slug", CONTRIBUTIONS)
def test_a_contribution_is_described_by_its_abstract(site: Path, slug: str) -> None:
    import yaml

    meta = yaml.safe_load((ROOT / "contributions" / f"{slug}.md").read_text().split("---")[1])
    html = (site / "contributions" / f"{slug}.html").read_text(encoding="utf-8")
    content = re.search(r'<meta name="description" content="([^"]+)">', html)[1]
    assert " ".join(str(meta["abstract"]).split()).startswith(content.rstrip("…").replace("&#39;", "'"))


@pytest.mark.build
def test_code_is_folded_under_show_code(site: Path) -> None:
    folded = 0
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        inputs = html.count('<div class="cell_input')
        folds = re.findall(r'<details class="wpsr-fold wpsr-fold-code[^"]*">\s*<summary><span class="wpsr-fold-show">'
                           r"Show code</span>", html)
        assert len(folds) == inputs, page
        folded += inputs
    assert folded > 0
    assert "details.wpsr-fold-code, .cell_input { display: none" in (site / "_static" / "wpsr.css").read_text()


@pytest.mark.build
def test_the_search_index_loads_on_the_search_page_only(site: Path) -> None:
    search = (site / "search.html").read_text(encoding="utf-8")
    assert "pagefind/pagefind-ui.js" in search and (site / "pagefind" / "pagefind-ui.js").is_file()
    assert "wasm-unsafe-eval" in search  # its policy compiles the index's WebAssembly, never JavaScript
    for page in ("index.html", "chapters/relationships-with-society.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert "pagefind" not in text and "searchindex.js" not in text and "wasm-unsafe-eval" not in text, page
    assert not (site / "searchindex.js").exists()  # Sphinx's own index is not built


def test_a_tagged_cell_stays_open() -> None:
    document = new_document("page")
    for tags, hidden in (([], None), (["show-input"], None), (["hide-output"], "output")):  # as myst-nb marks them
        cell = nodes.container(nb_element="cell_code", cell_metadata={"tags": tags})
        if hidden:
            cell["hide_mode"] = hidden
        cell += nodes.container(nb_element="cell_code_source")
        cell += nodes.container(nb_element="cell_code_output")
        document += cell
    webpage.FoldCode.run(SimpleNamespace(document=document))
    assert [c.get("hide_mode") for c in document.children] == ["input", None, "input+output"]


def test_a_description_is_the_first_paragraph_of_prose_cut_to_length() -> None:
    document = new_document("page")
    section = nodes.section()
    box = nodes.container()
    box += nodes.paragraph(text="A banner that is long enough to be taken for the first paragraph of prose.")
    section += [nodes.title(text="Title"), box, nodes.paragraph(text="Short."),
                nodes.paragraph(text="word " * 80)]
    document += section
    text = webpage.description(document)
    assert text.startswith("word word") and text.endswith("…") and len(text) <= webpage.DESCRIPTION_LENGTH + 1


def test_meta_tags_escape_every_value() -> None:
    tags = webpage.meta_tags(title='A "title" <b>', site="S", text="x & y", image="i.png", image_alt="a",
                             url=None)
    assert "<b>" not in tags and "&#34;title&#34;" in tags and "x &amp; y" in tags


def test_sitemap_lists_every_page_under_the_base() -> None:
    xml = webpage.sitemap("https://example.org/2023", ["index.html", "chapters/a.html"])
    assert "<loc>https://example.org/2023/chapters/a.html</loc>" in xml and xml.count("<url>") == 2


def test_navigation_toggles_get_names() -> None:
    html = ('<a class="current reference internal" href="a.html">Chapter &amp; one</a><details open="open"><summary>'
            '<span class="toctree-toggle" role="presentation"><i class="fa-solid fa-chevron-down"></i></span>')
    assert '<span class="wpsr-visually-hidden">Sections of Chapter &amp; one</span>' in webpage.name_toggles(html)


def test_embedded_chart_json_cannot_close_its_script() -> None:
    text = charts.script_json({"label": "</script><!--<script>& \u2028"})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert "\\u003c/script\\u003e" in text


# --- weighing pages ----------------------------------------------------------------------

def test_weighing_follows_stylesheets_scripts_images_and_the_chart_runtime(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.css").write_text('@import "b.css"; .x { background: url(i.png) }'
                                          '@font-face { src: url(font.woff2) }')
    (tmp_path / "s" / "b.css").write_text("b" * 100)
    (tmp_path / "s" / "i.png").write_bytes(b"p" * 50)
    (tmp_path / "s" / "charts.js").write_text("c" * 10)
    (tmp_path / "s" / "runtime.js").write_text("r" * 2000)
    page = tmp_path / "page.html"
    page.write_text('<link rel="stylesheet" href="s/a.css?v=1"><script src="s/charts.js" data-runtime="runtime.js">'
                    '</script><img src="data:image/png;base64,AA=="><img src="gone.png"><a href="x.pdf">x</a>')
    weight = weigh(tmp_path, page)
    assert set(weight.files) == {"page.html", "s/a.css", "s/b.css", "s/i.png", "s/charts.js", "s/runtime.js"}
    assert weight.runtime == ["s/runtime.js"] and weight.kind == "charts" and weight.missing == ["gone.png"]
    assert weight.first_paint_bytes == weight.bytes - 2000
    assert weight.gzip_files["s/runtime.js"] < 100


def test_a_page_over_its_budget_says_by_how_much_and_what_weighs(tmp_path: Path) -> None:
    limit = BUDGETS["page"][0]
    (tmp_path / "big.js").write_bytes(random.Random(0).randbytes(limit + 1))  # incompressible
    page = tmp_path / "page.html"
    page.write_text('<script src="big.js"></script>')
    problems = weigh(tmp_path, page).over_budget()
    assert len(problems) == 2 and "over the 1,000 KB budget of a page page" in problems[0]
    assert "big.js" in problems[0] and "gzip" in problems[1]


def test_weighing_refuses_another_origin(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<script src="https://cdn.example/x.js"></script>')
    with pytest.raises(ValueError, match="another origin"):
        weigh(tmp_path, page)


# --- serving compressed ----------------------------------------------------------------------

def test_the_preview_server_compresses_as_a_static_host_does(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hello</p>" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("sub page")
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    with serving(tmp_path) as base:
        def get(path: str, encoding: str | None = "gzip") -> tuple[dict, bytes]:
            request = urllib.request.Request(base + path, headers={"Accept-Encoding": encoding} if encoding else {})
            with urllib.request.urlopen(request) as response:
                return dict(response.headers), response.read()

        headers, body = get("/")
        assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == b"<p>hello</p>" * 100
        headers, body = get("/index.html", encoding=None)
        assert "Content-Encoding" not in headers and body == b"<p>hello</p>" * 100
        headers, body = get("/a.png")
        assert "Content-Encoding" not in headers and body == b"\x89PNG"
        headers, body = get("/sub")  # redirected to /sub/
        assert gzip.decompress(body) == b"sub page"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            get("/../../etc/passwd")


BASE_URL = "https://example.org/wpsr/2023/"


@pytest.mark.sphinx("html", testroot="site", srcdir="site-started-by-jupyter-book")
def test_a_build_started_outside_wpsr_is_the_book_only_while_it_runs(app_params, make_app,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """As `jupyter-book build` runs it (not through `wpsr build`): the book being built is the one its
    extension reads while the build runs, and no longer once it has finished."""
    from wpsr import book

    srcdir = prepare_root(app_params, monkeypatch)
    monkeypatch.chdir(ROOT)
    app = make_app(*app_params.args, **app_params.kwargs)
    seen: list[Path] = []
    app.connect("build-finished", lambda _app, _exception: seen.append(book.book_root()), priority=500)
    app.build()
    assert seen == [srcdir.resolve()]
    assert book.book_root() == ROOT.resolve()


@pytest.mark.sphinx("html", testroot="site", srcdir="site-built-twice")
def test_a_second_build_in_a_process_compiles_no_template_and_writes_the_same_pages(
        app_params, make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each build makes the theme's Jinja environment anew (a preview's, a test's, a translation's, the
    single page's): the templates are compiled once a process, and the pages come out the same."""
    from jinja2.sandbox import SandboxedEnvironment

    from wpsr.book import building

    srcdir = prepare_root(app_params, monkeypatch)
    monkeypatch.chdir(srcdir)
    compiled: list[str] = []
    compile_source = SandboxedEnvironment.compile

    def counted(self, source, name=None, *rest, **named):
        compiled.append(name)
        return compile_source(self, source, name, *rest, **named)

    monkeypatch.setattr(SandboxedEnvironment, "compile", counted)
    webpage.COMPILED_TEMPLATES.clear()  # as in a new process (another test of this one built before)
    pages = []
    for _ in range(2):
        app = make_app(*app_params.args, **app_params.kwargs)
        with building(srcdir):
            app.build(force_all=True)
        pages.append((Path(app.outdir) / "team.html").read_text(encoding="utf-8"))
        compiled.append("--")
    first, second = compiled[:compiled.index("--")], compiled[compiled.index("--") + 1:-1]
    assert "page.html" in first and [name for name in second if name] == []  # (None: a template from a string)
    assert pages[0] == pages[1]


@pytest.mark.sphinx("html", testroot="site", confoverrides={"html_baseurl": BASE_URL})
def test_a_site_with_a_base_url_has_canonical_links_and_a_sitemap(root_app) -> None:
    """On a small test root (tests/roots/test-site): what the extension writes is the same for every
    page; the whole book is built with a base URL in tests/test_build_result.py."""
    root_app.build()
    assert root_app._warning.getvalue() == ""  # as strict as `wpsr build --strict`
    site = Path(root_app.outdir)
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert len(pages(site)) >= 3
    for page in pages(site):
        html = page.read_text(encoding="utf-8")
        address = BASE_URL + page.relative_to(site).as_posix()
        assert f'<link rel="canonical" href="{address}" />' in html, page
        assert re.search(rf'<meta property="og:image" content="{re.escape(BASE_URL)}[^"]+\.png">', html), page
        if page.name not in ("search.html", "genindex.html"):
            assert f"<loc>{address}</loc>" in sitemap


@pytest.mark.sphinx("html", testroot="site", srcdir="sidebar-rendered-once")
def test_the_book_s_navigation_is_rendered_once_a_page_and_is_on_every_page(root_app) -> None:
    """The theme renders a page's sidebar templates once more only to drop the empty ones: not the
    book's navigation, which lists every page (wpsr.sphinx_ext.theme)."""
    templates, rendered = root_app.builder.templates, []
    render = templates.render
    templates.render = lambda name, context: rendered.append(name) or render(name, context)
    root_app.build()
    assert "sbt-sidebar-nav.html" not in rendered
    assert "navbar-logo.html" in rendered  # the theme still checks its other templates
    for page in pages(Path(root_app.outdir), figures=False):
        if page.name not in ("search.html", "genindex.html"):
            html = page.read_text(encoding="utf-8")
            assert re.search(r'class="bd-links bd-docs-nav"[^>]*>(.|\n)*toctree-l1', html), page
