"""Run a patrol audit for a region and a period from the database, and export it.

The figures come from the pure core (``gis_service.domain.audit``); this module only gathers
the region's targets (segments and shoreline/water-area zones), the posts held during the
period, the counted patrols and their stored per-target coverage.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gis_service.db.queries import (
    DESCENDANTS,
    local_day_bounds,
    names,
    region_ancestors,
)
from gis_service.db.zoning_runs import run_on, run_spans
from gis_service.domain import crs
from gis_service.domain.assignments import assignments
from gis_service.domain.audit import (
    audit_posts,
    audit_targets,
    counted_patrols,
    due,
    region_rates,
)
from gis_service.domain.linear import LineSet
from gis_service.domain.periods import Period, parse_period, split
from gis_service.domain.point_sources import PointRule
from gis_service.domain.rules import RulesError, RuleSet, load_rules
from gis_service.domain.vocab import REGION_ROLES
from gis_service.errors import InputError, NotFoundError
from gis_service.records.audit import (
    AuditReport,
    DueRecord,
    PeriodAuditRecord,
    PeriodRef,
    PostAuditRecord,
    RegionRateRecord,
    RegionRef,
    TargetAuditRecord,
    ZoningRunSpan,
)
from gis_service.services import point_sources


def _targets(
    conn: Connection, region: str, runs: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The region's targets in the zoning runs ``runs`` (those in force during the period,
    oldest first): segments of every level touching it, its shoreline pieces and the water
    areas of its still waters (water shares decide only who holds a lake). A target id kept
    by a newer run is that run's (deterministic ids: the same stretch)."""
    seg = pd.read_sql(
        text(
            f"{DESCENDANTS} SELECT DISTINCT ON (id) id, run_id, water_body_code, level, kind, "
            "region_code, left_region_code, right_region_code, length_m "
            "FROM river_segment_version WHERE run_id = ANY(:runs) AND kind <> 'outside' AND "
            "(region_code IN (SELECT code FROM sub) "
            "OR left_region_code IN (SELECT code FROM sub) "
            "OR right_region_code IN (SELECT code FROM sub)) ORDER BY id, run_id DESC"
        ),
        conn,
        params={"region": region, "runs": runs},
    )
    zones = pd.read_sql(
        text(
            f"{DESCENDANTS}, here AS (SELECT DISTINCT water_body_code FROM "
            "still_water_zone_version WHERE run_id = ANY(:runs) "
            "AND kind IN ('shoreline', 'water_share') AND region_code IN (SELECT code FROM sub)) "
            "SELECT DISTINCT ON (z.id) z.id, z.run_id, z.water_body_code, z.kind, z.level, "
            "z.region_code, z.region_codes, z.share, z.area_m2, z.shore_length_m "
            "FROM still_water_zone_version z WHERE z.run_id = ANY(:runs) AND "
            "((z.kind = 'shoreline' AND z.region_code IN (SELECT code FROM sub)) "
            "OR (z.kind IN ('water_area', 'water_share') AND z.water_body_code IN "
            "(SELECT water_body_code FROM here))) ORDER BY z.id, z.run_id DESC"
        ),
        conn,
        params={"region": region, "runs": runs},
    )
    own_zones = zones[zones["kind"] != "water_share"]
    targets = pd.concat(
        [
            pd.DataFrame(
                {
                    "target_id": seg["id"],
                    "run_id": seg["run_id"],
                    "target_type": "segment",
                    "water_body_code": seg["water_body_code"],
                    "level": seg["level"],
                    "length_m": seg["length_m"],
                }
            ),
            pd.DataFrame(
                {
                    "target_id": own_zones["id"],
                    "run_id": own_zones["run_id"],
                    "target_type": "zone",
                    "water_body_code": own_zones["water_body_code"],
                    "level": own_zones["level"],
                    "length_m": own_zones["shore_length_m"].fillna(0.0),
                }
            ),
        ],
        ignore_index=True,
    )
    return targets, seg, zones


def configured_rules(path: Path | str | None = None) -> RuleSet:
    """The frequency rules of ``path`` (the front end's choice: an option, else the office's
    ``GIS_RULES_FILE``), else the bundled ones; a file that cannot be read or used is bad
    input, named, not a crash."""
    try:
        return load_rules(path)
    except (RulesError, OSError) as exc:
        raise InputError(str(exc)) from None


