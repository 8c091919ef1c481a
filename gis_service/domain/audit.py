"""Patrol coverage and frequency audit (巡河考核): pure functions over plain tables.

The service feeds them from the database; they decide everything. Three views:

- **per target** (segment or zone): the union of what every counted patrol covered in the
  audit period, the gap stretches, the last patrol date, and who held it;
- **per post**: each rule period (month, quarter, H1/H2, year: on its own calendar, whatever
  period the report covers) with the patrols owed and counted, and one status:

  ``met``           owed > 0, counted >= owed and the coverage share reached;
  ``on_track``      the period is still open and the owed patrols still fit (below);
  ``behind``        the period is still open and the days left are fewer than the patrols
                    still owed x the post's usual interval (days held in the period / owed):
                    at the usual pace they can no longer all be done;
  ``missed``        the period is closed (the report date is after its last day, or after
                    the post ended) and it is short of patrols or of coverage;
  ``not_required``  nothing is owed (held too briefly, out of season, no rule, or no
                    measurable stretch): "met" with 0 owed does not exist.

  A post's status is the worst of its periods (missed > behind > on_track > met >
  not_required).
- **per region**: the share of posts met among posts that owed something, and the share of
  length covered, rolled up to every region above.

Counting is **per responsible water** (每条责任河湖): a patrol counts for a post when it is a
counting status, lasted the rule's minimum duration, and walked along *that post's own*
segments or zones (多走1公里 extensions included) at least the smaller of the rule's minimum
distance and ``own_length_share`` of the post's own length. A general chief's (总河长) own
targets are the waters of the region. A post held for part of a rule period owes
round-half-up(min_patrols x days held / days of the period) (days in season only).
Every date here is a local date of the office's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gis_service.domain.intervals import explode, grouped_gaps, grouped_union
from gis_service.domain.periods import Period, split
from gis_service.domain.rules import Counting, Rule, RuleSet, audited_role

MET, ON_TRACK, BEHIND, MISSED, NOT_REQUIRED = (
    "met",
    "on_track",
    "behind",
    "missed",
    "not_required",
)
# worst first: a post's status is the worst of its periods
SEVERITY = {MISSED: 4, BEHIND: 3, ON_TRACK: 2, MET: 1, NOT_REQUIRED: 0}
_BY_SEVERITY = {v: k for k, v in SEVERITY.items()}
MIN_GAP_M = 1.0  # gaps shorter than this are chainage rounding, not a missed stretch


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


@dataclass(slots=True)
class PeriodAudit:
    """One rule period of one post."""

    label: str
    start: dt.date
    end: dt.date
    required: int
    counted: int
    status: str
    deadline: dt.date | None  # last day the post owes this period's patrols
    coverage_share: float | None = None


@dataclass
class PostAudit:
    chief_id: str
    post_id: int
    role: str
    audited_as: str
    level: str
    region_code: str
    water_body_code: str | None
    rule_id: str | None
    rules_version: str
    rule_period: str | None
    required: int
    counted: int
    status: str
    periods: list[PeriodAudit]
    own_length_m: float
    own_covered_m: float
    coverage_share: float | None
    coverage_required: float | None
    reasons: list[str] = field(default_factory=list)
    deadline: dt.date | None = None


@dataclass(frozen=True)
class Due:
    """A schedule nudge (待巡提示) for a post behind schedule. Not a 提醒: that word is the
    first step of accountability (seed 000), issued by the office, not by the audit."""

    chief_id: str
    post_id: int
    rule_id: str | None
    deadline: dt.date | None
    missing: list[str]


def counted_patrols(patrols: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """Patrols in a counting status that lasted the [counting] minimum: those whose covered
    stretches make a target's coverage. Whether one counts *for a post* also depends on the
    distance walked along that post's own water (``audit_posts``)."""
    c = rules.counting
    ok = patrols["status"].isin(c.statuses) & (patrols["duration_s"] >= c.min_duration_min * 60)
    return patrols[ok]


# -- targets -----------------------------------------------------------------------------------


