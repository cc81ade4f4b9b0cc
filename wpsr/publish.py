"""Editions as a versioned website: ``wpsr publish EDITION --site DIR`` and ``wpsr verify --site DIR``.

An edition is built strictly, from its git tag (or, for a draft, from the working tree), in a
staging folder inside DIR. Only when the build, the single-page build and the PDF have all
succeeded is it moved to ``DIR/EDITION/`` in one rename. A published edition is never
touched again (unless forced), and carries ``manifest.json``: the SHA-256 of every file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from wpsr.book import book_root
from wpsr.editions import (
    Edition,
    content_digest,
    edition,
    editions,
    previous,
    sha256,
)
from wpsr.problems import Problem, line_at

MANIFEST = "manifest.json"
SWITCHER = "switcher.json"
BUNDLE = "bundle"  # the edition's PDF, data zip and HTML archive, inside its folder
SKIP_WHEN_COPYING = {".git", "_build", ".venv", "node_modules", ".pytest_cache", ".ruff_cache", "wpsr.egg-info"}


class PublishError(RuntimeError):
    """Publishing stopped; the message says why and how to fix it. The site is unchanged."""


def read_manifest(path: Path) -> dict[str, Any]:
    """An edition's manifest.json, as publishing wrote it; a PublishError naming the file if it is not one."""
    raw, line = path.read_bytes(), None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        line, why = line_at(raw, err.start), "not UTF-8 text"
    except json.JSONDecodeError as err:
        line, why = err.lineno, err.msg
    else:
        kinds = {"edition": str, "status": str, "files": dict, "content": dict}
        found = manifest if isinstance(manifest, dict) else {}
        wrong = [key for key, kind in kinds.items() if not isinstance(found.get(key), kind)]
        if not wrong:
            return manifest
        why = f"no valid {', '.join(wrong)}"
    raise PublishError(str(Problem(path, line, f"not a valid manifest ({why})", "restore it from a backup of the site "
                                   f"(where the site is kept in git: `git checkout -- {path.parent.name}/{MANIFEST}` "
                                   "in it); wpsr never rewrites a published edition, so it cannot repair it (a draft "
                                   "may instead be moved out of the site and published again)")))


def file_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


# --- the source of an edition ------------------------------------------------------------

def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def export_source(root: Path, wanted: Edition, target: Path, site: Path) -> dict[str, Any]:
    """Put the edition's sources in target: its tag, or the working tree for a draft without one
    (without the site itself, should it live inside the book)."""
    target.mkdir(parents=True)
    if wanted.tag:
        try:
            commit = _git(root, "rev-parse", "--verify", f"{wanted.tag}^{{commit}}")
        except PublishError as err:
            raise PublishError(f"edition {wanted.id}: git tag {wanted.tag!r} does not exist — create it with "
                               f"`git tag {wanted.tag} <commit>`, or correct `tag:` in editions.yaml") from err
        archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", commit],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            members = [m for m in tar.getmembers() if m.name.split("/")[0] not in SKIP_WHEN_COPYING]
            tar.extractall(target, members=members, filter="data")
        source = {"tag": wanted.tag, "commit": commit}
    else:
        for path in root.iterdir():
            if path.name in SKIP_WHEN_COPYING or path.name.startswith(".wpsr") or path.resolve() == site:
                continue
            if path.is_dir():
                shutil.copytree(path, target / path.name, ignore=shutil.ignore_patterns(*SKIP_WHEN_COPYING))
            else:
                shutil.copy2(path, target / path.name)
        commit = None
        with contextlib.suppress(PublishError):
            commit = _git(root, "rev-parse", "HEAD")
        source = {"tag": None, "commit": commit, "working_tree": True}
    return source


# --- building ------------------------------------------------------------------------------

def _run(command: list[str], cwd: Path, env: dict[str, str], progress: Callable[[str], None]) -> int:
    """Run a command, passing its output on as progress; return its exit status."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    for line in process.stdout:
        progress("    " + line.rstrip())
    return process.wait()


def build(source: Path, wanted: Edition, site: Path, progress: Callable[[str], None],
          base_url: str | None) -> None:
    """The strict HTML build, then the single-page build the PDF is printed from."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    settings = ["--edition", wanted.id, "--site"]
    if base_url:
        settings += ["--base-url", f"{base_url.rstrip('/')}/{wanted.id}/"]
    before = previous(wanted)
    if before and (site / before.id / MANIFEST).is_file():
        settings += ["--previous-manifest", str(site / before.id / MANIFEST)]
    (source / "node_modules").symlink_to(book_root() / "node_modules")
    progress("  building the edition: its site, then the single page its PDF is printed from …")
    command = [sys.executable, "-m", "wpsr", "build", "--strict", "--all", "--builder", "html,singlehtml",
               "--language", "all", *settings]  # English at the root, each of its translations in its folder
    if _run(command, source, env, progress):
        raise PublishError(f"the build of edition {wanted.id} failed (above) — fix it and publish again; the site "
                           "was not changed")