def _rule_window(period: Period, rules: RuleSet) -> tuple[dt.date, dt.date]:
    """First and last day of every rule period overlapping ``period`` (a yearly rule in a
    quarterly report counts the whole year's patrols)."""
    kinds = {r.period for r in rules.rules}
    spans = [q for kind in kinds for q in split(period, kind)]
    return min(q.start for q in spans), max(q.end for q in spans)


def run_audit(
    conn: Connection,
    region: str,
    period_label: str,
    *,
    timezone: str,
    as_of: dt.date | None = None,
    rules: RuleSet | None = None,
    point_rules: dict[str, PointRule] | None = None,
    own_patrols_only: bool = False,
) -> AuditReport:
    """The audit of ``region`` (and everything below it) for ``period_label`` (e.g. 2026-Q3).

    ``timezone`` (the office's, GIS_TIMEZONE, passed in by the front end) makes every
    patrol's date a local date, like the posts' dates and the periods. ``rules`` and
    ``point_rules``: the office's (GIS_RULES_FILE, GIS_POINT_RULES_FILE), else the bundled
    ones.

    ``own_patrols_only`` (a national audit's partition task): read only the patrols with
    coverage rows on the region's targets, not every patrol of the period. Every figure of
    the region's targets, posts and regions is the same (a target's coverage and a post's
    counted patrols come only from coverage rows on the region's own targets); the report's
    ``counted_patrols``, ``patrols_in_period`` and ``patrols_not_rematched`` then count the
    patrols read, not the period's (:func:`period_patrol_counts` gives those once)."""
    try:
        period = parse_period(period_label)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    name = conn.execute(
        text("SELECT name FROM admin_region WHERE code = :c"), {"c": region}
    ).scalar()
    if name is None:
        raise NotFoundError(f"region {region!r} not found")
    tz = zoneinfo.ZoneInfo(timezone)
    rules = rules or configured_rules()
    as_of = as_of or dt.datetime.now(tz).date()
    ancestors = region_ancestors(conn)
    first, last = _rule_window(period, rules)
    # each day counts against the zoning run in force that day; the period's targets are
    # those of the runs in force during it
    spans = run_spans(conn, first, last)
    in_period_runs = [s.run_id for s in spans if s.start <= period.end and s.end >= period.start]
    targets, seg, zones = _targets(conn, region, in_period_runs)

    posts = pd.read_sql(
        text(
            f"{DESCENDANTS} SELECT p.id AS post_id, p.chief_id, c.name AS chief_name, p.role, "
            "p.level, p.region_code, p.water_body_code, w.kind AS water_kind, p.valid_from, "
            "p.valid_to FROM chief_post p JOIN chief c ON c.id = p.chief_id "
            "LEFT JOIN water_body w ON w.code = p.water_body_code "
            "WHERE p.valid_from <= :e AND (p.valid_to IS NULL OR p.valid_to >= :s) "
            "AND (p.region_code IN (SELECT code FROM sub) OR p.water_body_code IN "
            "(SELECT water_body_code FROM river_segment_version WHERE run_id = ANY(:runs) "
            "AND kind <> 'outside' AND "
            "(region_code IN (SELECT code FROM sub) OR left_region_code IN (SELECT code FROM sub) "
            "OR right_region_code IN (SELECT code FROM sub))) OR p.water_body_code IN "
            "(SELECT water_body_code FROM still_water_zone_version WHERE run_id = ANY(:runs) "
            "AND region_code IN (SELECT code FROM sub))) ORDER BY p.id"
        ),
        conn,
        params={"region": region, "s": first, "e": last, "runs": in_period_runs},
    )
    kinds: dict[str, str] = dict(conn.execute(text("SELECT code, kind FROM water_body")).all())
    held = assignments(seg, zones, posts, None, ancestors=ancestors, water_kinds=kinds)
    in_region = set(targets["target_id"])
    held = held[held["target_id"].isin(in_region)]
    post_targets = held[["post_id", "target_id"]].drop_duplicates()
    # a post on a water that crosses the region is audited where its own stretch lies
    inside = set(post_targets["post_id"])
    sub = {region} | {c for c, up in ancestors.items() if region in up}
    posts = posts[posts["post_id"].isin(inside) | posts["region_code"].isin(sub)]
    region_posts = set(posts.loc[posts["role"].isin(REGION_ROLES), "post_id"])
    # who held each target in the audit period (general chiefs hold regions, not stretches)
    in_audit = posts[
        (posts["valid_from"] <= period.end)
        & (posts["valid_to"].isna() | (posts["valid_to"] >= period.start))
        & ~posts["post_id"].isin(region_posts)
    ]
    chief_of = dict(zip(in_audit["post_id"], in_audit["chief_id"], strict=True))
    holders: dict[str, list[str]] = {}
    for post_id, target in zip(post_targets["post_id"], post_targets["target_id"], strict=True):
        if post_id in chief_of:
            holders.setdefault(target, []).append(chief_of[post_id])
    holders = {k: sorted(set(v)) for k, v in holders.items()}

    lo, hi = local_day_bounds(first, last, timezone)
    target_ids = list(targets["target_id"])
    patrols = pd.read_sql(
        text(
            "SELECT id AS patrol_id, chief_id, started_at, status, zoning_run_id, "
            "(summary->>'duration_s')::float AS duration_s, "
            "(summary->>'distance_m')::float AS distance_m FROM patrol "
            "WHERE started_at >= :s AND started_at < :e" + (_ON_TARGETS if own_patrols_only else "")
        ),
        conn,
        params={"s": lo, "e": hi, "t": target_ids},
    )
    patrols["patrol_id"] = patrols["patrol_id"].astype(str)
    patrols["day"] = [t.astimezone(tz).date() for t in patrols["started_at"]]
    patrols["run_id"] = [run_on(spans, d) for d in patrols["day"]]
    # measured against another run than the one in force on its day: awaiting a re-match
    stale = patrols["zoning_run_id"].fillna(-1).astype(int) != patrols["run_id"].fillna(-1)
    counting = patrols[patrols["status"].isin(rules.counting.statuses)]
    coverage = pd.read_sql(
        text(
            "SELECT patrol_id, run_id, target_id, covered, covered_m + extension_m AS along_m "
            "FROM patrol_coverage WHERE patrol_id = ANY(CAST(:p AS uuid[])) "
            # the patrols' start bounds: only the period's monthly partitions are read
            "AND started_at >= :s AND started_at < :e"
            # a partition's task: only the rows it adds up (those on other targets drop out)
            + (" AND target_id = ANY(CAST(:t AS text[]))" if own_patrols_only else "")
        ),
        conn,
        params={"p": list(counting["patrol_id"]), "s": lo, "e": hi, "t": target_ids},
    )
    coverage["patrol_id"] = coverage["patrol_id"].astype(str)
    in_force = dict(zip(counting["patrol_id"], counting["run_id"], strict=True))
    coverage = coverage[
        coverage["run_id"].to_numpy() == coverage["patrol_id"].map(in_force).to_numpy()
    ].drop(columns="run_id")

    counted = counted_patrols(patrols, rules)
    target_audits = audit_targets(targets, coverage, counted, holders, period)
    post_audits = audit_posts(
        posts, post_targets, targets, counting, coverage, rules, period, ancestors, as_of
    )
    target_regions = _target_regions(seg, zones)
    rates = region_rates(post_audits, target_audits, target_regions, ancestors)
    region_rows = conn.execute(text("SELECT code, name, level FROM admin_region")).all()
    region_names = {code: name for code, name, _ in region_rows}
    levels = {code: level for code, _, level in region_rows}
    water_names = names(conn, "water_body")
    chief_names = dict(zip(posts["chief_id"], posts["chief_name"], strict=False))
    chief_names.update(names(conn, "chief", {c for t in target_audits for c in t.chiefs}))
    targets_of = post_targets.groupby("post_id")["target_id"].agg(sorted).to_dict()
    meta = targets.set_index("target_id")
    in_period = patrols[(patrols["day"] >= period.start) & (patrols["day"] <= period.end)]
    return AuditReport(
        region=RegionRef(code=region, name=name),
        period=PeriodRef(label=period.label, start=period.start, end=period.end),
        as_of=as_of,
        timezone=timezone,
        rules_version=rules.version,
        generated_at=dt.datetime.now(dt.UTC),
        targets=[
            TargetAuditRecord(
                **_fields(t),
                target_type=meta.at[t.target_id, "target_type"],
                run_id=int(meta.at[t.target_id, "run_id"]),
                water_body_code=meta.at[t.target_id, "water_body_code"],
                water_body_name=water_names.get(meta.at[t.target_id, "water_body_code"]),
                level=_text(meta.at[t.target_id, "level"]),
                chief_names=[chief_names.get(c, c) for c in t.chiefs],
                unassigned=t.unassigned,
                regions=target_regions.get(t.target_id, []),
                region_names=[region_names.get(c, c) for c in target_regions.get(t.target_id, [])],
            )
            for t in target_audits
        ],
        posts=[
            PostAuditRecord(
                **_fields(a, skip="periods"),
                periods=[PeriodAuditRecord(**_fields(q)) for q in a.periods],
                chief_name=chief_names.get(a.chief_id),
                region_name=region_names.get(a.region_code),
                water_body_name=water_names.get(a.water_body_code or ""),
                target_ids=targets_of.get(a.post_id, []),
            )
            for a in post_audits
        ],
        regions=[
            RegionRateRecord(
                **r,
                region_name=region_names.get(r["region_code"]),
                level=levels.get(r["region_code"]),
            )
            for r in _records(rates)
        ],
        due=[
            DueRecord(**_fields(x), chief_name=chief_names.get(x.chief_id))
            for x in due(post_audits)
        ],
        counted_patrols=int(in_period["patrol_id"].isin(set(counted["patrol_id"])).sum()),
        patrols_in_period=len(in_period),
        zoning_runs=[
            ZoningRunSpan(
                run_id=span.run_id,
                effective_from=span.effective_from,
                start=span.start,
                end=span.end,
            )
            for span in spans
        ],
        patrols_not_rematched=int(stale.sum()),
        # 塘长/泵长/口长/点长 (issue 20): patrols passing within the role's tolerance of the point
        point_posts=point_sources.audit_points(
            conn,
            region,
            period.label,
            timezone=timezone,
            as_of=as_of,
            rules=point_rules or point_sources.configured_point_rules(),
            statuses=rules.counting.statuses,
        ).rows,
    )