def audit_targets(
    targets: pd.DataFrame,
    coverage: pd.DataFrame,
    patrols: pd.DataFrame,
    holders: dict[str, list[str]],
    period: Period,
) -> list[TargetAudit]:
    """Coverage of each target from the union of all counted patrols in ``period``.

    ``targets``: target_id, length_m; ``coverage``: patrol_id, target_id, covered (list of
    [a, b] relative to the target's start); ``patrols``: counted patrols with patrol_id,
    chief_id and day (local date); ``holders``: target id -> chiefs who held it in the period.
    """
    ids = targets["target_id"].to_numpy()
    length = targets["length_m"].to_numpy(dtype=float)
    index = pd.Index(ids)
    in_period = patrols[(patrols["day"] >= period.start) & (patrols["day"] <= period.end)]
    cov = coverage.merge(in_period[["patrol_id", "day", "chief_id"]], on="patrol_id")
    cov = cov[index.get_indexer(cov["target_id"]) >= 0]
    t = index.get_indexer(cov["target_id"])
    n = len(ids)

    patrol_count = np.zeros(n, dtype=np.int64)
    last: list[dt.date | None] = [None] * n
    if len(cov):
        firsts = cov.assign(t=t).drop_duplicates(["t", "patrol_id"])
        patrol_count = np.bincount(firsts["t"], minlength=n)
        days = _days(firsts["day"]).astype(np.int64)
        latest = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(latest, firsts["t"].to_numpy(), days)
        seen = np.flatnonzero(patrol_count > 0)
        for k, day in zip(seen, latest[seen].astype("datetime64[D]").astype(object), strict=True):
            last[int(k)] = day

    row, a, b = explode(cov["covered"].tolist())
    group = t[row] if len(row) else np.zeros(0, dtype=np.int64)
    covered, runs = _union_length(group, a, b, length, n)
    own = np.zeros(len(row), dtype=bool)
    pairs = pd.DataFrame(
        [(tid, c) for tid, cs in holders.items() for c in cs], columns=["target_id", "chief_id"]
    )
    if len(row) and len(pairs):
        # rows walked by one of the target's own chiefs: a merge on (target, chief)
        by_row = cov[["target_id", "chief_id"]].reset_index(drop=True)
        mine = by_row.merge(pairs.drop_duplicates(), how="left", indicator=True)["_merge"]
        own = (mine == "both").to_numpy()[row]
    by_chiefs, _ = _union_length(group[own], a[own], b[own], length, n)
    gap_group, gap_lo, gap_hi = grouped_gaps(*runs, n, length, MIN_GAP_M)
    gaps: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    for g, lo, hi in zip(gap_group.tolist(), gap_lo.tolist(), gap_hi.tolist(), strict=True):
        gaps[g].append((round(lo, 1), round(hi, 1)))
    ratio = np.divide(covered, length, out=np.zeros(n), where=length > 0)
    return [
        TargetAudit(
            str(ids[k]),
            float(length[k]),
            float(covered[k]),
            float(ratio[k]),
            gaps[k],
            int(patrol_count[k]),
            last[k],
            sorted(holders.get(ids[k], [])),
            float(by_chiefs[k]),
        )
        for k in range(n)
    ]


def _days(values: pd.Series) -> np.ndarray:
    """Local dates (date objects or datetime64) as datetime64[D], vectorised."""
    return pd.to_datetime(values).to_numpy("datetime64[D]")


