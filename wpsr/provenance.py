"""How current each dataset is: the edition of its source it was transcribed from (as of), how
often that source publishes (cadence), when the next edition is due, when the source was last
checked for it, and the day of the build.

A dataset is in one of four states on a given day (:class:`Currency`): current (no edition due
yet, or a record of one event), due (the expected day has come, less than :data:`GRACE` ago, and
nobody has checked since), overdue and unchecked (it came :data:`GRACE` ago or more), or checked
and not yet out (a check on or after the expected day found no new edition). The state depends on
the day of the build, as the calendar's "what is next" does: the same data, built on the same day
(``$SOURCE_DATE_EPOCH``), always say the same."""

from __future__ import annotations

import datetime as dt
import enum
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


# An edition expected this long ago, and not checked for since, is overdue rather than due.
GRACE = dt.timedelta(days=30)


class Currency(enum.Enum):
    """A dataset's state on a given day, as `wpsr data status` names it."""

    CURRENT = "current"
    DUE = "due"
    OVERDUE = "overdue and unchecked"
    AWAITED = "checked and not yet out"


@dataclass(frozen=True)
class Age:
    """How current a dataset is: the edition transcribed (as of), its source's cadence, the next one due,
    and the day its source was last checked for a new edition."""

    as_of: dt.date
    cadence: str
    next_release: dt.date | None
    precision: int = 3  # the as-of date is known to the year (1), the month (2) or the day (3)
    checked: dt.date | None = None

    @property
    def shown(self) -> str:
        return f"{self.as_of:{['%Y', '%B %Y', '%-d %B %Y'][self.precision - 1]}}"

    def due(self, today: dt.date) -> bool:
        return self.next_release is not None and self.next_release <= today

    def currency(self, today: dt.date) -> Currency:
        """Current, due, overdue and unchecked, or checked and not yet out, on that day."""
        if self.next_release is None or not self.due(today):
            return Currency.CURRENT
        if self.checked is not None and self.checked >= self.next_release:
            return Currency.AWAITED
        return Currency.OVERDUE if today - self.next_release >= GRACE else Currency.DUE

    def note(self, today: dt.date, language: str = "en") -> str:
        """What a reader is told beside the data once its next edition was due (empty while current),
        in the language, its dates written as the language writes them."""
        from wpsr.translations import interface

        state = self.currency(today)
        if state is Currency.CURRENT:
            return ""
        _ = interface(language)
        if state is Currency.AWAITED:
            return _("Checked on {date}: the next edition is not yet published.").format(
                date=long_date(self.checked, language))
        if self.checked is None:
            return _("A newer edition may exist: it was expected on {date}.").format(
                date=long_date(self.next_release, language))
        return _("A newer edition may exist; last checked on {date}.").format(date=long_date(self.checked, language))


def long_date(day: dt.date | None, language: str = "en") -> str:
    """A day as the language writes it in full (UN English: 2 December 2026), as the calendar does."""
    from babel.dates import format_date

    from wpsr.languages import locale

    return format_date(day, "long", locale=locale(language)) if day else ""


def age_problems(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a resource's wpsr:asOf, wpsr:cadence, wpsr:nextRelease and wpsr:checked."""
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
    return out + checked_problems(resource)


def checked_problems(resource: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a resource's wpsr:checked: the day its source was last checked for a new
    edition (required unless the dataset is a record of one event)."""
    checked = resource.get("wpsr:checked")
    if checked is None:
        return [] if resource.get("wpsr:cadence") in ("fixed", None) else [(
            "wpsr:checked is missing", "give the day, YYYY-MM-DD, the source was last checked for a new edition")]
    day = _day(checked)
    if day is None:
        return [(f"wpsr:checked {checked!r} is not a date", "write the day the source was last checked, YYYY-MM-DD")]
    if day > today():
        return [(f"wpsr:checked {checked} is after today ({today().isoformat()})",
                 "give the day the source was actually checked")]
    as_of = str(resource.get("wpsr:asOf", ""))
    published = _day((as_of + "-01-01")[:10] if len(as_of) in (4, 7) else as_of)
    if published is not None and day < published:
        return [(f"wpsr:checked {checked} is before wpsr:asOf {as_of}",
                 "a check finds at least the edition transcribed: give the day of the latest check")]
    return []


def _day(value: Any) -> dt.date | None:
    """A YYYY-MM-DD day that exists in the calendar, else None."""
    if not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
