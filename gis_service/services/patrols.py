"""Ingest a patrol upload: parse, clean, match to the chief's assignments, judge, store.

One upload is one transaction. A rejected upload (bad file, unknown chief) raises before
anything is written. The same patrol sent again (same app UUID, or the same points under
another name: offline phones retry) returns the stored patrol and counts once, also when
copies arrive at the same moment: the insert is ``ON CONFLICT DO NOTHING`` on the UUID and
on (chief, content hash), and the loser reads the winner's row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
import zlib
import zoneinfo
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
import shapely
from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_service.db.assignment_store import load_post_targets
from gis_service.db.bulk import as_multi, ewkb_hex
from gis_service.db.models import Patrol, PatrolCoverage, PatrolRaw
from gis_service.db.queries import local_day_bounds
from gis_service.db.session import atomic
from gis_service.domain import crs
from gis_service.domain.assignments import assignments
from gis_service.domain.chinacoords import COORDINATE_SYSTEMS, to_wgs84
from gis_service.domain.coverage import (
    Coverage,
    LineMatcher,
    MatchParams,
    Target,
    TargetCoverage,
    measure,
    without_credit,
)
from gis_service.domain.linear import LineSet, orient
from gis_service.domain.offsets import OffsetCheck, check_offset
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.domain.tracks import MODE_MAX_SPEED, CleaningParams, CleanTrack, clean_track
from gis_service.domain.verdict import (
    PatrolContext,
    Verdict,
    VerdictRules,
    geometry_fingerprint,
    judge,
)
from gis_service.domain.vocab import REGION_ROLES
from gis_service.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from gis_service.fileio.tracks import parse_track
from gis_service.services.service_area import ServiceArea, service_area

SHORE_MATCH_HALF_WIDTH_M = 100.0


@dataclass(frozen=True)
class PatrolSettings:
    """How patrols are read and judged. Built by the front ends (API, CLI, notebook) from the
    office's settings: ``timezone`` (GIS_TIMEZONE) reads naive times and makes local dates."""

    timezone: str = DEFAULT_TIMEZONE
    cleaning: CleaningParams = field(default_factory=CleaningParams)
    matching: MatchParams = field(default_factory=MatchParams)
    rules: VerdictRules = field(default_factory=VerdictRules)
    # convert a track declared WGS84 that fits only as GCJ-02/BD-09 (recorded in its notes),
    # instead of judging it likely_gcj02/likely_bd09 without coverage credit
    auto_convert_offsets: bool = False


def _content_hash(chief_id: str, lon: np.ndarray, lat: np.ndarray, t: np.ndarray) -> str:
    digest = hashlib.sha256(chief_id.encode())
    digest.update(np.round(np.column_stack([lon, lat]) * 1e7).astype(np.int64).tobytes())
    digest.update(t.astype("datetime64[s]").astype(np.int64).tobytes())
    return digest.hexdigest()


def _zoning_states(conn: Connection, keys: list[tuple[str, dt.date]]) -> dict[tuple, tuple]:
    """Per (chief, day): (zoning run id, its metric EPSG, ids of the posts held that day),
    for a whole batch in one query."""
    if not keys:
        return {}
    rows = conn.execute(
        text(
            "SELECT q.c, q.d, r.id, r.metric_epsg, (SELECT coalesce(array_agg(p.id ORDER BY p.id), "
            "'{}') FROM chief_post p WHERE p.chief_id = q.c AND p.validity @> q.d) "
            "FROM unnest(CAST(:c AS text[]), CAST(:d AS date[])) AS q(c, d) "
            # the run in force that day: the newest effective by then (db.zoning_runs)
            "LEFT JOIN LATERAL (SELECT id, metric_epsg FROM zoning_run WHERE effective_from <= q.d "
            "ORDER BY id DESC LIMIT 1) r ON true"
        ),
        {"c": [k[0] for k in keys], "d": [k[1] for k in keys]},
    ).all()
    return {(r[0], r[1]): (r[2], r[3], tuple(r[4])) for r in rows}


_ASSIGNMENTS: OrderedDict[tuple, _Assignment] = OrderedDict()
_ASSIGNMENT_CACHE_SIZE = 512


def _cached_assignment(
    conn: Connection, chief_id: str, day: dt.date, epsg: int, reach: float, key: tuple
) -> _Assignment:
    """Assignments change only with the zoning or the posts: cache them by both (per
    process), so a batch of uploads does not rebuild the same lines again and again."""
    if key in _ASSIGNMENTS:
        _ASSIGNMENTS.move_to_end(key)
        return _ASSIGNMENTS[key]
    value = _assignment(conn, chief_id, day, epsg, reach, key[0])
    _ASSIGNMENTS[key] = value
    if len(_ASSIGNMENTS) > _ASSIGNMENT_CACHE_SIZE:
        _ASSIGNMENTS.popitem(last=False)
    return value


@dataclass
class _Assignment:
    lines: LineSet
    targets: list[Target]
    meta: dict[str, dict]  # target id -> type, water body, level, region
    matcher: LineMatcher | None = None  # built once, reused by every patrol of the chief
    # river target id -> (patrol chainage, stored chainage) at the river's vertices and the
    # target's stored start: what is reported is in the zoning's chainage
    stored: dict[str, tuple[np.ndarray, np.ndarray, float]] = field(default_factory=dict)
    run_id: int | None = None  # the zoning run the targets are of (in force on the day)