def _union_length(
    group: np.ndarray, a: np.ndarray, b: np.ndarray, length: np.ndarray, n: int
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Covered metres per group (intervals clipped to [0, length]) and the union's runs."""
    if len(group):
        lim = length[group]
        a, b = np.clip(a, 0.0, lim), np.clip(b, 0.0, lim)
        keep = b > a
        group, a, b = group[keep], a[keep], b[keep]
    g, s, e = grouped_union(group.astype(np.int64), a, b)
    return np.bincount(g, weights=e - s, minlength=n), (g, s, e)


# -- posts -------------------------------------------------------------------------------------


def audit_posts(
    posts: pd.DataFrame,
    post_targets: pd.DataFrame,
    targets: pd.DataFrame,
    patrols: pd.DataFrame,
    coverage: pd.DataFrame,
    rules: RuleSet,
    period: Period,
    ancestors: dict[str, tuple[str, ...]],
    as_of: dt.date,
) -> list[PostAudit]:
    """Owed vs counted patrols of every post in every rule period overlapping ``period``.

    ``posts``: post_id, chief_id, role, level, region_code, water_body_code, valid_from,
    valid_to (and optionally water_kind, to audit a 副河长 as 湖长 or 库长);
    ``post_targets``: post_id, target_id (a post's own segments/zones); ``targets``:
    target_id, length_m; ``patrols``: patrol_id, chief_id, day (local date), status,
    duration_s, for every day of the rule periods (a yearly rule counts the whole year);
    ``coverage``: patrol_id, target_id, covered ([[a, b], ...]) and along_m (covered +
    extension metres; the covered length when absent).
    """
    if len(posts) == 0:
        return []
    posts = posts.reset_index(drop=True)
    n = len(posts)
    lengths = dict(zip(targets["target_id"], targets["length_m"].astype(float), strict=True))
    pt = post_targets[post_targets["target_id"].isin(lengths.keys())]
    post_index = pd.Index(posts["post_id"])
    own_length = np.bincount(
        post_index.get_indexer(pt["post_id"]),
        weights=pt["target_id"].map(lengths).to_numpy(dtype=float),
        minlength=n,
    )

    chosen = _rules_of(posts, rules, ancestors)
    rule_of: list[Rule | None] = [c[0] for c in chosen]
    audited_as = [c[1] for c in chosen]

    # per (post, patrol): metres along the post's own targets, and whether it counts
    pp = _post_patrols(posts, pt, patrols, coverage, rules)
    pp_post = post_index.get_indexer(pp["post_id"])
    min_duration = np.array([r.duration_s(rules.counting) if r else np.inf for r in rule_of])
    min_distance = np.array([r.distance_m(rules.counting) if r else np.inf for r in rule_of])
    need = np.minimum(min_distance, rules.counting.own_length_share * own_length)
    counts = (
        (own_length[pp_post] > 0)
        & (pp["duration_s"].to_numpy() >= min_duration[pp_post])
        & (pp["along_m"].to_numpy() >= need[pp_post] - 1e-6)
    )
    pp = pp.assign(k=pp_post)[counts]

    frame = _post_periods(posts, rule_of, period)
    frame = _owed(frame, posts, rule_of)
    # a post whose own stretch has no measurable length (a village general chief whose village
    # holds no water, or a zoning that lost the post's stretch) cannot walk anything: it owes
    # nothing, as the statuses above say, and its reason names the cause (check the zoning);
    # calling it "missed" would blame a chief for the roster's or the zoning's gap
    frame.loc[own_length[frame["k"].to_numpy(dtype=np.int64)] <= 0, "required"] = 0
    counted = _counted(frame, pp, rule_of)
    frame["counted"] = counted
    share = _period_coverage(frame, pp, pt, coverage, lengths, own_length, post_index)
    frame["coverage_share"] = share
    _statuses(frame, rule_of, as_of, rules.counting, own_length)

    # the audit period's own coverage of each post (what the map and the table show)
    audit_frame = pd.DataFrame(
        {
            "k": np.arange(n),
            "hs": np.maximum(
                np.datetime64(period.start, "D"), posts["valid_from"].to_numpy("datetime64[D]")
            ),
            "he": np.minimum(
                np.datetime64(period.end, "D"),
                _valid_to(posts),
            ),
        }
    )
    audit_share = _period_coverage(audit_frame, pp, pt, coverage, lengths, own_length, post_index)

    rows_of = _period_rows(frame)
    k_of = frame["k"].to_numpy(dtype=np.int64)
    first = np.searchsorted(k_of, np.arange(n), side="left")
    stop = np.searchsorted(k_of, np.arange(n), side="right")
    out = []
    for k, p in enumerate(posts.itertuples(index=False)):
        rule = rule_of[k]
        rows = rows_of[first[k] : stop[k]]
        periods = [r.audit for r in rows]
        reasons = _reasons(rule, rows, own_length[k], rules)
        status = _BY_SEVERITY[max((SEVERITY[q.status] for q in periods), default=0)]
        open_deadlines = [q.deadline for q in periods if q.status in (BEHIND, ON_TRACK)]
        length = float(own_length[k])
        share_k = float(audit_share[k]) if length > 0 else None
        out.append(
            PostAudit(
                chief_id=p.chief_id,
                post_id=int(p.post_id),
                role=p.role,
                audited_as=audited_as[k],
                level=p.level,
                region_code=p.region_code,
                water_body_code=p.water_body_code if isinstance(p.water_body_code, str) else None,
                rule_id=rule.id if rule else None,
                rules_version=rules.version,
                rule_period=rule.period if rule else None,
                required=sum(q.required for q in periods),
                counted=sum(q.counted for q in periods),
                status=status,
                periods=periods,
                own_length_m=length,
                own_covered_m=(share_k or 0.0) * length,
                coverage_share=share_k,
                coverage_required=rule.coverage_share if rule else None,
                reasons=reasons,
                deadline=min((d for d in open_deadlines if d), default=None),
            )
        )
    return out


def _rules_of(
    posts: pd.DataFrame, rules: RuleSet, ancestors: dict[str, tuple[str, ...]]
) -> list[tuple[Rule | None, str]]:
    """The rule of each post and the role it is audited as; one lookup per distinct key."""
    kinds = posts["water_kind"] if "water_kind" in posts else pd.Series([None] * len(posts))
    cache: dict[tuple, tuple[Rule | None, str]] = {}
    out = []
    # rules name few regions: posts whose region and ancestors meet the same ones share a rule
    named = {r.region for r in rules.rules if r.region}
    for role, level, region, kind in zip(
        posts["role"].tolist(),
        posts["level"].tolist(),
        posts["region_code"].tolist(),
        kinds.tolist(),
        strict=True,
    ):
        up = ancestors.get(region, ())
        key = (role, level, kind, tuple(c for c in (region, *up) if c in named))
        if key not in cache:
            up = ancestors.get(region, ())
            rule = rules.rule_for(role, level, region, up)
            as_role = role
            if rule is None:
                as_role = audited_role(role, kind if isinstance(kind, str) else None)
                rule = rules.rule_for(as_role, level, region, up) if as_role != role else None
            cache[key] = (rule, as_role)
        out.append(cache[key])
    return out


def _valid_to(posts: pd.DataFrame) -> np.ndarray:
    far = np.datetime64("9999-12-31", "D")
    values = pd.to_datetime(posts["valid_to"]).to_numpy("datetime64[D]")
    return np.where(np.isnat(values), far, values)


def _post_periods(posts: pd.DataFrame, rule_of: list[Rule | None], period: Period) -> pd.DataFrame:
    """One row per (post, rule period overlapping the audit period), with the days held."""
    kinds = pd.Series([r.period if r else None for r in rule_of])
    parts = []
    for kind in kinds.dropna().unique():
        rows = np.flatnonzero((kinds == kind).to_numpy())
        for q in split(period, kind):
            parts.append(
                pd.DataFrame(
                    {
                        "k": rows,
                        "label": q.label,
                        "ps": np.datetime64(q.start, "D"),
                        "pe": np.datetime64(q.end, "D"),
                    }
                )
            )
    if not parts:
        return pd.DataFrame({"k": [], "label": [], "ps": [], "pe": [], "hs": [], "he": []})
    frame = pd.concat(parts, ignore_index=True)
    valid_from = posts["valid_from"].to_numpy("datetime64[D]")[frame["k"]]
    valid_to = _valid_to(posts)[frame["k"]]
    frame["hs"] = np.maximum(frame["ps"].to_numpy("datetime64[D]"), valid_from)
    frame["he"] = np.minimum(frame["pe"].to_numpy("datetime64[D]"), valid_to)
    return frame.sort_values(["k", "ps"]).reset_index(drop=True)


def _season_days(start: np.ndarray, end: np.ndarray, season: tuple[int, int] | None) -> np.ndarray:
    """Days from ``start`` to ``end`` (inclusive, datetime64[D] arrays) within the season's
    months; 0 where end < start."""
    if season is None:
        return np.maximum((end - start).astype(np.int64) + 1, 0)
    lo = np.min(start) if len(start) else np.datetime64("2000-01-01", "D")
    hi = np.max(end) if len(end) else lo
    if hi < lo:
        return np.zeros(len(start), dtype=np.int64)
    days = np.arange(lo, hi + np.timedelta64(1, "D"))
    months = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    inside = ((months >= season[0]) & (months <= season[1])).astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(inside)])
    i0 = (start - lo).astype(np.int64)
    i1 = (end - lo).astype(np.int64) + 1
    return np.where(
        end >= start, cum[np.clip(i1, 0, len(days))] - cum[np.clip(i0, 0, len(days))], 0
    )


