"""The ``wpsr`` command line: build, serve, check, new, validate and derive.

Run ``wpsr --help`` (or ``python -m wpsr --help``) for the list of commands.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wpsr import data
from wpsr.book import book_root, source_state
from wpsr.derive import DERIVATIONS, derive
from wpsr.editions import EditionError
from wpsr.languages import LANGUAGES
from wpsr.publish import PublishError
from wpsr.running import build_builders, build_languages, build_once


def _report(problems: list, where: str, verdict: Callable[[], str]) -> int:
    """Print each problem and a count (exit status 1), or the verdict (exit status 0)."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {where}.", file=sys.stderr)
        return 1
    print(verdict())
    return 0


def cmd_data_status(args: argparse.Namespace) -> int:
    """List the datasets whose source's next edition was due: due, overdue and unchecked, or checked and
    not yet out (exit status 0: advice)."""
    today = data.today()
    due = data.status(today)
    for resource, state in due:
        age = resource.age
        late = (today - age.next_release).days
        newest = max(resource.sources, key=lambda source: int(source.get("year", 0)), default={})
        checked = f"last checked on {age.checked.isoformat()}" if age.checked else "never checked"
        if state is data.Currency.AWAITED:
            advice = (f"check {newest.get('path', 'its source')} again; when it is out, update the CSV, wpsr:asOf "
                      "and wpsr:nextRelease, and set wpsr:checked")
        else:
            advice = (f"check {newest.get('path', 'its source')}: if it is out, update the CSV, wpsr:asOf and "
                      "wpsr:nextRelease; either way, set wpsr:checked to the day you checked")
        print(f"{'warning: ' if args.warn else ''}{resource.name}: {state.value}: data as of {age.shown}; "
              f"its source publishes {data.CADENCES[age.cadence]}, and the next edition was expected on "
              f"{age.next_release.isoformat()} ({late} day(s) ago); {checked} — {advice}",
              file=sys.stderr if args.warn else sys.stdout)
    if not due:
        print(f"Every dataset is current: no source's next edition is due as of {today.isoformat()}.")
    return 0


