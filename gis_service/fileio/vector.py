"""Read vector files (GeoJSON, GeoPackage, zipped or plain Shapefile) for an import.

Only reading, limits and CRS handling live here; what the attributes mean is the importer's
job. Every failure becomes an :class:`InputError` naming the file. GDAL is told as little as
possible: the format is checked by suffix and by the file's first bytes, archives are
unpacked by :mod:`gis_service.fileio.archive`, the driver GDAL chose is checked against the
one expected, and the limits (size, features, vertices) are checked before the data is
loaded.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis_service.errors import InputError
from gis_service.fileio.archive import (
    DATASET_SUFFIXES,
    ImportLimits,
    extract_dataset,
    refuse_gdal_paths,
)
from gis_service.fileio.crs_input import (
    SourceCrs,
    datav_warning,
    parse_crs_option,
    resolve_source_crs,
    to_storage,
)

SUPPORTED = "GeoJSON (.geojson/.json), GeoPackage (.gpkg), Shapefile (.shp or zipped .zip)"
_MAGIC = {"GPKG": b"SQLite format 3\x00", "ESRI Shapefile": b"\x00\x00\x27\x0a"}


@dataclass
class VectorFile:
    """A file's attributes (as named in the file) and its geometries in WGS84 lon/lat."""

    attributes: pd.DataFrame
    geometries: np.ndarray
    source_crs: SourceCrs
    warnings: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.attributes.columns]

    def __len__(self) -> int:
        return len(self.geometries)


def _harden_gdal(limits: ImportLimits) -> None:
    """Process-wide GDAL settings: a GeoJSON feature above the limit is refused while
    streaming (instead of parsing a 1e6-vertex polygon into 460 MB), and no network."""
    pyogrio.set_gdal_config_options(
        {
            "OGR_GEOJSON_MAX_OBJ_SIZE": str(limits.max_geojson_feature_mb),
            "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".none-allowed",
            "GDAL_HTTP_TIMEOUT": "1",
            "GDAL_HTTP_MAX_RETRY": "0",
        }
    )


def _check_content(path: Path, driver: str, *, source: str) -> None:
    """The first bytes must be the format's: GDAL picks a driver by content, so a ``.geojson``
    holding VRT XML would otherwise be opened as VRT."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if driver == "GeoJSON":
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not text.startswith(b"{"):
            raise InputError("not a GeoJSON file (it does not start with '{')", source=source)
    elif not head.startswith(_MAGIC[driver]):
        raise InputError(f"not a {driver} file (wrong file signature)", source=source)


_FULL_PARSE_BYTES = 20_000_000


def _geojson_declared_crs(path: Path, *, source: str) -> CRS | None:
    """The legacy ``crs`` member of a GeoJSON file, checked strictly.

    GDAL falls back to WGS84 when it cannot parse the member, which would silently misplace
    every feature; we refuse such a file instead. Only the member itself is decoded when it
    comes before the features (as every writer puts it); the whole document only for a small
    file that mentions ``"crs"`` further on.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc}", source=source) from None
    at, features = text.find('"crs"'), text.find('"features"')
    if at < 0:
        return None
    if features < 0 or at < features:
        colon = text.find(":", at + 5)
        try:
            member, _ = json.JSONDecoder().raw_decode(text, colon + 1 + _spaces(text, colon + 1))
        except (json.JSONDecodeError, ValueError):
            raise InputError("unreadable 'crs' member", source=source) from None
    else:
        if len(raw) > _FULL_PARSE_BYTES:
            raise InputError(
                'a large file mentions "crs" after its features: put the crs member first',
                source=source,
            )
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON ({exc.msg})",
                source=source,
                location=f"line {exc.lineno} column {exc.colno}",
            ) from None
        if not isinstance(doc, dict) or doc.get("type") not in ("FeatureCollection", "Feature"):
            raise InputError("not a GeoJSON FeatureCollection", source=source)
        member = doc.get("crs")
        if member is None:
            return None
    name = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    if not name:
        raise InputError(f"unreadable 'crs' member {str(member)[:200]!r}", source=source)
    try:
        return CRS.from_user_input(name)
    except CRSError:
        raise InputError(f"unknown CRS {name!r}", source=source) from None


