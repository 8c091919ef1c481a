"""The SQL of archiving a month of patrols (``services.retention``): what refers to the
month, reading its partitions in chunks with a checksum, the archive register, and filling
stand-alone tables again on restore.

Each table's columns are listed once (:data:`COLUMNS`) with the SQL that reads them and the
Arrow type they are written as: UUIDs as text, JSON as its text, geometries as WKB (the
GeoParquet encoding), times as UTC microseconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import shapely
from sqlalchemy import Connection, text

from gis_service.db.partitions import month_bounds, partition_name
from gis_service.domain.crs import STORAGE_SRID


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # uuid | text | json | time | int | bigint | float | bytes | geometry


COLUMNS: dict[str, tuple[Column, ...]] = {
    "patrol": tuple(
        Column(n, k)
        for n, k in (
            ("id", "uuid"),
            ("chief_id", "text"),
            ("content_sha256", "text"),
            ("geometry_fingerprint", "text"),
            ("source_format", "text"),
            ("file_name", "text"),
            ("coord_system", "text"),
            ("mode", "text"),
            ("started_at", "time"),
            ("ended_at", "time"),
            ("uploaded_at", "time"),
            ("status", "text"),
            ("reasons", "json"),
            ("summary", "json"),
            ("dropped", "json"),
            ("track", "geometry"),
            ("zoning_run_id", "int"),
        )
    ),
    "patrol_raw": tuple(
        Column(n, k)
        for n, k in (
            ("patrol_id", "uuid"),
            ("started_at", "time"),
            ("data", "bytes"),
            ("encoding", "text"),
            ("sha256", "text"),
        )
    ),
    "patrol_coverage": tuple(
        Column(n, k)
        for n, k in (
            ("id", "bigint"),
            ("started_at", "time"),
            ("patrol_id", "uuid"),
            ("target_type", "text"),
            ("target_id", "text"),
            ("run_id", "int"),
            ("water_body_code", "text"),
            ("length_m", "float"),
            ("covered_m", "float"),
            ("ratio", "float"),
            ("extension_m", "float"),
            ("covered", "json"),
            ("uncovered", "json"),
            ("covered_geom", "geometry"),
            ("uncovered_geom", "geometry"),
        )
    ),
}
# the order rows are read and checksummed in (the primary key)
ORDER = {"patrol": "id, started_at", "patrol_raw": "patrol_id", "patrol_coverage": "id"}
# the primary geometry of each GeoParquet file (None: a plain Parquet file)
PRIMARY_GEOMETRY = {"patrol": "track", "patrol_raw": None, "patrol_coverage": "covered_geom"}

_ARROW = {
    "uuid": pa.string(),
    "text": pa.string(),
    "json": pa.string(),
    "time": pa.timestamp("us", tz="UTC"),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "float": pa.float64(),
    "bytes": pa.binary(),
    "geometry": pa.binary(),
}
_SELECT = {
    "uuid": "{c}::text",
    "json": "{c}::text",
    "geometry": "ST_AsBinary({c})",
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([pa.field(c.name, _ARROW[c.kind]) for c in COLUMNS[table]])


# -- what refers to a month -----------------------------------------------------------------


@dataclass(frozen=True)
class MonthReferences:
    """What keeps a month's patrols in the database: accountability records issued for an
    audit period overlapping it, problems found on its patrols, unfinished re-match jobs."""

    accountability: list[tuple[int, str, str, str]]  # id, kind, chief, period label
    problems: list[str]  # problem ids
    rematch_jobs: list[tuple[int, str]]  # id, status


def references(conn: Connection, month: dt.date, periods: Sequence[str]) -> MonthReferences:
    """``periods``: the audit period labels that overlap the month (e.g. 2019, 2019-H1,
    2019-Q2, 2019-05, its ten-day and week periods)."""
    lo, hi = month_bounds(month)
    accountability = conn.execute(
        text(
            "SELECT id, kind, chief_id, period FROM accountability_record "
            "WHERE period = ANY(:p) ORDER BY id"
        ),
        {"p": list(periods)},
    ).all()
    problems = conn.execute(
        text(
            "SELECT id::text FROM problem WHERE patrol_started_at >= :lo "
            "AND patrol_started_at < :hi ORDER BY id"
        ),
        {"lo": lo, "hi": hi},
    ).scalars()
    jobs = conn.execute(
        text(
            "SELECT id, status FROM rematch_job WHERE month = :m AND status <> 'done' ORDER BY id"
        ),
        {"m": month},
    ).all()
    return MonthReferences(
        [(r[0], r[1], r[2], r[3]) for r in accountability],
        list(problems),
        [(r[0], r[1]) for r in jobs],
    )


# -- reading a partition ----------------------------------------------------------------------


def lock_month(conn: Connection, month: dt.date) -> None:
    """No writes into the month's partitions until the transaction ends (reads go on)."""
    names = ", ".join(f'"{partition_name(t, month)}"' for t in COLUMNS)
    conn.execute(text(f"LOCK TABLE {names} IN SHARE MODE"))


