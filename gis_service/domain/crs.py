"""Coordinate reference systems: the storage CRS and the metric CRS used for measuring.

Storage is EPSG:4326 (WGS84 lon/lat). Official CGCS2000 data (EPSG:4490) agrees with WGS84
to centimetres-decimetres, below phone GPS noise, and every consumer of the service (GPS
tracks, GeoJSON per RFC 7946, Leaflet, vector tiles) speaks WGS84, so one storage CRS avoids
a transform on every read. Lengths, areas, buffers and distances are never computed in
degrees: they are computed in the CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534-4554,
false easting 500 000, no zone prefix) whose central meridian is nearest to *each feature's
own location* -- never one zone for a whole database: 30 degrees away from its central
meridian a zone stretches lengths by 14 %. Within a zone (1.5 degrees either side of the
central meridian) the scale error stays below 0.03 %. Outside China's zones (a phone
track uploaded abroad) the UTM zone of the place is used, so nothing is measured in a far
zone and nothing raises.

Transformers are not shareable between threads (pyproj), so the cache is per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer

STORAGE_SRID = 4326
STORAGE_CRS = f"EPSG:{STORAGE_SRID}"
CGCS2000_GEOGRAPHIC = "EPSG:4490"

# CGCS2000 / 3-degree Gauss-Kruger CM 75E .. CM 135E
_GK3_FIRST_EPSG = 4534
_GK3_FIRST_CM = 75
_GK3_LAST_CM = 135
# the GRS80 ellipsoid of CGCS2000 (WGS84's differs by 0.1 mm in the semi-minor axis)
GEOD = Geod(ellps="GRS80")


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Kruger zone whose central meridian is nearest.

    >>> gauss_kruger_epsg(109.1)   # Beihai: CM 108E
    4545
    """
    cm = int(round(lon / 3.0) * 3)
    if not _GK3_FIRST_CM <= cm <= _GK3_LAST_CM:
        raise ValueError(f"longitude {lon} is outside China's Gauss-Kruger zones (73.5E-136.5E)")
    return _GK3_FIRST_EPSG + (cm - _GK3_FIRST_CM) // 3


def in_china_zones(lon: float) -> bool:
    """Is ``lon`` inside the CGCS2000 3-degree zones (73.5E-136.5E)?"""
    return _GK3_FIRST_CM - 1.5 <= lon < _GK3_LAST_CM + 1.5


def utm_epsg(lon: float, lat: float) -> int:
    """WGS84 / UTM zone of a place (EPSG:326xx north, 327xx south)."""
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return (32600 if lat >= 0 else 32700) + zone


def local_metric_epsg(lon: float, lat: float) -> int:
    """The metric CRS where a place lies: its CGCS2000 3-degree GK zone inside China's
    zones, else its UTM zone (a track recorded abroad is measured where it was walked)."""
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise ValueError("cannot choose a metric CRS for a place without coordinates")
    return gauss_kruger_epsg(lon) if in_china_zones(lon) else utm_epsg(lon, lat)


def metric_crs_for(geometries: shapely.Geometry | np.ndarray) -> CRS:
    """The metric CRS at the centre of the extent of lon/lat data (for data of one place:
    a county, a track; data spread over several zones is measured per zone, see
    :func:`zones_of` and :func:`apply_in_zones`)."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
    if not np.isfinite(xmin):
        raise ValueError("cannot choose a metric CRS for empty geometry")
    return CRS.from_epsg(local_metric_epsg((xmin + xmax) / 2.0, (ymin + ymax) / 2.0))


def zones_of(geometries: np.ndarray) -> np.ndarray:
    """Per geometry, the EPSG code of the metric CRS at the centre of its own extent
    (vectorised; missing or empty geometries get 0)."""
    geometries = np.asarray(geometries, dtype=object)
    b = shapely.bounds(geometries)
    lon = (b[:, 0] + b[:, 2]) / 2.0
    lat = (b[:, 1] + b[:, 3]) / 2.0
    out = np.zeros(len(geometries), dtype=np.int64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    cm = np.round(lon / 3.0) * 3
    china = ok & (lon >= _GK3_FIRST_CM - 1.5) & (lon < _GK3_LAST_CM + 1.5)
    out[china] = _GK3_FIRST_EPSG + ((cm[china] - _GK3_FIRST_CM) // 3).astype(np.int64)
    abroad = ok & ~china
    zone = np.clip(np.floor((lon[abroad] + 180.0) / 6.0) + 1, 1, 60).astype(np.int64)
    out[abroad] = np.where(lat[abroad] >= 0, 32600, 32700) + zone
    return out


def apply_in_zones(geometries: np.ndarray, func: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a metric operation (``func`` on an array of metric geometries) to lon/lat
    geometries, each in the zone where it lies; returns lon/lat geometries. One transform
    per zone present, vectorised within it."""
    geometries = np.asarray(geometries, dtype=object)
    out = geometries.copy()
    zones = zones_of(geometries)
    for epsg in np.unique(zones[zones > 0]):
        rows = np.flatnonzero(zones == epsg)
        out[rows] = to_storage(func(to_metric(geometries[rows], int(epsg))), int(epsg))
    return out


def geodesic_lengths(geometries: np.ndarray) -> np.ndarray:
    """Lengths in metres on the GRS80 ellipsoid of lon/lat geometries (the reference the
    projected measurements are checked against; polygon: perimeter)."""
    return np.array(
        [0.0 if g is None or g.is_empty else GEOD.geometry_length(g) for g in geometries]
    )


_LOCAL = threading.local()


def transformer(src: str | int, dst: str | int) -> Transformer:
    """Always lon/lat (x, y) ordered transformer (EPSG:4326/4490 are lat-first), cached per
    thread: a pyproj transformer must not be used by two threads at once."""
    cache = getattr(_LOCAL, "transformers", None)
    if cache is None:
        cache = _LOCAL.transformers = {}
    # one key per CRS however it is named (4545, "4545", "EPSG:4545"): each is built once
    key = (_crs_key(src), _crs_key(dst))
    t = cache.get(key)
    if t is None:
        if len(cache) >= 64:
            cache.clear()
        t = cache[key] = Transformer.from_crs(
            CRS.from_user_input(key[0]), CRS.from_user_input(key[1]), always_xy=True
        )
    return t


def _crs_key(crs: str | int) -> str:
    name = str(crs)
    return f"EPSG:{name}" if name.isdigit() else name


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
