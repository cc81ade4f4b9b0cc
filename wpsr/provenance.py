"""How current each dataset is: the edition of its source it was transcribed from (as of), how
often that source publishes (cadence), when the next edition is due, and the day of the build."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any


def today() -> dt.date:
    """The day of the check or build: $SOURCE_DATE_EPOCH (for reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date() if epoch else dt.date.today()


CADENCES = {  # wpsr:cadence: how often a dataset's source publishes a new edition
    "annual": "every year", "biennial": "every two years", "irregular": "when the source changes",
    "fixed": "never: a record of one event",
}


@dataclass(frozen=True)
class Age:
    """How current a dataset is: the edition transcribed (as of), its source's cadence, the next one due."""

    as_of: dt.date
    cadence: str
    next_release: dt.date | None
    precision: int = 3  # the as-of date is known to the year (1), the month (2) or the day (3)

    @property
    def shown(self) -> str:
        return f"{self.as_of:{['%Y', '%B %Y', '%-d %B %Y'][self.precision - 1]}}"

    def due(self, today: dt.date) -> bool:
        return self.next_release is not None and self.next_release <= today


def age_problems(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a resource's wpsr:asOf, wpsr:cadence and wpsr:nextRelease."""
    out = []
    cadence = resource.get("wpsr:cadence")
    if cadence not in CADENCES:
        out.append((f"wpsr:cadence is {cadence!r}", f"say how often the source publishes: {', '.join(CADENCES)}"))
    for key in ("wpsr:asOf", "wpsr:nextRelease"):
        value = resource.get(key)
        if value is None and (key == "wpsr:asOf" or cadence not in ("fixed", None)):
            out.append((f"{key} is missing", "give a date, YYYY-MM-DD: when the data transcribed was published"
                        if key == "wpsr:asOf" else "give the date, YYYY-MM-DD, the next edition is expected"))
        elif key == "wpsr:asOf" and not (isinstance(value, str) and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value)):
            out.append((f"{key} {value!r} is not a date", "write it YYYY-MM-DD (or YYYY-MM, or YYYY, as far as known)"))
        elif key != "wpsr:asOf" and value is not None and not (isinstance(value, str)
                                                             and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
            out.append((f"{key} {value!r} is not a date", "write it YYYY-MM-DD"))
    if cadence == "fixed" and resource.get("wpsr:nextRelease"):
        out.append(("a fixed dataset has a wpsr:nextRelease", "remove it, or give the cadence of its source"))
    return out
