"""Split a database's regions and waters into the units of zoning work, one per metric zone.

Why per zone: a database may hold Beihai (108E) and Tacheng (84E). Measured in one
Gauss-Kruger zone, one of them lies 24 degrees off its central meridian, where lengths are
stretched by 2-9 %. Each unit here is measured in the CGCS2000 3-degree zone where it lies,
so Beihai's figures do not change when Tacheng is added.

What is kept together: a top region (a region whose parent is not in the data: a province,
or a county imported alone) with all its descendants; every water with the top regions it
touches; a tributary with its main stem. These connected groups are what the zoning of one
region needs (segments, boundary stretches, joint sections, conveners, confluences), so a
group's zoning is the same whether it is run alone or beside others in another zone.
Groups are measured in the zone at the centre of their extent, and the groups of one zone
form one unit (the unit of parallel work). A group wider than a zone (a river system
crossing provinces far apart) is measured in its central zone; its scale error (about
0.2 % at 4 degrees from the central meridian) is not reported yet.

Pure: lon/lat shapely geometries in, row numbers out; no database, no transforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from gis_service.domain import crs
from gis_service.domain.zoning import Zoning, ZoningConfig, build_zoning


@dataclass(frozen=True)
class ZonePartition:
    """One unit of zoning work: the rows of the regions and waters frames measured in
    ``epsg``, in their original (code) order."""

    epsg: int
    region_rows: np.ndarray
    water_rows: np.ndarray
    # waters far from every region form a unit of their own zone; it borrows the regions of
    # the nearest unit (only to know the levels: the waters are outside all of them)
    borrowed_regions: bool = False


def top_regions(codes: pd.Series, parents: pd.Series) -> np.ndarray:
    """Per region, the row of its top ancestor in the data (itself when its parent is
    missing). Vectorised over the regions, one step per level."""
    code_list = codes.astype(str).tolist()
    row_of = pd.Series(np.arange(len(code_list)), index=code_list)
    parent_row = parents.map(row_of).fillna(-1).to_numpy(dtype=np.int64)
    top = np.arange(len(code_list))
    for _ in range(len(code_list)):
        nxt = parent_row[top]
        step = nxt >= 0
        if not step.any():
            break
        top = np.where(step, nxt, top)
    return top


def partition_by_zone(
    region_codes: pd.Series,
    region_parents: pd.Series,
    region_geoms: np.ndarray,
    water_codes: pd.Series,
    water_parents: pd.Series,
    water_geoms: np.ndarray,
) -> list[ZonePartition]:
    """The units of zoning work, sorted by EPSG code (see the module's docstring)."""
    n_r, n_w = len(region_codes), len(water_codes)
    region_geoms = np.asarray(region_geoms, dtype=object)
    water_geoms = np.asarray(water_geoms, dtype=object)
    top = top_regions(region_codes, region_parents) if n_r else np.zeros(0, dtype=np.int64)
    tops = np.unique(top)
    # graph nodes: top regions 0..len(tops)-1, waters after them
    node_of_top = np.full(max(n_r, 1), -1, dtype=np.int64)
    node_of_top[tops] = np.arange(len(tops))
    edges_a: list[np.ndarray] = []
    edges_b: list[np.ndarray] = []
    if len(tops) and n_w:
        tree = shapely.STRtree(region_geoms)
        w, r = tree.query(water_geoms, predicate="intersects")
        edges_a.append(len(tops) + w)
        edges_b.append(node_of_top[top[r]])
    if n_w:
        water_row = pd.Series(np.arange(n_w), index=water_codes.astype(str).tolist())
        main = water_parents.map(water_row).to_numpy(dtype=float)
        has = np.isfinite(main)
        edges_a.append(len(tops) + np.flatnonzero(has))
        edges_b.append(len(tops) + main[has].astype(np.int64))
    n = len(tops) + n_w
    a = np.concatenate(edges_a) if edges_a else np.zeros(0, dtype=np.int64)
    b = np.concatenate(edges_b) if edges_b else np.zeros(0, dtype=np.int64)
    group = connected_groups(n, a, b)
    # each group's extent (its top regions' and waters' bounds) chooses its zone
    node_bounds = np.vstack(
        [
            shapely.bounds(region_geoms[tops]).reshape(-1, 4),
            shapely.bounds(water_geoms).reshape(-1, 4),
        ]
    )
    frame = pd.DataFrame(node_bounds, columns=["x0", "y0", "x1", "y1"]).assign(group=group)
    ext = frame.groupby("group").agg(
        x0=("x0", "min"), y0=("y0", "min"), x1=("x1", "max"), y1=("y1", "max")
    )
    boxes = shapely.box(ext.x0, ext.y0, ext.x1, ext.y1)
    group_epsg = pd.Series(crs.zones_of(boxes), index=ext.index)
    node_epsg = group_epsg.reindex(group).to_numpy()
    # a group without a usable extent (empty geometry) is measured with the most common zone
    known = node_epsg[node_epsg > 0]
    fallback = int(np.bincount(known).argmax()) if len(known) else 4545
    node_epsg = np.where(node_epsg > 0, node_epsg, fallback)
    region_epsg = node_epsg[node_of_top[top]] if n_r else np.zeros(0, dtype=np.int64)
    water_epsg = node_epsg[len(tops) :]
    out = []
    for epsg in sorted(set(region_epsg.tolist()) | set(water_epsg.tolist())):
        out.append(
            ZonePartition(
                int(epsg),
                np.flatnonzero(region_epsg == epsg),
                np.flatnonzero(water_epsg == epsg),
            )
        )
    return _lend_regions(out, region_geoms, water_geoms)


def _lend_regions(
    units: list[ZonePartition], region_geoms: np.ndarray, water_geoms: np.ndarray
) -> list[ZonePartition]:
    """Give each unit without regions the regions of the nearest unit with some, so its
    waters get their ``outside`` stretches at every level, as in a one-zone run."""
    lenders = [u for u in units if len(u.region_rows)]
    if not lenders:
        return units
    centres = [
        shapely.centroid(shapely.box(*shapely.total_bounds(region_geoms[u.region_rows])))
        for u in lenders
    ]
    out = []
    for unit in units:
        if len(unit.region_rows):
            out.append(unit)
            continue
        here = shapely.centroid(shapely.box(*shapely.total_bounds(water_geoms[unit.water_rows])))
        nearest = lenders[int(np.argmin(shapely.distance(here, np.array(centres))))]
        out.append(ZonePartition(unit.epsg, nearest.region_rows, unit.water_rows, True))
    return out


def connected_groups(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of an undirected graph of ``n`` nodes and edges ``a``-``b``:
    per node, the smallest node number of its component (label propagation with pointer
    jumping, vectorised over the edges)."""
    label = np.arange(n)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        before = label.copy()
        low = np.minimum(label[a], label[b])
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        while True:  # pointer jumping: follow labels to their roots
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


# geometry columns of each zoning table: metric inside the unit of work, lon/lat out of it
_GEOMETRY_COLUMNS = {
    "segments": ("geometry", "zone_geometry"),
    "still_zones": ("geometry",),
    "joint_sections": ("geometry", "crossing_point"),
    "confluences": ("geometry",),
    "conveners": (),
}


def zoning_of_partition(
    regions: pd.DataFrame, waters: pd.DataFrame, epsg: int, config: ZoningConfig
) -> Zoning:
    """The zoning of one unit of work: lon/lat frames in, measured in ``epsg``, lon/lat
    frames out (a plain function of its inputs, so units can run anywhere in parallel)."""
    r = pd.DataFrame(
        {
            "code": regions["code"].to_numpy(),
            "level": regions["level"].to_numpy(),
            "parent_code": regions["parent_code"].to_numpy(),
            "geometry": crs.to_metric(np.asarray(regions["geometry"], dtype=object), epsg),
        }
    )
    w = waters.drop(columns=["geometry"]).reset_index(drop=True)
    w["geometry"] = crs.to_metric(np.asarray(waters["geometry"], dtype=object), epsg)
    w["management_range"] = crs.to_metric(waters["management_range"].to_numpy(), epsg)
    zoning = build_zoning(r, w, config)
    for name, columns in _GEOMETRY_COLUMNS.items():
        frame = getattr(zoning, name)
        if frame.empty:
            continue
        frame = frame.copy()
        for column in columns:
            frame[column] = crs.to_storage(frame[column].to_numpy(dtype=object), epsg)
        setattr(zoning, name, frame)
    return zoning


def merge_zonings(parts: list[Zoning]) -> Zoning:
    """One zoning from the units' (lon/lat) zonings, in unit order. The metric river
    segmentation is kept only when there was one unit (it is in that unit's zone)."""
    if len(parts) == 1:
        return parts[0]
    frames = {
        name: pd.concat(
            [f for f in (getattr(p, name) for p in parts) if not f.empty] or [pd.DataFrame()],
            ignore_index=True,
        )
        for name in _GEOMETRY_COLUMNS
    }
    if "kind" not in frames["segments"]:
        frames["segments"] = frames["segments"].assign(kind=[], level=[])
    if "kind" not in frames["still_zones"]:
        frames["still_zones"] = parts[0].still_zones
    return Zoning(
        frames["segments"],
        frames["still_zones"],
        frames["joint_sections"],
        frames["confluences"],
        frames["conveners"],
        None,
    )
