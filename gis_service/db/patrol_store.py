"""Every SQL statement of the patrol pipeline: what an upload is checked against, what it
stores and what is read back. Takes and returns the typed records below; the pipeline itself
(parse, clean, match, judge) lives in ``services.patrols``.

Batches are read and written with one statement per table (arrays unnested server-side), so a
batch of uploads costs a few round trips, not a few per upload.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import struct
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from gis_service.db.queries import local_day_bounds
from gis_service.db.service_area_store import INSIDE_SQL, inside_of, inside_params
from gis_service.db.session import statement
from gis_service.errors import NotFoundError

# -- what an upload is checked against ----------------------------------------------------------


@dataclass(frozen=True)
class ZoningState:
    """What a chief's assignment on a day depends on: the zoning run in force that day (its id
    and metric EPSG; None before any zoning) and the ids of the posts held that day."""

    run_id: int | None
    metric_epsg: int | None
    post_ids: tuple[int, ...]


_ZONING_STATES_SQL = (
    "SELECT q.c, q.d, r.id, r.metric_epsg, (SELECT coalesce(array_agg(p.id ORDER BY p.id), "
    "'{}') FROM chief_post p WHERE p.chief_id = q.c AND p.validity @> q.d) "
    "FROM unnest(CAST(:zc AS text[]), CAST(:zd AS date[])) AS q(c, d) "
    # the run in force that day: the newest effective by then (db.zoning_runs)
    "LEFT JOIN LATERAL (SELECT id, metric_epsg FROM zoning_run WHERE effective_from <= q.d "
    "ORDER BY id DESC LIMIT 1) r ON true"
)


def _zoning_params(keys: Sequence[tuple[str, dt.date]]) -> dict[str, Any]:
    return {"zc": [k[0] for k in keys], "zd": [k[1] for k in keys]}


def zoning_states(
    conn: Connection, keys: Sequence[tuple[str, dt.date]]
) -> dict[tuple[str, dt.date], ZoningState]:
    """Per (chief, day) of a whole batch, in one query."""
    if not keys:
        return {}
    rows = conn.execute(text(_ZONING_STATES_SQL), _zoning_params(keys)).all()
    return {(r[0], r[1]): ZoningState(r[2], r[3], tuple(r[4])) for r in rows}


@dataclass(frozen=True)
class StoredMatch:
    """A stored patrol an upload may repeat: its id and its chief."""

    patrol_id: uuid.UUID
    chief_id: str


@dataclass(frozen=True)
class Lookup:
    """Known chiefs of a batch, and the stored patrols with the same UUID or the same points."""

    chiefs: frozenset[str]
    by_uuid: dict[uuid.UUID, StoredMatch] = field(default_factory=dict)
    by_content: dict[tuple[str, str], StoredMatch] = field(default_factory=dict)

    def match(self, pid: uuid.UUID | None, chief_id: str, content: str) -> StoredMatch | None:
        """The same UUID first (whoever owns it), else the chief's patrol with these points."""
        return (self.by_uuid.get(pid) if pid is not None else None) or self.by_content.get(
            (chief_id, content)
        )


# each branch is an index lookup of patrol_key (pkey, uq_patrol_key_chief_content), which
# holds every patrol of every month once (0014): no month partition is planned or probed
_LOOKUP_SQL = (
    "SELECT 'chief', id, NULL, NULL FROM chief WHERE id = ANY(:lc) "
    "UNION ALL SELECT 'patrol', chief_id, content_sha256, id::text FROM patrol_key "
    "WHERE id = ANY(CAST(:li AS uuid[])) "
    "UNION ALL SELECT 'patrol', p.chief_id, p.content_sha256, p.id::text FROM patrol_key p "
    "JOIN unnest(CAST(:lpc AS text[]), CAST(:lph AS text[])) AS q(c, h) "
    "ON p.chief_id = q.c AND p.content_sha256 = q.h"
)


