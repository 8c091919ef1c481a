"""Re-match benchmark at the issue's scale: 100,000 stored patrols, a subset of them judged
again after a rebuild, on a local Dask cluster of 1 and then 2 worker processes in one run.

    .venv/bin/python -m benchmarks.rematch_bench [--patrols 100000] [--rematch 4000]
        [--in-process]

How the stored patrols are made (fast, and each one a patrol the service could have stored):
the sample's good tracks (571) are uploaded once through the service
(``ingest_patrols``: parse, clean, cover, verdict, every row); then each is replicated
``--patrols / 571`` times, copy ``k`` walked ``7 k`` days later: its raw GPX with every
``<time>`` date moved by ``7 k`` days (a byte replacement per distinct date), compressed and
hashed as the upload path does, written with COPY; its patrol row (times moved, its own
content hash and file name) and coverage rows are copied from the base patrol in SQL. Every
patrol is uploaded an hour after it ended (``uploaded_at``: a re-match judges a patrol at its
upload time, with the context stored then). Copies keep their base's geometry: at upload
they would have been judged against each other (reused track), but a re-match reads such
relations back from the stored reasons, so its work is the same.

What is re-matched: the zoning is rebuilt without a date (every patrol stale), then
``--rematch`` patrols, drawn evenly over all months (so the work falls into every
partition, GK zone x month, about 40 of them, as a national re-match spreads over provinces
x months), are left stale and the rest marked as measured; ``--rematch 0`` re-matches all.
The same subset is re-matched with 1 worker, made stale again, and re-matched with 2
workers (``--in-process`` adds the single-process runner first). Prints patrols/s, the
speed-up of 2 workers over 1, the CPU per patrol of the worker processes and of the local
PostgreSQL cluster (all its processes: other sessions' too on a shared machine), each
worker's peak RSS, the load average with every figure, and the cores a national year
(10 M patrols) needs to be re-matched overnight.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import re
import time
import uuid
import zlib

import pandas as pd
from sqlalchemy import Engine, create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.services.patrols import PatrolSettings, Upload, ingest_patrols
from gis_service.services.rematch import run_jobs
from gis_service.services.rematch_dask import run_on_dask
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample
from gis_service.services.zoning import rebuild_zoning

UPLOADED = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)  # after the sample's quarter
SETTINGS = PatrolSettings(timezone="Asia/Shanghai")
NATIONAL_PATROLS_PER_YEAR = 10_000_000  # four-level chiefs' several million, and villages'
NIGHT_S = 8 * 3600
WEEK_DAYS = 7
_DATE = re.compile(rb"<time>(\d{4}-\d{2}-\d{2})T")

# the patrol columns a copy takes from its base (times, hash, name and id are its own)
_SAME = (
    "geometry_fingerprint, source_format, coord_system, mode, status, reasons, "
    "summary, dropped, track, zoning_run_id"
)
_COVERAGE = (
    "target_type, target_id, run_id, water_body_code, length_m, covered_m, ratio, "
    "extension_m, covered, uncovered, covered_geom, uncovered_geom"
)


def _prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns.split(", "))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def shifted(data: bytes, days: int) -> bytes:
    """The GPX walked ``days`` later: every ``<time>`` date moved (times of day kept)."""
    out = data
    dates = sorted(set(_DATE.findall(data)), reverse=True)
    moved = {
        d: (dt.date.fromisoformat(d.decode()) + dt.timedelta(days=days)).isoformat().encode()
        for d in dates
    }
    # distinct dates of one patrol lie within a day of each other, moved by a week or more:
    # a replaced date is never replaced again
    for d in dates:
        out = out.replace(b"<time>" + d + b"T", b"<time>" + moved[d] + b"T")
    return out


def _base_uploads() -> list[Upload]:
    folder = SAMPLE_DIR / "tracks"
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    good = manifest[manifest.kind == "good"]
    return [
        Upload((folder / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in good.itertuples()
    ]


def chief_copies(engine: Engine, copies: int) -> int:
    """Each chief with patrols held ``copies`` times: chief ``C~k`` (k = 1 .. copies - 1)
    holds C's posts. Copy rounds walk as these chiefs in turn, so a worker meets as many
    chiefs as a province-month has and its assignment cache (512 chiefs) misses as it
    would there; returns the chiefs patrolling."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO chief (id, name, phone, title) SELECT c.id || '~' || k, c.name, "
                "c.phone, c.title FROM chief c CROSS JOIN generate_series(1, :n - 1) k "
                "WHERE c.id IN (SELECT chief_id FROM patrol)"
            ),
            {"n": copies},
        )
        conn.execute(
            text(
                "INSERT INTO chief_post (chief_id, role, level, region_code, water_body_code, "
                "valid_from, valid_to) SELECT p.chief_id || '~' || k, p.role, p.level, "
                "p.region_code, p.water_body_code, p.valid_from, p.valid_to FROM chief_post p "
                "CROSS JOIN generate_series(1, :n - 1) k "
                "WHERE p.chief_id IN (SELECT chief_id FROM patrol)"
            ),
            {"n": copies},
        )
        return (
            conn.execute(text("SELECT count(DISTINCT chief_id) FROM patrol")).scalar_one() * copies
        )


