"""Fonts for the scripts a reader's machine may lack: Arabic, Chinese and Cyrillic text renders in
Noto fonts that the site serves itself, from pinned npm packages (``@fontsource/*`` in
package.json), so a page reads the same on a machine with none of these fonts installed.

Fontsource ships each font cut into files by ``unicode-range`` (Chinese into a hundred, by how
often characters are used), and lists each file's range in its stylesheets. At the end of a build,
the site's text (its pages, and the scripts that write text into them) is read for the characters
it uses; every fontsource file that holds some of them is cut down to exactly those characters
(fontTools; kept in ``_build/.wpsr-fonts/`` by the set of characters, so a rebuild cuts only the
files whose characters changed) and served from ``_static/wpsr-fonts/``, with one stylesheet of
``@font-face`` rules (``font-display: swap``) whose ``unicode-range`` names the characters each
file holds. A browser downloads a file only when a page shows one of its characters: a Chinese page
the few Chinese files its own text needs, an English page the Arabic, Chinese and Russian names of
the language menu, and only when the menu opens.

Each font sets the text of its language, ``[lang|=zh]`` and so on: the whole page in that
language, or a passage or a language's name elsewhere, the theme's own font stack behind it.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sphinx.application import Sphinx

from wpsr.languages import LANGUAGES

FOLDER = "wpsr-fonts"  # in the site's _static/
STYLESHEET = f"{FOLDER}/fonts.css"  # on every page: only the fonts its text needs are downloaded
NAMES = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # the names a cut keeps: fontTools' defaults, and the licence (OFL)
CUT = f"woff2, names {NAMES}, fontTools' other defaults"  # how files are cut: a change here cuts them again
SKIPPED = {"_static", "_sources", "_downloads", "_images"}  # folders whose files no page shows as text


@dataclass(frozen=True)
class Family:
    language: str  # the language whose text it sets (lang="zh", lang="zh-Hans"…)
    package: str  # the npm package under node_modules/
    name: str  # the CSS font family
    subsets: str  # the fontsource subsets served, as a regular expression
    script: str  # its script's characters (a unicode-range): all it sets in a site of another language
    weights: tuple[int, ...] = (400, 700)
    first: int = 0  # in its own language's site, characters below this are left to the theme's fonts

    def wanted(self, language: str, pages: frozenset[int], scripts: frozenset[int] = frozenset()) -> frozenset[int]:
        """What it sets of the characters of a site's pages and scripts: in its language's site, all
        it has of both (punctuation and digits too); elsewhere, the characters of its script on the
        pages alone (a passage, or the language's name in the menu)."""
        if language == self.language:
            return frozenset(c for c in pages | scripts if c >= self.first)
        return pages & parse_range(self.script)


FAMILIES = (
    Family("ar", "@fontsource/noto-naskh-arabic", "Noto Naskh Arabic", r"arabic",
           "U+0600-06FF,U+0750-077F,U+0870-08FF,U+FB50-FDFF,U+FE70-FEFF"),
    Family("zh", "@fontsource/noto-sans-sc", "Noto Sans SC", r"\[\d+\]",  # its Latin is left to the theme
           "U+2E80-2FDF,U+3000-303F,U+3100-312F,U+31A0-31BF,U+3400-4DBF,U+4E00-9FFF,U+F900-FAFF,U+FE30-FE4F,"
           "U+FF00-FFEF,U+20000-2FA1F", first=0x2000),
    Family("ru", "@fontsource/noto-sans", "Noto Sans", r"cyrillic(-ext)?",
           "U+0400-052F,U+1C80-1C8F,U+2DE0-2DFF,U+A640-A69F"),
)


@dataclass(frozen=True)
class Face:
    """One file of a font, as fontsource's stylesheet declares it."""

    subset: str  # fontsource's name for the file's part of the font: "arabic", "[42]"…
    weight: int
    file: str  # the woff2 file, relative to the package
    characters: frozenset[int]  # its unicode-range


@dataclass(frozen=True)
class Served:
    """One font file the site serves, with the characters it holds."""

    family: str
    weight: int
    file: str  # relative to the stylesheet
    characters: frozenset[int]


# --- unicode-range -------------------------------------------------------------------

def parse_range(text: str) -> frozenset[int]:
    """The code points of a CSS unicode-range: ``U+0600-06FF,U+200C`` (wildcards: ``U+4??``)."""
    points: set[int] = set()
    for part in text.split(","):
        part = part.strip().upper().removeprefix("U+")
        if not part:
            continue
        if "?" in part:
            start, end = part.replace("?", "0"), part.replace("?", "F")
        else:
            start, _, end = part.partition("-")
        points.update(range(int(start, 16), int(end or start, 16) + 1))
    return frozenset(points)


def format_range(points: Iterable[int]) -> str:
    """A CSS unicode-range naming exactly these code points, in runs."""
    runs: list[list[int]] = []
    for point in sorted(set(points)):
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


# --- fontsource's stylesheets ----------------------------------------------------------

FACE = re.compile(r"/\*\s*(?P<name>[^*]+?)\s*\*/\s*@font-face\s*{(?P<body>[^}]*)}")
WOFF2 = re.compile(r"url\(\s*['\"]?\./(?P<file>[^'\")]+\.woff2)['\"]?\s*\)")
RANGE = re.compile(r"unicode-range\s*:\s*(?P<range>[^;}]+)")
WEIGHT = re.compile(r"font-weight\s*:\s*(?P<weight>\d+)")


def read_faces(css: str, package: str) -> list[Face]:
    """The faces a fontsource stylesheet (``400.css``) declares, each with its file and range."""
    slug = package.rsplit("/", 1)[-1]
    faces = []
    for match in FACE.finditer(css):
        body, name = match["body"], match["name"]
        file, characters, weight = WOFF2.search(body), RANGE.search(body), WEIGHT.search(body)
        if not (file and characters and weight):
            continue  # a face without a range is the whole font: never served
        subset = name.removeprefix(f"{slug}-").removesuffix(f"-{weight['weight']}-normal")
        faces.append(Face(subset, int(weight["weight"]), file["file"], parse_range(characters["range"])))
    return faces


def package_faces(modules: Path, family: Family, weight: int) -> list[Face]:
    """The faces of one weight of a family's package that the site may serve."""
    path = modules / family.package / f"{weight}.css"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing — run `npm ci` (`make html` does this)")
    wanted = re.compile(family.subsets)
    return [face for face in read_faces(path.read_text(encoding="utf-8"), family.package)
            if wanted.fullmatch(face.subset)]


# --- the site's characters -----------------------------------------------------------------

ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def site_pages(outdir: Path, language: str) -> list[Path]:
    """The pages of the site of one language (an English site's folder holds the translations too)."""
    others = {code for code in LANGUAGES if code != language}
    return [path for path in sorted(outdir.rglob("*.html")) if not _skipped(path.relative_to(outdir).parts, others)]


def _skipped(parts: tuple[str, ...], others: set[str]) -> bool:
    return parts[0] in SKIPPED | others or any(part.startswith(".") for part in parts)


def site_characters(outdir: Path, language: str) -> frozenset[int]:
    """Every character the pages of the site of one language show (text, attributes, data)."""
    return characters_of(site_pages(outdir, language))


def script_characters(outdir: Path) -> frozenset[int]:
    """Every character of the scripts that write text into the pages (Sphinx's search and its
    translations, the copy button, the site's own): in the site's language, or in any of those some
    scripts carry (the copy button's)."""
    return characters_of([*outdir.glob("*.js"), *(outdir / "_static").glob("*.js")])


# What this process last read of each file, by its time and size: a rebuild (a preview's, after a
# save) reads again only the pages it wrote.
_characters: dict[Path, tuple[tuple[int, int], frozenset[int]]] = {}
_linked: dict[Path, tuple[tuple[int, int], str]] = {}


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def characters_of(files: Iterable[Path]) -> frozenset[int]:
    found: set[int] = set()
    for path in files:
        stamp = _stamp(path)
        if path not in _characters or _characters[path][0] != stamp:
            text = path.read_text(encoding="utf-8", errors="ignore")
            shown = {*(html.unescape(text) if path.suffix == ".html" else text),
                     *(chr(int(code, 16)) for code in ESCAPE.findall(text))}
            _characters[path] = stamp, frozenset(ord(c) for c in shown if not 0xD800 <= ord(c) <= 0xDFFF)
        found |= _characters[path][1]
    return frozenset(found)


# --- cutting and serving ---------------------------------------------------------------

def cut(source: Path, characters: frozenset[int], cache: Path) -> Path:
    """The font cut down to these characters (and what shaping them needs), as woff2; kept in
    ``cache`` (one folder per language) by the file's content and the characters, so the same cut
    is made once."""
    from fontTools import subset, version

    twin = source.with_suffix(".woff")  # the same font in WOFF 1: fontTools reads only the glyphs it keeps
    if twin.is_file():  # (a woff2's glyph table is rebuilt whole, in Python: five times slower)
        source = twin
    content = source.read_bytes()
    key = hashlib.sha256(b"\n".join([CUT.encode(), version.encode(), content,
                                     format_range(characters).encode()])).hexdigest()
    target = cache / f"{source.stem}-{key[:16]}.woff2"
    made = next(cache.parent.glob(f"*/{target.name}"), None)  # by the build of another language
    if not target.is_file() and made is not None:
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made, target)
    if not target.is_file():
        options = subset.Options(flavor="woff2", name_IDs=NAMES)
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=characters)
        subsetter.subset(font)
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        subset.save_font(font, str(partial), options)
        partial.replace(target)
    return target


