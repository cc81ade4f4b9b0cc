"""The "What changed in this edition" page: this edition compared with the previous published one.

The previous edition's contents come from its manifest in the published site (``wpsr publish``
passes its path as ``wpsr_previous_manifest``); this edition's are read from the sources being built.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from wpsr.book import book_root
from wpsr.editions import compare, content_digest, current_edition, previous
from wpsr.sphinx_ext.doctree import trusted_html

# Where "What changed" lists the figures whose data changed: each figure's CSV is written with its page.
CHANGED_FIGURES = '<div class="wpsr-changed-figures"></div>'


class ChangesDirective(SphinxDirective):
    """What changed in this edition, and the maintainers' note."""

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(book_root() / "editions.yaml"))
        edition = current_edition(self.config.wpsr_edition or None)
        before = previous(edition)
        out: list[nodes.Node] = [nodes.paragraph(text=f"Edition {edition.id}, {edition.date.isoformat()} "
                                                      f"({edition.status}).")]
        note = nodes.paragraph(text=edition.note)
        out.append(note)
        if before is None:
            out.append(nodes.paragraph(text="This is the first edition of the living report."))
            return out
        manifest = self.config.wpsr_previous_manifest
        if not manifest or not Path(manifest).is_file():
            out.append(nodes.paragraph(text=f"The comparison with edition {before.id} is made when this edition is "
                                            "published with `wpsr publish`."))
            return out
        previous_content = json.loads(Path(manifest).read_text(encoding="utf-8"))["content"]
        differences = compare(previous_content, content_digest(book_root()))
        out.append(nodes.paragraph(text=f"Compared with edition {before.id} ({before.date.isoformat()}):"))
        listing = nodes.bullet_list()
        for heading, items in differences.items():
            text = f"{heading.capitalize()}: " + ("; ".join(items) if items else "none") + "."
            listing += nodes.list_item("", nodes.paragraph(text=text))
        out.append(listing)
        out.append(trusted_html(CHANGED_FIGURES))  # figure_pages fills it once the figures are written
        return out
