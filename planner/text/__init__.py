"""Every sentence, amount, percentage and date a person reads, in one language at a time.

The reports, the workbook and the command line format through this module only, so a figure
reads the same everywhere: ``0.255`` is ``26%`` in a sentence, in a table cell and in Excel.

- Sentences are looked up in a gettext catalogue: English is written in the code, every other
  language is one file, ``planner/text/locales/<lang>.po``, read at run time (no compiled
  ``.mo`` to keep in step). A message missing from a catalogue falls back to English.
- Amounts, numbers and dates are formatted by Babel for the language's locale
  (``1 234,56 $US`` and ``21 avr. 2027`` in French, ``$1,234.56`` and ``21 Apr 2027`` in
  English).

The language is set per run (:func:`set_language`, or the :func:`language` context manager)
and read by every function here.

>>> with language("fr"):
...     money(1234.56, "USD", 2), percent(0.255), date("2027-04-21")
('1\u202f234,56\xa0$US', '26\xa0%', '21 avr. 2027')
>>> money(1234.56, "USD", 2), percent(0.255), percent(0.0045), date("2027-04-21")
('$1,234.56', '26%', '0.4%', '21 Apr 2027')
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import gettext as _gettext
import io
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from planner.errors import InputError
from planner.money import units
from planner.shares import exact as _exact
from planner.shares import missing as _missing
from planner.shares import percent_decimals as percent_decimals
from planner.shares import rounded_share as rounded_share

#: the language written in the code
DEFAULT_LANGUAGE = "en"

_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar(
    "planner_language", default=DEFAULT_LANGUAGE
)

#: shown for a missing value (None, NaN)
MISSING = "–"


# --------------------------------------------------------------------------- languages


def _locales_dir():
    return resources.files("planner.text") / "locales"


def available() -> tuple[str, ...]:
    """Languages the reports can be written in: English and one per catalogue file."""
    found = sorted(
        p.name[: -len(".po")] for p in _locales_dir().iterdir() if p.name.endswith(".po")
    )
    return (DEFAULT_LANGUAGE, *(lang for lang in found if lang != DEFAULT_LANGUAGE))


def check_language(lang: Any) -> str:
    """``lang`` as a known language code (``"fr"``, ``"FR"`` -> ``"fr"``).

    Raises
    ------
    InputError
        Not a language with a catalogue.
    """
    code = str(lang or DEFAULT_LANGUAGE).strip().lower().replace("-", "_")
    langs = available()
    if code not in langs:
        raise InputError(
            "lang: {lang!r} is not available; choose one of {langs}",
            lang=lang,
            langs=", ".join(langs),
        )
    return code


def set_language(lang: Any) -> None:
    """Make ``lang`` the language of everything formatted from now on."""
    _CURRENT.set(check_language(lang))


def current_language() -> str:
    """The language in use (``"en"`` unless set)."""
    return _CURRENT.get()


@contextlib.contextmanager
def language(lang: Any) -> Iterator[str]:
    """Use ``lang`` inside a ``with`` block, then return to the language before."""
    token = _CURRENT.set(check_language(lang))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


#: French puts a narrow no-break space before ``: ; ! ?`` (not in ``://``, ``12:30``, a
#: ``key:`` quoted as code, nor inside a ``{field}``): whatever space, or none, the
#: translator typed
_FRENCH_SPACE = re.compile(r"(?:(?<=[^\s{(\[])|^)[ \u00a0\u202f]?([:;!?])(?!//|\d|`)(?![^{]*})")


def french_punctuation(message: str) -> str:
    """``message`` with the French spacing of high punctuation, one rule for every message.

    >>> french_punctuation("recommandé: {what} ; total : {n} !")
    'recommandé\u202f: {what}\u202f; total\u202f: {n}\u202f!'
    """
    return _FRENCH_SPACE.sub("\u202f\\1", message)


#: a language's typographic rule, applied to every message of its catalogue
_TYPOGRAPHY = {"fr": french_punctuation}


@cache
def _translations(lang: str) -> _gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    with (_locales_dir() / f"{lang}.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    rule = _TYPOGRAPHY.get(lang)
    if rule is not None:
        for message in catalog:
            if isinstance(message.string, (list, tuple)):
                message.string = tuple(rule(s) for s in message.string)
            elif message.string:
                message.string = rule(message.string)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def locale() -> Locale:
    """The Babel locale of the language in use."""
    return _locale(current_language())


# --------------------------------------------------------------------------- sentences


def _(message: str) -> str:
    """``message`` in the language in use (English when the catalogue lacks it)."""
    return _translations(current_language()).gettext(message)


def t(message: str, /, **values: Any) -> str:
    """``message`` translated, then its ``{name}`` fields filled with ``values``.

    >>> t("{n} calls kept", n=number(1200))
    '1,200 calls kept'
    """
    return _(message).format(**values) if values else _(message)


def nt(singular: str, plural: str, n: float, /, **values: Any) -> str:
    """The singular or plural form for ``n`` (the language's rule), fields filled; ``{n}``
    is ``n`` written as a number unless ``values`` gives it.

    >>> nt("{n} call", "{n} calls", 1), nt("{n} call", "{n} calls", 1500)
    ('1 call', '1,500 calls')
    """
    whole = int(n) if float(n).is_integer() else 2
    form = _translations(current_language()).ngettext(singular, plural, whole)
    return form.format(**{"n": number(n), **values})


def semicolons(parts: list[str]) -> str:
    """``parts`` joined by semicolons, spaced the language's way (French puts a space
    before the semicolon).

    >>> semicolons(["a", "b"])
    'a; b'
    """
    return t("; ").join(parts)


# --------------------------------------------------------------------------- numbers


def _pattern(kind: str, decimals: int, least: int | None = None):
    """The Babel pattern of ``kind`` in the language in use, parsed once (a workbook or a
    chart formats thousands of numbers; the pattern is never changed once made)."""
    return _parsed_pattern(current_language(), kind, decimals, least)


@lru_cache(maxsize=256)
def _parsed_pattern(language: str, kind: str, decimals: int, least: int | None):
    loc = _locale(language)
    source = {
        "currency": loc.currency_formats["standard"],
        "percent": loc.percent_formats[None],
        "decimal": loc.decimal_formats[None],
    }[kind]
    pattern = _numbers.parse_pattern(source.pattern)
    pattern.frac_prec = (decimals if least is None else least, decimals)
    return pattern


def number(value: Any, decimals: int = 0, *, least: int | None = None) -> str:
    """A number with the language's separators: ``1,234.5`` / ``1 234,5``.

    ``decimals`` are shown; with ``least``, trailing zeros beyond ``least`` decimals are not
    (a setting as it was given: ``number(0.05, 3, least=0)`` is ``0.05``, of 10 ``10``).
    """
    if _missing(value):
        return MISSING
    return _pattern("decimal", decimals, least).apply(_exact(value), locale())


def money(amount: Any, currency: str | None, decimals: int = 0) -> str:
    """An amount in currency units with its currency: ``$1,500`` / ``1 500 $US``.

    No currency: the number alone. ``decimals``: 0 in sentences, 2 for exact amounts.
    """
    if _missing(amount):
        return MISSING
    if not currency:
        return number(amount, decimals)
    value = _exact(amount)
    if value == 0:
        value = abs(value)  # no "-$0"
    return _pattern("currency", decimals).apply(
        value, locale(), currency=str(currency).upper(), currency_digits=False
    )


def cents(amount_cents: Any, currency: str | None = None) -> str:
    """An exact amount of cents for a person: ``123456`` -> ``$1,234.56`` (``1 234,56 $US``).

    The one formatter of cents for people (files and JSON carry :func:`planner.money.plain`);
    no currency: the number alone (``1,234.56``). Cents that are not whole are rounded half
    to even (:func:`planner.money.units`).
    """
    if _missing(amount_cents):
        return MISSING
    return money(units(amount_cents), currency, 2)


def currency_symbol(currency: str | None) -> str:
    """The currency as the language writes it next to amounts (``$``, ``$US``, ``€``)."""
    if not currency:
        return ""
    return _numbers.get_currency_symbol(str(currency).upper(), locale())


def percent(p: Any, *, signed: bool = False) -> str:
    """A share as a percentage, decimals by :func:`percent_decimals`: ``26%`` / ``0.4%``.

    ``signed``: a change, with its sign (``+12%``, ``-3%``).
    """
    if _missing(p):
        return MISSING
    text = _pattern("percent", percent_decimals(abs(float(p)))).apply(_exact(p), locale())
    if signed and float(p) > 0:
        text = locale().number_symbols["latn"]["plusSign"] + text
    return text


# --------------------------------------------------------------------------- dates


def _as_date(value: Any) -> dt.date | None:
    if value is None or value != value:  # None, NaN, NaT
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):  # a pandas Timestamp too, nanoseconds and all
        return value.date()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if hasattr(value, "to_timestamp"):  # pandas Period
        value = value.to_timestamp().to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    import numpy as np

    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    raise TypeError(f"not a date: {value!r}")


def iso_day(value: Any) -> str:
    """A day as ISO 8601, ``2027-04-21``, in every language: the dates of tables a script
    may read (alerts, lots), where the day is data rather than prose."""
    day = _as_date(value)
    return MISSING if day is None else day.isoformat()


def date(value: Any) -> str:
    """A day, the one way every report writes it: ``21 Apr 2027`` / ``21 avr. 2027``."""
    day = _as_date(value)
    if day is None:
        return MISSING
    # TRANSLATORS: a Unicode date pattern (day, short month, year), not words
    return _dates.format_date(day, _("d MMM y"), locale=locale())


def month(value: Any) -> str:
    """A month: ``Apr 2027`` / ``avr. 2027``."""
    day = _as_date(value)
    if day is None:
        return MISSING
    # TRANSLATORS: a Unicode date pattern (short month, year), not words
    return _dates.format_date(day, _("MMM y"), locale=locale())


def weekday_name(value: Any) -> str:
    """The short name of a day of the week: ``Tue`` / ``mar.``."""
    day = _as_date(value)
    return MISSING if day is None else _dates.format_date(day, "EEE", locale=locale())


def month_name(value: Any) -> str:
    """The short name of a month alone (chart ticks): ``Apr`` / ``avr.``."""
    day = _as_date(value)
    return MISSING if day is None else _dates.format_date(day, "MMM", locale=locale())


def period(start: Any, end: Any) -> str:
    """``1 Oct 2025 – 31 Oct 2026 (396 days)``."""
    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return _("no calls")
    n = (b - a).days + 1
    return t("{start} – {end} ({days})", start=date(a), end=date(b), days=days(n))


def days(n: Any) -> str:
    """``1 day``, ``14 days``."""
    if _missing(n):
        return MISSING
    return nt("{n} day", "{n} days", round(float(n)))


# --------------------------------------------------------------------------- Excel

#: the English codes; :func:`excel_date` and :func:`excel_month` give the language's
EXCEL_DATE = "d mmm yyyy"
EXCEL_MONTH = "mmm yyyy"


@cache
def _excel_lcid(lang: str) -> str:
    """Excel's locale tag for ``lang`` (``"[$-40C]"`` for French), ``""`` for English.

    A format code so tagged is shown with that locale's month names and separators by Excel
    and LibreOffice whatever the reader's own settings ("15 nov. 2025", "0,95 $US"). English
    keeps untagged codes (the reader's settings, as before).
    """
    if lang == DEFAULT_LANGUAGE:
        return ""
    import locale as _stdlib_locale

    names = _stdlib_locale.windows_locale  # Windows LCID -> "fr_FR"
    wanted = [f"{lang}_{lang.upper()}", *(v for v in names.values() if v.split("_")[0] == lang)]
    for name in wanted:
        for lcid, value in names.items():
            if value == name:
                return f"[$-{lcid:X}]"
    return ""


def _excel_affix(affix: str, symbol: str = "") -> str:
    """A Babel pattern's prefix or suffix as Excel format text: ``%`` kept, ``¤`` the currency
    symbol, every other character quoted (a no-break space stays one)."""
    out, literal = [], ""
    for ch in affix.replace("¤", "\x00"):
        if ch == "%":
            out += [f'"{literal}"' if literal else "", "%"]
            literal = ""
        else:
            literal += symbol.replace('"', "") if ch == "\x00" else ch
    if literal:
        out.append(f'"{literal}"')
    return "".join(out)


def _excel_pattern(kind: str, decimals: int, symbol: str = "") -> str:
    """The language's Babel pattern for ``kind`` as an Excel format code, locale-tagged."""
    pattern = {
        "currency": locale().currency_formats["standard"],
        "percent": locale().percent_formats[None],
        "decimal": locale().decimal_formats[None],
    }[kind].pattern.split(";")[0]
    first = min(pattern.index(c) for c in "#0" if c in pattern)
    last = max(pattern.rindex(c) for c in "#0" if c in pattern)
    grouped = "#,##0" if "," in pattern[first : last + 1] and kind != "percent" else "0"
    digits = grouped + ("." + "0" * decimals if decimals > 0 else "")
    prefix, suffix = pattern[:first], pattern[last + 1 :]
    return (
        _excel_lcid(current_language())
        + _excel_affix(prefix, symbol)
        + digits
        + _excel_affix(suffix, symbol)
    )


def excel_number(decimals: int = 0) -> str:
    """Excel number format of a number with ``decimals`` decimals, grouped by thousands."""
    return _excel_pattern("decimal", decimals)


def excel_percent(decimals: int) -> str:
    """Excel number format of a share with ``decimals`` decimals (``0.0%``, ``0,0 %``)."""
    return _excel_pattern("percent", max(decimals, 0))


def excel_money(currency: str | None, decimals: int = 2) -> str:
    """Excel number format for amounts, the currency placed as the language places it
    (``"$"#,##0.00``; in French ``[$-40C]#,##0.00" $US"``, no-break space)."""
    if not currency:
        return excel_number(decimals)
    return _excel_pattern("currency", decimals, currency_symbol(currency))


def excel_date() -> str:
    """Excel format of a day in the language: ``d mmm yyyy`` (``15 nov. 2025`` in French)."""
    return _excel_lcid(current_language()) + EXCEL_DATE


def excel_month() -> str:
    """Excel format of a month in the language (``nov. 2025`` in French)."""
    return _excel_lcid(current_language()) + EXCEL_MONTH


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (tables of labels built
    at import time, translated with :func:`t` where they are shown)."""
    return message


#: call types of the exports (Microsoft's codes) in words
CALL_TYPES: dict[str, str] = {
    "user_in": N_("Incoming call to a user"),
    "user_out": N_("Outgoing call by a user"),
    "user_out_conf": N_("User call with 2+ phone parties"),
    "user_out_transfer": N_("Call transferred by a user"),
    "user_out_forwarding": N_("Call forwarded by a user"),
    "conf_in": N_("Dial-in to a meeting"),
    "conf_out": N_("Meeting dial-out"),
    "unassigned_in": N_("Call to an unassigned number"),
    "emergency_in": N_("Emergency call-back"),
    "emergency_out": N_("Emergency call"),
    "fmc_in": N_("Incoming mobile (FMC) call"),
    "fmc_out": N_("Outgoing mobile (FMC) call"),
    "ucap_in": N_("Call to an auto attendant or queue"),
    "ucap_out": N_("Call by an auto attendant or queue"),
    "ucap_out_conf": N_("Conference call by a voice app"),
    "dr_in": N_("Direct Routing incoming call"),
    "dr_out": N_("Direct Routing outgoing call"),
}


#: credit demand categories (:data:`planner.calls.CATEGORIES`) in words
CATEGORY_LABELS: dict[str, str] = {
    "toll_free": N_("Toll-free"),
    "conference_dial_out": N_("Conference dial-out"),
    "international": N_("International"),
    "domestic_overage": N_("Domestic overage"),
    "payg": N_("Pay-as-you-go"),
    "other": N_("Other"),
    "sms": N_("SMS"),
}


def category(code: Any) -> str:
    """A demand category in words (``conference_dial_out`` -> ``Conference dial-out``);
    unknown codes with their underscores as spaces."""
    key = str(code)
    return t(CATEGORY_LABELS[key]) if key in CATEGORY_LABELS else key.replace("_", " ")


#: alert severities (:data:`planner.alerts.model.SEVERITIES`) and kinds in words
ALERT_SEVERITIES: dict[str, str] = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
ALERT_KINDS: dict[str, str] = {
    "daily_spend": N_("abnormal day"),
    "user_jump": N_("user's spend jumped"),
    "new_destination": N_("new destination"),
    "premium_rate": N_("premium-rate calls"),
    "out_of_hours": N_("out-of-hours burst"),
    "sequential_dialling": N_("sequential dialling"),
    "repeated_number": N_("repeated number"),
}


def alert_severity(code: Any) -> str:
    """An alert's severity in words (``high`` -> ``haute``)."""
    key = str(code)
    return t(ALERT_SEVERITIES[key]) if key in ALERT_SEVERITIES else key


def alert_kind(code: Any) -> str:
    """An alert's kind in words (``daily_spend`` -> ``abnormal day``)."""
    key = str(code)
    return t(ALERT_KINDS[key]) if key in ALERT_KINDS else key.replace("_", " ")


def alert_runway(runway_days: int, billing: str = "prepaid") -> str:
    """How long today's funds last at an alert's rate: the balance (prepaid), or the
    credits left before the spend is billed after use (post-paid: nothing runs dry)."""
    if billing == "postpaid":
        return t(
            "At this rate today's credits are used up in {days}; the spend after that is "
            "billed after use.",
            days=days(runway_days),
        )
    return t("At this rate today's balance lasts {days}.", days=days(runway_days))


def alert_counts(count: Any) -> str:
    """``4 high, 1 medium, 0 low`` (plural forms of the language): ``count(severity)`` gives
    each number."""
    return ", ".join(
        (
            nt("{n} high", "{n} high", count("high")),
            nt("{n} medium", "{n} medium", count("medium")),
            nt("{n} low", "{n} low", count("low")),
        )
    )


def call_type(code: Any) -> str:
    """A call type in words (``user_out`` -> ``Outgoing call by a user``); unknown codes as
    they are."""
    key = str(code).strip().lower()
    return t(CALL_TYPES[key]) if key in CALL_TYPES else str(code)
