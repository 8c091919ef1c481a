"""Check and repair imported geometries before they reach the database.

Pure functions over shapely arrays. A repair is never silent: every repaired feature is
reported with the reason it was invalid; what cannot be repaired is rejected with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import MultiLineString, MultiPolygon

Family = Literal["polygon", "line"]

_FAMILY_TYPES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
}


@dataclass
class GeometryCheck:
    """Result of checking an array of geometries: cleaned geometries plus what happened."""

    geometries: np.ndarray
    repaired: dict[int, str] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)


def _extract(geom: shapely.Geometry, family: Family) -> shapely.Geometry | None:
    """Keep the parts of the wanted family (make_valid may return a GeometryCollection)."""
    parts = shapely.get_parts(geom)
    keep = [p for p in parts if p.geom_type in _FAMILY_TYPES[family] and not p.is_empty]
    if not keep:
        return None
    flat = shapely.get_parts(np.array(keep, dtype=object))
    return (
        MultiPolygon(list(flat))
        if family == "polygon"
        else (flat[0] if len(flat) == 1 else MultiLineString(list(flat)))
    )


def check_geometries(
    geometries: np.ndarray, family: Family, *, repair: bool = True
) -> GeometryCheck:
    """Validate ``geometries`` as polygons (returned as MultiPolygons) or lines.

    Invalid polygons are repaired with ``make_valid`` when ``repair`` is true, otherwise
    rejected with GEOS's reason (e.g. "Self-intersection[109.1 21.5]"). Empty geometries,
    and geometries of the wrong family, are always rejected.
    """
    geoms = shapely.force_2d(np.asarray(geometries, dtype=object))
    out = np.empty(len(geoms), dtype=object)
    result = GeometryCheck(out)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    valid = shapely.is_valid(geoms)
    reasons = shapely.is_valid_reason(geoms)
    for k in np.flatnonzero(missing):
        result.rejected[int(k)] = "empty or missing geometry"
    wanted_ids = (3, 6) if family == "polygon" else (1, 5)
    for k in np.flatnonzero(~missing):
        i = int(k)
        geom = geoms[i]
        if types[i] not in wanted_ids and types[i] != 7:
            result.rejected[i] = f"expected a {family} geometry, got {geom.geom_type}"
            continue
        if not valid[i]:
            if not repair:
                result.rejected[i] = f"invalid geometry: {reasons[i]}"
                continue
            fixed = _extract(shapely.make_valid(geom), family)
            if fixed is None:
                result.rejected[i] = f"invalid geometry that cannot be repaired: {reasons[i]}"
                continue
            result.repaired[i] = reasons[i]
            out[i] = fixed
            continue
        fixed = _extract(geom, family)
        if fixed is None:
            result.rejected[i] = f"expected a {family} geometry, got {geom.geom_type}"
            continue
        out[i] = fixed
    return result
