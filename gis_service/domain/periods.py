"""Audit periods: week, ten days (旬), month, quarter, half-year, year.

Offices audit by calendar period ("2026-Q3") and rules say "at least once a month": a period
is parsed from its label and split into the rule's sub-periods to see which had no patrol.
Dates are local (the office's calendar), end inclusive.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from gis_service.errors import InputError

# the offices' time zone unless GIS_TIMEZONE says otherwise; dates everywhere are local to it
DEFAULT_TIMEZONE = "Asia/Shanghai"

KINDS = ("week", "ten_days", "month", "quarter", "half_year", "year")

_PATTERNS = [
    ("year", re.compile(r"^(\d{4})$")),
    ("half_year", re.compile(r"^(\d{4})-H([12])$", re.I)),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$", re.I)),
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("ten_days", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-D([123])$", re.I)),
    ("week", re.compile(r"^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$", re.I)),
]


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str
    label: str

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month(year: int, m: int) -> Period:
    return Period(dt.date(year, m, 1), _month_end(year, m), "month", f"{year}-{m:02d}")


def parse_period(label: str) -> Period:
    """'2026', '2026-H2', '2026-Q3', '2026-07', '2026-07-D2' (11th-20th), '2026-W27' (ISO)."""
    text = label.strip()
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m.group(1))
        if kind == "year":
            return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), kind, f"{year}")
        if kind == "half_year":
            h = int(m.group(2))
            return Period(
                dt.date(year, 6 * h - 5, 1), _month_end(year, 6 * h), kind, f"{year}-H{h}"
            )
        if kind == "quarter":
            q = int(m.group(2))
            return Period(
                dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q), kind, f"{year}-Q{q}"
            )
        if kind == "month":
            return month(year, int(m.group(2)))
        if kind == "ten_days":
            mo, d = int(m.group(2)), int(m.group(3))
            start = dt.date(year, mo, 10 * d - 9)
            end = dt.date(year, mo, 10 * d) if d < 3 else _month_end(year, mo)
            return Period(start, end, kind, f"{year}-{mo:02d}-D{d}")
        week = int(m.group(2))
        start = dt.date.fromisocalendar(year, week, 1)
        return Period(start, start + dt.timedelta(days=6), kind, f"{year}-W{week:02d}")
    raise ValueError(
        f"unknown period {label!r}; use e.g. 2026, 2026-H2, 2026-Q3, 2026-07, "
        "2026-07-D2 or 2026-W27"
    )


def period_of(day: dt.date, kind: str) -> Period:
    """The period of ``kind`` holding ``day``."""
    if kind == "year":
        return parse_period(f"{day.year}")
    if kind == "half_year":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "month":
        return month(day.year, day.month)
    if kind == "ten_days":
        return parse_period(f"{day.year}-{day.month:02d}-D{min(3, (day.day - 1) // 10 + 1)}")
    if kind == "week":
        iso = day.isocalendar()
        return parse_period(f"{iso.year}-W{iso.week:02d}")
    raise ValueError(f"unknown period kind {kind!r}; expected one of {', '.join(KINDS)}")


def split(period: Period, kind: str) -> list[Period]:
    """The periods of ``kind`` overlapping ``period`` (weeks may cross its ends)."""
    out: list[Period] = []
    day = period.start
    while day <= period.end:
        p = period_of(day, kind)
        out.append(p)
        day = p.end + dt.timedelta(days=1)
    return out


def local_today(timezone: str) -> dt.date:
    """Today in ``timezone`` (the office's), not the server clock's: a patrol, an audit or a
    roster date near midnight belongs to the offices' day."""
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date()


def parse_day(value: dt.date | str | None, option: str = "--date") -> dt.date | None:
    """A YYYY-MM-DD option (or a date, as notebook users pass), None when not given; a bad
    value is a clean error naming ``option``. Shared by the CLI and the notebook API."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} expects YYYY-MM-DD, got {value!r}") from None
