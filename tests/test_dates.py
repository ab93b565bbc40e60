"""Pelican's strftime, remembered: the same text as Pelican's own for every kind of date,
zone and format, asked of Pelican once per distinct answer, never shared across zones,
kinds or locales."""

from __future__ import annotations

import datetime as dt
import locale
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pelican.utils
import pytest
from pelican.plugins.linkdigest import dates
from pelican.plugins.linkdigest.dates import remember_strftime
from pelican.utils import SafeDatetime

PELICAN_STRFTIME = (
    pelican.utils.strftime.__wrapped__
    if hasattr(pelican.utils.strftime, "__wrapped__")
    else pelican.utils.strftime
)
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
FORMATS = ("%Y/%m/%d", "%-d %B %Y", "%a %-H:%M %Z %z", "%A %j %U", "%%Y literal %q", "plain")


class Counting:
    """Pelican's strftime, counting what it is asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, str]] = []

    def __call__(self, date: Any, date_format: str) -> str:
        self.calls.append((date, date_format))
        return str(PELICAN_STRFTIME(date, date_format))


def sample_dates() -> Iterator[Any]:
    yield dt.date(2026, 3, 1)
    yield dt.datetime(2026, 3, 1, 9, 5)
    yield SafeDatetime(2026, 3, 1, 9, 5, 7, 120)
    yield SafeDatetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # the hour that happens twice
    yield SafeDatetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    yield SafeDatetime(2026, 7, 4, 12, tzinfo=NEW_YORK)
    yield SafeDatetime(2026, 7, 4, 12, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))
    yield dt.datetime(2026, 7, 4, 12, tzinfo=dt.UTC)


def test_every_answer_is_pelicans_and_each_is_asked_once() -> None:
    counting = Counting()
    remembered = remember_strftime(counting)
    for _ in range(3):
        for date in sample_dates():
            for date_format in FORMATS:
                assert remembered(date, date_format) == PELICAN_STRFTIME(date, date_format)
    assert len(counting.calls) == len(list(sample_dates())) * len(FORMATS)


def test_the_same_instant_in_two_zones_is_written_for_each_zone() -> None:
    """Equal datetimes (one instant) whose text differs are never one answer."""
    counting = Counting()
    remembered = remember_strftime(counting)
    in_berlin = SafeDatetime(2026, 7, 4, 18, tzinfo=BERLIN)
    in_new_york = in_berlin.astimezone(NEW_YORK)
    assert in_berlin == in_new_york and hash(in_berlin) == hash(in_new_york)
    assert remembered(in_berlin, "%H:%M %Z") == "18:00 CEST"
    assert remembered(in_new_york, "%H:%M %Z") == "12:00 EDT"
    naive = dt.datetime(2026, 7, 4, 18)
    assert remembered(naive, "%H:%M %Z") == "18:00 "
    assert len(counting.calls) == 3


def test_a_date_and_a_datetime_of_the_same_day_are_apart() -> None:
    counting = Counting()
    remembered = remember_strftime(counting)
    assert remembered(dt.date(2026, 3, 1), "%H") == "00"
    assert remembered(dt.datetime(2026, 3, 1, 9), "%H") == "09"
    assert len(counting.calls) == 2


def test_another_locale_asks_again() -> None:
    counting = Counting()
    remembered = remember_strftime(counting)
    before = locale.setlocale(locale.LC_TIME)
    date = dt.date(2026, 3, 1)
    try:
        for name in ("C", "C.UTF-8", "C"):
            locale.setlocale(locale.LC_TIME, name)
            assert remembered(date, "%B") == "March"
    finally:
        locale.setlocale(locale.LC_TIME, before)
    assert len(counting.calls) == 2  # C, C.UTF-8; C again from memory


class OwnDatetime(dt.datetime):
    def strftime(self, fmt: str) -> str:  # type: ignore[override]
        return "mine"


class UnhashableZone(dt.tzinfo):
    __hash__ = None  # type: ignore[assignment]

    def utcoffset(self, _date: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(hours=1)

    def tzname(self, _date: dt.datetime | None) -> str:
        return "ONE"

    def dst(self, _date: dt.datetime | None) -> dt.timedelta:
        return dt.timedelta(0)


@pytest.mark.parametrize(
    "date",
    [OwnDatetime(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=UnhashableZone()), "2026-03-01"],
    ids=["a subclass", "a zone that cannot be hashed", "text"],
)
def test_other_kinds_go_straight_to_pelican(date: Any) -> None:
    counting = Counting()
    remembered = remember_strftime(counting)
    for _ in range(2):
        try:
            expected = PELICAN_STRFTIME(date, "%Y %Z")
        except (AttributeError, TypeError) as error:
            with pytest.raises(type(error)):
                remembered(date, "%Y %Z")
        else:
            assert remembered(date, "%Y %Z") == expected
    assert len(counting.calls) == 2


def test_the_plugin_wraps_pelicans_strftime_once() -> None:
    dates.register()
    wrapped = pelican.utils.strftime
    dates.register()
    assert pelican.utils.strftime is wrapped and getattr(wrapped, "remembers", False)
    assert SafeDatetime(2026, 3, 1).strftime("%-d %B") == "1 March"
