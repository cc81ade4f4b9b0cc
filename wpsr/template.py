"""``wpsr new``: a contribution scaffolded from the specification, or converted from an .ipynb (or,
through ``wpsr.word``, from a Word document).

The template is written from ``specification.yaml``: its fields (with their help as
comments) and its sections (with their guidance as MyST comments, which readers never see).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from wpsr.book import book_root, chapters, toc_path
from wpsr.book import slug as book_slug
from wpsr.contributions import FOLDER, specification

if TYPE_CHECKING:
    from wpsr.word import Document

NOTEBOOK_HEADER = {
    "jupytext": {"text_representation": {"extension": ".md", "format_name": "myst"}},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
}

DATA_FIGURE = '''% A figure from a dataset, without code: the dataset (data/datapackage.json lists them), its kind
% (bars, lines, small-multiples or table), the columns it draws, a filter and a title. The build writes
% its description from the data, its source and its download; `wpsr check` says what is wrong. If you
% prefer code, a code cell may call wpsr.load and wpsr.figure instead.
```{wpsr-figure} internet-use
:kind: bars
:value: share_pct
:category: group
:where: grouping = ITU region; year = latest
:title: TODO: a title that states what the chart shows

TODO: a sentence on what the figure shows for your argument.
```
'''


class TemplateError(ValueError):
    """Input to `wpsr new` that cannot be used; the message says how to fix it."""


def _yaml(value: Any) -> str:
    """A value on one line (JSON is YAML, and quotes whatever needs it)."""
    return json.dumps(value, ensure_ascii=False)


def front_matter(*, title: str, chapter: int, subtopic: str, authors: list[dict[str, Any]],
                 extra: dict[str, Any] | None = None) -> str:
    """The metadata block: what was given filled in (`extra`: other fields, e.g. an abstract found in a Word
    document), the rest marked TODO with its help; an author's missing field is a TODO comment."""
    fields = specification()["fields"]
    todo = specification()["placeholder"]
    given = {**(extra or {}), "title": title, "chapter": chapter, "subtopic": subtopic, "status": "draft"}
    out = []
    for name, rule in fields.items():
        value = given.get(name)
        if name == "authors":
            out.append("authors:")
            for author in authors:
                keys = [key for key in rule["items"]["fields"] if author.get(key)]  # in the specification's order
                out += [f"  {'- ' if i == 0 else '  '}{key}: {_yaml(author[key])}"
                        + (f"  # {todo}: {rule['items']['fields'][key]['help']}" if todo in str(author[key]) else "")
                        for i, key in enumerate(keys)]
                out += [f"    # {todo}: {key}: {sub['help']}" for key, sub in rule["items"]["fields"].items()
                        if sub.get("required") and not author.get(key)]
        elif isinstance(value, list | dict):
            out += yaml.safe_dump({name: value}, sort_keys=False, allow_unicode=True, width=100).splitlines()
        elif value is not None:
            out.append(f"{name}: {_yaml(value)}")
        elif name == "language":
            out.append(f"language: en  # {rule['help']}")
        elif not rule.get("required"):
            out.append(f"# {name}: {rule['help']}")
        elif name == "abstract":
            out.append(f"abstract: >-\n  {todo}: {rule['help']}, in plain words for a busy reader.")
        else:
            value = _placeholder(name)
            block = isinstance(value, list) and any(isinstance(v, dict) for v in value)
            first, *rest = yaml.safe_dump({name: value}, sort_keys=False, default_flow_style=False if block else None,
                                          allow_unicode=True, width=100).splitlines()
            out += [f"{first}  # {todo}: {rule['help']}", *rest]
    return "\n".join(out) + "\n"


def _placeholder(name: str) -> Any:
    """Values that pass the rules' types, so the scaffold checks clean apart from its TODOs."""
    todo = specification()["placeholder"]
    return {
        "sdgs": [16],
        "countries": [],
        "keywords": [f"{todo} keyword", f"{todo} keyword"],
        "resources": [{"title": f"{todo}: title", "publisher": f"{todo}: publisher", "year": 2023,
                       "url": "https://example.org/TODO"} for _ in range(2)],
        "recommendations": [{"text": f"{todo}: one sentence that says who should do what.",
                             "audience": f"{todo}: e.g. national governments"}],
    }[name]


def body() -> str:
    """The sections, in order, with guidance comments; a declared figure goes under results."""
    return "\n".join(section_text(section) for section in specification()["sections"])


def section_text(section: dict[str, Any]) -> str:
    """One section of the template: its heading, its guidance as a comment, and what to replace."""
    todo = specification()["placeholder"]
    out = [f"## {section['title']}\n", "% " + section["guidance"] + "\n", f"{todo}: write this section.\n"]
    if section.get("table"):
        out.append(f"| Place | What changed |\n| --- | --- |\n| {todo} | {todo} |\n")
    if section["title"].startswith("Results"):
        out.append(DATA_FIGURE)
    return "\n".join(out)


def render(*, title: str, chapter: int, subtopic: str, authors: list[dict[str, Any]],
           cells: str | None = None, extra: dict[str, Any] | None = None) -> str:
    """A complete contribution: Jupytext header, metadata, and the template's body or the given cells."""
    header = yaml.safe_dump(NOTEBOOK_HEADER, sort_keys=False)
    meta = front_matter(title=title, chapter=chapter, subtopic=subtopic, authors=authors, extra=extra)
    return f"---\n{header}{meta}---\n\n" + (body() if cells is None else cells)


