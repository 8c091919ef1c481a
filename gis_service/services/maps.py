"""Load what the maps show from the database and hand it to the pure builders in maps/.

Reuses the audit (``run_audit``, ``gap_stretches``), the zoning queries (segments, joint
sections, coordination report, neighbours), the stored patrols (``get_patrol`` and the raw
upload, re-parsed with the upload parsers) and the problems; only geometry is read here.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from sqlalchemy import Connection, text

from gis_service.db.patrol_store import zoning_run_of
from gis_service.db.queries import local_day_bounds, names, wkb_by_id
from gis_service.db.zoning_runs import of_run
from gis_service.domain.chinacoords import to_wgs84
from gis_service.domain.rules import RuleSet
from gis_service.domain.vocab import LEVELS, REGION_ROLES
from gis_service.domain.water_quality import AssessmentRule
from gis_service.errors import InputError
from gis_service.fileio.tracks import FORMATS, parse_track
from gis_service.maps import assets
from gis_service.maps.base import MapOptions
from gis_service.maps.coverage import CoverageData, build_coverage_map
from gis_service.maps.layers import levels_in
from gis_service.maps.patrol import PatrolData, build_patrol_map
from gis_service.maps.river import RiverData, build_river_map
from gis_service.records.audit import PostAuditRecord, TargetAuditRecord
from gis_service.services import plan_views, signboards, water_quality
from gis_service.services.audit import gap_stretches, run_audit
from gis_service.services.patrols import get_patrol, raw_upload
from gis_service.services.problems import problems_frame
from gis_service.services.zoning_queries import (
    coordination_report,
    joint_sections_geojson,
    neighbours,
    segments_geojson,
    zoning_of_day,
)

TILES_URL = "/tiles/{layer}/{z}/{x}/{y}.pbf"
REGION_DEPTH = 2  # boundaries drawn down to two levels below the mapped region
NEIGHBOUR_REACH_M = 5_000.0


def options_from_settings(
    settings,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    include_tracks: bool = False,
    personal: bool = True,
    include_contacts: bool = False,
) -> MapOptions:
    """Map options from the request and the settings (Tianditu when a key is configured)."""
    chosen = basemap or (
        "tianditu" if settings.tianditu_key and settings.basemap == "osm" else settings.basemap
    )
    try:
        return MapOptions(
            lang=lang,  # type: ignore[arg-type]
            basemap=chosen,
            tianditu_key=settings.tianditu_key,
            include_tracks=include_tracks,
            personal=personal,
            include_contacts=include_contacts,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None


def render(m: folium.Map, mode: assets.AssetMode) -> str:
    return assets.render(m, mode)


# -- helpers -------------------------------------------------------------------------------------


def _frame(rows: Sequence, columns: list[str]) -> gpd.GeoDataFrame:
    """GeoDataFrame from rows whose last item is WKB, or from dicts with a ``wkb`` key
    (vectorised decoding)."""
    frame = pd.DataFrame(rows, columns=[*columns, "wkb"])
    geoms = shapely.from_wkb([bytes(w) if w is not None else None for w in frame["wkb"]])
    return gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=geoms, crs=4326)


def _from_geojson(collection: dict) -> gpd.GeoDataFrame:
    if not collection["features"]:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    return gpd.GeoDataFrame.from_features(collection["features"], crs=4326)


def _join(values, names: dict[str, str]) -> str:
    return "、".join(names.get(v, v) for v in values if isinstance(v, str))


# -- coverage ------------------------------------------------------------------------------------

# what a coverage map is drawn from; river_segment, zones and coverage rows change only with
# a zoning run or a patrol, which these already show
_MAP_SOURCES = (
    "admin_region",
    "water_body",
    "chief",
    "chief_post",
    "zoning_run",
    "patrol",
    "problem",
    "problem_event",
)


def data_version(conn: Connection) -> str:
    """A token that changes whenever a row a coverage map is drawn from is added, changed
    or deleted (row count and newest row version per table); rendered maps are cached
    under it. Cheap next to a map: one scan of a few narrow columns."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(max(xmin::text::bigint), 0) FROM {t}"
        for t in _MAP_SOURCES
    )
    rows = conn.execute(text(parts)).all()
    return ";".join(f"{t}:{n}:{x}" for t, n, x in rows)


