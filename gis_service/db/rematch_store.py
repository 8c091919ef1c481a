"""The re-match jobs' SQL: which stored patrols are measured against another run than the
one in force on their day, grouped by partition (the track's Gauss-Kruger zone x local
month); the job table; reading a partition's raw evidence in chunks; replacing its rows."""

from __future__ import annotations

import datetime as dt
import zlib
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_service.db.bulk import copy_rows
from gis_service.db.patrol_store import (
    _ZONING_STATES_SQL,
    COVERAGE_COLUMNS,
    CoverageRow,
    PatrolRow,
    ZoningState,
)
from gis_service.db.service_area_store import INSIDE_SQL, inside_of, inside_params

# a patrol's partition: the GK zone it was measured in (summary.metric_epsg, chosen from its
# own points at upload), its local month, and the run in force on its local day
_IN_FORCE = (
    "CROSS JOIN LATERAL (SELECT id FROM zoning_run "
    "WHERE effective_from <= (p.started_at AT TIME ZONE :tz)::date ORDER BY id DESC LIMIT 1) r"
)
_STALE = f"FROM patrol p {_IN_FORCE} WHERE p.zoning_run_id IS DISTINCT FROM r.id"
_ZONE = "coalesce((p.summary ->> 'metric_epsg')::int, 0)"
_MONTH = "date_trunc('month', p.started_at AT TIME ZONE :tz)::date"


@dataclass(frozen=True)
class Job:
    """One partition of re-matching, as the job table holds it."""

    id: int
    run_id: int
    zone_epsg: int
    month: dt.date
    status: str
    patrols: int
    done: int
    worker: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    seconds: float | None
    error: str | None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "run_id": self.run_id,
            "zone_epsg": self.zone_epsg,
            "month": self.month.strftime("%Y-%m"),
            "status": self.status,
            "patrols": self.patrols,
            "done": self.done,
            "worker": self.worker,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": self.seconds,
            "error": self.error,
        }


@dataclass(frozen=True)
class StoredPatrol:
    """What a fresh upload of the stored file would be given, and when it came."""

    id: str
    chief_id: str
    file_name: str | None
    source_format: str
    coord_system: str
    mode: str
    uploaded_at: dt.datetime
    reasons: list
    summary: dict
    data: bytes


_JOB_COLUMNS = (
    "id, run_id, zone_epsg, month, status, patrols, done, worker, started_at, finished_at, "
    "seconds, error"
)


def plan(conn: Connection, timezone: str) -> list[Job]:
    """Record a job for every partition holding stale patrols (a done partition that has
    stale patrols again is pending again); returns the jobs not yet done."""
    conn.execute(
        text(
            "INSERT INTO rematch_job (run_id, zone_epsg, month, patrols) "
            f"SELECT r.id, {_ZONE}, {_MONTH}, count(*) {_STALE} GROUP BY 1, 2, 3 "
            "ON CONFLICT (run_id, zone_epsg, month) DO UPDATE SET patrols = excluded.patrols, "
            "done = 0, status = CASE WHEN rematch_job.status = 'done' THEN 'pending' "
            "ELSE rematch_job.status END"
        ),
        {"tz": timezone},
    )
    return jobs(conn, unfinished=True)


def jobs(conn: Connection, *, unfinished: bool = False, run_id: int | None = None) -> list[Job]:
    rows = conn.execute(
        text(
            f"SELECT {_JOB_COLUMNS} FROM rematch_job WHERE (NOT :u OR status <> 'done') "
            "AND (CAST(:r AS int) IS NULL OR run_id = :r) ORDER BY run_id, month, zone_epsg"
        ),
        {"u": unfinished, "r": run_id},
    ).all()
    return [Job(*row) for row in rows]


def job(conn: Connection, job_id: int) -> Job:
    row = conn.execute(
        text(f"SELECT {_JOB_COLUMNS} FROM rematch_job WHERE id = :i"), {"i": job_id}
    ).one()
    return Job(*row)


def try_lock(conn: Connection, job_id: int) -> bool:
    """Take the job for this transaction (a second worker on the same job skips it)."""
    return bool(
        conn.execute(
            text("SELECT pg_try_advisory_xact_lock(hashtext('rematch_job'), :i)"), {"i": job_id}
        ).scalar()
    )


def mark(conn: Connection, job_id: int, status: str, **values) -> None:
    """Set a job's status (and done, worker, error …); ``started_at``/``finished_at`` follow
    the status."""
    sets = ["status = :status"]
    if status == "running":
        sets.append("started_at = now(), finished_at = NULL, error = NULL")
    if status in ("done", "failed"):
        sets.append("finished_at = clock_timestamp()")
    sets += [f"{k} = :{k}" for k in values if k in ("done", "worker", "error", "seconds")]
    conn.execute(
        text(f"UPDATE rematch_job SET {', '.join(sets)} WHERE id = :id"),
        {"id": job_id, "status": status, **values},
    )


