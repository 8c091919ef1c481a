"""SQL of 一河一策 plans: plans, tasks and progress reports (typed rows out), the places a
task may name (segments and still-water zones of the current zoning, points near the
water), and the rows the import log needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_service.db.models_plans import PlanTask, RiverPlan, TaskProgress


@dataclass(frozen=True)
class WaterRow:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class PlaceRow:
    """A segment or still-water zone of the current zoning, and its point for the map (the
    point of its line or polygon nearest its centroid)."""

    id: str
    kind: str  # segment | zone
    water_body_code: str
    lon: float
    lat: float


@dataclass(frozen=True)
class PlanRow:
    id: int
    water_body_code: str
    water_name: str
    name: str
    tasks: int


@dataclass(frozen=True)
class TaskRow:
    id: int
    plan_id: int
    plan_name: str
    water_body_code: str
    water_name: str
    code: str
    title: str
    category: str
    department: str
    place_kind: str
    place_id: str | None
    lon: float
    lat: float
    deadline: dt.date
    status: str
    completed_on: dt.date | None
    note: str | None
    last_report_on: dt.date | None
    last_percent: int | None


@dataclass(frozen=True)
class ProgressRow:
    id: int
    task_id: int
    reported_on: dt.date
    text: str
    percent: int | None
    reported_by: str


def waters(conn: Connection, codes: set[str]) -> dict[str, WaterRow]:
    if not codes:
        return {}
    rows = conn.execute(
        text("SELECT code, name, kind FROM water_body WHERE code = ANY(:c)"), {"c": sorted(codes)}
    )
    return {r.code: WaterRow(r.code, r.name, r.kind) for r in rows}


def places(conn: Connection, ids: set[str]) -> dict[str, PlaceRow]:
    """Segments (river_segment: the current run) and still-water zones with these ids."""
    if not ids:
        return {}
    point = "ST_ClosestPoint(geom, ST_Centroid(geom))"
    rows = conn.execute(
        text(
            f"SELECT id, kind, water_body_code, ST_X(p) AS lon, ST_Y(p) AS lat FROM ("
            f"SELECT id, 'segment' AS kind, water_body_code, {point} AS p FROM river_segment "
            "WHERE id = ANY(:i) UNION ALL "
            f"SELECT id, 'zone', water_body_code, {point} FROM still_water_zone "
            "WHERE id = ANY(:i)) t"
        ),
        {"i": sorted(ids)},
    )
    return {r.id: PlaceRow(r.id, r.kind, r.water_body_code, r.lon, r.lat) for r in rows}


def distances_to_water(
    conn: Connection, water_codes: list[str], lons: list[float], lats: list[float]
) -> list[float]:
    """Geodesic metres from each point to its water body's geometry, in one query."""
    if not water_codes:
        return []
    rows = conn.execute(
        text(
            "SELECT t.n, ST_Distance(w.geom::geography, "
            "ST_SetSRID(ST_MakePoint(t.x, t.y), 4326)::geography) AS d "
            "FROM unnest(CAST(:w AS text[]), CAST(:x AS float8[]), CAST(:y AS float8[])) "
            "WITH ORDINALITY AS t(w, x, y, n) JOIN water_body w ON w.code = t.w ORDER BY t.n"
        ),
        {"w": water_codes, "x": lons, "y": lats},
    ).all()
    return [float(r.d) for r in rows]


