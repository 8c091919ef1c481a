"""Read the stored zoning: GeoJSON layers, neighbours, unassigned stretches, river reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from gis_service.db import coordination_store as store
from gis_service.db.columns import SEGMENT_FIELDS
from gis_service.db.geojson import feature_collection, geojson_sql
from gis_service.db.queries import DESCENDANTS, names, where_clause
from gis_service.db.zoning_runs import NO_RUN, RunInForce, of_run, run_in_force
from gis_service.domain.assignments import assignments, posts_valid_on, unassigned
from gis_service.domain.joint import joint_meeting_needed
from gis_service.domain.network import Confluences, Network
from gis_service.domain.segmentation import KIND_NAMES, Segments
from gis_service.domain.vocab import (
    LEVEL_LABELS,
    LEVEL_RANK,
    POST_ROLE_LABELS,
    REGION_ROLES,
    RIVER_CHIEF_ROLES,
    TRIBUTARY_CHIEF_ROLES,
)
from gis_service.errors import NotFoundError
from gis_service.records.zoning import ChiefOnTarget, Neighbour, UnassignedTarget
from gis_service.services.plan_views import report_section

# -- filters: what "in a region" means for each zoning table (API, maps and notebooks) --------
# Each returns a WHERE clause and its bound parameters; prefix the query with DESCENDANTS.


def segment_filter(
    *,
    region: str | None = None,
    level: str | None = None,
    water_body: str | None = None,
    kind: str | None = None,
) -> tuple[str, dict]:
    """River segments in ``region`` or below it: inside it, or on either bank."""
    params: dict = {"region": region}
    where = where_clause(
        params,
        region_columns=("region_code", "left_region_code", "right_region_code"),
        level=level,
        water_body_code=water_body,
        kind=kind,
    )
    return where, params


def zone_filter(
    *, region: str | None = None, water_body: str | None = None, kind: str | None = None
) -> tuple[str, dict]:
    """Lake/reservoir zones of ``region`` or a region below it."""
    params: dict = {"region": region}
    where = where_clause(
        params, region_columns=("region_code",), water_body_code=water_body, kind=kind
    )
    return where, params


def joint_filter(
    *, region: str | None = None, level: str | None = None, water_body: str | None = None
) -> tuple[str, dict]:
    """Joint sections with ``region`` (or a region below it) on either side of the crossing."""
    params: dict = {"region": region}
    where = where_clause(
        params,
        region_columns=("upstream_region_code", "downstream_region_code"),
        level=level,
        water_body_code=water_body,
    )
    return where, params


# -- GeoJSON layers ---------------------------------------------------------------------------


def segments_geojson(
    conn: Connection,
    *,
    region: str | None = None,
    level: str | None = None,
    water_body: str | None = None,
    kind: str | None = None,
    zones: bool = False,
    run_id: int | None = None,
) -> dict:
    """Segments (or their chief segment polygons) as a FeatureCollection, of zoning run
    ``run_id`` (None: the working table, the newest run's; runs keep no polygons)."""
    where, params = segment_filter(region=region, level=level, water_body=water_body, kind=kind)
    geom = "zone_geom" if zones else "geom"
    table, of = of_run("river_segment", run_id)
    if run_id is not None:
        if zones:
            raise ValueError("a zoning run keeps no segment polygons")
        where = f"{where} AND {of}" if where else f"WHERE {of}"
        params["run"] = run_id
    sql = (
        f"{DESCENDANTS} SELECT id, water_body_code, level, kind, region_code, "
        "left_region_code, right_region_code, ordinal, round(chainage_from_m::numeric, 1) "
        "AS chainage_from_m, round(chainage_to_m::numeric, 1) AS chainage_to_m, "
        f"round(length_m::numeric, 1) AS length_m, parent_id, {geojson_sql(geom)} AS geometry "
        f"FROM {table} {where} ORDER BY water_body_code, level, chainage_from_m"
    )
    rows = [dict(r._mapping) for r in conn.execute(text(sql), params)]
    for r in rows:
        for k in ("chainage_from_m", "chainage_to_m", "length_m"):
            r[k] = float(r[k])
    return feature_collection(rows)


def zones_geojson(
    conn: Connection,
    *,
    region: str | None = None,
    water_body: str | None = None,
    kind: str | None = None,
) -> dict:
    """Lake/reservoir zones (water area, shoreline pieces, shares) as a FeatureCollection."""
    where, params = zone_filter(region=region, water_body=water_body, kind=kind)
    sql = (
        f"{DESCENDANTS} SELECT id, water_body_code, kind, level, region_code, region_codes, "
        "round(area_m2::numeric, 1)::float AS area_m2, "
        "round(shore_length_m::numeric, 1)::float AS shore_length_m, share, "
        f"initiates_coordination, {geojson_sql()} AS geometry FROM still_water_zone {where} "
        "ORDER BY water_body_code, kind, id"
    )
    return feature_collection(dict(r._mapping) for r in conn.execute(text(sql), params))


def joint_sections_geojson(
    conn: Connection,
    *,
    region: str | None = None,
    level: str | None = None,
    water_body: str | None = None,
    points: bool = False,
    run_id: int | None = None,
) -> dict:
    """Joint sections (lines) or their crossing points (boundary cross-sections), of zoning
    run ``run_id`` (None: the working table, the newest run's)."""
    where, params = joint_filter(region=region, level=level, water_body=water_body)
    geom = "crossing_point" if points else "geom"
    table, of = of_run("joint_section", run_id)
    if run_id is not None:
        where = f"{where} AND {of}" if where else f"WHERE {of}"
        params["run"] = run_id
    sql = (
        f"{DESCENDANTS} SELECT id, water_body_code, level, "
        "round(crossing_chainage_m::numeric, 1)::float AS crossing_chainage_m, "
        "round(chainage_from_m::numeric, 1)::float AS chainage_from_m, "
        "round(chainage_to_m::numeric, 1)::float AS chainage_to_m, upstream_region_code, "
        f"downstream_region_code, along_boundary, {geojson_sql(geom)} AS geometry "
        f"FROM {table} {where} ORDER BY water_body_code, crossing_chainage_m"
    )
    return feature_collection(dict(r._mapping) for r in conn.execute(text(sql), params))


# -- tables for the pure functions ----------------------------------------------------------


def _segments_frame(
    conn: Connection, water_body: str | None = None, *, run_id: int | None = None
) -> pd.DataFrame:
    """The segments of ``run_id`` (None: the newest run's working table)."""
    table, where = of_run("river_segment", run_id)
    if water_body:
        where += " AND water_body_code = :w"
    return pd.read_sql(
        text(
            f"SELECT id, {', '.join(SEGMENT_FIELDS)}, parent_id FROM {table} WHERE {where} "
            "ORDER BY water_body_code, level, chainage_from_m, id"
        ),
        conn,
        params={"w": water_body, "run": run_id},
    )


def _zones_frame(
    conn: Connection, water_body: str | None = None, *, run_id: int | None = None
) -> pd.DataFrame:
    """The still-water zones of ``run_id`` (None: the newest run's working table)."""
    table, where = of_run("still_water_zone", run_id)
    if water_body:
        where += " AND water_body_code = :w"
    return pd.read_sql(
        text(
            "SELECT id, water_body_code, kind, level, region_code, region_codes, area_m2, share, "
            f"initiates_coordination FROM {table} WHERE {where} ORDER BY water_body_code, id"
        ),
        conn,
        params={"w": water_body, "run": run_id},
    )


def _posts_frame(conn: Connection) -> pd.DataFrame:
    return pd.read_sql(
        text(
            "SELECT p.id AS post_id, p.chief_id, c.name AS chief_name, c.title, p.role, p.level, "
            "p.region_code, p.water_body_code, p.valid_from, p.valid_to "
            "FROM chief_post p JOIN chief c ON c.id = p.chief_id"
        ),
        conn,
    )


def zoning_of_day(conn: Connection, day: dt.date) -> tuple[RunInForce | None, int]:
    """The run in force on ``day`` and the run id to read its kept rows with (one no run
    has, reading nothing, when the day is before every run's date)."""
    run = run_in_force(conn, day)
    return run, NO_RUN if run is None else run.id


def unassigned_on(conn: Connection, day: dt.date) -> pd.DataFrame:
    """Segments (per bank) and zones of the zoning in force on ``day`` with no chief that
    day."""
    _, run_id = zoning_of_day(conn, day)
    ponds = {r[0] for r in conn.execute(text("SELECT code FROM water_body WHERE kind='pond'"))}
    return unassigned(
        _segments_frame(conn, run_id=run_id),
        _zones_frame(conn, run_id=run_id),
        _posts_frame(conn),
        day,
        ponds=ponds,
    )


# -- network ----------------------------------------------------------------------------------


def _network(conn: Connection, run_id: int | None) -> tuple[Network, pd.DataFrame, list[str]]:
    """The river network of zoning run ``run_id`` (None: the working tables)."""
    seg = _segments_frame(conn, run_id=run_id)
    seg = seg[seg["kind"] != "outside"].reset_index(drop=True)
    rivers = sorted(
        set(seg["water_body_code"])
        | {
            r[0]
            for r in conn.execute(
                text("SELECT code FROM water_body WHERE kind IN ('river', 'canal')")
            )
        }
    )
    index = {c: i for i, c in enumerate(rivers)}
    table, of = of_run("river_segment", run_id)
    lengths: dict[str, float | None] = dict(
        conn.execute(
            text(f"SELECT water_body_code, max(chainage_to_m) FROM {table} WHERE {of} GROUP BY 1"),
            {"run": run_id},
        ).all()
    )
    kinds = {v: k for k, v in KIND_NAMES.items()}
    segments = Segments(
        river=seg["water_body_code"].map(index).to_numpy(np.int64),
        level=seg["level"].to_numpy(str),
        kind=seg["kind"].map(kinds).to_numpy(np.int64),
        region=np.zeros(len(seg), np.int64),
        left=np.zeros(len(seg), np.int64),
        right=np.zeros(len(seg), np.int64),
        start=seg["chainage_from_m"].to_numpy(float),
        end=seg["chainage_to_m"].to_numpy(float),
        parent=np.full(len(seg), -1, np.int64),
        ordinal=seg["ordinal"].to_numpy(np.int64),
    )
    table, of = of_run("confluence", run_id)
    conf = pd.read_sql(
        text(
            "SELECT tributary_code, main_code, chainage_on_main_m, gap_m "
            f"FROM {table} WHERE {of} ORDER BY tributary_code"
        ),
        conn,
        params={"run": run_id},
    )
    conf = conf[conf["tributary_code"].isin(index) & conf["main_code"].isin(index)]
    confl = Confluences(
        conf["tributary_code"].map(index).to_numpy(np.int64),
        conf["main_code"].map(index).to_numpy(np.int64),
        conf["chainage_on_main_m"].to_numpy(float),
        conf["gap_m"].to_numpy(float),
    )
    length_arr = np.array([float(lengths.get(c, 0.0) or 0.0) for c in rivers])
    return Network(segments, length_arr, confl), seg, rivers


def neighbours(
    conn: Connection,
    segment_id: str,
    *,
    direction: str,
    max_distance_m: float = float("inf"),
    day: dt.date,
) -> list[Neighbour]:
    """Segments upstream or downstream of a segment, with their chiefs on ``day``: both of
    the zoning in force that day (the segment must be one of its stretches)."""
    run, run_id = zoning_of_day(conn, day)
    net, seg, rivers = _network(conn, run_id)
    hits = np.flatnonzero(seg["id"].to_numpy() == segment_id)
    if len(hits) == 0:
        raise NotFoundError(
            f"segment {segment_id!r} not found in the zoning in force on {day.isoformat()}"
            + ("" if run is None else f" (run {run.id}, from {run.effective_from.isoformat()})")
        )
    walk = net.upstream if direction == "upstream" else net.downstream
    found = walk(int(hits[0]), max_distance_m)
    chiefs = _chiefs_by_target(_posts_frame(conn), seg, day)
    seg = seg.astype(object).where(seg.notna(), None)
    return [
        Neighbour(
            segment_id=seg["id"].iloc[n.segment],
            water_body_code=seg["water_body_code"].iloc[n.segment],
            level=seg["level"].iloc[n.segment],
            kind=seg["kind"].iloc[n.segment],
            region_code=seg["region_code"].iloc[n.segment],
            left_region_code=seg["left_region_code"].iloc[n.segment],
            right_region_code=seg["right_region_code"].iloc[n.segment],
            distance_m=round(n.distance_m, 1),
            via=[rivers[v] for v in n.via],
            chiefs=[ChiefOnTarget(**c) for c in chiefs.get(seg["id"].iloc[n.segment], [])],
        )
        for n in found
    ]


def unassigned_targets(conn: Connection, day: dt.date) -> list[UnassignedTarget]:
    """``unassigned_on`` as records (what GET /zoning/unassigned sends)."""
    return [UnassignedTarget(**r) for r in _records(unassigned_on(conn, day))]


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, None where the table holds NULL (pandas reads NaN)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _chiefs_by_target(
    posts: pd.DataFrame, seg: pd.DataFrame, day: dt.date, zones: pd.DataFrame | None = None
) -> dict[str, list[dict]]:
    zones = (
        zones
        if zones is not None
        else pd.DataFrame(
            columns=["id", "water_body_code", "kind", "level", "region_code", "area_m2"]
        )
    )
    # the chiefs of each stretch; general chiefs (总河长) hold regions and are listed as such
    a = assignments(seg, zones, posts[~posts["role"].isin(REGION_ROLES)], day)
    out: dict[str, list[dict]] = {}
    for r in a.itertuples(index=False):
        out.setdefault(r.target_id, []).append(
            {
                "chief_id": r.chief_id,
                "name": r.chief_name,
                "role": r.role,
                "role_label": POST_ROLE_LABELS.get(r.role, r.role),
                "bank": r.bank,
                "region_code": r.region_code,
            }
        )
    return out


# -- coordination report ----------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinationReport:
    """Everything a joint meeting on one river needs (seed 000/001). The parts are plain data
    in the shape of ``GET /rivers/{code}/report`` (``to_dict``), which the printed page, the
    river map and the notebook read."""

    river: dict
    date: dt.date
    river_chiefs: list[dict]
    convener: dict | None
    levels: dict[str, list[dict]]
    joint_sections: list[dict]
    tributaries: list[dict]
    zones: list[dict]
    unassigned: list[dict]
    tasks: dict | None = None  # 一河一策: open and overdue tasks (services.plan_views)
    # the zoning run in force on ``date`` whose stretches, joint sections, convener and
    # tributaries these are (None: the day is before every run's date)
    zoning_run: RunInForce | None = None

    def to_dict(self) -> dict:
        return {
            "river": self.river,
            "date": self.date.isoformat(),
            "zoning_run": None if self.zoning_run is None else self.zoning_run.to_dict(),
            "river_chiefs": self.river_chiefs,
            "convener": self.convener,
            "levels": self.levels,
            "level_labels": LEVEL_LABELS,
            "joint_sections": self.joint_sections,
            "tributaries": self.tributaries,
            "zones": self.zones,
            "unassigned": self.unassigned,
            "tasks": self.tasks,
        }


CONVENER_RULE = (
    "the county with the longest stretch convenes the joint meeting "
    "(联席会议) of a cross-county river without a city-level chief (seed 001)"
)


def coordination_report(conn: Connection, water_body: str, day: dt.date) -> CoordinationReport:
    """The river's report on ``day``: the chiefs valid that day on the zoning in force that
    day (the newest run whose effective date is not after it, as the audit counts days:
    its stretches, zones, joint sections, convener and tributaries, kept per run), the
    convener rule from ``domain.joint``, put together for a meeting."""
    run, run_id = zoning_of_day(conn, day)
    return report_of_run(conn, water_body, day, run, run_id=run_id)


def report_of_run(
    conn: Connection,
    water_body: str,
    day: dt.date,
    run: RunInForce | None,
    *,
    run_id: int | None,
) -> CoordinationReport:
    """The report on ``day`` with the zoning rows of ``run_id`` (None: the working tables,
    which hold the newest run), naming ``run``."""
    river = store.river(conn, water_body)
    if river is None:
        raise NotFoundError(f"water body {water_body!r} not found")
    region_names = names(conn, "admin_region")
    seg = _segments_frame(conn, water_body, run_id=run_id)
    zones = _zones_frame(conn, water_body, run_id=run_id)
    posts = _posts_frame(conn)
    chiefs = _chiefs_by_target(posts, seg, day, zones)
    gaps = unassigned(seg, zones, posts, day)

    def region(code):
        return (
            None
            if code is None or pd.isna(code)
            else {"code": code, "name": region_names.get(code)}
        )

    levels: dict[str, list[dict]] = {}
    for r in seg.itertuples(index=False):
        levels.setdefault(r.level, []).append(
            {
                "id": r.id,
                "ordinal": int(r.ordinal),
                "kind": r.kind,
                "region": region(r.region_code),
                "left_bank": region(r.left_region_code),
                "right_bank": region(r.right_region_code),
                "chainage_from_km": round(r.chainage_from_m / 1000, 3),
                "chainage_to_km": round(r.chainage_to_m / 1000, 3),
                "length_m": round(r.length_m, 1),
                "chiefs": chiefs.get(r.id, []),
            }
        )
    convener = store.convener(conn, water_body, run_id=run_id)
    valid = posts_valid_on(posts, day)
    river_posts = valid[
        (valid["water_body_code"] == water_body) & valid["role"].isin(RIVER_CHIEF_ROLES)
    ]
    trib_chiefs = valid[valid["role"].isin(TRIBUTARY_CHIEF_ROLES)]
    return CoordinationReport(
        river={
            **asdict(river),
            "length_m": round(float(seg["chainage_to_m"].max()), 1) if len(seg) else None,
        },
        date=day,
        river_chiefs=[
            {
                "chief_id": p.chief_id,
                "name": p.chief_name,
                "title": p.title,
                "role": p.role,
                "role_label": POST_ROLE_LABELS.get(p.role, p.role),
                "level": p.level,
                "region": region(p.region_code),
            }
            for p in river_posts.itertuples()
        ],
        convener=None
        if convener is None
        else {
            "county": region(convener.convener_region_code),
            "lengths_m": {k: round(v, 1) for k, v in convener.lengths_m.items()},
            "counties": [
                {"code": k, "name": region_names.get(k), "length_m": round(v, 1)}
                for k, v in sorted(convener.lengths_m.items(), key=lambda kv: -kv[1])
            ],
            "joint_meeting_needed": joint_meeting_needed(
                river_posts["role"].tolist(), river_posts["level"].tolist()
            ),
            "rule": CONVENER_RULE,
        },
        levels={lv: levels[lv] for lv in sorted(levels, key=LEVEL_RANK.__getitem__)},
        joint_sections=[
            {
                "id": j.id,
                "level": j.level,
                "crossing_km": round(j.crossing_chainage_m / 1000, 3),
                "from_km": round(j.chainage_from_m / 1000, 3),
                "to_km": round(j.chainage_to_m / 1000, 3),
                "upstream": region(j.upstream_region_code),
                "downstream": region(j.downstream_region_code),
                "along_boundary": j.along_boundary,
                "crossing_point": [round(j.lon, 6), round(j.lat, 6)],
            }
            for j in store.joint_sections(conn, water_body, run_id=run_id)
        ],
        tributaries=[
            {
                "code": t.tributary_code,
                "name": t.name,
                "confluence_km": round(t.chainage_on_main_m / 1000, 3),
                "chiefs": [
                    {
                        "chief_id": p.chief_id,
                        "name": p.chief_name,
                        "role": p.role,
                        "level": p.level,
                        "region": region(p.region_code),
                    }
                    for p in trib_chiefs[
                        trib_chiefs["water_body_code"] == t.tributary_code
                    ].itertuples()
                    if p.role == "river_chief" or p.level == t.managing_level
                ],
            }
            for t in store.tributaries(conn, water_body, run_id=run_id)
        ],
        zones=_records(zones.assign(area_m2=zones["area_m2"].round(1))),
        unassigned=_records(gaps),
        tasks=report_section(conn, water_body, day),
        zoning_run=run,
    )
