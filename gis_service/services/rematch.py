"""Re-match stored patrols against the zoning run in force on their day, from their raw
evidence: parse, clean, cover and judge again with the upload's own pipeline
(``gis_service.services.patrols``), so the rows are those a fresh upload of the same files
would store.

The work is split into partitions, one per Gauss-Kruger zone of the tracks and local month
(independent by construction: a patrol is measured in its own zone, against the run of its
own day). A partition's rows are replaced in one transaction together with its job row
turning ``done``: a killed worker leaves the partition as it was, and running the jobs again
resumes with the partitions not done. Re-running a done partition changes nothing.

What a re-match does not recompute: the patrol's relations to other patrols (the same track
uploaded before, overlapping patrols of the chief). They were judged at upload against the
patrols stored then, do not depend on the zoning, and are read back from the stored reasons:
judged again against every patrol stored now, the first of two copies would become a copy.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Connection, create_engine

from gis_service.db import rematch_store as store
from gis_service.db.patrol_store import CoverageRow, PatrolRow, StoredContext
from gis_service.db.rematch_store import Job, StoredPatrol
from gis_service.domain.verdict import judge
from gis_service.fileio.tracks import FORMATS
from gis_service.services import patrols as pipeline
from gis_service.services.patrol_assignment import ASSIGNMENTS
from gis_service.services.patrols import PatrolSettings, Upload
from gis_service.services.service_area import tested_points

Progress = Callable[[Job, int], None]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DECLARED = re.compile(r"^declared (\w+), but the points fit the assigned water only as")


def _declared(p: StoredPatrol) -> str | None:
    """The coordinate system declared at upload when the office setting converted it (its
    note names it), else None."""
    for note in p.summary.get("notes", []):
        found = _DECLARED.match(note)
        if found:
            return found.group(1)
    return None


def _settings(p: StoredPatrol, settings: PatrolSettings) -> PatrolSettings:
    """The settings of the upload: a patrol converted by ``auto_convert_offsets`` was
    uploaded with it on."""
    if _declared(p) and not settings.auto_convert_offsets:
        return replace(settings, auto_convert_offsets=True)
    return settings


def _upload(p: StoredPatrol) -> Upload:
    """The upload as it was made: the stored file under its name, with what was declared
    (a coordinate system converted by the office setting is the one the note names)."""
    coord_system = _declared(p) or p.coord_system
    fmt = None if p.file_name else (p.source_format if p.source_format in FORMATS else None)
    return Upload(
        p.data,
        filename=p.file_name,
        chief_id=p.chief_id,
        coord_system=coord_system,
        mode=p.mode,
        patrol_uuid=p.id,
        fmt=fmt,
    )


def _relations(reasons: list) -> tuple[str | None, list[str]]:
    """The other patrols named by the stored verdict (reused geometry, overlapping)."""
    reused, overlapping = None, []
    for reason in reasons:
        ids = _UUID.findall(reason.get("message", ""))
        if reason.get("code") == "reused_geometry" and ids:
            reused = ids[0]
        elif reason.get("code") == "overlapping_patrol":
            overlapping = ids
    return reused, overlapping


def rematch_chunk(
    conn: Connection, stored: list[StoredPatrol], settings: PatrolSettings
) -> tuple[list[PatrolRow], list[CoverageRow]]:
    """The patrol rows (verdict columns) and coverage rows of ``stored``, judged again
    against the run in force on each one's day, by the upload's own steps."""
    own = [_settings(p, settings) for p in stored]
    preps = [pipeline.prepare_patrol(_upload(p), s) for p, s in zip(stored, own, strict=True)]
    # zoning states, post periods and service-area counts of the whole chunk: one round trip
    # (the upload's prefetch without its look-ups of other patrols, see store.chunk_facts)
    facts = store.chunk_facts(
        conn,
        sorted({(p.chief_id, p.day) for p in preps}),
        [tested_points(p.lon, p.lat) for p in preps],
    )
    context_of = {}
    for prep, counted in zip(preps, facts.inside, strict=True):
        prep.inside = counted
        context_of[id(prep)] = StoredContext(facts.post_periods.get(prep.chief_id, []), None, [])
    rows: list[PatrolRow] = []
    coverage: list[CoverageRow] = []
    by_upload = itertools.groupby(
        zip(stored, preps, own, strict=True), key=lambda sp: sp[0].uploaded_at
    )
    for now, group in by_upload:
        triples = list(group)
        items = [
            pipeline.compute_patrol(conn, prep, s, facts.states, now) for _, prep, s in triples
        ]
        pipeline.read_contexts(conn, items, context_of, now, settings.timezone)
        for (p, _, _), item in zip(triples, items, strict=True):
            reused, overlapping = _relations(p.reasons)
            assert item.context is not None  # set by read_contexts
            item.context = replace(
                item.context, reused_from=reused, overlapping=overlapping, offset=item.offset
            )
            item.patrol_id = uuid.UUID(p.id)
            verdict = judge(item.track, item.coverage, item.context, settings.rules)
            item.result = pipeline.patrol_result(item, verdict)
            rows.append(pipeline.patrol_row(item))
            coverage += pipeline.coverage_rows(item)
    return rows, coverage


def run_partition(
    conn: Connection,
    job: Job,
    settings: PatrolSettings,
    *,
    chunk: int = 200,
    on_progress: Progress | None = None,
) -> int:
    """Re-match one partition inside the caller's transaction; returns the patrols done
    (read by ``rematch_store.stale_patrols``: the month's bounds first, chief by chief)."""
    done = 0
    for stored in store.stale_patrols(conn, job, settings.timezone, chunk):
        rows, coverage = rematch_chunk(conn, stored, settings)
        store.replace_rows(conn, rows, coverage)
        done += len(rows)
        if on_progress:
            on_progress(job, done)
    return done


def rematch(
    conn: Connection,
    settings: PatrolSettings,
    *,
    on_progress: Progress | None = None,
) -> list[Job]:
    """Plan and run every unfinished partition on ``conn``, each in its own savepoint (or
    transaction) with its job row: the in-process runner (tests, the CLI without Dask)."""
    for job in store.plan(conn, settings.timezone):
        started = time.perf_counter()
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            done = run_partition(conn, job, settings, on_progress=on_progress)
            store.mark(
                conn,
                job.id,
                "done",
                done=done,
                worker=_worker_name(),
                seconds=round(time.perf_counter() - started, 3),
            )
    return store.jobs(conn)


_WORKER_DATABASE: list[str] = []


def set_worker_database(url: str) -> None:
    """The database of this process's tasks that come without one (a real cluster's
    worker: ``gis-service worker`` sets it from its own settings, so no password travels
    with the tasks)."""
    _WORKER_DATABASE[:] = [url]


def worker_database() -> str:
    """The database of this worker process's tasks (``set_worker_database``)."""
    if not _WORKER_DATABASE:
        raise RuntimeError(
            "a re-match task came without a database URL to a worker that has none: "
            "start workers with `gis-service worker`"
        )
    return _WORKER_DATABASE[0]


def run_job(
    db_url: str | None,
    job_id: int,
    settings: PatrolSettings,
    chunk: int = 200,
    on_progress: Progress | None = None,
    shared: str | None = None,
) -> dict:
    """Run one job on its own connections (a Dask task, a process): the rows and the job's
    ``done`` commit together, progress is committed aside; a job another worker holds, or
    one already done, is skipped. ``db_url`` None: the database of this process's settings
    (a cluster's worker uses its own DATABASE_URL: no password travels with the task).
    ``shared``: the run's folder of built assignments on this machine
    (``AssignmentCache.share``)."""
    engine = create_engine(db_url or worker_database(), pool_size=2, max_overflow=0)
    if shared:
        ASSIGNMENTS.share(Path(shared))
    try:
        with engine.connect() as status, engine.connect() as work:
            work.begin()
            if not store.try_lock(work, job_id):
                work.rollback()
                return {"job": job_id, "skipped": "held by another worker"}
            job = store.job(work, job_id)
            if job.status == "done":
                work.rollback()
                return {"job": job_id, "skipped": "done"}
            started = time.perf_counter()
            with status.begin():
                store.mark(status, job_id, "running", worker=_worker_name())

            def tick(current: Job, done: int) -> None:
                with status.begin():
                    store.progress(status, job_id, done)
                if on_progress:
                    on_progress(current, done)

            try:
                done = run_partition(work, job, settings, chunk=chunk, on_progress=tick)
                seconds = round(time.perf_counter() - started, 3)
                store.mark(work, job_id, "done", done=done, seconds=seconds)
                work.commit()
            except Exception as exc:
                work.rollback()
                with status.begin():
                    store.mark(status, job_id, "failed", error=f"{type(exc).__name__}: {exc}")
                raise
            return {"job": job_id, "patrols": done, "seconds": seconds}
    finally:
        if shared:
            ASSIGNMENTS.share(None)
        engine.dispose()


def run_jobs(
    db_url: str, settings: PatrolSettings, *, on_progress: Progress | None = None
) -> list[dict]:
    """Plan, then run the unfinished jobs one after another in this process (committed one
    by one: an interrupted run resumes where it stopped)."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            pending = store.plan(conn, settings.timezone)
    finally:
        engine.dispose()
    return [run_job(db_url, j.id, settings, on_progress=on_progress) for j in pending]


@dataclass(frozen=True)
class RematchPlanned:
    """The re-match a rebuild calls for, planned and handed to a background runner."""

    partitions: int
    patrols: int

    def to_dict(self) -> dict:
        return {"partitions": self.partitions, "patrols": self.patrols}


def plan_after_rebuild(conn: Connection, zoning: dict, timezone: str) -> RematchPlanned | None:
    """After an import or undo that made a new zoning run (``zoning["run_id"]``), record the
    partitions whose patrols are stale; None when no run was made or nothing is stale. The
    caller commits, then runs them (``run_jobs``) outside the request: the HTTP imports
    re-match as the command line's do, and ``GET /zoning/rematch`` shows the progress."""
    if not zoning.get("run_id"):
        return None
    pending = store.plan(conn, timezone)
    if not pending:
        return None
    return RematchPlanned(len(pending), sum(j.patrols for j in pending))


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def progress_summary(conn: Connection) -> dict:
    """The job table in short, for ``GET /zoning/rematch``: partitions and patrols done."""
    all_jobs = store.jobs(conn)
    return {
        "partitions": len(all_jobs),
        "partitions_done": sum(j.status == "done" for j in all_jobs),
        "patrols": sum(j.patrols for j in all_jobs),
        "patrols_done": sum(j.done for j in all_jobs),
        "jobs": [j.to_dict() for j in all_jobs],
    }