def font_face(served: Served) -> str:
    return ("@font-face {\n"
            f'  font-family: "{served.family}";\n'
            "  font-style: normal;\n"
            f"  font-weight: {served.weight};\n"
            "  font-display: swap;\n"
            f'  src: url("{served.file}") format("woff2");\n'
            f"  unicode-range: {format_range(served.characters)};\n"
            "}\n")


def family_rule(family: Family) -> str:
    """The family first for the text of its language, the theme's stacks behind it (code keeps its
    monospace font, the family only for the characters that font lacks)."""
    name = f'"{family.name}"'
    return (f'[lang|="{family.language}"] {{\n'
            f"  --pst-font-family-base: {name}, var(--pst-font-family-base-system);\n"
            f"  --pst-font-family-heading: {name}, var(--pst-font-family-base-system);\n"
            f"  --pst-font-family-monospace: var(--pst-font-family-monospace-system), {name};\n"
            "  font-family: var(--pst-font-family-base);\n"
            "}\n")


def stylesheet(families: dict[Family, list[Served]]) -> str:
    parts = ["/* Fonts for the scripts a reader's machine may lack, served by the site (wpsr.sphinx_ext.fonts):\n"
             "   each file holds the characters the site shows, and loads only where a page shows one. */\n"]
    for family, served in families.items():
        if served:
            parts += [font_face(s) for s in served]
            parts.append(family_rule(family))
    return "\n".join(parts)


