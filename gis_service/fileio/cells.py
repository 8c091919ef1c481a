"""Reading one cell of an office's table: text, and the dates a post is valid between.

A roster cell arrives as a string from CSV, and from XLSX as a ``datetime``/``Timestamp`` at
midnight (Excel stores dates as timestamps). Both must give the same date, and nothing else may
pass: an earlier reader took ``text[:10]``, so ``2026-07-01garbage`` or ``2026-07-01 14:30``
became 1 July without a word. Every import of posts reads its validity dates here, so the rule
and its messages are one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

_MIDNIGHT = dt.time(0, 0)


def blank(value: object) -> bool:
    """None, NaN, NaT and whitespace-only strings are blank cells."""
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def cell_text(value: object) -> str | None:
    """The stripped text of a cell, None for a blank one."""
    return None if blank(value) else str(value).strip()


def cell_date(value: object, *, time_of_day: bool = False) -> dt.date | None:
    """The calendar date of a cell, None when blank.

    Accepts an ISO ``YYYY-MM-DD`` string, a ``date``, and a ``datetime``/``Timestamp`` (or its
    ``YYYY-MM-DD 00:00:00`` text) at midnight. Raises ``ValueError`` naming the value for
    anything else: a date with a time of day is not a validity date, and trailing text is
    not ignored. ``time_of_day=True`` is for a day of something that happened at a time (a
    water sample taken at 10:00): an ISO date-time, or a ``datetime``, gives its own date.
    """
    if blank(value):
        return None
    if isinstance(value, dt.datetime):  # pandas.Timestamp is a datetime
        if not time_of_day and (value.tzinfo is not None or value.time() != _MIDNIGHT):
            raise ValueError(f"{value!s} is a time, not a date (YYYY-MM-DD)")
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if time_of_day and len(text) > 10:
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    date_part, _, rest = text.partition(" ")
    if rest and rest.strip() not in ("00:00:00", "00:00"):
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    if len(date_part) != 10:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(date_part)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Validity:
    """A post's validity dates as read, and what is wrong with them (None when nothing)."""

    valid_from: dt.date | None
    valid_to: dt.date | None
    problem: str | None


def read_validity(valid_from: object, valid_to: object) -> Validity:
    """``valid_from`` (required) and ``valid_to`` (optional, not before ``valid_from``)."""
    problems: list[str] = []
    start = end = None
    try:
        start = cell_date(valid_from)
        if start is None:
            problems.append("valid_from is required (YYYY-MM-DD)")
    except ValueError as exc:
        problems.append(f"valid_from: {exc}")
    try:
        end = cell_date(valid_to)
    except ValueError as exc:
        problems.append(f"valid_to: {exc}")
    if start is not None and end is not None and end < start:
        problems.append(f"valid_to {end} is before valid_from {start}")
    return Validity(start, end, "; ".join(problems) or None)
