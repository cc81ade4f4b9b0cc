"""A Content-Security-Policy on every page that trusts only what the site ships: scripts from
the site itself, and a fixed list of small inline scripts the theme and its extensions write, each
allowed by its hash. The list is this module's, never read from a page: whatever else reaches a
page's HTML (a script, an event handler) is blocked by the reader's browser, and the build names it.

Charts need no ``eval``: they run through Vega's CSP-safe expression interpreter
(``vega-interpreter``), which the build turns from an ES module into a classic script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

META = '<meta http-equiv="Content-Security-Policy" content="{}">'
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
HANDLER = re.compile(r"""<[^>]*?\son[a-z]+\s*=""", re.I)
DATA_TYPES = re.compile(r"""\btype\s*=\s*["'](?!(text|application)/javascript|module)""", re.I)  # not run
# The inline scripts the theme (pydata-sphinx-theme, sphinx-book-theme) and sphinx-togglebutton
# write, as they write them: the only inline script a page may run.
KNOWN_SCRIPTS = (
    '\n    document.documentElement.dataset.mode = localStorage.getItem("mode") || "light";\n'
    '    document.documentElement.dataset.theme = localStorage.getItem("theme") || "light";\n  ',
    "DOCUMENTATION_OPTIONS.search_as_you_type = false;",
    "let toggleHintShow = 'Click to show';",
    "let toggleHintHide = 'Click to hide';",
    "let toggleOpenOnPrint = 'true';",
    "var togglebuttonSelector = '.toggle, .admonition.dropdown';",
    '\n    // Activate the search field on page load\n    let searchInput = document.querySelector('
    '"form.bd-search input");\n    if (searchInput) {\n        searchInput.focus();\n        '
    'searchInput.select();\n        console.log("[PST]: Set focus on search field.");\n    }\n  ',
)
# The theme's print button calls window.print() from an inline handler; the site's script binds it.
PRINT_HANDLER = ('onclick="window.print()"', "data-wpsr-print")
# Inline scripts the theme's extensions add that this book does not use (the page's name, read
# only by the theme's version switcher; thebe, which is off, and names another origin).
UNUSED_SCRIPTS = re.compile(r"\s*(DOCUMENTATION_OPTIONS\.pagename =|const THEBE_JS_URL|kernelName =)")


def _hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


POLICY = "; ".join([
    "default-src 'self'", "script-src 'self' " + " ".join(sorted({_hash(s) for s in KNOWN_SCRIPTS})),
    "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'"])


def unknown_script(page: str) -> str | None:
    """The first inline script or event handler in a page that the policy will block, or None."""
    for match in INLINE_SCRIPT.finditer(page):
        if "src=" in match.group("attrs") or DATA_TYPES.search(match.group("attrs")):
            continue
        if match.group("body") not in KNOWN_SCRIPTS:
            return match.group(0)[:80]
    handler = HANDLER.search(page)
    return handler.group(0)[:80] if handler else None


def protect(path: Path) -> str | None:
    """Put the site's policy first in the page's <head> (after the character set), where it covers
    every script, and bind the print button without an inline handler. Returns what the policy
    will block in this page (an inline script or handler it does not know), if anything."""
    page = path.read_text(encoding="utf-8")
    if 'http-equiv="Content-Security-Policy"' in page:
        return unknown_script(page)
    page = page.replace(*PRINT_HANDLER)
    tag = META.format(html.escape(POLICY))
    charset = re.search(r"<meta charset=[^>]*>", page, re.I)
    at = charset.end() if charset else page.index("<head>") + len("<head>")
    path.write_text(page[:at] + tag + page[at:], encoding="utf-8")
    return unknown_script(page)


def drop_unused(script_files: list) -> list:
    """The page's scripts without the inline ones this book has no use for (UNUSED_SCRIPTS)."""
    return [js for js in script_files if not UNUSED_SCRIPTS.match(getattr(js, "attributes", {}).get("body", "") or "")]


def classic_interpreter(module: str) -> str:
    """vega-interpreter's ES module as a classic script that reads vega-util's functions from the
    `vega` global (the vega build re-exports them) and adds `vega.expressionInterpreter`."""
    imports = re.fullmatch(r"import \{([\w\s,]+)\} from 'vega-util';", module.splitlines()[0])
    export = "export { expression as expressionInterpreter };"
    if not imports or module.count(export) != 1:
        raise ValueError("vega-interpreter's module has changed shape: update wpsr.sphinx_ext.security")
    body = "\n".join(module.splitlines()[1:]).replace(export, "vega.expressionInterpreter = expression;")
    return (f"/* vega-interpreter (BSD-3-Clause), as a classic script for wpsr */\n(function (vega) {{\n"
            f"const {{{imports.group(1)}}} = vega;\n{body}\n}})(window.vega);\n")
