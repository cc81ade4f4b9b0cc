"""Small builders of docutils nodes shared by the directives: paragraphs, links, sections, lists,
tables, and the base of every directive that renders a dataset.

A table is a ``data_table`` node: its cells are nodes like any others (links among them are
resolved as usual), and the page's translator writes it through the one table builder,
``wpsr.markup.table_html``, as Sphinx's ``todo`` extension writes its own nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from wpsr import data
from wpsr.book import slug
from wpsr.markup import Markup, render, table_html


def paragraph(*parts: nodes.Node | str, node: type = nodes.paragraph, classes: Iterable[str] = ()) -> nodes.Element:
    """A paragraph (or another inline container) of text and nodes."""
    element = node(classes=list(classes))
    element += [nodes.Text(p) if isinstance(p, str) else p for p in parts]
    return element


TRUSTED = "wpsr_trusted"  # raw HTML the build itself made (or sanitized): gate.guard lets it through


def trusted_html(markup: str, classes: Iterable[str] = ()) -> nodes.raw:
    """HTML the toolkit built, escaping every value, or sanitized: the only raw HTML a contribution keeps."""
    node = nodes.raw("", str(markup), format="html", classes=list(classes))
    node[TRUSTED] = True
    return node


def link(text: str, uri: str) -> nodes.reference:
    return nodes.reference(text, text, refuri=uri)


def doc_link(docname: str, text: str | None = None) -> addnodes.pending_xref:
    """A link to a page that Sphinx resolves for any builder (HTML or single-page); without a text,
    the page's title as it is when the link is written."""
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{docname}",
                                refexplicit=text is not None, refwarn=True)
    ref += nodes.inline(text or "", text or "")
    return ref


def section(title: str, ident: str, *children: nodes.Node) -> nodes.section:
    block = nodes.section(ids=[ident], names=[nodes.fully_normalize_name(title)])
    block += nodes.title(title, title)
    block += list(children)
    return block


def bullets(items: Iterable[nodes.Element]) -> nodes.bullet_list:
    listing = nodes.bullet_list()
    for item in items:
        listing += nodes.list_item("", item)
    return listing


class data_table(nodes.General, nodes.Element):
    """A captioned table (``table``): its title, then a ``row`` of ``entry`` nodes for its header and
    one for each of its rows."""


def _row(values: Sequence[str | nodes.Element]) -> nodes.row:
    row = nodes.row()
    for value in values:
        row += nodes.entry("", value if isinstance(value, nodes.Element) else nodes.paragraph(text=value))
    return row


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str | nodes.Element]], *,
          classes: Sequence[str] = ()) -> data_table:
    """A captioned table: a header row, then one row per sequence of texts or nodes."""
    block = data_table(classes=["wpsr-data-table", *classes], ids=[f"table-{slug(caption)}"])
    block += nodes.title(text=caption)  # a title, as in docutils' table: the search index finds it
    block += [_row(headers), *(_row(r) for r in rows)]
    return block


def _written(translator: Any, write: Callable[[], object]) -> Markup:
    """What the page's translator writes in ``write()`` (every text escaped as it writes it)."""
    start = len(translator.body)
    write()
    written, translator.body[start:] = "".join(translator.body[start:]), []
    return Markup(written)  # the translator's own HTML: safe


def _cell(translator: Any, entry: nodes.entry) -> Markup:
    return _written(translator, lambda: [child.walkabout(translator) for child in entry.children])


def visit_data_table(translator: Any, node: data_table) -> None:
    """Write the table with the one table builder, as Sphinx and the theme write a table: in the
    theme's scrolling box, its caption numbered and linked."""
    head, *body = [[_cell(translator, entry) for entry in row.children] for row in node.children[1:]]
    config, ident = translator.config, node["ids"][0]
    linked = config.html_permalinks and translator.builder.add_permalinks
    caption = render("sphinx-caption.html", caption=node[0].astext(), table_id=ident,
                     number=_written(translator, lambda: translator.add_fignumber(node)),  # "Table 3 ", if numbered
                     permalink=Markup(config.html_permalinks_icon) if linked else None)  # the book's setting: HTML
    translator.body.append(table_html(caption, head, body, table_id=ident, classes=[*node["classes"], "table"],
                                      box_class="pst-scrollable-table-container") + "\n")
    raise nodes.SkipNode


def setup(app: Any) -> None:
    """Number tables as Sphinx numbers its own ("Table 3"), and write them with ``visit_data_table``."""
    app.add_enumerable_node(data_table, "table", html=(visit_data_table, None))


class DataDirective(SphinxDirective):
    """A directive that renders a dataset: it notes the files it read, and links within the site."""

    def resource(self, name: str) -> data.Resource:
        resource = data.package().resource(name)
        self.env.note_dependency(str(resource.path))
        self.env.note_dependency(str(resource.package.path))
        return resource

    def site_uri(self, path: str) -> str:
        """A path from the site's root (e.g. data/x.csv), relative to this page."""
        return relative_uri(self.env.app.builder.get_target_uri(self.env.docname), path)