# the patrols of a partition's task: those with a coverage row on one of its targets (the
# coverage rows' own start bounds prune the month partitions as the patrol's do)
_ON_TARGETS = (
    " AND (id, started_at) IN (SELECT patrol_id, started_at FROM patrol_coverage "
    "WHERE target_id = ANY(CAST(:t AS text[])) AND started_at >= :s AND started_at < :e)"
)


@dataclass(frozen=True)
class PeriodPatrolCounts:
    """The patrol counts of an audit report that do not depend on its region."""

    counted_patrols: int  # in the period, in a counting status, lasting the minimum
    patrols_in_period: int
    patrols_not_rematched: int  # of the rule window: measured against another run


def period_patrol_counts(
    conn: Connection, period_label: str, *, timezone: str, rules: RuleSet
) -> PeriodPatrolCounts:
    """``counted_patrols``, ``patrols_in_period`` and ``patrols_not_rematched`` of every
    audit of ``period_label`` (equal to :func:`run_audit`'s, whatever its region), counted
    in the database: one aggregate over the rule window's patrols, grouped by local day,
    stored run and whether the patrol counts (a few rows per day)."""
    try:
        period = parse_period(period_label)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    first, last = _rule_window(period, rules)
    spans = run_spans(conn, first, last)
    lo, hi = local_day_bounds(first, last, timezone)
    groups = conn.execute(
        text(
            "SELECT (started_at AT TIME ZONE :tz)::date, zoning_run_id, "
            "coalesce(status = ANY(CAST(:st AS text[])) "
            "AND (summary->>'duration_s')::float >= :min_s, false), count(*) FROM patrol "
            "WHERE started_at >= :s AND started_at < :e GROUP BY 1, 2, 3"
        ),
        {
            "tz": timezone,
            "st": list(rules.counting.statuses),
            "min_s": rules.counting.min_duration_min * 60,
            "s": lo,
            "e": hi,
        },
    ).all()
    counted = in_period = stale = 0
    for day, stored_run, counts, n in groups:
        if (stored_run if stored_run is not None else -1) != (run_on(spans, day) or -1):
            stale += n
        if period.start <= day <= period.end:
            in_period += n
            counted += n if counts else 0
    return PeriodPatrolCounts(counted, in_period, stale)