def coverage_data(
    conn: Connection,
    region: str,
    period: str,
    *,
    as_of: dt.date | None = None,
    include_tracks: bool = False,
    timezone: str,
    rules: RuleSet | None = None,
    include_contacts: bool = False,
) -> CoverageData:
    """The audit of ``region`` for ``period`` with the geometry the coverage map draws;
    ``timezone`` and ``rules``: the office's, passed in by the front end."""
    report = run_audit(conn, region, period, as_of=as_of, rules=rules, timezone=timezone)
    regions = _frame(
        conn.execute(
            text(
                "WITH RECURSIVE sub(code, depth) AS (SELECT code, 0 FROM admin_region "
                "WHERE code = :region UNION ALL SELECT r.code, sub.depth + 1 FROM admin_region r "
                "JOIN sub ON r.parent_code = sub.code WHERE sub.depth < :depth) "
                "SELECT a.code, a.name, a.level, ST_AsBinary(a.geom) FROM admin_region a "
                "JOIN sub USING (code)"
            ),
            {"region": region, "depth": REGION_DEPTH},
        ).all(),
        ["code", "name", "level"],
    )
    region_names = names(conn, "admin_region")
    rivers = names(conn, "water_body")
    chief_names = names(conn, "chief")
    targets, posts = report.targets, report.posts
    segments = _targets_frame(conn, targets, posts, "segment", rivers, region_names, chief_names)
    zones = _targets_frame(conn, targets, posts, "zone", rivers, region_names, chief_names)

    gaps = gap_stretches(conn, report)
    if len(gaps):
        level_of = {t.target_id: t.level for t in targets}
        water_of = {t.target_id: t.water_body_code for t in targets}
        gaps["level"] = gaps["target_id"].map(level_of)
        gaps["river"] = gaps["target_id"].map(water_of).map(rivers)
        # from a gap to its chiefs: who is responsible, where, and when it was last walked
        owners = pd.concat([segments, zones])[["id", "region", "chiefs", "last_patrol"]]
        owners = owners.drop_duplicates("id").set_index("id")
        for column in ("region", "chiefs", "last_patrol"):
            gaps[column] = gaps["target_id"].map(owners[column]).fillna("")
        if include_contacts:  # the office's view: whom to call about the gap
            gaps["contacts"] = gaps["target_id"].map(_contacts(conn, targets, chief_names))
            gaps["contacts"] = gaps["contacts"].fillna("")
    else:
        gaps = gpd.GeoDataFrame(
            {"target_id": [], "level": [], "river": [], "length_m": []}, geometry=[], crs=4326
        )
    # the crossings of the zoning in force on the period's last day (the as-of day if earlier)
    _, last_run = zoning_of_day(conn, min(report.period.end, report.as_of))
    joint = _joint_frame(conn, region, rivers, region_names, points=False, run_id=last_run)
    crossings = _joint_frame(conn, region, rivers, region_names, points=True, run_id=last_run)
    start, end = report.period.start, report.period.end
    tracks = _tracks(conn, region, start, end, chief_names, timezone) if include_tracks else None
    own = regions[regions["code"] == region]
    return CoverageData(
        region_code=region,
        region_name=report.region.name,
        period=report.period.label,
        as_of=report.as_of.isoformat(),
        regions=regions,
        segments=segments,
        gaps=gaps,
        zones=zones,
        joint_sections=joint,
        crossings=crossings,
        tracks=tracks,
        problems=problems_frame(conn, region=region, start=start, end=end, timezone=timezone),
        region_level=str(own["level"].iloc[0]) if len(own) else "city",
    )


def _contacts(
    conn: Connection, targets: list[TargetAuditRecord], chief_names: dict[str, str]
) -> dict[str, str]:
    """Target id -> "name phone、..." of its chiefs who have a phone on record."""
    phones: dict[str, str] = dict(
        conn.execute(text("SELECT id, phone FROM chief WHERE phone <> ''")).all()
    )
    return {
        t.target_id: "、".join(
            f"{chief_names.get(c, c)} {phones[c]}" for c in t.chiefs if c in phones
        )
        for t in targets
    }


