"""Locale data: English date names, time-zone names and number symbols for a few locales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS_SHORT: Final = tuple(m[:3] for m in MONTHS)
#: Day names indexed as JavaScript's getDay(): 0 = Sunday ... 6 = Saturday.
DAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAYS_SHORT: Final = tuple(d[:3] for d in DAYS)
AM_PM: Final = ("AM", "PM")
ERAS: Final = ("BC", "AD")

#: Long names (`zzzz`) of common zone abbreviations, as Java (CLDR) writes them.
ZONE_LONG_NAMES: Final = {
    "UTC": "Coordinated Universal Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "IST": "Irish Standard Time",
    "WET": "Western European Standard Time",
    "WEST": "Western European Summer Time",
    "CET": "Central European Standard Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Standard Time",
    "EEST": "Eastern European Summer Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
}
#: Abbreviations that name different zones at different offsets (minutes east of UTC).
AMBIGUOUS_LONG_NAMES: Final = {
    ("IST", 60): "Irish Standard Time",
    ("IST", 120): "Israel Standard Time",
    ("IST", 330): "India Standard Time",
}
_SHORT_OFFSETS: Final = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "BST": 60, "WET": 0, "WEST": 60, "CET": 60,
    "CEST": 120, "EET": 120, "EEST": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
}  # fmt: skip
#: Offsets in minutes of the zone names `parseDateTime` understands (short and long forms).
ZONE_OFFSETS: Final = _SHORT_OFFSETS | {
    ZONE_LONG_NAMES[abbr]: minutes
    for abbr, minutes in _SHORT_OFFSETS.items()
    if abbr in ZONE_LONG_NAMES
}


@dataclass(frozen=True, slots=True)
class NumberSymbols:
    """The symbols Java's DecimalFormatSymbols gives for a locale."""

    group: str
    decimal: str
    minus: str = "-"
    percent: str = "%"
    permille: str = "\u2030"
    currency: str = "\u00a4"
    currency_code: str = "XXX"


_SYMBOLS: Final = {
    "en-US": NumberSymbols(",", ".", currency="$", currency_code="USD"),
    "en-GB": NumberSymbols(",", ".", currency="£", currency_code="GBP"),
    "en-IE": NumberSymbols(",", ".", currency="€", currency_code="EUR"),
    "nl-NL": NumberSymbols(".", ",", currency="€", currency_code="EUR"),
    "nl-BE": NumberSymbols(".", ",", currency="€", currency_code="EUR"),
    "de-DE": NumberSymbols(".", ",", currency="€", currency_code="EUR"),
    "de-CH": NumberSymbols("’", ".", currency="CHF", currency_code="CHF"),
    "fr-FR": NumberSymbols("\u202f", ",", currency="€", currency_code="EUR"),
    "es-ES": NumberSymbols(".", ",", currency="€", currency_code="EUR"),
    "it-IT": NumberSymbols(".", ",", currency="€", currency_code="EUR"),
}
_BY_LANGUAGE: Final = {
    "en": "en-US",
    "nl": "nl-NL",
    "de": "de-DE",
    "fr": "fr-FR",
    "es": "es-ES",
    "it": "it-IT",
}


def number_symbols(tag: str) -> NumberSymbols:
    """Symbols for a BCP-47 tag or Java locale name (`nl-NL`, `en_US`); a tag that is not in
    the table falls back to its language, then to en-US."""
    parts = tag.replace("_", "-").split("-")
    key = parts[0].lower() + ("-" + parts[1].upper() if len(parts) > 1 else "")
    found = _SYMBOLS.get(key) or _SYMBOLS.get(_BY_LANGUAGE.get(parts[0].lower(), ""))
    return found or _SYMBOLS["en-US"]
