"""一河一策 tasks, the pure part: overdue as of the office's day (around midnight in
Asia/Shanghai), completed late, and the conversions of an imported table's words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from gis_service.domain import plans as dp

SHANGHAI = "Asia/Shanghai"


def _states(rows, as_of):
    deadlines = np.array([r[0] for r in rows], dtype="datetime64[D]")
    statuses = np.array([r[1] for r in rows])
    completed = np.array(
        [r[2] if r[2] else np.datetime64("NaT") for r in rows], dtype="datetime64[D]"
    )
    states, late = dp.task_states(deadlines, statuses, completed, as_of)
    return list(states), [int(x) for x in late]


def test_a_task_due_today_is_open_and_overdue_from_the_next_office_day() -> None:
    due = dt.date(2026, 6, 30)
    rows = [(due, "in_progress", None)]
    # 2026-06-30 15:59:59 UTC = 23:59:59 on the 30th in Shanghai: still due today
    before = dp.office_day(dt.datetime(2026, 6, 30, 15, 59, 59, tzinfo=dt.UTC), SHANGHAI)
    # 2026-06-30 16:00:00 UTC = 00:00 on 1 July in Shanghai (UTC still says the 30th)
    after = dp.office_day(dt.datetime(2026, 6, 30, 16, 0, 0, tzinfo=dt.UTC), SHANGHAI)
    assert (before, after) == (dt.date(2026, 6, 30), dt.date(2026, 7, 1))
    assert _states(rows, before) == (["open"], [0])
    assert _states(rows, after) == (["overdue"], [1])


def test_office_day_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        dp.office_day(dt.datetime(2026, 6, 30, 16, 0), SHANGHAI)


def test_states_of_every_kind_hand_computed() -> None:
    as_of = dt.date(2026, 10, 15)
    rows = [
        (dt.date(2026, 10, 15), "not_started", None),  # due today: open
        (dt.date(2026, 9, 30), "not_started", None),  # 15 days overdue
        (dt.date(2026, 8, 31), "in_progress", None),  # 45 days overdue (Sep 30 + Oct 15)
        (dt.date(2026, 6, 30), "done", dt.date(2026, 6, 30)),  # on the day: done
        (dt.date(2026, 6, 30), "done", dt.date(2026, 7, 10)),  # 10 days late
        (dt.date(2026, 12, 31), "done", dt.date(2026, 3, 1)),  # early
        # completed after the day asked about: on 10-15 it was still open / overdue
        (dt.date(2026, 12, 31), "done", dt.date(2026, 10, 20)),
        (dt.date(2026, 10, 10), "done", dt.date(2026, 10, 20)),
    ]
    assert _states(rows, as_of) == (
        ["open", "overdue", "overdue", "done", "done_late", "done", "open", "overdue"],
        [0, 15, 45, 0, 10, 0, 0, 5],
    )


def test_no_tasks_give_empty_arrays() -> None:
    states, late = dp.task_states(
        np.array([], dtype="datetime64[D]"),
        np.array([], dtype=str),
        np.array([], dtype="datetime64[D]"),
        dt.date(2026, 1, 1),
    )
    assert len(states) == 0 and len(late) == 0


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-06-30", dt.date(2026, 6, 30)),
        ("2026/6/3", dt.date(2026, 6, 3)),
        ("2026年6月30日", dt.date(2026, 6, 30)),
        ("2026-06-30 00:00:00", dt.date(2026, 6, 30)),  # an XLSX date cell read as text
    ],
)
def test_dates_in_the_forms_offices_write(text: str, day: dt.date) -> None:
    assert dp.parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "not a calendar day"),
        ("2026-13-01", "not a calendar day"),
        ("2025-02-29", "not a calendar day"),  # 2025 is not a leap year
        ("30/06/2026", "not a date"),
        ("46203", "not a date"),  # a spreadsheet serial number: refused, not guessed
        ("2026-06-30 12:00:00", "not a date"),  # a time of day is not a deadline
    ],
)
def test_impossible_or_unknown_dates_are_refused_naming_the_value(text, message) -> None:
    with pytest.raises(ValueError, match=message) as err:
        dp.parse_date(text)
    assert repr(text) in str(err.value)


def test_words_of_the_seeds_become_categories_and_statuses() -> None:
    assert dp.category_of("水污染防治") == "水污染防治"
    assert dp.category_of("加大水生态保护与修复力度") == "水生态修复"  # seed 001 heading (五)
    assert dp.category_of("落实最严格水资源管理制度") == "水资源保护"  # seed 001 heading (一)
    assert dp.category_of("防汛") is None
    assert [dp.status_of(w) for w in ("未开始", "进行中", "已完成", "DONE", "完成")] == [
        "not_started",
        "in_progress",
        "done",
        "done",
        None,
    ]


def test_percent_is_a_whole_number_never_a_guessed_fraction() -> None:
    assert dp.parse_percent("60") == 60
    assert dp.parse_percent("100%") == 100
    for bad in ("0.6", "101", "-5", "六十"):
        with pytest.raises(ValueError, match="whole percent"):
            dp.parse_percent(bad)


def test_completion_must_agree_with_status() -> None:
    assert dp.check_completion("done", None) is not None
    assert dp.check_completion("in_progress", dt.date(2026, 1, 1)) is not None
    assert dp.check_completion("done", dt.date(2026, 1, 1)) is None
    assert dp.check_completion("not_started", None) is None
