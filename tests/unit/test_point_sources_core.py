"""Point posts (塘长, 泵长, 口长, 点长): rules file, passing within tolerance, the audit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from gis_service.domain import point_sources as ps
from gis_service.domain.periods import parse_period

RULES = {
    "pond_chief": ps.PointRule("pond_chief", 100.0, "month", 1),
    "pump_chief": ps.PointRule("pump_chief", 50.0, "month", 2),
    "outfall_chief": ps.PointRule("outfall_chief", 50.0, "month", 1),
    "point_chief": ps.PointRule("point_chief", 100.0, "quarter", 1),
}


def test_passes_within_the_tolerance_of_each_pair():
    track = shapely.LineString([(0, 0), (1000, 0)])
    points = shapely.points([(500, 99), (500, 101), (1030, 40), (1030, 41)])
    tracks = np.array([track, track, track, track], dtype=object)
    got = ps.passes_within(tracks, points, np.array([100.0, 100.0, 50.0, 50.0]))
    # 99 m and 100+ m from the line; (1030, 40) is 50 m from the end point (30-40-50)
    assert got.tolist() == [True, False, True, False]
    empty = np.array([shapely.LineString()], dtype=object)
    assert ps.passes_within(empty, shapely.points([(0, 0)]), np.array([1e6])).tolist() == [False]


def test_rules_file_has_every_role_and_refuses_unknown_ones(tmp_path):
    rules = ps.load_point_rules()
    assert set(rules) == set(ps.POINT_ROLES)
    assert rules["outfall_chief"].tolerance_m == 50
    bad = tmp_path / "p.toml"
    bad.write_text(
        "".join(
            f'[roles.{r}]\ntolerance_m = 50\nperiod = "month"\nmin_patrols = 1\n'
            for r in ps.POINT_ROLES
        )
        + '[roles.dam_chief]\ntolerance_m = 50\nperiod = "month"\nmin_patrols = 1\n'
    )
    with pytest.raises(ValueError, match="unknown role"):
        ps.load_point_rules(bad)
    bad.write_text('[roles.pond_chief]\ntolerance_m = 0\nperiod = "month"\nmin_patrols = 1\n')
    with pytest.raises(ValueError, match="no rule for role"):
        ps.load_point_rules(bad)


def test_audit_of_a_quarter_month_by_month():
    posts = pd.DataFrame(
        {
            "post_id": [1, 2, 3],
            "role": ["pond_chief", "pump_chief", "point_chief"],
            "valid_from": [dt.date(2026, 1, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 20)],
            "valid_to": [None, dt.date(2026, 2, 10), None],
        }
    )
    passes = pd.DataFrame(
        {
            "post_id": [1, 1, 1, 2, 2, 2, 3],
            "day": [
                dt.date(2026, 1, 5),
                dt.date(2026, 1, 5),  # the same day twice: once
                dt.date(2026, 3, 9),
                dt.date(2026, 1, 3),
                dt.date(2026, 1, 3),  # pump: two walks on one day are one
                dt.date(2026, 2, 12),  # after the post ended: not counted
                dt.date(2026, 2, 25),
            ],
        }
    )
    got = ps.audit_point_posts(
        posts, passes, RULES, parse_period("2026-Q1"), as_of=dt.date(2026, 3, 15)
    )
    rows = {(r.post_id, r.period): (r.required, r.counted, r.status) for r in got.itertuples()}
    assert rows[1, "2026-01"] == (1, 1, "met")
    assert rows[1, "2026-02"] == (1, 0, "missed")
    assert rows[1, "2026-03"] == (1, 1, "met")
    assert rows[2, "2026-01"] == (2, 1, "missed")
    # held 1-10 February: 10 of 28 days, under half: nothing owed; March: not held
    assert rows[2, "2026-02"] == (0, 0, "not_required")
    assert rows[2, "2026-03"] == (0, 0, "not_required")
    # the quarterly 点长 post held from 20 February: 40 of 90 days, under half
    assert rows[3, "2026-Q1"] == (0, 1, "not_required")
    later = ps.audit_point_posts(
        posts.iloc[[0]], passes.iloc[:0], RULES, parse_period("2026-03"), as_of=dt.date(2026, 3, 15)
    )
    assert later[["period", "required", "counted", "status"]].values.tolist() == [
        ["2026-03", 1, 0, "on_track"]
    ]


def test_rule_window_covers_the_quarter_of_a_month():
    assert ps.rule_window(parse_period("2026-02"), RULES) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
