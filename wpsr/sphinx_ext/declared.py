"""``{wpsr-figure}``: a figure or table declared in Markdown (see `wpsr.declared`), drawn as the
page is read, without a notebook. A declaration with a problem is a located warning (so a strict
build fails) and shows nothing; the directive's content, if any, is the author's own sentence and
follows the figure."""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging

from wpsr import declared
from wpsr.markup import notebook_table
from wpsr.safety import WPSR_MIME
from wpsr.sphinx_ext.data_words import Words
from wpsr.sphinx_ext.doctree import DataDirective
from wpsr.sphinx_ext.figures import figure_node

logger = logging.getLogger(__name__)


class FigureDirective(DataDirective):
    """``wpsr-figure DATASET`` with ``:kind:``, the columns its kind draws, ``:where:`` and ``:title:``."""

    required_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {option: directives.unchanged for option in declared.OPTIONS}

    def run(self) -> list[nodes.Node]:
        dataset, options = self.arguments[0], {k: v or "" for k, v in self.options.items()}
        found = declared.problems(dataset, options)
        source, line = self.get_source_info()
        if found:
            for what, how in found:
                logger.warning(f"{{wpsr-figure}} {what} — {how}", location=(self.env.docname, line), type="wpsr",
                               subtype="declared")
            return []
        self.resource(dataset)  # the page is read again when the dataset changes
        shown = declared.figure(dataset, options)
        content = shown._repr_mimebundle_()[WPSR_MIME]
        if "figure" in content:
            out: list[nodes.Node] = [figure_node(content, source, line)]
        else:
            words = Words()
            out = [words.node(notebook_table(content["table"], say=words), source, line)]
        return out + (self.parse_content_to_nodes() if self.content else [])


def setup(app: Sphinx) -> None:
    app.add_directive("wpsr-figure", FigureDirective)