def _owed(frame: pd.DataFrame, posts: pd.DataFrame, rule_of: list[Rule | None]) -> pd.DataFrame:
    """Days held and in season, and the patrols owed (pro-rated, rounded half up)."""
    held = np.zeros(len(frame), dtype=np.int64)
    full = np.zeros(len(frame), dtype=np.int64)
    minimum = np.zeros(len(frame), dtype=np.int64)
    k_of = frame["k"].to_numpy(dtype=np.int64)
    seasons = (
        pd.Series([r.season if r else None for r in rule_of]).iloc[k_of].reset_index(drop=True)
    )
    for season in seasons.drop_duplicates().tolist():
        mask = (seasons == season).to_numpy() if season is not None else seasons.isna().to_numpy()
        ps, pe = (
            frame["ps"].to_numpy("datetime64[D]")[mask],
            frame["pe"].to_numpy("datetime64[D]")[mask],
        )
        hs, he = (
            frame["hs"].to_numpy("datetime64[D]")[mask],
            frame["he"].to_numpy("datetime64[D]")[mask],
        )
        full[mask] = _season_days(ps, pe, season)
        held[mask] = _season_days(hs, he, season)
    minimum[:] = np.array([r.min_patrols if r else 0 for r in rule_of], dtype=np.int64)[k_of]
    owed = np.floor(minimum * np.divide(held, full, out=np.zeros(len(frame)), where=full > 0) + 0.5)
    frame["held_days"] = held
    frame["period_days"] = full
    frame["min_patrols"] = minimum
    frame["required"] = owed.astype(np.int64)
    return frame