def _lookup_params(items: Sequence[tuple[str, uuid.UUID | None, str]]) -> dict[str, Any]:
    return {
        "lc": sorted({chief for chief, _, _ in items}),
        "li": [str(pid) for _, pid, _ in items if pid is not None],
        "lpc": [chief for chief, _, _ in items],
        "lph": [content for _, _, content in items],
    }


def _lookup_of(rows: Sequence[Sequence[Any]]) -> Lookup:
    out = Lookup(frozenset(r[1] for r in rows if r[0] == "chief"))
    for _, chief, content, pid in (r for r in rows if r[0] == "patrol"):
        match = StoredMatch(uuid.UUID(pid), chief)
        out.by_content[(chief, content)] = match
        out.by_uuid[match.patrol_id] = match
    return out


def lookup(conn: Connection, items: Sequence[tuple[str, uuid.UUID | None, str]]) -> Lookup:
    """``items``: (chief, patrol UUID or None, content hash) per upload; one query."""
    if not items:
        return Lookup(frozenset())
    return _lookup_of(conn.execute(text(_LOOKUP_SQL), _lookup_params(items)).all())


def existing(
    conn: Connection, *, patrol_id: uuid.UUID | None, chief_id: str, content: str
) -> StoredMatch | None:
    """The stored patrol an insert collided with: the row with the same UUID first (whoever
    owns it), else the same chief's patrol with the same points."""
    row = conn.execute(
        text(
            "SELECT id, chief_id FROM patrol_key WHERE id = :i "
            "OR (chief_id = :c AND content_sha256 = :h) ORDER BY (id = :i) DESC NULLS LAST LIMIT 1"
        ),
        {"i": patrol_id, "c": chief_id, "h": content},
    ).first()
    return StoredMatch(row[0], row[1]) if row else None


@dataclass(frozen=True)
class ContextQuery:
    """One patrol whose stored context is wanted."""

    chief_id: str
    fingerprint: str
    started: dt.datetime
    ended: dt.datetime
    patrol_id: uuid.UUID | None


@dataclass(frozen=True)
class StoredContext:
    """What the database knows around a patrol: the chief's post periods, an earlier upload
    of the same geometry, and the chief's stored patrols overlapping it in time."""

    post_periods: list[tuple[dt.date, dt.date | None]]
    reused_from: str | None
    overlapping: list[str]


# both patrol look-ups read patrol_key (0014: every stored patrol of every month, archived
# months included) by its indexes: (fingerprint, start) and (chief, end)
_CONTEXTS_SQL = (
    "SELECT q.k, (SELECT coalesce(json_agg(json_build_array(valid_from, valid_to)), '[]') "
    "        FROM chief_post WHERE chief_id = q.c), "
    # the same points before: the chief's own on another day, or another chief's
    # on any day (someone else's GPX filed as one's own)
    "(SELECT id::text FROM patrol_key WHERE geometry_fingerprint = q.f "
    "        AND (q.i IS NULL OR id <> q.i) AND (chief_id <> q.c OR "
    "        (started_at AT TIME ZONE :tz)::date <> (q.s AT TIME ZONE :tz)::date) "
    "        ORDER BY started_at LIMIT 1), "
    # overlapping in time: a non-empty [start, end) meets [q.s, q.e) only if it ends after
    # q.s (the index condition); the range test itself decides, as before
    "(SELECT coalesce(array_agg(id::text ORDER BY started_at), '{}') FROM patrol_key "
    "        WHERE chief_id = q.c AND ended_at > q.s AND (q.i IS NULL OR id <> q.i) "
    "        AND tstzrange(started_at, ended_at) && tstzrange(q.s, q.e)) "
    "FROM unnest(CAST(:ck AS int[]), CAST(:cc AS text[]), CAST(:cf AS text[]), "
    "CAST(:cs AS timestamptz[]), CAST(:ce AS timestamptz[]), CAST(:ci AS uuid[])) "
    "AS q(k, c, f, s, e, i)"
)


