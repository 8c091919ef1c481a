"""Problem lifecycle (交办, 答复, 核查, 销号), hand-over deadlines set per case, sources, and
the working-day calendar (seed 000)."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_service.domain.problems import (
    WorkCalendar,
    add_working_days,
    check_source,
    check_step,
    handover_deadline,
    is_overdue,
    load_calendar,
    next_status,
)
from gis_service.domain.vocab import PROBLEM_CATEGORY_LABELS, PROBLEM_SOURCE_LABELS
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
        ("answered", "verify", "verified"),
        ("verified", "close", "closed"),
        ("answered", "hand_over", "handed_over"),
        ("reported", "close", "closed"),
        ("closed", "reopen", "reported"),
    ],
)
def test_allowed_steps(current, action, expected):
    assert next_status(current, action) == expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        ("reported", "answer"),
        ("closed", "hand_over"),
        ("handed_over", "close"),
        ("x", "fly"),
        ("reported", "verify"),
        ("handed_over", "verify"),
        ("verified", "hand_over"),
        ("verified", "reopen"),
    ],
)
def test_refused_steps_name_what_is_allowed(current, action):
    with pytest.raises(InputError, match=r"\(allowed from: |unknown action .*; one of "):
        next_status(current, action)


def test_an_answer_is_verified_before_it_is_closed():
    """Issue 13 item 8: a hand-over ends with verification (核查) and 销号; the old model closed
    straight from the answer."""
    with pytest.raises(InputError, match=r"allowed from: reported, verified\).*核查 before 销号"):
        next_status("answered", "close")


def test_hand_over_deadline_is_set_per_case():
    calendar = load_calendar()  # the shipped 2026 calendar
    wed = dt.date(2026, 9, 30)
    assert handover_deadline(wed, calendar, deadline=dt.date(2026, 10, 9)) == dt.date(2026, 10, 9)
    # 5 working days after 30 Sep: Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13 October
    assert handover_deadline(wed, calendar, working_days=5) == dt.date(2026, 10, 13)
    # the office's default when the case states none; the case beats the default
    assert handover_deadline(wed, calendar, default_working_days=2) == dt.date(2026, 10, 9)
    assert handover_deadline(wed, calendar, working_days=1, default_working_days=2) == dt.date(
        2026, 10, 8
    )
    with pytest.raises(InputError, match="交办时要明确完成时限"):
        handover_deadline(wed, calendar)
    with pytest.raises(InputError, match="not both"):
        handover_deadline(wed, calendar, deadline=dt.date(2026, 10, 9), working_days=5)
    with pytest.raises(InputError, match="before the hand-over day"):
        handover_deadline(wed, calendar, deadline=dt.date(2026, 9, 29))
    with pytest.raises(InputError, match="between 1 and 250"):
        handover_deadline(wed, calendar, working_days=0)


def test_steps_refuse_what_they_cannot_use():
    check_step("hand_over", handed_to="县水利局", working_days=5)
    with pytest.raises(InputError, match="deadline: only a hand-over"):
        check_step("answer", note="已整改", deadline=dt.date(2026, 10, 9))
    with pytest.raises(InputError, match="working_days, handed_to: only a hand-over"):
        check_step("verify", working_days=3, handed_to="x")
    with pytest.raises(InputError, match="handed_to"):
        check_step("hand_over")
    with pytest.raises(InputError, match="needs its text"):
        check_step("answer")


def test_sources_and_new_categories():
    assert PROBLEM_SOURCE_LABELS == {
        "patrol": "河湖长巡查", "public": "群众举报", "media": "媒体曝光", "superior": "上级交办",
    }  # fmt: skip
    for code, label in [("illegal_water_intake", "非法取水"), ("obstruction", "设障"),
                        ("aquaculture", "养殖"), ("soil_taking", "取土")]:  # fmt: skip
        assert PROBLEM_CATEGORY_LABELS[code] == label
    check_source("patrol", "P0145", None)
    check_source("public", None, None)  # no chief, no patrol: the office records it
    with pytest.raises(InputError, match="names the chief who found it"):
        check_source("patrol", None, None)
    with pytest.raises(InputError, match="was not found on a patrol"):
        check_source("media", None, "some-patrol")
    with pytest.raises(InputError, match="source must be one of"):
        check_source("rumour", None, None)


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
    shipped = load_calendar()  # 2026, as published by the State Council on 2025-11-04
    golden_week = {dt.date(2026, 10, 1) + dt.timedelta(days=k) for k in range(7)}
    assert golden_week <= shipped.holidays and len(shipped.holidays) == 33
    assert shipped.workdays == {
        dt.date(2026, 1, 4), dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 5, 9),
        dt.date(2026, 9, 20), dt.date(2026, 10, 10),
    }  # fmt: skip
    for text in (
        'holidays = ["2026-10-01"]',
        "holidays = [2026-10-01]\nworkdays = [2026-10-01]",
        "holidays = [",
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(InputError, match=r"bad\.toml"):
            load_calendar(bad)
