"""What a reader's browser gets: light pages, folded code, real files for data, and metadata.

The Sphinx side of the reader's experience, beside ``sphinx_ext``:

- each figure's static SVG and each figure's and table's CSV become files of the site,
  ``figures/<page>/<name>.svg`` and ``.csv``, linked from the page instead of inlined (the
  single-page build the PDF is printed from keeps them inline);
- code cells are folded under a "Show code" ``<details>`` (works without JavaScript; a cell
  tagged ``show-input`` stays open); print leaves code out;
- every page gets a meta description (a contribution's abstract, else the page's first
  paragraph), OpenGraph and Twitter card tags with a share image (the page's first chart as
  PNG, else the book's card); with a base URL, a canonical link and ``sitemap.xml`` (the book's
  own, not sphinxext-opengraph's or sphinx-sitemap's: the README says why);
- the theme's icon font and its script (1.5 MB) are replaced by icons drawn in CSS, rules no
  page uses leave the stylesheets, each extension's assets load only where they serve,
  Sphinx's search index is loaded only by the search page, and unrendered theme templates
  leave the site;
- the theme's navigation toggles get accessible names.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

from docutils import nodes
from jinja2.bccache import Bucket, BytecodeCache
from jinja2.sandbox import SandboxedEnvironment
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from wpsr.book import slug
from wpsr.markup import render
from wpsr.safety import FILE_TYPES, safe_csv, svg_problem
from wpsr.sphinx_ext.doctree import data_table
from wpsr.sphinx_ext.security import drop_unused, elsewhere

logger = logging.getLogger(__name__)
FIGURES = "figures"
MAX_FIGURE_BYTES = 2_000_000  # a figure's SVG, PNG or CSV in the site
SHARE_IMAGE = "wpsr-share.png"
OPEN_TAG = "show-input"  # a code cell with this tag stays open
DESCRIPTION_LENGTH = 200
# A file a figure or table carries inline: the src or href data: URI, then data-wpsr-file="NAME" (charts, tables)
FILE_REF = re.compile(r'(?P<attr>src|href)="(?P<uri>data:[^"]*)"(?P<between>[^>]*?) data-wpsr-file="(?P<name>[^"]*)"')
UNRENDERED = ("webpack-macros.html", "sbt-webpack-macros.html")
# Assets extensions add to every page, kept only on pages whose body shows what they serve.
ASSET_USES = {
    "sphinx-design.min.css": 'class="sd-', "design-tabs.js": 'class="sd-tab',
    "togglebutton.css": ("toggle", "dropdown"), "togglebutton.js": ("toggle", "dropdown"),
    "copybutton.css": 'class="highlight', "copybutton.js": 'class="highlight', "clipboard.min.js": 'class="highlight',
    "pygments.css": 'class="highlight',
    "mystnb.": ('class="cell', 'class="output'),
    "sphinx-thebe": (),  # thebe is off in this book, and its inline configuration names a CDN
}
THEBE = "sphinx-thebe"  # its files leave the site too: they name another origin
SYNC_SCRIPTS = ("_static/documentation_options.js",)  # read at once by inline settings; the rest can wait
INLINE_USES = {"toggle": "togglebutton.js", "THEBE": "sphinx-thebe", "kernelName": "sphinx-thebe"}
# Rules the site has no use for, taken out of the stylesheets extensions ship (a third of their weight):
# the theme's icon font (wpsr.css draws the icons) and myst-nb's 256 terminal colours (a cell that
# prints a coloured traceback fails the strict build, so no page shows one).
UNUSED_RULES = {
    "styles/pydata-sphinx-theme.css": re.compile(
        r"@font-face\{[^}]*Font Awesome[^}]*\}|(?:\.fa[\w-]*(?::(?:before|after))?,?)+\{[^}]*\}"),
    "mystnb.*.css": re.compile(r"[^{}]*-Color[^{}]*\{[^}]*\}"),
}
ICON_FONT = ("scripts/fontawesome.js", "scripts/fontawesome.js.map", "scripts/fontawesome.js.LICENSE.txt",
             "vendor")  # the theme's vendor/ folder holds the icon font alone
# sphinx-book-theme's own catalogs, in 46 languages, which Sphinx reads from the theme's package, not from
# the site: no page loads them (2.2 MB of a six-language edition and its HTML archive).
THEME_CATALOGS = "locales"


# --- figures and tables as files ------------------------------------------------------

def decode_data_uri(uri: str) -> bytes:
    """The bytes of a ``data:`` URI (base64 or percent-encoded)."""
    header, _, payload = uri.partition(",")
    return base64.b64decode(payload) if header.endswith(";base64") else unquote(payload).encode("utf-8")


def _page_uri(app: Sphinx, docname: str) -> str:
    """The page's path in the site, which links from it are relative to."""
    return app.builder.get_target_uri(docname).split("#")[0] or f"{docname}.html"


