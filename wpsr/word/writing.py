"""A contribution written as a Word file for reviewers (`wpsr export FILE --docx`), its figures taken from
the built site or, when it is not built, named where they go."""

from __future__ import annotations

import ast
import base64
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from wpsr.book import book_root
from wpsr.contributions import Contribution, private_fields, specification
from wpsr.contributions import read as read_contribution
from wpsr.problems import display
from wpsr.safety import IMAGE_TYPES, outside_book, svg_problem
from wpsr.word.pandoc import RECOMMENDATION_STYLE, WordError, _pandoc

EXPORT_READER = ("commonmark_x-smart-emoji-tex_math_dollars-raw_html-raw_attribute-alerts-task_lists"
                 "-fancy_lists-subscript-superscript-strikeout-bracketed_spans-implicit_header_references")
CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
CELL = f"//div[{CLASS.format('cell')}]"
OUTPUTS = f".//figure[{CLASS.format('wpsr-chart')}] | .//div[{CLASS.format('wpsr-table')}]"
DECLARED = (f"//figure[{CLASS.format('wpsr-chart')}][not(ancestor::div[{CLASS.format('cell')}])] | "
            f"//div[{CLASS.format('wpsr-table')}][not(ancestor::div[{CLASS.format('cell')}])]")
DIRECTIVE = re.compile(r"\{([\w:-]+)\}")
ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")


def escape(text: str) -> str:
    """Plain text as Markdown that says it: every ASCII punctuation character escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(text).split()))


def _data_uri(data: bytes, suffix: str) -> str:
    kind = {".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}.get(suffix, "png")
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _png(svg: Path) -> bytes:
    """A chart's PNG: the one the build drew beside its SVG, or drawn from the SVG now."""
    png = svg.with_suffix(".png")
    if png.is_file() and png.stat().st_mtime >= svg.stat().st_mtime:
        return png.read_bytes()
    import vl_convert

    return vl_convert.svg_to_png(svg.read_text(encoding="utf-8"), scale=2)


class _Site:
    """What the built site shows for a page's code cells and declared figures, when it is built and
    newer than the page; otherwise `note` says why the figures are only named."""

    def __init__(self, contribution: Contribution, cells: int, declared: int) -> None:
        self.cells: list[list[str]] | None = None
        self.declared: list[str] | None = None
        self.note = ""
        self.figures = self.tables = 0
        root = book_root()
        self.html = root / "_build" / "html"
        try:
            page = self.html / (contribution.path.resolve().relative_to(root).with_suffix(".html"))
        except ValueError:
            page = self.html / "none"
        if not cells and not declared:
            return
        if not page.is_file():
            self.note = ("The site is not built, so each figure is named where it goes, with its title and "
                         "description: run `wpsr build`, then export again, to have the figures themselves.")
            return
        if page.stat().st_mtime < contribution.path.stat().st_mtime:
            self.note = (f"The site was built before {display(contribution.path)} last changed, so each figure is "
                         "named where it goes: run `wpsr build`, then export again, to have the figures themselves.")
            return
        from lxml import html

        tree = html.fromstring(page.read_bytes())
        built, shown = tree.xpath(CELL), tree.xpath(DECLARED)
        if len(built) != cells or len(shown) != declared:
            self.note = (f"The built page shows {len(built)} code cell(s) and {len(shown)} declared figure(s), the "
                         f"contribution has {cells} and {declared}, so each figure is named where it goes: run "
                         "`wpsr build`, then export again.")
            return
        self.cells = [[self.output(element, page) for element in cell.xpath(OUTPUTS)] for cell in built]
        self.declared = [self.output(element, page) for element in shown]
        self.note = (f"The figures and tables drawn by code or declared come from the built site "
                     f"({display(page)}).")

    def png(self, src: str, page: Path) -> bytes | None:
        """A chart's static image as PNG: its SVG file in the site (or the SVG inline in the page)."""
        import vl_convert

        if src.startswith("data:image/svg+xml;base64,"):
            svg = base64.b64decode(src.partition(",")[2]).decode("utf-8", "replace")
            return None if svg_problem(svg.encode("utf-8")) else vl_convert.svg_to_png(svg, scale=2)
        path = (page.parent / src).resolve()
        if path.is_relative_to(self.html.resolve()) and path.suffix == ".svg" and path.is_file():
            return _png(path)
        return None

    def output(self, element: Any, page: Path) -> str:
        """A figure (its image, title, description and source) or a table, as Markdown."""
        def text(xpath: str) -> str:
            return " ".join(" ".join(e.text_content().split()) for e in element.xpath(xpath))

        source = text(f".//p[{CLASS.format('wpsr-source')}]")
        if element.tag == "figure":
            self.figures += 1
            title = text(f".//figcaption[{CLASS.format('wpsr-chart-title')}]")
            description = text(f".//p[{CLASS.format('wpsr-chart-description')}]")
            image = ""
            for src in element.xpath(f".//img[{CLASS.format('wpsr-chart-static')}]/@src"):
                png = self.png(str(src), page)
                if png:
                    image = f"![{escape(description)}]({_data_uri(png, '.png')}){{width=100%}}\n\n"
            return (f"**Figure {self.figures}. {escape(title)}**\n\n{image}{escape(description)}\n\n"
                    + (f"*{escape(source)}*\n" if source else ""))
        self.tables += 1
        caption = text(".//caption")
        header = [" ".join(th.text_content().split()) for th in element.xpath(".//thead//th")]
        rows = [[" ".join(td.text_content().split()) for td in tr.xpath("./td|./th")]
                for tr in element.xpath(".//tbody/tr")]
        return (f"**Table {self.tables}. {escape(caption)}**\n\n" + _pipe_table(header, rows)
                + (f"\n*{escape(source)}*\n" if source else ""))