def _contexts_params(queries: Sequence[ContextQuery], timezone: str) -> dict[str, Any]:
    return {
        "ck": list(range(len(queries))),
        "cc": [q.chief_id for q in queries],
        "cf": [q.fingerprint for q in queries],
        "cs": [q.started for q in queries],
        "ce": [q.ended for q in queries],
        "ci": [str(q.patrol_id) if q.patrol_id else None for q in queries],
        "tz": timezone,
    }


def _contexts_of(rows: Sequence[Sequence[Any]], n: int) -> list[StoredContext]:
    out: list[StoredContext | None] = [None] * n
    for k, periods, reused, overlapping in rows:
        out[k] = StoredContext(
            [
                (dt.date.fromisoformat(a), dt.date.fromisoformat(b) if b else None)
                for a, b in periods
            ],
            reused,
            list(overlapping),
        )
    return [c for c in out if c is not None]


def contexts(
    conn: Connection, queries: Sequence[ContextQuery], timezone: str
) -> list[StoredContext]:
    """The stored context of every query, in order, in one statement."""
    if not queries:
        return []
    rows = conn.execute(text(_CONTEXTS_SQL), _contexts_params(queries, timezone)).all()
    return _contexts_of(rows, len(queries))


@dataclass(frozen=True)
class Prefetch:
    """Everything an upload batch is checked against before it is measured."""

    lookup: Lookup
    states: dict[tuple[str, dt.date], ZoningState]
    contexts: list[StoredContext]
    # per upload (in order): (tested points inside some region, tested points)
    inside: list[tuple[int, int]] = field(default_factory=list)


def prefetch(
    conn: Connection,
    items: Sequence[tuple[str, uuid.UUID | None, str]],
    keys: Sequence[tuple[str, dt.date]],
    queries: Sequence[ContextQuery],
    timezone: str,
    points: Sequence[tuple[list[float], list[float]]] = (),
) -> Prefetch:
    """:func:`lookup`, :func:`zoning_states`, :func:`contexts` and, per query, how many of
    its ``points`` (lon, lat lists) lie in some region, in one round trip: each query's
    rows come back as one JSON array (a batch of uploads waits for the database once before
    it is measured, not four times)."""
    if not items:
        return Prefetch(Lookup(frozenset()), {}, [])
    row = conn.execute(
        statement(
            "SELECT (SELECT coalesce(json_agg(json_build_array(l.a, l.b, l.c, l.d)), '[]') "
            "FROM (" + _LOOKUP_SQL + ") l(a, b, c, d)), "
            "(SELECT coalesce(json_agg(json_build_array(z.a, z.b, z.c, z.d, z.e)), '[]') "
            "FROM (" + _ZONING_STATES_SQL + ") z(a, b, c, d, e)), "
            "(SELECT coalesce(json_agg(json_build_array(c.a, c.b, c.c, c.d)), '[]') "
            "FROM (" + _CONTEXTS_SQL + ") c(a, b, c, d)), "
            "(SELECT coalesce(json_agg(json_build_array(s.a, s.b, s.c)), '[]') "
            "FROM (" + INSIDE_SQL + ") s(a, b, c))"
        ),
        {
            **_lookup_params(items),
            **_zoning_params(keys),
            **_contexts_params(queries, timezone),
            **inside_params(points),
        },
    ).one()
    found, zoned, context_rows, inside_rows = row
    inside = inside_of(inside_rows, len(points))
    states = {
        (c, dt.date.fromisoformat(d)): ZoningState(run, epsg, tuple(posts))
        for c, d, run, epsg, posts in zoned
    }
    return Prefetch(_lookup_of(found), states, _contexts_of(context_rows, len(queries)), inside)


