"""GeoJSON (RFC 7946) straight from PostGIS rows: lon/lat, 6 decimals (~0.1 m)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

COORD_DECIMALS = 6


def geojson_sql(column: str = "geom") -> str:
    """SQL expression of a geometry column as RFC 7946 GeoJSON text (CCW exteriors)."""
    return f"ST_AsGeoJSON(ST_ForcePolygonCCW({column}), {COORD_DECIMALS})"


def feature(row: Mapping, *, id_key: str = "id", geometry_key: str = "geometry") -> dict:
    props = {k: v for k, v in row.items() if k not in (geometry_key,)}
    geometry = row.get(geometry_key)
    return {
        "type": "Feature",
        "id": row.get(id_key),
        "geometry": json.loads(geometry) if isinstance(geometry, str) else geometry,
        "properties": props,
    }


def feature_collection(rows: Iterable[Mapping], **kwargs) -> dict:
    features = [feature(r, **kwargs) for r in rows]
    return {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}
