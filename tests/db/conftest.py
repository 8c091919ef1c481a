"""Fixtures of the database tests that need a server of their own."""

from __future__ import annotations

import shutil
import socket

import pytest

from gis_service.devtools.localdb import LocalCluster, find_server_bindir, postgis_available


def _free_port() -> int:
    # a fixed port collides with a parallel run (another checkout, CI, a helper)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """A throw-away local cluster (not started) in a throw-away checkout folder."""
    bindir = find_server_bindir()
    if bindir is None or not postgis_available(bindir):
        pytest.fail("manage.sh should have installed PostgreSQL with PostGIS")
    c = LocalCluster(tmp_path, bindir=bindir, port=_free_port())
    yield c
    c.stop()
    shutil.rmtree(c.data_dir, ignore_errors=True)
