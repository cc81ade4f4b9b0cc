"""Word in and out: ``wpsr new --from draft.docx`` (or ``.odt``), and ``wpsr export x.md --docx``.

Pandoc, shipped by the pypandoc-binary package, reads and writes the documents, always in its sandbox
(it reads no file but the one it converts and fetches nothing; ``pandoc``). Before pandoc reads a
document, ``refusals`` refuses what must not be converted: a file that is not a Word document, an
encrypted or macro-enabled one, an empty one or one of ``MAX_BYTES`` or more, and one with tracked
changes or comments. ``tree`` and ``reading`` then make pandoc's tree of the document into a
contribution: the specification's six sections matched by their titles in the six UN languages
(``specification.yaml``: ``sections``, ``titles``), other headings kept inside them, footnotes as MyST
footnotes, tables as pipe tables, and the images as files beside the contribution. The export
(``writing``) writes a contribution as a Word file for reviewers, its figures taken from the built site,
or, when the site is not built, named where they go.
"""

from __future__ import annotations

from wpsr.word.pandoc import PANDOC_SECONDS, WordError
from wpsr.word.reading import Document, heading_key, match_section, read, section_titles
from wpsr.word.refusals import MACRO_SUFFIXES, MAX_BYTES, MAX_UNPACKED, OLE, ROUTED, SUFFIXES, inspect
from wpsr.word.tree import plain, plain_blocks
from wpsr.word.writing import escape, export

__all__ = [
    "MACRO_SUFFIXES",
    "MAX_BYTES",
    "MAX_UNPACKED",
    "OLE",
    "PANDOC_SECONDS",
    "ROUTED",
    "SUFFIXES",
    "Document",
    "WordError",
    "escape",
    "export",
    "heading_key",
    "inspect",
    "match_section",
    "plain",
    "plain_blocks",
    "read",
    "section_titles",
]
