"""A dataset's words in the reader's language: the checklist's items, the calendar's meetings.

A directive that renders data says each of the data's words through a ``Words``: the markup it
renders carries a token where the word goes, and the node it returns (``translatable_markup``) holds
one paragraph per word. Sphinx's gettext extracts those paragraphs into the page's catalog and its
i18n transform translates them, like any other paragraph. Once the page is read, each token becomes
its word as the catalog gives it (the English while it has no translation; the translations page
counts what is missing), escaped, so a token may stand in text or in an attribute alike.
"""

from __future__ import annotations

import re

from docutils import nodes
from markupsafe import Markup, escape
from sphinx.application import Sphinx

from wpsr.sphinx_ext.doctree import trusted_html

TOKEN = re.compile(r"@@wpsr-word-(\d+)@@")


class translatable_markup(nodes.General, nodes.Element):
    """Markup rendered from data while its page is read: the markup with tokens, one paragraph per word."""


class Words:
    """The words of a dataset a directive renders, in the order it says them."""

    def __init__(self) -> None:
        self.english: list[str] = []

    def __call__(self, text: str) -> Markup:
        """A token for ``text`` in the markup; the text itself if it is empty."""
        if not text:
            return Markup("")
        if text not in self.english:
            self.english.append(text)
        return Markup(f"@@wpsr-word-{self.english.index(text)}@@")

    def node(self, markup: str, source: str, line: int | None) -> nodes.Element:
        """The markup as a node whose words the page's catalog translates."""
        node = translatable_markup(markup=str(markup), words=list(self.english))
        for text in self.english:
            paragraph = nodes.paragraph(text, text, english=text)
            paragraph.source, paragraph.line = source, line
            node += paragraph
        return node


def _render(app: Sphinx, doctree: nodes.document) -> None:
    """Each token becomes its word in the page's language (the gettext builder keeps the paragraphs)."""
    if app.builder.name == "gettext":
        return
    for node in list(doctree.findall(translatable_markup)):
        said = [p.astext() if p.get("translated") else p["english"] for p in node.findall(nodes.paragraph)]
        node.replace_self(trusted_html(TOKEN.sub(lambda match, said=said: str(escape(said[int(match[1])])),
                                                 node["markup"])))


def setup(app: Sphinx) -> None:
    app.add_node(translatable_markup)
    app.connect("doctree-read", _render)
