"""Problem lifecycle (问题处置): reported → handed over (交办) → answered (答复) → closed (办结).

The recipient of a hand-over answers in writing within 15 working days (seeds 000, 002). Working
days skip weekends and the configured public holidays, and count the configured make-up
working days (调休), which change every year and are published by the State Council.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from gis_service.errors import InputError

ANSWER_WORKING_DAYS = 15
DEFAULT_CALENDAR_FILE = (
    Path(__file__).resolve().parents[2] / "data" / "rules" / "work_calendar.toml"
)

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "hand_over": (("reported", "answered"), "handed_over"),  # again if the answer falls short
    "answer": (("handed_over",), "answered"),
    "close": (("reported", "answered"), "closed"),  # reported: solved on the spot
    "reopen": (("closed",), "reported"),
}


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
    """The date ``days`` working days after ``start`` (the hand-over day itself not counted)."""
    calendar = calendar or WorkCalendar()
    day, left = start, days
    while left > 0:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            left -= 1
    return day


def next_status(current: str, action: str) -> str:
    """The status ``action`` leads to, or an InputError naming what is allowed."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r}; one of {', '.join(TRANSITIONS)}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        raise InputError(
            f"cannot {action.replace('_', ' ')} a problem that is {current} "
            f"(allowed from: {', '.join(sources)})"
        )
    return target


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Handed over, not yet answered, and the deadline has passed."""
    return status == "handed_over" and deadline is not None and today > deadline
