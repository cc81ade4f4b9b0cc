"""Pandoc's tree of a document made into what a contribution holds: text, footnotes, pipe tables, images."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from wpsr.contributions import specification
from wpsr.word.pandoc import DROPPED_STYLES, RECOMMENDATION_STYLE

RECOMMENDATION = re.compile(r"(?P<text>.+?)\s*\((?:for|audience):\s*(?P<audience>[^()]+)\)\s*", re.I | re.S)


def plain(inlines: list[Any]) -> str:
    """Inline elements as plain text (footnotes left out)."""
    out = []
    for inline in inlines:
        kind, content = inline["t"], inline.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math", "RawInline"):
            out.append(content[1])
        elif kind in ("Link", "Image", "Span", "Cite"):
            out.append(plain(content[1]))
        elif kind == "Quoted":
            out.append("“" + plain(content[1]) + "”")
        elif kind != "Note" and isinstance(content, list):
            out.append(plain(content))
    return "".join(out)


def plain_blocks(blocks: list[Any]) -> str:
    """Blocks as plain text, one space between them."""
    out = []
    for block in blocks:
        kind, content = block["t"], block.get("c")
        if kind in ("Para", "Plain"):
            out.append(plain(content))
        elif kind == "Header":
            out.append(plain(content[2]))
        elif kind in ("BlockQuote", "Div"):
            out.append(plain_blocks(content if kind == "BlockQuote" else content[1]))
        elif kind in ("BulletList", "OrderedList"):
            out += [plain_blocks(item) for item in (content if kind == "BulletList" else content[1])]
        elif kind == "CodeBlock":
            out.append(content[1])
        elif kind == "Table":
            out += [plain_blocks(cell[4]) for row in _rows(content) for cell in row[1]]
    return " ".join(" ".join(out).split())


def _rows(table: list[Any]) -> list[Any]:
    """A table's rows, head, bodies and foot, in order."""
    _attr, _caption, _specs, head, bodies, foot = table
    return [*head[1], *(row for body in bodies for row in (*body[2], *body[3])), *foot[1]]


def _text(text: str) -> list[Any]:
    words = text.split()
    out: list[Any] = []
    for word in words:
        out += [{"t": "Space"}, {"t": "Str", "c": word}] if out else [{"t": "Str", "c": word}]
    return out


NO_ATTR: list[Any] = ["", [], []]