def _targets_frame(
    conn: Connection,
    targets: list[TargetAuditRecord],
    posts: list[PostAuditRecord],
    kind: str,
    rivers: dict[str, str],
    region_names: dict[str, str],
    chief_names: dict[str, str],
) -> gpd.GeoDataFrame:
    """Segments or zones of the audit with their figures as the popups show them."""
    columns = ["id", "river", "level", "region", "chiefs", "ratio", "patrols", "last_patrol"]
    columns += ["length_m", "unassigned", "search", "kind", "water_body_code", "water_kind"]
    part = [t for t in targets if t.target_type == kind]
    if not part:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=4326)
    # 河流/渠道/水库/湖泊: popups name the water by its kind, not "river" for a reservoir
    water_kinds: dict[str, str] = dict(
        conn.execute(
            text("SELECT code, kind FROM water_body WHERE code = ANY(:codes)"),
            {"codes": sorted({t.water_body_code for t in part})},
        ).all()
    )
    table = "river_segment" if kind == "segment" else "still_water_zone"
    # each target's geometry as its run keeps it (a stretch of an older run of the period
    # may be gone from, or be another line in, the working tables)
    by_run: dict[int, list[str]] = {}
    for t in part:
        by_run.setdefault(t.run_id, []).append(t.target_id)
    geoms = {
        r[0]: (r[1], r[2])
        for run_id, ids in by_run.items()
        for r in wkb_by_id(conn, table, ids, "id, kind", run_id=run_id)
    }
    counted = _counted_per_target(part, posts, chief_names)
    rows = []
    for t in part:
        river = rivers.get(t.water_body_code, t.water_body_code)
        names = [chief_names.get(c, c) for c in t.chiefs]
        kind_value, wkb = geoms.get(t.target_id, (None, None))
        rows.append(
            {
                "id": t.target_id,
                "river": river,
                "level": t.level,
                "region": _join(t.regions, region_names),
                "chiefs": "、".join(names),
                "ratio": float(t.ratio),
                "patrols": counted.get(t.target_id, ""),
                "last_patrol": t.last_patrol.isoformat() if t.last_patrol else "",
                "length_m": float(t.length_m),
                "unassigned": bool(t.unassigned),
                # leaflet-search matches any part of it: river, region or chief
                "search": " ".join([river, _join(t.regions, region_names), *names]),
                "kind": kind_value,
                "water_body_code": t.water_body_code,
                "water_kind": water_kinds.get(t.water_body_code),
                "wkb": wkb,
            }
        )
    return _frame(rows, columns)


def _counted_per_target(
    targets: list[TargetAuditRecord],
    posts: list[PostAuditRecord],
    chief_names: dict[str, str],
) -> dict[str, str]:
    """'2/6' (counted/required) of each post responsible for the target, as the audit
    assigned them (``target_ids`` of each audited post)."""
    by_target: dict[str, list[PostAuditRecord]] = {}
    # a general chief (总河长) holds the whole region: named on the region, not on each stretch
    for p in posts:
        if p.role in REGION_ROLES:
            continue
        for target_id in p.target_ids:
            by_target.setdefault(target_id, []).append(p)
    out = {}
    for t in targets:
        parts = [
            (p.chief_id, f"{int(p.counted)}/{int(p.required)}")
            for p in by_target.get(t.target_id, [])
        ]
        if len(parts) == 1:
            out[t.target_id] = parts[0][1]
        elif parts:
            out[t.target_id] = "；".join(f"{chief_names.get(c, c)} {v}" for c, v in parts)
    return out


def _joint_frame(
    conn: Connection,
    region: str,
    rivers: dict[str, str],
    region_names: dict[str, str],
    *,
    points: bool,
    water_body: str | None = None,
    run_id: int | None = None,
) -> gpd.GeoDataFrame:
    frame = _from_geojson(
        joint_sections_geojson(
            conn,
            region=region if water_body is None else None,
            water_body=water_body,
            points=points,
            run_id=run_id,
        )
    )
    if len(frame) == 0:
        return gpd.GeoDataFrame(
            {c: [] for c in ("id", "river", "level", "upstream", "downstream")},
            geometry=[],
            crs=4326,
        )
    frame["river"] = frame["water_body_code"].map(rivers)
    frame["upstream"] = frame["upstream_region_code"].map(region_names)
    frame["downstream"] = frame["downstream_region_code"].map(region_names)
    return frame


def _tracks(
    conn: Connection,
    region: str,
    start: dt.date,
    end: dt.date,
    chief_names: dict[str, str],
    timezone: str,
) -> gpd.GeoDataFrame:
    tz = zoneinfo.ZoneInfo(timezone)
    lo, hi = local_day_bounds(start, end, timezone)
    rows = conn.execute(
        text(
            "SELECT p.id::text, p.chief_id, p.status, p.started_at, ST_AsBinary(p.track) "
            "FROM patrol p WHERE p.track IS NOT NULL AND p.started_at >= :s AND p.started_at < :e "
            "AND ST_Intersects(p.track, (SELECT geom FROM admin_region WHERE code = :r)) "
            "ORDER BY p.started_at"
        ),
        {"s": lo, "e": hi, "r": region},
    ).all()
    frame = _frame(rows, ["id", "chief_id", "status", "started"])
    frame["chief"] = frame["chief_id"].map(chief_names)
    frame["started"] = [t.astimezone(tz).isoformat() for t in frame["started"]]
    return frame


