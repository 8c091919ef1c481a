"""Audit periods and frequency rules (the pure part of the audit)."""

from __future__ import annotations

import datetime as dt

import pytest

from gis_service.domain.periods import parse_period, period_of, split
from gis_service.domain.rules import RulesError, load_rules, parse_rules


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2026", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("2026-H2", dt.date(2026, 7, 1), dt.date(2026, 12, 31)),
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2026-07-D3", dt.date(2026, 7, 21), dt.date(2026, 7, 31)),
        ("2026-W27", dt.date(2026, 6, 29), dt.date(2026, 7, 5)),
    ],
)
def test_parse_period(label, start, end):
    p = parse_period(label)
    assert (p.start, p.end, p.label) == (start, end, label)


def test_split_quarter_into_months_ten_days_and_weeks():
    q3 = parse_period("2026-Q3")
    assert [m.label for m in split(q3, "month")] == ["2026-07", "2026-08", "2026-09"]
    assert len(split(q3, "ten_days")) == 9
    weeks = split(q3, "week")
    assert weeks[0].start <= q3.start and weeks[-1].end >= q3.end
    assert split(q3, "year")[0].label == "2026"
    assert period_of(dt.date(2026, 8, 20), "ten_days").label == "2026-08-D2"


def test_bad_period_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown period '2026-Q5'"):
        parse_period("2026-Q5")


def test_default_rules_follow_the_seeds():
    rules = load_rules()
    assert rules.version
    county_general = rules.rule_for("general_chief", "county", "450521", ("450500", "450000"))
    assert (county_general.period, county_general.min_patrols) == ("quarter", 1)  # seed 003
    city_general = rules.rule_for("general_chief", "city", "450500", ("450000",))
    assert (city_general.period, city_general.min_patrols) == ("year", 1)  # seed 002
    township = rules.rule_for("segment_chief", "township", "450521100", ("450521",))
    assert township.coverage_share == 1.0  # seed 000: the whole stretch


def test_a_regional_rule_beats_the_general_one():
    doc = {
        "version": "t1",
        "rule": [
            {
                "id": "all",
                "role": "segment_chief",
                "level": "village",
                "period": "month",
                "min_patrols": 2,
                "source": "test",
            },
            {
                "id": "hepu",
                "role": "segment_chief",
                "region": "450521",
                "period": "week",
                "min_patrols": 1,
                "source": "test",
            },
        ],
    }
    rules = parse_rules(doc)
    assert (
        rules.rule_for(
            "segment_chief", "village", "450521100200", ("450521100", "450521", "450500")
        ).id
        == "hepu"
    )
    assert (
        rules.rule_for(
            "segment_chief", "village", "450512100200", ("450512100", "450512", "450500")
        ).id
        == "all"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "x", "role": "boss", "period": "month", "min_patrols": 1}, "unknown role"),
        (
            {"id": "x", "role": "segment_chief", "period": "fortnight", "min_patrols": 1},
            "period must be",
        ),
        ({"id": "x", "role": "segment_chief", "period": "month", "min_patrols": -1}, "min_patrols"),
        (
            {
                "id": "x",
                "role": "segment_chief",
                "period": "month",
                "min_patrols": 1,
                "coverage_share": 2,
            },
            "coverage_share",
        ),
        (
            {"id": "x", "role": "segment_chief", "period": "month", "min_patrols": 1, "freq": 3},
            "unknown key",
        ),
    ],
)
def test_bad_rules_are_refused_with_the_rule_named(rule, message):
    with pytest.raises(RulesError, match=message) as info:
        parse_rules({"version": "t", "rule": [rule]})
    assert "rule 1 (x)" in str(info.value)
