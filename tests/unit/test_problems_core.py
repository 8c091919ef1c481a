"""Problem lifecycle and the 15-working-day answer deadline (seeds 000, 002)."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_service.domain.problems import (
    WorkCalendar,
    add_working_days,
    is_overdue,
    load_calendar,
    next_status,
)
from gis_service.errors import InputError


def test_fifteen_working_days_skip_weekends():
    monday = dt.date(2026, 11, 2)
    assert add_working_days(monday, 15) == dt.date(2026, 11, 23)  # three weeks on
    friday = dt.date(2026, 11, 6)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 9)
    saturday = dt.date(2026, 11, 7)  # handed over on a weekend: Monday is day one
    assert add_working_days(saturday, 1) == dt.date(2026, 11, 9)


def test_holidays_and_make_up_working_days_move_the_deadline():
    # National Day week off, and a Saturday worked instead (调休)
    golden_week = [dt.date(2026, 10, 1) + dt.timedelta(days=k) for k in range(7)]
    calendar = WorkCalendar.of(golden_week, [dt.date(2026, 10, 10)])
    start = dt.date(2026, 9, 30)  # Wednesday
    assert add_working_days(start, 1) == dt.date(2026, 10, 1)
    assert add_working_days(start, 1, calendar) == dt.date(2026, 10, 8)
    assert add_working_days(start, 3, calendar) == dt.date(2026, 10, 10)  # the Saturday counts


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        ("reported", "hand_over", "handed_over"),
        ("handed_over", "answer", "answered"),
        ("answered", "close", "closed"),
        ("answered", "hand_over", "handed_over"),
        ("reported", "close", "closed"),
        ("closed", "reopen", "reported"),
    ],
)
def test_allowed_steps(current, action, expected):
    assert next_status(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action"),
    [("reported", "answer"), ("closed", "hand_over"), ("handed_over", "close"), ("x", "fly")],
)
def test_refused_steps_name_what_is_allowed(current, action):
    with pytest.raises(InputError, match=r"\(allowed from: |unknown action .*; one of "):
        next_status(current, action)


def test_overdue_only_while_waiting_for_the_answer():
    deadline = dt.date(2026, 11, 20)
    assert is_overdue("handed_over", deadline, dt.date(2026, 11, 21))
    assert not is_overdue("handed_over", deadline, deadline)
    assert not is_overdue("answered", deadline, dt.date(2026, 12, 1))
    assert not is_overdue("reported", None, dt.date(2026, 12, 1))


def test_calendar_file_is_read_and_checked(tmp_path):
    good = tmp_path / "calendar.toml"
    good.write_text("holidays = [2026-10-01, 2026-10-02]\nworkdays = [2026-10-10]\n")
    calendar = load_calendar(good)
    assert not calendar.is_working_day(dt.date(2026, 10, 1))
    assert calendar.is_working_day(dt.date(2026, 10, 10))  # a Saturday worked (调休)
    assert load_calendar() == WorkCalendar()  # the shipped file lists nothing on purpose
    for text in (
        'holidays = ["2026-10-01"]',
        "holidays = [2026-10-01]\nworkdays = [2026-10-01]",
        "holidays = [",
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(InputError, match=r"bad\.toml"):
            load_calendar(bad)