def cmd_reach(args: argparse.Namespace) -> int:
    """Count page views and downloads from the static host's access logs into data/reach/ (no IP, no agent)."""
    from wpsr.reach import REACH_DIR, write

    missing = [p for p in args.logs if not Path(p).is_file()]
    if missing:
        print(f"wpsr reach: no such log file: {', '.join(missing)}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    summary = write([Path(p) for p in args.logs])
    days = f"{summary.days[0]} to {summary.days[-1]}" if summary.days else "no day"
    unreadable = "; ".join(f"{count:,} {why} (the first at {first})" for why, count, first in summary.skipped)
    skipped = (f" Skipped {sum(count for _, count, _ in summary.skipped):,} line(s) that could not be read: "
               f"{unreadable}.") if summary.skipped else ""
    print(f"Read {summary.lines:,} lines in {time.perf_counter() - started:.1f} s: {summary.views:,} page views and "
          f"{summary.downloads:,} downloads ({days}). Dropped {summary.bots:,} requests from crawlers and "
          f"{summary.malformed:,} lines in neither log format.{skipped}\nWrote {REACH_DIR}/: counts per day, edition "
          "and page or kind of file; no IP address, user agent or time of day.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every dataset against data/datapackage.json."""
    return _report(data.problems(), "data/", lambda: f"data/: {len(data.package().resources)} datasets valid.")


BUILDERS = ("html", "singlehtml")


def builder_list(text: str) -> list[str]:
    """`--builder html,singlehtml`: Sphinx builders to run one after the other."""
    builders = [name.strip() for name in text.split(",")]
    unknown = [name for name in builders if name not in BUILDERS]
    if unknown or not builders or len(set(builders)) < len(builders):
        raise argparse.ArgumentTypeError(f"{text!r}: name html, singlehtml or both (html,singlehtml)")
    return builders


def cmd_build(args: argparse.Namespace) -> int:
    """Build the book into _build/html: a preview, or with --strict as CI and `wpsr publish` do."""
    from wpsr.build import Settings

    manifest = Path(args.previous_manifest) if args.previous_manifest else None
    if args.language == "all":  # every language of the edition built
        from wpsr.editions import current_edition

        languages = current_edition(args.edition).languages
    else:
        languages = tuple(code for code in (args.languages or "").split(",") if code in LANGUAGES)
    settings = Settings(strict=args.strict, fresh=args.all, edition=args.edition,
                        base_url=args.base_url, previous_manifest=manifest, site=args.site, verbose=args.verbose,
                        language="en" if args.language == "all" else args.language, languages=languages)
    if args.language == "all":
        return build_languages(book_root(), settings, args.builder)
    return build_builders(book_root(), settings, args.builder)


def run_check(paths: list[Path] | None = None) -> tuple[int, int]:
    """Print every problem with the contributions; return (errors, warnings)."""
    from wpsr.checker import check

    findings = check(paths)
    for finding in findings:
        print(finding, file=sys.stderr)
    errors = sum(f.severity == "error" for f in findings)
    return errors, len(findings) - errors


def cmd_check(args: argparse.Namespace) -> int:
    """Check contributions against the specification (all of them, or the files named)."""
    from wpsr.contributions import files

    errors, warnings = run_check([Path(p) for p in args.files] or None)
    count = len(args.files) or len(files())
    verdict = "failed" if errors else "passed"
    print(f"Checked {count} contribution(s): {verdict}, "
          f"{errors} error(s), {warnings} warning(s).", file=sys.stderr if errors else sys.stdout)
    return 1 if errors else 0


def cmd_translate(args: argparse.Namespace) -> int:
    """The translations: update the catalogs from the English, check them, say how far each language is,
    or stamp a language's pages as translating their English as it is now."""
    from wpsr import translations
    from wpsr.languages import TRANSLATIONS

    root = book_root()
    if args.action == "update":
        problems = translations.update(root)
        return _report(problems, "the English pages", lambda: f"Updated the catalogs in {translations.locales(root)}/ "
                       "(new messages untranslated, changed ones fuzzy); run `wpsr translate status`.")
    if args.action == "check":
        named = [args.language, *args.files] if args.language else args.files  # check takes no language
        found = translations.check([Path(p).resolve() for p in named] or None)  # as named, from anywhere
        for problem in found:
            print(problem, file=sys.stderr)
        errors = sum(p.severity == "error" for p in found)
        print(f"Checked the catalogs: {errors} error(s), {len(found) - errors} warning(s).",
              file=sys.stderr if errors else sys.stdout)
        return 1 if errors else 0
    if args.action == "stamp":
        if args.language not in TRANSLATIONS or not args.files:
            print(f"wpsr translate stamp: name a language ({', '.join(TRANSLATIONS)}) and pages, e.g. "
                  "`wpsr translate stamp fr chapters/relationships-with-society`", file=sys.stderr)
            return 2
        done = translations.stamp(args.language, args.files)
        print(f"Stamped {len(done)} page(s) of {args.language}: {', '.join(done) or 'none'}.")
        return 0
    for line in translations.status_lines(root):
        print(line)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """Show contributions' code that is new or changed since a maintainer reviewed it; record it with --approve."""
    from wpsr.review import list_unreviewed, review

    if args.approve and not args.files:
        print("wpsr review: name the contributions to approve, e.g. `wpsr review contributions/x.md --approve`",
              file=sys.stderr)
        return 2
    if args.list or not args.files:
        return list_unreviewed()
    return review(args.files, approve=args.approve)


def cmd_new(args: argparse.Namespace) -> int:
    """Start a contribution from the template (or from an .ipynb, or a Word .docx or .odt) and list it in
    _toc.yml."""
    from wpsr.checker import Context, check
    from wpsr.template import TemplateError, create, parse_author

    try:
        if args.subtopic not in Context().subtopics:
            raise TemplateError(f"--subtopic {args.subtopic!r} is not in data/subtopics.csv — use an id such as "
                                "c1-g1-04 (the annex 'Sub-topics and contributions' lists them)")
        path, document = create(chapter=args.chapter, subtopic=args.subtopic, title=args.title, slug=args.slug,
                                authors=[parse_author(a) for a in args.author or []],
                                source=Path(args.source) if args.source else None)
    except TemplateError as err:
        print(f"wpsr new: {err}", file=sys.stderr)
        return 2
    shown = path.relative_to(book_root())
    if document is not None:  # from Word: what the import did, then what to fix, as `wpsr check` says it
        print(f"Wrote {shown} from {args.source} and listed it under chapter {args.chapter} in _toc.yml.")
        for line in document.summary():
            print(line)
        found = sorted([*document.found, *check([path])], key=lambda problem: problem.line or 0)
        for problem in found:
            print(problem, file=sys.stderr)
        errors = sum(problem.severity == "error" for problem in found)
        print(f"{errors} error(s) and {len(found) - errors} warning(s) in {shown}, each at its line (above).")
    print((f"Wrote {shown} and listed it under chapter {args.chapter} in _toc.yml. " if document is None else "")
          + "Next:\n"
          f"  1. Fill in the metadata at the top and replace every TODO (comments starting % are guidance).\n"
          f"  2. Run `wpsr check {shown}`: it lists what is still missing, with line numbers.\n"
          f"  3. Run `make html` and `make serve` to preview the page.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write a contribution as a Word file (--docx) for reviewers: title, authors, abstract, text, tables, figures
    with their descriptions, recommendations."""
    from wpsr.word import WordError, export

    try:
        path, note = export(Path(args.file), Path(args.output) if args.output else None)
    except WordError as err:
        print(f"wpsr export: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {path}." + (f" {note}" if note else ""))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Build an edition strictly and publish it into SITE/EDITION, leaving other editions untouched."""
    from wpsr.publish import publish

    publish(args.edition, Path(args.site), base_url=args.base_url, progress=lambda line: print(line, flush=True))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check every edition in SITE against its manifest (files changed, added or missing)."""
    from wpsr.publish import verify

    return _report(verify(Path(args.site)), args.site, lambda: f"{args.site}: every edition matches its manifest.")


def cmd_cff(args: argparse.Namespace) -> int:
    """Write CITATION.cff from editions.yaml."""
    from wpsr.editions import citation_cff

    path = book_root() / "CITATION.cff"
    path.write_text(citation_cff(), encoding="utf-8")
    print(f"Wrote {path}.")
    return 0


def watch(root: Path, rebuild: Callable[[], object], *, every: float = 0.1) -> None:
    """Call `rebuild` whenever a source file is saved, added or removed (until Ctrl+C)."""
    state = source_state(root)
    while True:
        time.sleep(every)
        now = source_state(root)
        if now != state:
            changed = sorted(Path(p).relative_to(root).as_posix() for p in now.keys() ^ state.keys()
                             | {p for p in now.keys() & state.keys() if now[p] != state[p]})
            print(f"\nChanged: {', '.join(changed)}", flush=True)
            state = now  # what is saved while it builds is built next
            rebuild()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the built site on http://127.0.0.1:PORT, compressed with gzip; with --watch, build a
    preview first and again after every save, and the open pages reload themselves (or show why
    the build failed)."""
    from wpsr import serving
    from wpsr.build import Settings

    root = book_root()
    site = root / "_build" / "html"
    preview = Settings(language=args.language, keep=True)  # rebuilt after a save: English, or a translation
    reloading = serving.Reloading() if args.watch else None  # open pages reload after each build
    if reloading:
        build_once(root, preview, then=reloading.built)
    if not (site / "index.html").is_file():
        print(f"{site} has no site yet — run `wpsr build` first", file=sys.stderr)
        return 1
    with serving.server(site, args.port, reloading) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        start = "" if args.language == "en" else f"{args.language}/"
        print(f"Serving {site} on http://127.0.0.1:{args.port}/{start}, compressed as a static host serves it"
              + (", rebuilt after every save" if args.watch else "") + " (Ctrl+C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            if reloading:
                watch(root, lambda: build_once(root, preview, then=reloading.built))
            else:
                threading.Event().wait()
    return 0


def cmd_derive(args: argparse.Namespace) -> int:
    """Rebuild a dataset derived from a registry package."""
    path = derive(args.name)
    print(f"Wrote {path} and recorded its provenance in data/{data.DESCRIPTOR}.")
    return cmd_validate(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wpsr", description="Tools for the WPSR living report.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help=cmd_build.__doc__)
    build.add_argument("--all", action="store_true", help="re-read every page (a clean, full build)")
    build.add_argument("--strict", action="store_true",
                       help="fail on any warning or any contribution that breaks the specification (CI, publish); "
                            "without it, a preview that shows each draft's problems on its page")
    build.add_argument("-v", "--verbose", action="store_true", help="show the whole Sphinx log")
    build.add_argument("--builder", type=builder_list, default=["html"], metavar="BUILDER[,BUILDER]",
                       help="html (the site), singlehtml (one page, which the PDF is printed from), or both, "
                            "one after the other in one process: html,singlehtml")
    build.add_argument("--edition", help="the edition to build, an id from editions.yaml (default: the newest)")
    build.add_argument("--base-url", help="the edition's address, for citations and the sitemap")
    build.add_argument("--previous-manifest", metavar="MANIFEST.json",
                       help="the previous edition's manifest, which 'What changed' compares with (`wpsr publish`)")
    build.add_argument("--language", choices=[*LANGUAGES, "all"], default="en",
                       help="the language of the pages: en (the source, at the site's root), a translation, built "
                            "into its own folder (_build/html/fr/), or all six")
    build.add_argument("--languages", help=argparse.SUPPRESS)  # the site's languages, for each of `--language all`
    build.add_argument("--site", action="store_true", help="pages of a published, versioned site, with the editions "
                       "menu (`wpsr publish`)")
    build.set_defaults(func=cmd_build)
    serve = commands.add_parser("serve", help=cmd_serve.__doc__)
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--watch", action="store_true",
                       help="build a preview first, then again after every save, in this process (seconds per edit)")
    serve.add_argument("--language", choices=list(LANGUAGES), default="en",
                       help="with --watch, the language rebuilt after every save (a catalog in locales/, say)")
    serve.set_defaults(func=cmd_serve)
    check = commands.add_parser("check", help=cmd_check.__doc__)
    check.add_argument("files", nargs="*", help="contribution files (default: every one)")
    check.set_defaults(func=cmd_check)
    review = commands.add_parser("review", help=cmd_review.__doc__)
    review.add_argument("files", nargs="*", help="contributions whose new or changed code to show "
                        "(without any: --list)")
    review.add_argument("--approve", action="store_true",
                        help="record the code shown as reviewed, in reviewed.yaml (a maintainer, having read it)")
    review.add_argument("--list", action="store_true", help="list the contributions whose code is unreviewed or "
                        "changed since its review")
    review.set_defaults(func=cmd_review)
    translate = commands.add_parser("translate", help=cmd_translate.__doc__)
    translate.add_argument("action", choices=["status", "update", "check", "stamp"],
                           help="status (default): how much of each page each language has; update: extract the "
                                "English and merge it into locales/; check: the catalogs' problems, located; "
                                "stamp LANGUAGE PAGE…: these translations are of the English as it is now")
    translate.add_argument("language", nargs="?", help="for stamp: ar, zh, fr, ru or es")
    translate.add_argument("files", nargs="*", help="for check: catalogs (default: all); for stamp: pages")
    translate.set_defaults(func=cmd_translate)
    new = commands.add_parser("new", help=cmd_new.__doc__)
    new.add_argument("--chapter", type=int, required=True, help="chapter number: 1, 2 or 3")
    new.add_argument("--subtopic", required=True, help="sub-topic id from data/subtopics.csv, e.g. c1-g1-04")
    new.add_argument("--author", action="append",
                     help='"Name; Affiliation; ISO country code[; ORCID][; email]" (repeat for co-authors; '
                          "required, except that a Word document's author is taken from its properties)")
    new.add_argument("--title", help="the contribution's title (default: the notebook's first heading, or the Word "
                                     "document's title property, or its first heading)")
    new.add_argument("--slug", help="file name without .md (default: from the title)")
    new.add_argument("--from", dest="source", metavar="FILE.ipynb|FILE.docx|FILE.odt",
                     help="convert a Jupyter notebook, keeping its cells, or a Word (or OpenDocument) document, "
                          "matching its headings to the sections (refused: tracked changes, comments, macros, "
                          "a password, 50 MB or more)")
    new.set_defaults(func=cmd_new)
    export = commands.add_parser("export", help=cmd_export.__doc__)
    export.add_argument("file", help="the contribution, e.g. contributions/x.md")
    export.add_mutually_exclusive_group(required=True).add_argument(
        "--docx", action="store_true", help="a Word file, for reviewers who comment in Word")
    export.add_argument("--output", metavar="FILE.docx", help="where to write it (default: _build/word/<slug>.docx)")
    export.set_defaults(func=cmd_export)
    publish = commands.add_parser("publish", help=cmd_publish.__doc__)
    publish.add_argument("edition", help="an edition id from editions.yaml, e.g. 2023")
    publish.add_argument("--site", required=True, help="the folder of the versioned site")
    publish.add_argument("--base-url", help="the site's address, for citations and switcher.json")
    publish.set_defaults(func=cmd_publish)
    verify = commands.add_parser("verify", help=cmd_verify.__doc__)
    verify.add_argument("--site", required=True, help="the folder of the versioned site")
    verify.set_defaults(func=cmd_verify)
    commands.add_parser("cff", help=cmd_cff.__doc__).set_defaults(func=cmd_cff)
    commands.add_parser("validate", help=cmd_validate.__doc__).set_defaults(func=cmd_validate)
    reach = commands.add_parser("reach", help=cmd_reach.__doc__)
    reach.add_argument("logs", nargs="+", help="access logs, Common or Combined Log Format, plain or .gz (whole days)")
    reach.set_defaults(func=cmd_reach)
    data_cmd = commands.add_parser("data", help="the datasets: `wpsr data status` says which are due for an update")
    data_sub = data_cmd.add_subparsers(dest="data_command", required=True)
    status = data_sub.add_parser("status", help=cmd_data_status.__doc__)
    status.add_argument("--warn", action="store_true", help="print each as a warning (make test does)")
    status.set_defaults(func=cmd_data_status)
    derive_cmd = commands.add_parser("derive", help=cmd_derive.__doc__)
    derive_cmd.add_argument("name", choices=sorted(DERIVATIONS))
    derive_cmd.set_defaults(func=cmd_derive)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, data.DataError, EditionError) as err:
        print(err, file=sys.stderr)
        return 1
    except PublishError as err:
        print(f"\nNot published: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # anything else is a bug in wpsr: one line, the traceback on request
        if os.environ.get("WPSR_DEBUG"):
            import traceback

            traceback.print_exc()
        what = " ".join(str(err).split())
        print(f"wpsr {args.command}: internal error: {type(err).__name__}{': ' + what if what else ''} — this is a "
              "bug in wpsr; please report it with the command you ran (run with WPSR_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
