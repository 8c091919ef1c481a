"""Fast bulk writes with PostgreSQL COPY (zoning writes tens of thousands of rows)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import struct
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from gis_service.domain.crs import STORAGE_SRID

_NULL = r"\N"


def float_array(values: Iterable[float]) -> str:
    """A float8[] literal, parsed once by ``array_in``. psycopg2 sends a Python list as
    ``ARRAY[v, v, …]``, one constant per element for the planner: a re-match chunk's 30,000
    tested points cost 50-90 ms of planning that way, 0.1 ms as one literal, and one
    upload's 200 points 4-5 ms (about half of its service-area test). ``repr`` is exact."""
    return "{" + ",".join(repr(float(v)) for v in values) + "}"


def int_array(values: Iterable[int]) -> str:
    """An int[] literal (as :func:`float_array`)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def as_multi(geoms: np.ndarray, kind: str) -> np.ndarray:
    """Every geometry as a Multi* of ``kind`` ('line' or 'polygon'); other parts dropped."""
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms)
    parts, owner = shapely.get_parts(np.where(missing, shapely.Point(), geoms), return_index=True)
    want = (1, 2) if kind == "line" else (3,)
    keep = np.isin(shapely.get_type_id(parts), want) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    build = shapely.multilinestrings if kind == "line" else shapely.multipolygons
    out = np.full(len(geoms), None, dtype=object)
    if len(parts):
        groups, inverse = np.unique(owner, return_inverse=True)
        out[groups] = build(parts, indices=inverse)
    return out


def ewkb_hex(geoms: np.ndarray) -> list[str | None]:
    with_srid = shapely.set_srid(np.asarray(geoms, dtype=object), STORAGE_SRID)
    hexes = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    return [h if isinstance(h, str) else None for h in hexes]


def multilinestring_ewkb_hex(x: np.ndarray, y: np.ndarray, part: np.ndarray) -> str:
    """The EWKB hex (storage SRID; lower case) of the MultiLineString whose lines are the runs
    of equal ``part`` through the points (``x``, ``y``), in order: the geometry ``ewkb_hex``
    gives for ``shapely.multilinestrings`` of those lines, written straight from the
    coordinate arrays. A 100,000-point track went through a column stack, a shapely line, a
    transformed copy of it and GEOS's hex text, each 2-4 MB, before this one."""
    n = len(x)
    starts = np.flatnonzero(np.concatenate([[n > 0], part[1:] != part[:-1]]))
    bounds: list[int] = np.append(starts, n).tolist()
    m = len(bounds) - 1
    # little-endian MultiLineString (type 5) with the SRID flag, the SRID, the number of
    # lines; each line: little-endian LineString (type 2), its number of points, the points
    out = bytearray(13 + 9 * m + 16 * n)
    out[:13] = struct.pack("<BIII", 1, 0x20000005, STORAGE_SRID, m)
    at = 13
    for lo, hi in itertools.pairwise(bounds):
        out[at : at + 9] = struct.pack("<BII", 1, 2, hi - lo)
        at += 9
        xy = np.ndarray((hi - lo, 2), dtype="<f8", buffer=out, offset=at)
        xy[:, 0], xy[:, 1] = x[lo:hi], y[lo:hi]
        at += 16 * (hi - lo)
    return out.hex()


def _cell(value) -> str:
    """A CSV cell for COPY: the NULL marker, JSON text for containers (jsonb), the value's
    text otherwise (EWKB hex goes into a geometry column as it is)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _NULL
    if isinstance(value, bool | np.bool_):
        return "t" if value else "f"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def copy_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """COPY ``rows`` into ``table`` (a temporary one too) inside the connection's
    transaction: the one COPY writer of the zoning and the re-match."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows([_cell(v) for v in row] for row in rows)
    buf.seek(0)
    cursor = conn.connection.cursor()
    try:
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')",
            buf,
        )
    finally:
        cursor.close()


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """COPY ``frame[columns]`` into ``table`` inside the connection's transaction."""
    if frame.empty:
        return 0
    copy_rows(conn, table, columns, frame[list(columns)].itertuples(index=False, name=None))
    return len(frame)