# -- what is stored -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatrolRow:
    """One ``patrol`` row as inserted (``track``: EWKB hex in WGS84, or None)."""

    id: uuid.UUID
    chief_id: str
    content_sha256: str
    geometry_fingerprint: str
    source_format: str
    file_name: str | None
    coord_system: str
    mode: str
    started_at: dt.datetime
    ended_at: dt.datetime
    status: str
    reasons: list[dict[str, Any]]
    summary: dict[str, Any]
    dropped: list[list[str]]
    track: str | None
    zoning_run_id: int | None  # the zoning the patrol was matched against


@dataclass(frozen=True)
class CoverageRow:
    """One ``patrol_coverage`` row: a target's length, what was walked of it (metres of the
    zoning's chainage, relative to the target's start) and both as WGS84 EWKB hex."""

    patrol_id: uuid.UUID
    target_type: str
    target_id: str
    run_id: int | None  # the zoning run the target is of
    water_body_code: str
    length_m: float
    covered_m: float
    ratio: float
    extension_m: float
    covered: list[tuple[float, float]]
    uncovered: list[tuple[float, float]]
    covered_geom: str | None
    uncovered_geom: str | None


# SQL type of each record field: the rows travel as one array per column
PATROL_COLUMNS: dict[str, str] = {
    "id": "uuid",
    "chief_id": "text",
    "content_sha256": "text",
    "geometry_fingerprint": "text",
    "source_format": "text",
    "file_name": "text",
    "coord_system": "text",
    "mode": "text",
    "started_at": "timestamptz",
    "ended_at": "timestamptz",
    "status": "text",
    "reasons": "jsonb",
    "summary": "jsonb",
    "dropped": "jsonb",
    "track": "geometry",
    "zoning_run_id": "int",
}
COVERAGE_COLUMNS: dict[str, str] = {
    "patrol_id": "uuid",
    "target_type": "text",
    "target_id": "text",
    "run_id": "int",
    "water_body_code": "text",
    "length_m": "float8",
    "covered_m": "float8",
    "ratio": "float8",
    "extension_m": "float8",
    "covered": "jsonb",
    "uncovered": "jsonb",
    "covered_geom": "geometry",
    "uncovered_geom": "geometry",
}


def _arrays(
    prefix: str, columns: dict[str, str], rows: Sequence[PatrolRow | CoverageRow]
) -> tuple[str, dict[str, Any]]:
    """``SELECT <columns> FROM unnest(CAST(:p_a AS t[]), ...) AS q(...)`` over the rows, and
    its parameters: one array per column (JSON as text, geometries as EWKB hex, converted by
    the server value by value; a geometry array of NULLs is not a valid array literal)."""
    casts, selected, params = [], [], {}
    for name, kind in columns.items():
        values = [getattr(r, name) for r in rows]
        if kind == "jsonb":
            values = [json.dumps(v) for v in values]
        params[f"{prefix}_{name}"] = values
        sent = "text" if kind == "geometry" else kind
        casts.append(f"CAST(:{prefix}_{name} AS {sent}[])")
        selected.append(f"CAST(q.{name} AS geometry)" if kind == "geometry" else f"q.{name}")
    query = (
        f"SELECT {', '.join(selected)} FROM unnest({', '.join(casts)}) AS q({', '.join(columns)})"
    )
    return query, params


# the columns of patrol_key (0014), written with the patrol in one statement
KEYED = "chief_id, content_sha256, geometry_fingerprint, started_at, ended_at"


@dataclass(frozen=True)
class Evidence:
    """An upload as stored in ``patrol_raw``: its bytes zlib-compressed, and their SHA-256."""

    data: bytes
    sha256: str


def evidence(data: bytes) -> Evidence:
    """The stored form of an upload's bytes (zlib and hashlib release the GIL: a big upload's
    evidence can be prepared on another thread while the patrol is measured)."""
    return Evidence(zlib.compress(data, 1), hashlib.sha256(data).hexdigest())


