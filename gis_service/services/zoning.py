"""Rebuild the zoning from the database's regions and waters, and store it.

Read regions and water bodies, split them into units of work, one per CGCS2000
Gauss-Kruger zone (``gis_service.domain.zoning_partition``: each region and river measured in
the zone where it lies, never one zone for the whole database), run the pure zoning of each
unit, and replace the zoning tables in one transaction: readers see the old zoning or the
new one, never a mix.

Each rebuild is a zoning run with the date from which it applies. The working tables hold
the newest run (maps, lists, collections); the run-keyed copies of its coverage targets
(``river_segment_version``, ``still_water_zone_version``) and of what a joint meeting reads
(``joint_section_version``, ``confluence_version``, ``river_convener_version``) stay until
the run is pruned, so that a patrol is measured, an audit day counted and a coordination
report of a day written against the run in force that day (``gis_service.db.zoning_runs``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, insert, text

from gis_service.db.bulk import as_multi, copy_frame, ewkb_hex
from gis_service.db.columns import SEGMENT_FIELDS
from gis_service.db.models import ZoningRun
from gis_service.db.session import atomic
from gis_service.domain.zoning import STILL_ZONE_COLUMNS, Zoning, ZoningConfig
from gis_service.domain.zoning_partition import (
    ZonePartition,
    merge_zonings,
    partition_by_zone,
    zoning_of_partition,
)

# a run without an effective date applies to every day (the earliest date a column holds)
FROM_THE_BEGINNING = dt.date(1, 1, 1)

ZONING_TABLES = (
    "river_segment",
    "still_water_zone",
    "joint_section",
    "confluence",
    "river_convener",
)


def load_inputs(conn: Connection) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    regions = gpd.read_postgis(
        "SELECT code, level, parent_code, geom FROM admin_region ORDER BY code",
        conn,
        geom_col="geom",
    )
    waters = gpd.read_postgis(
        "SELECT code, kind, parent_code, managing_level, flow_reversed, buffer_width_m, "
        "ST_AsEWKB(management_range) AS management_range, geom FROM water_body ORDER BY code",
        conn,
        geom_col="geom",
    )
    waters["management_range"] = shapely.from_wkb(
        [bytes(v) if v is not None else None for v in waters["management_range"]]
    )
    return regions, waters


def _input_digest(regions: pd.DataFrame, waters: pd.DataFrame, config: ZoningConfig) -> str:
    digest = hashlib.sha256(repr(config.to_dict()).encode())
    for frame in (regions, waters):
        for column in frame.columns:
            values = frame[column].to_numpy()
            if column in ("geom", "management_range"):
                values = shapely.to_wkb(values)
            digest.update(repr(list(values)).encode())
    return digest.hexdigest()


def partitions(regions: gpd.GeoDataFrame, waters: gpd.GeoDataFrame) -> list[ZonePartition]:
    """The units of zoning work of the database's regions and waters (one per zone)."""
    return partition_by_zone(
        regions["code"],
        regions["parent_code"],
        regions.geometry.values,
        waters["code"],
        waters["parent_code"],
        waters.geometry.values,
    )


