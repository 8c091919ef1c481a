"""The accountability ladder (问责阶梯, seed 000 《追责问责》): 提醒 (reminder), 约谈 (interview),
通报批评 (public notice), then 提请问责 (referral to the disciplinary bodies).

After each of the first three "the person must answer in writing within 15 working days"
(应在15个工作日内书面反馈整改落实情况): the deadline is counted on the office's work calendar
from the day of issue (not counted). A referral hands the case on and awaits no answer.
Whether an answer is overdue depends on the day it is read: it is computed at read time from
the local date passed in, never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gis_service.domain.vocab import (
    ACCOUNTABILITY_KIND_LABELS,
    ACCOUNTABILITY_KINDS,
    ACCOUNTABILITY_STATUS_LABELS,
)
from gis_service.domain.workdays import WorkCalendar, add_working_days
from gis_service.errors import ConflictError, InputError

FEEDBACK_WORKING_DAYS = 15
ANSWERED_KINDS: tuple[str, ...] = ("reminder", "interview", "notice")  # a written answer is due
RANK: dict[str, int] = {kind: i for i, kind in enumerate(ACCOUNTABILITY_KINDS)}


@dataclass(frozen=True)
class AccountabilityRecord:
    """One step of the ladder against a chief, as stored."""

    id: int
    kind: str
    chief_id: str
    chief_name: str
    reason: str
    issued_on: dt.date
    deadline: dt.date | None
    issued_by: str
    issuer: str | None = None
    reference: str | None = None
    post_id: int | None = None
    period: str | None = None
    problem_id: str | None = None
    follows_id: int | None = None
    feedback: str | None = None
    feedback_on: dt.date | None = None

    def status(self, today: dt.date) -> str:
        return feedback_status(self.kind, self.deadline, self.feedback_on, today)

    def view(self, today: dt.date) -> dict:
        """The record with its labels and its state on ``today`` (the office's local date)."""
        status = self.status(today)
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out |= {
            "kind_label": ACCOUNTABILITY_KIND_LABELS[self.kind],
            "status": status,
            "status_label": ACCOUNTABILITY_STATUS_LABELS[status],
            "overdue": status == "overdue",
        }
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in out.items()}


def feedback_deadline(kind: str, issued_on: dt.date, calendar: WorkCalendar) -> dt.date | None:
    """15 working days after the day of issue for 提醒/约谈/通报; None for a referral."""
    check_kind(kind)
    if kind not in ANSWERED_KINDS:
        return None
    return add_working_days(issued_on, FEEDBACK_WORKING_DAYS, calendar)


def feedback_status(
    kind: str, deadline: dt.date | None, feedback_on: dt.date | None, today: dt.date
) -> str:
    """awaiting_feedback, overdue (deadline passed, nothing received), answered,
    answered_late (received after the deadline), or referred."""
    if kind not in ANSWERED_KINDS:
        return "referred"
    if feedback_on is not None:
        return "answered" if deadline is None or feedback_on <= deadline else "answered_late"
    if deadline is not None and today > deadline:
        return "overdue"
    return "awaiting_feedback"


def check_kind(kind: str) -> None:
    if kind not in ACCOUNTABILITY_KINDS:
        raise InputError(f"kind must be one of {', '.join(ACCOUNTABILITY_KINDS)}")


def check_issue(kind: str, reason: str | None, issued_on: dt.date, today: dt.date) -> None:
    """A step names its grounds and is not dated in the future."""
    check_kind(kind)
    if not reason or not reason.strip():
        raise InputError("reason: the grounds of the step (e.g. the patrols missed)")
    if issued_on > today:
        raise InputError(f"issued_on {issued_on} is after today ({today})")


def check_follows(previous: AccountabilityRecord, kind: str, chief_id: str) -> None:
    """A follow-up is against the same chief and climbs the ladder (or repeats a step)."""
    if previous.chief_id != chief_id:
        raise InputError(
            f"follows: record {previous.id} is against {previous.chief_id}, not {chief_id}"
        )
    if RANK[kind] < RANK[previous.kind]:
        raise InputError(
            f"follows: a {kind} does not follow a {previous.kind} (the ladder is "
            f"{' → '.join(ACCOUNTABILITY_KINDS)})"
        )


def check_feedback(
    record: AccountabilityRecord, text: str | None, received_on: dt.date, today: dt.date
) -> None:
    """The written answer: once, to a step that awaits one, dated between issue and today."""
    if record.kind not in ANSWERED_KINDS:
        raise InputError(f"record {record.id} is a {record.kind}: no written answer is due")
    if record.feedback_on is not None:
        raise ConflictError(
            f"record {record.id} already has its written answer (received {record.feedback_on})"
        )
    if not text or not text.strip():
        raise InputError("text: the written answer (书面反馈) itself")
    if received_on < record.issued_on:
        raise InputError(f"received_on {received_on} is before the issue ({record.issued_on})")
    if received_on > today:
        raise InputError(f"received_on {received_on} is after today ({today})")
