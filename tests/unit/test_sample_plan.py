"""The sample's patrol plan, scored with the audit's counting semantics on hand-built walks."""

from __future__ import annotations

import datetime as dt

import numpy as np

from gis_service.domain.rules import Counting, Rule
from gis_service.sample.plan import Duty, Walk, expected_status, plan_patrols

VILLAGE = Rule("village-segment-chief", ("segment_chief",), "month", 2, "village", None, 0.8)
GENERAL = Rule("general-chief", ("general_chief",), "year", 1)
COUNTY = Rule("river-chief-county", ("segment_chief",), "month", 1, "county")


def _duty(rule: Rule, own: float = 2000.0, walkable: float = 2000.0, person: int = 0) -> Duty:
    return Duty(
        f"d{person}",
        person,
        "segment_chief",
        rule.level or "village",
        "4505",
        "R",
        rule,
        walkable,
        own,
    )


def _walks(duty: Duty, spans: dict[str, list[tuple[float, float]]]) -> list[Walk]:
    out = []
    for month, ranges in spans.items():
        for k, (a, b) in enumerate(ranges):
            out.append(Walk(duty, dt.date(2026, int(month), 3 + 10 * k), a, b))
    return out


def test_two_half_walks_a_month_cover_the_village_share():
    duty = _duty(VILLAGE)
    halves = [(0.0, 1100.0), (2000.0, 900.0)]  # one against the flow; union 2000 m = 100 %
    walks = _walks(duty, {"7": halves, "8": halves, "9": halves})
    assert expected_status(duty, walks) == "met"
    assert expected_status(duty, walks[:-1]) == "missed"  # September: one patrol of two


def test_coverage_share_with_its_tolerance_by_hand():
    duty = _duty(VILLAGE)
    full = [(0.0, 1100.0), (900.0, 2000.0)]
    # September: [0, 1100] and [500, 1590]: union 1590 m of 2000 m = 79.5 % >= 80 % - 0.5 pp
    ok = _walks(duty, {"7": full, "8": full, "9": [(0.0, 1100.0), (500.0, 1590.0)]})
    assert expected_status(duty, ok) == "met"
    # [0, 1100] and [0, 1500]: 75 %, short of 79.5 %
    short = _walks(duty, {"7": full, "8": full, "9": [(0.0, 1100.0), (0.0, 1500.0)]})
    assert expected_status(duty, short) == "missed"


def test_counting_distance_is_relative_to_a_short_own_stretch():
    duty = _duty(COUNTY, own=600.0, walkable=600.0)
    # min(1000 m, 0.5 x 600 m) = 300 m: 350 m count, 250 m do not
    walks = _walks(duty, {"7": [(0.0, 350.0)], "8": [(0.0, 350.0)], "9": [(0.0, 250.0)]})
    assert expected_status(duty, walks) == "missed"
    walks[-1].end_m = 350.0
    assert expected_status(duty, walks) == "met"


def test_an_open_year_is_behind_not_missed_and_nothing_to_walk_is_named():
    duty = _duty(GENERAL)
    assert expected_status(duty, []) == "behind"  # 2026 still open on 2026-10-15
    assert expected_status(duty, [], as_of=dt.date(2027, 1, 5)) == "missed"
    assert expected_status(_duty(GENERAL, own=0.0, walkable=0.0), []) == "unplanned"


def test_behaviours_shape_the_walks():
    duties = [_duty(VILLAGE, person=p) for p in range(4)]
    fixed = {0: "diligent", 1: "late", 2: "absent", 3: "partial"}
    plan = plan_patrols(duties, np.random.default_rng(1), fixed)
    by = {p: [w for w in plan.walks if w.duty.person == p] for p in range(4)}
    assert len(by[0]) == 6 and expected_status(duties[0], by[0]) == "met"
    months = {w.day.month for w in by[0]}
    assert months == {7, 8, 9}
    # late: the same six patrols, each in the last five days of its month
    ends = {7: 31, 8: 31, 9: 30}
    assert len(by[1]) == 6 and all(ends[w.day.month] - w.day.day < 5 for w in by[1])
    assert expected_status(duties[1], by[1]) == "met"
    assert by[2] == []
    assert expected_status(duties[3], by[3]) == "missed"


def test_counting_distance_comes_from_the_rules_file():
    # min(rule distance, own_length_share x own): 1000 m by default, 2000 m where a rule says
    assert _duty(COUNTY, own=5000.0).need_m == 1000.0
    assert _duty(COUNTY, own=600.0).need_m == 300.0
    strict = Rule("strict", ("segment_chief",), "month", 1, "county", min_distance_m=2000.0)
    assert _duty(strict, own=5000.0).need_m == 2000.0
    assert _duty(strict, own=3000.0).need_m == 1500.0
    wider = Counting(own_length_share=0.25)
    assert Duty("d", 0, "segment_chief", "county", "4505", "R", COUNTY, 600.0, 600.0,
                counting=wider).need_m == 150.0  # fmt: skip
    # the duration, too: the rule's own, else the file's default
    assert _duty(strict).min_duration_s == 600.0
    assert _duty(
        Rule("slow", ("segment_chief",), "month", 1, min_duration_min=30)
    ).min_duration_s == (1800.0)


def test_a_short_stretch_is_walked_end_to_end_by_every_patrol():
    # 300 m of river: the counting minimum is 150 m (half of it, under 1 km); every patrol
    # walks all 300 m, and the village share (80 %) is met in each month
    duty = _duty(VILLAGE, own=300.0, walkable=300.0)
    assert duty.short and duty.need_m == 150.0
    assert not _duty(VILLAGE, own=2500.0).short
    plan = plan_patrols([duty], np.random.default_rng(3), {0: "diligent"})
    assert len(plan.walks) == 6
    assert all(sorted((w.start_m, w.end_m)) == [0.0, 300.0] for w in plan.walks)
    assert expected_status(duty, plan.walks) == "met"
