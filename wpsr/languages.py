"""The six official languages of the United Nations, in which every edition is published.

English is the source; the others are the report team's translations, kept as gettext catalogs
under ``locales/<language>/LC_MESSAGES/``.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a message for the toolkit's catalog where it is defined; it is translated where shown."""
    return message


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47, as <html lang> and hreflang take it
    name: str  # in the language itself, as the language menu shows it
    english: str  # its name in English
    direction: str = "ltr"
    numbers: str | None = None  # how its charts write numbers (a d3 format locale); None: 1,234.5


LANGUAGES = {language.code: language for language in (
    Language("ar", "العربية", N_("Arabic"), "rtl"),  # the UN's Arabic writes the digits 0-9, as English does
    Language("zh", "中文", N_("Chinese"), numbers="zh-CN"),
    Language("en", "English", N_("English")),
    Language("fr", "Français", N_("French"), numbers="fr-FR"),
    Language("ru", "Русский", N_("Russian"), numbers="ru-RU"),
    Language("es", "Español", N_("Spanish"), numbers="es-ES"),
)}  # in the order of the UN's own language menus
SOURCE = "en"
TRANSLATIONS = tuple(code for code in LANGUAGES if code != SOURCE)


def locale(code: str | None) -> str:
    """The locale dates and numbers are written in: UN English writes 2 December 2026 (en_GB)."""
    return "en_GB" if code in (None, "", SOURCE) else code