def write_zip(target: Path | io.BytesIO, entries: Iterable[tuple[str, bytes]], *, date: tuple[int, ...]) -> None:
    """A reproducible zip of these entries, in their order: each with the same date and permissions."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=date)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)


def _zip(folder: Path, target: Path, *, date: tuple[int, ...], skip: str | None = None) -> None:
    """A reproducible zip of a folder: its files, sorted (without the folder ``skip``)."""
    files = [(path, path.relative_to(folder)) for path in sorted(folder.rglob("*"))]
    write_zip(target, ((str(relative), path.read_bytes()) for path, relative in files
                       if path.is_file() and not (skip and relative.parts[0] == skip)), date=date)


def assemble(source: Path, wanted: Edition, out: Path, origin: dict[str, Any],
             progress: Callable[[str], None]) -> dict[str, Any]:
    """The edition folder: the site, its bundle (PDF, data zip, HTML archive) and its manifest."""
    from wpsr import pdf

    shutil.copytree(source / "_build" / "html", out)
    bundle = out / BUNDLE
    bundle.mkdir()
    progress(f"  printing the PDF ({', '.join(wanted.languages)}) …")
    # one PDF per language: wpsr-2023.pdf (English), wpsr-2023-fr.pdf, …
    names = {code: bundle / (f"wpsr-{wanted.id}.pdf" if code == "en" else f"wpsr-{wanted.id}-{code}.pdf")
             for code in wanted.languages}
    try:
        pages = pdf.print_editions(source, names, title=f"{wanted.title}, edition {wanted.id}")
    except pdf.PdfError as err:
        raise PublishError(str(err)) from err
    stamp = (wanted.date.year, wanted.date.month, wanted.date.day, 0, 0, 0)
    _zip(source / "data", bundle / f"wpsr-{wanted.id}-data.zip", date=stamp)
    archive = bundle / f"wpsr-{wanted.id}-html.zip"
    _zip(out, archive, date=stamp, skip=BUNDLE)
    (bundle / f"{archive.name}.sha256").write_text(f"{sha256(archive)}  {archive.name}\n", encoding="utf-8")
    manifest = {"edition": wanted.id, "title": wanted.title, "date": wanted.date.isoformat(),
                "status": wanted.status, "source": origin, "pdf_pages": pages["en"], "pdf_pages_by_language": pages,
                "content": content_digest(source), "files": file_hashes(out)}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


# --- the site --------------------------------------------------------------------------------

def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as handle:
        handle.write(text)
    os.replace(handle.name, path)
    path.chmod(0o644)


def _redirect(target: str, label: str) -> str:
    from wpsr.markup import render

    return str(render("redirect.html", target=target, label=label))


def update_site(site: Path, base_url: str | None = None) -> list[dict[str, Any]]:
    """switcher.json (newest published first, then drafts), and index.html and latest/ pointing to
    the latest published edition. Only editions present in the site are listed."""
    present = [e for e in editions() if (site / e.id / MANIFEST).is_file()]
    published = [e for e in reversed(present) if e.status == "published"]
    drafts = [e for e in reversed(present) if e.status != "published"]
    latest = published[0] if published else None
    prefix = f"{base_url.rstrip('/')}/" if base_url else ""
    entries = [{"name": f"{e.id} (latest)" if e is latest else e.id if e.status == "published" else f"{e.id} (draft)",
                "version": e.id, "url": f"{prefix}{e.id}/", "status": e.status, "date": e.date.isoformat(),
                **({"preferred": True} if e is latest else {})} for e in [*published, *drafts]]
    _write_atomically(site / SWITCHER, json.dumps(entries, indent=1) + "\n")
    home = latest or (drafts[0] if drafts else None)
    if home:
        _write_atomically(site / "index.html", _redirect(f"{home.id}/", f"{home.title}, edition {home.id}"))
        _write_atomically(site / "latest" / "index.html", _redirect(f"../{home.id}/", f"Edition {home.id}"))
        _latest_figures(site, home)
    if base_url:  # crawlers read robots.txt at the site's root: it names each edition's sitemap
        sitemaps = [f"Sitemap: {prefix}{e.id}/sitemap.xml\n" for e in present
                    if (site / e.id / "sitemap.xml").is_file()]
        _write_atomically(site / "robots.txt", "User-agent: *\nAllow: /\n" + "".join(sitemaps))
    return entries


def _latest_figures(site: Path, home: Edition) -> None:
    """A stable address for each figure of the latest edition: latest/figures/… redirects to it."""
    figures, stable = site / home.id / "figures", site / "latest" / "figures"
    if stable.is_dir():
        shutil.rmtree(stable)  # the figures of the edition that was latest before
    for page in sorted(figures.rglob("*.html")) if figures.is_dir() else []:
        relative = page.relative_to(site / home.id)
        _write_atomically(site / "latest" / relative, _redirect("../" * len(relative.parts) + f"{home.id}/"
                                                                f"{relative.as_posix()}", f"Edition {home.id}"))


def _staging_prefix(site: Path, edition_id: str) -> str:
    return f".{site.name}.wpsr-staging-{edition_id}-"


def exchange(new: Path, old: Path) -> None:
    """Put `new` where `old` is, and `old` where `new` was, in one step (Linux's renameat2
    RENAME_EXCHANGE): a process killed at any moment leaves one complete edition in place."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, rename_exchange = -100, 2
    if libc.renameat2(at_fdcwd, bytes(new), at_fdcwd, bytes(old), rename_exchange) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"could not swap {new} and {old}: {os.strerror(errno)}")


