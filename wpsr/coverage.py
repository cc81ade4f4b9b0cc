"""How far the contributions cover the sub-topics the experts proposed, chapter by chapter."""

from __future__ import annotations

import pandas as pd

from wpsr.charts import Figure, bars, figure
from wpsr.contributions import published
from wpsr.data import load


def by_chapter(answered: set[str] | None = None) -> pd.DataFrame:
    """Sub-topics per chapter, answered by at least one contribution (by default, the published ones)
    or not yet."""
    subtopics = load("subtopics")
    if answered is None:
        answered = {str(c.meta.get("subtopic")) for c in published()}
    subtopics["coverage"] = subtopics.id.isin(answered).map({True: "answered", False: "not yet answered"})
    counts = subtopics.groupby(["chapter", "coverage"]).size().rename("subtopics").reset_index()
    full = pd.MultiIndex.from_product([sorted(subtopics.chapter.unique()), ["answered", "not yet answered"]],
                                      names=["chapter", "coverage"])
    counts = counts.set_index(["chapter", "coverage"]).reindex(full, fill_value=0).reset_index()
    return counts.assign(chapter=counts.chapter.map("Chapter {}".format))


def chart(answered: set[str] | None = None) -> Figure:
    """Answered and open sub-topics, per chapter."""
    counts = by_chapter(answered)
    answered = counts[counts.coverage == "answered"].set_index("chapter").subtopics
    total = counts.groupby("chapter").subtopics.sum()
    return figure(
        bars(counts, value="subtopics", category="chapter", group="coverage", value_title="Number of sub-topics",
             number_format="d"),
        title="Sub-topics answered by a contribution, by chapter",
        description="Of the sub-topics the experts proposed, contributions answer "
        + "; ".join(f"{answered[ch]} of {total[ch]} in {ch.lower()}" for ch in total.index) + ".",
        sources="subtopics",
        name="subtopic-coverage",
    )