def insert_patrols(
    conn: Connection,
    rows: Sequence[PatrolRow],
    uploads: Sequence[tuple[uuid.UUID, Evidence]],
    coverage: Sequence[CoverageRow],
) -> set[uuid.UUID]:
    """Insert a batch: the patrols, skipping those whose UUID or (chief, points) is stored
    already (a concurrent copy won the race), and their coverage rows (the only writer of
    ``patrol_coverage``) in one statement; then for the inserted ones their upload as
    received (the evidence: zlib, with its SHA-256) by binary COPY. The ids inserted.

    The evidence travels by COPY, not as a statement's parameter: psycopg2 writes a bytea
    parameter into the statement as escaped text (a 100,000-point upload's 1.9 MB became
    ~18 MiB of transient strings); binary COPY sends the bytes as they are."""
    if not rows:
        return set()
    patrols, params = _arrays("p", PATROL_COLUMNS, rows)
    covers, more = _arrays("c", COVERAGE_COLUMNS, coverage)
    params.update(more)
    names = ", ".join(PATROL_COLUMNS)
    cover_names = ", ".join(COVERAGE_COLUMNS)
    # the keys first (0014): a conflict on patrol_key (the UUID, or the chief's same points,
    # in any month) skips the patrol; coverage rows take their patrol's start, the partition
    # key (0012)
    inserted = conn.execute(
        statement(
            _fast_toast(conn) + f"WITH x ({names}) AS MATERIALIZED ({patrols}), "
            f"k AS (INSERT INTO patrol_key (id, {KEYED}) SELECT id, {KEYED} FROM x "
            "ON CONFLICT DO NOTHING RETURNING id), "
            f"p AS (INSERT INTO patrol ({names}) SELECT x.* FROM x JOIN k ON k.id = x.id "
            "RETURNING id, started_at), "
            f"c AS (INSERT INTO patrol_coverage (started_at, {cover_names}) "
            f"SELECT p.started_at, x.* FROM ({covers}) AS x({cover_names}) "
            "JOIN p ON p.id = x.patrol_id) "
            "SELECT id, started_at FROM p"
        ),
        params,
    ).all()
    started = {pid: at for pid, at in inserted}
    _copy_evidence(conn, [(pid, started[pid], raw) for pid, raw in uploads if pid in started])
    return set(started)


_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # binary timestamptz: µs since then


def evidence_copy(rows: Sequence[tuple[uuid.UUID, dt.datetime, Evidence]]) -> io.BytesIO:
    """``patrol_raw`` rows (id, start, evidence) in PostgreSQL's binary COPY format: a
    signature and header, each row its field count and per field its length and bytes,
    then -1 (uuid: 16 bytes; timestamptz: µs since 2000-01-01 UTC; bytea: the bytes)."""
    out = io.BytesIO()
    out.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0))
    for pid, start, raw in rows:
        micros = (start - _PG_EPOCH) // dt.timedelta(microseconds=1)
        sha = raw.sha256.encode()
        out.write(struct.pack("!hi16siqi", 5, 16, pid.bytes, 8, micros, len(raw.data)))
        out.write(raw.data)
        out.write(struct.pack("!i4si", 4, b"zlib", len(sha)) + sha)
    out.write(struct.pack("!h", -1))
    out.seek(0)
    return out


def _copy_evidence(
    conn: Connection, rows: Sequence[tuple[uuid.UUID, dt.datetime, Evidence]]
) -> None:
    if not rows:
        return
    cursor = conn.connection.cursor()
    try:
        cursor.copy_expert(
            "COPY patrol_raw (patrol_id, started_at, data, encoding, sha256) FROM STDIN "
            "WITH (FORMAT binary)",
            evidence_copy(rows),
        )
    finally:
        cursor.close()


_LZ4: dict[str, bool] = {}  # per database URL: does the server compress with lz4?


