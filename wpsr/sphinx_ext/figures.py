"""Figures in the reader's language, without executing a notebook again.

A chart's output keeps the parts it is drawn from (``wpsr.charts.Figure.parts``). As a page is read,
each of its texts (title, description, source, and every title and name the chart draws) becomes a
paragraph of a ``translatable_figure`` node, which Sphinx's gettext extracts into the page's catalog
and its i18n transform translates like any other paragraph. Once the page is read, the node becomes
the figure's HTML: as executed in English, or drawn again from the translated parts with the
language's way of writing numbers (the static image by vl-convert, the interactive chart from its new
spec, which carries that locale).
A text without a translation keeps its English, and the title and description say so (``lang="en"``).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

from wpsr.languages import LANGUAGES, SOURCE
from wpsr.safety import chart_spec_element, clean_html
from wpsr.sphinx_ext.data_words import paragraphs
from wpsr.sphinx_ext.doctree import trusted_html
from wpsr.sphinx_ext.figure_pages import note


class translatable_figure(nodes.General, nodes.Element):
    """A chart's output while its page is read: the English markup, the parts, and one paragraph per text."""


def figure_node(content: dict[str, Any], source: str, line: int | None) -> nodes.Element:
    """The node of a chart's output (WPSR_MIME with its parts)."""
    from wpsr.charts import chart_words

    node = translatable_figure(markup=str(content.get("html", "")), vega=content.get("vega"),
                               parts=content["figure"])
    node += paragraphs(chart_words(content["figure"]), source, line)
    return node


def published(markup: str, vega: Any) -> str:
    """A figure's or table's markup as the site publishes it: sanitized, with its chart's spec in an
    inert JSON element before the figure closes."""
    markup = clean_html(markup)
    if isinstance(vega, dict):
        head, closing, tail = markup.rpartition("</figure>")
        markup = head + chart_spec_element(vega) + closing + tail if closing else markup
    return markup


def output_html(markup: str, vega: Any) -> nodes.raw:
    """A figure's or table's output as its page publishes it (see `published`)."""
    return trusted_html(published(markup, vega), classes=["output", "text_html"])


def number_locale(code: str) -> dict | None:
    """How a language writes numbers in charts (d3's format locale), or None for the house default."""
    name = LANGUAGES[code].numbers if code in LANGUAGES else None
    if not name:
        return None
    import vl_convert

    return vl_convert.get_format_locale(name)


def image_of(markup: str) -> str | None:
    """The SVG a figure's markup carries (None: not a figure's markup); see wpsr.charts.image_of."""
    from wpsr.charts import image_of as found  # Altair: only where a page has figures

    return found(markup)


def _draw(app: Sphinx, doctree: nodes.document) -> None:
    """Each figure of the page as the reader's language has it (the gettext builder keeps the texts).
    A figure none of whose texts is translated keeps its image, and only its markup (the words
    around the chart) is made again in the page's language."""
    if app.builder.name == "gettext":
        return
    language = app.config.language or SOURCE
    from wpsr.sphinx_ext.languages import contribution_of

    written = contribution_of(app, app.env.docname)
    foreign = written is not None and written.language != SOURCE  # its words are in its own language, not English
    for node in list(doctree.findall(translatable_figure)):
        markup, vega, parts = node["markup"], node["vega"], node["parts"]
        if language != SOURCE and (image := image_of(markup)) is not None:
            from wpsr.charts import TEXT_PARTS, draw, translated  # Altair and pandas: only for translations

            words = {p["english"]: p.astext() for p in node.findall(nodes.paragraph) if p.get("translated")}
            english = [] if foreign else [part for part in TEXT_PARTS if parts[part] not in words]
            if words:
                parts = translated(parts, words, number_locale(language))
                markup, vega = draw(parts, english=english)
            else:
                markup, vega = draw(parts, english=english, drawn=(image, vega))
        note(app, markup, vega, parts)  # for the figure's own page
        node.replace_self(output_html(markup, vega))


def setup(app: Sphinx) -> None:
    app.add_node(translatable_figure)
    app.connect("doctree-read", _draw)