def write_figure_files(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Write the SVGs and CSVs a page carries as ``data:`` URIs into files, and link to them.
    The single-page build the PDF is printed from keeps them inline: Chromium prints them from there."""
    if app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    outdir = Path(app.builder.outdir)
    page_uri = _page_uri(app, docname)
    shares = app.wpsr_share_images = getattr(app, "wpsr_share_images", {})

    def to_file(match: re.Match) -> str:
        stem, _, ext = match["name"].rpartition(".")
        content = decode_data_uri(match["uri"])
        problem = file_problem(ext.lower(), match["uri"], content)
        if problem:
            logger.warning(f"a figure's file {match['name']!r} is not published: {problem} — draw charts with "
                           "wpsr.figure and tables with wpsr.table", location=docname, type="wpsr", subtype="output")
            return f'{match["attr"]}=""{match["between"]}'
        if ext.lower() == "csv":
            content = safe_csv(content.decode("utf-8")).encode("utf-8")
        target = f"{FIGURES}/{docname}/{slug(stem) or 'figure'}.{ext.lower()}"
        write_if_changed(outdir / target, content)
        if ext == "svg":
            shares.setdefault(docname, target)
        return f'{match["attr"]}="{relative_uri(page_uri, target)}"{match["between"]}'

    for raw in list(doctree.findall(nodes.raw)):
        if "html" in raw.get("format", "") and "data-wpsr-file" in raw.astext():
            raw.children = [nodes.Text(FILE_REF.sub(to_file, raw.astext()))]


def file_problem(ext: str, uri: str, content: bytes) -> str | None:
    """Why a file a figure carries may not become a file of the site, or None."""
    if ext not in FILE_TYPES or not uri.lower().startswith(FILE_TYPES[ext]):
        return f"a {ext!r} file from a {uri[:30]!r} address is not one a figure writes (SVG, PNG or CSV)"
    if len(content) > MAX_FIGURE_BYTES:
        return (f"it is {len(content):,} bytes, over the limit of {MAX_FIGURE_BYTES:,} for a figure's file: "
                "show fewer points, or aggregate the data")
    if ext == "svg":
        problem = svg_problem(content)
        return f"the SVG image is refused: {problem}" if problem else None
    try:
        content.decode("utf-8") if ext == "csv" else None
    except UnicodeDecodeError:
        return "the CSV is not UTF-8 text"
    return None


def write_if_changed(path: Path, content: bytes) -> None:
    """Write only what changed, so the share PNG drawn from an unchanged SVG is not drawn again."""
    if not (path.is_file() and path.read_bytes() == content):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def share_png(outdir: Path, svg_target: str) -> str:
    """The PNG beside a chart's SVG (drawn once per change of the SVG), for link previews and the
    figure's own page."""
    import vl_convert as vlc

    svg = outdir / svg_target
    png = svg.with_suffix(".png")
    if not png.is_file() or png.stat().st_mtime < svg.stat().st_mtime:
        png.write_bytes(vlc.svg_to_png(svg.read_text(encoding="utf-8"), scale=1.5))
    return png.relative_to(outdir).as_posix()


def default_share_image(folder: Path, title: str) -> None:
    """The book's card, for pages without a chart: its title on the house blue."""
    import vl_convert as vlc

    words, lines = title.split(), [""]
    for word in words:
        lines[-1:] = [lines[-1], word] if len(lines[-1]) + len(word) > 28 else [f"{lines[-1]} {word}".strip()]
    write_if_changed(folder / SHARE_IMAGE, vlc.svg_to_png(render("share-card.svg", lines=lines)))


# --- code folded ------------------------------------------------------------------------

class FoldCode(SphinxPostTransform):
    """Fold every code cell's source (before myst-nb wraps hidden cells), unless tagged open."""

    default_priority = 150
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for cell in self.document.findall(nodes.container):
            if cell.get("nb_element") != "cell_code" or not cell.children:
                continue
            if cell.children[0].get("nb_element") != "cell_code_source":
                continue
            if OPEN_TAG in (cell.get("cell_metadata") or {}).get("tags", []):
                continue
            mode = cell.get("hide_mode")
            cell["hide_mode"] = {None: "input", "output": "input+output"}.get(mode, mode)
            cell.setdefault("prompt_show", "Show code")
            cell.setdefault("prompt_hide", "Hide code")


def visit_folded(self: Any, node: HideCodeCellNode) -> None:
    """A native disclosure: its summary's text is its accessible name, and it needs no script."""
    kind = "code" if "above-input" in node["classes"] else "output"
    self.body.append(render("fold.html", kind=kind, classes=node["classes"]))


def depart_folded(self: Any, node: HideCodeCellNode) -> None:
    self.body.append("</details>\n")


# --- page metadata ----------------------------------------------------------------------

def description(doctree: nodes.document | None) -> str:
    """A contribution's abstract, else the page's first paragraph of prose, cut to length."""
    if doctree is None:
        return ""
    abstract = next((c for c in doctree.findall(nodes.container) if "wpsr-abstract" in c["classes"]), None)
    candidates = abstract.findall(nodes.paragraph) if abstract else doctree.findall(nodes.paragraph)
    skip = (nodes.container, nodes.Admonition, nodes.table, data_table, nodes.figure, nodes.topic, nodes.sidebar)
    for paragraph in candidates:
        if abstract is None and _inside(paragraph, skip):
            continue
        text = " ".join(paragraph.astext().split())
        if len(text) >= 40:
            return text if len(text) <= DESCRIPTION_LENGTH else \
                text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return ""


def _inside(node: nodes.Node, kinds: tuple[type, ...]) -> bool:
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        if isinstance(parent, kinds):
            return True
        parent = parent.parent
    return False


def meta_tags(*, title: str, site: str, text: str, image: str, image_alt: str, url: str | None) -> str:
    """OpenGraph and Twitter card tags, and the meta description; every value escaped."""
    return str(render("meta-tags.html", title=title, site=site, text=text, image=image, image_alt=image_alt, url=url))


def book_title(app: Sphinx) -> str:
    return app.config.html_title or app.config.project


def _home_description(app: Sphinx) -> str:
    """The home page's description, taken again only when the home page was read again."""
    read = app.env.all_docs.get(app.config.root_doc)
    if getattr(app, "wpsr_home_description", (None, ""))[0] != read:
        try:
            app.wpsr_home_description = read, description(app.env.get_doctree(app.config.root_doc))
        except OSError:  # the home page is not read yet: fall back on the title alone
            app.wpsr_home_description = read, ""
    return app.wpsr_home_description[1] or book_title(app)


def _needed(filename: str, body: str) -> bool:
    for asset, markers in ASSET_USES.items():
        if asset in filename:
            return any(m in body for m in ([markers] if isinstance(markers, str) else markers))
    return True


def prune_assets(context: dict) -> None:
    """Drop the stylesheets and scripts (and their inline settings) this page has no use for, and
    let the rest load without holding up the first paint (``defer``)."""
    body = context.get("body") or ""
    context["script_files"] = drop_unused(context.get("script_files", []))  # last: after every extension added its own
    context["css_files"] = [c for c in context.get("css_files", []) if not elsewhere(getattr(c, "filename", "") or "")]
    if context.get("pagename") == "search":  # the search page keeps its scripts, but never those of thebe
        context["css_files"] = [c for c in context.get("css_files", []) if THEBE not in getattr(c, "filename", str(c))]
        context["script_files"] = [js for js in context["script_files"] if THEBE not in (js.filename or "")]
        return
    context["css_files"] = [c for c in context.get("css_files", []) if _needed(getattr(c, "filename", str(c)), body)]
    kept = []
    for js in context.get("script_files", []):
        filename = getattr(js, "filename", None) or ""
        attributes = getattr(js, "attributes", {})
        owner = next((f for marker, f in INLINE_USES.items() if marker in attributes.get("body", "")), None)
        if not _needed(filename or owner or "", body):
            continue
        if filename and not filename.startswith(SYNC_SCRIPTS) and not {"defer", "async"} & set(attributes):
            js = type(js)(filename, priority=js.priority, **{**attributes, "defer": "defer"})
        kept.append(js)
    context["script_files"] = kept


def slim_stylesheets(static: Path) -> None:
    """Take the rules no page uses out of the stylesheets the theme and myst-nb ship."""
    for pattern, rules in UNUSED_RULES.items():
        for sheet in static.glob(pattern):
            sheet.write_text(rules.sub("", sheet.read_text(encoding="utf-8")), encoding="utf-8")


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if app.builder.format != "html":
        return
    prune_assets(context)
    outdir = Path(app.builder.outdir)
    page_uri = _page_uri(app, pagename)
    base = (app.config.html_baseurl or "").rstrip("/")
    chart = getattr(app, "wpsr_share_images", {}).get(pagename)
    image = share_png(outdir, chart) if chart else f"_static/{SHARE_IMAGE}"
    title = html.unescape(re.sub(r"<[^>]+>", "", context.get("title") or book_title(app)))
    context["metatags"] = context.get("metatags", "") + meta_tags(
        title=title, site=book_title(app), text=description(doctree) or _home_description(app),
        image=f"{base}/{image}" if base else relative_uri(page_uri, image),
        image_alt=f"The first chart of “{title}”" if chart else book_title(app),
        url=urljoin(f"{base}/", page_uri) if base else None)
    toctree = context.get("generate_toctree_html")
    if toctree:
        context["generate_toctree_html"] = lambda *args, **kwargs: name_toggles(toctree(*args, **kwargs))


TOGGLE = re.compile(r'(<a class="[^"]*reference internal" href="[^"]*">(?P<title>.*?)</a><details(?: open="open")?>'
                    r'<summary>)(<span class="toctree-toggle" role="presentation">)')


def name_toggles(toctree_html: str) -> str:
    """Give each navigation disclosure an accessible name: "Sections of <page>"."""
    return TOGGLE.sub(lambda m: f'{m[1]}{render("toggle-name.html", title=m["title"])}{m[3]}', str(toctree_html))


# --- the site as a whole ---------------------------------------------------------------

def sitemap(base: str, pages: list[str]) -> str:
    return str(render("sitemap.xml", urls=[urljoin(base + "/", page) for page in pages]))


def _finish(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.builder.outdir) / "_static"
    slim_stylesheets(static)
    for name in (*UNRENDERED, *ICON_FONT, THEME_CATALOGS, f"{THEBE}.js", f"{THEBE}.css"):
        path = static / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _write_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """With a base URL: the edition's sitemap, its pages and each figure's own pages and files."""
    from wpsr.sphinx_ext.figure_pages import site_files  # written just before (build-finished, 800)

    base = (app.config.html_baseurl or "").rstrip("/")
    if exception is not None or not base or app.builder.name != "html":
        return
    pages = [app.builder.get_target_uri(doc) for doc in sorted(app.env.found_docs)]
    outdir = Path(app.builder.outdir)
    (outdir / "sitemap.xml").write_text(sitemap(base, [*pages, *site_files(outdir)]), encoding="utf-8")


class CompiledTemplates(BytecodeCache):
    """The theme's templates compiled once a process: each builder (the site's, the single page's) and
    each build of a watched preview, a test or a translation makes a new Jinja environment, which
    compiled every template again (about 0.2 s a build). Jinja checks each template's source against
    what was compiled from it; templates of the same name from another file are kept apart."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


# by what changes how a template compiles: Jinja's extensions, and how gettext is called
COMPILED_TEMPLATES: dict[tuple, CompiledTemplates] = {}


def _share_compiled_templates(app: Sphinx) -> None:
    environment = getattr(getattr(app.builder, "templates", None), "environment", None)
    if type(environment) is SandboxedEnvironment:  # Sphinx's, as it makes it
        kind = (tuple(sorted(environment.extensions)), getattr(environment, "newstyle_gettext", None))
        environment.bytecode_cache = COMPILED_TEMPLATES.setdefault(kind, CompiledTemplates())


def _static_files(app: Sphinx) -> None:
    staging = Path(app.outdir).parent / ".wpsr-static"
    staging.mkdir(parents=True, exist_ok=True)
    default_share_image(staging, book_title(app))


def _escape_page_title(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """sphinx-book-theme writes the page's title, as plain text, unescaped into the printed
    header: escape it, so a title is always text."""
    if "pagetitle" in context:
        context["pagetitle"] = html.escape(str(context["pagetitle"]))


def setup(app: Sphinx) -> None:
    app.connect("html-page-context", _escape_page_title, priority=900)  # after the theme sets it
    app.add_post_transform(FoldCode)
    app.add_node(HideCodeCellNode, override=True, html=(visit_folded, depart_folded))
    app.connect("builder-inited", _share_compiled_templates)
    app.connect("builder-inited", _static_files)
    app.connect("doctree-resolved", write_figure_files)
    app.connect("html-page-context", _page_context, priority=600)  # after the theme adds its functions
    app.connect("build-finished", _finish)
    app.connect("build-finished", _write_sitemap, priority=850)  # after each figure's own pages