def _assignment(
    conn: Connection, chief_id: str, day: dt.date, epsg: int, reach: float, run_id: int | None
) -> _Assignment:
    """The chief's segments and zones on ``day`` as lines and chainage targets; which ones
    is decided by ``domain.assignments`` (the rules the audit and the roster use too)."""
    posts, segs, zones, ancestors, kinds = load_post_targets(conn, chief_id, day, run_id)
    held = assignments(segs, zones, posts, day, ancestors=ancestors, water_kinds=kinds)
    region_posts = set(posts.loc[posts["role"].isin(REGION_ROLES), "post_id"])
    by_region = set(held.loc[held["post_id"].isin(region_posts), "target_id"])
    by_water = set(held.loc[~held["post_id"].isin(region_posts), "target_id"])
    seg_ids = set(held.loc[held["target_type"] == "segment", "target_id"])
    mine = segs[segs["id"].isin(seg_ids)]
    zones = zones[zones["id"].isin(set(held.loc[held["target_type"] == "zone", "target_id"]))]
    # neighbours' segments within the joint reach of a water post's own segments: walking into
    # them is credited to them too (patrols on joint sections count for both sides)
    own = mine[mine["id"].isin(by_water)]
    near = np.zeros(len(segs), dtype=bool)
    for r in own.itertuples():
        near |= (
            (segs.water_body_code == r.water_body_code)
            & (segs.level == r.level)
            & (segs.chainage_to_m > r.chainage_from_m - reach)
            & (segs.chainage_from_m < r.chainage_to_m + reach)
        ).to_numpy()
    neighbours = segs[near & ~segs.id.isin(mine.id).to_numpy()] if len(segs) else segs
    waters = sorted(set(mine.water_body_code) | set(neighbours.water_body_code))
    rows = conn.execute(
        text(
            "SELECT code, flow_reversed, ST_AsBinary(geom) FROM water_body WHERE code = ANY(:w) "
            "ORDER BY code"
        ),
        {"w": waters},
    ).all()
    lonlat = np.array(
        [orient(shapely.from_wkb(bytes(g)), reversed_flow=bool(rev)) for _, rev, g in rows],
        dtype=object,
    )
    river_geoms = list(crs.transform(lonlat, crs.STORAGE_CRS, epsg)) if len(rows) else []
    line_of = {code: i for i, (code, _, _) in enumerate(rows)}
    shore_geoms = [_shore_line(bytes(z.zone), bytes(z.water), epsg) for z in zones.itertuples()]
    lines = LineSet.from_lines(np.array(river_geoms + shore_geoms, dtype=object))
    here = _chainage_maps(conn, run_id, [code for code, _, _ in rows], lonlat, lines, epsg)
    targets, meta, stored = [], {}, {}
    # own segments get joint-section credit beyond their ends; neighbours' segments are
    # measured only to credit what the patrol walked on them; a general chief's region
    # targets are stored only where walked (a city has hundreds)
    for frame, kind, extend in ((mine, "segment", reach), (neighbours, "joint", 0.0)):
        for r in frame.itertuples():
            line = line_of[r.water_body_code]
            region_only = kind == "segment" and r.id in by_region and r.id not in by_water
            targets.append(
                Target(
                    r.id,
                    line,
                    float(np.interp(r.chainage_from_m, *here[line])),
                    float(np.interp(r.chainage_to_m, *here[line])),
                    float(r.buffer_width_m or 50.0),
                    0.0 if region_only else extend,
                    credit_only=kind == "joint",
                )
            )
            meta[r.id] = {
                "target_type": "segment" if kind == "segment" else "joint",
                "water_body_code": r.water_body_code,
                "line": line,
                "walked_only": region_only,
            }
            stored[r.id] = (here[line][1], here[line][0], float(r.chainage_from_m))
    for k, z in enumerate(zones.itertuples()):
        line = len(river_geoms) + k
        length = float(lines.lengths[line])
        if length <= 0:
            continue
        targets.append(
            Target(
                z.id,
                line,
                0.0,
                length,
                min(float(z.buffer_width_m or 200.0), SHORE_MATCH_HALF_WIDTH_M),
            )
        )
        meta[z.id] = {
            "target_type": "zone",
            "water_body_code": z.water_body_code,
            "line": line,
            "walked_only": z.id in by_region and z.id not in by_water,
        }
    return _Assignment(lines, targets, meta, LineMatcher(lines), stored, run_id)


