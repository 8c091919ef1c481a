"""Re-matching on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes
on 127.0.0.1 (separate processes), against a database of its own (the workers commit).

The cluster's rows must be exactly the single-process ones; a worker killed in the middle of
a job leaves the job to be run again, and a job that fails half-way writes nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from gis_service.db import admin, migrate
from gis_service.db import rematch_store as store
from gis_service.db.engine import with_database
from gis_service.services.patrols import PatrolSettings
from gis_service.services.rematch import run_job, run_jobs
from gis_service.services.rematch_dask import run_on_dask
from gis_service.services.sample import load_sample
from gis_service.services.zoning import rebuild_zoning
from tests.db.test_rematch_db import (
    EFFECTIVE,
    TZ,
    VILLAGE,
    _move_boundary,
    _neighbour,
    _rows,
    _upload_at_now,
    _uploads,
)

SETTINGS = PatrolSettings(timezone=TZ)
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def moved_db(server_url, sample_tracks):
    """A database of this module: the sample, the patrols, the boundary moved from
    2026-10-01 and rebuilt; the Q4 patrols wait for their re-match."""
    url = with_database(server_url, f"gis_service_test_dask_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        load_sample(conn)
        rebuild_zoning(conn)
    with engine.begin() as conn:
        _upload_at_now(conn, _uploads(sample_tracks, conn), SETTINGS)
        _move_boundary(conn, VILLAGE, _neighbour(conn))
        new_run = rebuild_zoning(conn, effective=EFFECTIVE)["run_id"]
    yield url, engine, new_run
    engine.dispose()
    admin.drop_database(url)


def _stale_again(conn: Connection, run_id: int) -> int:
    """Forget the re-match: the patrols it measured are stale again, no job is recorded."""
    conn.execute(text("DELETE FROM rematch_job"))
    return conn.execute(
        text("UPDATE patrol SET zoning_run_id = NULL WHERE zoning_run_id = :r"), {"r": run_id}
    ).rowcount


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(moved_db, tmp_path):
    """A scheduler and two single-threaded workers, each its own process, on loopback; the
    workers reach the module's database through their own environment (DATABASE_URL)."""
    env = {**os.environ, "DATABASE_URL": moved_db[0]}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / f"{name}.log", "w") for name in ("scheduler", "w1", "w2")]  # noqa: SIM115
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    workers = [
        subprocess.Popen(
            [
                str(DASK),
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{k}",
                "--host",
                "127.0.0.1",
                # the worker's own settings give the tasks their database (a front end)
                "--preload",
                "gis_service.cli_worker",
            ],
            stdout=logs[k],
            stderr=subprocess.STDOUT,
            env=env,
        )
        for k in (1, 2)
    ]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    try:
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*workers, scheduler]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def test_a_job_failing_half_way_writes_nothing_and_resumes(moved_db):
    url, engine, new_run = moved_db
    with engine.begin() as conn:
        _stale_again(conn, new_run)
        job = store.plan(conn, TZ)[0]
    before = _rows_of(engine)

    def crash(_, done: int) -> None:
        if done >= 2:
            raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        run_job(url, job.id, SETTINGS, chunk=1, on_progress=crash)
    with engine.connect() as conn:
        failed = store.job(conn, job.id)
    assert failed.status == "failed" and "worker lost" in (failed.error or "")
    assert _rows_of(engine) == before  # two patrols were judged, none was written
    outcome = run_jobs(url, SETTINGS)  # resumes: the failed job and the others
    with engine.connect() as conn:
        assert all(j.status == "done" for j in store.jobs(conn))
        assert store.plan(conn, TZ) == []
    assert {r["job"] for r in outcome} >= {job.id}


def _rows_of(engine) -> tuple[list, list]:
    with engine.connect() as conn:
        return _rows(conn)


def test_the_cluster_gives_the_single_process_rows_also_when_a_worker_dies(moved_db, cluster):
    url, engine, new_run = moved_db
    address, workers = cluster
    with engine.begin() as conn:
        _stale_again(conn, new_run)
    run_jobs(url, SETTINGS)
    single = _rows_of(engine)
    with engine.begin() as conn:
        assert _stale_again(conn, new_run) > 0
    results: list[dict] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            results.extend(run_on_dask(url, SETTINGS, scheduler=address, chunk=1))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    pids = {p.pid: p for p in workers}
    killed = None
    seen: set = set()
    deadline = time.monotonic() + 180
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        with engine.connect() as conn:
            for job in store.jobs(conn):
                seen.add((job.id, job.status, job.done, job.worker))
                pid = int((job.worker or ":0").rsplit(":", 1)[1])
                # mid-job: its transaction open, several patrols to go (the kill lands before
                # the job's commit)
                if job.status == "running" and job.done <= job.patrols - 4 and pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    killed = job
                    break
        time.sleep(0.005)
    thread.join(timeout=300)
    assert not failure, failure
    assert killed is not None, f"no job was caught running: {sorted(seen)} {pids}"
    assert killed.worker is not None
    assert pids[int(killed.worker.rsplit(":", 1)[1])].wait(timeout=10) == -signal.SIGKILL
    with engine.connect() as conn:
        jobs = store.jobs(conn)
    assert jobs and all(j.status == "done" for j in jobs)
    # the killed job ran again on the other worker and finished it whole
    again = next(j for j in jobs if j.id == killed.id)
    assert again.done == again.patrols and again.worker != killed.worker
    assert _rows_of(engine) == single


def test_runs_and_progress_over_http_and_the_command_line(moved_db, monkeypatch):
    """After the re-match: the runs with what refers to them, the jobs' progress, pruning."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from gis_service.api.app import create_app
    from gis_service.cli import app
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    url, engine, new_run = moved_db
    with engine.begin() as conn:
        stale = _stale_again(conn, new_run)
    assert stale > 0
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        runner = CliRunner()
        done = runner.invoke(app, ["rematch"])
        assert done.exit_code == 0, done.output
        assert f"re-match: {stale} patrols in 3 partitions" in done.output
        listed = runner.invoke(app, ["jobs"])
        assert listed.exit_code == 0 and listed.output.count(" done ") == 3
        runs = runner.invoke(app, ["zoning", "runs"])
        assert f"run {new_run}  from 2026-10-01" in runs.output
        nothing = runner.invoke(app, ["zoning", "prune"])
        assert "nothing to prune" in nothing.output  # the old run governs Q3
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    with TestClient(create_app(engine)) as client:
        body = client.get("/zoning/runs").json()
        by_id = {r["id"]: r for r in body}
        assert by_id[new_run]["effective_from"] == "2026-10-01"
        assert by_id[new_run]["patrols"] == stale and by_id[new_run]["coverage_rows"] > 0
        assert by_id[new_run]["newest"] and not any(r["prunable"] for r in body)
        progress = client.get("/zoning/rematch").json()
        assert progress["partitions"] == progress["partitions_done"] == 3
        assert progress["patrols"] == progress["patrols_done"] == stale
        assert {j["month"] for j in progress["jobs"]} == {"2026-10", "2026-11", "2026-12"}
    # a run superseded from the same date on, to which nothing refers, can go
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO zoning_run (metric_epsg, params, input_sha256, counts, seconds, "
                "effective_from) SELECT metric_epsg, params, input_sha256, counts, 0, "
                "'2026-10-01' FROM zoning_run WHERE id = :r"
            ),
            {"r": new_run},
        )
        from gis_service.db.zoning_runs import prunable

        assert prunable(conn) == []  # the new run's coverage rows still refer to it
        conn.rollback()
