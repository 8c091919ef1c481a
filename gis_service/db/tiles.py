"""Mapbox vector tiles straight from PostGIS (``ST_AsMVT``), for maps too big to embed.

One query per tile: the tile's envelope (``ST_TileEnvelope``, web mercator) transformed
once to the storage CRS filters rows through the GiST index (``geom && envelope``), then
``ST_AsMVTGeom`` clips and quantises each geometry to the 4096 grid. Layer names, tables and
columns come from the fixed table below, never from the request; z/x/y are bound parameters.
Coarse zooms leave out the fine levels (a village boundary is a smear at zoom 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_service.db.queries import DESCENDANTS
from gis_service.domain.crs import STORAGE_SRID

MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
# a level is drawn from this zoom on (province and city at every zoom)
LEVEL_MIN_ZOOM = {"province": 0, "city": 0, "county": 7, "township": 9, "village": 11}


@dataclass(frozen=True)
class TileLayer:
    table: str
    columns: str  # attributes carried in the tile
    region_columns: tuple[str, ...]  # ``?region=``: rows of the region and below it
    geom: str = "geom"
    by_level: bool = True  # filter by LEVEL_MIN_ZOOM on a ``level`` column


LAYERS: dict[str, TileLayer] = {
    "segments": TileLayer(
        "river_segment",
        "id, water_body_code, level, kind, region_code, left_region_code, right_region_code",
        ("region_code", "left_region_code", "right_region_code"),
    ),
    "zones": TileLayer(
        "still_water_zone",
        "id, water_body_code, kind, level, region_code",
        ("region_code",),
        by_level=False,
    ),
    "regions": TileLayer("admin_region", "code, name, level", ("code",)),
    "joint_sections": TileLayer(
        "joint_section",
        "id, water_body_code, level, upstream_region_code, downstream_region_code",
        ("upstream_region_code", "downstream_region_code"),
    ),
}


class TileRequestError(ValueError):
    """z/x/y outside the tile pyramid, or an unknown layer."""


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    if layer not in LAYERS:
        raise TileRequestError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    if not 0 <= z <= MAX_ZOOM:
        raise TileRequestError(f"zoom {z} outside 0..{MAX_ZOOM}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise TileRequestError(f"tile {z}/{x}/{y} outside the zoom {z} grid (0..{2**z - 1})")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the zoom-``z`` web-mercator tile holding a lon/lat point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def levels_at(z: int) -> list[str]:
    return [level for level, first in LEVEL_MIN_ZOOM.items() if z >= first]


def tile_sql(layer: str, *, use_index: bool = True, region: bool = False) -> str:
    """The SQL of one layer's tile; ``use_index=False`` is the benchmark's baseline (the
    envelope test on the transformed geometry, which no index can serve). With ``region``
    only rows of the bound ``:region`` and the regions below it."""
    spec = LAYERS[layer]
    level_filter = " AND t.level = ANY(:levels)" if spec.by_level else ""
    if region:
        level_filter += (
            " AND ("
            + " OR ".join(f"t.{c} IN (SELECT code FROM sub)" for c in spec.region_columns)
            + ")"
        )
    head = DESCENDANTS.strip() + ", " if region else "WITH "
    where = (
        f"t.{spec.geom} && b.env"
        if use_index
        else f"ST_Transform(t.{spec.geom}, 3857) && b.env3857"
    )
    return (
        f"{head}b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env3857, "
        f"ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), {STORAGE_SRID}) AS env), "
        f"rows AS (SELECT {_qualified(spec.columns)}, "
        f"ST_AsMVTGeom(ST_Transform(t.{spec.geom}, 3857), b.env3857, {EXTENT}, {BUFFER}, true) "
        f"AS geom FROM {spec.table} t, b WHERE {where}{level_filter}) "
        f"SELECT ST_AsMVT(rows, :name, {EXTENT}, 'geom') FROM rows WHERE geom IS NOT NULL"
    )


def _qualified(columns: str) -> str:
    return ", ".join(f"t.{c.strip()}" for c in columns.split(","))


def tile(
    conn: Connection,
    layer: str,
    z: int,
    x: int,
    y: int,
    *,
    region: str | None = None,
    use_index: bool = True,
) -> bytes:
    """One layer's tile as MVT bytes (empty bytes where there is nothing)."""
    check_tile(layer, z, x, y)
    data = conn.execute(
        text(tile_sql(layer, use_index=use_index, region=region is not None)),
        {
            "z": z,
            "x": x,
            "y": y,
            "margin": BUFFER / EXTENT,
            "levels": levels_at(z),
            "name": layer,
            "region": region,
        },
    ).scalar()
    return bytes(data) if data else b""
