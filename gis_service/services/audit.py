"""Run a patrol audit for a region and a period from the database, and export it.

The figures come from the pure core (``gis_service.domain.audit``); this module only gathers
the region's targets (segments and shoreline/water-area zones), the posts held during the
period, the counted patrols and their stored per-target coverage.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gis_service.config import get_settings, local_today
from gis_service.db.queries import (
    DESCENDANTS,
    local_day_bounds,
    names,
    region_ancestors,
    wkb_by_id,
)
from gis_service.domain import crs
from gis_service.domain.assignments import assignments
from gis_service.domain.audit import (
    audit_posts,
    audit_targets,
    counted_patrols,
    covered_union,
    region_rates,
    reminders,
)
from gis_service.domain.linear import LineSet
from gis_service.domain.periods import parse_period
from gis_service.domain.rules import RulesError, RuleSet, load_rules
from gis_service.errors import InputError, NotFoundError


def _targets(conn: Connection, region: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    seg = pd.read_sql(
        text(
            f"{DESCENDANTS} SELECT id, water_body_code, level, kind, region_code, "
            "left_region_code, right_region_code, length_m FROM river_segment "
            "WHERE kind <> 'outside' AND "
            "(region_code IN (SELECT code FROM sub) "
            "OR left_region_code IN (SELECT code FROM sub) "
            "OR right_region_code IN (SELECT code FROM sub))"
        ),
        conn,
        params={"region": region},
    )
    zones = pd.read_sql(
        text(
            f"{DESCENDANTS} SELECT z.id, z.water_body_code, z.kind, z.level, z.region_code, "
            "z.area_m2, z.shore_length_m FROM still_water_zone z WHERE (z.kind = 'shoreline' AND "
            "z.region_code IN (SELECT code FROM sub)) OR (z.kind = 'water_area' AND "
            "z.water_body_code IN (SELECT water_body_code FROM still_water_zone WHERE "
            "kind = 'shoreline' AND region_code IN (SELECT code FROM sub)))"
        ),
        conn,
        params={"region": region},
    )
    targets = pd.concat(
        [
            pd.DataFrame(
                {
                    "target_id": seg["id"],
                    "target_type": "segment",
                    "water_body_code": seg["water_body_code"],
                    "level": seg["level"],
                    "length_m": seg["length_m"],
                }
            ),
            pd.DataFrame(
                {
                    "target_id": zones["id"],
                    "target_type": "zone",
                    "water_body_code": zones["water_body_code"],
                    "level": zones["level"],
                    "length_m": zones["shore_length_m"].fillna(0.0),
                }
            ),
        ],
        ignore_index=True,
    )
    return targets, seg, zones


def configured_rules(path: Path | str | None = None) -> RuleSet:
    """The frequency rules of ``path``, else the office's ``GIS_RULES_FILE``, else the
    bundled ones; a file that cannot be read or used is bad input, named, not a crash."""
    try:
        return load_rules(path or get_settings().rules_file)
    except (RulesError, OSError) as exc:
        raise InputError(str(exc)) from None


def run_audit(
    conn: Connection,
    region: str,
    period_label: str,
    *,
    as_of: dt.date | None = None,
    rules: RuleSet | None = None,
    timezone: str = "Asia/Shanghai",
) -> dict:
    """The audit of ``region`` (and everything below it) for ``period_label`` (e.g. 2026-Q3)."""
    try:
        period = parse_period(period_label)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    name = conn.execute(
        text("SELECT name FROM admin_region WHERE code = :c"), {"c": region}
    ).scalar()
    if name is None:
        raise NotFoundError(f"region {region!r} not found")
    rules = rules or configured_rules()
    as_of = as_of or local_today()
    ancestors = region_ancestors(conn)
    targets, seg, zones = _targets(conn, region)

    posts = pd.read_sql(
        text(
            "SELECT p.id AS post_id, p.chief_id, c.name AS chief_name, p.role, p.level, "
            "p.region_code, p.water_body_code, p.valid_from, p.valid_to FROM chief_post p "
            "JOIN chief c ON c.id = p.chief_id WHERE p.water_body_code IS NOT NULL "
            "AND p.valid_from <= :e AND (p.valid_to IS NULL OR p.valid_to >= :s)"
        ),
        conn,
        params={"s": period.start, "e": period.end},
    )
    # who held each target at some time in the period (validity stretched over the period)
    stretched = posts.assign(valid_from=period.start, valid_to=None)
    held = assignments(seg, zones, stretched, period.start)
    holders: dict[str, list[str]] = {}
    post_targets: dict[int, set[str]] = {}
    for h in held.itertuples(index=False):
        holders.setdefault(h.target_id, []).append(h.chief_id)
        post_targets.setdefault(int(h.post_id), set()).add(h.target_id)
    holders = {k: sorted(set(v)) for k, v in holders.items()}
    in_region = set(targets["target_id"])
    posts = posts[posts["post_id"].isin([p for p, ts in post_targets.items() if ts & in_region])]

    tz = zoneinfo.ZoneInfo(timezone)
    lo, hi = local_day_bounds(period.start, period.end, timezone)
    patrols = pd.read_sql(
        text(
            "SELECT id AS patrol_id, chief_id, started_at, status, "
            "(summary->>'duration_s')::float AS duration_s, "
            "(summary->>'distance_m')::float AS distance_m FROM patrol "
            "WHERE started_at >= :s AND started_at < :e"
        ),
        conn,
        params={"s": lo, "e": hi},
    )
    patrols["day"] = [t.astimezone(tz).date() for t in patrols["started_at"]]
    counted = counted_patrols(patrols, rules)
    coverage = pd.read_sql(
        text(
            "SELECT patrol_id, target_id, covered FROM patrol_coverage "
            "WHERE patrol_id = ANY(CAST(:p AS uuid[]))"
        ),
        conn,
        params={"p": [str(p) for p in counted["patrol_id"]]},
    )
    coverage["patrol_id"] = coverage["patrol_id"].astype(str)
    counted = counted.assign(patrol_id=counted["patrol_id"].astype(str))

    target_audits = audit_targets(targets, coverage, counted, holders, period)
    lengths = dict(zip(targets["target_id"], targets["length_m"], strict=True))
    own = _own_coverage(posts, post_targets, coverage, counted, lengths)
    post_audits = audit_posts(posts, counted, own, rules, period, ancestors, as_of)
    target_regions = _target_regions(seg, zones)
    rates = region_rates(post_audits, target_audits, target_regions, ancestors)
    region_names = names(conn, "admin_region")
    chief_names = dict(zip(posts["chief_id"], posts["chief_name"], strict=False))
    meta = targets.set_index("target_id")
    return {
        "region": {"code": region, "name": name},
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "as_of": as_of.isoformat(),
        "rules_version": rules.version,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "targets": [
            {
                **_plain(asdict(t)),
                "target_type": meta.at[t.target_id, "target_type"],
                "water_body_code": meta.at[t.target_id, "water_body_code"],
                "level": meta.at[t.target_id, "level"],
                "unassigned": t.unassigned,
                "regions": target_regions.get(t.target_id, []),
            }
            for t in target_audits
        ],
        "posts": [
            {
                **_plain(asdict(a)),
                "chief_name": chief_names.get(a.chief_id),
                "region_name": region_names.get(a.region_code),
                "target_ids": sorted(post_targets.get(a.post_id, ())),
            }
            for a in post_audits
        ],
        "regions": [
            {**r, "region_name": region_names.get(r["region_code"])} for r in _records(rates)
        ],
        "reminders": reminders(post_audits),
        "counted_patrols": len(counted),
        "patrols_in_period": len(patrols),
    }


def _plain(d: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in d.items()}


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


def _own_coverage(
    posts: pd.DataFrame,
    post_targets: dict[int, set[str]],
    coverage: pd.DataFrame,
    counted: pd.DataFrame,
    lengths: dict[str, float],
) -> dict[int, tuple[float, float]]:
    """Per post: (length of its targets, what the chief's own counted patrols covered)."""
    by_patrol_chief = dict(zip(counted["patrol_id"], counted["chief_id"], strict=True))
    cov = coverage.assign(chief_id=coverage["patrol_id"].map(by_patrol_chief))
    rows = {key: g["covered"] for key, g in cov.groupby(["target_id", "chief_id"])}
    out = {}
    for p in posts.itertuples(index=False):
        length = covered = 0.0
        for target in post_targets.get(int(p.post_id), ()):
            if target in lengths:
                length += lengths[target]
                union = covered_union(rows.get((target, p.chief_id), []), lengths[target])
                covered += float((union[:, 1] - union[:, 0]).sum())
        out[int(p.post_id)] = (length, covered)
    return out


def gaps_geojson(conn: Connection, report: dict) -> dict:
    """The gap stretches of the audited segments as RFC 7946 GeoJSON (metric cut, WGS84 out)."""
    rows = [
        (t["target_id"], a, b)
        for t in report["targets"]
        if t["target_type"] == "segment"
        for a, b in t["gaps"]
    ]
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    ids = sorted({r[0] for r in rows})
    geoms = dict(wkb_by_id(conn, "river_segment", ids))
    epsg = (
        conn.execute(text("SELECT metric_epsg FROM zoning_run ORDER BY id DESC LIMIT 1")).scalar()
        or 4545
    )
    order = {k: n for n, k in enumerate(ids)}
    lines = LineSet.from_lines(
        crs.transform(shapely.from_wkb([bytes(geoms[k]) for k in ids]), crs.STORAGE_CRS, epsg)
    )
    pieces = lines.substrings(
        np.array([order[r[0]] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
    )
    wgs = crs.transform(pieces, epsg, crs.STORAGE_CRS)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(shapely.set_precision(g, 1e-6))),
            "properties": {
                "target_id": r[0],
                "from_m": r[1],
                "to_m": r[2],
                "length_m": round(r[2] - r[1], 1),
            },
        }
        for r, g in zip(rows, wgs, strict=True)
        if not g.is_empty
    ]
    return {"type": "FeatureCollection", "features": features}
