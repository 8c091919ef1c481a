"""Patrol coverage and frequency audit for a period (the office's monthly/quarterly check).

Pure functions over plain tables; the service feeds them from the database. Three views:

- per target (segment or zone): the union of what every counted patrol covered in the period,
  the gap stretches, the last patrol date, and whether anyone held the post;
- per chief post: patrols required by the rule in each sub-period (week, month, ...) against
  those counted, coverage of the own stretch against the rule's share, and a status with
  reasons. Only sub-periods the post was held for in full are required, so a chief who took
  over on 16 August is not blamed for August; patrols in partial sub-periods still count;
- reminders (提醒): chiefs behind schedule, what is missing, by when.
Every result carries the rules version used, so an old report can be reproduced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis_service.domain.coverage import clip_intervals, complement, union_intervals
from gis_service.domain.periods import Period, split
from gis_service.domain.rules import RuleSet

COMPLIANT, BEHIND, NON_COMPLIANT, NO_RULE = "compliant", "behind", "non_compliant", "no_rule"


@dataclass
class TargetAudit:
    target_id: str
    length_m: float
    covered_m: float
    ratio: float
    gaps: list[tuple[float, float]]
    patrols: int
    last_patrol: dt.date | None
    chiefs: list[str]  # chiefs holding a post for it at some time in the period
    covered_by_chiefs_m: float = 0.0  # by its own chiefs' patrols only

    @property
    def unassigned(self) -> bool:
        return not self.chiefs


@dataclass
class ChiefAudit:
    chief_id: str
    post_id: int
    role: str
    level: str
    region_code: str
    water_body_code: str | None
    rule_id: str | None
    rules_version: str
    required: int
    counted: int
    missing_periods: list[str]
    own_length_m: float
    own_covered_m: float
    coverage_share: float | None
    status: str
    reasons: list[str] = field(default_factory=list)
    deadline: dt.date | None = None


def counted_patrols(patrols: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Patrols that count under the rules' counting terms (status, duration, distance)."""
    c = rules.counting
    ok = (
        patrols["status"].isin(c.statuses)
        & (patrols["duration_s"] >= c.min_duration_min * 60)
        & (patrols["distance_m"] >= c.min_distance_m)
    )
    return patrols[ok]


def audit_targets(
    targets: pd.DataFrame,
    coverage: pd.DataFrame,
    patrols: pd.DataFrame,
    holders: dict[str, list[str]],
    period: Period,
) -> list[TargetAudit]:
    """Coverage of each target from the union of all counted patrols in ``period``.

    ``targets``: target_id, length_m; ``coverage``: patrol_id, target_id, covered (list of
    [a, b] relative to the target's start); ``patrols``: counted patrols with patrol_id and
    day (local date); ``holders``: target id -> chiefs who held it during the period.
    """
    in_period = patrols[(patrols["day"] >= period.start) & (patrols["day"] <= period.end)]
    cov = coverage.merge(in_period[["patrol_id", "day", "chief_id"]], on="patrol_id")
    by_target = {t: g for t, g in cov.groupby("target_id")}
    out = []
    for t in targets.itertuples(index=False):
        g = by_target.get(t.target_id)
        chiefs = holders.get(t.target_id, [])
        if g is None or g.empty:
            union = np.zeros((0, 2))
            last, n, by_chiefs = None, 0, 0.0
        else:
            union = covered_union(g["covered"], t.length_m)
            last, n = max(g["day"]), int(g["patrol_id"].nunique())
            own = covered_union(g.loc[g["chief_id"].isin(chiefs), "covered"], t.length_m)
            by_chiefs = float((own[:, 1] - own[:, 0]).sum())
        covered = float((union[:, 1] - union[:, 0]).sum())
        gaps = complement(union, 0.0, float(t.length_m), min_gap=1.0)
        out.append(
            TargetAudit(
                t.target_id,
                float(t.length_m),
                covered,
                covered / t.length_m if t.length_m > 0 else 0.0,
                [(round(a, 1), round(b, 1)) for a, b in gaps.tolist()],
                n,
                last,
                sorted(chiefs),
                by_chiefs,
            )
        )
    return out


def covered_union(covered, length: float) -> np.ndarray:
    """Union of the [a, b] lists of some coverage rows, clipped to the target."""
    pieces = [iv for ivs in covered for iv in ivs]
    if not pieces:
        return np.zeros((0, 2))
    arr = np.asarray(pieces, dtype=float).reshape(-1, 2)
    return clip_intervals(union_intervals(arr[:, 0], arr[:, 1]), 0.0, float(length))