def _counted(frame: pd.DataFrame, pp: pd.DataFrame, rule_of: list[Rule | None]) -> np.ndarray:
    """Counted patrols of each (post, period) row, within the days the post was held; with a
    minimum interval, greedily from the earliest (two walks too close count once)."""
    if len(frame) == 0 or len(pp) == 0:
        return np.zeros(len(frame), dtype=np.int64)
    rows = frame[["k", "hs", "he"]].assign(row=np.arange(len(frame)))
    days = pp[["k", "day", "patrol_id"]].assign(d=_days(pp["day"]))
    m = rows.merge(days, on="k")
    m = m[(m["d"] >= m["hs"]) & (m["d"] <= m["he"])]
    interval = np.array([r.min_interval_days if r else 0 for r in rule_of], dtype=np.int64)[
        m["k"].to_numpy(dtype=np.int64)
    ]
    if (interval > 0).any():
        m = m.assign(interval=interval).sort_values(["row", "d"])
        keep = np.ones(len(m), dtype=bool)
        spaced = m["interval"].to_numpy() > 0
        # the greedy choice is sequential by nature; only rules with an interval take it
        last_row, last_day = -1, None
        for i, (row, d, gap) in enumerate(
            zip(m["row"].to_numpy(), m["d"].to_numpy(), m["interval"].to_numpy(), strict=True)
        ):
            if not spaced[i]:
                continue
            if (
                row == last_row
                and last_day is not None
                and (d - last_day) < np.timedelta64(gap, "D")
            ):
                keep[i] = False
                continue
            last_row, last_day = row, d
        m = m[keep]
    return np.bincount(m["row"].to_numpy(dtype=np.int64), minlength=len(frame))


def _post_patrols(
    posts: pd.DataFrame,
    post_targets: pd.DataFrame,
    patrols: pd.DataFrame,
    coverage: pd.DataFrame,
    rules: RuleSet,
) -> pd.DataFrame:
    """(post, patrol) pairs of the post's own chief on the post's own targets, with the
    metres walked along them; patrols in a non-counting status are left out."""
    ok = patrols[patrols["status"].isin(rules.counting.statuses)]
    cov = coverage
    if "along_m" not in cov:
        row, a, b = explode(cov["covered"].tolist())
        cov = cov.assign(along_m=np.bincount(row, weights=b - a, minlength=len(cov)))
    pt = post_targets.merge(posts[["post_id", "chief_id"]], on="post_id")
    m = pt.merge(cov[["patrol_id", "target_id", "along_m"]], on="target_id").merge(
        ok[["patrol_id", "chief_id", "day", "duration_s"]], on=["patrol_id", "chief_id"]
    )
    if len(m) == 0:
        return pd.DataFrame(
            {"post_id": [], "patrol_id": [], "day": [], "duration_s": [], "along_m": []}
        )
    return (
        m.groupby(["post_id", "patrol_id"], sort=False)
        .agg(day=("day", "first"), duration_s=("duration_s", "first"), along_m=("along_m", "sum"))
        .reset_index()
    )


