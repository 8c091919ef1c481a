"""GB 3838-2002 classes and the monthly boundary-section assessment, on hand-computed cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from gis_service.domain import water_quality as wq

RULE = wq.AssessmentRule(reward_yuan=100_000, deduction_yuan=100_000, source="seed 004")


def _values(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(np.nan, index=range(n), columns=list(wq.PARAMETER_NAMES))
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_each_parameter_is_classed_by_table_1_limits_inclusive():
    # 氨氮 limits 0.15 / 0.5 / 1.0 / 1.5 / 2.0: equal to a limit meets that class
    values = _values(ammonia_nitrogen=[0.15, 0.16, 0.5, 1.0, 1.01, 2.0, 2.01])
    got = wq.computed_classes(values, np.zeros(7, bool))
    assert got.tolist() == [1, 2, 2, 3, 4, 5, 6]


def test_dissolved_oxygen_is_better_when_higher():
    # 溶解氧 ≥ 7.5 (Ⅰ, the mg/L alternative of 饱和率90%) / 6 / 5 / 3 / 2
    values = _values(dissolved_oxygen=[8.0, 7.5, 7.4, 5.0, 4.9, 2.0, 1.9])
    got = wq.computed_classes(values, np.zeros(7, bool))
    assert got.tolist() == [1, 1, 2, 3, 4, 5, 6]


def test_total_phosphorus_has_stricter_limits_in_lakes_and_reservoirs():
    # 0.05 mg/L: river Ⅱ (≤0.1), lake/reservoir Ⅲ (≤0.05); 0.3: river Ⅳ, lake 劣Ⅴ (>0.2)
    values = _values(total_phosphorus=[0.05, 0.05, 0.3, 0.3])
    got = wq.computed_classes(values, np.array([False, True, False, True]))
    assert got.tolist() == [2, 3, 4, 6]


def test_single_factor_the_worst_parameter_sets_the_class():
    # DO 6.5 -> Ⅱ, CODMn 5.0 -> Ⅲ, NH3-N 1.2 -> Ⅳ, TP 0.1 -> Ⅱ: the sample is Ⅳ (氨氮)
    values = _values(
        dissolved_oxygen=[6.5, 6.5],
        permanganate_index=[5.0, np.nan],
        ammonia_nitrogen=[1.2, np.nan],
        total_phosphorus=[0.1, np.nan],
    )
    still = np.zeros(2, bool)
    assert wq.computed_classes(values, still).tolist() == [4, 2]
    assert wq.limiting_parameters(values, still).tolist() == ["氨氮", "溶解氧"]


def test_a_sample_without_values_has_no_computed_class():
    got = wq.computed_classes(_values(cod=[np.nan]), np.zeros(1, bool))
    assert got.isna().all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ⅲ", 3),
        ("III", 3),
        ("3", 3),
        ("Ⅲ类", 3),
        ("劣Ⅴ", 6),
        ("劣V类", 6),
        ("ii", 2),
        ("Ⅵ", None),
        ("7", None),
        ("", None),
    ],
)
def test_parse_class(text, expected):
    assert wq.parse_class(text) == expected


def test_a_stated_class_may_be_worse_than_the_parameters_never_better():
    assert wq.reconcile_class(None, 3) == (3, "computed")
    assert wq.reconcile_class(3, 3) == (3, "computed")
    assert wq.reconcile_class(4, 3) == (4, "stated")
    assert wq.reconcile_class(2, 3) == (None, None)
    assert wq.reconcile_class(5, None) == (5, "stated")
    assert wq.reconcile_class(None, None) == (None, None)


def test_months_between_crosses_the_year():
    got = wq.months_between(dt.date(2025, 11, 20), dt.date(2026, 2, 3))
    assert got == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


def test_monthly_assessment_rewards_deducts_and_lists_months_without_data():
    sections = pd.DataFrame(
        {"code": ["A", "B"], "target_class": [3, 2], "upstream_region_code": ["T1", "T1"]}
    )
    samples = pd.DataFrame(
        {
            "section_code": ["A", "A", "A", "B"],
            "sampled_on": [
                dt.date(2026, 1, 5),
                dt.date(2026, 1, 20),
                dt.date(2026, 2, 3),
                dt.date(2026, 1, 9),
            ],
            # A: January Ⅲ then Ⅳ -> worst Ⅳ fails Ⅲ; February Ⅲ meets; B: January Ⅱ meets
            "class": [3, 4, 3, 2],
        }
    )
    months = [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    rows = wq.assess_months(sections, samples, months, RULE)
    got = {
        (r.section_code, f"{r.month:%m}"): (r.month_class, r.samples, r.status, r.amount_yuan)
        for r in rows.itertuples()
    }
    assert got[("A", "01")] == (4, 2, "failed", -100_000)
    assert got[("A", "02")] == (3, 1, "met", 100_000)
    assert got[("B", "01")] == (2, 1, "met", 100_000)
    b_feb = got[("B", "02")]
    assert np.isnan(b_feb[0]) and b_feb[1:] == (0, "no_data", 0.0)
    totals = wq.region_totals(rows).set_index("month")
    jan, feb = totals.loc[dt.date(2026, 1, 1)], totals.loc[dt.date(2026, 2, 1)]
    assert (jan["met"], jan["failed"], jan["no_data"], jan["amount_yuan"]) == (1, 1, 0, 0.0)
    assert (feb["met"], feb["failed"], feb["no_data"], feb["amount_yuan"]) == (1, 0, 1, 100_000)


def test_rules_file_loads_seed_004_amounts_and_refuses_unknown_keys(tmp_path):
    rule = wq.load_assessment_rule()
    assert (rule.reward_yuan, rule.deduction_yuan) == (100_000, 100_000)
    bad = tmp_path / "wq.toml"
    bad.write_text("[boundary_sections]\nreward_yuan = 5\ndeduction_yuan = 5\nbonus = 1\n")
    with pytest.raises(ValueError, match=r"unknown key.*bonus"):
        wq.load_assessment_rule(bad)
    bad.write_text("[boundary_sections]\nreward_yuan = -5\ndeduction_yuan = 5\n")
    with pytest.raises(ValueError, match="reward_yuan must be a number >= 0"):
        wq.load_assessment_rule(bad)


def test_no_sections_give_an_empty_assessment():
    sections = pd.DataFrame({"code": [], "target_class": [], "upstream_region_code": []})
    samples = pd.DataFrame({"section_code": [], "sampled_on": [], "class": []})
    rows = wq.assess_months(sections, samples, [dt.date(2026, 1, 1)], RULE)
    assert rows.empty and wq.region_totals(rows).empty


def test_sections_without_any_sample_are_no_data():
    sections = pd.DataFrame({"code": ["A"], "target_class": [3], "upstream_region_code": ["T1"]})
    samples = pd.DataFrame({"section_code": [], "sampled_on": [], "class": []})
    rows = wq.assess_months(sections, samples, [dt.date(2026, 1, 1)], RULE)
    assert rows[["section_code", "samples", "status", "amount_yuan"]].values.tolist() == [
        ["A", 0, "no_data", 0.0]
    ]
