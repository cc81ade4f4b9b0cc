"""Reach, from the static host's access logs, without tracking anyone: ``wpsr reach LOG...``.

The logs (Common or Combined Log Format, plain or gzipped) are read by DuckDB, an embedded
analytical engine that streams them, so a busy year of logs fits on one machine. Only counts
leave this module: page views per day, edition and page, and downloads per day, edition and
kind of file. No IP address, user agent or time of day is ever written. Requests from crawlers
(recognized by ``crawlerdetect``, a maintained list) are dropped and counted; lines that are not
in either log format are counted and skipped, and so are lines that cannot be read at all (not
UTF-8, or longer than ``MAX_LINE_BYTES``): one bad line never stops an import.

No country is recorded: no IP-to-country database under an open licence ships in a registry
package the project uses, so the reach data say nothing about where readers are.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wpsr.book import book_root
from wpsr.editions import EDITION_ID
from wpsr.schema import cell_text

if TYPE_CHECKING:
    import duckdb

REACH_DIR = Path("data") / "reach"
RESOURCES = {"reach-pageviews": "pageviews.csv", "reach-downloads": "downloads.csv"}  # in data/reach/
DOWNLOAD_KINDS = {".pdf": "PDF", ".zip": "data bundle", ".csv": "CSV", ".ics": "calendar (.ics)",
                  ".ipynb": "notebook (.ipynb)"}
# A line longer than this is no request (a log line is a few hundred bytes): skipped and counted.
MAX_LINE_BYTES = 64 * 1024
UNREADABLE = {"INVALID ENCODING": "not UTF-8 text",  # DuckDB's error types for the lines it skipped
              "LINE SIZE OVER MAXIMUM": f"longer than {MAX_LINE_BYTES // 1024} KiB"}
# host ident user [day/month/year:hh:mm:ss zone] "METHOD path protocol" status bytes ["referrer" "agent"]
LOG_LINE = (r'^(\S+) \S+ \S+ \[(\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] '
            r'"([A-Z]+) (\S+)(?: [^"]*)?" (\d{3}) (\S+)(?: "[^"]*" "([^"]*)")?\s*$')


@dataclass(frozen=True)
class Import:
    """What one import read, kept and dropped."""

    lines: int
    malformed: int
    bots: int
    views: int
    downloads: int
    days: tuple[dt.date, ...]
    skipped: tuple[tuple[str, int, str], ...] = ()  # lines that could not be read: (why, how many, the first)


def _connect() -> duckdb.DuckDBPyConnection:
    import duckdb

    return duckdb.connect(config={"threads": 2})


def read(logs: list[Path]) -> duckdb.DuckDBPyConnection:
    """A connection with the logs' requests as a view (`requests`), parsed as DuckDB streams them:
    host, time (read only to find the day in UTC), method, path, status, size, agent, and whether
    the line is in either log format at all. Nothing is held in memory but the counts. Lines that
    cannot be read (not UTF-8, longer than MAX_LINE_BYTES) are skipped into DuckDB's reject_errors."""
    con = _connect()
    files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in logs)
    con.execute(f"""
        CREATE TEMP VIEW requests AS
        SELECT regexp_matches(line, '{LOG_LINE}') AS ok,
               regexp_extract(line, '{LOG_LINE}', ['host', 'time', 'zone', 'method', 'path', 'status', 'size',
                                                   'agent']) AS f
        FROM read_csv([{files}], columns = {{'line': 'VARCHAR'}}, header = false, delim = '\x01', quote = '',
                      escape = '', auto_detect = false, compression = 'auto', null_padding = true,
                      strict_mode = false, ignore_errors = true, store_rejects = true,
                      max_line_size = {MAX_LINE_BYTES + 1})  -- DuckDB counts the line break before a line
        WHERE line IS NOT NULL AND trim(line) <> ''
    """)
    return con


