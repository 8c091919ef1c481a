"""A real server process for the attack scenarios: uvicorn on a free loopback port, serving
the test database, its access log captured in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class LiveServer:
    url: str
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, folder: Path, **env: str) -> tuple[subprocess.Popen, LiveServer]:
    port = _free_port()
    log = folder / f"server-{port}.log"
    environment = {**os.environ, "DATABASE_URL": db_url, "GIS_PORT": str(port), **env}
    environment.pop("GIS_BASE_URL", None) if "GIS_BASE_URL" not in env else None
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "gis_service.api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {server.log_text()[-2000:]}")
        try:
            with urllib.request.urlopen(server.url + "/", timeout=2):
                return proc, server
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def live_server(db_url, sample_loaded, tmp_path_factory) -> Iterator[LiveServer]:
    proc, server = start_server(db_url, tmp_path_factory.mktemp("server"))
    try:
        yield server
    finally:
        stop_server(proc)