def _pipe_table(header: list[str], rows: list[list[str]]) -> str:
    width = max([len(header), *map(len, rows)])
    header = header + [""] * (width - len(header))
    lines = ["| " + " | ".join(escape(c) for c in header) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(escape(c) for c in row + [""] * (width - len(row))) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _literal(node: ast.expr | None) -> str:
    """A string argument as written (an f-string's fields as …), or ''."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) + _literal(node.right)
    return ""


def _named_cell(code: str, number: int) -> str:
    """Where a code cell's figures and tables go, named by their title and description, without the site."""
    try:
        tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!", ":")) else line
                                   for line in code.splitlines()))
    except SyntaxError:
        return ""
    out = []
    for call in ast.walk(tree):
        name = getattr(call.func, "id", getattr(call.func, "attr", None)) if isinstance(call, ast.Call) else None
        if name in ("figure", "table"):
            given = {k.arg: k.value for k in call.keywords}
            title = _literal(given.get("title") or given.get("caption")) or "untitled"
            description = _literal(given.get("description"))
            out.append(f"> **{'Figure' if name == 'figure' else 'Table'} (drawn by code cell {number} when the site "
                       f"is built): {escape(title)}.** {escape(description)}\n")
    return "\n".join(out)


def _named_declared(name: str, argument: str, options: dict[str, str], content: str) -> str:
    kind = "Table" if name == "wpsr-table" or options.get("kind") == "table" else "Figure"
    title = options.get("title") or options.get("caption") or "untitled"
    lines = [line for line in content.splitlines() if not re.match(r"\s*:[\w-]+:", line)]
    return (f"> **{kind} (drawn from the dataset {escape(argument)} when the site is built): {escape(title)}.** "
            f"{escape(' '.join(lines))}\n")


def _export_body(contribution: Contribution) -> tuple[str, str]:
    """The body as pandoc's CommonMark: code cells and declared figures replaced by what they show, MyST's
    comments, targets and block breaks left out, roles as their text, images inside the book embedded."""
    from wpsr.body import _markdown, _option_values

    lines = contribution.body
    parsed = _markdown().parse("\n".join(lines))
    tokens = [t for t in parsed if t.level == 0 and t.map]
    fences = [(t, m.group(1) if (m := DIRECTIVE.match(t.info.strip())) else "") for t in tokens
              if t.type in ("fence", "colon_fence")]
    site = _Site(contribution, sum(name == "code-cell" for _, name in fences),
                 sum(name in ("wpsr-figure", "wpsr-table") for _, name in fences))
    replaced: dict[int, tuple[int, str]] = {}
    cell = declared = 0
    for token in tokens:
        start, end = token.map
        name = (m.group(1) if (m := DIRECTIVE.match(token.info.strip())) else "") \
            if token.type in ("fence", "colon_fence") else ""
        if name == "code-cell":
            cell += 1
            replaced[start] = (end, "\n".join(site.cells[cell - 1]) if site.cells is not None
                               else _named_cell(token.content, cell))
        elif name in ("wpsr-figure", "wpsr-table"):
            declared += 1
            argument = token.info.strip()[len(name) + 2:].strip()
            replaced[start] = (end, site.declared[declared - 1] if site.declared is not None else
                               _named_declared(name, argument, _option_values(token.content.splitlines()),
                                               token.content))
        elif name:  # an admonition or another directive: its text, quoted
            content = [line for line in token.content.splitlines() if not re.match(r"\s*:[\w-]+:", line)]
            replaced[start] = (end, "\n".join(f"> {line}" for line in content) + "\n")
        elif token.type in ("myst_line_comment", "myst_target", "myst_block_break", "html_block"):
            replaced[start] = (end, "")
    out, index, fence = [], 0, ""
    while index < len(lines):
        if index in replaced:
            end, text = replaced[index]
            out.append(text)
            index = end
            continue
        line = lines[index]
        if match := re.match(r"\s*(`{3,}|~{3,})", line):
            fence = "" if fence and line.strip().startswith(fence) else fence or match.group(1)
        if not fence:
            line = ROLE.sub(lambda m: escape(re.sub(r"\s*<[^>]*>\s*$", "", m.group(1)) or m.group(1)), line)
        out.append(line)
        index += 1
    text = "\n".join(out)
    sources = {str(child.attrGet("src") or "") for token in parsed for child in token.children or []
               if child.type == "image"}
    for src in sorted(sources - {""}):
        if "://" not in src and not src.startswith("data:"):
            text = text.replace(f"]({src}", f"]({_embedded(contribution.path.parent, src)}")
    return text, site.note


