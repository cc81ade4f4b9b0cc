"""A Content-Security-Policy on every page that trusts only what the site ships: scripts and
style sheets from the site itself, and a fixed list of small inline scripts (and one style sheet)
the theme and its extensions write, each allowed by its hash. The lists are this module's, never
read from a page: whatever else reaches a page's HTML (a script, an event handler, a style) is
blocked by the reader's browser, and the build names what would run.

Charts need no ``eval``: they run through Vega's CSP-safe expression interpreter
(``vega-interpreter``), which the build turns from an ES module into a classic script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

from wpsr.safety import tag_in_words

META = '<meta http-equiv="Content-Security-Policy" content="{}">'
INERT_TYPES = {"application/json", "application/ld+json", "text/x-thebe-config"}  # script elements that never run
# The inline scripts the theme (pydata-sphinx-theme, sphinx-book-theme) and sphinx-togglebutton
# write, as they write them: the only inline script a page may run.
KNOWN_SCRIPTS = (
    '\n    document.documentElement.dataset.mode = localStorage.getItem("mode") || "light";\n'
    '    document.documentElement.dataset.theme = localStorage.getItem("theme") || "light";\n  ',
    "DOCUMENTATION_OPTIONS.search_as_you_type = false;",
    "let toggleOpenOnPrint = 'true';",
    "var togglebuttonSelector = '.toggle, .admonition.dropdown';",
    '\n    // Activate the search field on page load\n    let searchInput = document.querySelector('
    '"form.bd-search input");\n    if (searchInput) {\n        searchInput.focus();\n        '
    'searchInput.select();\n        console.log("[PST]: Set focus on search field.");\n    }\n  ',
)
# The one inline style sheet the theme writes (in <noscript>: without script, its script-only buttons hide).
KNOWN_STYLES = ("\n      .pst-js-only { display: none !important; }\n\n    ",)
# The theme's print button calls window.print() from an inline handler; the site's script binds it.
PRINT_HANDLER = ('onclick="window.print()"', "data-wpsr-print")
# Inline scripts the theme's extensions add that this book does not use (the page's name, read
# only by the theme's version switcher; thebe, which is off, and names another origin), and
# sphinx-togglebutton's hints, which differ by language: wpsr-page.js sets them from the page's
# <meta name="wpsr-toggle-hints">, so a translation never becomes script.
UNUSED_SCRIPTS = re.compile(r"\s*(DOCUMENTATION_OPTIONS\.pagename =|const THEBE_JS_URL|kernelName =|"
                            r"let toggleHint(Show|Hide) =)")


def _hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


def policy(*script_sources: str) -> str:
    """The site's policy, allowing scripts from the site itself, the known inline scripts and these sources."""
    scripts = ["script-src 'self'", *script_sources, *sorted({_hash(s) for s in KNOWN_SCRIPTS})]
    return "; ".join([
        "default-src 'self'", " ".join(scripts),
        "style-src 'self' " + " ".join(sorted({_hash(style) for style in KNOWN_STYLES})),
        "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'"])


POLICY = policy()
# The search page runs Pagefind, whose index is read by WebAssembly: compiling it needs
# 'wasm-unsafe-eval', which lets no JavaScript be evaluated from text (eval stays refused).
SEARCH_POLICY = policy("'wasm-unsafe-eval'")


class _Scripts(HTMLParser):
    """What a browser would run in a page: script elements (their type and body) and event handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: dict[str, str | None] | None = None
        self._body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [tag_in_words(tag, f" {name}=…") for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._script, self._body = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._body.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != "script" or self._script is None:
            return
        kind = (self._script.get("type") or "text/javascript").strip().lower()
        body = "".join(self._body)
        if kind not in INERT_TYPES:
            if self._script.get("src") is not None:
                source = self._script["src"] or ""
                if "//" in source.split("?")[0] or source.startswith(("data:", "blob:")):
                    self.found.append(tag_in_words("script", f" src={source[:60]!r}"))
            elif body not in KNOWN_SCRIPTS:
                self.found.append(tag_in_words("script") + body[:60])
        self._script = None


def unknown_script(page: str) -> str | None:
    """The first script or event handler in a page that the policy will block (an inline one it does
    not know, or one from another origin), or None."""
    parser = _Scripts()
    parser.feed(page)
    parser.close()
    return parser.found[0] if parser.found else None


def protect(path: Path, policy: str = POLICY) -> str | None:
    """Put the site's policy first in the page's <head> (after the character set), where it covers
    every script, and bind the print button without an inline handler. Returns what the policy
    will block in this page (an inline script or handler it does not know), if anything."""
    page = path.read_text(encoding="utf-8")
    tag = META.format(html.escape(policy))
    if tag in page[:page.find("</head>")]:  # written in an earlier build: the page has not changed since
        return unknown_script(page)
    page = page.replace(*PRINT_HANDLER)
    charset = re.search(r"<meta charset=[^>]*>", page, re.I)
    at = charset.end() if charset else page.index("<head>") + len("<head>")
    path.write_text(page[:at] + tag + page[at:], encoding="utf-8")
    return unknown_script(page)


# Sphinx's translations of its own script's words, on a translation's pages: it compiles their
# plural rule with `new Function`, which the policy refuses (no eval); the search page says its
# few words in English instead.
UNUSED_FILES = ("_static/translations.js", "translations.js")


def drop_unused(script_files: list) -> list:
    """The page's scripts without the inline ones this book has no use for (UNUSED_SCRIPTS), without
    the files it has no use for (UNUSED_FILES) and without any from another origin (MathJax's, which
    Sphinx names on a page with mathematics)."""
    return [js for js in script_files if not UNUSED_SCRIPTS.match(getattr(js, "attributes", {}).get("body", "") or "")
            and not elsewhere(getattr(js, "filename", None) or "")
            and (getattr(js, "filename", None) or "") not in UNUSED_FILES]


def elsewhere(address: str) -> bool:
    """Whether an address of a script or style sheet names another origin."""
    return re.match(r"([a-z][a-z0-9+.-]*:)?//", address.strip(), re.I) is not None


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
