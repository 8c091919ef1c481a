"""Still waters (reservoirs, lakes): the water area, its shoreline ring, and shared lakes.

A reservoir is split in two for responsibility [DOMAIN, seed 001]: the *water area* (水域)
belongs to one reservoir chief (库长), while the *land/shore zone* (陆域) around it is split
by the riparian administrative villages, each piece getting the usual chiefs of its village,
township, county and city. For a lake shared by several regions the side with the larger
water area initiates coordination (seed 000). Everything here is pure geometry in metres:
callers reproject to a metric CRS first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon

from gis_service.domain.regions import NO_REGION, RegionHierarchy
from gis_service.domain.vocab import LEVEL_RANK, LEVELS

_POLYGON = 3  # shapely type id
_MULTI_OR_COLLECTION = (4, 5, 6, 7)
# relative area difference under which two regions count as holding equal water (tie -> code)
_TIE_REL = 1e-9


@dataclass(frozen=True)
class ShoreZone:
    """One region's piece of the shoreline ring (its share of the 陆域).

    ``codes`` maps each level from ``level`` up to the coarsest present ancestor to the region
    code at that level (e.g. village, township, county, city, province), so each piece can be
    handed to the chiefs of every level without another lookup. ``region_code`` is None (and
    ``codes`` empty) for the part of the ring outside every region (sea, neighbouring area
    not in the data).
    """

    region_code: str | None
    level: str
    codes: dict[str, str] = field(hash=False)
    geometry: MultiPolygon
    area_m2: float
    shore_length_m: float


@dataclass(frozen=True)
class WaterShare:
    """A region's part of a still water's surface; the largest side initiates coordination."""

    region_code: str
    level: str
    area_m2: float
    share: float
    initiates_coordination: bool


def _check_level(level: str) -> None:
    if level not in LEVEL_RANK:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}")


def _polygonal(geoms: NDArray[np.object_]) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Non-empty polygon parts of each geometry and the index of the geometry they came from.

    Overlay results may be GeometryCollections holding lines or points where a region only
    touches the ring; those carry no area and must not become zones.
    """
    parts, idx = shapely.get_parts(geoms, return_index=True)
    while len(parts) and np.isin(shapely.get_type_id(parts), _MULTI_OR_COLLECTION).any():
        sub, sub_idx = shapely.get_parts(parts, return_index=True)
        parts, idx = sub, idx[sub_idx]
    keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
    keep &= shapely.area(parts) > 0
    return parts[keep], idx[keep].astype(np.int64)


