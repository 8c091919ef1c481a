"""What a river's coordination report (联席会议) reads, beyond the zoning frames: the river,
its joint sections, its convener and its tributaries, as typed rows.

The zoning rows are a run's: ``run_id`` names the run whose kept rows are read
(``*_version``, migration 0015); None reads the working tables (the newest run's)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_service.db.zoning_runs import of_run


@dataclass(frozen=True)
class RiverRow:
    code: str
    name: str
    kind: str
    managing_level: str | None
    managing_region_code: str | None
    parent_code: str | None
    flow_reversed: bool
    main_name: str | None  # the name of the river it flows into (``parent_code``)


@dataclass(frozen=True)
class JointRow:
    id: str
    level: str
    crossing_chainage_m: float
    chainage_from_m: float
    chainage_to_m: float
    upstream_region_code: str | None
    downstream_region_code: str | None
    along_boundary: bool
    lon: float  # the crossing point, WGS84
    lat: float


@dataclass(frozen=True)
class ConvenerRow:
    convener_region_code: str
    lengths_m: dict[str, float]  # county code -> metres of the river in it


@dataclass(frozen=True)
class TributaryRow:
    tributary_code: str
    name: str
    managing_level: str | None
    chainage_on_main_m: float


def river(conn: Connection, code: str) -> RiverRow | None:
    row = (
        conn.execute(
            text(
                "SELECT w.code, w.name, w.kind, w.managing_level, w.managing_region_code, "
                "w.parent_code, w.flow_reversed, m.name AS main_name FROM water_body w "
                "LEFT JOIN water_body m ON m.code = w.parent_code WHERE w.code = :c"
            ),
            {"c": code},
        )
        .mappings()
        .first()
    )
    return None if row is None else RiverRow(**row)


def joint_sections(conn: Connection, code: str, *, run_id: int | None) -> list[JointRow]:
    """The river's joint sections in the run, upstream first."""
    table, run = of_run("joint_section", run_id)
    rows = conn.execute(
        text(
            "SELECT id, level, crossing_chainage_m, chainage_from_m, chainage_to_m, "
            "upstream_region_code, downstream_region_code, along_boundary, "
            f"ST_X(crossing_point) AS lon, ST_Y(crossing_point) AS lat FROM {table} "
            f"WHERE {run} AND water_body_code = :c ORDER BY crossing_chainage_m, id"
        ),
        {"c": code, "run": run_id},
    ).mappings()
    return [JointRow(**r) for r in rows]


def convener(conn: Connection, code: str, *, run_id: int | None) -> ConvenerRow | None:
    """The run's convener of a river crossing two or more counties (None: one county)."""
    table, run = of_run("river_convener", run_id)
    row = (
        conn.execute(
            text(
                f"SELECT convener_region_code, lengths_m FROM {table} "
                f"WHERE {run} AND water_body_code = :c"
            ),
            {"c": code, "run": run_id},
        )
        .mappings()
        .first()
    )
    return None if row is None else ConvenerRow(**row)


def tributaries(conn: Connection, code: str, *, run_id: int | None) -> list[TributaryRow]:
    """Rivers flowing into this one in the run, from the source down."""
    table, run = of_run("confluence", run_id)
    rows = conn.execute(
        text(
            "SELECT c.tributary_code, w.name, w.managing_level, c.chainage_on_main_m "
            f"FROM (SELECT * FROM {table} WHERE {run}) c "
            "JOIN water_body w ON w.code = c.tributary_code WHERE c.main_code = :c "
            "ORDER BY c.chainage_on_main_m, c.tributary_code"
        ),
        {"c": code, "run": run_id},
    ).mappings()
    return [TributaryRow(**r) for r in rows]
