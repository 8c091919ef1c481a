"""The monthly partitions of ``patrol``, ``patrol_raw`` and ``patrol_coverage`` (migration
0012): making them before rows arrive, listing them, and detaching, dropping and attaching
a month (the retention path, ``services.retention``).

A month is a month of China Standard Time (the partition bounds are local midnights), so a
local day, month or quarter of the audit reads only its own partitions. Partition tables are
named ``<table>_yYYYYmMM``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_service.db.patrol_store import KEYED
from gis_service.db.session import statement
from gis_service.errors import ConflictError

TABLES = ("patrol", "patrol_raw", "patrol_coverage")
PARTITION_TIMEZONE = "Asia/Shanghai"  # the bounds of every partition (China Standard Time)
FIRST_YEAR, LAST_YEAR = 1900, 2199  # what patrol_month_partitions() accepts

_TZ = zoneinfo.ZoneInfo(PARTITION_TIMEZONE)


def month_of(started: dt.datetime) -> dt.date:
    """The first day of the partition month holding a patrol that started then."""
    local = started.astimezone(_TZ)
    return dt.date(local.year, local.month, 1)


def month_label(month: dt.date) -> str:
    return f"{month:%Y-%m}"


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_y{month:%Y}m{month:%m}"


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month's partitions as aware datetimes."""
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return (
        dt.datetime(month.year, month.month, 1, tzinfo=_TZ),
        dt.datetime(nxt.year, nxt.month, 1, tzinfo=_TZ),
    )


def storable(started: dt.datetime) -> bool:
    return FIRST_YEAR <= started.astimezone(_TZ).year <= LAST_YEAR


def ensure_months(conn: Connection, starts: Sequence[dt.datetime]) -> set[dt.date]:
    """Make the missing partitions of the months of ``starts`` in the caller's transaction;
    returns the months that are archived (not made: their patrols must be refused).

    Call it before the transaction reads or writes the patrol tables: making a partition
    locks the parent tables, and a transaction that waits for it while holding a lock on
    them would deadlock with another upload bringing the same new month."""
    if not starts:
        return set()
    refused = conn.execute(
        statement("SELECT patrol_month_partitions(CAST(:s AS timestamptz[]))"),
        {"s": list(starts)},
    ).scalar()
    return set(refused or ())


@dataclass(frozen=True)
class MonthPartitions:
    """The partitions of one month: which of the three tables have one attached."""

    month: dt.date
    tables: tuple[str, ...]


def attached_months(conn: Connection) -> list[MonthPartitions]:
    """Every month with an attached partition, oldest first."""
    rows = conn.execute(
        text(
            "SELECT parent.relname, child.relname FROM pg_inherits i "
            "JOIN pg_class parent ON parent.oid = i.inhparent "
            "JOIN pg_class child ON child.oid = i.inhrelid "
            "WHERE parent.relname = ANY(:t) AND parent.relkind = 'p'"
        ),
        {"t": list(TABLES)},
    ).all()
    by_month: dict[dt.date, list[str]] = {}
    for parent, child in rows:
        suffix = child[len(parent) :]
        if len(suffix) == 8 and suffix.startswith("_y") and suffix[6] == "m":
            month = dt.date(int(suffix[2:6]), int(suffix[7:9]), 1)
            by_month.setdefault(month, []).append(parent)
    return [MonthPartitions(m, tuple(sorted(t))) for m, t in sorted(by_month.items())]


def is_attached(conn: Connection, table: str, month: dt.date) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(:c) "
                "AND inhparent = to_regclass(:p))"
            ),
            {"c": partition_name(table, month), "p": table},
        ).scalar()
    )


def exists(conn: Connection, table: str, month: dt.date) -> bool:
    return (
        conn.execute(text("SELECT to_regclass(:c)"), {"c": partition_name(table, month)}).scalar()
        is not None
    )


def detach(conn: Connection, month: dt.date) -> None:
    """Detach the month's partitions (references first) and drop the foreign keys the
    detached tables kept, so they stand alone and the patrol's partition can go."""
    for table in reversed(TABLES):
        name = partition_name(table, month)
        conn.execute(text(f'ALTER TABLE {table} DETACH PARTITION "{name}"'))
        keys = conn.execute(
            text(
                "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:n) "
                "AND contype = 'f' AND conparentid = 0"
            ),
            {"n": name},
        ).scalars()
        for key in list(keys):
            conn.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{key}"'))


def drop(conn: Connection, month: dt.date) -> None:
    """Drop the month's (detached) partition tables."""
    for table in reversed(TABLES):
        conn.execute(text(f'DROP TABLE IF EXISTS "{partition_name(table, month)}"'))


def _keep_keys(conn: Connection, month: dt.date) -> None:
    """Every patrol of a stand-alone month table has its ``patrol_key`` row before it is
    attached (0014: ``patrol.id`` references it). Archiving keeps the keys, so this only adds
    those of months archived before 0014; a key taken meanwhile by another patrol (the same
    UUID, or the chief's same points) is refused by name, nothing attached."""
    name = partition_name("patrol", month)
    keyed = "id, " + KEYED
    # no upload may take a key between the check and the insert (the month maker's order:
    # patrol_key before the patrol tables)
    conn.execute(text("LOCK TABLE patrol_key IN SHARE ROW EXCLUSIVE MODE"))
    clash = (
        conn.execute(
            text(
                f'SELECT p.id::text FROM "{name}" p JOIN patrol_key k ON k.id = p.id '
                "OR (k.chief_id = p.chief_id AND k.content_sha256 = p.content_sha256) "
                "WHERE (k.id, k.chief_id, k.content_sha256, k.started_at) IS DISTINCT FROM "
                "(p.id, p.chief_id, p.content_sha256, p.started_at) ORDER BY 1 LIMIT 10"
            )
        )
        .scalars()
        .all()
    )
    if clash:
        raise ConflictError(
            f"patrols {', '.join(clash)} of {month_label(month)} have a UUID or points stored "
            "since under another patrol: not restored"
        )
    conn.execute(
        text(
            f'INSERT INTO patrol_key ({keyed}) SELECT {keyed} FROM "{name}" ON CONFLICT DO NOTHING'
        )
    )


def attach(conn: Connection, month: dt.date) -> None:
    """Attach the month's stand-alone tables again (restore): the patrol's first, then the
    tables referring to it (their foreign keys come back from the parent)."""
    _keep_keys(conn, month)
    lo, hi = month_bounds(month)
    for table in TABLES:
        conn.execute(
            text(
                f'ALTER TABLE {table} ATTACH PARTITION "{partition_name(table, month)}" '
                "FOR VALUES FROM (CAST(:lo AS timestamptz)) TO (CAST(:hi AS timestamptz))"
            ),
            {"lo": lo, "hi": hi},
        )


def create_detached(conn: Connection, month: dt.date) -> None:
    """Empty stand-alone tables shaped like the month's partitions (restore fills them, then
    :func:`attach`; the storage of the raw upload, EXTERNAL, comes from the parent)."""
    for table in TABLES:
        name = partition_name(table, month)
        conn.execute(
            text(
                f'CREATE TABLE "{name}" (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                "INCLUDING STORAGE)"
            )
        )