def _fast_toast(conn: Connection) -> str:
    """``SET LOCAL default_toast_compression = lz4;`` where the server has lz4 (PostgreSQL
    14+, built with it), sent with the insert (no round trip of its own): a long track and
    its evidence are compressed by TOAST several times faster than with pglz (a 100,000-point
    upload: ~90 ms less), and pglz no longer tries to squeeze the already zlib-compressed
    evidence. Read as stored either way; asked once per process and database."""
    url = str(conn.engine.url)
    if url not in _LZ4:
        _LZ4[url] = bool(
            conn.execute(
                text(
                    "SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings "
                    "WHERE name = 'default_toast_compression'"
                )
            ).scalar()
        )
    return "SET LOCAL default_toast_compression = 'lz4'; " if _LZ4[url] else ""


def insert_coverage(conn: Connection, coverage: Sequence[CoverageRow]) -> None:
    """Insert coverage rows of stored patrols in one statement (each row takes its patrol's
    start, the partition key, from ``patrol_key``: no month partition is planned)."""
    if not coverage:
        return
    covers, params = _arrays("c", COVERAGE_COLUMNS, coverage)
    names = ", ".join(COVERAGE_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO patrol_coverage (started_at, {names}) SELECT p.started_at, x.* "
            f"FROM ({covers}) AS x({names}) JOIN patrol_key p ON p.id = x.patrol_id"
        ),
        params,
    )


# -- what is read back --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredCoverage:
    """A stored coverage row as the API gives it (geometries as GeoJSON objects)."""

    target_type: str
    target_id: str
    water_body_code: str | None
    length_m: float
    covered_m: float
    ratio: float
    extension_m: float
    covered: list[list[float]]
    uncovered: list[list[float]]
    covered_geom: dict[str, Any] | None
    uncovered_geom: dict[str, Any] | None


@dataclass(frozen=True)
class StoredPatrol:
    """A stored patrol read back: its verdict, summary, track and coverage (times ISO 8601)."""

    id: str
    chief_id: str
    status: str
    reasons: list[dict[str, Any]]
    summary: dict[str, Any]
    dropped: list[list[str]]
    started_at: str
    ended_at: str
    uploaded_at: str
    source_format: str
    file_name: str | None
    coord_system: str
    mode: str
    track: dict[str, Any] | None
    coverage: list[StoredCoverage]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def start_of(conn: Connection, patrol_id: uuid.UUID | str) -> dt.datetime | None:
    """A stored patrol's start, from ``patrol_key`` (None: no such patrol ever stored).

    Reading a patrol by id alone would plan and probe every month partition; with its start
    (the partition key, sent as a value) the planner keeps one month. An archived patrol
    has a start but no row in the month tables: its readers still answer not found."""
    return conn.execute(
        text("SELECT started_at FROM patrol_key WHERE id = :i"), {"i": patrol_id}
    ).scalar()


def _in_its_month(
    conn: Connection, patrol_id: uuid.UUID | str, sql: str
) -> tuple[dt.datetime | None, RowMapping | None]:
    """The patrol's start and the first row of ``sql`` (``:i`` the id, ``:s`` the start),
    read in the patrol's own month partition (None, None: never stored)."""
    start = start_of(conn, patrol_id)
    if start is None:
        return None, None
    row = conn.execute(text(sql), {"i": patrol_id, "s": start}).mappings().first()
    return start, row


