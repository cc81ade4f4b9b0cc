"""Small builders of docutils nodes shared by the directives: paragraphs, links, sections, lists,
tables, and the base of every directive that renders a dataset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.util.osutil import relative_uri

from wpsr import data
from wpsr.book import slug


def paragraph(*parts: nodes.Node | str, node: type = nodes.paragraph, classes: Iterable[str] = ()) -> nodes.Element:
    """A paragraph (or another inline container) of text and nodes."""
    element = node(classes=list(classes))
    element += [nodes.Text(p) if isinstance(p, str) else p for p in parts]
    return element


TRUSTED = "wpsr_trusted"  # raw HTML the build itself made (or sanitized): gate.guard lets it through


def trusted_html(markup: str, classes: Iterable[str] = ()) -> nodes.raw:
    """HTML the toolkit built, escaping every value, or sanitized: the only raw HTML a contribution keeps."""
    node = nodes.raw("", markup, format="html", classes=list(classes))
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


def _row(values: Sequence[str | nodes.Element]) -> nodes.row:
    row = nodes.row()
    for value in values:
        row += nodes.entry("", value if isinstance(value, nodes.Element) else nodes.paragraph(text=value))
    return row


def table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str | nodes.Element]], *,
          widths: Sequence[int] | None = None, classes: Sequence[str] = ()) -> nodes.table:
    """A captioned table: a header row, then one row per sequence of texts or nodes."""
    block = nodes.table(classes=["wpsr-data-table", *classes], ids=[f"table-{slug(caption)}"])
    block += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(headers))
    block += group
    group += [nodes.colspec(colwidth=w) for w in (widths or [1] * len(headers))]
    group += nodes.thead("", _row(headers))
    group += nodes.tbody("", *[_row(r) for r in rows])
    return block


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
