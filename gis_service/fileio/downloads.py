"""Feature downloads offices open in ArcGIS and QGIS: GeoPackage, zipped Shapefile, KML.

The features come as GeoJSON (WGS84 lon/lat) from the collections; nested values (lists,
objects) become JSON text, since none of these formats has a field type for them. The
Shapefile is zipped with its ``.cpg`` declaring UTF-8, so Chinese names survive ArcGIS.
Only the named formats are written; anything else is refused by the caller's type.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pyogrio
import pyogrio.errors

from gis_service.errors import InputError

DownloadFormat = Literal["gpkg", "shp", "kml"]


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    filename: str


_MEDIA = {
    "gpkg": "application/geopackage+sqlite3",
    "shp": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
}


_FAMILY = {"Point": "points", "LineString": "lines", "Polygon": "polygons"}


def _frame(features: list[dict]) -> gpd.GeoDataFrame:
    rows = []
    for f in features:
        props = {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
            for k, v in (f.get("properties") or {}).items()
        }
        if "id" in f and "id" not in props:
            props = {"id": f["id"], **props}
        rows.append({"type": "Feature", "geometry": f.get("geometry"), "properties": props})
    if not rows:
        return gpd.GeoDataFrame({"id": []}, geometry=[], crs=4326)
    return gpd.GeoDataFrame.from_features(rows, crs=4326)


def features_download(features: list[dict], fmt: DownloadFormat, name: str) -> Download:
    """The features as one file of ``fmt``; ``name`` names the layer and the file."""
    if fmt not in _MEDIA:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(_MEDIA)}")
    frame = _frame(features)
    try:
        return _write(frame, fmt, name)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FeatureError) as exc:
        # e.g. points and lines in one Shapefile: say so instead of a bare 500
        raise InputError(f"f={fmt}: these {name} features cannot be written: {exc}") from None


def _write(frame: gpd.GeoDataFrame, fmt: str, name: str) -> Download:
    with tempfile.TemporaryDirectory(prefix="gis-download-") as tmp:
        folder = Path(tmp)
        if fmt == "gpkg":
            path = folder / f"{name}.gpkg"
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
            return Download(path.read_bytes(), _MEDIA[fmt], path.name)
        if fmt == "kml":
            path = folder / f"{name}.kml"
            pyogrio.write_dataframe(frame, path, layer=name, driver="KML")
            return Download(path.read_bytes(), _MEDIA[fmt], path.name)
        # a Shapefile holds one kind of geometry: lines and polygons (water bodies) go to
        # one file each in the zip, named by the kind
        family = frame.geometry.geom_type.fillna("").str.replace("Multi", "")
        kinds = sorted(k for k in set(family) if k)
        for kind in kinds or [""]:
            part = frame[family == kind] if kind else frame
            stem = f"{name}_{_FAMILY[kind]}" if len(kinds) > 1 else name
            pyogrio.write_dataframe(
                part,
                folder / f"{stem}.shp",
                layer=stem,
                driver="ESRI Shapefile",
                layer_options={"ENCODING": "UTF-8"},
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part_file in sorted(folder.iterdir()):
                archive.write(part_file, part_file.name)
        return Download(buffer.getvalue(), _MEDIA[fmt], f"{name}.zip")
