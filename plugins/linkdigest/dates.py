"""dates: Pelican's ``strftime`` remembers what it answered, per date, format and locale.

Pelican formats dates with its own ``pelican.utils.strftime`` (two regular-expression passes
over the format and a ``datetime.strftime`` per directive): each post's shown date, every
address with a date in it (``{date:%Y}``), every period archive and the templates'
``strftime`` filter. At 1,000 digests that is some 22,000 calls and 0.26 s of a devserver
rebuild, for a few thousand distinct answers (0.11 s with them remembered). Here the
function is replaced, when the plugin is registered, by one that remembers each answer
(``remember_strftime``).

The key is the date's fields, not the date object: two aware datetimes of the same instant
in different zones are equal, but their text is not. So it is the exact kind (plain
``date``, ``datetime`` or Pelican's ``SafeDatetime``; any other kind, a subclass that may
format differently, goes straight through), the wall-clock fields, ``fold`` and the time zone
object (its offset and name, ``%z`` and ``%Z``, follow from these), the format and the
process's LC_TIME locale (month and day names: Pelican sets it from LOCALE, a test may
change it). No signal: the function is Pelican's, for every build.
"""

from __future__ import annotations

import datetime as dt
import functools
import locale
from collections.abc import Callable
from typing import Any

import pelican.utils
from pelican.utils import SafeDatetime

MAX_REMEMBERED = 1 << 16  # answers kept; then forgotten all at once and remembered anew
REMEMBERED_KINDS = frozenset({dt.date, dt.datetime, SafeDatetime})

Strftime = Callable[[Any, str], str]


def remember_strftime(original: Strftime) -> Strftime:
    """``original`` (Pelican's ``strftime``), answering again from memory what it answered
    before for the same date, format and locale. Wrapping twice wraps once."""
    if getattr(original, "remembers", False):
        return original
    remembered: dict[tuple[Any, ...], str] = {}

    @functools.wraps(original)
    def strftime(date: Any, date_format: str) -> str:
        kind = type(date)
        if kind not in REMEMBERED_KINDS or type(date_format) is not str:
            return original(date, date_format)
        key: tuple[Any, ...] = (kind, date.year, date.month, date.day, date_format)
        if kind is not dt.date:
            key += (date.hour, date.minute, date.second, date.microsecond)
            key += (date.fold, date.tzinfo)
        key += (locale.setlocale(locale.LC_TIME),)
        try:
            text = remembered.get(key)
        except TypeError:  # a time zone of a kind that cannot be hashed
            return original(date, date_format)
        if text is None:
            text = original(date, date_format)
            if len(remembered) >= MAX_REMEMBERED:
                remembered.clear()
            remembered[key] = text
        return text

    strftime.remembers = True  # type: ignore[attr-defined]
    return strftime


def register() -> None:
    pelican.utils.strftime = remember_strftime(pelican.utils.strftime)
