"""Make map geometry as small as the zoom allows: metric simplification, rounded lon/lat.

A county's segments at full precision are megabytes of digits nobody can see. Douglas-Peucker
with a tolerance in metres runs in the CGCS2000 Gauss-Kruger zone of the data (never in
degrees, whose east-west size shrinks with latitude), then lon/lat are rounded to as many
decimals as that tolerance deserves (6 decimals = 0.1 m at most, RFC 7946's advice).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain import crs

EARTH_CIRCUMFERENCE_M = 40_075_016.686
METRES_PER_DEGREE = 111_320.0
# users zoom in this many levels past the whole-region view before detail should show
ZOOM_HEADROOM = 3
MAX_DECIMALS = 6
MIN_DECIMALS = 4


@dataclass(frozen=True)
class Detail:
    """How much detail to keep: simplification tolerance (m) and lon/lat decimals."""

    tolerance_m: float
    decimals: int | None  # None: coordinates as stored (the benchmark's baseline)


FULL = Detail(0.0, MAX_DECIMALS)
RAW = Detail(0.0, None)


def fit_zoom(bounds: Sequence[float], width_px: int = 1200, height_px: int = 800) -> int:
    """The web-mercator zoom at which ``bounds`` (lon/lat) fill a window of that size."""
    xmin, ymin, xmax, ymax = bounds
    if not all(np.isfinite([xmin, ymin, xmax, ymax])):
        return 12
    lat = math.radians((ymin + ymax) / 2)
    metres_x = max((xmax - xmin) * METRES_PER_DEGREE * math.cos(lat), 1.0)
    metres_y = max((ymax - ymin) * METRES_PER_DEGREE, 1.0)
    per_px = max(metres_x / width_px, metres_y / height_px)
    zoom = math.log2(EARTH_CIRCUMFERENCE_M * math.cos(lat) / 256 / per_px)
    return int(min(max(math.floor(zoom), 0), 18))


def metres_per_pixel(zoom: float, lat: float) -> float:
    return EARTH_CIRCUMFERENCE_M * math.cos(math.radians(lat)) / 256 / 2**zoom


def decimals_for(tolerance_m: float) -> int:
    """Decimals whose step (1e-d degrees) is at most a quarter of the tolerance."""
    if tolerance_m <= 0:
        return MAX_DECIMALS
    d = math.ceil(math.log10(4 * METRES_PER_DEGREE / tolerance_m))
    return int(min(max(d, MIN_DECIMALS), MAX_DECIMALS))


def detail_for(bounds: Sequence[float], headroom: int = ZOOM_HEADROOM) -> Detail:
    """Half a screen pixel at ``headroom`` zoom levels past the whole-region view."""
    zoom = fit_zoom(bounds) + headroom
    lat = (bounds[1] + bounds[3]) / 2 if np.isfinite(bounds[1]) else 0.0
    tolerance = 0.5 * metres_per_pixel(zoom, lat)
    return Detail(tolerance, decimals_for(tolerance))


def simplify(geoms: np.ndarray, detail: Detail) -> np.ndarray:
    """Simplify lon/lat geometries in metres, then round lon/lat (vectorised per zone)."""
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if not present.any():
        return geoms
    out = geoms.copy()
    work = geoms[present]
    if detail.tolerance_m > 0:
        # each feature in the zone where it lies (a track abroad: its UTM zone), so a
        # tolerance in metres means metres everywhere and nothing is out of a zone's range
        tolerance = detail.tolerance_m
        work = crs.apply_in_zones(
            work, lambda g: shapely.simplify(g, tolerance, preserve_topology=True)
        )
    if detail.decimals is not None:
        d = detail.decimals
        work = shapely.transform(work, lambda xy: np.round(xy, d))
    out[present] = work
    return out


def _plain(value):
    """JSON-able scalar: numpy numbers, NaN/NaT as null, dates as ISO strings."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def html_text(value):
    """A property for a map page: text HTML-escaped, anything else as ``_plain`` makes it.

    Folium's popups, tooltips and leaflet-search put property values into the page as HTML
    (``innerHTML``), and the data sits inside a ``<script>``: a name such as
    ``<img src=x onerror=…>`` or ``</script>`` would run. Escaping here covers every layer."""
    value = _plain(value)
    return html.escape(value) if isinstance(value, str) else value


def feature_collection(
    frame: gpd.GeoDataFrame,
    detail: Detail,
    *,
    columns: Iterable[str] | None = None,
    id_column: str | None = None,
) -> dict:
    """RFC 7946 FeatureCollection of ``frame`` (WGS84) at ``detail``; empty rows dropped.

    For map pages only: text properties are HTML-escaped (see ``html_text``)."""
    if frame is None or len(frame) == 0:
        return {"type": "FeatureCollection", "features": []}
    geoms = simplify(frame.geometry.to_numpy(), detail)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    texts = shapely.to_geojson(geoms[keep])
    cols = list(columns) if columns is not None else [c for c in frame.columns if c != "geometry"]
    rows = frame.loc[keep, cols].to_dict("records")
    ids = frame.loc[keep, id_column].tolist() if id_column else [None] * len(rows)
    features = []
    for row, text, fid in zip(rows, texts, ids, strict=True):
        feature = {
            "type": "Feature",
            "properties": {k: html_text(v) for k, v in row.items()},
            "geometry": json.loads(text),
        }
        if fid is not None:
            feature["id"] = _plain(fid)
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def total_bounds(*frames: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    """Lon/lat bounds over several frames (NaN when all are empty)."""
    boxes = [
        f.total_bounds for f in frames if f is not None and len(f) and f.geometry.notna().any()
    ]
    if not boxes:
        return (math.nan, math.nan, math.nan, math.nan)
    b = np.array(boxes)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def midpoints(geoms: np.ndarray) -> np.ndarray:
    """A point half-way along each line (or the centroid of anything else)."""
    geoms = np.asarray(geoms, dtype=object)
    lines = np.isin(shapely.get_type_id(geoms), [1, 5])
    out = shapely.centroid(geoms)
    if lines.any():
        merged = shapely.line_merge(geoms[lines])
        single = shapely.get_type_id(merged) == 1
        pts = shapely.centroid(merged)
        pts[single] = shapely.line_interpolate_point(merged[single], 0.5, normalized=True)
        out[lines] = pts
    return out
