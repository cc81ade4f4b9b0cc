"""What the inception meeting said about each chapter: its sub-topics and cited examples."""

from __future__ import annotations

from wpsr.charts import Figure, bars, figure
from wpsr.data import load
from wpsr.tables import Table, table


def subtopic_themes(chapter: int) -> Figure:
    """A chart of the sub-topics the experts proposed for a chapter, counted by theme."""
    subtopics = load("subtopics")
    themes = subtopics[subtopics.chapter == chapter].value_counts("theme").rename("subtopics").reset_index()
    return figure(
        bars(themes, value="subtopics", category="theme", value_title="Number of sub-topics",
             number_format="d"),
        title=f"Sub-topics proposed for chapter {chapter}, by theme",
        description=f"The experts proposed {themes.subtopics.sum()} sub-topics for this chapter. By theme: "
        + "; ".join(f"{t.theme} {t.subtopics}" for t in themes.itertuples()) + ".",
        sources="subtopics",
        name=f"chapter-{chapter}-subtopic-themes",
    )


def examples(chapter: int) -> Table:
    """A table of the examples the meeting cited in its discussion of a chapter."""
    cited = load("meeting-examples")
    cited = cited[cited.chapter == chapter][["place", "example"]]
    return table(cited.rename(columns=str.capitalize),
                 caption=f"Examples cited at the inception meeting for chapter {chapter}",
                 sources="meeting-examples", name=f"chapter-{chapter}-examples")