def plan_ids(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(water, plan name) -> id of the stored plans among ``keys``."""
    if not keys:
        return {}
    waters_, names_ = zip(*sorted(keys), strict=True)
    rows = conn.execute(
        text(
            "SELECT p.id, p.water_body_code, p.name FROM river_plan p "
            "JOIN unnest(CAST(:w AS text[]), CAST(:n AS text[])) AS k(w, n) "
            "ON k.w = p.water_body_code AND k.n = p.name"
        ),
        {"w": list(waters_), "n": list(names_)},
    )
    return {(r.water_body_code, r.name): r.id for r in rows}


def insert_plan(conn: Connection, water_body_code: str, name: str) -> int:
    return conn.execute(
        pg_insert(RiverPlan)
        .values(water_body_code=water_body_code, name=name)
        .returning(RiverPlan.id)
    ).scalar_one()


def plan(conn: Connection, plan_id: int) -> PlanRow | None:
    rows = _plans(conn, "WHERE p.id = :i", {"i": plan_id})
    return rows[0] if rows else None


def plans_of(conn: Connection, water_body_code: str | None) -> list[PlanRow]:
    if water_body_code is None:
        return _plans(conn, "", {})
    return _plans(conn, "WHERE p.water_body_code = :w", {"w": water_body_code})


def _plans(conn: Connection, where: str, params: dict) -> list[PlanRow]:
    rows = conn.execute(
        text(
            "SELECT p.id, p.water_body_code, w.name AS water_name, p.name, "
            "(SELECT count(*) FROM plan_task t WHERE t.plan_id = p.id) AS tasks "
            f"FROM river_plan p JOIN water_body w ON w.code = p.water_body_code {where} "
            "ORDER BY p.water_body_code, p.id"
        ),
        params,
    ).mappings()
    return [PlanRow(**r) for r in rows]


def task_ids(conn: Connection, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(plan id, task code) -> id of the stored tasks among ``keys``."""
    if not keys:
        return {}
    plans_, codes = zip(*sorted(keys), strict=True)
    rows = conn.execute(
        text(
            "SELECT t.id, t.plan_id, t.code FROM plan_task t "
            "JOIN unnest(CAST(:p AS int[]), CAST(:c AS text[])) AS k(p, c) "
            "ON k.p = t.plan_id AND k.c = t.code"
        ),
        {"p": list(plans_), "c": list(codes)},
    )
    return {(r.plan_id, r.code): r.id for r in rows}


def _with_geom(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k not in ("lon", "lat")}
    out["geom"] = f"SRID=4326;POINT({row['lon']!r} {row['lat']!r})"
    return out


def upsert_tasks(conn: Connection, rows: list[dict]) -> list[tuple[int, bool]]:
    """Insert or update by (plan, code); rows carry lon/lat (WGS84). Returns (id, inserted)
    in the order of ``rows``."""
    if not rows:
        return []
    values = [_with_geom(r) for r in rows]
    stmt = pg_insert(PlanTask).values(values)
    upsert = stmt.on_conflict_do_update(
        constraint="uq_plan_task_code",
        set_={
            **{c: stmt.excluded[c] for c in values[0] if c not in ("plan_id", "code")},
            "updated_at": text("now()"),
        },
    ).returning(PlanTask.id, PlanTask.plan_id, PlanTask.code, text("(xmax = 0) AS inserted"))
    found = {(r.plan_id, r.code): (int(r.id), bool(r.inserted)) for r in conn.execute(upsert)}
    return [found[(r["plan_id"], r["code"])] for r in rows]


def insert_task(conn: Connection, row: dict) -> int:
    return conn.execute(
        pg_insert(PlanTask).values(_with_geom(row)).returning(PlanTask.id)
    ).scalar_one()


def update_task(conn: Connection, task_id: int, changes: dict) -> None:
    """Set the given columns (lon/lat become the point) and ``updated_at`` (the clock's
    time, not the transaction's: the import log tells edits after an import by it)."""
    values = dict(changes)
    if "lon" in values:
        lon, lat = values.pop("lon"), values.pop("lat")
        values["geom"] = f"SRID=4326;POINT({lon!r} {lat!r})"
    sets = ", ".join(f"{c} = :{c}" for c in values)
    conn.execute(
        text(f"UPDATE plan_task SET {sets}, updated_at = clock_timestamp() WHERE id = :task_id"),
        {**values, "task_id": task_id},
    )


def insert_progress(conn: Connection, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return [
        int(i)
        for i in conn.execute(
            pg_insert(TaskProgress).values(rows).returning(TaskProgress.id)
        ).scalars()
    ]


_TASK_SQL = (
    "SELECT t.id, t.plan_id, p.name AS plan_name, p.water_body_code, w.name AS water_name, "
    "t.code, t.title, t.category, t.department, t.place_kind, t.place_id, "
    "ST_X(t.geom) AS lon, ST_Y(t.geom) AS lat, t.deadline, t.status, t.completed_on, t.note, "
    "g.reported_on AS last_report_on, g.percent AS last_percent "
    "FROM plan_task t JOIN river_plan p ON p.id = t.plan_id "
    "JOIN water_body w ON w.code = p.water_body_code "
    "LEFT JOIN LATERAL (SELECT reported_on, percent FROM task_progress r "
    "WHERE r.task_id = t.id ORDER BY reported_on DESC, id DESC LIMIT 1) g ON true "
)


def tasks(
    conn: Connection,
    *,
    water_body_code: str | None = None,
    plan_id: int | None = None,
    task_id: int | None = None,
) -> list[TaskRow]:
    """Tasks of a water (every plan of it), of a plan, or one task; by deadline."""
    where: list[str] = []
    params: dict[str, object] = {}
    if water_body_code is not None:
        where.append("p.water_body_code = :w")
        params["w"] = water_body_code
    if plan_id is not None:
        where.append("t.plan_id = :p")
        params["p"] = plan_id
    if task_id is not None:
        where.append("t.id = :t")
        params["t"] = task_id
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = conn.execute(
        text(_TASK_SQL + clause + "ORDER BY t.deadline, p.id, t.code"), params
    ).mappings()
    return [TaskRow(**r) for r in rows]


def progress(conn: Connection, task_id: int) -> list[ProgressRow]:
    rows = conn.execute(
        text(
            "SELECT id, task_id, reported_on, text, percent, reported_by FROM task_progress "
            "WHERE task_id = :t ORDER BY reported_on, id"
        ),
        {"t": task_id},
    ).mappings()
    return [ProgressRow(**r) for r in rows]


def progress_keys(conn: Connection, task_ids_: set[int]) -> set[tuple[int, dt.date, str]]:
    """(task, day, text) of the stored reports of these tasks (an import adds none twice)."""
    if not task_ids_:
        return set()
    rows = conn.execute(
        text("SELECT task_id, reported_on, text FROM task_progress WHERE task_id = ANY(:t)"),
        {"t": sorted(task_ids_)},
    )
    return {(r.task_id, r.reported_on, r.text) for r in rows}


def township_stretches(conn: Connection, water_body_code: str) -> list[str]:
    """Ids of the water's township stretches inside one township, along the flow (where
    the sample generator places its tasks)."""
    return list(
        conn.execute(
            text(
                "SELECT id FROM river_segment WHERE water_body_code = :w AND level = 'township' "
                "AND kind = 'inside' ORDER BY chainage_from_m"
            ),
            {"w": water_body_code},
        ).scalars()
    )


def points_along(
    conn: Connection, water_body_code: str, fractions: tuple[float, ...]
) -> list[tuple[float, float]]:
    """Points at these fractions of the water's (longest) line."""
    rows = conn.execute(
        text(
            "WITH l AS (SELECT (ST_Dump(ST_LineMerge(geom))).geom AS g FROM water_body "
            "WHERE code = :w ORDER BY ST_Length((ST_Dump(ST_LineMerge(geom))).geom) DESC LIMIT 1) "
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(l.g, f) AS p "
            "FROM l, unnest(CAST(:f AS float8[])) WITH ORDINALITY AS t(f, n) ORDER BY n) s"
        ),
        {"w": water_body_code, "f": list(fractions)},
    ).all()
    return [(float(x), float(y)) for x, y in rows]


def has_segments(conn: Connection, water_body_code: str) -> bool:
    """Whether the current zoning holds segments of the water (is it built?)."""
    return bool(
        conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM river_segment WHERE water_body_code = :w)"),
            {"w": water_body_code},
        ).scalar()
    )