def _spaces(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in " \t\r\n":
        end += 1
    return end - start


def _gdal_error(
    exc: Exception, limits: ImportLimits, *, source: str, path: Path | None = None
) -> InputError:
    message = str(exc)
    if "too complex/large" in message:
        return InputError(
            f"a feature is larger than {limits.max_geojson_feature_mb} MB of GeoJSON (limit "
            f"max_geojson_feature_mb, about {limits.max_feature_vertices:,} vertices): "
            "simplify it or split it",
            source=source,
        )
    if path is not None and DATASET_SUFFIXES.get(path.suffix.lower()) == "GeoJSON":
        try:
            json.loads(path.read_bytes())  # stops at the first error: it says where
        except json.JSONDecodeError as err:
            return InputError(
                f"invalid JSON ({err.msg})",
                source=source,
                location=f"line {err.lineno} column {err.colno}",
            )
        except UnicodeDecodeError as err:
            return InputError(f"not UTF-8 text: {err}", source=source)
        return InputError("invalid GeoJSON (GDAL could not parse it)", source=source)
    if path is not None:  # never show the server's folders
        message = message.replace(str(path), path.name)
    if "not recognized as" in message:
        return InputError(f"not a readable {SUPPORTED} file", source=source)
    return InputError(f"cannot read: {message.splitlines()[0][:300]}", source=source)


def read_vector(
    path: Path | str,
    *,
    crs: str | None = None,
    limits: ImportLimits | None = None,
    layer: str | int | None = None,
) -> VectorFile:
    """Read a vector file: limits checked, CRS resolved (see ``crs_input``), geometries
    returned in the storage CRS (EPSG:4326)."""
    limits = limits or ImportLimits()
    path = Path(path)
    source = path.name
    refuse_gdal_paths(str(path), source=source)
    option = parse_crs_option(crs)
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix not in {*DATASET_SUFFIXES, ".zip"}:
        raise InputError(f"unsupported format {suffix!r}; expected {SUPPORTED}", source=source)
    size = path.stat().st_size
    if size > limits.max_unpacked_bytes:
        raise InputError(
            f"{size:,} bytes, over the limit of {limits.max_unpacked_bytes:,} (max_unpacked_bytes)",
            source=source,
        )
    _harden_gdal(limits)
    with tempfile.TemporaryDirectory(prefix="gis-import-") as folder:
        dataset = extract_dataset(path, Path(folder), limits) if suffix == ".zip" else path
        return _read_dataset(dataset, option, limits, layer, source=source)


def _read_dataset(path: Path, option, limits: ImportLimits, layer, *, source: str) -> VectorFile:
    driver = DATASET_SUFFIXES[path.suffix.lower()]
    _check_content(path, driver, source=source)
    try:
        info = pyogrio.read_info(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise _gdal_error(exc, limits, source=source, path=path) from None
    if info.get("driver") != driver:
        raise InputError(f"GDAL read it as {info.get('driver')}, not {driver}", source=source)
    if info["features"] > limits.max_features:
        raise InputError(
            f"{info['features']:,} features, over the limit of {limits.max_features:,} "
            "(max_features): split the file",
            source=source,
        )
    if info.get("geometry_type") is None:
        raise InputError("the file has no geometry column: nothing to place", source=source)
    declared = None
    if driver == "GeoJSON":
        declared = _geojson_declared_crs(path, source=source)
    elif info.get("crs"):
        try:
            declared = CRS.from_user_input(info["crs"])
        except CRSError:
            raise InputError(
                f"unknown CRS {info['crs'][:80]!r} in the file", source=source
            ) from None
    source_crs = resolve_source_crs(
        declared, option, source=source, default_wgs84=driver == "GeoJSON"
    )
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise _gdal_error(exc, limits, source=source, path=path) from None
    except (ValueError, RuntimeError) as exc:
        raise _gdal_error(exc, limits, source=source, path=path) from None
    if len(frame) == 0:
        raise InputError("the file has no features", source=source)
    if "geometry" not in frame.columns:
        raise InputError("the file has no geometry column: nothing to place", source=source)
    geometries = np.asarray(frame.geometry.values, dtype=object)
    if shapely.is_missing(geometries).all():
        raise InputError("no feature has a geometry: nothing to place", source=source)
    _check_vertices(geometries, limits, source=source)
    attributes = pd.DataFrame(frame.drop(columns="geometry"))
    stored = to_storage(geometries, source_crs, source=source)
    warnings = [w for w in [datav_warning(list(attributes.columns), source_crs)] if w]
    return VectorFile(attributes, stored, source_crs, warnings)


def _check_vertices(geometries: np.ndarray, limits: ImportLimits, *, source: str) -> None:
    counts = shapely.get_num_coordinates(geometries)
    big = np.flatnonzero(counts > limits.max_feature_vertices)
    if len(big):
        i = int(big[0])
        raise InputError(
            f"feature {i + 1} has {int(counts[i]):,} vertices, over the limit of "
            f"{limits.max_feature_vertices:,} per feature (max_feature_vertices): simplify it",
            source=source,
        )
    total = int(counts.sum())
    if total > limits.max_vertices:
        raise InputError(
            f"{total:,} vertices in all, over the limit of {limits.max_vertices:,} "
            "(max_vertices): split the file",
            source=source,
        )
