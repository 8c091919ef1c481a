"""Re-match benchmark: stored patrols judged again after a rebuild, in one process and on a
local Dask cluster of 1 and 2 worker processes.

    .venv/bin/python -m benchmarks.rematch_bench [--patrols 2000]

A scratch database gets the sample region and ``--patrols`` stored patrols (the sample's
tracks, then copies a quarter later each, nudged 0.2 m so that none is a reused track); the
zoning is rebuilt without a date, so every patrol is stale, and re-matched three times (the
rows are made stale again between runs). Prints patrols/s, the speed-up of 2 workers over 1,
each worker's peak memory, and the cores a national year would need overnight.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time

import pandas as pd
from sqlalchemy import create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.services.patrols import PatrolSettings, Upload, ingest_patrols
from gis_service.services.rematch import run_jobs
from gis_service.services.rematch_dask import run_on_dask
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample
from gis_service.services.zoning import rebuild_zoning

NOW = dt.datetime(2028, 1, 31, tzinfo=dt.UTC)
SETTINGS = PatrolSettings(timezone="Asia/Shanghai")
NATIONAL_PATROLS_PER_YEAR = 10_000_000  # four-level chiefs' several million, and villages'
NIGHT_S = 8 * 3600


def _copy(data: bytes, rounds: int) -> bytes:
    """The same walk ``rounds`` quarters later, 0.2 m further north per round (another
    geometry: not a reused track)."""
    shift = dt.timedelta(weeks=13 * rounds)
    out = re.sub(
        rb"<time>([^<]+)</time>",
        lambda m: (
            b"<time>"
            + (dt.datetime.fromisoformat(m.group(1).decode().replace("Z", "+00:00")) + shift)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .encode()
            + b"</time>"
        ),
        data,
    )
    return re.sub(
        rb'lat="([0-9.]+)"', lambda m: b'lat="%.6f"' % (float(m.group(1)) + 2e-6 * rounds), out
    )


def _uploads(n: int) -> list[Upload]:
    folder = SAMPLE_DIR / "tracks"
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    good = manifest[manifest.kind == "good"]
    base = [
        (r.file, (folder / r.file).read_bytes(), r.person_id, r.coord_system)
        for r in good.itertuples()
    ]
    out: list[Upload] = []
    rounds = 0
    while len(out) < n:
        for name, data, chief, coord in base:
            if len(out) == n:
                break
            out.append(Upload(_copy(data, rounds), f"q{rounds}_{name}", chief, coord))
        rounds += 1
    return out


def _stale(engine) -> int:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM rematch_job"))
        return conn.execute(text("UPDATE patrol SET zoning_run_id = NULL")).rowcount


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrols", type=int, default=2000)
    args = parser.parse_args()
    ensure_tracks(SAMPLE_DIR)
    url = with_database(database_url(get_settings()), f"gis_service_bench_rematch_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            load_sample(conn)
            rebuild_zoning(conn)
        uploads = _uploads(args.patrols)
        started = time.perf_counter()
        for k in range(0, len(uploads), 50):
            with engine.begin() as conn:
                ingest_patrols(conn, uploads[k : k + 50], now=NOW, settings=SETTINGS)
        upload_s = time.perf_counter() - started
        with engine.begin() as conn:
            conn.execute(text("UPDATE patrol SET uploaded_at = :n"), {"n": NOW})
            rebuild_zoning(conn)  # applies to every day: every patrol is stale
            stored = conn.execute(text("SELECT count(*) FROM patrol")).scalar_one()
        print(
            f"stored patrols: {stored} (uploaded in {upload_s:.1f} s, "
            f"{stored / upload_s:.1f} patrols/s)"
        )

        figures = {}
        cpu = {}
        _stale(engine)
        started, cpu_started = time.perf_counter(), time.process_time()
        run_jobs(url, SETTINGS)
        figures["in-process"] = time.perf_counter() - started
        cpu["in-process"] = time.process_time() - cpu_started
        with engine.connect() as conn:
            partitions = conn.execute(text("SELECT count(*) FROM rematch_job")).scalar_one()
        print(f"partitions (GK zone x month): {partitions}")
        peaks = {}
        # the cluster's workers connect with their own settings (a real cluster's way)
        os.environ["DATABASE_URL"] = url
        for workers in (1, 2):
            _stale(engine)
            from distributed import Client, LocalCluster

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
                started = time.perf_counter()
                run_on_dask(url, SETTINGS, scheduler=cluster.scheduler_address)
                figures[f"dask {workers} worker(s)"] = time.perf_counter() - started
                after = client.run(time.process_time)
                cpu[f"dask {workers} worker(s)"] = sum(after[w] - before[w] for w in after)
                peaks[workers] = client.run(_peak_rss_mb)
        for name, seconds in figures.items():
            print(
                f"{name:>20}: {seconds:7.1f} s  {stored / seconds:7.1f} patrols/s  "
                f"(CPU of the worker processes: {1000 * cpu[name] / stored:.1f} ms per patrol)"
            )
        speedup = figures["dask 1 worker(s)"] / figures["dask 2 worker(s)"]
        print(f"speed-up of 2 workers over 1: {speedup:.2f}")
        for workers, per in peaks.items():
            listed = ", ".join(f"{v:.0f} MB" for v in per.values())
            print(f"peak RSS per worker with {workers} worker(s): {listed}")
        # per core: the worker processes' CPU time, not the wall clock of a shared machine
        per_core = stored / cpu["dask 1 worker(s)"]
        cores = NATIONAL_PATROLS_PER_YEAR / (per_core * NIGHT_S)
        print(
            f"national year ({NATIONAL_PATROLS_PER_YEAR:,} patrols) overnight (8 h) at "
            f"{per_core:.1f} patrols per CPU second: {cores:.0f} cores (database time not included)"
        )
    finally:
        engine.dispose()
        admin.drop_database(url)


if __name__ == "__main__":
    main()
