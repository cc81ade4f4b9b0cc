"""Each page in the reader's language: the same pages are built once per language (Sphinx's
``language``, catalogs from ``locales/``), English at the site's root and each translation in its
own folder (``fr/chapters/x.html``), so English addresses never change.

On every page: ``<html lang dir>``, a language menu that keeps the page, and ``hreflang`` links to
its six versions and an ``x-default`` (English). On a translated page: a note saying it is the
report team's translation, not an official one, how much of it is translated and whether its
English changed since; and every passage not yet translated keeps its English, marked
``lang="en"``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.nodes import NodeMatcher

from wpsr.contributions import FOLDER, Contribution, read
from wpsr.languages import LANGUAGES, SOURCE, Language
from wpsr.markup import Markup, render
from wpsr.translations import interface, page_status


def language_of(app: Sphinx) -> Language:
    return LANGUAGES.get(app.config.language or SOURCE, LANGUAGES[SOURCE])


def site_root(pagename: str, language: Language) -> str:
    """The relative address of the English site's root from a page of this language."""
    return "../" * pagename.count("/") + ("" if language.code == SOURCE else "../")


def version_href(root: str, code: str, pagename: str) -> str:
    return f"{root}{'' if code == SOURCE else code + '/'}{pagename}.html"


def contribution_of(app: Sphinx, docname: str) -> Contribution | None:
    """The contribution a page is, if it is one (its language, what it translates)."""
    path = Path(app.srcdir) / f"{docname}.md"
    if not docname.startswith(f"{FOLDER}/") or not path.is_file():
        return None
    return read(path)[0]


def translations_of(app: Sphinx, contribution: Contribution) -> list[Contribution]:
    """The other versions of a contribution: its original and the original's translations (what each
    translation translates: ``versions_changed``)."""
    original = contribution.translation_of or contribution.slug
    originals: dict[str, str] = getattr(app.env, "wpsr_originals", {})
    docnames = {f"{FOLDER}/{original}", *(doc for doc, its in originals.items() if its == original)}
    found = [contribution_of(app, doc) for doc in sorted(docnames - {contribution.docname})]
    return [c for c in found if c is not None and original in (c.slug, c.translation_of)]


def versions_changed(env: Any, saved: set[str], removed: set[str]) -> set[str]:
    """The pages of the versions of a contribution whose translations were added, removed or named
    another original since the last build: each links to the others. The environment keeps what
    each translation translates (``wpsr_originals``: docname, its original's slug)."""
    originals: dict[str, str] = getattr(env, "wpsr_originals", {})
    touched: set[str] = set()
    for docname in sorted(saved | removed):
        if not docname.startswith(f"{FOLDER}/"):
            continue
        before = originals.pop(docname, None)
        path = Path(env.srcdir) / f"{docname}.md"
        found = read(path)[0] if docname not in removed and path.is_file() else None
        now = found.translation_of if found else None
        if now:
            originals[docname] = now
        for original in {before, now} - {None}:
            touched |= {f"{FOLDER}/{original}", *(doc for doc, its in originals.items() if its == original)}
    env.wpsr_originals = originals
    return touched - saved - removed