def _unit_frames(
    regions: gpd.GeoDataFrame, waters: gpd.GeoDataFrame, unit: ZonePartition
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = pd.DataFrame(regions.iloc[unit.region_rows]).rename(columns={"geom": "geometry"})
    w = pd.DataFrame(waters.iloc[unit.water_rows]).rename(columns={"geom": "geometry"})
    return r.reset_index(drop=True), w.reset_index(drop=True)


# one unit of zoning work: its regions and waters (lon/lat), its zone, the parameters
UnitWork = tuple[pd.DataFrame, pd.DataFrame, int, ZoningConfig]
# runs the units (in this process, or on Dask: ``gis_service.services.zoning_dask``) and
# returns their zonings in the units' order
UnitRunner = Callable[[Sequence[UnitWork]], list[Zoning]]


def run_units_here(work: Sequence[UnitWork]) -> list[Zoning]:
    """The units one after another in this process (the default)."""
    return [zoning_of_partition(*unit) for unit in work]


def compute(
    regions: gpd.GeoDataFrame,
    waters: gpd.GeoDataFrame,
    config: ZoningConfig | None = None,
    *,
    run_units: UnitRunner | None = None,
) -> tuple[Zoning, int]:
    """Run the pure zoning per zone; returns the zoning (lon/lat geometries) and the EPSG
    code of the zone holding the most regions (the main zone, recorded with the run).
    ``run_units`` decides where the units run (default: here, one after another); the
    units are independent, so the merged zoning is the same wherever they ran."""
    config = config or ZoningConfig()
    units = partitions(regions, waters)
    work = [(*_unit_frames(regions, waters, unit), unit.epsg, config) for unit in units]
    parts = (run_units or run_units_here)(work)
    main = max(
        units,
        key=lambda u: (not u.borrowed_regions, len(u.region_rows), len(u.water_rows), -u.epsg),
    )
    zoning = merge_zonings(parts)
    zoning.metric_zones = {u.epsg: len(u.water_rows) for u in units}
    return zoning, main.epsg


def _storage(geoms, kind: str | None = None) -> list[str | None]:
    out = np.asarray(geoms, dtype=object)
    if kind:
        out = as_multi(out, kind)
    return ewkb_hex(out)


def write(conn: Connection, zoning: Zoning) -> None:
    """Replace every zoning table's content with ``zoning`` (lon/lat, caller's transaction)."""
    conn.execute(text(f"TRUNCATE {', '.join(ZONING_TABLES)}"))
    seg = zoning.segments.copy()
    seg["geom"] = _storage(seg["geometry"], "line")
    seg["zone_geom"] = _storage(seg["zone_geometry"], "polygon")
    copy_frame(
        conn,
        "river_segment",
        seg,
        ["id", *SEGMENT_FIELDS, "parent_id", "geom", "zone_geom"],
    )
    zones = zoning.still_zones.copy()
    zones["geom"] = _storage(zones["geometry"], "polygon")
    copy_frame(
        conn,
        "still_water_zone",
        zones,
        [*STILL_ZONE_COLUMNS, "geom"],
    )
    joints = zoning.joint_sections.copy()
    if not joints.empty:
        joints["geom"] = _storage(joints["geometry"], "line")
        joints["crossing_point"] = _storage(joints["crossing_point"])
    copy_frame(
        conn,
        "joint_section",
        joints,
        [
            "id",
            "water_body_code",
            "level",
            "crossing_chainage_m",
            "chainage_from_m",
            "chainage_to_m",
            "upstream_region_code",
            "downstream_region_code",
            "along_boundary",
            "crossing_point",
            "geom",
        ],
    )
    conf = zoning.confluences.copy()
    if not conf.empty:
        conf["geom"] = _storage(conf["geometry"])
    copy_frame(
        conn,
        "confluence",
        conf,
        ["tributary_code", "main_code", "chainage_on_main_m", "gap_m", "geom"],
    )
    copy_frame(
        conn,
        "river_convener",
        zoning.conveners,
        ["water_body_code", "convener_region_code", "lengths_m"],
    )


def _keep_version(conn: Connection, run_id: int) -> None:
    """Copy the run's working tables into the run-keyed ones: its coverage targets
    (segments, still-water zones), which audits of days the run is in force read, and its
    joint sections, confluences and conveners, which coordination reports of those days
    read (migration 0015), after newer runs replaced the working tables."""
    conn.execute(
        text(
            "INSERT INTO river_segment_version (run_id, id, water_body_code, level, kind, "
            "region_code, left_region_code, right_region_code, ordinal, chainage_from_m, "
            "chainage_to_m, length_m, parent_id, geom) SELECT :run, id, water_body_code, level, "
            "kind, region_code, left_region_code, right_region_code, ordinal, chainage_from_m, "
            "chainage_to_m, length_m, parent_id, geom FROM river_segment"
        ),
        {"run": run_id},
    )
    conn.execute(
        text(
            "INSERT INTO still_water_zone_version (run_id, id, water_body_code, kind, level, "
            "region_code, region_codes, area_m2, shore_length_m, share, initiates_coordination, "
            "geom) SELECT :run, id, water_body_code, kind, level, region_code, region_codes, "
            "area_m2, shore_length_m, share, initiates_coordination, geom FROM still_water_zone"
        ),
        {"run": run_id},
    )
    conn.execute(
        text(
            "INSERT INTO joint_section_version (run_id, id, water_body_code, level, "
            "crossing_chainage_m, chainage_from_m, chainage_to_m, upstream_region_code, "
            "downstream_region_code, along_boundary, crossing_point, geom) SELECT :run, id, "
            "water_body_code, level, crossing_chainage_m, chainage_from_m, chainage_to_m, "
            "upstream_region_code, downstream_region_code, along_boundary, crossing_point, geom "
            "FROM joint_section"
        ),
        {"run": run_id},
    )
    conn.execute(
        text(
            "INSERT INTO confluence_version (run_id, tributary_code, main_code, "
            "chainage_on_main_m, gap_m, geom) SELECT :run, tributary_code, main_code, "
            "chainage_on_main_m, gap_m, geom FROM confluence"
        ),
        {"run": run_id},
    )
    conn.execute(
        text(
            "INSERT INTO river_convener_version (run_id, water_body_code, convener_region_code, "
            "lengths_m) SELECT :run, water_body_code, convener_region_code, lengths_m "
            "FROM river_convener"
        ),
        {"run": run_id},
    )


def rebuild_zoning(
    conn: Connection,
    config: ZoningConfig | None = None,
    *,
    skip_unchanged: bool = False,
    effective: dt.date | None = None,
    run_units: UnitRunner | None = None,
) -> dict:
    """Recompute and store the zoning as a new run; returns the run's id, counts and timing.

    ``effective`` is the first local day the run applies to (patrols of earlier days keep
    the run in force then); without it the run applies from the beginning and replaces
    every earlier one. Stored patrols of the days it now governs are measured against an
    older run until they are re-matched (``gis_service.services.rematch``).
    With ``skip_unchanged`` nothing is done when regions, waters and parameters are those
    of the last run (the set-up's second run stays fast). ``run_units``: where the
    per-zone units are computed (default this process; Dask workers for a whole country:
    ``gis_service.services.zoning_dask.on_dask``); the run is written here, in one
    transaction, either way.
    """
    config = config or ZoningConfig()
    started = time.perf_counter()
    regions, waters = load_inputs(conn)
    if regions.empty:
        return {"skipped": "no regions"}
    digest = _input_digest(regions, waters, config)
    if skip_unchanged and effective is None:
        last = conn.execute(
            text("SELECT input_sha256 FROM zoning_run ORDER BY id DESC LIMIT 1")
        ).scalar()
        if last == digest:
            return {"skipped": "inputs unchanged since the last rebuild"}
    zoning, epsg = compute(regions, waters, config, run_units=run_units)
    with atomic(conn):
        write(conn, zoning)
        counts = {
            **zoning.counts(),
            "metric_zones": {str(k): v for k, v in zoning.metric_zones.items()},
        }
        seconds = time.perf_counter() - started
        run_id = conn.execute(
            insert(ZoningRun)
            .values(
                metric_epsg=epsg,
                params=config.to_dict(),
                input_sha256=digest,
                counts=counts,
                seconds=round(seconds, 3),
                effective_from=effective or FROM_THE_BEGINNING,
            )
            .returning(ZoningRun.id)
        ).scalar_one()
        _keep_version(conn, run_id)
    return {
        **counts,
        "run_id": run_id,
        "effective_from": (effective or FROM_THE_BEGINNING).isoformat(),
        "metric_epsg": epsg,
        "seconds": round(seconds, 3),
    }
