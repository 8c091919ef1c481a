"""Per-zone zoning of a whole country on Dask: each Gauss-Kruger unit of the zoning
(``gis_service.domain.zoning_partition``) is one task.

The units are independent by construction (a connected group of regions and waters is
measured in one zone), so the merged zoning is the same whether they ran here one after
another or on the workers of a cluster; the rebuild then writes the run in one
transaction, on the caller's connection (``gis_service.services.zoning.rebuild_zoning``).
The tasks are pure (frames in, frames out): workers need the project's code, not the
database. Largest units are submitted first, so the longest one does not start last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from gis_service.domain.zoning import Zoning
from gis_service.domain.zoning_partition import zoning_of_partition
from gis_service.services.zoning import UnitRunner, UnitWork


def on_dask(client: Any) -> UnitRunner:
    """A unit runner sending each unit to ``client``'s workers (a ``distributed.Client``
    of a local cluster, of threads in this process, or of a real cluster)."""

    def run(work: Sequence[UnitWork]) -> list[Zoning]:
        if not work:
            return []
        tag = uuid4().hex[:8]
        # biggest first: the scheduler starts tasks roughly in submission order
        order = sorted(range(len(work)), key=lambda k: -(len(work[k][0]) + len(work[k][1])))
        futures: dict[int, Any] = {}
        for k in order:
            regions, waters, epsg, config = work[k]
            # the frames travel as data of their own (not inside the task graph)
            r, w = client.scatter([regions, waters])
            futures[k] = client.submit(
                zoning_of_partition, r, w, epsg, config, key=f"zoning-{epsg}-{k}-{tag}"
            )
        return list(client.gather([futures[k] for k in range(len(work))]))

    return run
