"""Working days (工作日): Monday to Friday, minus public holidays, plus make-up working days
(调休), as the State Council publishes them each year in its holiday notice.

Two deadlines are counted in working days: the written feedback after an accountability step
(提醒/约谈/通报: 15 working days, seed 000) and a problem hand-over (交办) given as a number of
working days. The day of issue is not counted: day one is the next working day.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from gis_service.errors import InputError
from gis_service.packaged import WORK_CALENDAR_FILE as DEFAULT_CALENDAR_FILE


@dataclass(frozen=True)
class WorkCalendar:
    """Public holidays and make-up working days (调休) on top of Monday-Friday."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    @classmethod
    def of(cls, holidays: Collection[dt.date] = (), workdays: Collection[dt.date] = ()):
        return cls(frozenset(holidays), frozenset(workdays))


def load_calendar(path: Path | str | None = None) -> WorkCalendar:
    """The office's calendar file (TOML: ``holidays`` and ``workdays`` as dates)."""
    path = Path(path or DEFAULT_CALENDAR_FILE)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"work calendar: {exc}", source=path.name) from None
    days: dict[str, list[dt.date]] = {}
    for key in ("holidays", "workdays"):
        values = doc.get(key, [])
        if not isinstance(values, list) or not all(
            isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in values
        ):
            raise InputError(f"{key} must be a list of dates like 2026-10-01", source=path.name)
        days[key] = values
    both = set(days["holidays"]) & set(days["workdays"])
    if both:
        raise InputError(f"both holiday and workday: {sorted(both)}", source=path.name)
    return WorkCalendar.of(days["holidays"], days["workdays"])


def add_working_days(start: dt.date, days: int, calendar: WorkCalendar | None = None) -> dt.date:
    """The date ``days`` working days after ``start`` (the day of issue itself not counted)."""
    calendar = calendar or WorkCalendar()
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return day
