"""What the browser portal at ``/`` lists: the region tree, the periods, a region's waters.

An office opens the portal to pick a region and a period and go on to its coverage map,
river maps, audit and downloads; this module reads the database for it and hands typed
records to the page builder (:mod:`gis_service.web.portal`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from gis_service.domain.periods import Period, parse_period, period_of
from gis_service.domain.vocab import LEVEL_RANK
from gis_service.errors import InputError, NotFoundError

# the tree stops at townships: villages are hundreds per county, reached from the maps
TREE_DEEPEST = "township"
PERIOD_KINDS = ("quarter", "month", "half_year", "year")


@dataclass
class RegionNode:
    """One region of the tree, with the regions directly below it (down to townships)."""

    code: str
    name: str
    level: str
    children: list[RegionNode] = field(default_factory=list)


@dataclass(frozen=True)
class WaterLink:
    """A water body touching the chosen region (its river map is one click away)."""

    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class RegionRef:
    code: str
    name: str
    level: str
    path: tuple[tuple[str, str], ...]  # (code, name) from the top down, the region included


@dataclass(frozen=True)
class PortalView:
    tree: list[RegionNode]
    periods: list[Period]
    period: Period
    region: RegionRef | None
    waters: list[WaterLink]


def region_tree(conn: Connection) -> list[RegionNode]:
    """Every region down to townships, as a forest of nodes ordered by code."""
    deepest = LEVEL_RANK[TREE_DEEPEST]
    levels = [lv for lv, rank in LEVEL_RANK.items() if rank <= deepest]
    rows = conn.execute(
        text(
            "SELECT code, name, level, parent_code FROM admin_region "
            "WHERE level = ANY(:levels) ORDER BY code"
        ),
        {"levels": levels},
    ).all()
    nodes = {r.code: RegionNode(r.code, r.name, r.level) for r in rows}
    roots: list[RegionNode] = []
    for r in rows:
        parent = nodes.get(r.parent_code) if r.parent_code else None
        (parent.children if parent else roots).append(nodes[r.code])
    return roots


def region_ref(conn: Connection, code: str) -> RegionRef:
    """The region and its ancestors; an unknown code is a 404 naming it."""
    rows = conn.execute(
        text(
            "WITH RECURSIVE up AS ("
            " SELECT code, name, level, parent_code, 0 AS depth FROM admin_region"
            " WHERE code = :code"
            " UNION ALL SELECT a.code, a.name, a.level, a.parent_code, up.depth + 1"
            " FROM admin_region a JOIN up ON a.code = up.parent_code)"
            " SELECT code, name, level FROM up ORDER BY depth DESC"
        ),
        {"code": code},
    ).all()
    if not rows:
        raise NotFoundError(f"region {code!r} not found")
    last = rows[-1]
    return RegionRef(last.code, last.name, last.level, tuple((r.code, r.name) for r in rows))


def waters_in(conn: Connection, code: str, limit: int = 300) -> list[WaterLink]:
    """Water bodies whose line or area touches the region, rivers first, then by name."""
    rows = conn.execute(
        text(
            "SELECT w.code, w.name, w.kind FROM water_body w, admin_region r "
            "WHERE r.code = :code AND ST_Intersects(w.geom, r.geom) "
            "ORDER BY array_position(ARRAY['river','canal','lake','reservoir','pond'], w.kind),"
            " w.name, w.code LIMIT :limit"
        ),
        {"code": code, "limit": limit},
    ).all()
    return [WaterLink(r.code, r.name, r.kind) for r in rows]


def period_choices(today: dt.date) -> list[Period]:
    """Periods of this year and the last that have begun, newest first per kind."""
    out: list[Period] = []
    for kind in PERIOD_KINDS:
        seen: list[Period] = []
        day = dt.date(today.year - 1, 1, 1)
        while day <= today:
            p = period_of(day, kind)
            seen.append(p)
            day = p.end + dt.timedelta(days=1)
        out += reversed(seen)
    return out


def default_period(conn: Connection, today: dt.date, timezone: str) -> Period:
    """The quarter of the latest patrol (what an office looks at), else this quarter."""
    latest = conn.execute(
        text("SELECT max((started_at AT TIME ZONE :tz)::date) FROM patrol"), {"tz": timezone}
    ).scalar()
    return period_of(min(latest, today) if latest else today, "quarter")


def portal_view(
    conn: Connection,
    *,
    region: str | None,
    period: str | None,
    today: dt.date,
    timezone: str,
) -> PortalView:
    """Everything the portal page shows; a bad period label is an error naming it."""
    try:
        chosen = parse_period(period) if period else default_period(conn, today, timezone)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    periods = period_choices(today)
    if chosen not in periods:
        periods = [chosen, *periods]
    ref = region_ref(conn, region) if region else None
    return PortalView(
        tree=region_tree(conn),
        periods=periods,
        period=chosen,
        region=ref,
        waters=waters_in(conn, ref.code) if ref else [],
    )
