"""A Content-Security-Policy on every page: scripts only from the site itself, plus the inline
scripts the theme writes, each allowed by its hash, computed from the page as written.

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
HANDLER = re.compile(r"""\son[a-z]+\s*=\s*("([^"]*)"|'([^']*)')""", re.I)
DATA_TYPES = re.compile(r"""\btype\s*=\s*["'](?!(text|application)/javascript|module)""", re.I)  # not run


def _hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


def policy(page: str) -> str:
    """The policy for one page: its own inline scripts and event handlers, by hash, and nothing else inline."""
    scripts = sorted({_hash(m.group("body")) for m in INLINE_SCRIPT.finditer(page)
                      if "src=" not in m.group("attrs") and not DATA_TYPES.search(m.group("attrs"))})
    handlers = sorted({_hash(html.unescape(m.group(2) if m.group(2) is not None else m.group(3)))
                       for m in HANDLER.finditer(page)})
    script_src = " ".join(["'self'", *scripts, *(["'unsafe-hashes'", *handlers] if handlers else [])])
    return "; ".join([
        "default-src 'self'", f"script-src {script_src}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "font-src 'self' data:", "connect-src 'self'", "object-src 'none'",
        "base-uri 'self'", "form-action 'self'"])


def protect(path: Path) -> None:
    """Put the page's policy first in its <head> (after the character set), where it covers every script."""
    page = path.read_text(encoding="utf-8")
    if 'http-equiv="Content-Security-Policy"' in page:
        return
    tag = META.format(html.escape(policy(page)))
    charset = re.search(r"<meta charset=[^>]*>", page, re.I)
    at = charset.end() if charset else page.index("<head>") + len("<head>")
    path.write_text(page[:at] + tag + page[at:], encoding="utf-8")


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