def store_patrols(engine: Engine, n: int, copies: int = 1) -> int:
    """``n`` stored patrols (see the module's docstring); returns how many were stored."""
    base = _base_uploads()
    started = time.perf_counter()
    for k in range(0, len(base), 50):
        with engine.begin() as conn:
            ingest_patrols(conn, base[k : k + 50], now=UPLOADED, settings=SETTINGS)
    with engine.begin() as conn:
        conn.execute(text("UPDATE patrol SET uploaded_at = ended_at + interval '1 hour'"))
        rows = conn.execute(
            text(
                "SELECT p.id::text, p.file_name, w.data FROM patrol p "
                "JOIN patrol_raw w ON w.patrol_id = p.id ORDER BY p.started_at, p.id"
            )
        ).all()
    stored = len(rows)
    print(
        f"base: {stored} patrols uploaded through the service in "
        f"{time.perf_counter() - started:.1f} s ({load()})"
    )
    chiefs = chief_copies(engine, copies) if copies > 1 else None
    originals = [(pid, name, zlib.decompress(bytes(data))) for pid, name, data in rows]
    started = time.perf_counter()
    rounds = 1
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "CREATE TEMP TABLE copy_of "
            "(id uuid, base uuid, days int, name text, sha text, variant int)"
        )
        while stored < n:
            take = originals[: n - stored]
            mapping, raws = io.StringIO(), io.StringIO()
            for pid, name, data in take:
                new_id = str(uuid.uuid4())
                gpx = shifted(data, WEEK_DAYS * rounds)
                sha = hashlib.sha256(gpx).hexdigest()
                mapping.write(
                    f"{new_id}\t{pid}\t{WEEK_DAYS * rounds}\tw{rounds}_{name}\t{sha}\t"
                    f"{rounds % copies}\n"
                )
                raws.write(f"{new_id}\t\\\\x{zlib.compress(gpx, 1).hex()}\tzlib\t{sha}\n")
            cur.execute("TRUNCATE copy_of")
            mapping.seek(0)
            cur.copy_expert("COPY copy_of FROM STDIN", mapping)
            # the copies' months get their partitions first (migration 0012), as an upload's do
            cur.execute(
                "SELECT patrol_month_partitions(array_agg(DISTINCT date_trunc('day', "
                "p.started_at + c.days * interval '1 day'))) "
                "FROM copy_of c JOIN patrol p ON p.id = c.base"
            )
            # every patrol has its key (migration 0014), written first
            cur.execute(
                "INSERT INTO patrol_key (id, chief_id, content_sha256, geometry_fingerprint, "
                "started_at, ended_at) SELECT c.id, CASE WHEN c.variant = 0 THEN p.chief_id "
                "ELSE p.chief_id || '~' || c.variant END, c.sha, p.geometry_fingerprint, "
                "p.started_at + c.days * interval '1 day', p.ended_at + c.days * interval '1 day' "
                "FROM copy_of c JOIN patrol p ON p.id = c.base"
            )
            cur.execute(
                f"INSERT INTO patrol (id, chief_id, content_sha256, file_name, started_at, "
                f"ended_at, uploaded_at, {_SAME}) SELECT c.id, CASE WHEN c.variant = 0 "
                "THEN p.chief_id ELSE p.chief_id || '~' || c.variant END, c.sha, c.name, "
                "p.started_at + c.days * interval '1 day', p.ended_at + c.days * interval '1 day', "
                f"p.uploaded_at + c.days * interval '1 day', {_prefixed(_SAME, 'p')} "
                "FROM copy_of c JOIN patrol p ON p.id = c.base"
            )
            cur.execute(
                f"INSERT INTO patrol_coverage (patrol_id, started_at, {_COVERAGE}) SELECT c.id, "
                f"v.started_at + c.days * interval '1 day', {_prefixed(_COVERAGE, 'v')} "
                "FROM copy_of c JOIN patrol_coverage v ON v.patrol_id = c.base"
            )
            raws.seek(0)
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS raw_of "
                "(patrol_id uuid, data bytea, encoding text, sha256 text)"
            )
            cur.execute("TRUNCATE raw_of")
            cur.copy_expert("COPY raw_of (patrol_id, data, encoding, sha256) FROM STDIN", raws)
            cur.execute(
                "INSERT INTO patrol_raw (patrol_id, started_at, data, encoding, sha256) "
                "SELECT r.patrol_id, p.started_at, r.data, r.encoding, r.sha256 "
                "FROM raw_of r JOIN patrol p ON p.id = r.patrol_id"
            )
            raw.commit()
            stored += len(take)
            rounds += 1
        cur.execute("ANALYZE patrol; ANALYZE patrol_raw; ANALYZE patrol_coverage")
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    print(
        f"replicated to {stored:,} patrols ({rounds - 1} weekly copies of each"
        + (f", walked by {chiefs:,} chiefs" if chiefs else "")
        + ") in "
        f"{time.perf_counter() - started:.1f} s; database {size / 1e9:.2f} GB ({load()})"
    )
    return stored


