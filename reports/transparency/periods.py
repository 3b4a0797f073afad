"""Reporting periods: half-years and date ranges, cut in the business time zone.

A transparency report counts what arrived "in the first half of 2026" as the legal team
understands it: on their calendar, not UTC's. A request received on 30 June at 23:30
business time is a first-half request even when UTC already says 1 July, so every period
is turned into an aware ``[start, end)`` pair at local midnight before any query runs.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HALF_YEAR = re.compile(r"^(?P<year>\d{4})-H(?P<half>[12])$")
MAX_RANGE_DAYS = 366 * 10  # a range longer than ten years is a typo, not a report


def business_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.LIAISON_BUSINESS_TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Inclusive local dates ``first``..``last``; ``label`` is ``2026-H1`` or the range."""

    first: date
    last: date
    label: str
    time_zone: str

    @property
    def start(self) -> datetime:
        """The first instant of the period (local midnight of ``first``)."""
        return datetime.combine(self.first, time.min, tzinfo=zoneinfo.ZoneInfo(self.time_zone))

    @property
    def end(self) -> datetime:
        """The first instant after the period (local midnight after ``last``)."""
        return datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=zoneinfo.ZoneInfo(self.time_zone)
        )

    @property
    def is_half_year(self) -> bool:
        return bool(HALF_YEAR.match(self.label))


def half_year(year: int, half: int) -> Period:
    if half == 1:
        first, last = date(year, 1, 1), date(year, 6, 30)
    else:
        first, last = date(year, 7, 1), date(year, 12, 31)
    return Period(first, last, f"{year}-H{half}", settings.LIAISON_BUSINESS_TIME_ZONE)


def half_year_of(day: date) -> Period:
    return half_year(day.year, 1 if day.month <= 6 else 2)


def half_years_before(period: Period, count: int) -> list[Period]:
    """``count`` consecutive half-years ending with the one holding ``period.last``."""
    current = half_year_of(period.last)
    year, half = int(current.label[:4]), int(current.label[-1])
    found = []
    for _i in range(count):
        found.append(half_year(year, half))
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return list(reversed(found))


def period_parse(*, half: str = "", first: str = "", last: str = "") -> Period:
    """A period from a request's parameters: ``half=2026-H1`` or ``from``/``to`` dates.

    Raises ``ValidationError`` with field-level messages for anything else.
    """
    half = (half or "").strip()
    if half:
        match = HALF_YEAR.match(half)
        if not match:
            raise ValidationError({"half": _("Give a half-year as YYYY-H1 or YYYY-H2.")})
        return half_year(int(match["year"]), int(match["half"]))
    try:
        start_day = date.fromisoformat((first or "").strip())
    except ValueError:
        raise ValidationError({"from": _("Give the first day as YYYY-MM-DD.")}) from None
    try:
        end_day = date.fromisoformat((last or "").strip())
    except ValueError:
        raise ValidationError({"to": _("Give the last day as YYYY-MM-DD.")}) from None
    if end_day < start_day:
        raise ValidationError({"to": _("The last day comes before the first.")})
    if (end_day - start_day).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": _("A report covers at most ten years.")})
    return Period(
        start_day,
        end_day,
        f"{start_day.isoformat()}..{end_day.isoformat()}",
        settings.LIAISON_BUSINESS_TIME_ZONE,
    )


def period_current_default(today: date | None = None) -> Period:
    """The last complete half-year (what a report page opens on)."""
    today = today or datetime.now(business_zone()).date()
    current = half_year_of(today)
    return half_years_before(current, 2)[0]