def coverage_map(
    conn: Connection,
    region: str,
    period: str,
    *,
    timezone: str,
    options: MapOptions | None = None,
    as_of: dt.date | None = None,
    rules: RuleSet | None = None,
    tile_threshold: int | None = None,
    tiles_url: str = TILES_URL,
) -> folium.Map:
    """The coverage map; vector tiles when the region has more than ``tile_threshold``
    features (None: always embedded GeoJSON, as a standalone file needs)."""
    options = options or MapOptions()
    data = coverage_data(
        conn,
        region,
        period,
        as_of=as_of,
        include_tracks=options.include_tracks,
        rules=rules,
        timezone=timezone,
        include_contacts=options.include_contacts,
    )
    tiled = tile_threshold is not None and data.feature_count > tile_threshold
    # the tiles carry only the audited region's features (the rest of the province stays out)
    url = f"{tiles_url}?region={region}" if tiled else None
    return build_coverage_map(data, options, tiles_url=url)


# -- patrol --------------------------------------------------------------------------------------


def patrol_data(conn: Connection, patrol_id, *, timezone: str) -> PatrolData:
    """One stored patrol: its points re-read from the upload (the evidence), what was dropped
    and why (as stored at ingest), its targets with covered and missed stretches; times read
    and shown in ``timezone`` (the office's)."""
    patrol = get_patrol(conn, patrol_id)
    raw = parse_track(
        raw_upload(conn, patrol_id),
        filename=patrol["file_name"],
        fmt=patrol["source_format"] if patrol["source_format"] in FORMATS else None,
        timezone=timezone,
    )
    lon, lat = to_wgs84(raw.lon, raw.lat, patrol["coord_system"])
    reasons = dict(patrol["dropped"] or [])
    reason = np.array([reasons.get(r, "") for r in raw.ref], dtype=object)
    points = gpd.GeoDataFrame(
        {
            "time": pd.to_datetime(raw.time, utc=True),
            "ref": list(raw.ref),
            "reason": reason,
        },
        geometry=shapely.points(np.column_stack([lon, lat])),
        crs=4326,
    ).sort_values("time", kind="stable")

    summary_targets = {t["target_id"]: t for t in patrol["summary"].get("targets", [])}
    ids = list(summary_targets)
    rivers = names(
        conn,
        "water_body",
        {t.get("water_body_code") for t in summary_targets.values()}
        | {c["water_body_code"] for c in patrol["coverage"]},
    )
    # the targets as the run the patrol was measured against keeps them (a patrol of a day
    # governed by an older run, or awaiting its re-match, is not on the newest stretches)
    run_id = zoning_run_of(conn, str(patrol["id"]))
    targets = _frame(
        [
            *wkb_by_id(conn, "river_segment", ids, run_id=run_id),
            *wkb_by_id(conn, "still_water_zone", ids, run_id=run_id),
        ],
        ["id"],
    )
    targets["river"] = [
        rivers.get(summary_targets[i].get("water_body_code"), "") for i in targets["id"]
    ]
    targets["level"] = [summary_targets[i].get("level") for i in targets["id"]]
    targets["ratio"] = [float(summary_targets[i].get("ratio", 0.0)) for i in targets["id"]]
    targets["covered_m"] = [summary_targets[i].get("covered_m", 0.0) for i in targets["id"]]
    targets["length_m"] = [summary_targets[i].get("length_m", 0.0) for i in targets["id"]]

    def stretches(key: str) -> gpd.GeoDataFrame:
        # get_patrol hands the stretches over as parsed GeoJSON mappings: shapes are built
        # from them directly (no second JSON text)
        found = [c for c in patrol["coverage"] if c[key]]
        rows = [
            {"target_id": c["target_id"], "river": rivers.get(c["water_body_code"], "")}
            for c in found
        ]
        return gpd.GeoDataFrame(
            pd.DataFrame(rows, columns=["target_id", "river"]),
            geometry=[shapely.geometry.shape(c[key]) for c in found],
            crs=4326,
        )

    chief = names(conn, "chief", [patrol["chief_id"]]).get(patrol["chief_id"], patrol["chief_id"])
    return PatrolData(
        patrol_id=patrol["id"],
        chief=chief,
        status=patrol["status"],
        reasons=list(patrol["reasons"] or []),
        started=patrol["started_at"],
        ended=patrol["ended_at"],
        distance_m=float(patrol["summary"].get("distance_m", 0.0)),
        points=points,
        targets=targets,
        covered=stretches("covered_geom"),
        missed=stretches("uncovered_geom"),
        timezone=timezone,
        waters={
            c: rivers.get(c, c)
            for c in sorted({t.get("water_body_code") or "" for t in summary_targets.values()})
            if c
        },
    )


