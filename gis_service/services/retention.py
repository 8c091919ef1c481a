"""Retention of patrols: a month older than the retention period leaves the database as
GeoParquet files, and can come back.

``archive_month`` exports the month's partitions of ``patrol``, ``patrol_raw`` and
``patrol_coverage`` (``DIR/<table>/<YYYY-MM>.parquet``: one dataset per table, a file per
month, so ``dask.dataframe.read_parquet(DIR/"patrol_coverage")`` reads every archived month),
reads the files back and compares row counts and a checksum of every value with the
database's, then detaches the partitions (with ``drop``, drops them) and records the month in
``patrol_archive`` — all in one transaction, the month's partitions locked against writes.
It refuses, by name, a month inside the retention period, one an accountability record's
audit period covers (the evidence behind a 问责), one whose patrols problems refer to, and
one with an unfinished re-match job.

``restore_month`` does the reverse: it checks the files against the SHA-256 recorded at
archiving, fills stand-alone tables from them when the partitions were dropped (or takes the
detached tables when they were not), checks the rows' checksum again and attaches them.

Geometries are WKB with GeoParquet 1.0 metadata ("geo", CRS omitted: OGC:CRS84, the
storage's WGS84 lon/lat); JSON columns are their text, UUIDs text, times UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection

from gis_service.db import archive_store as store
from gis_service.db import partitions
from gis_service.domain import periods
from gis_service.errors import ConflictError, InputError, NotFoundError

_MONTH = re.compile(r"(\d{4})-(\d{2})")
GEOPARQUET_VERSION = "1.0.0"


def parse_month(label: str) -> dt.date:
    m = _MONTH.fullmatch(label.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InputError(f"--month must be YYYY-MM, not {label!r}")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def kept_until(month: dt.date, retention_years: int) -> dt.date:
    """The first day the month may leave the database: its end plus the retention years."""
    _, end = partitions.month_bounds(month)
    day = end.date()
    return day.replace(year=day.year + retention_years)


def overlapping_periods(month: dt.date) -> list[str]:
    """Every audit period label that shares a day with the month (year, half, quarter,
    month, its ten-day periods and ISO weeks)."""
    whole = periods.month(month.year, month.month)
    labels = {p.label for kind in periods.KINDS for p in periods.split(whole, kind)}
    return sorted(labels)


@dataclass(frozen=True)
class ArchivedTable:
    table: str
    file: str
    rows: int
    sha256: str  # of the file
    checksum: str  # of the rows' values (the same from the database and from the file)


@dataclass(frozen=True)
class ArchiveResult:
    month: str
    directory: str
    tables: list[ArchivedTable]
    dropped: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "directory": self.directory,
            "dropped": self.dropped,
            "tables": [vars(t) for t in self.tables],
        }


def file_of(directory: Path, table: str, month: dt.date) -> Path:
    return directory / table / f"{partitions.month_label(month)}.parquet"


def _check_archivable(
    conn: Connection, month: dt.date, *, today: dt.date, retention_years: int
) -> None:
    label = partitions.month_label(month)
    done = store.archived(conn, month)
    if done:
        raise ConflictError(f"patrols of {label} are archived already (in {done[0].directory})")
    until = kept_until(month, retention_years)
    if today < until:
        raise ConflictError(
            f"patrols of {label} are within the retention period of {retention_years} years "
            f"(GIS_PATROL_RETENTION_YEARS): they stay in the database until {until}"
        )
    missing = [t for t in partitions.TABLES if not partitions.is_attached(conn, t, month)]
    if missing:
        raise NotFoundError(f"no partition of {label} in {', '.join(missing)}: nothing to archive")
    refs = store.references(conn, month, overlapping_periods(month))
    if refs.accountability:
        named = "; ".join(
            f"record {i} ({kind}, chief {chief}, period {period})"
            for i, kind, chief, period in refs.accountability[:10]
        )
        raise ConflictError(
            f"patrols of {label} are evidence of an audit: accountability records name "
            f"audit periods covering it ({named})"
        )
    if refs.problems:
        raise ConflictError(
            f"patrols of {label} are referred to by {len(refs.problems)} problem(s) "
            f"({', '.join(refs.problems[:10])})"
        )
    if refs.rematch_jobs:
        jobs = ", ".join(f"job {i} ({status})" for i, status in refs.rematch_jobs)
        raise ConflictError(
            f"patrols of {label} await a re-match ({jobs}): run gis-service rematch first"
        )


def _geo_metadata(table: str) -> dict[bytes, bytes]:
    primary = store.PRIMARY_GEOMETRY[table]
    if primary is None:
        return {}
    columns = {
        c.name: {"encoding": "WKB", "geometry_types": []}
        for c in store.COLUMNS[table]
        if c.kind == "geometry"
    }
    geo = {"version": GEOPARQUET_VERSION, "primary_column": primary, "columns": columns}
    return {b"geo": json.dumps(geo).encode()}


Progress = Callable[[str, int, int], None]  # table, rows written, rows in the partition


def _export(
    conn: Connection, table: str, month: dt.date, path: Path, total: int, progress: Progress
) -> tuple[int, str]:
    """Write the month's rows of ``table`` chunk by chunk; its rows and values' checksum."""
    schema = store.arrow_schema(table).with_metadata(_geo_metadata(table))
    digest = store.new_checksum()
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in store.read_partition(conn, table, month):
            store.checksum_update(digest, chunk)
            columns = zip(schema, zip(*chunk, strict=True), strict=True)
            arrays = {f.name: pa.array(col, type=f.type) for f, col in columns}
            writer.write_table(pa.table(arrays, schema=schema))
            rows += len(chunk)
            progress(table, rows, total)
    return rows, digest.hexdigest()


def read_back(path: Path, chunk: int = 500):
    """The rows of an archived file, ``chunk`` at a time, as Python values."""
    parquet = pq.ParquetFile(path)
    for batch in parquet.iter_batches(batch_size=chunk):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        yield list(zip(*columns, strict=True))


def _verify_file(path: Path) -> tuple[int, str]:
    digest = store.new_checksum()
    rows = 0
    for chunk in read_back(path):
        store.checksum_update(digest, chunk)
        rows += len(chunk)
    return rows, digest.hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def archive_month(
    conn: Connection,
    month: dt.date,
    directory: Path,
    *,
    today: dt.date,
    retention_years: int,
    drop: bool = False,
    by: str | None = None,
    progress: Progress | None = None,
) -> ArchiveResult:
    """Export, verify, detach (and with ``drop`` drop) a month's partitions, inside the
    caller's transaction; any refusal or mismatch raises before anything is detached and
    removes the files written."""
    label = partitions.month_label(month)
    _check_archivable(conn, month, today=today, retention_years=retention_years)
    directory = directory.resolve()
    targets = {t: file_of(directory, t, month) for t in partitions.TABLES}
    present = [str(p) for p in targets.values() if p.exists()]
    if present:
        raise ConflictError(f"archive files of {label} exist already: {', '.join(present)}")
    store.lock_month(conn, month)
    written: list[Path] = []
    try:
        tables = []
        for table, path in targets.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            written.append(path)
            counted = store.count_rows(conn, table, month)
            rows, checksum = _export(
                conn, table, month, path, counted, progress or (lambda *_: None)
            )
            back_rows, back_checksum = _verify_file(path)
            if not rows == counted == back_rows or checksum != back_checksum:
                raise RuntimeError(
                    f"{path}: read back {back_rows} rows (checksum {back_checksum[:12]}) for "
                    f"{counted} in {table} of {label} (checksum {checksum[:12]}): not archived"
                )
            tables.append(ArchivedTable(table, str(path), rows, _sha256(path), checksum))
        partitions.detach(conn, month)
        if drop:
            partitions.drop(conn, month)
        store.register(
            conn,
            month,
            str(directory),
            {t.table: vars(t) for t in tables},
            dropped=drop,
            by=by,
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return ArchiveResult(label, str(directory), tables, drop)


def restore_month(conn: Connection, month: dt.date, directory: Path | None = None) -> ArchiveResult:
    """Bring an archived month back into the tables from its files (checked against the
    SHA-256 and checksums recorded at archiving), inside the caller's transaction;
    ``directory``: where the files are now, if they were moved."""
    label = partitions.month_label(month)
    found = store.archived(conn, month)
    if not found:
        raise NotFoundError(f"patrols of {label} are not archived")
    entry = found[0]
    tables: list[ArchivedTable] = []
    for table in partitions.TABLES:
        meta = dict(entry.files[table])
        if directory is not None:
            meta["file"] = str(file_of(directory.resolve(), table, month))
        path = Path(meta["file"])
        if not path.exists():
            raise NotFoundError(f"archive file {path} of {label} is missing")
        if _sha256(path) != meta["sha256"]:
            raise ConflictError(f"archive file {path} of {label} differs from what was archived")
        tables.append(ArchivedTable(**meta))
    if entry.dropped:
        partitions.create_detached(conn, month)
        for t in tables:
            for chunk in read_back(Path(t.file)):
                store.copy_rows(conn, t.table, month, chunk)
    for t in tables:
        digest = store.new_checksum()
        rows = 0
        for chunk in store.read_partition(conn, t.table, month):
            store.checksum_update(digest, chunk)
            rows += len(chunk)
        if rows != t.rows or digest.hexdigest() != t.checksum:
            raise ConflictError(
                f"{t.table} of {label}: {rows} rows in the database for {t.rows} archived, "
                "or their values differ: not restored"
            )
    partitions.attach(conn, month)
    store.unregister(conn, month)
    return ArchiveResult(label, entry.directory, tables, entry.dropped)