def make_stale(engine: Engine, subset: int) -> int:
    """Forget the re-match: ``subset`` patrols drawn evenly over the months (all: 0) are
    stale, the others marked as measured against the newest run; no job recorded."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rematch_job"))
        newest = conn.execute(text("SELECT max(id) FROM zoning_run")).scalar_one()
        if not subset:
            return conn.execute(text("UPDATE patrol SET zoning_run_id = NULL")).rowcount
        total = conn.execute(text("SELECT count(*) FROM patrol")).scalar_one()
        conn.execute(
            text(
                "UPDATE patrol p SET zoning_run_id = CASE WHEN s.k % :every = 0 THEN NULL "
                "ELSE :newest END FROM (SELECT id, row_number() OVER (ORDER BY started_at, id) "
                "AS k FROM patrol) s WHERE s.id = p.id"
            ),
            {"every": max(total // subset, 1), "newest": newest},
        )
        return conn.execute(
            text("SELECT count(*) FROM patrol WHERE zoning_run_id IS NULL")
        ).scalar_one()


def _stat(pid: int | str) -> list[str]:
    """/proc/PID/stat's fields after the command name (field 3 of proc(5) first)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def database_cpu(engine: Engine) -> float | None:
    """CPU seconds of the local PostgreSQL cluster's processes so far: the postmaster's
    reaped children (a job's backends end with its engine) plus the live ones. Every
    database's backends count (on a shared machine other sessions' too); None when the
    server is not on this machine."""
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        postmaster = int(_stat(backend)[1])
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        own = _stat(postmaster)
        total += int(own[13]) + int(own[14])  # reaped children: cutime, cstime
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fields = _stat(pid)
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick
    except (OSError, ValueError, IndexError):
        return None


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrols", type=int, default=100_000, help="stored patrols")
    parser.add_argument(
        "--rematch", type=int, default=4000, help="patrols re-matched per run (0: all)"
    )
    parser.add_argument(
        "--chief-copies",
        type=int,
        default=4,
        help="each patrolling chief held this many times (copies walk as them in turn)",
    )
    parser.add_argument("--in-process", action="store_true", help="also the in-process runner")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", metavar="NAME", help="a database kept by --keep: skip storing the patrols"
    )
    args = parser.parse_args()
    ensure_tracks(SAMPLE_DIR)
    name = args.reuse or f"gis_service_bench_rematch_{os.getpid()}"
    url = with_database(database_url(get_settings()), name)
    if not args.reuse:
        admin.ensure_database(url, fresh=True)
        migrate.upgrade(url)
    engine = create_engine(url)
    try:
        if args.reuse:
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT count(*) FROM patrol")).scalar_one()
        else:
            with engine.begin() as conn:
                load_sample(conn)
                rebuild_zoning(conn)
            stored = store_patrols(engine, args.patrols, args.chief_copies)
            with engine.begin() as conn:
                rebuild_zoning(conn)  # applies to every day: every patrol is stale

        figures: dict[str, float] = {}
        cpu: dict[str, float] = {}
        db_cpu: dict[str, float] = {}
        loads: dict[str, str] = {}
        stale = 0
        if args.in_process:
            stale = make_stale(engine, args.rematch)
            started, cpu_started = time.perf_counter(), time.process_time()
            run_jobs(url, SETTINGS)
            figures["in-process"] = time.perf_counter() - started
            cpu["in-process"] = time.process_time() - cpu_started
            loads["in-process"] = load()
        peaks = {}
        # the cluster's workers connect with their own settings (a real cluster's way)
        os.environ["DATABASE_URL"] = url
        from distributed import Client, LocalCluster

        for workers in (1, 2):
            stale = make_stale(engine, args.rematch)
            with (
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    preload=["gis_service.cli_worker"],
                ) as cluster,
                Client(cluster) as client,
            ):
                client.run(lambda: __import__("gis_service.services.rematch"))  # warm imports
                before = client.run(time.process_time)
                db_before = database_cpu(engine)
                started = time.perf_counter()
                results = run_on_dask(url, SETTINGS, scheduler=cluster.scheduler_address)
                run = f"dask {workers} worker(s)"
                figures[run] = time.perf_counter() - started
                loads[run] = load()
                after = client.run(time.process_time)
                cpu[run] = sum(after[w] - before[w] for w in after)
                db_after = database_cpu(engine)
                if db_before is not None and db_after is not None:
                    db_cpu[run] = db_after - db_before
                peaks[workers] = client.run(_peak_rss_mb)
            done = sum(r.get("patrols", 0) for r in results)
            assert done == stale, (done, stale)
        with engine.connect() as conn:
            partitions = conn.execute(text("SELECT count(*) FROM rematch_job")).scalar_one()
            sizes = conn.execute(text("SELECT min(patrols), max(patrols) FROM rematch_job")).one()
        print(
            f"stored patrols: {stored:,}; re-matched per run: {stale:,} in {partitions} "
            f"partitions (GK zone x month) of {sizes[0]}-{sizes[1]} patrols"
        )
        for run, seconds in figures.items():
            print(
                f"{run:>20}: {seconds:7.1f} s  {stale / seconds:7.1f} patrols/s  "
                f"(CPU of the worker processes: {1000 * cpu[run] / stale:.1f} ms per patrol"
                + (f", of PostgreSQL: {1000 * db_cpu[run] / stale:.1f} ms" if run in db_cpu else "")
                + f"; {loads[run]})"
            )
        speedup = figures["dask 1 worker(s)"] / figures["dask 2 worker(s)"]
        print(f"speed-up of 2 workers over 1: {speedup:.2f}")
        for workers, per in peaks.items():
            listed = ", ".join(f"{v:.0f} MB" for v in per.values())
            print(f"peak RSS per worker with {workers} worker(s): {listed}")
        # per core: the worker processes' CPU time; per worker: the wall clock of 1 worker
        # (the database's work on the same machine included)
        per_cpu = stale / cpu["dask 1 worker(s)"]
        per_worker = stale / figures["dask 1 worker(s)"]
        print(
            f"national year ({NATIONAL_PATROLS_PER_YEAR:,} patrols) overnight (8 h): "
            f"{NATIONAL_PATROLS_PER_YEAR / (per_cpu * NIGHT_S):.0f} worker cores at "
            f"{per_cpu:.1f} patrols per CPU second (database not included); "
            f"{NATIONAL_PATROLS_PER_YEAR / (per_worker * NIGHT_S):.0f} workers at the 1-worker "
            f"wall clock, {per_worker:.1f} patrols/s (this machine's database included)"
        )
    finally:
        engine.dispose()
        if args.keep or args.reuse:
            print(f"kept {url} (--reuse {name})")
        else:
            admin.drop_database(url)


if __name__ == "__main__":
    main()