def _chainage_maps(
    conn: Connection,
    run_id: int | None,
    codes: list[str],
    lonlat: np.ndarray,
    lines: LineSet,
    epsg: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per river, (stored chainage, this patrol's chainage) at every vertex.

    The zoning measured each river in the zone of its unit of work, the patrol measures in
    the zone where it was walked. The river's zoning zone is the one of the last run whose
    length of the river equals its stored length; the stored chainage is then carried
    over vertex by vertex (identity when the zones agree)."""
    totals = dict(
        conn.execute(
            text(
                "SELECT water_body_code, max(chainage_to_m) FROM river_segment_version "
                "WHERE run_id = :run AND water_body_code = ANY(:w) GROUP BY water_body_code"
            ),
            {"w": codes, "run": run_id},
        ).all()
    )
    stored = np.array([float(totals.get(c) or 0.0) for c in codes])
    n = len(codes)
    best_err = np.abs(lines.lengths[:n] - stored)
    chosen = np.zeros(n, dtype=object)
    chosen[:] = [lines] * n
    counts = conn.execute(
        text("SELECT counts -> 'metric_zones' FROM zoning_run WHERE id = :run"), {"run": run_id}
    ).scalar()
    for zone in sorted(int(z) for z in (counts or {})):
        if zone == epsg or n == 0:
            continue
        other = LineSet.from_lines(crs.transform(lonlat, crs.STORAGE_CRS, zone))
        err = np.abs(other.lengths - stored)
        better = err < best_err
        chosen[better] = other
        best_err = np.where(better, err, best_err)
    out = []
    for k in range(n):
        zoned = chosen[k]
        a, b = zoned.line_seg_start[k], zoned.line_seg_start[k + 1]
        c, d = lines.line_seg_start[k], lines.line_seg_start[k + 1]
        if zoned is lines or b - a != d - c or stored[k] <= 0:
            # same zone, or no vertex-wise match: in proportion of the lengths
            total = stored[k] if stored[k] > 0 else lines.lengths[k]
            out.append((np.array([0.0, total]), np.array([0.0, lines.lengths[k]])))
            continue
        out.append(
            (
                np.append(zoned.seg_c0[a:b], zoned.lengths[k]),
                np.append(lines.seg_c0[c:d], lines.lengths[k]),
            )
        )
    return out


def _shore_line(zone_wkb: bytes, water_wkb: bytes, epsg: int) -> shapely.Geometry:
    """The water's edge along a zone (a shoreline piece, or the whole water area), metric:
    area zones are patrolled along their shore and measured by its length."""
    zone, water = (
        crs.transform(shapely.from_wkb(w), crs.STORAGE_CRS, epsg) for w in (zone_wkb, water_wkb)
    )
    edge = shapely.intersection(shapely.boundary(water), shapely.buffer(zone, 1.0))
    parts = [p for p in shapely.get_parts(shapely.line_merge(edge)) if p.geom_type == "LineString"]
    return shapely.multilinestrings(parts) if parts else shapely.LineString()


def _existing(
    conn: Connection, *, patrol_id: uuid.UUID | None, chief_id: str, content: str
) -> tuple[uuid.UUID, str] | None:
    """The stored patrol an insert collided with, and its chief: the row with the same UUID
    first (whoever owns it), else the same chief's patrol with the same points."""
    row = conn.execute(
        text(
            "SELECT id, chief_id FROM patrol WHERE id = :i "
            "OR (chief_id = :c AND content_sha256 = :h) ORDER BY (id = :i) DESC NULLS LAST LIMIT 1"
        ),
        {"i": patrol_id, "c": chief_id, "h": content},
    ).first()
    return (row[0], row[1]) if row else None


@dataclass
class Upload:
    """One patrol as received: the bytes and what the uploader declared."""

    data: bytes
    filename: str | None = None
    chief_id: str | None = None
    coord_system: str | None = None
    mode: str | None = None
    patrol_uuid: str | None = None
    fmt: str | None = None
    owner: str | None = None  # the authenticated chief: they may file only their own patrols


@dataclass
class _Prepared:
    upload: Upload
    raw: object
    chief_id: str
    coord_system: str
    mode: str
    pid: uuid.UUID | None
    content: str
    source: str
    day: dt.date  # the patrol's local date (posts are held by local date)


def _prepare(upload: Upload, settings: PatrolSettings) -> _Prepared:
    """Parse and check what was declared; raises InputError before anything is stored."""
    raw = parse_track(
        upload.data, filename=upload.filename, fmt=upload.fmt, timezone=settings.timezone
    )
    chief_id = upload.chief_id or raw.meta.get("chief_id")
    coord_system = str(upload.coord_system or raw.meta.get("coord_system") or "wgs84")
    coord_system = coord_system.lower().replace("-", "")
    mode = str(upload.mode or raw.meta.get("mode") or "walk").lower()
    patrol_uuid = upload.patrol_uuid or raw.meta.get("patrol_uuid")
    source = upload.filename or "upload"
    declared = raw.meta.get("chief_id")
    if upload.chief_id and declared and str(declared) != str(upload.chief_id):
        raise InputError(
            f"chief_id {upload.chief_id!r} of the request and {declared!r} of the file differ",
            source=source,
        )
    chief_id = chief_id or upload.owner
    if not chief_id:
        raise InputError("no chief given (chief_id)", source=source)
    if upload.owner and str(chief_id) != upload.owner:
        raise PermissionDeniedError(
            f"a chief uploads own patrols only ({upload.owner}), not {chief_id}'s"
        )
    if coord_system not in COORDINATE_SYSTEMS:
        raise InputError(
            f"coord_system must be one of {', '.join(COORDINATE_SYSTEMS)}", source=source
        )
    if mode not in MODE_MAX_SPEED:
        raise InputError(f"mode must be one of {', '.join(MODE_MAX_SPEED)}", source=source)
    try:
        pid = uuid.UUID(str(patrol_uuid)) if patrol_uuid else None
    except ValueError:
        raise InputError(f"patrol_uuid {patrol_uuid!r} is not a UUID", source=source) from None
    content = _content_hash(str(chief_id), raw.lon, raw.lat, raw.time)
    day = _local_day(raw.time, settings.timezone)
    return _Prepared(upload, raw, str(chief_id), coord_system, mode, pid, content, source, day)


@dataclass
class _Computed:
    prep: _Prepared
    track: CleanTrack
    coverage: Coverage
    assignment: _Assignment
    fingerprint: str
    area: ServiceArea
    started: dt.datetime
    ended: dt.datetime
    epsg: int
    context: PatrolContext | None = None
    result: dict | None = None
    offset: OffsetCheck | None = None  # the undeclared GCJ-02/BD-09 test


def _compute(
    conn: Connection,
    prep: _Prepared,
    settings: PatrolSettings,
    states: dict,
    now: dt.datetime | None = None,
) -> _Computed:
    """Convert, clean, match and measure one patrol (the verdict comes once the context of
    the whole batch is known). A track declared WGS84 that fits the assigned water only as
    GCJ-02/BD-09 gets no coverage credit, or, with ``auto_convert_offsets``, is converted
    (and says so in its notes)."""
    raw = prep.raw
    lon, lat = to_wgs84(raw.lon, raw.lat, prep.coord_system)
    t = raw.time.astype("datetime64[ns]").astype(np.int64) / 1e9
    started = dt.datetime.fromtimestamp(float(t.min()), dt.UTC)
    ended = dt.datetime.fromtimestamp(float(t.max()), dt.UTC)
    day = prep.day
    run_id, run_epsg, post_ids = states[(prep.chief_id, day)]
    # measured where it was walked: the track's own GK zone (its UTM zone abroad), never
    # the zone the database's zoning happens to be recorded in
    epsg = crs.local_metric_epsg(float(np.nanmedian(lon)), float(np.nanmedian(lat)))
    to_metric = crs.transformer(crs.STORAGE_CRS, f"EPSG:{epsg}").transform
    area = service_area(conn, lon, lat)
    # a track far from every region covers nothing: its chief's water is not measured in the
    # track's (foreign) zone but looked up in the zoning's, only to know it exists
    outside = area.mostly_outside()
    lines_epsg = int(run_epsg) if outside and run_epsg else epsg
    reach = settings.matching.joint_reach_m
    assignment = _cached_assignment(
        conn,
        prep.chief_id,
        day,
        lines_epsg,
        reach,
        (run_id, lines_epsg, reach, prep.chief_id, post_ids),
    )

    def clean_and_measure(lon, lat) -> tuple[CleanTrack, Coverage]:
        x, y = to_metric(lon, lat)
        track = clean_track(
            np.asarray(x),
            np.asarray(y),
            t,
            raw.accuracy,
            mode=prep.mode,
            params=settings.cleaning,
            now_s=now.timestamp() if now else None,
        )
        coverage = measure(
            track,
            assignment.lines,
            [] if outside else assignment.targets,
            settings.matching,
            assignment.matcher,
        )
        return track, coverage

    track, coverage = clean_and_measure(lon, lat)
    offset = None
    # most of the points matched: their median lies within the tolerance, no offset to find
    if not outside and coverage.matched_points < 0.5 * coverage.kept_points:
        offset = _offset_check(prep, lon, lat, track, assignment, to_metric, settings)
    if offset is not None and offset.likely:
        if settings.auto_convert_offsets:
            declared = prep.coord_system
            prep.coord_system = offset.likely
            lon, lat = to_wgs84(raw.lon, raw.lat, offset.likely)
            track, coverage = clean_and_measure(lon, lat)
            raw.meta.setdefault("notes", []).append(
                f"declared {declared}, but the points fit the assigned water only as "
                f"{offset.likely} ({offset.declared_m:.0f} m -> "
                f"{offset.converted_m[offset.likely]:.0f} m median): converted from "
                f"{offset.likely} (office setting auto_convert_offsets)"
            )
            offset = None
        else:
            coverage = without_credit(coverage)
    item = _Computed(
        prep,
        track,
        coverage,
        assignment,
        geometry_fingerprint(lon, lat),
        area,
        started,
        ended,
        epsg,
    )
    item.offset = offset
    return item


def _offset_check(
    prep: _Prepared, lon, lat, track: CleanTrack, assignment: _Assignment, to_metric, settings
) -> OffsetCheck | None:
    """The undeclared GCJ-02/BD-09 test (domain.offsets) of a track declared WGS84/CGCS2000
    with assigned water, on its kept points."""
    if prep.coord_system not in ("wgs84", "cgcs2000") or not assignment.targets:
        return None
    kept = track.order[track.kept]
    if len(kept) == 0:
        return None
    line_ids = sorted({tg.line for tg in assignment.targets})
    tolerance = max(tg.half_width_m for tg in assignment.targets) + settings.matching.gps_margin_m
    return check_offset(
        lon[kept], lat[kept], to_metric, assignment.lines.lines[line_ids], tolerance
    )


def _local_day(time: np.ndarray, timezone: str) -> dt.date:
    """The patrol's date where the chief lives (posts are held by local date)."""
    first = dt.datetime.fromtimestamp(
        float(time.min().astype("datetime64[ns]").astype(np.int64)) / 1e9, dt.UTC
    )
    return first.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def _batch_context(items: list[_Computed]) -> None:
    """Reuse and overlap among patrols of one batch (the database knows only earlier ones)."""
    for k, item in enumerate(items):
        for other in items[:k]:
            if item.context is None:
                continue
            same_chief = other.prep.chief_id == item.prep.chief_id
            other_id = str(other.result["id"]) if other.result else "?"
            ctx = item.context
            if (
                other.fingerprint == item.fingerprint
                and ctx.reused_from is None
                and (not same_chief or other.prep.day != item.prep.day)
            ):
                item.context = replace(ctx, reused_from=other_id)
            elif same_chief and other.started < item.ended and item.started < other.ended:
                item.context = replace(ctx, overlapping=[*ctx.overlapping, other_id])


def _uuid_taken(pid: uuid.UUID | None) -> str:
    return f"patrol_uuid {pid} is already used by another chief's patrol"


def ingest_patrols(
    conn: Connection,
    uploads: list[Upload],
    *,
    now: dt.datetime | None = None,
    settings: PatrolSettings | None = None,
    store: bool = True,
    raise_errors: bool = False,
) -> list[dict]:
    """Validate (and store) many patrols in one transaction: what an app sends when it comes
    back online. Each upload gets its own result; a bad one gets ``{"error", "status"}`` and
    stores nothing, the others are unaffected. Duplicates (same UUID or same points, in the
    database or earlier in the batch) return the stored patrol and count once."""
    settings = settings or PatrolSettings()
    now = now or dt.datetime.now(dt.UTC)
    results: list[dict | None] = [None] * len(uploads)
    prepared: dict[int, _Prepared] = {}
    for i, upload in enumerate(uploads):
        try:
            prepared[i] = _prepare(upload, settings)
        except (InputError, PermissionDeniedError) as exc:
            if raise_errors:
                raise
            status = 403 if isinstance(exc, PermissionDeniedError) else 400
            results[i] = {"error": str(exc), "status": status}
    chiefs, existing = _lookup(conn, list(prepared.values()))
    todo: list[int] = []
    seen: dict[tuple, int] = {}
    for i, prep in prepared.items():
        if prep.chief_id not in chiefs:
            if raise_errors:
                raise NotFoundError(f"chief {prep.chief_id!r} not found")
            results[i] = {"error": f"chief {prep.chief_id!r} not found", "status": 404}
            continue
        found = existing.get(prep.pid) or existing.get((prep.chief_id, prep.content))
        if store and found and found[1] != prep.chief_id:
            message = _uuid_taken(prep.pid)
            if raise_errors:
                raise ConflictError(message)
            results[i] = {"error": message, "status": 409}
            continue
        if store and found:
            results[i] = {**get_patrol(conn, found[0]), "duplicate": True}
            continue
        key = (prep.chief_id, prep.content)
        first = seen.get(prep.pid) if prep.pid is not None else None
        if store and first is not None and prepared[first].chief_id != prep.chief_id:
            message = f"patrol_uuid {prep.pid} is used twice in the batch by different chiefs"
            if raise_errors:
                raise ConflictError(message)
            results[i] = {"error": message, "status": 409}
            continue
        if store and (key in seen or (prep.pid is not None and prep.pid in seen)):
            results[i] = ("same", seen.get(key, seen.get(prep.pid)))
            continue
        seen[key] = i
        if prep.pid is not None:
            seen[prep.pid] = i
        todo.append(i)
    states = _zoning_states(conn, sorted({(prepared[i].chief_id, prepared[i].day) for i in todo}))
    computed = [(i, _compute(conn, prepared[i], settings, states, now)) for i in todo]
    _contexts(conn, [item for _, item in computed], now, settings.timezone)
    for _, item in computed:
        item.result = {"id": item.prep.pid or uuid.uuid4()}
    _batch_context([item for _, item in computed])
    for _, item in computed:
        item.context = replace(item.context, offset=item.offset)
    for i, item in computed:
        verdict = judge(item.track, item.coverage, item.context, settings.rules)
        item.result = _result(item, verdict)
        results[i] = item.result
    if store and computed:
        _write(conn, [item for _, item in computed])
        for i, item in computed:
            if item.result.get("status") == 409 and "error" in item.result:
                if raise_errors:
                    raise ConflictError(item.result["error"])
                results[i] = item.result
            elif item.result.get("duplicate"):
                results[i] = item.result
    for i, value in enumerate(results):
        if isinstance(value, tuple):  # the same patrol twice in one batch: count once
            results[i] = {**results[value[1]], "duplicate": True}
    out = []
    for value in results:
        value = dict(value)
        if "id" in value:
            value["id"] = str(value["id"])
            value.setdefault("duplicate", False)
        out.append(value)
    return out


def ingest_patrol(
    conn: Connection,
    data: bytes,
    *,
    filename: str | None = None,
    chief_id: str | None = None,
    coord_system: str | None = None,
    mode: str | None = None,
    patrol_uuid: str | None = None,
    fmt: str | None = None,
    owner: str | None = None,
    now: dt.datetime | None = None,
    settings: PatrolSettings | None = None,
    store: bool = True,
) -> dict:
    """Validate (and, with ``store``, save) one patrol; errors raise (nothing stored)."""
    upload = Upload(data, filename, chief_id, coord_system, mode, patrol_uuid, fmt, owner)
    return ingest_patrols(
        conn, [upload], now=now, settings=settings, store=store, raise_errors=True
    )[0]


def _lookup(conn: Connection, preps: list[_Prepared]) -> tuple[set[str], dict]:
    """Known chiefs, and stored patrols with the same UUID or points, in one query."""
    if not preps:
        return set(), {}
    # each branch is an index lookup (pkey, uq_patrol_chief_content): no scan of all patrols
    rows = conn.execute(
        text(
            "SELECT 'chief', id, NULL, NULL FROM chief WHERE id = ANY(:c) "
            "UNION ALL SELECT 'patrol', chief_id, content_sha256, id FROM patrol "
            "WHERE id = ANY(CAST(:i AS uuid[])) "
            "UNION ALL SELECT 'patrol', p.chief_id, p.content_sha256, p.id FROM patrol p "
            "JOIN unnest(CAST(:pc AS text[]), CAST(:ph AS text[])) AS q(c, h) "
            "ON p.chief_id = q.c AND p.content_sha256 = q.h"
        ),
        {
            "c": sorted({p.chief_id for p in preps}),
            "i": [str(p.pid) for p in preps if p.pid is not None],
            "pc": [p.chief_id for p in preps],
            "ph": [p.content for p in preps],
        },
    ).all()
    chiefs = {r[1] for r in rows if r[0] == "chief"}
    existing: dict = {}
    for _, chief, content, pid in (r for r in rows if r[0] == "patrol"):
        existing[(chief, content)] = (pid, chief)
        existing[pid] = (pid, chief)
    return chiefs, existing


def _write(conn: Connection, items: list[_Computed]) -> None:
    """Insert the batch with a few statements; copies that lost a race become duplicates."""
    with atomic(conn):
        rows = [
            {
                "id": item.result["id"],
                "chief_id": item.prep.chief_id,
                "content_sha256": item.prep.content,
                "geometry_fingerprint": item.fingerprint,
                "source_format": item.prep.raw.meta.get("format", "?"),
                "file_name": item.prep.upload.filename,
                "coord_system": item.prep.coord_system,
                "mode": item.prep.mode,
                "started_at": item.started,
                "ended_at": item.ended,
                "status": item.result["status"],
                "reasons": item.result["reasons"],
                "summary": item.result["summary"],
                "dropped": item.result["dropped"],
                "track": _track_ewkb(item.track, item.epsg),
                "zoning_run_id": item.assignment.run_id,
            }
            for item in items
        ]
        inserted = {
            r[0]
            for r in conn.execute(
                pg_insert(Patrol).values(rows).on_conflict_do_nothing().returning(Patrol.id)
            )
        }
        won = [item for item in items if item.result["id"] in inserted]
        for item in items:
            if item.result["id"] not in inserted:  # a concurrent copy won: count it once
                winner = _existing(
                    conn,
                    patrol_id=item.prep.pid,
                    chief_id=item.prep.chief_id,
                    content=item.prep.content,
                )
                if winner is None or winner[1] != item.prep.chief_id:
                    # another chief's patrol took this UUID meanwhile: never hand it out as
                    # a "duplicate" (a leak, and the loser's patrol would never be resent)
                    item.result = {"error": _uuid_taken(item.prep.pid), "status": 409}
                    continue
                item.result = {**get_patrol(conn, winner[0]), "duplicate": True}
        if not won:
            return
        conn.execute(
            PatrolRaw.__table__.insert(),
            [
                {
                    "patrol_id": item.result["id"],
                    "data": zlib.compress(item.prep.upload.data, 1),
                    "encoding": "zlib",
                    "sha256": hashlib.sha256(item.prep.upload.data).hexdigest(),
                }
                for item in won
            ],
        )
        coverage_rows = [row for item in won for row in _coverage_rows(item)]
        if coverage_rows:
            conn.execute(PatrolCoverage.__table__.insert(), coverage_rows)


def _contexts(conn: Connection, items: list[_Computed], now: dt.datetime, timezone: str) -> None:
    """Post periods, an earlier upload of the same geometry and overlapping patrols of every
    item, from the database, in one query (the batch's own overlaps: ``_batch_context``)."""
    if not items:
        return
    rows = conn.execute(
        text(
            "SELECT q.k, (SELECT coalesce(json_agg(json_build_array(valid_from, valid_to)), '[]') "
            "        FROM chief_post WHERE chief_id = q.c), "
            # the same points before: the chief's own on another day, or another chief's
            # on any day (someone else's GPX filed as one's own)
            "(SELECT id::text FROM patrol WHERE geometry_fingerprint = q.f "
            "        AND (q.i IS NULL OR id <> q.i) AND (chief_id <> q.c OR "
            "        (started_at AT TIME ZONE :tz)::date <> (q.s AT TIME ZONE :tz)::date) "
            "        ORDER BY started_at LIMIT 1), "
            "(SELECT coalesce(array_agg(id::text ORDER BY started_at), '{}') FROM patrol "
            "        WHERE chief_id = q.c AND (q.i IS NULL OR id <> q.i) "
            "        AND tstzrange(started_at, ended_at) && tstzrange(q.s, q.e)) "
            "FROM unnest(CAST(:k AS int[]), CAST(:c AS text[]), CAST(:f AS text[]), "
            "CAST(:s AS timestamptz[]), CAST(:e AS timestamptz[]), CAST(:i AS uuid[])) "
            "AS q(k, c, f, s, e, i)"
        ),
        {
            "k": list(range(len(items))),
            "c": [it.prep.chief_id for it in items],
            "f": [it.fingerprint for it in items],
            "s": [it.started for it in items],
            "e": [it.ended for it in items],
            "i": [str(it.prep.pid) if it.prep.pid else None for it in items],
            "tz": timezone,
        },
    ).all()
    for k, periods, reused, overlapping in rows:
        items[k].context = PatrolContext(
            now=now,
            post_periods=[
                (dt.date.fromisoformat(a), dt.date.fromisoformat(b) if b else None)
                for a, b in periods
            ],
            reused_from=reused,
            overlapping=list(overlapping),
            has_assignment=bool(items[k].assignment.targets),
            timezone=timezone,
            outside_service_area_m=(
                (items[k].area.distance_m if items[k].area.distance_m is not None else -1.0)
                if items[k].area.mostly_outside()
                else None
            ),
        )


def _track_ewkb(track: CleanTrack, epsg: int) -> str | None:
    if track.kept.sum() < 2:
        return None
    xy = np.column_stack([track.kx, track.ky])
    part = track.kpart
    counts = np.bincount(part)
    ok = counts[part] >= 2
    if ok.sum() < 2:
        return None
    lines = shapely.linestrings(xy[ok], indices=np.unique(part[ok], return_inverse=True)[1])
    geom = crs.transform(shapely.multilinestrings(lines), epsg, crs.STORAGE_CRS)
    return ewkb_hex(np.array([geom], dtype=object))[0]


def _stretch_geoms(
    ranges: list[list[tuple[float, float]]], targets: list[Target], lines: LineSet, epsg: int
) -> list[str | None]:
    """One WGS84 MultiLineString (EWKB hex) per target from its chainage ranges."""
    owner = [k for k, rs in enumerate(ranges) for _ in rs]
    if not owner:
        return [None] * len(ranges)
    owner_arr = np.array(owner)
    line = np.array([targets[k].line for k in owner])
    start = np.array([targets[k].start + lo for k, rs in enumerate(ranges) for lo, _ in rs])
    end = np.array([targets[k].start + hi for k, rs in enumerate(ranges) for _, hi in rs])
    pieces = lines.substrings(line, start, end)
    metric = np.full(len(ranges), None, dtype=object)
    for k in np.unique(owner_arr):
        metric[k] = shapely.union_all(pieces[owner_arr == k])
    return ewkb_hex(as_multi(crs.transform(metric, epsg, crs.STORAGE_CRS), "line"))


def _coverage_rows(item: _Computed) -> list[dict]:
    coverage, assignment = item.coverage, item.assignment
    # a neighbour's segment is stored only where the patrol actually walked on it
    keep = [
        k
        for k, tc in enumerate(coverage.targets)
        if tc.covered_m > 0
        or not (tc.credit_only or assignment.meta[tc.id].get("walked_only", False))
    ]
    if not keep:
        return []
    measured = [coverage.targets[k] for k in keep]
    kept_targets = [assignment.targets[k] for k in keep]
    covered = _stretch_geoms(
        [tc.covered for tc in measured], kept_targets, assignment.lines, item.epsg
    )
    uncovered = _stretch_geoms(
        [tc.uncovered for tc in measured], kept_targets, assignment.lines, item.epsg
    )
    kept = [_in_stored(tc, t, assignment) for tc, t in zip(measured, kept_targets, strict=True)]
    return [
        {
            "patrol_id": item.result["id"],
            "target_type": assignment.meta[tc.id]["target_type"],
            "target_id": tc.id,
            "run_id": assignment.run_id,
            "water_body_code": assignment.meta[tc.id]["water_body_code"],
            "length_m": tc.length_m,
            "covered_m": tc.covered_m,
            "ratio": tc.ratio,
            "extension_m": tc.extension_m,
            "covered": tc.covered,
            "uncovered": tc.uncovered,
            "covered_geom": covered[k],
            "uncovered_geom": uncovered[k],
        }
        for k, tc in enumerate(kept)
    ]


def _in_stored(tc: TargetCoverage, target: Target, assignment: _Assignment) -> TargetCoverage:
    """A river target's coverage in the zoning's chainage (the patrol measured in its own
    zone): ranges stay relative to the target's start; shore targets are unchanged."""
    conv = assignment.stored.get(tc.id)
    if conv is None:
        return tc
    here, there, start = conv

    def to_stored(a: float) -> float:
        return float(np.interp(target.start + a, here, there)) - start

    covered = [(to_stored(a), to_stored(b)) for a, b in tc.covered]
    length = to_stored(target.end - target.start)
    covered_m = sum(b - a for a, b in covered)
    scale = length / tc.length_m if tc.length_m > 0 else 1.0
    return replace(
        tc,
        length_m=length,
        covered_m=covered_m,
        ratio=covered_m / length if length > 0 else 0.0,
        covered=covered,
        uncovered=[(to_stored(a), to_stored(b)) for a, b in tc.uncovered],
        extension_m=tc.extension_m * scale,
    )


def _result(item: _Computed, verdict: Verdict) -> dict:
    prep, track, coverage, assignment = item.prep, item.track, item.coverage, item.assignment
    raw, started, ended = prep.raw, item.started, item.ended
    dropped_idx = track.order[~track.kept]
    return {
        "id": item.result["id"],
        "chief_id": prep.chief_id,
        "status": verdict.status,
        "reasons": [r.to_dict() for r in verdict.reasons],
        "started_at": started.isoformat(),
        "ended_at": ended.isoformat(),
        "summary": {
            "points": len(raw),
            "kept_points": int(track.kept.sum()),
            "dropped": track.dropped(),
            "parts": int(track.kpart.max() + 1) if track.kept.any() else 0,
            "duration_s": round(coverage.total_time_s, 1),
            "distance_m": round(coverage.total_distance_m, 1),
            "on_assignment_distance_m": round(coverage.on_distance_m, 1),
            "off_assignment_distance_m": round(coverage.off_distance_m, 1),
            "on_assignment_time_s": round(coverage.on_time_s, 1),
            "off_assignment_time_s": round(coverage.off_time_s, 1),
            "coord_system": prep.coord_system,
            "mode": prep.mode,
            "metric_epsg": item.epsg,
            "source": prep.source,
            "notes": list(raw.meta.get("notes", [])),
            "targets": [
                {
                    "target_id": tc.id,
                    **{
                        k: v
                        for k, v in assignment.meta[tc.id].items()
                        if k not in ("line", "walked_only")
                    },
                    "length_m": round(tc.length_m, 1),
                    "covered_m": round(tc.covered_m, 1),
                    "ratio": round(tc.ratio, 4),
                    "extension_m": round(tc.extension_m, 1),
                    "uncovered": [[round(a, 1), round(b, 1)] for a, b in tc.uncovered],
                }
                for tc in (
                    _in_stored(c, t, assignment)
                    # measured against all the targets, or none (far from every region)
                    for c, t in zip(coverage.targets, assignment.targets, strict=False)
                )
                if tc.covered_m > 0
                or not (tc.credit_only or assignment.meta[tc.id].get("walked_only", False))
            ],
        },
        "dropped": [
            [raw.ref[int(i)], str(r)]
            for i, r in zip(dropped_idx, track.reason[~track.kept], strict=True)
        ],
    }


def raw_upload(conn: Connection, patrol_id) -> bytes:
    """The patrol's upload exactly as received (the evidence)."""
    row = conn.execute(
        text("SELECT data, encoding, sha256 FROM patrol_raw WHERE patrol_id = :i"), {"i": patrol_id}
    ).first()
    if row is None:
        raise NotFoundError(f"no upload stored for patrol {patrol_id}")
    data = zlib.decompress(bytes(row[0])) if row[1] == "zlib" else bytes(row[0])
    if hashlib.sha256(data).hexdigest() != row[2]:
        raise RuntimeError(f"stored upload of patrol {patrol_id} fails its checksum")
    return data


def patrol_owner(conn: Connection, patrol_id) -> str:
    """The chief a patrol belongs to: who besides the office may see it, whose problems
    may name it."""
    chief = conn.execute(
        text("SELECT chief_id FROM patrol WHERE id = :i"), {"i": patrol_id}
    ).scalar()
    if chief is None:
        raise NotFoundError(f"patrol {patrol_id} not found")
    return chief


def get_patrol(conn: Connection, patrol_id) -> dict:
    row = (
        conn.execute(
            text(
                "SELECT id, chief_id, status, reasons, summary, dropped, started_at, ended_at, "
                "uploaded_at, source_format, file_name, coord_system, mode, "
                "ST_AsGeoJSON(track, 6) AS track FROM patrol WHERE id = :i"
            ),
            {"i": patrol_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(f"patrol {patrol_id} not found")
    coverage = (
        conn.execute(
            text(
                "SELECT target_type, target_id, water_body_code, length_m, covered_m, ratio, "
                "extension_m, covered, uncovered, ST_AsGeoJSON(covered_geom, 6) AS covered_geom, "
                "ST_AsGeoJSON(uncovered_geom, 6) AS uncovered_geom FROM patrol_coverage "
                "WHERE patrol_id = :i ORDER BY target_id"
            ),
            {"i": patrol_id},
        )
        .mappings()
        .all()
    )

    out = dict(row)
    out["id"] = str(out["id"])
    for k in ("started_at", "ended_at", "uploaded_at"):
        out[k] = out[k].isoformat()
    out["track"] = json.loads(out["track"]) if out["track"] else None
    out["coverage"] = [
        {
            **dict(c),
            "covered_geom": json.loads(c["covered_geom"]) if c["covered_geom"] else None,
            "uncovered_geom": json.loads(c["uncovered_geom"]) if c["uncovered_geom"] else None,
        }
        for c in coverage
    ]
    return out


def list_patrols(
    conn: Connection,
    *,
    chief: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Stored patrols started between two local dates (inclusive)."""
    lo, hi = local_day_bounds(start, end)
    rows = conn.execute(
        text(
            "SELECT id, chief_id, status, started_at, ended_at, "
            "summary->'distance_m' AS distance_m, "
            "jsonb_path_query_array(reasons, '$[*].code') AS reasons FROM patrol "
            "WHERE (CAST(:c AS text) IS NULL OR chief_id = :c) "
            "AND (CAST(:f AS timestamptz) IS NULL OR started_at >= :f) "
            "AND (CAST(:t AS timestamptz) IS NULL OR started_at < :t) "
            "AND (CAST(:s AS text) IS NULL OR status = :s) "
            "ORDER BY started_at, id LIMIT :l OFFSET :o"
        ),
        {"c": chief, "f": lo, "t": hi, "s": status, "l": limit, "o": offset},
    ).mappings()
    return [
        {
            **dict(r),
            "id": str(r["id"]),
            "started_at": r["started_at"].isoformat(),
            "ended_at": r["ended_at"].isoformat(),
        }
        for r in rows
    ]
