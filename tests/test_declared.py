"""Figures and tables declared in Markdown ({wpsr-figure}), built on a small test root
(tests/roots/test-site) by sphinx.testing: drawn from the data with a description of every value
shown, the source and the data; a declaration with a problem is a located warning."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.test_checker import DECLARED
from wpsr.charts import rounded
from wpsr.data import load, package

PAGE = "team"
# The checker's declaration, with the author's sentence, and a declared table after it.
SENTENCE = "The report team's reading: the gap between regions is the chapter's point."
BARS = DECLARED.replace("\n```\n", f"\n\n{SENTENCE}\n```\n") + """
```{wpsr-figure} civic-space
:kind: table
:where: report_year = latest
:title: Civic space ratings, latest report
```
"""


def write_page(app, text: str) -> str:
    page = Path(app.srcdir) / f"{PAGE}.md"
    body = f"# A team page\n\nA page of the report team, with a figure declared in Markdown.\n\n{text}"
    page.write_text(body, encoding="utf-8")
    return body


@pytest.mark.sphinx("html", testroot="site", srcdir="declared-figures", freshenv=True)
def test_a_declared_figure_is_drawn_with_every_value_in_words_its_source_and_its_data(root_app) -> None:
    write_page(root_app, BARS)
    root_app.build()
    assert root_app._warning.getvalue() == ""
    page = html.unescape((Path(root_app.outdir) / f"{PAGE}.html").read_text(encoding="utf-8"))
    internet = load("internet-use")
    latest = internet[(internet.grouping == "ITU region") & (internet.year == internet.year.max())]
    assert len(latest) > 1
    figure = re.search(r'<figure class="wpsr-chart.*?</figure>', page, re.S)[0]
    assert "Internet use by ITU region, latest year" in figure
    for row in latest.itertuples():  # every value shown, rounded as the bars' labels round (.1f)
        assert f"{row.group}: {rounded(row.share_pct, '.1f')}%" in figure, row.group
    assert re.search(r'<img [^>]*src="[^"]+\.svg"', figure) and ".csv" in figure
    assert package().resource("internet-use").sources[0]["publisher"] in figure  # the source line
    after = page[page.index(figure) + len(figure):]
    assert after.index("the gap between regions is the chapter") < after.index("<table")  # the author's sentence
    civic = load("civic-space")
    table = re.search(r"<table.*?</table>", after, re.S)[0]
    assert "Civic space ratings, latest report" in table
    assert table.count("<tr") == 1 + (civic.report_year == civic.report_year.max()).sum()


@pytest.mark.sphinx("html", testroot="site", srcdir="declared-figure-problems", freshenv=True)
def test_a_declaration_with_a_problem_is_a_located_warning_and_shows_nothing(root_app) -> None:
    body = write_page(root_app, BARS.replace(":value: share_pct", ":value: share"))
    root_app.build()
    line = next(n for n, text in enumerate(body.splitlines(), 1) if text.startswith("```{wpsr-figure} internet-use"))
    warnings = root_app._warning.getvalue()
    assert f"{PAGE}.md:{line}: WARNING: {{wpsr-figure}} no column 'share' in internet-use — name one of:" in warnings
    page = (Path(root_app.outdir) / f"{PAGE}.html").read_text(encoding="utf-8")
    assert "wpsr-chart" not in page
