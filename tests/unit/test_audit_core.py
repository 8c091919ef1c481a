"""The audit's pure core on hand-computed cases (mid-period chief change, unassigned target)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gis_service.domain.audit import (
    BEHIND,
    COMPLIANT,
    NON_COMPLIANT,
    audit_posts,
    audit_targets,
    counted_patrols,
    region_rates,
    reminders,
)
from gis_service.domain.periods import parse_period
from gis_service.domain.rules import load_rules

Q3 = parse_period("2026-Q3")
RULES = load_rules()
ANCESTORS = {
    "450521100200": ("450521100", "450521", "450500"),
    "450521100": ("450521", "450500"),
    "450521": ("450500",),
}


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def _patrols(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["patrol_id", "chief_id", "day", "status"])
    return frame.assign(duration_s=1800.0, distance_m=2000.0)


def test_target_coverage_is_the_union_of_counted_patrols_in_the_period():
    targets = pd.DataFrame({"target_id": ["T1", "T2"], "length_m": [1000.0, 400.0]})
    patrols = _patrols(
        [
            (1, "A", d(7, 3), "valid"),
            (2, "B", d(8, 9), "valid"),
            (3, "A", d(10, 2), "valid"),
            (4, "A", d(9, 1), "invalid"),
        ]
    )
    coverage = pd.DataFrame(
        {
            "patrol_id": [1, 2, 3, 4],
            "target_id": ["T1"] * 4,
            "covered": [[[0, 300]], [[200, 500]], [[500, 1000]], [[500, 1000]]],
        }
    )
    counted = counted_patrols(patrols, RULES)
    assert set(counted.patrol_id) == {1, 2, 3}  # the invalid patrol does not count
    t1, t2 = audit_targets(targets, coverage, counted, {"T1": ["A", "B"]}, Q3)
    assert t1.covered_m == pytest.approx(500.0)  # patrol 3 is in October
    t1_a_only = audit_targets(targets, coverage, counted, {"T1": ["A"]}, Q3)[0]
    assert t1_a_only.covered_by_chiefs_m == pytest.approx(300.0)  # B is not T1's chief
    assert t1.gaps == [(500.0, 1000.0)]
    assert (t1.patrols, t1.last_patrol) == (2, d(8, 9))
    assert t2.unassigned and t2.covered_m == 0 and t2.gaps == [(0.0, 400.0)]


def _post(post_id, chief, level, region, valid_from, valid_to=None):
    return {
        "post_id": post_id,
        "chief_id": chief,
        "role": "segment_chief",
        "level": level,
        "region_code": region,
        "water_body_code": "R1",
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def test_chief_statuses_with_a_mid_period_change():
    posts = pd.DataFrame(
        [
            _post(1, "A", "village", "450521100200", d(1, 1)),  # village: 2 a month, 80%
            _post(2, "OLD", "township", "450521100", d(1, 1), d(8, 15)),  # township: 1 a month
            _post(3, "NEW", "township", "450521100", d(8, 16)),
        ]
    )
    patrols = _patrols(
        [
            (1, "A", d(7, 2), "valid"),
            (2, "A", d(7, 20), "valid"),
            (3, "A", d(8, 5), "valid"),
            (4, "A", d(9, 3), "valid"),
            (5, "A", d(9, 18), "valid"),
            (6, "OLD", d(7, 10), "valid"),
            (7, "OLD", d(8, 1), "valid"),
            (8, "NEW", d(9, 9), "valid"),
        ]
    )
    own = {1: (1000.0, 500.0), 2: (3000.0, 3000.0), 3: (3000.0, 3000.0)}
    result = {
        a.post_id: a
        for a in audit_posts(posts, patrols, own, RULES, Q3, ANCESTORS, as_of=d(10, 15))
    }
    a = result[1]
    assert a.rule_id == "village-segment-chief" and a.rules_version == RULES.version
    assert (a.required, a.counted) == (6, 5)
    assert a.missing_periods == ["2026-08"] and a.status == NON_COMPLIANT
    assert any("covered 50%" in r for r in a.reasons)
    old = result[2]  # held July fully, August only in part: only July is required
    assert (old.required, old.counted, old.status) == (1, 2, COMPLIANT)
    new = result[3]  # took over on 16 August: only September is required
    assert (new.required, new.counted, new.status) == (1, 1, COMPLIANT)


def test_behind_schedule_before_the_deadline_gives_a_reminder():
    posts = pd.DataFrame([_post(1, "C", "township", "450521100", d(1, 1))])
    patrols = _patrols([(1, "C", d(7, 9), "valid"), (2, "C", d(8, 9), "valid")])
    audits = audit_posts(
        posts, patrols, {1: (1000.0, 1000.0)}, RULES, Q3, ANCESTORS, as_of=d(9, 20)
    )
    assert audits[0].status == BEHIND and audits[0].deadline == d(9, 30)
    (reminder,) = reminders(audits)
    assert reminder["chief_id"] == "C" and reminder["deadline"] == "2026-09-30"


def test_region_rates_roll_up_to_every_level():
    posts = pd.DataFrame([_post(1, "A", "village", "450521100200", d(1, 1))])
    patrols = _patrols([(k, "A", d(m, 5 + k), "valid") for k, m in enumerate([7, 7, 8, 8, 9, 9])])
    audits = audit_posts(posts, patrols, {1: (1000.0, 900.0)}, RULES, Q3, ANCESTORS, as_of=d(10, 1))
    targets = audit_targets(
        pd.DataFrame({"target_id": ["T"], "length_m": [1000.0]}),
        pd.DataFrame({"patrol_id": [0], "target_id": ["T"], "covered": [[[0, 900]]]}),
        counted_patrols(patrols, RULES),
        {"T": ["A"]},
        Q3,
    )
    rates = region_rates(audits, targets, {"T": ["450521100200"]}, ANCESTORS)
    county = rates[rates.region_code == "450521"].iloc[0]
    assert county.compliance_rate == 1.0 and county.coverage_rate == pytest.approx(0.9)
