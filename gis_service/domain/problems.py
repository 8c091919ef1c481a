"""Problem lifecycle (问题处置): reported → handed over (交办) → answered (答复) → verified
(核查/验收, by the office) → closed (销号).

Seed 000 (督办单制度): problems found by patrols, superiors' inspections, the public (群众举报)
or the media are handed over "一事一办", and "交办时要明确整改要求和完成时限": the deadline is
set per case at the hand-over, as a date or a number of working days, with the office's
configured default when none is given. (The 15 working days of seed 000 are the deadline of
the written feedback after an accountability step, see ``domain.accountability``, not of a
hand-over.) An answer is verified by the office before the problem is closed (销号); an answer
that falls short is handed over again; a closed problem can be reopened.
"""

from __future__ import annotations

import datetime as dt

from gis_service.domain.vocab import PROBLEM_SOURCES
from gis_service.domain.workdays import (  # noqa: F401 - re-exported for callers
    DEFAULT_CALENDAR_FILE,
    WorkCalendar,
    add_working_days,
    load_calendar,
)
from gis_service.errors import InputError

MAX_HANDOVER_WORKING_DAYS = 250  # about a year: beyond that a deadline is a typo

# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "hand_over": (("reported", "answered"), "handed_over"),  # again if the answer falls short
    "answer": (("handed_over",), "answered"),
    "verify": (("answered",), "verified"),  # 核查/验收 by the office
    "close": (("reported", "verified"), "closed"),  # 销号; reported: solved on the spot
    "reopen": (("closed",), "reported"),
}
ACTION_LABELS: dict[str, str] = {
    "report": "上报",
    "hand_over": "交办",
    "answer": "答复",
    "verify": "核查",
    "close": "销号",
    "reopen": "重新打开",
}


def next_status(current: str, action: str) -> str:
    """The status ``action`` leads to, or an InputError naming what is allowed."""
    if action not in TRANSITIONS:
        raise InputError(f"unknown action {action!r}; one of {', '.join(TRANSITIONS)}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        hint = " (verify the answer first: 核查 before 销号)" if current == "answered" else ""
        raise InputError(
            f"cannot {action.replace('_', ' ')} a problem that is {current} "
            f"(allowed from: {', '.join(sources)}){hint}"
        )
    return target


def check_step(
    action: str,
    *,
    handed_to: str | None = None,
    note: str | None = None,
    deadline: dt.date | None = None,
    working_days: int | None = None,
) -> None:
    """Refuse what a step cannot use: a deadline outside a hand-over, a hand-over without a
    recipient, an answer without its text."""
    if action != "hand_over":
        given = [n for n, v in (("deadline", deadline), ("working_days", working_days),
                                ("handed_to", handed_to)) if v is not None]  # fmt: skip
        if given:
            raise InputError(f"{', '.join(given)}: only a hand-over (交办) takes these")
    elif not handed_to:
        raise InputError("a hand-over (交办) names who must answer (handed_to)")
    if action == "answer" and not note:
        raise InputError("an answer (答复) needs its text (note)")


def handover_deadline(
    today: dt.date,
    calendar: WorkCalendar,
    *,
    deadline: dt.date | None = None,
    working_days: int | None = None,
    default_working_days: int | None = None,
) -> dt.date:
    """The hand-over's deadline: the date given, or ``working_days`` (else the office's
    default) working days after the hand-over day, counted on ``calendar``."""
    if deadline is not None and working_days is not None:
        raise InputError("give the hand-over deadline as a date or as working_days, not both")
    if deadline is not None:
        if deadline < today:
            raise InputError(f"deadline {deadline} is before the hand-over day {today}")
        return deadline
    days = working_days if working_days is not None else default_working_days
    if days is None:
        raise InputError(
            "a hand-over states its deadline (交办时要明确完成时限, seed 000): deadline or "
            "working_days, or configure a default (GIS_HANDOVER_WORKING_DAYS)"
        )
    if not 1 <= days <= MAX_HANDOVER_WORKING_DAYS:
        raise InputError(f"working_days must be between 1 and {MAX_HANDOVER_WORKING_DAYS}")
    return add_working_days(today, days, calendar)


def check_source(source: str, chief_id: str | None, patrol_id: object | None) -> None:
    """A patrol's problem names the chief who found it; problems from the public, the media or
    a superior need no chief and no patrol, and a patrol id there would be a contradiction."""
    if source not in PROBLEM_SOURCES:
        raise InputError(f"source must be one of {', '.join(PROBLEM_SOURCES)}")
    if source == "patrol" and not chief_id:
        raise InputError("chief_id: a problem found on patrol names the chief who found it")
    if source != "patrol" and patrol_id is not None:
        raise InputError(f"patrol_id: a problem from source {source!r} was not found on a patrol")


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Handed over, not yet answered, and the deadline has passed."""
    return status == "handed_over" and deadline is not None and today > deadline
