"""The accountability ladder (seed 000): 提醒/约谈/通报批评 need a written answer within 15
working days, counted by hand here on the shipped 2026 calendar (国务院办公厅 2025-11-04)."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_service.domain.accountability import (
    AccountabilityRecord,
    check_feedback,
    check_follows,
    check_issue,
    feedback_deadline,
    feedback_status,
)
from gis_service.domain.workdays import WorkCalendar, load_calendar
from gis_service.errors import ConflictError, InputError

D = dt.date
CALENDAR = load_calendar()  # the shipped data/rules/work_calendar.toml


def test_reminder_the_day_before_national_day_is_due_on_27_october():
    """Issued Wed 30 Sep 2026. 1-7 Oct are holidays; Sat 10 Oct is worked (调休).
    Working days: Thu 8 (1), Fri 9 (2), Sat 10 (3), Mon 12-Fri 16 (4-8), Mon 19-Fri 23 (9-13),
    Mon 26 (14), Tue 27 (15)."""
    assert feedback_deadline("reminder", D(2026, 9, 30), CALENDAR) == D(2026, 10, 27)
    # weekends only (no calendar): Thu 1, Fri 2, 5-9, 12-16, 19, 20, 21 -> Wed 21 Oct
    assert feedback_deadline("reminder", D(2026, 9, 30), WorkCalendar()) == D(2026, 10, 21)


def test_interview_across_the_sunday_worked_before_national_day():
    """Issued Tue 1 Sep 2026: Wed 2-Fri 4 (1-3), 7-11 (4-8), 14-18 (9-13), Sun 20 worked
    (调休, 14), Mon 21 (15). 中秋 25-27 Sep comes after the deadline."""
    assert feedback_deadline("interview", D(2026, 9, 1), CALENDAR) == D(2026, 9, 21)
    assert feedback_deadline("notice", D(2026, 9, 1), WorkCalendar()) == D(2026, 9, 22)


def test_labour_day_week():
    """Issued Thu 30 Apr 2026: 1-5 May off, Sat 9 May worked. Wed 6 (1), Thu 7 (2), Fri 8 (3),
    Sat 9 (4), 11-15 (5-9), 18-22 (10-14), Mon 25 (15)."""
    assert feedback_deadline("reminder", D(2026, 4, 30), CALENDAR) == D(2026, 5, 25)


def test_referral_awaits_no_answer_and_kinds_are_checked():
    assert feedback_deadline("referral", D(2026, 9, 30), CALENDAR) is None
    with pytest.raises(InputError, match="kind must be one of reminder, interview"):
        feedback_deadline("warning", D(2026, 9, 30), CALENDAR)


def test_overdue_is_read_on_the_day_asked():
    due = D(2026, 10, 27)
    assert feedback_status("reminder", due, None, D(2026, 10, 27)) == "awaiting_feedback"
    assert feedback_status("reminder", due, None, D(2026, 10, 28)) == "overdue"
    assert feedback_status("reminder", due, D(2026, 10, 27), D(2026, 12, 1)) == "answered"
    assert feedback_status("reminder", due, D(2026, 10, 28), D(2026, 12, 1)) == "answered_late"
    assert feedback_status("referral", None, None, D(2027, 1, 1)) == "referred"


def _record(**changes) -> AccountabilityRecord:
    base = dict(
        id=7, kind="reminder", chief_id="P0145", chief_name="某某", reason="2026-Q3 未巡河",
        issued_on=D(2026, 9, 30), deadline=D(2026, 10, 27), issued_by="office",
    )  # fmt: skip
    return AccountabilityRecord(**(base | changes))


def test_view_carries_labels_and_the_state_of_the_day():
    view = _record().view(D(2026, 10, 28))
    assert view["kind_label"] == "提醒" and view["status"] == "overdue" and view["overdue"]
    assert view["status_label"] == "逾期未反馈" and view["deadline"] == "2026-10-27"
    assert _record().view(D(2026, 10, 27))["overdue"] is False


def test_feedback_is_checked():
    today = D(2026, 11, 1)
    check_feedback(_record(), "已整改", D(2026, 10, 20), today)
    with pytest.raises(InputError, match="no written answer is due"):
        check_feedback(_record(kind="referral", deadline=None), "x", D(2026, 10, 20), today)
    with pytest.raises(ConflictError, match="already has its written answer"):
        check_feedback(_record(feedback="x", feedback_on=D(2026, 10, 2)), "y", today, today)
    with pytest.raises(InputError, match="before the issue"):
        check_feedback(_record(), "x", D(2026, 9, 29), today)
    with pytest.raises(InputError, match="after today"):
        check_feedback(_record(), "x", D(2026, 11, 2), today)
    with pytest.raises(InputError, match="written answer"):
        check_feedback(_record(), "  ", today, today)


def test_issue_and_follow_up_are_checked():
    check_issue("reminder", "未巡河", D(2026, 9, 30), D(2026, 9, 30))
    with pytest.raises(InputError, match="after today"):
        check_issue("reminder", "未巡河", D(2026, 10, 1), D(2026, 9, 30))
    with pytest.raises(InputError, match="reason"):
        check_issue("reminder", " ", D(2026, 9, 30), D(2026, 9, 30))
    check_follows(_record(), "interview", "P0145")
    check_follows(_record(), "reminder", "P0145")  # a second reminder
    with pytest.raises(InputError, match="against P0145, not P0146"):
        check_follows(_record(), "interview", "P0146")
    with pytest.raises(InputError, match="a reminder does not follow a notice"):
        check_follows(_record(kind="notice"), "reminder", "P0145")