class _Tree:
    """Pandoc's blocks made into what a contribution holds: styles, spans, raw markup and bookmarks
    dropped; tables simple enough to be pipe tables; images named and kept aside."""

    def __init__(self, media: dict[str, bytes]) -> None:
        self.media = media
        self.abstract: list[str] = []
        self.recommendations: list[dict[str, str]] = []
        self.files: dict[str, bytes] = {}  # file name -> content
        self.names: dict[str, str] = {}  # src in pandoc's tree -> file name
        self.images: list[dict[str, Any]] = []  # the Image nodes, their src set once the slug is known

    def blocks(self, blocks: list[Any], top: bool = False) -> list[Any]:
        return [out for block in blocks for out in self.block(block, top)]

    def block(self, block: dict[str, Any], top: bool) -> list[Any]:
        kind, content = block["t"], block.get("c")
        if kind == "Div":
            style = dict(content[0][2]).get("custom-style", "")
            if style in DROPPED_STYLES:
                return []
            if style == "Abstract":
                self.abstract.append(plain_blocks(content[1]))
                return []
            if style == RECOMMENDATION_STYLE:
                self.recommendations += [_recommendation(text) for b in content[1] if (text := plain_blocks([b]))]
                return []
            return self.blocks(content[1], top)
        if kind in ("Para", "Plain"):
            inlines = self.inlines(content)
            return [{"t": kind, "c": inlines}] if plain(inlines).strip() or self._has_image(inlines) else []
        if kind == "Header":
            inlines = self.inlines(content[2])
            if not plain(inlines).strip():
                return []
            return [{"t": "Header", "c": [content[0], NO_ATTR, inlines]} if top else
                    {"t": "Para", "c": [{"t": "Strong", "c": inlines}]}]
        if kind == "BlockQuote":
            inner = self.blocks(content)
            return [{"t": kind, "c": inner}] if inner else []
        if kind in ("BulletList", "OrderedList"):
            items = [inner for item in (content if kind == "BulletList" else content[1])
                     if (inner := self.blocks(item))]
            if all(len(item) == 1 and item[0]["t"] == "Para" for item in items):  # a tight list
                items = [[{"t": "Plain", "c": item[0]["c"]}] for item in items]
            if not items:
                return []
            return [{"t": kind, "c": items if kind == "BulletList" else [content[0], items]}]
        if kind == "DefinitionList":
            return [out for term, definitions in content
                    for out in [{"t": "Para", "c": [{"t": "Strong", "c": self.inlines(term)}]},
                                *(b for definition in definitions for b in self.blocks(definition))]]
        if kind == "Table":
            return self.table(content)
        if kind == "Figure":
            return self.blocks(content[2]) + self.blocks(content[1][1])
        if kind == "LineBlock":
            inlines = [i for n, line in enumerate(content)
                       for i in ([{"t": "LineBreak"}] if n else []) + self.inlines(line)]
            return [{"t": "Para", "c": inlines}]
        if kind == "CodeBlock":
            language = [c for c in content[0][1][:1] if re.fullmatch(r"[\w+-]+", c)]
            return [{"t": "CodeBlock", "c": [["", language, []], content[1]]}]
        if kind == "HorizontalRule":
            return [block]
        return []  # raw markup, and anything else pandoc may add: not carried over

    @staticmethod
    def _has_image(inlines: list[Any]) -> bool:
        return any(i["t"] == "Image" or (isinstance(i.get("c"), list) and i["t"] in ("Emph", "Strong", "Link")
                                         and _Tree._has_image(i["c"] if i["t"] != "Link" else i["c"][1]))
                   for i in inlines)

    def inlines(self, inlines: list[Any]) -> list[Any]:
        out: list[Any] = []
        for inline in inlines:
            kind, content = inline["t"], inline.get("c")
            if kind == "Span":
                out += self.inlines(content[1])
            elif kind in ("Underline", "SmallCaps"):
                out += self.inlines(content)
            elif kind in ("Emph", "Strong", "Strikeout", "Superscript", "Subscript"):
                if inner := self.inlines(content):
                    out.append({"t": kind, "c": inner})
            elif kind == "Quoted":
                out.append({"t": kind, "c": [content[0], self.inlines(content[1])]})
            elif kind == "Cite":
                out += self.inlines(content[1])
            elif kind == "Link":
                text, (url, title) = self.inlines(content[1]), content[2]
                out += text if not url or url.startswith("#") else [{"t": "Link", "c": [NO_ATTR, text, [url, title]]}]
            elif kind == "Image":
                out += self.image(content)
            elif kind == "Note":
                if blocks := self.blocks(content):
                    if blocks[0]["t"] in ("Para", "Plain"):  # Word puts a space after the note's number
                        while blocks[0]["c"] and blocks[0]["c"][0]["t"] in ("Space", "SoftBreak"):
                            blocks[0]["c"].pop(0)
                    out.append({"t": "Note", "c": blocks})
            elif kind != "RawInline":
                out.append(inline)
        return out

    def image(self, content: list[Any]) -> list[Any]:
        alt, src = " ".join(plain(content[1]).split()), content[2][0]
        data = self.media.get(os.path.normpath(src))
        todo = specification()["placeholder"]
        if data is None:  # not in the document (pandoc found no file for it)
            return _text(f"{todo}: insert here the image that the document only linked to ({alt or 'no description'})")
        if src not in self.names:
            suffix = Path(src).suffix.lower() or ".png"
            self.names[src] = f"figure-{len(self.names) + 1}{'.jpg' if suffix == '.jpeg' else suffix}"
            self.files[self.names[src]] = data
        node = {"t": "Image", "c": [NO_ATTR, _text(alt or f"{todo}: describe what this image shows"),
                                    [self.names[src], ""]]}
        self.images.append(node)
        return [node]

    def cell(self, blocks: list[Any]) -> list[Any]:
        """A table cell's content as one line: paragraphs joined, list items separated by semicolons."""
        out: list[Any] = []
        for block in self.blocks(blocks):
            kind, content = block["t"], block["c"]
            if kind in ("Para", "Plain"):
                inlines = [{"t": "Space"} if i["t"] in ("LineBreak", "SoftBreak") else i for i in content]
            elif kind in ("BulletList", "OrderedList"):
                items = content if kind == "BulletList" else content[1]
                inlines = _text("; ".join(plain_blocks(item) for item in items))
            else:
                inlines = _text(plain_blocks([block]))
            if inlines:
                out += ([{"t": "Space"}] if out else []) + inlines
        return out

    def table(self, content: list[Any]) -> list[Any]:
        """A table as a pipe table: merged cells split (the text in the first), one header row."""
        _attr, caption, specs, *_ = content
        width = len(specs)
        grid: list[list[list[Any]]] = []
        covered: dict[int, int] = {}  # column -> rows a cell above still spans
        for row in _rows(content):
            cells, queue, column = [], list(row[1]), 0
            while column < width:
                if covered.get(column, 0) > 0:
                    covered[column] -= 1
                    cells.append([])
                    column += 1
                    continue
                if not queue:
                    cells.append([])
                    column += 1
                    continue
                _a, _align, rowspan, colspan, blocks = queue.pop(0)
                cells += [self.cell(blocks)] + [[] for _ in range(max(colspan, 1) - 1)]
                for spanned in range(column, column + max(colspan, 1)):
                    if rowspan > 1:
                        covered[spanned] = rowspan - 1
                column += max(colspan, 1)
            grid.append(cells[:width])
        if not width or not grid:
            return []

        def row(cells: list[list[Any]]) -> list[Any]:
            return [NO_ATTR, [[NO_ATTR, {"t": "AlignDefault"}, 1, 1, [{"t": "Plain", "c": c}] if c else []]
                              for c in cells]]

        table = {"t": "Table", "c": [NO_ATTR, [None, []], [[spec[0], {"t": "ColWidthDefault"}] for spec in specs],
                                     [NO_ATTR, [row(grid[0])]], [[NO_ATTR, 0, [], [row(r) for r in grid[1:]]]],
                                     [NO_ATTR, []]]}
        title = plain_blocks(caption[1])
        return ([{"t": "Para", "c": [{"t": "Strong", "c": _text(title)}]}] if title else []) + [table]


def _recommendation(text: str) -> dict[str, str]:
    """A recommendation as the export writes it, "Text (for: audience)"."""
    match = RECOMMENDATION.fullmatch(text)
    if match:
        return {"text": match["text"].strip(), "audience": " ".join(match["audience"].split())}
    return {"text": text, "audience": f"{specification()['placeholder']}: who should act, e.g. national governments"}