def _period_coverage(
    frame: pd.DataFrame,
    pp: pd.DataFrame,
    post_targets: pd.DataFrame,
    coverage: pd.DataFrame,
    lengths: dict[str, float],
    own_length: np.ndarray,
    post_index: pd.Index,
) -> np.ndarray:
    """Share of each row's post's own length covered by its counted patrols within the
    row's held days (union per target, summed over the post's targets)."""
    out = np.zeros(len(frame))
    if len(frame) == 0 or len(pp) == 0:
        return out
    rows = frame[["k", "hs", "he"]].assign(row=np.arange(len(frame)))
    days = pp[["k", "patrol_id", "day"]].assign(d=_days(pp["day"]))
    m = rows.merge(days, on="k")
    m = m[(m["d"] >= m["hs"]) & (m["d"] <= m["he"])]
    if len(m) == 0:
        return out
    pt = post_targets.assign(k=post_index.get_indexer(post_targets["post_id"]))
    m = m.merge(pt[["k", "target_id"]], on="k").merge(
        coverage[["patrol_id", "target_id", "covered"]], on=["patrol_id", "target_id"]
    )
    if len(m) == 0:
        return out
    target_code, _ = pd.factorize(m["target_id"])
    width = int(target_code.max()) + 1
    uniques, group_of = np.unique(
        m["row"].to_numpy(dtype=np.int64) * width + target_code, return_inverse=True
    )
    row, a, b = explode(m["covered"].tolist())
    group = group_of[row]
    limit = m["target_id"].map(lengths).to_numpy(dtype=float)[row]
    a, b = np.clip(a, 0.0, limit), np.clip(b, 0.0, limit)
    keep = b > a
    g, s, e = grouped_union(group[keep].astype(np.int64), a[keep], b[keep])
    covered = np.bincount(g, weights=e - s, minlength=len(uniques))
    owner = uniques // width
    per_row = np.bincount(owner, weights=covered, minlength=len(frame))
    length = own_length[frame["k"].to_numpy(dtype=np.int64)]
    return np.divide(per_row, length, out=out, where=length > 0)


def _statuses(
    frame: pd.DataFrame,
    rule_of: list[Rule | None],
    as_of: dt.date,
    counting: Counting,
    own_length: np.ndarray,
) -> None:
    """The status of every (post, period) row (see the module docstring for the rules)."""
    today = np.datetime64(as_of, "D")
    he = frame["he"].to_numpy("datetime64[D]")
    hs = frame["hs"].to_numpy("datetime64[D]")
    required = frame["required"].to_numpy()
    counted = frame["counted"].to_numpy()
    needed_share = np.array(
        [r.coverage_share if r and r.coverage_share else 0.0 for r in rule_of], dtype=float
    )[frame["k"].to_numpy(dtype=np.int64)]
    # the larger of the share tolerance and the metres' share of the own stretch (capped)
    length = own_length[frame["k"].to_numpy(dtype=np.int64)]
    metres = np.divide(
        counting.coverage_tolerance_m, length, out=np.zeros(len(frame)), where=length > 0
    )
    tolerance = np.maximum(
        counting.coverage_tolerance, np.minimum(metres, counting.coverage_tolerance_max)
    )
    coverage_ok = frame["coverage_share"].to_numpy() >= needed_share - tolerance - 1e-12
    closed = today > he
    owed = np.maximum(required - counted, 0)
    left = (he - np.maximum(today, hs)).astype(np.int64) + 1
    interval = np.divide(
        frame["held_days"].to_numpy(dtype=float),
        required,
        out=np.zeros(len(frame)),
        where=required > 0,
    )
    behind = (owed > 0) & (left < owed * interval)
    status = np.select(
        [required == 0, (counted >= required) & coverage_ok, closed, behind],
        [NOT_REQUIRED, MET, MISSED, BEHIND],
        ON_TRACK,
    )
    frame["status"] = status
    frame["needed_share"] = needed_share
    frame["coverage_ok"] = coverage_ok


@dataclass(slots=True)
class _Row:
    """One (post, rule period) row with what the reasons need besides the record."""

    audit: PeriodAudit
    held_days: int
    period_days: int
    needed_share: float
    coverage_ok: bool