def parse_author(text: str) -> dict[str, Any]:
    """`Name; Affiliation[, Affiliation]; CCC[; ORCID][; email]` as an author entry."""
    parts = [p.strip() for p in text.split(";")]
    if len(parts) < 3 or not all(parts[:3]):
        raise TemplateError(f"--author {text!r}: write it as \"Name; Affiliation; ISO country code\", "
                            "optionally followed by \"; ORCID\" and \"; email\"")
    author: dict[str, Any] = {"name": parts[0], "affiliations": [a.strip() for a in parts[1].split(" | ")],
                              "country": parts[2].upper()}
    for extra in parts[3:]:
        author["email" if "@" in extra else "orcid"] = extra
    return author


def notebook_cells(path: Path) -> tuple[str | None, str]:
    """An .ipynb's title (its first `# ` heading, if any) and its cells as MyST Markdown."""
    import jupytext
    import nbformat

    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except (UnicodeDecodeError, json.JSONDecodeError, nbformat.reader.NotJSONError) as err:
        raise TemplateError(f"{path}: not a Jupyter notebook ({err}) — save it from JupyterLab as .ipynb") from err
    except OSError as err:
        raise TemplateError(f"{path}: cannot be read ({err.strerror}) — check the path") from err
    title = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and (m := re.match(r"#\s+(.+)", cell.source.lstrip())):
            title = m.group(1).strip()
            cell.source = cell.source.lstrip()[m.end():].lstrip("\n")
            break
    notebook.cells = [c for c in notebook.cells if c.source.strip()]
    for cell in notebook.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata = {**NOTEBOOK_HEADER, "language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    text = jupytext.writes(notebook, fmt="md:myst")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)  # our own header replaces Jupytext's
    return title, text.strip() + "\n"


def add_to_toc(docname: str, chapter: int) -> bool:
    """List the contribution under its chapter in _toc.yml (keeping the file's comments). False if listed."""
    path = toc_path()
    lines = path.read_text(encoding="utf-8").splitlines()
    target = next(c["file"] for c in chapters() if c["number"] == chapter)
    if any(re.fullmatch(rf"\s*- file: {re.escape(docname)}\s*", line) for line in lines):
        return False
    at = next(i for i, line in enumerate(lines) if re.fullmatch(rf"\s*- file: {re.escape(target)}\s*", line))
    indent = len(lines[at]) - len(lines[at].lstrip()) + 2
    end = at + 1
    while end < len(lines) and (len(lines[end]) - len(lines[end].lstrip()) >= indent or not lines[end].strip()):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    block = lines[at + 1:end]
    entry = " " * (indent + 2) + f"- file: {docname}"
    if not any(line.strip() == "sections:" for line in block):
        lines[end:end] = [" " * indent + "sections:", entry]
    else:
        lines.insert(end, entry)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def create(*, chapter: int, subtopic: str, authors: list[dict[str, Any]], title: str | None = None,
           slug: str | None = None, source: Path | None = None) -> tuple[Path, Document | None]:
    """Write a new contribution (from the template, or from an .ipynb's cells or a Word document) and list
    it in _toc.yml; return its path and the Word document converted, if any (`found`: what to fix, located)."""
    from wpsr import word

    numbers = [c["number"] for c in chapters()]
    if chapter not in numbers:
        raise TemplateError(f"--chapter {chapter}: the report has chapters {', '.join(map(str, numbers))}")
    cells = document = None
    if source is not None and source.suffix.lower() in word.ROUTED:
        document = word.read(source)  # refused here, before anything is written
        title, authors = title or document.title, authors or document.authors
    elif source is not None and source.suffix.lower() != ".ipynb":
        raise TemplateError(f"{source}: --from takes a Jupyter notebook (.ipynb) or a Word document "
                            f"({', '.join(word.SUFFIXES)}) — save the draft as one of these")
    elif source is not None:
        found_title, cells = notebook_cells(source)
        title = title or found_title
    if not authors:
        raise TemplateError('give at least one --author "Name; Affiliation; ISO country code"'
                            + (" (the document names no author)" if document else ""))
    if not title:
        raise TemplateError('give the contribution a --title "…"' + (
            " (the document has no title in its properties and no first heading)" if document else
            " (the notebook has no `# ` heading)" if source else ""))
    given, slug = slug, slug or book_slug(title, words=8) or "contribution"
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
        raise TemplateError(f"--slug {slug!r}: use lower-case words joined by hyphens, e.g. open-budgets" if given
                            else f"the title makes no file name of lower-case Latin words ({slug!r}) — give one "
                            "with --slug, e.g. --slug open-budgets")
    path = book_root() / FOLDER / f"{slug}.md"
    if path.exists():
        raise TemplateError(f"{path.relative_to(book_root())} already exists — choose another --slug")
    path.parent.mkdir(exist_ok=True)
    if document is not None:
        cells = document.markdown(slug, title)
    path.write_text(render(title=title, chapter=chapter, subtopic=subtopic, authors=authors, cells=cells,
                           extra=document.metadata if document else None), encoding="utf-8")
    if document is not None:
        document.save(path)
    add_to_toc(f"{FOLDER}/{slug}", chapter)
    return path, document
