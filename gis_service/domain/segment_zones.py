"""Chief segment polygons: the responsibility zone of each river segment.

The zone is the water body's management range (管理范围) where one is given, otherwise a
flat-ended buffer of the segment line of the water body's configured width; either way it
is clipped to the segment's region (both banks' regions for a boundary stretch), so zones
of one level never cross a boundary of that level. Buffering a river segment is cheap and
done once per rebuild (this is not a GPS track).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.regions import RegionHierarchy
from gis_service.domain.segmentation import BOUNDARY, Segments

RANGE_REACH_M = 1000.0


def segment_polygons(
    segments: Segments,
    geometries: NDArray[np.object_],
    hierarchy: RegionHierarchy,
    *,
    widths_m: NDArray[np.float64],
    management_ranges: NDArray[np.object_] | None = None,
    quad_segs: int = 4,
) -> NDArray[np.object_]:
    """One (Multi)Polygon per segment, metric.

    ``widths_m`` and ``management_ranges`` are per segment (take them from the segment's
    water body). A management range is cut to the part near the segment (within
    ``RANGE_REACH_M``) so that a river's range does not give every segment the whole range.
    """
    corridor = shapely.buffer(geometries, widths_m, quad_segs=quad_segs, cap_style="flat")
    if management_ranges is not None:
        has_range = ~shapely.is_missing(management_ranges)
        if has_range.any():
            near = shapely.buffer(
                geometries[has_range], RANGE_REACH_M, quad_segs=quad_segs, cap_style="flat"
            )
            corridor[has_range] = shapely.intersection(management_ranges[has_range], near)
    region_geom = np.empty(len(segments), dtype=object)
    inside = segments.kind != BOUNDARY
    region_geom[inside] = hierarchy.geoms[segments.region[inside]]
    b = np.flatnonzero(~inside)
    if len(b):
        left, right = segments.left[b], segments.right[b]
        lg = hierarchy.geoms[np.maximum(left, 0)]  # fancy indexing: a copy
        lg[left < 0] = None
        rg = hierarchy.geoms[np.maximum(right, 0)]
        rg[right < 0] = None
        both = (left >= 0) & (right >= 0)
        region_geom[b] = np.where(both, shapely.union(lg, rg), np.where(left >= 0, lg, rg))
    out = shapely.intersection(corridor, region_geom)
    out[shapely.is_missing(region_geom)] = corridor[shapely.is_missing(region_geom)]
    return out
