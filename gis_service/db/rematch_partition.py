"""A re-match partition's stale patrols, read with the month's bounds on ``started_at``.

``rematch_store.stale_patrols`` selects a partition by expressions (the track's zone from
the summary JSON, the local month of ``started_at``): PostgreSQL evaluates them on every
stored patrol, about 1 s of database CPU per partition at 100,000 stored patrols, paid by
every partition and competing with the workers for the same cores. The same query here
first keeps the patrols whose ``started_at`` lies within a day of the month (a plain
comparison: 50 ms, and it prunes the month partitions of a partitioned ``patrol`` table),
then applies exactly the store's conditions: the rows are the same.

They come chief by chief (then in upload order): a worker's assignment cache
(``services.patrol_assignment``, per process, 512 chiefs) then builds each chief's lines
once per partition, where upload order interleaves a province's chiefs and would rebuild
them for almost every patrol. A patrol's re-match does not depend on the order (relations
to other patrols are read from the stored reasons; every other input is stored state).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from sqlalchemy import Connection, text

from gis_service.db.rematch_store import _IN_FORCE, _MONTH, _ZONE, Job, StoredPatrol, _stored

# the prefilter is wider than the month by a day each side: the store's conditions decide
_MARGIN = dt.timedelta(days=1)


def month_bounds(month: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Instants a day before the local month starts and a day after it ends."""
    tz = zoneinfo.ZoneInfo(timezone)
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=tz) - _MARGIN
    end = dt.datetime.combine(following, dt.time(), tzinfo=tz) + _MARGIN
    return start, end


def partition_patrols(
    conn: Connection, job: Job, timezone: str, chunk: int = 200
) -> Iterator[list[StoredPatrol]]:
    """The partition's stale patrols with their raw evidence, chief by chief in upload
    order, ``chunk`` at a time from a server-side cursor (the rows of
    ``rematch_store.stale_patrols``)."""
    lo, hi = month_bounds(job.month, timezone)
    result = conn.execute(
        text(
            "SELECT p.id::text, p.chief_id, p.file_name, p.source_format, p.coord_system, "
            "p.mode, p.uploaded_at, p.reasons, p.summary, w.data, w.encoding "
            f"FROM patrol p JOIN patrol_raw w ON w.patrol_id = p.id {_IN_FORCE} "
            "WHERE p.started_at >= :lo AND p.started_at < :hi "
            "AND p.zoning_run_id IS DISTINCT FROM r.id AND r.id = :run "
            f"AND {_ZONE} = :zone AND {_MONTH} = :month "
            "ORDER BY p.chief_id, p.uploaded_at, p.started_at, p.id"
        ),
        {
            "tz": timezone,
            "run": job.run_id,
            "zone": job.zone_epsg,
            "month": job.month,
            "lo": lo,
            "hi": hi,
        },
        execution_options={"stream_results": True, "yield_per": chunk},
    )
    for part in result.partitions(chunk):
        yield [_stored(row) for row in part]