def patrol_map(
    conn: Connection, patrol_id, *, timezone: str, options: MapOptions | None = None
) -> folium.Map:
    return build_patrol_map(
        patrol_data(conn, patrol_id, timezone=timezone), options or MapOptions()
    )


# -- river ---------------------------------------------------------------------------------------


def river_data(
    conn: Connection, code: str, day: dt.date, *, section_rule: AssessmentRule | None = None
) -> RiverData:
    """One river for a coordination meeting: stretches per level with their chiefs, joint
    sections, the neighbouring stretches up- and downstream, and its boundary sections
    classed by ``section_rule`` (the office's, passed in by the front end)."""
    report = coordination_report(conn, code, day).to_dict()
    # the zoning in force on the day, as the report's (its stretches, crossings, neighbours)
    _, run_id = zoning_of_day(conn, day)
    region_names = names(conn, "admin_region")
    rivers = names(conn, "water_body")
    segments = _from_geojson(segments_geojson(conn, water_body=code, run_id=run_id))
    if len(segments):
        segments = segments[segments["kind"] != "outside"].reset_index(drop=True)
    chiefs = {
        s["id"]: "、".join(f"{c['name']}({c['role_label']})" for c in s["chiefs"])
        for level in report["levels"].values()
        for s in level
    }
    if len(segments):
        segments["region"] = segments["region_code"].map(region_names)
        segments["left_bank"] = segments["left_region_code"].map(region_names)
        segments["right_bank"] = segments["right_region_code"].map(region_names)
        segments["chiefs"] = segments["id"].map(chiefs).fillna("")
    levels = levels_in(segments)
    level = "county" if "county" in levels else (levels[0] if levels else None)
    up, down = _river_neighbours(
        conn, report, segments, level, day, region_names, rivers, run_id=run_id
    )
    joint = _joint_frame(
        conn, "", rivers, region_names, points=False, water_body=code, run_id=run_id
    )
    crossings = _joint_frame(
        conn, "", rivers, region_names, points=True, water_body=code, run_id=run_id
    )
    convener = report.get("convener") or {}
    base_regions, base_waters = _offline_base(conn, segments, code)
    return RiverData(
        code=code,
        name=report["river"]["name"],
        date=report["date"],
        segments=segments,
        joint_sections=joint,
        crossings=crossings,
        upstream=up,
        downstream=down,
        shown_level=level,
        convener=((convener.get("county") or {}).get("name")) if convener else None,
        base_regions=base_regions,
        base_waters=base_waters,
        sections=water_quality.river_sections(conn, code, day, rule=section_rule),
        tasks=plan_views.task_map_frame(conn, code, day),
        signboards=signboards.river_boards(conn, code, day),
    )


