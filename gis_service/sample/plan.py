"""The sample's patrol plan: who patrols when and how much, planned against the rules.

An audit of the sample must look like an audit of a real region: most chiefs do what their
rule asks, some leave it to the last days of the period, some do part of it, a few do
nothing. Each person gets one behaviour (people are consistently diligent or not, across all
the posts they hold), drawn from a seeded generator:

- ``diligent``: every rule period overlapping the quarter gets its patrols, spread over the
  period; a coverage share (township 100 %, village 80 %) is walked in full;
- ``late``: the same patrols, all in the last days of each period (met once the period is
  closed, ``behind`` while it is open);
- ``partial``: one period a patrol short (a once-a-period post: nothing in that period), or
  in one period only half of the stretch walked;
- ``absent``: no patrol at all.

What a walk must reach comes from the rules file (``domain/rules``), as the audit counts it:
the rule's distance, or on a short own stretch ``own_length_share`` of its length
(:func:`counting_need`), and the rule's duration. A short stretch (one where that share is
below the rule's distance, :func:`end_to_end`) is walked end to end by every patrol, slowly
enough to last the rule's duration: a village chief with 300 m of river walks all of it,
as a real one would, instead of being left out of the sample.

The plan is pure (dates and chainage ranges on each post's walkable stretch); ``tracks.py``
turns it into GPX files. :func:`expected_status` scores the plan with the audit's counting
semantics (the report contract of issue 13) so the generator can say which mix an audit of
the sample should show, and the README can document it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from gis_service.domain.periods import Period, parse_period, split
from gis_service.domain.rules import Counting, Rule

QUARTER = parse_period("2026-Q3")  # the tracks' span: local days 2026-07-01 .. 09-30
AS_OF = dt.date(2026, 10, 15)  # the audit the figures are for: the quarter closed
BEHAVIOURS = {"diligent": 0.66, "late": 0.14, "partial": 0.12, "absent": 0.08}
LATE_DAYS = 5  # a late chief patrols in the last days of the period
# a walk plans this much over the counting distance and the rule's duration: the distance the
# service measures from noisy GPS points falls a little short of the planned chainage range
NEED_MARGIN = 1.2
DURATION_MARGIN = 1.2


def counting_need(rule: Rule, counting: Counting, own_m: float) -> float:
    """Metres a patrol must walk on the post's own stretch to count (the audit's rule): the
    smaller of the rule's distance and ``own_length_share`` of the own length."""
    distance = rule.distance_m(counting)
    return min(distance, counting.own_length_share * own_m) if own_m > 0 else distance


def end_to_end(rule: Rule | None, counting: Counting, own_m: float) -> bool:
    """A short own stretch: the relative minimum applies, so every patrol walks all of it."""
    return (
        rule is not None
        and own_m > 0
        and counting.own_length_share * own_m < rule.distance_m(counting)
    )


@dataclass
class Duty:
    """A post to plan for: who, which rule, and the walkable stretch (None: nothing to walk)."""

    key: str  # stable post key: role/level/region/water
    person: int
    role: str
    level: str
    region_code: str
    water_code: str | None
    rule: Rule | None
    walkable_m: float  # length of the longest piece one patrol can walk (0: none)
    own_m: float  # the post's whole own stretch (all pieces)
    shared_with: str | None = None  # a general chief's post walked by his own segment patrols
    counting: Counting = field(default_factory=Counting)  # the rules file's [counting]

    @property
    def need_m(self) -> float:
        """The counting distance of one patrol on this post (rules file, audit's contract)."""
        if self.rule is None:
            return self.counting.min_distance_m
        return counting_need(self.rule, self.counting, self.own_m)

    @property
    def short(self) -> bool:
        return end_to_end(self.rule, self.counting, self.own_m)

    @property
    def min_duration_s(self) -> float:
        return self.rule.duration_s(self.counting) if self.rule else 0.0

    def tolerance(self) -> float:
        """The audit's coverage tolerance for this post's own length (a share)."""
        c = self.counting
        by_metres = c.coverage_tolerance_m / self.own_m if self.own_m > 0 else 0.0
        return max(c.coverage_tolerance, min(by_metres, c.coverage_tolerance_max))


@dataclass
class Walk:
    """One planned patrol: a day and a chainage range on the duty's walkable piece."""

    duty: Duty
    day: dt.date
    start_m: float
    end_m: float  # may be < start_m: walked against the flow

    @property
    def length_m(self) -> float:
        return abs(self.end_m - self.start_m)


@dataclass
class Plan:
    behaviour: dict[int, str]  # person -> behaviour
    walks: list[Walk] = field(default_factory=list)


def rule_periods(rule: Rule) -> list[Period]:
    """The rule's calendar periods overlapping the quarter (H2 and the year stay open)."""
    return split(QUARTER, rule.period)


def _days(period: Period, n: int, late: bool, rng: np.random.Generator) -> list[dt.date]:
    """n days in the period's part inside the quarter: spread, or in its last days."""
    lo, hi = max(period.start, QUARTER.start), min(period.end, QUARTER.end)
    span = (hi - lo).days + 1
    if late:
        first = max(0, span - LATE_DAYS)
        offsets = sorted(rng.choice(np.arange(first, span), size=n, replace=n > span - first))
    else:
        edges = np.linspace(0, span, n + 1)
        offsets = [
            int(rng.integers(int(a), max(int(a) + 1, int(b)))) for a, b in itertools.pairwise(edges)
        ]
    return [lo + dt.timedelta(days=int(o)) for o in offsets]


