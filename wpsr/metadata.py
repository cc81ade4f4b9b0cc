"""A contribution's front matter against the specification's ``fields``: types, codes (SDGs,
countries, ORCID iDs, sub-topics), lengths, markup and invisible characters."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wpsr.body import count_words
from wpsr.book import WEB_ADDRESS
from wpsr.contributions import NOTEBOOK_KEYS, Contribution, specification
from wpsr.safety import invisible_characters

if TYPE_CHECKING:
    from wpsr.checker import Context

ORCID = re.compile(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Markup in a metadata value, which is shown as typed: HTML tags or entities, MyST roles,
# Markdown links and code.
MARKUP = re.compile(r"<[a-z/!?][^>]*>|&#?\w+;|\{[\w:-]+\}`|\]\(|`", re.I)


class MetadataRules:
    """Front matter against the specification's ``fields``."""

    def __init__(self, contribution: Contribution, context: Context, report: Callable[..., None]):
        self.c = contribution
        self.context = context
        self.report = report

    def check(self) -> None:
        fields = specification()["fields"]
        self.check_object(self.c.meta, fields, ())
        known = set(fields) | set(NOTEBOOK_KEYS)
        for key in self.c.meta:
            if key not in known:
                close = difflib.get_close_matches(str(key), list(fields), n=1)
                self.report(self.c.line(key), f"unknown field '{key}' (the build ignores it)",
                            f"did you mean '{close[0]}'?" if close else "remove it; a contribution's front matter "
                            "holds only the specification's fields (`wpsr new` writes them)")

    def check_object(self, value: dict, fields: dict[str, Any], path: tuple) -> None:
        for name, rule in fields.items():
            where = ".".join(map(str, (*path, name)))
            if name not in value or value[name] is None or value[name] == "":
                if rule.get("required"):
                    self.report(self.c.line(*path), f"missing field '{where}'",
                                f"add `{name}:` with {rule['help']}")
                continue
            self.check_value(value[name], rule, (*path, name))

    def check_value(self, value: Any, rule: dict[str, Any], path: tuple) -> None:
        where = ".".join(map(str, path))
        line = self.c.line(*path)
        kind = rule["type"]

        def bad(what: str) -> None:
            self.report(line, f"'{where}' {what}", f"it should be {rule['help']}" if "help" in rule else
                        "see the specification", soft=" words" in what)  # length: a draft may be short

        if kind == "list":
            if not isinstance(value, list):
                return bad("is not a list")
            if len(value) < rule.get("min_items", 0):
                return bad(f"has {len(value)} item(s), fewer than {rule['min_items']}")
            if len(value) > rule.get("max_items", len(value)):
                return bad(f"has {len(value)} items, more than {rule['max_items']}")
            for index, item in enumerate(value):
                self.check_value(item, {**rule["items"], "help": rule["items"].get("help", rule.get("help"))},
                                 (*path, index))
            return None
        if kind == "object":
            if not isinstance(value, dict):
                return bad("is not a set of `key: value` fields")
            self.check_object(value, rule["fields"], path)
            for key in value:
                if key not in rule["fields"]:
                    self.report(self.c.line(*path, key), f"unknown field '{where}.{key}'",
                                "known fields here: " + ", ".join(rule["fields"]))
            return None
        check = getattr(self, f"is_{kind}")
        problem = check(value, rule)
        if problem:
            bad(problem)
        return None

    def is_string(self, value: Any, rule: dict) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return "is not text"
        if hidden := invisible_characters(value):
            position, name = hidden[0]
            return (f"holds an invisible character, {name}, at character {position}: it can make text read "
                    "differently from how it is stored; delete it")
        if markup := MARKUP.search(value):
            return (f"holds markup ({markup.group(0)!r}): metadata is plain text, shown as typed; "
                    "remove the markup")
        if len(value) > rule.get("max_length", len(value)):
            return f"is {len(value)} characters long, more than {rule['max_length']}"
        words = count_words(value)
        if words < rule.get("min_words", 0):
            return f"has {words} words, fewer than {rule['min_words']}"
        if words > rule.get("max_words", words):
            return f"has {words} words, more than {rule['max_words']}"
        return None

    def is_country(self, value: Any, rule: dict) -> str | None:
        if str(value).upper() in self.context.countries and str(value) == str(value).upper():
            return None
        close = difflib.get_close_matches(str(value).upper(), sorted(self.context.countries), n=1)
        return f"is not an ISO 3166-1 alpha-3 country code ({value!r})" + (f"; did you mean {close[0]}?"
                                                                             if close else "")

    def is_sdg(self, value: Any, rule: dict) -> str | None:
        goals = specification()["sdgs"]
        return None if type(value) is int and value in goals else f"is not an SDG number from 1 to 17 ({value!r})"

    def is_chapter(self, value: Any, rule: dict) -> str | None:
        numbers = [c["number"] for c in self.context.chapters]
        return None if type(value) is int and value in numbers else f"is not a chapter number ({value!r})"

    def is_status(self, value: Any, rule: dict) -> str | None:
        statuses = specification()["statuses"]
        return None if value in statuses else f"is {value!r}, not one of: {', '.join(statuses)}"

    def is_year(self, value: Any, rule: dict) -> str | None:
        return None if type(value) is int and 1900 <= value <= 2100 else f"is not a four-digit year ({value!r})"

    def is_url(self, value: Any, rule: dict) -> str | None:
        return None if isinstance(value, str) and WEB_ADDRESS.fullmatch(value) else f"is not a web address ({value!r})"

    def is_email(self, value: Any, rule: dict) -> str | None:
        return None if isinstance(value, str) and EMAIL.fullmatch(value) else f"is not an email address ({value!r})"

    def is_orcid(self, value: Any, rule: dict) -> str | None:
        text = str(value).removeprefix("https://orcid.org/")
        if not ORCID.fullmatch(text):
            return f"is not an ORCID iD of the form 0000-0000-0000-0000 ({value!r})"
        total = 0
        for digit in text.replace("-", "")[:-1]:
            total = (total + int(digit)) * 2
        check = (12 - total % 11) % 11
        return None if text[-1] == ("X" if check == 10 else str(check)) else f"has a wrong check digit ({value!r})"

    def is_language(self, value: Any, rule: dict) -> str | None:
        from wpsr.languages import LANGUAGES

        return None if value in LANGUAGES else f"is not one of the report's languages ({value!r})"

    def is_contribution(self, value: Any, rule: dict) -> str | None:
        from wpsr.contributions import FOLDER, files, read

        found = next((p for p in files() if p.suffix == ".md" and p.stem == str(value)), None)
        if found is None:
            close = difflib.get_close_matches(str(value), [p.stem for p in files() if p.stem != self.c.slug], n=1)
            return f"names no contribution in {FOLDER}/ ({value!r})" + (f"; did you mean {close[0]}?" if close else "")
        if found.stem == self.c.slug:
            return "names this contribution itself"
        original, _ = read(found)
        if original is not None and original.language == self.c.language:
            return f"names a contribution written in the same language ({self.c.language})"
        return None

    def is_subtopic(self, value: Any, rule: dict) -> str | None:
        row = self.context.subtopics.get(str(value))
        if row is None:
            close = difflib.get_close_matches(str(value), list(self.context.subtopics), n=1)
            return f"names no sub-topic in data/subtopics.csv ({value!r})" + (f"; did you mean {close[0]}?"
                                                                               if close else "")
        chapter = self.c.meta.get("chapter")
        if isinstance(chapter, int) and int(row["chapter"]) != chapter:
            return f"is a sub-topic of chapter {row['chapter']}, not of chapter {chapter}"
        return None
