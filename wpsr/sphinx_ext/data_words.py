"""A dataset's words in the reader's language: the checklist's items, the calendar's meetings.

A directive that renders data says each of the data's words through a ``Words``: the markup it
renders carries a token where the word goes, and the node it returns (``translatable_markup``) holds
one paragraph per word. Sphinx's gettext extracts those paragraphs into the page's catalog and its
i18n transform translates them, like any other paragraph. Once the page is read, each token becomes
its word as the catalog gives it, escaped; a word without a translation keeps its English, marked
``lang="en"`` where it stands in text (inside a tag, in an attribute, it is only escaped).
"""

from __future__ import annotations

import re

from docutils import nodes
from markupsafe import Markup, escape
from sphinx.application import Sphinx

from wpsr.languages import SOURCE
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
        node += paragraphs(self.english, source, line)
        return node


def paragraphs(texts: list[str], source: str, line: int | None) -> list[nodes.paragraph]:
    """A paragraph per text, which the page's catalog translates (its ``english`` kept, to say which)."""
    out = []
    for text in texts:
        paragraph = nodes.paragraph(text, text, english=text)
        paragraph.source, paragraph.line = source, line
        out.append(paragraph)
    return out


def said(markup: str, words: list[str | None], english: list[str]) -> str:
    """The markup with each token replaced by its word, escaped: ``words[i]`` where the catalog has
    it, else the English, marked ``lang="en"`` where it stands in text (not inside a tag)."""
    out, end = [], 0
    for match in TOKEN.finditer(markup):
        before = markup[end:match.start()]
        out.append(before)
        index = int(match[1])
        inside_tag = markup.rfind("<", 0, match.start()) > markup.rfind(">", 0, match.start())
        if words[index] is not None:
            out.append(str(escape(words[index])))
        elif inside_tag:
            out.append(str(escape(english[index])))
        else:
            out.append(str(Markup('<span lang="en">{}</span>').format(english[index])))
        end = match.end()
    return "".join(out) + markup[end:]


def _render(app: Sphinx, doctree: nodes.document) -> None:
    """Each token becomes its word in the page's language (the gettext builder keeps the paragraphs)."""
    if app.builder.name == "gettext":
        return
    source = (app.config.language or SOURCE) == SOURCE
    for node in list(doctree.findall(translatable_markup)):
        paragraphs = list(node.findall(nodes.paragraph))
        english = [p["english"] for p in paragraphs]
        words = [p.astext() if p.get("translated") or source else None for p in paragraphs]
        node.replace_self(trusted_html(said(node["markup"], words, english)))


def setup(app: Sphinx) -> None:
    app.add_node(translatable_markup)
    app.connect("doctree-read", _render)