def _offline_base(
    conn: Connection, segments: gpd.GeoDataFrame, code: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """What a map without tiles draws as its base around the river: county and township
    boundaries with their names, and the water polygons (lakes, reservoirs, ponds)."""
    empty = _frame([], ["code", "name", "level"]), _frame([], ["code", "name", "kind"])
    if len(segments) == 0:
        return empty
    x0, y0, x1, y1 = (float(v) for v in segments.total_bounds)
    box = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    envelope = "ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), ST_SRID(geom))"
    regions = conn.execute(
        text(
            "SELECT code, name, level, ST_AsBinary(ST_Transform(geom, 4326)) FROM admin_region "
            f"WHERE level IN ('county', 'township') AND ST_Intersects(geom, {envelope})"
        ),
        box,
    ).all()
    waters = conn.execute(
        text(
            "SELECT code, name, kind, ST_AsBinary(ST_Transform(geom, 4326)) FROM water_body "
            "WHERE kind IN ('lake', 'reservoir', 'pond') AND code <> :code "
            f"AND ST_Intersects(geom, {envelope})"
        ),
        {**box, "code": code},
    ).all()
    return _frame(regions, ["code", "name", "level"]), _frame(waters, ["code", "name", "kind"])


def _river_neighbours(
    conn: Connection,
    report: dict,
    segments: gpd.GeoDataFrame,
    level: str | None,
    day: dt.date,
    region_names: dict[str, str],
    rivers: dict[str, str],
    *,
    run_id: int | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Upstream: each tributary's stretch at its confluence (at the shown level, else its
    coarsest); downstream: the main stem below the mouth, to ``NEIGHBOUR_REACH_M``; of
    zoning run ``run_id`` (None: the working tables)."""
    code = report["river"]["code"]
    found_up: list[_Near] = []
    tributaries = {t["code"]: t for t in report["tributaries"]}
    if tributaries:
        table, of = of_run("river_segment", run_id)
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (water_body_code) id, water_body_code, level, region_code, "
                f"left_region_code, right_region_code FROM {table} "
                f"WHERE {of} AND water_body_code = ANY(:codes) AND kind <> 'outside' "
                "ORDER BY water_body_code, level <> :level, "
                "array_position(CAST(:levels AS text[]), level::text), chainage_to_m DESC"
            ),
            {
                "codes": list(tributaries),
                "level": level or "county",
                "levels": list(LEVELS),
                "run": run_id,
            },
        ).mappings()
        for r in rows:
            t = tributaries[r["water_body_code"]]
            found_up.append(
                _Near(
                    segment_id=r["id"],
                    water_body_code=r["water_body_code"],
                    level=r["level"],
                    regions=[r["region_code"], r["left_region_code"], r["right_region_code"]],
                    chiefs=[c["name"] for c in t["chiefs"]],
                    distance_m=t["confluence_km"] * 1000,
                )
            )
    found_down: list[_Near] = []
    own = segments[segments["level"] == level] if level is not None else segments.iloc[:0]
    if len(own):
        mouth = str(own.sort_values("chainage_to_m")["id"].iloc[-1])
        found_down = [
            _Near(
                segment_id=n.segment_id,
                water_body_code=n.water_body_code,
                level=n.level,
                regions=[n.region_code, n.left_region_code, n.right_region_code],
                chiefs=[c.name for c in n.chiefs],
                distance_m=n.distance_m,
            )
            for n in neighbours(
                conn, mouth, direction="downstream", max_distance_m=NEIGHBOUR_REACH_M, day=day
            )
            if n.water_body_code != code
        ]
    return (
        _neighbour_frame(conn, found_up, region_names, rivers, run_id=run_id),
        _neighbour_frame(conn, found_down, region_names, rivers, run_id=run_id),
    )


@dataclass(frozen=True)
class _Near:
    """A stretch the river map shows beside the river: a tributary's at its confluence or
    the main stem's below the mouth."""

    segment_id: str
    water_body_code: str
    level: str
    regions: list[str | None]  # its own region, or the regions of its banks
    chiefs: list[str]
    distance_m: float


def _neighbour_frame(
    conn: Connection,
    found: list[_Near],
    region_names: dict[str, str],
    rivers: dict[str, str],
    *,
    run_id: int | None,
) -> gpd.GeoDataFrame:
    ids = [n.segment_id for n in found]
    geoms = dict(wkb_by_id(conn, "river_segment", ids, run_id=run_id))
    rows = [
        {
            "id": n.segment_id,
            "river": rivers.get(n.water_body_code, n.water_body_code),
            "level": n.level,
            "region": _join(n.regions, region_names),
            "chiefs": "、".join(n.chiefs),
            "distance_m": round(float(n.distance_m), 0),
            "wkb": geoms.get(n.segment_id),
        }
        for n in found
    ]
    return _frame(rows, ["id", "river", "level", "region", "chiefs", "distance_m"])


def river_map(
    conn: Connection,
    code: str,
    *,
    day: dt.date,
    options: MapOptions | None = None,
    section_rule: AssessmentRule | None = None,
) -> folium.Map:
    """The river map on ``day`` (the front end's today when the user gives none)."""
    return build_river_map(
        river_data(conn, code, day, section_rule=section_rule), options or MapOptions()
    )


def export_mode(offline: bool) -> Literal["inline", "cdn"]:
    """A standalone file inlines everything when offline, else links the CDNs."""
    return "inline" if offline else "cdn"


def served_mode(offline: bool) -> Literal["served", "cdn"]:
    return "served" if offline else "cdn"
