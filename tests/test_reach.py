"""Reach from access logs (counts only, crawlers and malformed lines dropped) and the take-up register."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_book
from wpsr.reach import aggregate, split_path, write

PHONE = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
LINES = [
    # combined format, a reader in UTC-7 late on 10 July: 11 July in UTC
    f'203.0.113.5 - - [10/Jul/2026:23:55:36 -0700] "GET /2023/index.html HTTP/1.1" 200 2326 "-" "{PHONE}"',
    # IPv6, a query string, HTTP/2
    f'2001:db8::1 - - [11/Jul/2026:08:00:00 +0000] "GET /2023/chapters/x.html?s=1 HTTP/2.0" 200 5000 "-" "{PHONE}"',
    # a crawler
    f'66.249.66.1 - - [11/Jul/2026:08:01:00 +0000] "GET /2023/index.html HTTP/1.1" 200 2326 "-" "{BOT}"',
    # common format (no agent): a PDF download
    '198.51.100.7 - alice [11/Jul/2026:09:00:00 +0000] "GET /2023/bundle/wpsr-2023.pdf HTTP/1.1" 200 999999',
    # not a log line
    "this line is not a log line",
    # not found, and a POST: not counted
    f'198.51.100.9 - - [11/Jul/2026:10:00:00 +0000] "GET /2023/missing.html HTTP/1.1" 404 100 "-" "{PHONE}"',
    f'198.51.100.9 - - [11/Jul/2026:10:00:01 +0000] "POST /2023/index.html HTTP/1.1" 200 100 "-" "{PHONE}"',
    # a directory (the edition's home), a CSV and a calendar, another day and edition
    f'198.51.100.10 - - [12/Jul/2026:10:00:00 +0000] "GET /2024.1/ HTTP/1.1" 304 0 "-" "{PHONE}"',
    f'198.51.100.10 - - [12/Jul/2026:10:01:00 +0000] "GET /2024.1/data/internet_use.csv HTTP/1.1" 200 9 "-" "{PHONE}"',
    f'198.51.100.10 - - [12/Jul/2026:10:02:00 +0000] "GET /2024.1/calendar/hlpf-2026.ics HTTP/1.1" 200 9 "-" "{PHONE}"',
    # a truncated line
    '198.51.100.11 - - [12/Jul/2026:10:03:00 +0000] "GET /2023/index.html',
]
JULY_11, JULY_12 = dt.date(2026, 7, 11), dt.date(2026, 7, 12)


@pytest.fixture
def logs(tmp_path: Path) -> list[Path]:
    plain = tmp_path / "access.log"
    plain.write_text("\n".join(LINES[:6]) + "\n")
    zipped = tmp_path / "access.log.1.gz"
    with gzip.open(zipped, "wt") as out:
        out.write("\n".join(LINES[6:]) + "\n")
    return [plain, zipped]


def test_counts_worked_out_by_hand(logs: list[Path]) -> None:
    views, downloads, summary = aggregate(logs)
    assert views == [(JULY_11, "2023", "chapters/x.html", 1), (JULY_11, "2023", "index.html", 1),
                     (JULY_12, "2024.1", "index.html", 1)]
    assert downloads == [(JULY_11, "2023", "PDF", 1), (JULY_12, "2024.1", "CSV", 1),
                         (JULY_12, "2024.1", "calendar (.ics)", 1)]
    assert (summary.lines, summary.malformed, summary.bots) == (11, 2, 1)
    assert (summary.views, summary.downloads, summary.days) == (3, 3, (JULY_11, JULY_12))


def test_paths_belong_to_their_edition() -> None:
    assert split_path("/2024.1/chapters/x.html") == ("2024.1", "chapters/x.html")
    assert split_path("/latest/index.html") == ("site", "latest/index.html")
    assert split_path("/index.html") == ("site", "index.html")


def test_an_import_replaces_the_days_it_covers_and_keeps_the_others(logs: list[Path], tmp_path: Path) -> None:
    write(logs, tmp_path)
    first = (tmp_path / "data" / "reach" / "pageviews.csv").read_text()
    assert first.splitlines()[0] == "date,edition,page,views" and "2026-07-12,2024.1,index.html,1" in first
    later = tmp_path / "later.log"
    later.write_text(LINES[0].replace("10/Jul/2026:23:55:36 -0700", "12/Jul/2026:11:00:00 +0000") + "\n")
    write([later], tmp_path)
    views = (tmp_path / "data" / "reach" / "pageviews.csv").read_text().splitlines()
    assert "2026-07-11,2023,index.html,1" in views  # another day: kept
    assert "2026-07-12,2023,index.html,1" in views and "2026-07-12,2024.1,index.html,1" not in views  # replaced
    downloads = (tmp_path / "data" / "reach" / "downloads.csv").read_text()
    assert "2026-07-12" not in downloads and "2026-07-11,2023,PDF,1" in downloads


def test_nothing_identifying_is_written(logs: list[Path], tmp_path: Path) -> None:
    write(logs, tmp_path)
    for path in (tmp_path / "data" / "reach").glob("*.csv"):
        text = path.read_text()
        assert not re.search(r"\d+\.\d+\.\d+\.\d+|2001:db8|Mozilla|Googlebot|alice|:\d\d:\d\d", text), path


@pytest.mark.build
def test_no_ip_address_or_user_agent_in_the_data_or_the_site(site: Path) -> None:
    ip = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
    for folder in (ROOT / "data", site / "data"):
        for path in folder.rglob("*.csv"):
            text = path.read_text(encoding="utf-8")
            assert not ip.search(text) and "Mozilla/" not in text, path


def test_the_command_reports_what_it_dropped(logs: list[Path], tmp_path: Path, wpsr) -> None:
    book = copy_book(tmp_path / "book")
    result = wpsr(book, "reach", *map(str, logs))
    assert result.returncode == 0, result.stderr
    assert "Dropped 1 requests from crawlers and 2 lines in neither log format" in result.stdout
    assert wpsr(book, "reach", str(tmp_path / "nowhere.log")).returncode == 1


UPTAKE = "date,type,organization,country,title,url,note,took_up,checked\n"


@pytest.mark.parametrize(("row", "message"), [
    ("2024-03-01,news,UN DESA,,A title,,,,2026-11-28", "url: a value is required here"),
    ("2024-03-01,news,UN DESA,,A title,ftp://x,,,2026-11-28", "url: 'ftp://x' does not match the pattern"),
    ("2099-03-01,news,UN DESA,,A title,https://x.org,,,2026-11-28", "date: 2099-03-01 is in the future"),
    ("2024-03-01,gossip,UN DESA,,A title,https://x.org,,,2026-11-28", "type: 'gossip' is not an allowed value"),
    ("2024-03-01,news,UN DESA,Kenya,A title,https://x.org,,,2026-11-28", "country: 'Kenya' does not match"),
])
def test_the_take_up_rules(tmp_path: Path, row: str, message: str, wpsr) -> None:
    book = copy_book(tmp_path / "book")
    (book / "data" / "uptake.csv").write_text(UPTAKE + row + "\n")
    result = wpsr(book, "validate")
    assert result.returncode == 1
    assert f"data/uptake.csv:2: {message}" in result.stderr and " — " in result.stderr