def _spans(
    duty: Duty, n: int, share: float | None, rng: np.random.Generator, half: bool = False
) -> list[tuple[float, float]]:
    """Chainage ranges of a period's n patrols: together they walk the share asked (all of the
    piece for 100 %), each at least the counting distance (with its margin) where the piece
    allows; on a short stretch every patrol walks all of it (half of it on a ``half`` day)."""
    walkable = duty.walkable_m
    need = min(walkable, NEED_MARGIN * duty.need_m)
    if duty.short:
        length = max(need, 0.5 * walkable) if half else walkable
        ranges = [(0.0, length)] * n
    elif share is not None and not half:
        if n == 1:
            ranges = [(0.0, walkable)]
        else:
            cuts = np.linspace(0.0, walkable, n + 1)
            overlap = 0.05 * walkable
            ranges = [
                (max(0.0, a - overlap), min(walkable, b + overlap))
                for a, b in itertools.pairwise(cuts)
            ]
            # each patrol also has to reach the counting distance on its own
            ranges = [
                (a, b)
                if b - a >= need
                else (max(0.0, min(a, walkable - need)), max(0.0, min(a, walkable - need)) + need)
                for a, b in ranges
            ]
    else:
        length = min(walkable, float(rng.uniform(need, max(need, 4000.0))))
        if half:
            length = min(walkable, max(need, 0.5 * walkable))
        ranges = []
        for _ in range(n):
            a = float(rng.uniform(0.0, walkable - length))
            ranges.append((a, a + length))
    return [(a, b) if rng.random() < 0.7 else (b, a) for a, b in ranges]


def plan_patrols(duties: list[Duty], rng: np.random.Generator, fixed: dict[int, str]) -> Plan:
    """Behaviour per person (``fixed`` ones kept), then the walks of every walkable duty."""
    people = sorted({d.person for d in duties})
    names, weights = list(BEHAVIOURS), np.array(list(BEHAVIOURS.values()))
    drawn = rng.choice(len(names), size=len(people), p=weights / weights.sum())
    behaviour = {p: names[k] for p, k in zip(people, drawn, strict=True)} | fixed
    plan = Plan(behaviour)
    for duty in duties:
        rule = duty.rule
        if rule is None or duty.walkable_m <= 0 or duty.shared_with or rule.min_patrols == 0:
            continue
        kind = behaviour[duty.person]
        if kind == "absent":
            continue
        periods = rule_periods(rule)
        short = int(rng.integers(len(periods))) if kind == "partial" else -1
        for k, period in enumerate(periods):
            n = rule.min_patrols
            half = False
            if k == short:
                if rule.coverage_share is not None and n > 1 and rng.random() < 0.5:
                    half = True  # the patrols were made, the stretch only half walked
                else:
                    n -= 1
            if n <= 0:
                continue
            days = _days(period, n, kind == "late", rng)
            for day, (a, b) in zip(
                days, _spans(duty, n, rule.coverage_share, rng, half), strict=True
            ):
                plan.walks.append(Walk(duty, day, a, b))
    return plan


def expected_status(duty: Duty, walks: list[Walk], as_of: dt.date = AS_OF) -> str:
    """The status the audit of the report contract should give ``duty`` for its walks:
    counted when the walk is long enough on the own stretch (:attr:`Duty.need_m`), coverage
    as the union of a period's counted walks over the own length, with the audit's tolerance;
    ``unplanned`` for a post nothing can be walked for (no rule or no water)."""
    rule = duty.rule
    if rule is None or rule.min_patrols == 0:
        return "not_required"
    if duty.walkable_m <= 0:
        return "unplanned"
    counted = [w for w in walks if w.length_m >= duty.need_m - 1e-6]
    worst = "met"
    for period in rule_periods(rule):
        inside = [w for w in counted if w.day in period]
        ok = len(inside) >= rule.min_patrols
        if ok and rule.coverage_share is not None and duty.own_m > 0:
            union = _union([(min(w.start_m, w.end_m), max(w.start_m, w.end_m)) for w in inside])
            ok = union / duty.own_m >= rule.coverage_share - duty.tolerance()
        if ok:
            continue
        if period.end < as_of:
            return "missed"
        worst = "behind"  # open period, short so far (on_track or behind: the audit's call)
    return worst


def _union(ranges: list[tuple[float, float]]) -> float:
    total, end = 0.0, -np.inf
    for a, b in sorted(ranges):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def mix(duties: list[Duty], plan: Plan) -> tuple[Counter, dict[str, str]]:
    """Expected status per duty and their counts (general chiefs walking through their own
    segment patrols are scored on those)."""
    by_key: dict[str, list[Walk]] = {}
    for w in plan.walks:
        by_key.setdefault(w.duty.key, []).append(w)
    status = {}
    keyed = {d.key: d for d in duties}
    for d in duties:
        if d.shared_with:
            source = keyed[d.shared_with]
            walks = by_key.get(source.key, [])
            proxy = Duty(
                d.key,
                d.person,
                d.role,
                d.level,
                d.region_code,
                None,
                d.rule,
                source.walkable_m,
                source.own_m,
                counting=d.counting,
            )
            status[d.key] = expected_status(proxy, walks)
        else:
            status[d.key] = expected_status(d, by_key.get(d.key, []))
    return Counter(status.values()), status
