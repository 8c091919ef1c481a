"""Read queries shared by services, API and notebooks."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Date, Row, and_, literal, select, text

from gis_service.db.models import Chief, ChiefPost
from gis_service.db.zoning_runs import of_run

# "this region and everything below it": prefix a query with it, bind :region, filter with
# ``column IN (SELECT code FROM sub)``. Codes are not always prefixes (Corps units), so walk.
DESCENDANTS = """
WITH RECURSIVE sub(code) AS (
    SELECT code FROM admin_region WHERE code = :region
    UNION ALL
    SELECT r.code FROM admin_region r JOIN sub ON r.parent_code = sub.code
)
"""


def where_clause(params: dict, *, region_columns: tuple[str, ...], **equal: str | None) -> str:
    """``WHERE`` of equality filters (bound into ``params``) and, when ``params["region"]`` is
    set, of the region and its descendants on any of ``region_columns`` (needs DESCENDANTS).
    Column names come from the caller's code, never from a request."""
    clauses = []
    for column, value in equal.items():
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if params.get("region") is not None:
        clauses.append(
            "(" + " OR ".join(f"{c} IN (SELECT code FROM sub)" for c in region_columns) + ")"
        )
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def local_day_bounds(
    first: dt.date | None, last: dt.date | None, timezone: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local dates ``first``..``last`` (inclusive; None: open) as timestamp bounds: filter a
    ``timestamptz`` column with ``>= lo`` and ``< hi``, in ``timezone`` (the office's, passed
    in by the front end)."""
    tz = zoneinfo.ZoneInfo(timezone)
    lo = dt.datetime.combine(first, dt.time(), tz) if first is not None else None
    hi = (
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz)
        if last is not None
        else None
    )
    return lo, hi


_NAME_KEYS = {"admin_region": "code", "water_body": "code", "chief": "id"}


def names(conn: Connection, table: str, keys: Iterable[str] | None = None) -> dict[str, str]:
    """code (id for ``chief``) -> name of ``admin_region``, ``water_body`` or ``chief``;
    only of ``keys`` when given."""
    if table not in _NAME_KEYS:
        raise ValueError(table)
    sql = f"SELECT {_NAME_KEYS[table]}, name FROM {table}"
    if keys is None:
        return dict(conn.execute(text(sql)).all())
    return dict(
        conn.execute(text(f"{sql} WHERE {_NAME_KEYS[table]} = ANY(:k)"), {"k": list(keys)}).all()
    )


def wkb_by_id(
    conn: Connection,
    table: str,
    ids: Iterable[str],
    columns: str = "id",
    *,
    run_id: int | None = None,
) -> Sequence[Row]:
    """Rows (``columns``..., WKB of ``geom``) of the segments or zones with these ids (table
    and column names come from the caller's code, the ids are bound), of zoning run
    ``run_id`` (None: the working table, the newest run's)."""
    if table not in ("river_segment", "still_water_zone"):
        raise ValueError(table)
    source, where = of_run(table, run_id)
    return list(
        conn.execute(
            text(
                f"SELECT {columns}, ST_AsBinary(geom) FROM {source} WHERE {where} AND id = ANY(:i)"
            ),
            {"i": list(ids), "run": run_id},
        )
    )


def region_ancestors(
    conn: Connection, codes: Sequence[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Each region's ancestors, nearest first (one query, walked in memory); with ``codes``,
    only those regions' (their chains up, read by the parent index): a chief's upload needs
    the ancestors of a few dozen regions, not of every village of the country."""
    if codes is None:
        rows = conn.execute(text("SELECT code, parent_code FROM admin_region")).all()
    else:
        rows = conn.execute(
            text(
                "WITH RECURSIVE up(code, parent_code, depth) AS (SELECT code, parent_code, 0 "
                "FROM admin_region WHERE code = ANY(:c) UNION SELECT a.code, a.parent_code, "
                "up.depth + 1 FROM admin_region a JOIN up ON a.code = up.parent_code "
                f"WHERE up.depth < {_MAX_DEPTH}) SELECT DISTINCT code, parent_code FROM up"
            ),
            {"c": sorted(set(codes))},
        ).all()
    parent: dict[str, str | None] = dict(rows)
    if codes is not None:
        return {code: _chain(code, parent) for code in dict.fromkeys(codes) if code in parent}
    return {code: _chain(code, parent) for code in parent}


_MAX_DEPTH = 16  # far more levels than China has (5): a cycle in the data cannot loop


def _chain(code: str, parent: dict[str, str | None]) -> tuple[str, ...]:
    chain: list[str] = []
    p = parent.get(code)
    while p and len(chain) < _MAX_DEPTH:
        chain.append(p)
        p = parent.get(p)
    return tuple(chain)


# a post as ``posts_on`` returns it (the notebook's chiefs table has these columns)
POST_COLUMNS = (
    "id",
    "role",
    "level",
    "region_code",
    "water_body_code",
    "valid_from",
    "valid_to",
    "chief_id",
    "chief_name",
    "title",
)


def posts_on(
    conn: Connection,
    day: dt.date,
    *,
    region_code: str | None = None,
    water_body_code: str | None = None,
    role: str | None = None,
) -> list[dict]:
    """Who held which post on ``day`` (an indexed range lookup on ``validity``)."""
    stmt = (
        select(
            ChiefPost.id,
            ChiefPost.role,
            ChiefPost.level,
            ChiefPost.region_code,
            ChiefPost.water_body_code,
            ChiefPost.valid_from,
            ChiefPost.valid_to,
            Chief.id.label("chief_id"),
            Chief.name.label("chief_name"),
            Chief.title,
        )
        .join(Chief, Chief.id == ChiefPost.chief_id)
        .where(ChiefPost.validity.op("@>")(literal(day, Date)))
        .order_by(ChiefPost.level, ChiefPost.region_code, ChiefPost.role, Chief.id)
    )
    filters = []
    if region_code is not None:
        filters.append(ChiefPost.region_code == region_code)
    if water_body_code is not None:
        filters.append(ChiefPost.water_body_code == water_body_code)
    if role is not None:
        filters.append(ChiefPost.role == role)
    if filters:
        stmt = stmt.where(and_(*filters))
    return [dict(r._mapping) for r in conn.execute(stmt)]
