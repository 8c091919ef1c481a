"""The audit's pure core on hand-computed cases: every figure below is worked out by hand in
the comments, from the default rules file (data/rules/patrol_rules.toml) unless the test
builds its own rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gis_service.domain.audit import (
    BEHIND,
    MET,
    MISSED,
    NOT_REQUIRED,
    ON_TRACK,
    audit_posts,
    audit_targets,
    counted_patrols,
    due,
    region_rates,
)
from gis_service.domain.intervals import grouped_gaps, grouped_union
from gis_service.domain.periods import parse_period
from gis_service.domain.rules import RulesError, audited_role, load_rules, parse_rules

Q3 = parse_period("2026-Q3")
RULES = load_rules()
VILLAGE, TOWNSHIP, COUNTY, CITY = "450521100200", "450521100", "450521", "450500"
ANCESTORS = {
    VILLAGE: (TOWNSHIP, COUNTY, CITY),
    TOWNSHIP: (COUNTY, CITY),
    COUNTY: (CITY,),
    CITY: (),
}


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def _patrols(rows, duration_s: float = 1800.0) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["patrol_id", "chief_id", "day", "status"])
    return frame.assign(duration_s=duration_s, distance_m=2000.0)


def _post(post_id, chief, level, region, valid_from, valid_to=None, *, role="segment_chief",
          water="R1", water_kind="river"):  # fmt: skip
    return {
        "post_id": post_id,
        "chief_id": chief,
        "role": role,
        "level": level,
        "region_code": region,
        "water_body_code": water,
        "water_kind": water_kind,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def _coverage(rows) -> pd.DataFrame:
    """(patrol, target, a, b): one walked stretch per row; along = b - a."""
    frame = pd.DataFrame(rows, columns=["patrol_id", "target_id", "a", "b"])
    return pd.DataFrame(
        {
            "patrol_id": frame["patrol_id"],
            "target_id": frame["target_id"],
            "covered": [[[a, b]] for a, b in zip(frame["a"], frame["b"], strict=True)],
            "along_m": frame["b"] - frame["a"],
        }
    )


def _audit(posts, post_targets, lengths, patrols, coverage, *, as_of, period=Q3, rules=RULES):
    targets = pd.DataFrame({"target_id": list(lengths), "length_m": list(lengths.values())})
    return {
        a.post_id: a
        for a in audit_posts(
            pd.DataFrame(posts),
            pd.DataFrame(post_targets, columns=["post_id", "target_id"]),
            targets,
            patrols,
            coverage,
            rules,
            period,
            ANCESTORS,
            as_of,
        )
    }


# -- targets -----------------------------------------------------------------------------------


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
    coverage = _coverage([(1, "T1", 0, 300), (2, "T1", 200, 500), (3, "T1", 500, 1000)])
    coverage = pd.concat([coverage, _coverage([(4, "T1", 500, 1000)])], ignore_index=True)
    counted = counted_patrols(patrols, RULES)
    assert set(counted.patrol_id) == {1, 2, 3}  # the invalid patrol does not count
    t1, t2 = audit_targets(targets, coverage, counted, {"T1": ["A", "B"]}, Q3)
    assert t1.covered_m == pytest.approx(500.0)  # [0,300] u [200,500]; patrol 3 is October
    t1_a_only = audit_targets(targets, coverage, counted, {"T1": ["A"]}, Q3)[0]
    assert t1_a_only.covered_by_chiefs_m == pytest.approx(300.0)  # B is not T1's chief
    assert t1.gaps == [(500.0, 1000.0)]
    assert (t1.patrols, t1.last_patrol) == (2, d(8, 9))
    assert t2.unassigned and t2.covered_m == 0 and t2.gaps == [(0.0, 400.0)]


def test_grouped_union_and_gaps_match_the_hand_computed_runs():
    group = np.array([0, 0, 0, 2, 2])
    a = np.array([100.0, 0.0, 450.0, 10.0, 5.0])
    b = np.array([300.0, 150.0, 500.0, 20.0, 12.0])
    g, s, e = grouped_union(group, a, b)
    # group 0: [0,150] u [100,300] = [0,300], then [450,500]; group 2: [5,20]
    assert g.tolist() == [0, 0, 2] and s.tolist() == [0, 450, 5] and e.tolist() == [300, 500, 20]
    gg, lo, hi = grouped_gaps(g, s, e, 3, np.array([600.0, 50.0, 20.0]))
    # group 0 on 600 m: [300,450] and [500,600]; group 1 untouched: [0,50]; group 2: [0,5]
    assert list(zip(gg.tolist(), lo.tolist(), hi.tolist(), strict=True)) == [
        (0, 300.0, 450.0),
        (0, 500.0, 600.0),
        (1, 0.0, 50.0),
        (2, 0.0, 5.0),
    ]


# -- finding 1: general and deputy chiefs are audited ----------------------------------------------


def test_general_chief_is_audited_on_any_water_of_the_region():
    # county general chief: seed 003 第四条, once a quarter; the patrol walked 1,200 m of a
    # village stretch in the county (a target of the region) -> counts; met.
    posts = [_post(1, "G", "county", COUNTY, d(1, 1), role="general_chief", water=None)]
    result = _audit(
        posts,
        [(1, "V1"), (1, "V2")],
        {"V1": 2000.0, "V2": 3000.0},
        _patrols([(1, "G", d(8, 3), "valid")]),
        _coverage([(1, "V1", 0, 1200)]),
        as_of=d(10, 15),
    )[1]
    assert (result.rule_id, result.audited_as) == ("general-chief-county", "general_chief")
    assert (result.required, result.counted, result.status) == (1, 1, MET)


def test_a_general_chief_of_a_region_without_water_owes_nothing_and_says_why():
    # a village general chief whose village holds no segment or zone: nothing can be walked;
    # the rule would owe 1 patrol a month, but the post is not_required (not missed) and the
    # reason names the zoning; the region's rate counts only posts that owed something
    posts = [
        _post(1, "G", "village", VILLAGE, d(1, 1), role="general_chief", water=None),
        _post(2, "A", "village", VILLAGE, d(1, 1)),
    ]
    result = _audit(posts, [(2, "T")], {"T": 1000.0}, _patrols([]), _coverage([]), as_of=d(10, 15))
    general, other = result[1], result[2]
    assert general.rule_id is not None and general.own_length_m == 0.0
    assert (general.required, general.status) == (0, NOT_REQUIRED)
    assert all(p.status == NOT_REQUIRED for p in general.periods)
    assert any("no measurable length" in r for r in general.reasons)
    assert (other.required, other.status) == (6, MISSED)  # the same rules owe the river chief
    rates = region_rates(list(result.values()), pd.DataFrame(), {}, ANCESTORS)
    village = rates[rates.region_code == VILLAGE].iloc[0]
    assert (village.posts, village.met) == (1, 0)


def test_deputies_are_audited_as_the_role_they_deputise():
    assert audited_role("deputy_general_chief") == "general_chief"
    assert audited_role("deputy_chief", "river") == "river_chief"
    assert audited_role("deputy_chief", "lake") == "lake_chief"
    assert audited_role("deputy_chief", "reservoir") == "reservoir_chief"
    posts = [
        _post(1, "D", "city", CITY, d(1, 1), role="deputy_chief"),
        _post(2, "DG", "county", COUNTY, d(1, 1), role="deputy_general_chief", water=None),
    ]
    result = _audit(
        posts,
        [(1, "C1"), (2, "C1")],
        {"C1": 8000.0},
        _patrols([]),
        _coverage([]),
        as_of=d(10, 15),
    )
    assert (result[1].audited_as, result[1].rule_id) == ("river_chief", "river-chief")
    assert (result[2].audited_as, result[2].rule_id) == ("general_chief", "general-chief-county")


# -- finding 2: each rule period on its own calendar, pro-rated, never "met" with 0 owed ----------


def test_half_year_and_year_rules_are_evaluated_on_their_own_calendar():
    # a city river chief owes 1 patrol in H2 (seed 002 applied to the city level); on
    # 15 Oct with 0 patrols: days left 15 Oct..31 Dec = 78 < 1 owed x 184 days -> behind.
    # a city general chief owes 1 in the year; a patrol on 1 March counts for 2026 -> met.
    posts = [
        _post(1, "R", "city", CITY, d(1, 1), role="river_chief"),
        _post(2, "G", "city", CITY, d(1, 1), role="general_chief", water=None),
    ]
    result = _audit(
        posts,
        [(1, "C1"), (2, "C1")],
        {"C1": 8000.0},
        _patrols([(1, "G", d(3, 1), "valid")]),
        _coverage([(1, "C1", 0, 1500)]),
        as_of=d(10, 15),
    )
    river, general = result[1], result[2]
    assert [(q.label, q.required, q.counted) for q in river.periods] == [("2026-H2", 1, 0)]
    assert river.status == BEHIND and river.deadline == dt.date(2026, 12, 31)
    assert [(q.label, q.required, q.counted) for q in general.periods] == [("2026", 1, 1)]
    assert general.status == MET
    # the same river chief in early August: 1 owed, 145 days left >= 184? no: 145 < 184 -> behind;
    # on 1 July, 184 days left = 1 x 184 -> on track
    early = _audit(
        posts[:1], [(1, "C1")], {"C1": 8000.0}, _patrols([]), _coverage([]), as_of=d(7, 1)
    )[1]
    assert early.status == ON_TRACK


def test_no_post_escapes_a_period_by_a_change_of_dates():
    # appointed on 2 January: held 180 of 181 days of H1 -> 1 x 180/181 = 0.99 -> owes 1;
    # no patrol, H1 closed on 30 June -> missed (it used to be skipped as "not held in full")
    posts = [_post(1, "R", "city", CITY, d(1, 2), role="river_chief")]
    h1 = parse_period("2026-H1")
    result = _audit(
        posts, [(1, "C1")], {"C1": 8000.0}, _patrols([]), _coverage([]), as_of=d(7, 10), period=h1
    )[1]
    assert (result.required, result.counted, result.status) == (1, 0, MISSED)


def test_partly_held_months_are_pro_rated_half_up():
    # township segment chief, 1 a month: OLD held July in full and 1-15 August (15/31 = 0.48
    # -> 0 owed); NEW from 16 August (16/31 = 0.52 -> 1 owed) and September (1 owed).
    posts = [
        _post(2, "OLD", "township", TOWNSHIP, d(1, 1), d(8, 15)),
        _post(3, "NEW", "township", TOWNSHIP, d(8, 16)),
    ]
    patrols = _patrols(
        [(6, "OLD", d(7, 10), "valid"), (7, "OLD", d(8, 1), "valid"), (8, "NEW", d(9, 9), "valid")]
    )
    coverage = _coverage([(6, "S", 0, 3000), (7, "S", 0, 3000), (8, "S", 0, 3000)])
    result = _audit(posts, [(2, "S"), (3, "S")], {"S": 3000.0}, patrols, coverage, as_of=d(10, 15))
    old, new = result[2], result[3]
    assert [(q.label, q.required, q.counted, q.status) for q in old.periods] == [
        ("2026-07", 1, 1, MET),
        ("2026-08", 0, 1, NOT_REQUIRED),
        ("2026-09", 0, 0, NOT_REQUIRED),
    ]
    assert old.status == MET
    assert [(q.label, q.required, q.counted, q.status) for q in new.periods] == [
        ("2026-07", 0, 0, NOT_REQUIRED),
        ("2026-08", 1, 0, MISSED),
        ("2026-09", 1, 1, MET),
    ]
    assert new.status == MISSED and "2026-08: 0 of 1 patrol(s)" in new.reasons
    assert any("held 15 of 31 days" in r for r in old.reasons)


def test_met_never_has_zero_required():
    posts = [_post(1, "X", "township", TOWNSHIP, d(9, 25), d(9, 30))]  # 6 of 30 days
    result = _audit(posts, [(1, "S")], {"S": 1000.0}, _patrols([]), _coverage([]), as_of=d(10, 1))
    post = result[1]
    assert post.required == 0 and post.status == NOT_REQUIRED


# -- finding 3: per responsible water --------------------------------------------------------------


def test_a_two_river_chief_who_walked_one_river_is_short_on_the_other():
    # village chief A holds R1 (stretch T1, 2 km) and R2 (stretch T2, 2 km); six patrols, all
    # on R1, two a month, each covering all of T1 -> R1 met (6 of 6); R2 missed (0 of 6).
    posts = [
        _post(1, "A", "village", VILLAGE, d(1, 1), water="R1"),
        _post(2, "A", "village", VILLAGE, d(1, 1), water="R2"),
    ]
    days = [d(7, 2), d(7, 20), d(8, 3), d(8, 18), d(9, 5), d(9, 20)]
    patrols = _patrols([(k, "A", day, "valid") for k, day in enumerate(days)])
    coverage = _coverage([(k, "T1", 0, 2000) for k in range(6)])
    result = _audit(
        posts, [(1, "T1"), (2, "T2")], {"T1": 2000.0, "T2": 2000.0}, patrols, coverage,
        as_of=d(10, 15),
    )  # fmt: skip
    assert (result[1].required, result[1].counted, result[1].status) == (6, 6, MET)
    assert (result[2].required, result[2].counted, result[2].status) == (6, 0, MISSED)


def test_another_chiefs_patrol_on_my_stretch_does_not_count_for_me():
    posts = [_post(1, "A", "township", TOWNSHIP, d(1, 1))]
    patrols = _patrols([(1, "B", d(7, 5), "valid")])
    result = _audit(
        posts, [(1, "T")], {"T": 2000.0}, patrols, _coverage([(1, "T", 0, 2000)]), as_of=d(10, 1)
    )[1]
    assert result.counted == 0


# -- finding 6: minimums a short stretch can reach, extensions, coverage tolerance --------------


def test_short_stretch_minimum_is_half_its_length_and_extensions_count():
    # a 300 m village stretch: minimum = min(1000 m, 0.5 x 300 m) = 150 m.
    # patrol 1: 120 m on the stretch + 40 m beyond its end (多走1公里) = 160 m >= 150 -> counts
    # patrol 2: 100 m -> does not count
    posts = [_post(1, "A", "village", VILLAGE, d(1, 1))]
    patrols = _patrols([(1, "A", d(7, 3), "valid"), (2, "A", d(7, 9), "valid")])
    coverage = _coverage([(1, "T", 0, 120), (2, "T", 0, 100)])
    coverage.loc[0, "along_m"] = 160.0
    result = _audit(posts, [(1, "T")], {"T": 300.0}, patrols, coverage, as_of=d(10, 1))[1]
    assert result.periods[0].counted == 1


def test_coverage_share_tolerance_and_one_decimal():
    # township rule: 1 a month covering 100 %. Tolerance: the larger of 0.5 % and 100 m (at
    # most 2 %) of the own stretch. On 1,000 m: max(0.5 %, min(10 %, 2 %)) = 2 %.
    # July: 998 m (99.8 %) -> met. August: 985 m (98.5 %) -> met. September: 900 m -> missed,
    # "covered 90.0% ..., 100.0% required".
    posts = [_post(1, "A", "township", TOWNSHIP, d(1, 1))]
    patrols = _patrols(
        [(1, "A", d(7, 3), "valid"), (2, "A", d(8, 3), "valid"), (3, "A", d(9, 3), "valid")]
    )
    coverage = _coverage([(1, "T", 0, 998), (2, "T", 15, 1000), (3, "T", 0, 900)])
    result = _audit(posts, [(1, "T")], {"T": 1000.0}, patrols, coverage, as_of=d(10, 1))[1]
    july, august, september = result.periods
    assert july.status == MET and july.coverage_share == pytest.approx(0.998)
    assert august.status == MET and august.coverage_share == pytest.approx(0.985)
    assert september.status == MISSED
    assert "2026-09: covered 90.0% of the own stretch, 100.0% required" in result.reasons
    # on a 10 km stretch 100 m is 1 %: 9,920 m (a mouth's 80 m short) is all of it, 9,880 is not
    long = _audit(
        posts, [(1, "T")], {"T": 10_000.0}, patrols,
        _coverage([(1, "T", 80, 10_000), (2, "T", 120, 10_000), (3, "T", 0, 10_000)]),
        as_of=d(10, 1),
    )[1]  # fmt: skip
    assert [q.status for q in long.periods] == [MET, MISSED, MET]


# -- behind schedule: the exact rule -------------------------------------------------------------


def test_behind_when_the_days_left_cannot_hold_the_owed_patrols_at_the_usual_pace():
    # village rule: 2 a month, 30 days in September -> usual interval 15 days.
    # 10 Sept, 1 done: 21 days left >= 1 x 15 -> on track.
    # 20 Sept, 1 done: 11 days left < 1 x 15 -> behind, deadline 30 Sept, a nudge (待巡提示).
    posts = [_post(1, "C", "village", VILLAGE, d(9, 1))]
    patrols = _patrols([(1, "C", d(9, 2), "valid")])
    coverage = _coverage([(1, "T", 0, 1000)])
    sept = parse_period("2026-09")
    on = _audit(posts, [(1, "T")], {"T": 1000.0}, patrols, coverage, as_of=d(9, 10), period=sept)[1]
    assert on.status == ON_TRACK
    late = _audit(posts, [(1, "T")], {"T": 1000.0}, patrols, coverage, as_of=d(9, 20), period=sept)[
        1
    ]
    assert late.status == BEHIND and late.deadline == d(9, 30)
    (nudge,) = due([late])
    assert nudge.chief_id == "C" and nudge.deadline == d(9, 30)
    assert "2026-09: still needs 1 patrol(s) by 2026-09-30" in nudge.missing


# -- finding 7: what real rules say -----------------------------------------------------------


def _rules(**extra) -> object:
    rule = {
        "id": "r",
        "role": "segment_chief",
        "period": "month",
        "min_patrols": 1,
        "source": "test",
        **extra,
    }
    return parse_rules({"version": "t", "rule": [rule]})


def test_season_window_owes_nothing_out_of_season():
    # March-December only: in Q1 January and February owe nothing, March owes 1.
    rules = _rules(season=[3, 12])
    posts = [_post(1, "A", "village", VILLAGE, d(1, 1))]
    q1 = parse_period("2026-Q1")
    result = _audit(
        posts, [(1, "T")], {"T": 1000.0}, _patrols([]), _coverage([]), as_of=d(4, 10),
        period=q1, rules=rules,
    )[1]  # fmt: skip
    assert [(q.label, q.required, q.status) for q in result.periods] == [
        ("2026-01", 0, NOT_REQUIRED),
        ("2026-02", 0, NOT_REQUIRED),
        ("2026-03", 1, MISSED),
    ]
    assert "2026-01: outside the rule's season" in result.reasons


def test_minimum_interval_and_per_rule_duration_and_distance():
    # 2 a month, at least 7 days apart, 30 min and 2 km: patrols on 3, 6 and 12 July (each
    # 2.5 km, 40 min) -> 3 and 12 count (6 is too close to 3); a 20-minute walk on 20 July
    # and a 1.5 km walk on 25 July do not count -> 2 counted.
    rules = _rules(min_patrols=2, min_interval_days=7, min_duration_min=30, min_distance_m=2000)
    posts = [_post(1, "A", "village", VILLAGE, d(1, 1))]
    patrols = pd.concat(
        [
            _patrols([(1, "A", d(7, 3), "valid"), (2, "A", d(7, 6), "valid")], 2400.0),
            _patrols([(3, "A", d(7, 12), "valid"), (5, "A", d(7, 25), "valid")], 2400.0),
            _patrols([(4, "A", d(7, 20), "valid")], 1200.0),
        ],
        ignore_index=True,
    )
    coverage = _coverage([(k, "T", 0, 2500) for k in (1, 2, 3, 4)] + [(5, "T", 0, 1500)])
    july = parse_period("2026-07")
    result = _audit(
        posts, [(1, "T")], {"T": 5000.0}, patrols, coverage, as_of=d(8, 1), period=july,
        rules=rules,
    )[1]  # fmt: skip
    assert (result.required, result.counted, result.status) == (2, 2, MET)


def test_rules_file_refuses_what_it_does_not_understand():
    with pytest.raises(RulesError, match="season"):
        _rules(season=[12, 3])
    with pytest.raises(RulesError, match="source"):
        parse_rules(
            {
                "version": "t",
                "rule": [{"id": "x", "role": "segment_chief", "period": "month", "min_patrols": 1}],
            }
        )
    with pytest.raises(RulesError, match="unknown key"):
        parse_rules({"version": "t", "counting": {"min_km": 1}, "rule": []})
    every = {r.id: r for r in RULES.rules}
    assert all(r.source for r in RULES.rules)
    assert "not from a seed" in every["village-segment-chief"].source
    assert every["general-chief-county"].level == "county"


# -- region rates --------------------------------------------------------------------------------


def test_region_rates_count_met_among_posts_that_owed_something():
    posts = [
        _post(1, "A", "village", VILLAGE, d(1, 1)),
        _post(2, "B", "village", VILLAGE, d(9, 25), d(9, 30), water="R2"),  # owes nothing
    ]
    days = [d(7, 6), d(7, 7), d(8, 8), d(8, 9), d(9, 10), d(9, 11)]
    patrols = _patrols([(k, "A", day, "valid") for k, day in enumerate(days)])
    coverage = _coverage([(k, "T", 0, 900) for k in range(6)])
    audits = list(
        _audit(
            posts, [(1, "T"), (2, "T2")], {"T": 1000.0, "T2": 500.0}, patrols, coverage,
            as_of=d(10, 1),
        ).values()
    )  # fmt: skip
    targets = audit_targets(
        pd.DataFrame({"target_id": ["T"], "length_m": [1000.0]}),
        coverage,
        counted_patrols(patrols, RULES),
        {"T": ["A"]},
        Q3,
    )
    rates = region_rates(audits, targets, {"T": [VILLAGE]}, ANCESTORS)
    county = rates[rates.region_code == COUNTY].iloc[0]
    assert (county.posts, county.met) == (1, 1)
    assert county.compliance_rate == 1.0 and county.coverage_rate == pytest.approx(0.9)


def test_patrol_staff_are_audited_weekly_without_being_chiefs():
    # 巡河员: the default file's weekly rule (local practice); July has weeks 27-31, of which
    # ISO week 27 (29 Jun-5 Jul) and 31 (27 Jul-2 Aug) cross the month's ends
    posts = [_post(1, "S", "village", VILLAGE, d(1, 1), role="patrol_staff")]
    july = parse_period("2026-07")
    result = _audit(
        posts, [(1, "T")], {"T": 800.0}, _patrols([(1, "S", d(7, 8), "valid")]),
        _coverage([(1, "T", 0, 800)]), as_of=d(8, 10), period=july,
    )[1]  # fmt: skip
    assert result.rule_id == "patrol-staff" and result.rule_period == "week"
    assert [q.label for q in result.periods] == [f"2026-W{w}" for w in range(27, 32)]
    assert (result.required, result.counted, result.status) == (5, 1, MISSED)