def _as_multipolygons(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Each geometry's polygonal content as one MultiPolygon (empty if it has none)."""
    parts, idx = _polygonal(np.asarray(geoms, dtype=object))
    out = np.empty(len(geoms), dtype=object)
    for i in range(len(geoms)):
        out[i] = MultiPolygon(list(parts[idx == i]))
    return out


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    """The polygonal content of one geometry (e.g. an overlay result) as a MultiPolygon."""
    return _as_multipolygons(np.array([geom], dtype=object))[0]


def _clean_water(water: Polygon | MultiPolygon) -> MultiPolygon:
    """The water area as a valid MultiPolygon (invalid input is repaired, not rejected)."""
    if not shapely.is_valid(water):
        water = shapely.make_valid(water)
    return as_multipolygon(water)


def shoreline_ring(
    water: Polygon | MultiPolygon,
    *,
    width_m: float,
    management_range: Polygon | MultiPolygon | None = None,
    quad_segs: int = 8,
) -> MultiPolygon:
    """The shore zone: from the water edge outward to ``width_m`` (or the management range).

    Island shores are part of it (the buffer shrinks the holes), so island villages get their
    share. A legally delimited management range (管理范围), when known, replaces the buffer.
    """
    water = _clean_water(water)
    if management_range is not None:
        outer = management_range
        if not shapely.is_valid(outer):
            outer = shapely.make_valid(outer)
    else:
        if not width_m > 0:
            raise ValueError(f"width_m must be > 0, got {width_m}")
        outer = shapely.buffer(water, width_m, quad_segs=quad_segs)
    return as_multipolygon(shapely.difference(outer, water))


def _ancestor_codes(
    hierarchy: RegionHierarchy, rows: NDArray[np.int64], level: str
) -> list[dict[str, str]]:
    """For each row, {level: code} of itself and every coarser ancestor present."""
    out: list[dict[str, str]] = [{} for _ in rows]
    for lv in LEVELS[: LEVEL_RANK[level] + 1]:
        anc = hierarchy.ancestor(rows, lv)
        for i in np.flatnonzero(anc != NO_REGION):
            out[i][lv] = str(hierarchy.codes[anc[i]])
    return out


def _candidates(
    geom: shapely.Geometry, hierarchy: RegionHierarchy, level: str
) -> NDArray[np.int64]:
    """Rows of ``level`` whose polygons intersect ``geom``, in code order (deterministic)."""
    rows, tree = hierarchy.level_tree(level)
    if len(rows) == 0 or geom.is_empty:
        return np.empty(0, dtype=np.int64)
    hit = rows[tree.query(geom, predicate="intersects")]
    return hit[np.argsort(hierarchy.codes[hit], kind="stable")]


def shoreline_zones(
    water: Polygon | MultiPolygon,
    hierarchy: RegionHierarchy,
    *,
    width_m: float,
    management_range: Polygon | MultiPolygon | None = None,
    level: str = "village",
    min_area_m2: float = 1.0,
    quad_segs: int = 8,
) -> list[ShoreZone]:
    """The shoreline ring split by the regions of ``level`` (riparian villages by default).

    Each region whose polygon overlaps the ring with area gets one zone (regions touching it
    only at a point or along a line get none); the ring outside every region is one zone with
    ``region_code=None``. Pieces under ``min_area_m2`` (overlay slivers) are dropped: with
    regions that tile the land, kept areas + dropped areas equal the ring area.
    ``shore_length_m`` is the water edge inside the region (the stretch of shore its chiefs
    look after); edges inside no region go to the outside zone. Zones come in code order,
    the outside zone last.
    """
    _check_level(level)
    water = _clean_water(water)
    ring = shoreline_ring(
        water, width_m=width_m, management_range=management_range, quad_segs=quad_segs
    )
    if ring.is_empty:
        return []
    edge = water.boundary
    rows = _candidates(ring, hierarchy, level)
    region_geoms = hierarchy.geoms[rows]
    pieces = _as_multipolygons(shapely.intersection(region_geoms, ring))
    areas = shapely.area(pieces)
    shores = shapely.length(shapely.intersection(region_geoms, edge))
    all_codes = _ancestor_codes(hierarchy, rows, level)

    zones = [
        ShoreZone(str(hierarchy.codes[row]), level, codes, geom, float(area), float(shore))
        for row, codes, geom, area, shore in zip(
            rows, all_codes, pieces, areas, shores, strict=True
        )
        if area >= min_area_m2
    ]

    covered = shapely.union_all(region_geoms) if len(rows) else Polygon()
    outside = as_multipolygon(shapely.difference(ring, covered))
    if outside.area >= min_area_m2:
        zones.append(
            ShoreZone(
                None,
                level,
                {},
                outside,
                float(outside.area),
                float(shapely.difference(edge, covered).length),
            )
        )
    return zones


def water_area_shares(
    water: Polygon | MultiPolygon,
    hierarchy: RegionHierarchy,
    *,
    level: str,
    min_area_m2: float = 1.0,
) -> list[WaterShare]:
    """Each region's part of the water surface, and which side initiates coordination.

    ``share`` is relative to the whole water area, so the shares sum to the fraction of the
    water inside regions (1.0 when the regions cover it). Exactly one region initiates when
    two or more hold water: the largest; near-equal areas (relative 1e-9) go to the smaller
    code. A water held by one region needs no coordination (nobody initiates). The initiator
    comes first, the others follow by decreasing area, then code.
    """
    _check_level(level)
    water = _clean_water(water)
    total = water.area
    if total <= 0:
        return []
    rows = _candidates(water, hierarchy, level)
    areas = shapely.area(_as_multipolygons(shapely.intersection(hierarchy.geoms[rows], water)))
    keep = areas >= min_area_m2
    rows, areas = rows[keep], areas[keep]
    if len(rows) == 0:
        return []
    codes = hierarchy.codes[rows].astype(str)
    order = np.lexsort((codes, -areas))
    rows, areas, codes = rows[order], areas[order], codes[order]
    tied = np.flatnonzero(areas >= areas[0] - _TIE_REL * total)
    first = int(tied[np.argmin(codes[tied])])
    order = np.r_[first, np.delete(np.arange(len(rows)), first)]
    shared = len(rows) >= 2
    return [
        WaterShare(
            str(codes[i]), level, float(areas[i]), float(areas[i] / total), shared and k == 0
        )
        for k, i in enumerate(order)
    ]


def water_area_zone(water: Polygon | MultiPolygon) -> dict[str, float]:
    """Area and perimeter of the water area (水域), the reservoir chief's (库长) zone.

    The perimeter includes island shores; callers (rosters, maps, reports) reuse these
    instead of recomputing them.
    """
    water = _clean_water(water)
    return {"area_m2": float(water.area), "perimeter_m": float(water.length)}
