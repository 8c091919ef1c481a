"""Where the batch jobs' Dask tasks run: a real cluster, a local cluster of the cores, or
threads of this process.

``scheduler`` (``GIS_DASK_SCHEDULER`` or ``--scheduler``, read by the front end) names a
real cluster, whose workers (``gis-service worker``) have the project's code. Without it the
embedded default needs no setup: a local cluster of one single-threaded worker process per
core (shapely and the pipelines' Python hold the GIL, so processes, not threads), or, with
``processes=False``, worker threads inside this process (tests: the same task code and
serialisation of results, no process start-up).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def dask_client(
    scheduler: str | None = None, *, workers: int | None = None, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed.Client`` for the duration of the block (the local cluster, if one
    was started, is closed with it)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
