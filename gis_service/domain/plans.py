"""一河一策 plans (one plan per river, lake or reservoir; seeds 000, 001, 004): the office's
tasks with a category, a responsible department, a place, a deadline and a status, and
whether each is overdue as of a day.

Pure: the day is passed in (the office's local date, from the front end's time zone); the
words of an imported table are converted here, each refusal naming the value.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import numpy as np
from numpy.typing import NDArray

# the six main tasks of seed 001 (五、主要任务分工), the short names of seed 000 and the
# national opinion; the long headings of seed 001 are accepted as aliases
CATEGORIES: tuple[str, ...] = (
    "水资源保护",
    "水域岸线管理保护",
    "水污染防治",
    "水环境治理",
    "水生态修复",
    "执法监管",
)
CATEGORY_ALIASES: dict[str, str] = {
    "落实最严格水资源管理制度": "水资源保护",
    "最严格水资源管理": "水资源保护",
    "水资源管理": "水资源保护",
    "水域岸线管理": "水域岸线管理保护",
    "加强江河湖库水域岸线管理保护": "水域岸线管理保护",
    "水污染综合防治": "水污染防治",
    "全面加强水污染综合防治": "水污染防治",
    "水环境保护治理": "水环境治理",
    "水环境保护和治理": "水环境治理",
    "加大水环境保护和治理力度": "水环境治理",
    "水生态保护修复": "水生态修复",
    "水生态保护与修复": "水生态修复",
    "加大水生态保护与修复力度": "水生态修复",
    "加大执法监管力度": "执法监管",
}

STATUS_LABELS: dict[str, str] = {
    "not_started": "未开始",
    "in_progress": "进行中",
    "done": "已完成",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
_STATUS_WORDS = {v: k for k, v in STATUS_LABELS.items()}

# what a task is on a day: open (not done, deadline not passed), overdue (not done, past its
# deadline), done (on or before the deadline), done_late (completed after the deadline)
STATE_LABELS: dict[str, str] = {
    "open": "未到期",
    "overdue": "逾期未完成",
    "done": "按期完成",
    "done_late": "逾期完成",
}
STATES: tuple[str, ...] = tuple(STATE_LABELS)

PLACE_KINDS: tuple[str, ...] = ("segment", "zone", "point")

# a point place must lie this close to its water (the distance problem reports use too)
NEAR_WATER_M = 500.0

_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: 00:00(?::00)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def category_of(value: str) -> str | None:
    """The category of ``value`` (a short name or one of seed 001's headings), else None."""
    text = value.strip()
    if text in CATEGORIES:
        return text
    return CATEGORY_ALIASES.get(text)


def status_of(value: str) -> str | None:
    """``not_started``/``in_progress``/``done`` from the code or the Chinese label."""
    text = value.strip()
    if text.lower() in STATUSES:
        return text.lower()
    return _STATUS_WORDS.get(text)


def parse_date(value: str) -> dt.date:
    """A calendar day written 2026-06-30, 2026/6/30 or 2026年6月30日 (a spreadsheet's
    ``2026-06-30 00:00:00`` too); an impossible day (2026-02-30) or any other form raises
    ``ValueError`` naming the value."""
    text = value.strip()
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise ValueError(f"{text!r} is not a calendar day") from None
    raise ValueError(f"{text!r} is not a date (write YYYY-MM-DD)")


def parse_percent(value: str) -> int:
    """A whole percent 0..100 (``60`` or ``60%``). A fraction such as ``0.6`` is refused,
    not guessed: it may mean 0.6 % or 60 %."""
    text = value.strip().removesuffix("%").strip()
    if not re.fullmatch(r"\d{1,3}", text) or int(text) > 100:
        raise ValueError(f"{value!r} is not a whole percent from 0 to 100 (write 60 for 60 %)")
    return int(text)


def office_day(instant: dt.datetime, timezone: str) -> dt.date:
    """The office's calendar day at ``instant`` (an aware time): 2026-06-30T16:30Z is
    already 2026-07-01 in Asia/Shanghai, so a task due on 06-30 is overdue then."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def task_states(
    deadlines: NDArray[np.datetime64],
    statuses: NDArray[np.str_],
    completed_on: NDArray[np.datetime64],
    as_of: dt.date,
) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """Per task, its state on ``as_of`` and the days late (0 when not late).

    A task is overdue from the day after its deadline while not done (due 06-30: still open
    on 06-30, overdue on 07-01, 1 day late); a done task is ``done_late`` when completed
    after its deadline (the days late then counted to its completion). A task completed
    after ``as_of`` is judged as it was on that day (not yet done). Dates as
    ``datetime64[D]``; ``completed_on`` NaT for tasks not done.
    """
    deadline = np.asarray(deadlines, dtype="datetime64[D]")
    completed = np.asarray(completed_on, dtype="datetime64[D]")
    day = np.datetime64(as_of, "D")
    # a task completed after ``as_of`` was not done yet on that day
    done = (np.asarray(statuses) == "done") & ~np.isnat(completed)
    done[done] = completed[done] <= day
    end = np.where(done, completed, day)
    late = (end - deadline).astype(np.int64)
    late = np.where(np.isnat(end), 0, np.maximum(late, 0))
    state = np.where(
        done,
        np.where(late > 0, "done_late", "done"),
        np.where(late > 0, "overdue", "open"),
    )
    return state.astype(str), late.astype(np.int64)


def check_completion(status: str, completed_on: dt.date | None) -> str | None:
    """Why a status and a completion date disagree, or None: a done task needs the day it
    was completed (else lateness is unknown), a task not done has none."""
    if status == "done" and completed_on is None:
        return "a task with status 已完成 (done) needs its completion date (完成日期)"
    if status != "done" and completed_on is not None:
        return f"a completion date is given but the status is {STATUS_LABELS[status]} ({status})"
    return None