def publish(edition_id: str, site: Path, *, base_url: str | None = None,
            progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Build, check and publish one edition into site/EDITION; return its manifest.

    A published edition is never replaced: a correction is a new edition. A draft may be
    published again; it is swapped for the new one in a single step. Everything is built in a
    staging folder beside the site, so a failure, or a process killed at any point, leaves the
    site as it was."""
    root = book_root()
    wanted = edition(edition_id)
    site = site.resolve()
    target = site / wanted.id
    if (target / MANIFEST).is_file():
        existing = read_manifest(target / MANIFEST)
        if existing["status"] == "published":
            raise PublishError(f"edition {wanted.id} is already published in {target}, and a published edition is "
                               "never changed — correct it in a new edition (add one to editions.yaml)")
    elif target.exists():
        raise PublishError(f"{target} exists but is not an edition (no {MANIFEST}) — move it away first")
    before = previous(wanted)
    if before and (site / before.id / MANIFEST).is_file():  # "What changed" compares with it
        read_manifest(site / before.id / MANIFEST)
    site.mkdir(parents=True, exist_ok=True)
    for stale in site.parent.glob(_staging_prefix(site, "*") + "*"):  # left by a publish that was killed
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(site, wanted.id), dir=site.parent))
    try:
        progress(f"Publishing edition {wanted.id} ({wanted.status}) into {target}")
        source = staging / "source"
        origin = export_source(root, wanted, source, site)
        progress(f"  sources: {'tag ' + origin['tag'] if origin['tag'] else 'the working tree'}"
                 + (f" ({origin['commit'][:12]})" if origin.get("commit") else ""))
        build(source, wanted, site, progress, base_url)
        manifest = assemble(source, wanted, staging / "out", origin, progress)
        if target.exists():
            exchange(staging / "out", target)  # the draft published before moves into staging
        else:
            os.rename(staging / "out", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    update_site(site, base_url)
    progress(f"Published edition {wanted.id}: {len(manifest['files'])} files, a {manifest['pdf_pages']}-page PDF, "
             f"in {target}\n  switcher: {site / SWITCHER}\n  verify with: wpsr verify --site {site}")
    return manifest


def verify(site: Path) -> list[str]:
    """Every edition folder against its manifest: files changed, added or missing."""
    problems = []
    folders = sorted(p for p in site.iterdir() if p.is_dir() and (p / MANIFEST).is_file())
    if not folders:
        return [f"{site}: no edition found (no */{MANIFEST}) — publish one with `wpsr publish`"]
    for folder in folders:
        try:
            recorded = read_manifest(folder / MANIFEST)["files"]
        except PublishError as err:
            problems.append(str(err))
            continue
        actual = file_hashes(folder)
        for name in sorted(recorded.keys() - actual.keys()):
            problems.append(f"{folder.name}/{name}: missing — restore it from the edition's HTML archive")
        for name in sorted(actual.keys() - recorded.keys()):
            problems.append(f"{folder.name}/{name}: added after publication — remove it")
        for name in sorted(recorded.keys() & actual.keys()):
            if recorded[name] != actual[name]:
                problems.append(f"{folder.name}/{name}: changed after publication — restore it from the edition's "
                                "HTML archive")
    return problems