def progress(conn: Connection, job_id: int, done: int) -> None:
    conn.execute(text("UPDATE rematch_job SET done = :d WHERE id = :i"), {"d": done, "i": job_id})


# a partition's read keeps the patrols whose start lies within a day of its month first (a
# plain comparison that prunes the month partitions), then applies the partition's own
# conditions: evaluated on every stored patrol, the zone and month expressions cost about 1 s
# of database CPU per partition at 100,000 stored patrols
_MARGIN = dt.timedelta(days=1)


def month_bounds(month: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Instants a day before the local month starts and a day after it ends."""
    tz = zoneinfo.ZoneInfo(timezone)
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz) - _MARGIN
    end = dt.datetime.combine(following, dt.time(), tzinfo=tz) + _MARGIN
    return start, end


def stale_patrols(
    conn: Connection, job: Job, timezone: str, chunk: int = 200
) -> Iterator[list[StoredPatrol]]:
    """The partition's stale patrols with their raw evidence, ``chunk`` at a time from a
    server-side cursor (a partition is never held whole in memory), chief by chief in upload
    order: a worker's assignment cache (``services.patrol_assignment``, per process) then
    builds each chief's lines once per partition, where upload order would interleave a
    province's chiefs. A patrol's re-match does not depend on the order (relations to other
    patrols are read from the stored reasons; every other input is stored state)."""
    lo, hi = month_bounds(job.month, timezone)
    result = conn.execute(
        text(
            "SELECT p.id::text, p.chief_id, p.file_name, p.source_format, p.coord_system, "
            "p.mode, p.uploaded_at, p.reasons, p.summary, w.data, w.encoding "
            "FROM patrol p JOIN patrol_raw w ON w.patrol_id = p.id "
            f"AND w.started_at = p.started_at {_IN_FORCE} "
            "WHERE p.started_at >= :lo AND p.started_at < :hi "
            # the same bounds and the job's run on the raw evidence and the patrol itself: the
            # planner keeps the raw table's month partitions holding them only, and drops the
            # patrols measured against the job's run before it looks up their evidence
            "AND w.started_at >= :lo AND w.started_at < :hi "
            "AND p.zoning_run_id IS DISTINCT FROM :run "
            "AND p.zoning_run_id IS DISTINCT FROM r.id AND r.id = :run "
            f"AND {_ZONE} = :zone AND {_MONTH} = :month "
            "ORDER BY p.chief_id, p.uploaded_at, p.started_at, p.id"
        ),
        {
            "tz": timezone,
            "run": job.run_id,
            "zone": job.zone_epsg,
            "month": job.month,
            "lo": lo,
            "hi": hi,
        },
        execution_options={"stream_results": True, "yield_per": chunk},
    )
    for part in result.partitions(chunk):
        yield [_stored(row) for row in part]


def _stored(row) -> StoredPatrol:
    pid, chief, name, fmt, coords, mode, uploaded, reasons, summary, data, encoding = row
    raw = bytes(data)
    return StoredPatrol(
        pid,
        chief,
        name,
        fmt,
        coords,
        mode,
        uploaded,
        reasons,
        summary,
        zlib.decompress(raw) if encoding == "zlib" else raw,
    )


@dataclass(frozen=True)
class ChunkFacts:
    """What a chunk of re-matched patrols is checked against: the zoning state of every
    (chief, day), each chief's post periods, and per patrol (inside some region, tested)
    of its tested points."""

    states: dict[tuple[str, dt.date], ZoningState]
    post_periods: dict[str, list[tuple[dt.date, dt.date | None]]]
    inside: list[tuple[int, int]]


def chunk_facts(
    conn: Connection,
    keys: Sequence[tuple[str, dt.date]],
    points: Sequence[tuple[list[float], list[float]]],
) -> ChunkFacts:
    """The upload's prefetch without what a re-match does not use, in one round trip: the
    same zoning-state and service-area statements as ``patrol_store.prefetch``, and the post
    periods of its context query per chief (not per patrol). Left out: the look-up of
    stored copies (a stored patrol is its own) and the other patrols of the context (reused
    geometry, overlaps: read back from the stored reasons). Those two sub-queries cannot be
    bounded by month (a copy may lie in any month) and were 15-35 % of the chunk's prefetch
    in the database."""
    chiefs = sorted({chief for chief, _ in keys})
    row = conn.execute(
        text(
            "SELECT (SELECT coalesce(json_agg(json_build_array(z.a, z.b, z.c, z.d, z.e)), '[]') "
            "FROM (" + _ZONING_STATES_SQL + ") z(a, b, c, d, e)), "
            # as patrol_store's context query reads a chief's post periods
            "(SELECT coalesce(json_agg(json_build_array(q.c, (SELECT coalesce(json_agg("
            "json_build_array(valid_from, valid_to)), '[]') FROM chief_post "
            "WHERE chief_id = q.c))), '[]') FROM unnest(CAST(:pc AS text[])) AS q(c)), "
            "(SELECT coalesce(json_agg(json_build_array(s.a, s.b, s.c)), '[]') "
            "FROM (" + INSIDE_SQL + ") s(a, b, c))"
        ),
        {
            "zc": [k[0] for k in keys],
            "zd": [k[1] for k in keys],
            "pc": chiefs,
            **inside_params(points),
        },
    ).one()
    zoned, periods, inside_rows = row
    inside = inside_of(inside_rows, len(points))
    return ChunkFacts(
        {
            (c, dt.date.fromisoformat(d)): ZoningState(run, epsg, tuple(posts))
            for c, d, run, epsg, posts in zoned
        },
        {
            chief: [
                (dt.date.fromisoformat(a), dt.date.fromisoformat(b) if b else None)
                for a, b in spans
            ]
            for chief, spans in periods
        },
        inside,
    )


# what a re-match rewrites of a patrol, and its coverage rows: COPY'd into temporary tables
_PATROL_TEMP = (
    "id uuid, started_at timestamptz, status text, reasons jsonb, summary jsonb, "
    "dropped jsonb, track geometry, coord_system text, geometry_fingerprint text, "
    "zoning_run_id int"
)
_PATROL_COPIED = (
    "id",
    "started_at",
    "status",
    "reasons",
    "summary",
    "dropped",
    "track",
    "coord_system",
    "geometry_fingerprint",
    "zoning_run_id",
)
_COVERAGE_TEMP = ", ".join(f"{name} {kind}" for name, kind in COVERAGE_COLUMNS.items())


def replace_rows(
    conn: Connection, patrols: Sequence[PatrolRow], coverage: Sequence[CoverageRow]
) -> None:
    """Overwrite the re-judged patrols' verdicts and replace their coverage rows, inside the
    caller's transaction (the partition's job commits them together).

    The rows travel by COPY into temporary tables, then one UPDATE, one DELETE and one INSERT
    … SELECT (each coverage row takes its patrol's start, the partition key): a chunk of 200
    patrols is five statements, not one UPDATE per patrol.

    The UPDATE and DELETE are bounded by the chunk's own starts (literal bounds: the planner
    keeps only the month partitions holding them, at plan time), and the temporary tables
    are analysed after the COPY (without statistics the planner expects 1,570 rows and
    hashes every partition it keeps). Measured at 100,000 stored patrols (43 months), 50
    patrols: DELETE 17-28 ms planning + 100-505 ms execution before, 0.3 + 9 ms after;
    UPDATE 18-41 + 220-940 ms before, 0.3 + 8 ms after."""
    if not patrols:
        return
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS rematch_patrol ({_PATROL_TEMP}) "
            "ON COMMIT DROP; "
            f"CREATE TEMPORARY TABLE IF NOT EXISTS rematch_coverage ({_COVERAGE_TEMP}) "
            "ON COMMIT DROP; TRUNCATE rematch_patrol, rematch_coverage"
        )
    )
    copy_rows(
        conn,
        "rematch_patrol",
        _PATROL_COPIED,
        ([getattr(p, name) for name in _PATROL_COPIED] for p in patrols),
    )
    copy_rows(
        conn,
        "rematch_coverage",
        list(COVERAGE_COLUMNS),
        ([getattr(c, name) for name in COVERAGE_COLUMNS] for c in coverage),
    )
    conn.execute(text("ANALYZE rematch_patrol, rematch_coverage"))
    # every row of the chunk starts within these (inclusive) bounds: pruning keeps the rows
    bounds = {
        "lo": min(p.started_at for p in patrols),
        "hi": max(p.started_at for p in patrols),
    }
    conn.execute(
        text(
            "UPDATE patrol p SET status = t.status, reasons = t.reasons, summary = t.summary, "
            "dropped = t.dropped, track = t.track, coord_system = t.coord_system, "
            "geometry_fingerprint = t.geometry_fingerprint, zoning_run_id = t.zoning_run_id "
            "FROM rematch_patrol t WHERE p.id = t.id AND p.started_at = t.started_at "
            "AND p.started_at >= :lo AND p.started_at <= :hi"
        ),
        bounds,
    )
    conn.execute(
        text(
            "DELETE FROM patrol_coverage c USING rematch_patrol t "
            "WHERE c.patrol_id = t.id AND c.started_at = t.started_at "
            "AND c.started_at >= :lo AND c.started_at <= :hi"
        ),
        bounds,
    )
    names = ", ".join(COVERAGE_COLUMNS)
    selected = ", ".join(f"c.{name}" for name in COVERAGE_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO patrol_coverage (started_at, {names}) SELECT t.started_at, {selected} "
            "FROM rematch_coverage c JOIN rematch_patrol t ON t.id = c.patrol_id"
        )
    )