def aggregate(logs: list[Path]) -> tuple[list[tuple], list[tuple], Import]:
    """Count page views and downloads in the logs, in two streaming passes (the distinct user
    agents, then the counts); drop crawlers and malformed lines."""
    from crawlerdetect import CrawlerDetect

    con = read(logs)
    agents = [a for (a,) in con.execute("SELECT DISTINCT f.agent FROM requests WHERE ok").fetchall()]
    unreadable = con.execute("""  -- after the first pass only: each later pass records the same lines again
        SELECT e.error_type::VARCHAR, count(*), arg_min(s.file_path || ':' || e.line, [e.file_id, e.line])
        FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) GROUP BY ALL ORDER BY 1
    """).fetchall()
    skipped = tuple((UNREADABLE.get(kind, f"unreadable ({kind.lower()})"), count, first)
                    for kind, count, first in unreadable)
    detector = CrawlerDetect()
    crawlers = [a for a in agents if a and a.strip() not in ("", "-") and detector.isCrawler(a)]  # Common: none
    con.execute("CREATE TEMP TABLE crawlers (agent VARCHAR PRIMARY KEY)")
    if crawlers:
        con.executemany("INSERT INTO crawlers VALUES (?)", [[a] for a in crawlers])
    rows = con.execute("""
        SELECT ok, bot, day, method, path, status, count(*) FROM (
            SELECT ok, ok AND f.agent IN (SELECT agent FROM crawlers) AS bot,
                   CASE WHEN ok THEN CAST(timezone('UTC', strptime(f.time || ' ' || f.zone, '%d/%b/%Y:%H:%M:%S %z'))
                                          AS DATE) END AS day,
                   f.method AS method, split_part(split_part(f.path, '?', 1), '#', 1) AS path,
                   TRY_CAST(f.status AS INTEGER) AS status
            FROM requests)
        GROUP BY ALL
    """).fetchall()
    views: dict[tuple, int] = {}
    downloads: dict[tuple, int] = {}
    total = malformed = bots = 0
    for ok, bot, day, method, path, status, count in rows:
        total += count
        if not ok:
            malformed += count
            continue
        if bot:
            bots += count
            continue
        if method not in ("GET", "HEAD") or status not in (200, 206, 304):
            continue
        edition, page = split_path(path)
        suffix = Path(page).suffix.lower()
        if suffix in DOWNLOAD_KINDS:
            key = (day, edition, DOWNLOAD_KINDS[suffix])
            downloads[key] = downloads.get(key, 0) + count
        elif suffix in (".html", ""):
            key = (day, edition, page if suffix else f"{page.rstrip('/')}/index.html".lstrip("/"))
            views[key] = views.get(key, 0) + count
    days = tuple(sorted({key[0] for key in [*views, *downloads]}))
    summary = Import(total + sum(count for _, count, _ in skipped), malformed, bots, sum(views.values()),
                     sum(downloads.values()), days, skipped)
    return (sorted((*k, v) for k, v in views.items()), sorted((*k, v) for k, v in downloads.items()), summary)


def split_path(path: str) -> tuple[str, str]:
    """(edition, page within it) of a requested path: /2024.1/chapters/x.html -> (2024.1, chapters/x.html).
    Paths outside an edition (the site's root, latest/) belong to 'site'."""
    parts = path.lstrip("/").split("/", 1)
    if parts and EDITION_ID.fullmatch(parts[0]):
        return parts[0], parts[1] if len(parts) > 1 else ""
    return "site", path.lstrip("/")


def write(logs: list[Path], root: Path | None = None) -> Import:
    """Add the logs' counts to data/reach/, replacing the days the logs cover (give whole days). The files
    are read and written through their resources (the book's data package): a file that breaks its schema
    stops the import (DataError, located) before anything is written."""
    from wpsr.data import DESCRIPTOR, DataPackage

    book = root or book_root()
    folder = book / REACH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    views, downloads, summary = aggregate(logs)
    described = book / "data" / DESCRIPTOR  # else (a bare folder) the schema of this book's reach files
    source = DataPackage.read(described.parent if described.is_file() else None)
    resources = [source.resource(name).at(folder / file) for name, file in RESOURCES.items()]
    kept = [[list(row.values()) for row in r.records()] if r.path.is_file() else [] for r in resources]
    for resource, old, new in zip(resources, kept, (views, downloads), strict=True):
        rows = [r for r in old if r[0] not in summary.days] + [list(r) for r in new]
        with resource.path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([f.name for f in resource.fields])
            writer.writerows([cell_text(v) for v in r] for r in sorted(rows, key=lambda r: tuple(r[:3])))
    return summary


# --- the "Reach and take-up" annex: every figure computed from data/reach/ and data/uptake.csv ---

NO_REACH = ("There is no reach data yet: no access logs have been imported with `wpsr reach`. "
            "Nothing is shown rather than zeros that were never measured.")


def _note(text: str) -> object:
    from wpsr.tables import note

    return note(text)


def _by_month(resource: str, value: str, label: str, empty: str, breakdown: str | None = None) -> object:
    """A count per month and edition from data/reach/, as a chart (`breakdown`: a column whose
    totals the description adds), or the note `empty` while nothing has been counted."""
    from wpsr.charts import bars, figure
    from wpsr.data import load

    counts = load(resource)
    if counts.empty:
        return _note(empty)
    counts = counts.assign(month=counts.date.dt.strftime("%Y-%m"))
    monthly = counts.groupby(["month", "edition"], as_index=False)[value].sum()
    extra = ("; by " + breakdown + ": " + "; ".join(f"{k} {v:,}" for k, v in counts.groupby(breakdown)[value]
                                                      .sum().items())) if breakdown else ""
    return figure(bars(monthly, value=value, category="month", group="edition", value_title=label,
                       number_format=",d"),
                  title=f"{label} per month, by edition",
                  description=f"{label} counted from the host's logs, crawlers excluded: "
                  + "; ".join(f"{r.month}, edition {r.edition}: {getattr(r, value):,}" for r in monthly.itertuples())
                  + extra + ".", sources=resource, name=f"{value}-by-month")


def views_by_month() -> object:
    """Page views per month and edition, or a note that there are none yet."""
    return _by_month("reach-pageviews", "views", "Page views", NO_REACH)