def _embedded(folder: Path, src: str) -> str:
    """An image of the book as a data: address (pandoc, in its sandbox, reads no file); else the address,
    which pandoc then shows as the image's description."""
    path = (book_root() if src.startswith("/") else folder) / src.lstrip("/")
    suffix = path.suffix.lower()
    if outside_book(path) or suffix not in IMAGE_TYPES or not path.is_file():
        return src
    data = path.read_bytes()
    if suffix == ".svg":
        if svg_problem(data):
            return src
        import vl_convert

        data, suffix = vl_convert.svg_to_png(data.decode("utf-8"), scale=2), ".png"
    return _data_uri(data, suffix)


def export(path: Path, output: Path | None = None) -> tuple[Path, str]:
    """Write a contribution as a Word file for reviewers: its title, authors and abstract, its text and tables,
    its figures with their descriptions, and its recommendations. Returns the file and a note on where the
    figures came from."""
    contribution, problems = read_contribution(path)
    if contribution is None:
        raise WordError(str(problems[0]) if problems else f"{display(path)}: cannot be read — check the path")
    body, note = _export_body(contribution)
    hidden = private_fields()
    authors = [a for a in contribution.authors if a.get("name")]
    affiliations = "\n\n".join(escape(f"{a['name']}: " + "; ".join(map(str, a.get("affiliations") or []))
                                      + (f" ({a['country']})" if a.get("country") else ""))
                               for a in ({k: v for k, v in a.items() if k not in hidden} for a in authors))
    recommendations = "\n\n".join(escape(f"{r.get('text', '')} (for: {r.get('audience', '')})")
                                  for r in contribution.listed("recommendations") if isinstance(r, dict))
    if recommendations:
        body = _after_section(body, f'::: {{custom-style="{RECOMMENDATION_STYLE}"}}\n{recommendations}\n:::\n')
    text = (f'::: {{custom-style="Affiliations"}}\n{affiliations}\n:::\n\n' if affiliations else "") + body
    meta = {"title": escape(contribution.title), "author": [escape(str(a["name"])) for a in authors]}
    if contribution.meta.get("abstract"):
        meta["abstract"] = escape(str(contribution.meta["abstract"]))
    target = output or book_root() / "_build" / "word" / f"{contribution.slug}.docx"
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wpsr-word-") as folder:
        metadata = Path(folder) / "metadata.yaml"
        metadata.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
        _pandoc(["-f", EXPORT_READER, "-t", "docx", f"--metadata-file={metadata}", "-o", str(target)],
                display(path), text.encode("utf-8"))
    return target, note


def _after_section(body: str, block: str) -> str:
    """Put a block at the end of the recommendations' section (or of the body, if it has none)."""
    title = next(s["title"] for s in specification()["sections"] if s.get("recommendations"))
    lines = body.split("\n")
    start = next((i for i, line in enumerate(lines) if re.fullmatch(rf"##\s+{re.escape(title)}\s*#*\s*", line)), None)
    if start is None:
        return body.rstrip("\n") + "\n\n" + block
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"##?\s", lines[i])), len(lines))
    return "\n".join([*lines[:end], "", block, *lines[end:]])