def _period_rows(frame: pd.DataFrame) -> list[_Row]:
    """The rows as records, column by column (no per-row pandas access: 40,000 posts)."""
    if len(frame) == 0:
        return []
    ps = frame["ps"].to_numpy("datetime64[D]").astype(object)
    pe = frame["pe"].to_numpy("datetime64[D]").astype(object)
    hs = frame["hs"].to_numpy("datetime64[D]")
    he = frame["he"].to_numpy("datetime64[D]")
    deadline = np.where(he >= hs, he, np.datetime64("NaT")).astype(object)
    needed = frame["needed_share"].to_numpy(dtype=float)
    share = frame["coverage_share"].to_numpy(dtype=float)
    columns = zip(
        frame["label"].tolist(),
        ps,
        pe,
        frame["required"].tolist(),
        frame["counted"].tolist(),
        frame["status"].tolist(),
        deadline,
        share.tolist(),
        needed.tolist(),
        frame["held_days"].tolist(),
        frame["period_days"].tolist(),
        frame["coverage_ok"].tolist(),
        strict=True,
    )
    return [
        _Row(
            PeriodAudit(
                label=label,
                start=start,
                end=end,
                required=int(req),
                counted=int(cnt),
                status=str(status),
                deadline=last,
                coverage_share=cov if need > 0 else None,
            ),
            int(held),
            int(full),
            need,
            bool(ok),
        )
        for label, start, end, req, cnt, status, last, cov, need, held, full, ok in columns
    ]


def _reasons(rule: Rule | None, rows: list[_Row], own_length: float, rules: RuleSet) -> list[str]:
    """Why each period has its status, in words an office can forward."""
    if rule is None:
        return [f"no rule of the rules file ({rules.version}) applies to this post"]
    if own_length <= 0:
        return ["the post's own stretch has no measurable length (check the zoning)"]
    out = []
    for r in rows:
        q = r.audit
        if q.status == NOT_REQUIRED:
            if r.period_days == 0:
                out.append(f"{q.label}: outside the rule's season")
            else:
                out.append(
                    f"{q.label}: held {r.held_days} of {r.period_days} days, "
                    f"{rule.min_patrols} x {r.held_days}/{r.period_days} rounds to 0"
                )
            continue
        if q.status == MISSED and q.counted < q.required:
            out.append(f"{q.label}: {q.counted} of {q.required} patrol(s)")
        if q.status in (MISSED, BEHIND, ON_TRACK) and not r.coverage_ok:
            share = q.coverage_share or 0.0
            out.append(
                f"{q.label}: covered {100 * share:.1f}% of the own stretch, "
                f"{100 * r.needed_share:.1f}% required"
            )
        if q.status == BEHIND:
            out.append(
                f"{q.label}: still needs {q.required - q.counted} patrol(s) "
                f"by {(q.deadline or q.end).isoformat()}"
            )
    return out


# -- regions and nudges ------------------------------------------------------------------------


def region_rates(
    posts: list[PostAudit],
    targets: list[TargetAudit],
    target_regions: dict[str, list[str]],
    ancestors: dict[str, tuple[str, ...]],
) -> pd.DataFrame:
    """Per region (and every region above it): share of posts met among those that owed
    something, share of length covered; ranked best first."""
    rows: dict[str, dict] = {}

    def bucket(code: str) -> dict:
        return rows.setdefault(
            code,
            {"region_code": code, "posts": 0, "met": 0, "length_m": 0.0, "covered_m": 0.0},
        )

    for a in posts:
        if a.status == NOT_REQUIRED:
            continue
        for code in (a.region_code, *ancestors.get(a.region_code, ())):
            b = bucket(code)
            b["posts"] += 1
            b["met"] += a.status == MET
    for t in targets:
        for region in target_regions.get(t.target_id, []):
            for code in (region, *ancestors.get(region, ())):
                b = bucket(code)
                b["length_m"] += t.length_m
                b["covered_m"] += t.covered_m
    frame = pd.DataFrame(list(rows.values()))
    if frame.empty:
        return frame
    frame["compliance_rate"] = frame["met"] / frame["posts"].where(frame["posts"] > 0)
    frame["coverage_rate"] = frame["covered_m"] / frame["length_m"].where(frame["length_m"] > 0)
    return frame.sort_values(
        ["compliance_rate", "coverage_rate"], ascending=False, na_position="last"
    ).reset_index(drop=True)


def due(posts: list[PostAudit]) -> list[Due]:
    """待巡提示: posts behind schedule in an open period, what is missing and by when."""
    return [
        Due(a.chief_id, a.post_id, a.rule_id, a.deadline, a.reasons)
        for a in posts
        if a.status == BEHIND
    ]