def write(outdir: Path, language: str, pages: frozenset[int], scripts: frozenset[int], modules: Path,
          cache: Path | None, families: Iterable[Family] = FAMILIES) -> Path:
    """Serve the fonts that the characters of a site in this language (of its pages, and of its scripts)
    need from ``outdir/_static/wpsr-fonts/``, each file cut down to them (or, with no cache,
    fontsource's own files whole), and write the stylesheet; drop the files an earlier build served
    that are no longer needed. Returns the stylesheet."""
    folder = outdir / "_static" / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    chosen: dict[Family, list[Served]] = {}
    for family in families:
        wanted = family.wanted(language, pages, scripts)
        chosen[family] = []
        for weight in family.weights:
            for face in package_faces(modules, family, weight):
                used = face.characters & wanted
                if not used:
                    continue
                source = modules / family.package / face.file
                if cache is None:
                    file, used = source, family.wanted(family.language, face.characters)
                else:
                    file = cut(source, used, cache)
                target = folder / file.name
                if not target.is_file() or target.stat().st_size != file.stat().st_size:
                    shutil.copyfile(file, target)
                chosen[family].append(Served(family.name, weight, file.name, used))
    licences = set()
    for family, served in chosen.items():  # the Open Font License goes with the fonts
        if served:
            licence = folder / f"{family.package.rsplit('/', 1)[-1]}-LICENSE.txt"
            if not licence.is_file():
                shutil.copyfile(modules / family.package / "LICENSE", licence)
            licences.add(licence.name)
    kept = {s.file for served in chosen.values() for s in served}
    for old in folder.iterdir():
        if old.name not in kept | licences | {Path(STYLESHEET).name}:
            old.unlink()
    if cache is not None and cache.is_dir():  # the cuts this site no longer serves
        for old in cache.glob("*.woff2"):
            if old.name not in kept:
                old.unlink()
    css = folder / Path(STYLESHEET).name
    text = stylesheet(chosen)
    if not css.is_file() or css.read_text(encoding="utf-8") != text:
        css.write_text(text, encoding="utf-8")
    return css


LINK = re.compile(r'(href="[^"]*_static/' + re.escape(STYLESHEET) + r')(?:\?v=[0-9a-f]*)?"')


def version_links(pages: Iterable[Path], css: Path) -> None:
    """Pages name the stylesheet with its checksum (``?v=``, as Sphinx does), so a browser that kept
    an earlier one fetches it again; the stylesheet is written after the pages, so they name it here."""
    checksum = format(zlib.crc32(css.read_bytes().replace(b"\r", b"")), "08x")
    for page in pages:
        if _linked.get(page) == (_stamp(page), checksum):
            continue  # this process linked it, and it has not been written since
        text = page.read_text(encoding="utf-8")
        linked = LINK.sub(rf'\1?v={checksum}"', text)
        if linked != text:
            page.write_text(linked, encoding="utf-8")
        _linked[page] = _stamp(page), checksum


# --- Sphinx --------------------------------------------------------------------------

def _stylesheet(app: Sphinx) -> None:
    if app.builder.format == "html":
        app.add_css_file(STYLESHEET, priority=600)  # after the theme's and the site's


def _serve(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    language = app.config.language or "en"
    css = write(outdir, language, site_characters(outdir, language), script_characters(outdir),
                Path(app.srcdir) / "node_modules", Path(app.doctreedir).parent / ".wpsr-fonts" / language)
    version_links(site_pages(outdir, language), css)


def setup(app: Sphinx) -> None:
    # What the pages link to: when it changes, every page is written again (it is in the build's hash).
    app.add_config_value("wpsr_fonts", " ".join([STYLESHEET, *(f"{f.package}:{','.join(map(str, f.weights))}"
                                                             for f in FAMILIES)]), "html", str)
    app.connect("builder-inited", _stylesheet)
    app.connect("build-finished", _serve)
