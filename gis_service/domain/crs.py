"""Coordinate reference systems: the storage CRS and the metric CRS used for measuring.

Storage is EPSG:4326 (WGS84 lon/lat). Official CGCS2000 data (EPSG:4490) agrees with WGS84
to centimetres-decimetres, below phone GPS noise, and every consumer of the service (GPS
tracks, GeoJSON per RFC 7946, Leaflet, vector tiles) speaks WGS84, so one storage CRS avoids
a transform on every read. Lengths, areas, buffers and distances are never computed in
degrees: they are computed in the CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534-4554,
false easting 500 000, no zone prefix) whose central meridian is nearest to the data.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

STORAGE_SRID = 4326
STORAGE_CRS = f"EPSG:{STORAGE_SRID}"
CGCS2000_GEOGRAPHIC = "EPSG:4490"

# CGCS2000 / 3-degree Gauss-Kruger CM 75E .. CM 135E
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Kruger zone whose central meridian is nearest.

    >>> gauss_kruger_epsg(109.1)   # Beihai: CM 108E
    4545
    """
    cm = int(round(lon / 3.0) * 3)
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        raise ValueError(f"longitude {lon} is outside China's Gauss-Kruger zones (73.5E-136.5E)")
    return _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3


def metric_crs_for(geometries: shapely.Geometry | np.ndarray) -> CRS:
    """The metric CRS for lon/lat data: the GK zone at the centre of their extent."""
    xmin, _, xmax, _ = shapely.total_bounds(geometries)
    if not np.isfinite(xmin):
        raise ValueError("cannot choose a metric CRS for empty geometry")
    return CRS.from_epsg(gauss_kruger_epsg((xmin + xmax) / 2.0))


@lru_cache(maxsize=64)
def transformer(src: str | int, dst: str | int) -> Transformer:
    """Cached, always lon/lat (x, y) ordered transformer: EPSG:4326/4490 are lat-first."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def transform(geometries, src: str | int, dst: str | int):
    """Transform shapely geometries (scalar or array) between CRSs, vectorised."""
    t = transformer(str(src), str(dst))
    return shapely.transform(
        geometries, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
    )


def to_metric(geometries, metric: CRS | str | int):
    """Storage lon/lat -> metric CRS."""
    return transform(geometries, STORAGE_CRS, _epsg_str(metric))


def to_storage(geometries, metric: CRS | str | int):
    """Metric CRS -> storage lon/lat."""
    return transform(geometries, _epsg_str(metric), STORAGE_CRS)


def _epsg_str(crs: CRS | str | int) -> str:
    if isinstance(crs, CRS):
        return crs.to_string()
    return f"EPSG:{crs}" if isinstance(crs, int) else crs