def _mark_untranslated(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """A passage a translation lacks keeps its English, and says so to screen readers and browsers (a
    contribution written in another language keeps its own, marked as a whole as the page is written)."""
    if language_of(app).code == SOURCE:
        return
    written = contribution_of(app, docname)
    if written is not None and written.language != SOURCE:
        return
    untranslated = list(NodeMatcher(nodes.Element, translated=False).findall(doctree))
    if not any(NodeMatcher(nodes.Element, translated=Any).findall(doctree)):  # no catalog: the whole page
        untranslated = [node for node in doctree.children if isinstance(node, nodes.section)]
    for node in untranslated:
        node["classes"] += ["language-en", "wpsr-untranslated"]  # docutils writes lang="en"


def _page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    language = language_of(app)
    _ = interface(language.code)
    root = site_root(pagename, language)
    published = set(app.config.wpsr_languages) | {language.code, SOURCE}  # the languages the site has
    versions = [(other, version_href(root, other.code, pagename)) for other in LANGUAGES.values()
                if other.code in published]
    base = (app.config.html_baseurl or "").rstrip("/")
    if base and language.code != SOURCE:
        base = base.rsplit("/", 1)[0] if base.endswith(f"/{language.code}") else base
    absolute = [(other.code, f"{base}/{version_href('', other.code, pagename)}" if base else href)
                for other, href in versions]
    alternates = [*absolute, ("x-default", dict(absolute)[SOURCE])] if len(versions) > 1 else []
    context["metatags"] = (context.get("metatags", "") + str(render("alternates.html", alternates=alternates))
                           + str(render("toggle-hints.html", show=_("Click to show"), hide=_("Click to hide"))))
    if not context.get("body"):
        return
    menu = render("languages.html", label=_("Languages"), current=language, versions=versions) \
        if len(versions) > 1 else Markup("")  # an English-only preview has no other language to offer
    note = Markup("")
    contribution = contribution_of(app, pagename)
    written = contribution.language if contribution else SOURCE
    if contribution is not None:
        note = _versions(app, contribution, language, root)
        if written != language.code:  # its text as it is written, marked as such (the site's banners are not)
            own, body = LANGUAGES.get(written, LANGUAGES[SOURCE]), context["body"]
            start = max(body.find("<section"), 0)
            context["body"] = body[:start] + str(Markup('<div lang="{}" dir="{}">').format(own.code, own.direction)) \
                + body[start:] + "</div>"
    if language.code != SOURCE and written == SOURCE:
        status = page_status(language.code, pagename)
        progress = doctree.get("translation_progress") if doctree is not None else None
        shown = ""
        if progress and progress["total"] and progress["translated"] < progress["total"]:
            shown = _("{translated} of {total} passages of this page are translated; the others are shown in "
                      "English.").format(**progress)
        note += render("translation-note.html",
                       whose=_("This page is the report team's translation into {language}, not an official "
                               "translation of the United Nations.").format(language=_(language.english)),
                       english=version_href(root, SOURCE, pagename), english_label=_("Read the English page."),
                       progress=shown,
                       outdated=_("The English page has changed since this translation was made: the English "
                                  "is the current text.") if status.outdated else "")
    context["body"] = str(menu) + str(note) + context["body"]


def _versions(app: Sphinx, contribution: Contribution, language: Language, root: str) -> Markup:
    """The note on a contribution's page: the language it is written in, if not the page's, and links
    to its other versions (each in the site of its own language, if the site has it)."""
    _ = interface(language.code)
    written = LANGUAGES.get(contribution.language, LANGUAGES[SOURCE])
    said = _("This contribution is written in {language}.").format(language=_(written.english)) \
        if written.code != language.code else ""
    versions = []
    for other in translations_of(app, contribution):
        label = _("Original, in {language}:") if other.slug == contribution.translation_of else \
            _("Translation into {language}:")
        own = LANGUAGES.get(other.language, LANGUAGES[SOURCE])
        site = own.code if own.code in {*app.config.wpsr_languages, SOURCE} else language.code
        versions.append((label.format(language=_(own.english)), version_href(root, site, other.docname), own.code,
                         other.title))
    return render("written-in.html", written=said, versions=versions) if said or versions else Markup("")


DIRECTION = re.compile(r"<html\b")


def set_direction(page: Path, language: Language) -> None:
    """`dir` on the page's <html> (the theme writes `lang` but no direction)."""
    if language.direction == "ltr":
        return
    text = page.read_text(encoding="utf-8")
    head = text[:text.find(">", text.find("<html")) + 1]
    if "dir=" not in head:
        opening = Markup('<html dir="{}"').format(language.direction)  # escaped, as a template would
        page.write_text(DIRECTION.sub(str(opening), text, count=1), encoding="utf-8")


def translations_view(env: Any, docname: str) -> tuple[Any, Any]:
    """The "Translations" annex: for each translation, how much of each page is translated, and which
    pages' English changed since. A view (``pages.VIEWS``): filled in as the page is written, and the
    page is written again whenever a catalog or an English page changes what it shows."""
    from wpsr.translations import status

    found = status()
    shown = {code: [(p.docname, p.total, p.translated, p.fuzzy, p.outdated) for p in pages]
             for code, pages in found.items()}

    def made() -> list[nodes.Node]:
        from wpsr.sphinx_ext.doctree import paragraph, table

        _ = interface(language_of(env.app).code)
        out: list[nodes.Node] = []
        for code, pages in found.items():
            name = _(LANGUAGES[code].english)
            total, done = sum(p.total for p in pages), sum(p.translated for p in pages)
            complete = sum(1 for p in pages if p.total and p.translated == p.total and not p.outdated)
            out.append(paragraph(_("{language}: {complete} of {pages} pages complete; {done} of {total} passages "
                                   "translated.").format(language=name, complete=complete, pages=len(pages),
                                                         done=done, total=total)))
            rows = [[p.docname, f"{p.translated} / {p.total}", str(p.fuzzy), _("yes") if p.outdated else _("no")]
                    for p in pages]
            out.append(table(_("Translation into {language}, page by page").format(language=name),
                             [_("Page"), _("Passages translated"), _("To check (fuzzy)"), _("English changed since")],
                             rows))
        return out

    return shown, made


def setup(app: Sphinx) -> None:
    # The languages built into the same site (`wpsr build --language all`, `wpsr publish`): the menu
    # and the hreflang links offer those, and English, whose pages a translation links anyway.
    app.add_config_value("wpsr_languages", [], "html", list)
    from wpsr.sphinx_ext import pages

    pages.VIEWS["translations"] = translations_view
    app.add_directive("wpsr-translations", pages.view_directive("translations"))
    app.connect("doctree-resolved", _mark_untranslated)
    app.connect("html-page-context", _page)
