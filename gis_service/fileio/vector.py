"""Read vector files (GeoJSON, GeoPackage, zipped or plain Shapefile) into GeoDataFrames.

Only reading and CRS handling live here; what the attributes mean is the importer's job.
Every failure becomes an :class:`InputError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis_service.domain.crs import STORAGE_CRS
from gis_service.errors import InputError

GEOJSON_SUFFIXES = {".json", ".geojson"}
SUPPORTED = "GeoJSON (.geojson/.json), GeoPackage (.gpkg), Shapefile (.shp or zipped .zip)"


def _geojson_declared_crs(path: Path) -> CRS | None:
    """The legacy ``crs`` member of a GeoJSON file, checked strictly.

    GDAL falls back to WGS84 when it cannot parse the member, which would silently misplace
    every feature; we refuse such a file instead.
    """
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=path.name) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg})",
            source=path.name,
            location=f"line {exc.lineno} column {exc.colno}",
        ) from None
    if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
        raise InputError("not a GeoJSON FeatureCollection", source=path.name)
    member = doc.get("crs")
    if member is None:
        return None
    name = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    if not name:
        raise InputError(f"unreadable 'crs' member {member!r}", source=path.name)
    try:
        return CRS.from_user_input(name)
    except CRSError:
        raise InputError(f"unknown CRS {name!r}", source=path.name) from None


def read_vector(
    path: Path | str, *, crs: str | None = None, layer: str | int | None = None
) -> gpd.GeoDataFrame:
    """Read a vector file and return it in the storage CRS (EPSG:4326).

    ``crs`` is used only when the file declares none (a Shapefile without .prj, say): a
    declared CRS is always honoured, never overridden.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix not in GEOJSON_SUFFIXES | {".gpkg", ".shp", ".zip"}:
        raise InputError(f"unsupported format {suffix!r}; expected {SUPPORTED}", source=path.name)
    declared = _geojson_declared_crs(path) if suffix in GEOJSON_SUFFIXES else None
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"cannot read: {exc}", source=path.name) from None
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"cannot read: {exc}", source=path.name) from None
    if declared is not None:
        gdf = gdf.set_crs(declared, allow_override=True)
    if gdf.crs is None:
        if crs is None:
            raise InputError(
                "the file declares no CRS; give one (e.g. --crs EPSG:4490)", source=path.name
            )
        try:
            gdf = gdf.set_crs(CRS.from_user_input(crs))
        except CRSError:
            raise InputError(f"unknown CRS {crs!r}", source=path.name) from None
    if len(gdf) == 0:
        raise InputError("the file has no features", source=path.name)
    try:
        return gdf.to_crs(STORAGE_CRS)
    except CRSError as exc:
        raise InputError(f"cannot transform from {gdf.crs}: {exc}", source=path.name) from None