def read_patrol(conn: Connection, patrol_id: uuid.UUID | str) -> StoredPatrol:
    start, row = _in_its_month(
        conn,
        patrol_id,
        "SELECT id, chief_id, status, reasons, summary, dropped, started_at, ended_at, "
        "uploaded_at, source_format, file_name, coord_system, mode, "
        "ST_AsGeoJSON(track, 6) AS track FROM patrol WHERE id = :i AND started_at = :s",
    )
    if row is None:
        raise NotFoundError(f"patrol {patrol_id} not found")
    coverage = (
        conn.execute(
            text(
                "SELECT target_type, target_id, water_body_code, length_m, covered_m, ratio, "
                "extension_m, covered, uncovered, ST_AsGeoJSON(covered_geom, 6) AS covered_geom, "
                "ST_AsGeoJSON(uncovered_geom, 6) AS uncovered_geom FROM patrol_coverage "
                "WHERE patrol_id = :i AND started_at = :s ORDER BY target_id"
            ),
            {"i": patrol_id, "s": start},
        )
        .mappings()
        .all()
    )
    return StoredPatrol(
        id=str(row["id"]),
        chief_id=row["chief_id"],
        status=row["status"],
        reasons=row["reasons"],
        summary=row["summary"],
        dropped=row["dropped"],
        started_at=row["started_at"].isoformat(),
        ended_at=row["ended_at"].isoformat(),
        uploaded_at=row["uploaded_at"].isoformat(),
        source_format=row["source_format"],
        file_name=row["file_name"],
        coord_system=row["coord_system"],
        mode=row["mode"],
        track=json.loads(row["track"]) if row["track"] else None,
        coverage=[
            StoredCoverage(
                **{
                    **dict(c),
                    "covered_geom": json.loads(c["covered_geom"]) if c["covered_geom"] else None,
                    "uncovered_geom": (
                        json.loads(c["uncovered_geom"]) if c["uncovered_geom"] else None
                    ),
                }
            )
            for c in coverage
        ],
    )


@dataclass(frozen=True)
class PatrolListing:
    """One line of a patrol list: who, when, the verdict, the distance and reason codes."""

    id: str
    chief_id: str
    status: str
    started_at: str
    ended_at: str
    distance_m: float | None
    reasons: list[str]


def list_patrols(
    conn: Connection,
    *,
    timezone: str,
    chief: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PatrolListing]:
    """Stored patrols started between two local dates (inclusive, in ``timezone``)."""
    lo, hi = local_day_bounds(start, end, timezone)
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
        PatrolListing(
            id=str(r["id"]),
            chief_id=r["chief_id"],
            status=r["status"],
            started_at=r["started_at"].isoformat(),
            ended_at=r["ended_at"].isoformat(),
            distance_m=r["distance_m"],
            reasons=list(r["reasons"]),
        )
        for r in rows
    ]


def raw_upload(conn: Connection, patrol_id: uuid.UUID | str) -> bytes:
    """The patrol's upload exactly as received (the evidence), checked against its hash."""
    _, row = _in_its_month(
        conn,
        patrol_id,
        "SELECT data, encoding, sha256 FROM patrol_raw WHERE patrol_id = :i AND started_at = :s",
    )
    if row is None:
        raise NotFoundError(f"no upload stored for patrol {patrol_id}")
    raw = bytes(row["data"])
    data = zlib.decompress(raw) if row["encoding"] == "zlib" else raw
    if hashlib.sha256(data).hexdigest() != row["sha256"]:
        raise RuntimeError(f"stored upload of patrol {patrol_id} fails its checksum")
    return data


def zoning_run_of(conn: Connection, patrol_id: uuid.UUID | str) -> int | None:
    """The zoning run a stored patrol was last measured against (None: none, or no such
    patrol in the month tables)."""
    _, row = _in_its_month(
        conn, patrol_id, "SELECT zoning_run_id FROM patrol WHERE id = :i AND started_at = :s"
    )
    return None if row is None else row["zoning_run_id"]


def patrol_owner(conn: Connection, patrol_id: uuid.UUID | str) -> str:
    """The chief a patrol belongs to."""
    _, row = _in_its_month(
        conn, patrol_id, "SELECT chief_id FROM patrol WHERE id = :i AND started_at = :s"
    )
    if row is None:
        raise NotFoundError(f"patrol {patrol_id} not found")
    return str(row["chief_id"])
