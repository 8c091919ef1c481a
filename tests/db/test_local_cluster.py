"""The project-local cluster: initdb, start, stop, restart, on a throw-away checkout folder."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from gis_service.db import admin
from gis_service.devtools.localdb import LocalCluster


def test_init_start_stop_restart_is_idempotent(cluster):
    assert not cluster.is_running()
    cluster.start()
    cluster.start()  # second start: nothing to do
    assert cluster.is_running()
    url = cluster.url("scratch")
    admin.ensure_database(url)
    assert admin.postgis_version(url).startswith("POSTGIS=")
    cluster.stop()
    assert not cluster.is_running()
    cluster.start()
    engine = create_engine(url)
    with engine.connect() as conn:  # data survived the restart
        assert conn.execute(text("SELECT postgis_lib_version()")).scalar().startswith("3.")
    engine.dispose()
    # the state file remembers where the cluster lives, for the next run
    again = LocalCluster(cluster.home, bindir=cluster.bindir, port=1)
    assert (again.data_dir, again.port) == (cluster.data_dir, cluster.port)