def audit_posts(
    posts: pd.DataFrame,
    patrols: pd.DataFrame,
    own_coverage: dict[int, tuple],
    rules: RuleSet,
    period: Period,
    ancestors: dict[str, tuple[str, ...]],
    as_of: dt.date,
) -> list[ChiefAudit]:
    """Required vs counted patrols per post under its rule, and the own-stretch coverage.

    ``posts``: post_id, chief_id, role, level, region_code, water_body_code, valid_from,
    valid_to; ``patrols``: counted patrols (chief_id, day); ``own_coverage``: post id ->
    (own length m, covered m by the chief's own patrols in the period).
    """
    out = []
    by_chief = {c: sorted(g["day"]) for c, g in patrols.groupby("chief_id")}
    for p in posts.itertuples(index=False):
        start = max(period.start, p.valid_from)
        end = min(period.end, p.valid_to or period.end)
        if end < start:
            continue  # not held during the period
        rule = rules.rule_for(p.role, p.level, p.region_code, ancestors.get(p.region_code, ()))
        days = [d for d in by_chief.get(p.chief_id, []) if start <= d <= end]
        length, covered = own_coverage.get(p.post_id, (0.0, 0.0))
        audit = ChiefAudit(
            p.chief_id,
            int(p.post_id),
            p.role,
            p.level,
            p.region_code,
            p.water_body_code,
            rule.id if rule else None,
            rules.version,
            0,
            len(days),
            [],
            length,
            covered,
            None,
            NO_RULE,
        )
        if rule is None:
            audit.reasons.append("no rule applies to this post")
            out.append(audit)
            continue
        subs = split(period, rule.period)
        late, missing = [], []
        for sub in subs:
            held_fully = p.valid_from <= sub.start and (p.valid_to is None or p.valid_to >= sub.end)
            if not held_fully or sub.start < period.start or sub.end > period.end:
                continue  # partial sub-periods are not required (patrols there still count)
            audit.required += rule.min_patrols
            n = sum(1 for d in days if d in sub)
            if n < rule.min_patrols:
                (late if as_of <= sub.end else missing).append(sub)
        audit.missing_periods = [s.label for s in missing]
        share = covered / length if length > 0 else None
        audit.coverage_share = share
        reasons = [f"{s.label}: fewer than {rule.min_patrols} patrol(s)" for s in missing]
        if rule.coverage_share is not None and length > 0 and (share or 0) < rule.coverage_share:
            text = (
                f"covered {100 * (share or 0):.0f}% of the own stretch, "
                f"{100 * rule.coverage_share:.0f}% required"
            )
            (reasons if as_of > period.end else audit.reasons).append(text)
            if as_of <= period.end:
                late.append(period)
        audit.reasons = reasons + audit.reasons
        if missing or (reasons and as_of > period.end):
            audit.status = NON_COMPLIANT
        elif late:
            audit.status = BEHIND
            audit.deadline = min(s.end for s in late)
            audit.reasons += [
                f"{s.label}: still needs {rule.min_patrols} patrol(s) by {s.end.isoformat()}"
                for s in late
                if s is not period
            ]
        else:
            audit.status = COMPLIANT
        out.append(audit)
    return out


def region_rates(
    posts: list[ChiefAudit],
    targets: list[TargetAudit],
    target_regions: dict[str, list[str]],
    ancestors: dict[str, tuple[str, ...]],
) -> pd.DataFrame:
    """Per region (and every region above it): share of posts compliant, share of length
    covered; ranked best first within each level."""
    rows: dict[str, dict] = {}

    def bucket(code: str) -> dict:
        return rows.setdefault(
            code,
            {"region_code": code, "posts": 0, "compliant": 0, "length_m": 0.0, "covered_m": 0.0},
        )

    for a in posts:
        for code in (a.region_code, *ancestors.get(a.region_code, ())):
            b = bucket(code)
            b["posts"] += 1
            b["compliant"] += a.status == COMPLIANT
    for t in targets:
        for region in target_regions.get(t.target_id, []):
            for code in (region, *ancestors.get(region, ())):
                b = bucket(code)
                b["length_m"] += t.length_m
                b["covered_m"] += t.covered_m
    frame = pd.DataFrame(list(rows.values()))
    if frame.empty:
        return frame
    frame["compliance_rate"] = frame["compliant"] / frame["posts"].where(frame["posts"] > 0)
    frame["coverage_rate"] = frame["covered_m"] / frame["length_m"].where(frame["length_m"] > 0)
    return frame.sort_values(
        ["compliance_rate", "coverage_rate"], ascending=False, na_position="last"
    ).reset_index(drop=True)


def reminders(posts: list[ChiefAudit]) -> list[dict]:
    """提醒: chiefs behind schedule, with what is missing and the deadline."""
    return [
        {
            "chief_id": a.chief_id,
            "post_id": a.post_id,
            "rule_id": a.rule_id,
            "deadline": a.deadline.isoformat() if a.deadline else None,
            "missing": a.reasons,
        }
        for a in posts
        if a.status == BEHIND
    ]
