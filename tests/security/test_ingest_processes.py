"""Uploads computed in ingest processes (``GIS_INGEST_PROCESSES``, ``serve``'s default): a
real server process with two of them. The answer is the one the in-process path computes, a
refusal keeps its status and message across the process boundary, the processes build a
chief's lines once between them (the shared folder), and a killed ingest process costs the
uploads it held a 503, not the server: the next upload is served by a new pool."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import text

from gis_service.services.patrols import ingest_patrol
from tests.api.bodies import app_body
from tests.conftest import bearer
from tests.security.conftest import LiveServer, _free_port, start_server, stop_server


@pytest.fixture(scope="module")
def pooled(db_url, sample_loaded, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ingest")
    shared = folder / "assignments"
    proc, server = start_server(
        db_url,
        folder,
        GIS_INGEST_PROCESSES="2",
        GIS_ASSIGNMENT_SHARE_DIR=str(shared),
    )
    try:
        yield proc, server, shared
    finally:
        stop_server(proc)


def _children(pid: int) -> list[int]:
    """The server process's ingest processes (spawned children running Python)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == pid and b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
            found.append(int(entry.name))
    return sorted(found)


def _post(server: LiveServer, body: dict, token: str) -> httpx.Response:
    return httpx.post(
        server.url + "/patrols", content=orjson.dumps(body), headers=bearer(token), timeout=60
    )


def test_an_upload_computed_in_an_ingest_process_is_the_in_process_answer(pooled, engine, tokens):
    proc, server, shared = pooled
    assert len(_children(proc.pid)) == 2  # started with the server, before any upload
    pid = str(uuid.uuid4())
    body = app_body(pid, "P0203")
    try:
        first = _post(server, body, tokens["P0203"])
        assert first.status_code == 201, first.text
        again = _post(server, body, tokens["P0203"])
        assert again.status_code == 200 and again.json()["duplicate"] is True
        with engine.connect() as conn:
            here = ingest_patrol(
                conn,
                orjson.dumps(body),
                fmt="json",
                owner="P0203",
                store=False,
                now=dt.datetime.now(dt.UTC),
            )
            stored = conn.execute(
                text("SELECT count(*) FROM patrol WHERE id = :i"), {"i": pid}
            ).scalar()
        there = first.json()
        assert stored == 1
        assert there["status"] == here["status"] and there["reasons"] == here["reasons"]
        assert there["summary"] == here["summary"] and there["dropped"] == here["dropped"]
        # the chief's lines were built once and kept for the other processes
        assert list(shared.glob("*.pickle"))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})


def test_a_refusal_crosses_the_process_boundary_with_its_status(pooled, tokens):
    _, server, _ = pooled
    res = _post(server, {"chief_id": "P0203", "points": [{"lon": 1}]}, tokens["P0203"])
    assert res.status_code == 400, res.text
    assert "lat" in res.json()["detail"] or "time" in res.json()["detail"]


def test_a_killed_ingest_process_costs_its_uploads_a_503_not_the_server(pooled, engine, tokens):
    proc, server, _ = pooled
    before = _children(proc.pid)
    os.kill(before[0], signal.SIGKILL)
    time.sleep(1.0)  # the pool notices the death
    pids = [str(uuid.uuid4()) for _ in range(3)]
    try:
        answers = [
            _post(server, app_body(p, "P0203", shift_s=3600 * k), tokens["P0203"])
            for k, p in enumerate(pids)
        ]
        codes = [a.status_code for a in answers]
        assert codes[0] == 503 and answers[0].headers.get("retry-after"), answers[0].text
        assert "send it again" in answers[0].json()["detail"]
        assert codes[1:] == [201, 201], [a.text for a in answers]
        after = _children(proc.pid)
        assert len(after) == 2 and before[0] not in after
        assert proc.poll() is None
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol WHERE id::text = ANY(:i)"), {"i": pids})


def test_serve_builds_the_lines_of_chiefs_with_a_token_before_their_first_upload(
    db_url, engine, tokens, tmp_path
):
    """``serve`` builds, at start-up, the lines of every chief holding a live token into the
    server's shared folder: the chief's first upload finds them (no new file appears)."""
    token = tokens["P0203"]  # a chief with a live token before the server starts
    shared = tmp_path / "assignments"
    shared.mkdir(mode=0o700)
    (shared / ("0" * 64 + ".pickle")).write_bytes(b"another server's")  # emptied at start
    port = _free_port()
    cli = str(Path(sys.executable).parent / "gis-service")
    env = {**os.environ, "DATABASE_URL": db_url, "GIS_ASSIGNMENT_SHARE_DIR": str(shared)}
    env.pop("GIS_BASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [cli, "serve", "--port", str(port), "--workers", "1", "--ingest-processes", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    pid = str(uuid.uuid4())
    try:
        deadline = time.monotonic() + 90
        while "chiefs with a token built" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.3)
        assert "chiefs with a token built" in log.read_text(), log.read_text()
        with engine.connect() as conn:
            holders = conn.execute(
                text(
                    "SELECT count(DISTINCT u.chief_id) FROM app_user u JOIN api_token t "
                    "ON t.user_id = u.id WHERE u.chief_id IS NOT NULL AND t.revoked_at IS NULL"
                )
            ).scalar()
        warmed = sorted(shared.glob("*.pickle"))
        # a file per chief and zone of their water (P0203's county straddles two zones)
        assert 1 <= len(warmed) <= 2 * holders and ("0" * 64 + ".pickle") not in {
            p.name for p in warmed
        }
        server = LiveServer(f"http://127.0.0.1:{port}", port, log)
        deadline = time.monotonic() + 60
        while True:
            try:
                res = _post(server, app_body(pid, "P0203", shift_s=86400 * 30), token)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert res.status_code == 201, res.text
        assert sorted(shared.glob("*.pickle")) == warmed  # the upload's lines were there
    finally:
        proc.terminate()
        proc.wait(30)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})


def test_a_killed_server_process_leaves_no_ingest_process_behind(db_url, sample_loaded, tmp_path):
    """SIGKILL gives the server no shutdown: its ingest processes notice and exit (they
    would otherwise wait on their task queue for ever, holding database connections)."""
    proc, _ = start_server(db_url, tmp_path, GIS_INGEST_PROCESSES="2")
    children = _children(proc.pid)
    assert len(children) == 2
    proc.kill()
    proc.wait(10)
    deadline = time.monotonic() + 15
    alive = children
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in children if Path(f"/proc/{pid}").exists() and not _zombie(pid)]
    assert alive == [], f"ingest processes still running: {alive}"


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"
