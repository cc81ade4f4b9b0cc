"""Translated passages, read without parsing each one twice.

Sphinx's i18n transform (``sphinx.transforms.i18n.Locale``) turns each translated passage into
nodes by parsing it as a document of its own with the page's parser: for MyST-NB, a notebook
reader and a Markdown parser built anew, about 6 ms a passage. And it does so twice for most
passages (a first pass for titles and references, a second for the rest): over a second a page,
most of what a translation's build spends reading.

Here, a passage that holds nothing Markdown could read as markup (one line of words and
punctuation, no character that opens emphasis, code, a link, a role, HTML or an entity, and no
start that opens a block) becomes its paragraph directly: the same nodes the parser makes
(tests/test_languages.py compares them). Any other passage is parsed as before, once; the second
pass gets a copy.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import i18n

PARSE = i18n.publish_msgstr  # Sphinx's own
MARKUP = re.compile(r"[*_`\[\]<>{}$\\&~|!#=^+\n\r\t]")  # what MyST may read as markup, or a line break
PLAIN_START = re.compile(r"[^\W\d_]|[\"'«“‘„¿¡]")  # a letter or an opening quote: no list, target or fence
_parsed: dict[tuple[str, str, int | None], nodes.Element] = {}  # the page being read's passages


def plain(text: str) -> bool:
    """Whether MyST would read this passage as one paragraph of exactly this text."""
    return bool(PLAIN_START.match(text)) and not MARKUP.search(text) and text == text.strip()


def publish_msgstr(app: Sphinx, source: str, source_path: str, source_line: int, config: Any,
                   settings: Any) -> nodes.Element:
    """What Sphinx's ``publish_msgstr`` returns: a paragraph for a plain passage, else the parse (a
    copy of it when the same passage of the same page was parsed already)."""
    if plain(source):
        return nodes.paragraph(source, "", nodes.Text(source))
    key = (source, source_path, source_line)
    if key not in _parsed:
        if _parsed and next(iter(_parsed))[1] != source_path:
            _parsed.clear()  # a new page: the last one's passages are done with
        _parsed[key] = PARSE(app, source, source_path, source_line, config, settings)
    return _parsed[key].deepcopy()


def belong_to_the_page(app: Sphinx, doctree: nodes.document) -> None:
    """Nodes Sphinx moved in from a passage's own document still name that document as theirs
    (they were not added through ``append``): each would carry it, its settings and the build's
    environment into the page's pickle, which grew fourfold, and was read again at each walk of
    the pages. They are the page's."""
    for node in doctree.findall():
        if node.__dict__.get("_document") not in (None, doctree):
            node._document = doctree


def setup(app: Sphinx) -> None:
    i18n.publish_msgstr = publish_msgstr
    app.connect("doctree-read", belong_to_the_page, priority=100)  # before anything reads or keeps the page
