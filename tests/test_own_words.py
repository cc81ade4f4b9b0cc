"""Our pages are in our own words: no run of 12 or more words shared with the meeting report,
outside quotation marks, titles (of the report, its chapters and sub-topics) and tables that
quote it (a resource with ``wpsr:quotes`` in the descriptor)."""

from __future__ import annotations

import csv
import functools
import json
import re

import pytest

from tests.conftest import ROOT
from wpsr.book import chapters

SOURCE = ROOT.parent / "shared" / "source" / "wpsr2023-inception-meeting-report.txt"
RUN = 12
REPORT_TITLE = "Report of the inception meeting for the World Public Sector Report 2023"
QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"|‘[^’\n]*’")
URL = re.compile(r"<?https?://\S+")

pytestmark = pytest.mark.skipif(not SOURCE.is_file(), reason=f"the meeting report is not at {SOURCE}")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower())


@functools.cache  # read once for the whole test, not once for every page and row it checks
def titles() -> list[str]:
    """What may be quoted as a title: the report's, its chapters' questions, the sub-topics of its Annex 3."""
    source = SOURCE.read_text(encoding="utf-8")
    annex = source[source.rindex("Annex 3. Sub-topics identified"):]
    pages = [(ROOT / f"{c['file']}.md").read_text(encoding="utf-8") for c in chapters()]
    questions = [re.search(r"^# (.+)$", page, re.M).group(1) for page in pages]
    return [REPORT_TITLE, *questions, *(line for line in annex.splitlines() if line.strip())]


def own(text: str) -> str:
    """The text we are answerable for: without quotations, addresses and titles."""
    text = URL.sub(" ", QUOTED.sub(" ", text))
    lowered = " ".join(words(text))
    for title in long_titles():
        lowered = lowered.replace(title, " | ")
    return lowered


@functools.cache
def long_titles() -> list[str]:
    """The titles of RUN words or more, as `own` compares them (their words, longest first)."""
    return [" ".join(words(title)) for title in sorted(titles(), key=len, reverse=True) if len(words(title)) >= RUN]


def shared_runs(text: str, source_runs: set[tuple[str, ...]]) -> list[str]:
    found, tokens, i = [], own(text).split(), 0
    while i <= len(tokens) - RUN:
        if tuple(tokens[i:i + RUN]) in source_runs:
            j = i + RUN
            while j < len(tokens) and tuple(tokens[j - RUN + 1:j + 1]) in source_runs:
                j += 1
            found.append(" ".join(tokens[i:j]))
            i = j
        else:
            i += 1
    return found


def texts() -> list[tuple[str, str]]:
    """(name, text) of every page and every dataset cell we wrote."""
    pages = [p for folder in ("chapters", "annexes", "contributions") for p in (ROOT / folder).glob("*.md")]
    pages += [p for p in ROOT.glob("*.md") if p.name != "README.md"]
    out = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted(pages)]
    descriptor = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if "wpsr:quotes" in resource:
            continue
        with (ROOT / "data" / resource["path"]).open(encoding="utf-8", newline="") as rows:
            out += [(f"data/{resource['path']}:{n}", " | ".join(row)) for n, row in enumerate(csv.reader(rows), 1)]
        out.append((f"data/datapackage.json: {resource['name']}", json.dumps(resource, ensure_ascii=False)))
    return out


def test_no_run_of_twelve_words_is_copied_from_the_meeting_report() -> None:
    source = words(SOURCE.read_text(encoding="utf-8"))
    runs = {tuple(source[i:i + RUN]) for i in range(len(source) - RUN + 1)}
    copied = [f"{name}: {run}" for name, text in texts() for run in shared_runs(text, runs)]
    assert copied == [], "in our own words, or marked as a quotation:\n" + "\n".join(copied)


def test_the_detector_finds_a_copied_sentence_and_spares_a_quoted_one() -> None:
    source = words(SOURCE.read_text(encoding="utf-8"))
    runs = {tuple(source[i:i + RUN]) for i in range(len(source) - RUN + 1)}
    sentence = " ".join(source[1000:1016])
    assert shared_runs(f"As we said, {sentence}.", runs)
    assert not shared_runs(f"As the meeting put it, “{sentence}”.", runs)