def _fields(item, skip: str = "") -> dict:
    """A domain dataclass's fields, shallow (the record validates and copies them; asdict's
    deep copy was a third of the audit's time)."""
    return {f.name: getattr(item, f.name) for f in fields(item) if f.name != skip}


def _text(value) -> str | None:
    """A text cell of a frame, None where the table holds NULL (pandas reads NaN)."""
    return value if isinstance(value, str) else None


def _records(frame: pd.DataFrame) -> list[dict]:
    if frame.empty:
        return []
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _target_regions(seg: pd.DataFrame, zones: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in seg.itertuples(index=False):
        out[s.id] = [
            c
            for c in (s.region_code, s.left_region_code, s.right_region_code)
            if isinstance(c, str)
        ]
    for z in zones.itertuples(index=False):
        out[z.id] = [z.region_code] if isinstance(z.region_code, str) else []
    return out


GAP_COLUMNS = ["target_id", "from_m", "to_m", "length_m"]


def gap_stretches(conn: Connection, report: AuditReport) -> gpd.GeoDataFrame:
    """The gap stretches of the audited segments, one row each (target, from/to and length
    in metres), WGS84 lines at 1e-6 degrees (~0.1 m); cut metrically in each segment's zone."""
    rows = [
        (t.target_id, a, b) for t in report.targets if t.target_type == "segment" for a, b in t.gaps
    ]
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in GAP_COLUMNS}, geometry=[], crs=4326)
    ids = sorted({r[0] for r in rows})
    runs = {t.target_id: t.run_id for t in report.targets}
    geoms: dict[str, bytes] = dict(
        conn.execute(
            text(
                "SELECT s.id, ST_AsBinary(s.geom) FROM river_segment_version s "
                "JOIN unnest(CAST(:i AS text[]), CAST(:r AS int[])) AS q(i, r) "
                "ON s.id = q.i AND s.run_id = q.r"
            ),
            {"i": ids, "r": [runs[i] for i in ids]},
        ).all()
    )
    lengths = {t.target_id: float(t.length_m) for t in report.targets}
    # each gap is cut in the zone where its segment lies, at the share of the segment's
    # stored length (measured in its zoning unit's zone) that its chainage gives
    lonlat = shapely.from_wkb([bytes(geoms[r[0]]) for r in rows])
    stored = np.array([lengths[r[0]] for r in rows])
    start = np.array([r[1] for r in rows]) / np.maximum(stored, 1e-9)
    end = np.array([r[2] for r in rows]) / np.maximum(stored, 1e-9)
    zones = crs.zones_of(lonlat)
    wgs = np.empty(len(rows), dtype=object)
    wgs[:] = [shapely.LineString()] * len(rows)
    for epsg in np.unique(zones[zones > 0]):
        idx = np.flatnonzero(zones == epsg)
        lines = LineSet.from_lines(crs.to_metric(lonlat[idx], int(epsg)))
        local = lines.lengths[: len(idx)]
        cut = lines.substrings(np.arange(len(idx)), start[idx] * local, end[idx] * local)
        wgs[idx] = crs.to_storage(cut, int(epsg))
    keep = ~shapely.is_empty(wgs)
    frame = pd.DataFrame(rows, columns=["target_id", "from_m", "to_m"])
    frame["length_m"] = [round(b - a, 1) for _, a, b in rows]
    return gpd.GeoDataFrame(
        frame[keep].reset_index(drop=True),
        geometry=shapely.set_precision(wgs[keep], 1e-6),
        crs=4326,
    )


def gaps_geojson(conn: Connection, report: AuditReport) -> dict:
    """The gap stretches of the audited segments as RFC 7946 GeoJSON (metric cut, WGS84 out)."""
    gaps = gap_stretches(conn, report)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(g)),
            "properties": {
                "target_id": target,
                "from_m": a,
                "to_m": b,
                "length_m": length,
            },
        }
        for target, a, b, length, g in zip(
            gaps["target_id"].tolist(),
            gaps["from_m"].tolist(),
            gaps["to_m"].tolist(),
            gaps["length_m"].tolist(),
            gaps.geometry,
            strict=True,
        )
    ]
    return {"type": "FeatureCollection", "features": features}
