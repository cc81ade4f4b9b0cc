"""The checklist and calendar annexes in the built HTML (the interaction is in test_browser)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
from pathlib import Path

import ics
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.build


def rows(name: str) -> list[dict[str, str]]:
    with open(ROOT / "data" / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_checklist_page_is_the_whole_checklist_without_javascript(site: Path) -> None:
    page = (site / "annexes" / "innovation-checklist.html").read_text(encoding="utf-8")
    items = rows("innovation_checklist.csv")
    for item in items:
        assert f'<input type="checkbox" class="wpsr-check" id="check-{item["id"]}"' in page
        assert f'<label for="check-{item["id"]}">' in page
    assert len(re.findall(r'<textarea id="notes-[^"]+"', page)) == len({i["dimension"] for i in items})
    assert re.search(r'<div class="wpsr-checklist-tools" data-storage-key="wpsr-checklist" [^>]*hidden>', page)
    assert "wpsr-checklist.js" in page and "vega" not in page


def test_the_calendar_lists_every_process_and_publishes_ics_files(site: Path) -> None:
    page = (site / "annexes" / "global-processes.html").read_text(encoding="utf-8")
    processes = rows("global_processes.csv")
    table = re.search(r'<table class="wpsr-calendar" id="calendar-table">.*?</table>', page, re.S).group(0)
    assert len(re.findall(r"<tr data-type=", table)) == len(processes)
    for row in processes:
        assert f'href="{row["url"]}"' in table
        if row["dates_confirmed"] == "true":
            assert f'href="../calendar/{row["id"]}.ics"' in table
            single = ics.Calendar((site / "calendar" / f"{row['id']}.ics").read_text())
            assert [e.begin.date().isoformat() for e in single.events] == [row["start"]]
    whole = ics.Calendar((site / "calendar" / "global-processes.ics").read_text())
    assert len(whole.events) == sum(r["dates_confirmed"] == "true" for r in processes)
    built = dt.date.fromtimestamp((site / "annexes" / "global-processes.html").stat().st_mtime)
    assert f"As of {built.day} {built:%B %Y}, the day this edition was built" in page
    undated = [row["name"] for row in processes if row["dates_confirmed"] == "false"]
    assert ("Still to be dated" in page) == bool(undated) and all(html.escape(name) in page for name in undated)
    assert '<figure class="wpsr-chart"' in page and "wpsr-filters.js" in page
