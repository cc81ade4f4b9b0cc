"""Every figure a page of its own, to cite, embed and download.

As a page is read, each of its figures is noted as the page shows it (`note`). Once the pages are
written, each figure gets, beside its SVG and CSV in ``figures/<page>/``:

- ``<name>.html``: the chart (interactive as on its page), its description and source, its values
  in a table a keyboard can sort, its downloads (the data shown as CSV and XLSX, the whole
  datasets, a Frictionless descriptor of the data shown, the chart as SVG and PNG), how to cite it
  (text and BibTeX, naming the edition built) and how to embed it, with a link back to its page;
- ``embed/<page>/<name>.html``: the chart, its title and source and a link back, for an ``<iframe>``
  (in a folder of their own, which a static host lets any site frame: see the README);
- ``<name>.png``, ``<name>.xlsx`` and ``<name>.json``;

and ``figures/index.html`` lists every figure of the edition, filterable by chapter, dataset and SDG.
Each language's build writes its own, in its own words.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from wpsr import data
from wpsr.book import chapters, slug
from wpsr.editions import current_edition
from wpsr.markup import Markup, render
from wpsr.markup import say as _
from wpsr.provenance import long_date
from wpsr.sphinx_ext.security import POLICY
from wpsr.sphinx_ext.webpage import FIGURES, FILE_REF, SHARE_IMAGE, meta_tags, share_png, write_if_changed

logger = logging.getLogger(__name__)
EMBED = "embed"  # a figure's embed page: embed/<page>/<name>.html


def note(app: Sphinx, markup: str, vega: Any, parts: dict[str, Any], docname: str | None = None) -> None:
    """A figure of a page (the page being read, unless named), as it shows it."""
    figures = app.env.__dict__.setdefault("wpsr_figures", {})
    figures.setdefault(docname or app.env.docname, []).append({"markup": markup, "vega": vega, "parts": parts})


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "wpsr_figures", {}).pop(docname, None)


# --- the figure's files -------------------------------------------------------------------------

def typed(cell: str) -> str | int | float:
    """A CSV cell as a spreadsheet should hold it: a number when the text is exactly that number."""
    for kind in (int, float):
        try:
            value = kind(cell)
        except ValueError:
            continue
        if str(value) == cell:
            return value
    return cell


def xlsx(rows: list[list[str]], title: str) -> bytes:
    """The rows as a one-sheet workbook (numbers as numbers, and text as text: a cell that reads like
    a formula never becomes one), the title as the sheet's."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "data"
    for row in rows:
        sheet.append([typed(cell) for cell in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # openpyxl takes text that starts with "=" for a formula
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return _without_dates(out.getvalue())


def _without_dates(workbook: bytes) -> bytes:
    """The workbook without the times openpyxl stamps it with (each part's, and its creation and
    last change, which are the build's): the same rows make the same file."""
    import zipfile

    from wpsr.publish import write_zip

    def undated(name: str, content: bytes) -> bytes:
        return re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", content) \
            if name == "docProps/core.xml" else content

    made = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source:
        write_zip(made, ((name, undated(name, source.read(name))) for name in source.namelist()),
                  date=(1980, 1, 1, 0, 0, 0))
    return made.getvalue()


def field_type(values: list[str]) -> str:
    """The Table Schema type every value of a column has."""
    present = [v for v in values if v != ""]
    if present and all(isinstance(typed(v), int) for v in present):
        return "integer"
    if present and all(isinstance(typed(v), int | float) for v in present):
        return "number"
    return "string"


def descriptor(name: str, rows: list[list[str]], parts: dict[str, Any], datasets: list[data.Resource]) -> dict:
    """A Frictionless Data resource of the data shown: its schema, sources, licences and "as of"."""
    header, body = rows[0], rows[1:]
    return {
        "name": name, "path": f"{name.rsplit('--', 1)[-1]}.csv", "profile": "tabular-data-resource",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "title": parts["title"], "description": parts["description"],
        "schema": {"fields": [{"name": column, "type": field_type([r[i] if i < len(r) else "" for r in body])}
                              for i, column in enumerate(header)]},
        "sources": [{k: v for k, v in s.items() if k in ("title", "path", "publisher", "year")}
                    for r in datasets for s in r.sources],
        "licenses": [lic for r in datasets for lic in r.licenses][:1] or [{"name": "other-at"}],
        "wpsr:asOf": [r.age.shown for r in datasets],
        "wpsr:datasets": [r.name for r in datasets],
    }


# --- the pages ------------------------------------------------------------------------------

def _shown(markup: str, vega: Any, folder: str = "") -> Markup:
    """The figure's markup as its own pages show it: as its page publishes it, its files in ``folder``
    (relative to the page)."""
    from wpsr.sphinx_ext.figures import published  # figures notes each figure here: imported once read

    return Markup(FILE_REF.sub(lambda m: f'{m["attr"]}="{folder}{slug(m["name"].rpartition(".")[0]) or "figure"}.'
                                         f'{m["name"].rpartition(".")[2].lower()}"{m["between"]}',
                               published(markup, vega)))


def _context(app: Sphinx, docname: str, toc: list[dict[str, Any]]) -> dict[str, Any]:
    """Where a page stands in the report: its title, its chapter and its SDGs."""
    from wpsr.contributions import read

    title = app.env.titles[docname].astext() if docname in app.env.titles else docname
    chapter = next((e["number"] for e in toc if docname == e["file"] or docname in e["sections"]), None)
    sdgs = []
    source = Path(app.env.doc2path(docname))
    if docname.startswith("contributions/") and source.suffix == ".md":
        contribution, _problems = read(source)
        if contribution is not None:
            sdgs = [str(s) for s in contribution.meta.get("sdgs") or [] if isinstance(s, int)]
    return {"docname": docname, "title": title, "chapter": chapter, "sdgs": sdgs}


def _around(app: Sphinx, edition: Any) -> dict[str, Any]:
    """What every page of the edition carries: its edition (for the editions menu) and its footer."""
    return {"edition_meta": render("edition-meta.html", edition=edition.id, status=edition.status),
            "footer": Markup(app.config.html_theme_options.get("extra_footer", ""))}  # escaped by the extension


def _write_figure(app: Sphinx, docname: str, where: dict[str, Any], figure: dict[str, Any]) -> dict[str, Any]:
    """A figure's page, embed page and files; its entry in the index."""
    outdir, edition = Path(app.builder.outdir), current_edition(app.config.wpsr_edition or None)
    base, language = (app.config.html_baseurl or "").rstrip("/"), app.config.language or "en"
    parts, name = figure["parts"], slug(figure["parts"]["name"]) or "figure"
    folder = outdir / FIGURES / docname
    page, embed = f"{FIGURES}/{docname}/{name}.html", f"{EMBED}/{docname}/{name}.html"
    known = data.package().resources
    datasets = [known[d] for d in parts.get("datasets", []) if d in known]
    entry = {**where, "page_title": where["title"], "name": name, "title": parts["title"], "page": page,
             "datasets": [r.name for r in datasets],
             "page_href": relative_uri(f"{FIGURES}/index.html", app.builder.get_target_uri(docname))}
    rows = list(csv.reader(io.StringIO(parts["csv"])))
    if not (folder / f"{name}.svg").is_file() or not rows:
        return entry
    share_png(outdir, f"{FIGURES}/{docname}/{name}.svg")
    write_if_changed(folder / f"{name}.xlsx", xlsx(rows, parts["title"]))
    resource = descriptor(f"{slug(docname)}--{name}", rows, parts, datasets)
    write_if_changed(folder / f"{name}.json", json.dumps(resource, indent=2, ensure_ascii=False).encode())
    address = f"{base}/{page}" if base else page
    values = {"title": parts["title"], "description": parts["description"], "source": parts["source"],
              "name": name, "figure": _shown(figure["markup"], figure["vega"]),
              "root": relative_uri(page, ""), "back": relative_uri(page, app.builder.get_target_uri(docname)),
              "back_title": where["title"], "language": language,
              "datasets": [(r.title, relative_uri(page, f"data/{r.path.name}")) for r in datasets],
              "edition": edition, "address": address, "edition_date": long_date(edition.date, language),
              "embed": f"{base}/{embed}" if base else relative_uri(page, embed),
              "citation": citation(parts["title"], where["title"], edition, address),
              "bibtex": bibtex(parts["title"], where["title"], edition, address, f"{slug(docname)}{name}"),
              "header": rows[0], "rows": rows[1:], "policy": POLICY, **_around(app, edition)}
    values["meta"] = Markup(meta_tags(title=parts["title"], site=edition.title, text=parts["description"],
                                      image=f"{base}/{FIGURES}/{docname}/{name}.png" if base else f"{name}.png",
                                      image_alt=parts["title"], url=address if base else None))
    write_if_changed(outdir / page, render("figure-page.html", **values).encode())
    (outdir / embed).parent.mkdir(parents=True, exist_ok=True)
    write_if_changed(outdir / embed, render("figure-embed.html", **{
        **values, "root": relative_uri(embed, ""), "back": relative_uri(embed, page),
        "figure": _shown(figure["markup"], figure["vega"], relative_uri(embed, f"{FIGURES}/{docname}/"))}).encode())
    return entry


def write_pages(app: Sphinx, exception: Exception | None) -> None:
    """The figures of the pages written in this build: their pages and files; then the index, which
    keeps, for the other pages, what the last build listed (figures/figures.json)."""
    if exception is not None or app.builder.name != "html":
        return
    started, written = time.perf_counter(), 0
    outdir = Path(app.builder.outdir)
    record = outdir / FIGURES / "figures.json"
    before: dict[str, list[dict[str, Any]]] = {}
    for entry in json.loads(record.read_text(encoding="utf-8")) if record.is_file() else []:
        before.setdefault(entry["docname"], []).append(entry)
    noted, toc, listed = getattr(app.env, "wpsr_figures", {}), chapters(), []
    for docname in sorted({*noted, *before} & set(app.env.found_docs)):
        if docname not in app.wpsr_written and docname in before and \
                all((outdir / e["page"]).is_file() for e in before[docname]):
            listed += before[docname]  # not written in this build: as the last build listed it
            continue
        if docname not in noted:
            continue  # written without a figure (any longer)
        where = _context(app, docname, toc)
        listed += [_write_figure(app, docname, where, figure) for figure in noted[docname]]
        written += len(noted[docname])
    if listed:
        write_if_changed(record, json.dumps(listed, indent=1, ensure_ascii=False).encode())
        _write_index(app, listed)
        _changed_since(app, listed)
    logger.info(f"[wpsr] {written} figure page(s) written in {time.perf_counter() - started:.2f} s", type="wpsr",
                subtype="progress")


def _changed_since(app: Sphinx, listed: list[dict[str, Any]]) -> None:
    """On "What changed": the figures new in this edition, and those whose data changed since the
    previous one, by their CSV's hash in its manifest."""
    from wpsr.editions import sha256
    from wpsr.sphinx_ext.changes import CHANGED_FIGURES

    outdir, manifest = Path(app.builder.outdir), app.config.wpsr_previous_manifest
    page = outdir / "what-changed.html"
    if not (manifest and Path(manifest).is_file() and page.is_file()):
        return
    language = app.config.language or "en"
    before = json.loads(Path(manifest).read_text(encoding="utf-8")).get("files", {})
    folder = "" if language == "en" else f"{language}/"  # a translation's files sit in its folder
    new, changed = [], []
    for figure in listed:
        data = figure["page"].removesuffix(".html") + ".csv"
        if (outdir / data).is_file() and before.get(folder + data) != sha256(outdir / data):
            (changed if folder + data in before else new).append(
                (figure["title"], relative_uri("what-changed.html", figure["page"])))
    said = str(render("changed-figures.html", new=new, changed=changed))
    text = page.read_text(encoding="utf-8")
    if CHANGED_FIGURES in text:
        page.write_text(text.replace(CHANGED_FIGURES, said), encoding="utf-8")


def _write_index(app: Sphinx, listed: list[dict[str, Any]]) -> None:
    """figures/index.html: every figure of the edition."""
    outdir, index = Path(app.builder.outdir), f"{FIGURES}/index.html"
    edition = current_edition(app.config.wpsr_edition or None)
    base = (app.config.html_baseurl or "").rstrip("/")
    share = f"{base}/_static/{SHARE_IMAGE}" if base else relative_uri(index, f"_static/{SHARE_IMAGE}")
    meta = meta_tags(title=_("All figures"), site=edition.title, image=share, image_alt=edition.title,
                     text=_("Every figure of the report, with its data, citation and embed code."),
                     url=f"{base}/{index}" if base else None)
    write_if_changed(outdir / index, render("figure-index.html", figures=listed, root=relative_uri(index, ""),
                                  language=app.config.language or "en", edition=edition, policy=POLICY,
                                  meta=Markup(meta), filters=_filters(listed), **_around(app, edition)).encode())


def _filters(listed: list[dict[str, Any]]) -> Markup:
    """The index's filters (wpsr-filters.js, as the calendar's): by chapter, dataset and SDG, and by title."""
    from wpsr.sphinx_ext.annexes import filter_box

    return filter_box("figures-table", _("{shown} of {total} figures shown"), _("Filter the figures"), "wpsr-figures",
                      [("chapter", _("Chapter"), sorted({str(f["chapter"]) for f in listed if f["chapter"]})),
                       ("dataset", _("Dataset"), sorted({d for f in listed for d in f["datasets"]})),
                       ("sdg", _("SDG"), sorted({s for f in listed for s in f["sdgs"]}, key=int))],
                      _("Title contains"))


def site_files(outdir: Path) -> list[str]:
    """The index of figures and each figure's page, embed page and downloads, as the last build listed
    them (for the sitemap)."""
    record = outdir / FIGURES / "figures.json"
    listed = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else []
    return ([f"{FIGURES}/index.html"] if listed else []) + \
        [f["page"].removesuffix(".html") + ending for f in listed
         for ending in (".html", ".csv", ".xlsx", ".json", ".svg", ".png")] + \
        [EMBED + f["page"].removeprefix(FIGURES) for f in listed]


def citation(title: str, page: str, edition: Any, address: str) -> str:
    """A figure cited in the edition built (never "latest")."""
    return (f"United Nations Department of Economic and Social Affairs ({edition.date.year}). {title}. "
            f"Figure in {page}, {edition.title}, living report edition {edition.id}. {address}")


def bibtex(title: str, page: str, edition: Any, address: str, key: str) -> str:
    """A figure as a BibTeX @misc entry, in the edition built."""
    from wpsr.contributions import _bibtex_escape, bibtex_entry

    fields = {"author": "{United Nations Department of Economic and Social Affairs}",
              "title": "{" + _bibtex_escape(title) + "}",
              "howpublished": _bibtex_escape(f"Figure in {page}, {edition.title}"),
              "edition": f"Living report edition {_bibtex_escape(edition.id)}", "year": str(edition.date.year),
              "url": address}
    return bibtex_entry("misc", f"wpsr{edition.id}{key}", fields)


def setup(app: Sphinx) -> None:
    app.connect("env-purge-doc", _purge)
    app.connect("build-finished", write_pages, priority=800)  # before the search index (900)