def downloads_by_month() -> object:
    """Downloads per month and edition (every kind of file), or a note that there are none yet."""
    return _by_month("reach-downloads", "downloads", "Downloads",
                     "There are no download counts yet: they come with the first import of access logs.",
                     breakdown="kind")


def most_read(count: int = 10) -> object:
    """The most read pages over all days, or a note that there is no reach data yet."""
    from wpsr.data import load
    from wpsr.tables import table

    views = load("reach-pageviews")
    if views.empty:
        return _note("The most read pages will be listed here once logs are imported.")
    top = (views.groupby(["edition", "page"], as_index=False).views.sum()
           .sort_values(["views", "edition", "page"], ascending=[False, True, True]).head(count))
    return table(top.rename(columns={"edition": "Edition", "page": "Page", "views": "Views"}),
                 caption=f"The {len(top)} most read pages", sources="reach-pageviews", name="most-read")


def uptake_by_year() -> object:
    """Take-up records per year and type, or a note that none has been verified yet."""
    from wpsr.charts import bars, figure
    from wpsr.data import load

    records = load("uptake")
    if records.empty:
        return _note("No record of take-up has been verified yet.")
    counts = records.assign(year=records.date.dt.year.astype(str)).groupby(["year", "type"], as_index=False).size()
    return figure(bars(counts.rename(columns={"size": "records"}), value="records", category="year", group="type",
                       value_title="Records of take-up", number_format="d"),
                  title="Take-up of the report, by year and type of record",
                  description="Records of take-up checked against their pages: "
                  + "; ".join(f"{r.year}, {r.type}: {r.size}" for r in counts.itertuples()) + ".",
                  sources="uptake", name="uptake-by-year")


WORLD_ATLAS = Path("node_modules") / "world-atlas"  # npm world-atlas 2.0.2 (ISC): Natural Earth, 1:110m


def _countries(topology: dict, ids: set[str]) -> list[dict]:
    """The countries with these ISO numeric ids, decoded from TopoJSON into GeoJSON features (the
    page then carries only their shapes, not every country's)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append([round(x * sx + tx, 3), round(y * sy + ty, 3)])
        arcs.append(points)

    def ring(indices: list[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in indices:
            points = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(points if not out else points[1:])
        return out

    features = []
    for g in topology["objects"]["countries"]["geometries"]:
        if g.get("id") in ids:
            coordinates = ([ring(r) for r in g["arcs"]] if g["type"] == "Polygon"
                           else [[ring(r) for r in polygon] for polygon in g["arcs"]])
            features.append({"type": "Feature", "id": g["id"], "properties": {},
                             "geometry": {"type": g["type"], "coordinates": coordinates}})
    return features


def uptake_map() -> object:
    """Records of take-up by the country of the organization on a world map (world-atlas, carried in
    the page: nothing is fetched), or a note that no record gives a country yet."""
    import json

    import altair as alt
    import pandas as pd
    import pycountry

    from wpsr.charts import figure
    from wpsr.data import load

    records = load("uptake")
    counts = records.dropna(subset=["country"]).groupby("country", as_index=False).size()
    if counts.empty:
        return _note("No record of take-up gives the country of its organization yet, so there is no map.")
    counts["id"] = counts.country.map(lambda code: pycountry.countries.get(alpha_3=code).numeric)
    counts["name"] = counts.country.map(lambda code: pycountry.countries.get(alpha_3=code).name)
    atlas = book_root() / WORLD_ATLAS
    land = json.loads((atlas / "land-110m.json").read_text(encoding="utf-8"))
    shapes = _countries(json.loads((atlas / "countries-110m.json").read_text(encoding="utf-8")), set(counts.id))
    base = alt.Chart(alt.Data(values=land, format=alt.DataFormat(type="topojson", feature="land"))).mark_geoshape(
        fill="#e4e7eb", stroke="#ffffff", strokeWidth=0.5)
    marked = alt.Chart(alt.Data(values=shapes)).mark_geoshape(stroke="#1f2933", strokeWidth=0.5).encode(
        color=alt.Color("records:Q", title="Records", scale=alt.Scale(scheme="blues", domainMin=0)),
        tooltip=[alt.Tooltip("name:N", title="Country"), alt.Tooltip("records:Q", title="Records")],
    ).transform_lookup(lookup="id", from_=alt.LookupData(pd.DataFrame(
        {"id": counts.id, "records": counts["size"], "name": counts.name}), "id", ["records", "name"]))
    table = counts.rename(columns={"size": "records"})[["country", "name", "records"]]
    chart = alt.layer(base, marked, data=table).project("equalEarth").properties(width=620, height=320)  # the CSV
    return figure(chart, title="Records of take-up by country of the organization",
                  description="Records of take-up by the country of the organization: "
                  + "; ".join(f"{r.name}: {r.size}" for r in counts.itertuples())
                  + ". International organizations are not on the map.", sources="uptake", name="uptake-map",
                  interactive=False)  # the shapes would weigh the page twice: the image and the table say it all