def count_rows(conn: Connection, table: str, month: dt.date) -> int:
    return int(
        conn.execute(text(f'SELECT count(*) FROM "{partition_name(table, month)}"')).scalar() or 0
    )


def read_partition(
    conn: Connection, table: str, month: dt.date, chunk: int = 500
) -> Iterator[list[tuple]]:
    """The month's rows of ``table`` in key order, ``chunk`` at a time from a server-side
    cursor (a month of raw uploads is never held whole in memory)."""
    selected = ", ".join(
        _SELECT.get(c.kind, "{c}").format(c=c.name) + f" AS {c.name}" for c in COLUMNS[table]
    )
    result = conn.execute(
        text(f'SELECT {selected} FROM "{partition_name(table, month)}" ORDER BY {ORDER[table]}'),
        execution_options={"stream_results": True, "yield_per": chunk},
    )
    for part in result.partitions(chunk):
        yield [tuple(_plain(v) for v in row) for row in part]


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return value


def checksum_update(digest: Any, rows: Iterable[Sequence[Any]]) -> None:
    """Feed rows into a SHA-256 in a form both the database's values and the values read
    back from Parquet give alike (type tag, length, bytes)."""
    for row in rows:
        for v in row:
            if v is None:
                digest.update(b"N")
                continue
            if isinstance(v, dt.datetime):
                body, tag = v.astimezone(dt.UTC).isoformat().encode(), b"T"
            elif isinstance(v, bytes | bytearray | memoryview):
                body, tag = bytes(v), b"B"
            elif isinstance(v, float):
                body, tag = repr(v).encode(), b"F"
            elif isinstance(v, int):
                body, tag = str(v).encode(), b"I"
            else:
                body, tag = str(v).encode(), b"S"
            digest.update(tag + len(body).to_bytes(8, "little") + body)


def new_checksum() -> Any:
    return hashlib.sha256()


# -- the register -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchivedMonth:
    month: dt.date
    directory: str
    files: dict[str, dict[str, Any]]  # table -> {file, rows, sha256, checksum}
    dropped: bool
    archived_at: dt.datetime
    archived_by: str | None


def archived(conn: Connection, month: dt.date | None = None) -> list[ArchivedMonth]:
    rows = conn.execute(
        text(
            "SELECT month, directory, files, dropped, archived_at, archived_by "
            "FROM patrol_archive WHERE CAST(:m AS date) IS NULL OR month = :m ORDER BY month"
        ),
        {"m": month},
    ).all()
    return [ArchivedMonth(*row) for row in rows]


def register(
    conn: Connection,
    month: dt.date,
    directory: str,
    files: dict[str, dict[str, Any]],
    *,
    dropped: bool,
    by: str | None,
) -> None:
    conn.execute(
        text(
            "INSERT INTO patrol_archive (month, directory, files, dropped, archived_by) "
            "VALUES (:m, :d, CAST(:f AS jsonb), :x, :b)"
        ),
        {"m": month, "d": directory, "f": json.dumps(files), "x": dropped, "b": by},
    )


def unregister(conn: Connection, month: dt.date) -> None:
    conn.execute(text("DELETE FROM patrol_archive WHERE month = :m"), {"m": month})


# -- restoring ----------------------------------------------------------------------------------

_NULL = r"\N"


def _csv_cell(kind: str, value: Any) -> Any:
    if value is None:
        return _NULL
    if kind == "bytes":
        return "\\x" + bytes(value).hex()
    if kind == "geometry":
        geom = shapely.set_srid(shapely.from_wkb(bytes(value)), STORAGE_SRID)
        return shapely.to_wkb(geom, hex=True, include_srid=True)
    if kind == "time":
        return value.isoformat()
    return value


def copy_rows(conn: Connection, table: str, month: dt.date, rows: Iterable[Sequence]) -> int:
    """COPY rows read back from an archive into the month's stand-alone table."""
    columns = COLUMNS[table]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    n = 0
    for row in rows:
        writer.writerow([_csv_cell(c.kind, v) for c, v in zip(columns, row, strict=True)])
        n += 1
    buf.seek(0)
    cursor = conn.connection.cursor()
    try:
        cursor.copy_expert(
            f'COPY "{partition_name(table, month)}" ({", ".join(c.name for c in columns)}) '
            f"FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')",
            buf,
        )
    finally:
        cursor.close()
    return n
