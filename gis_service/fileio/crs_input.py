"""Which CRS an imported vector file is in: declared by the file, given by the user, or refused.

GDAL treats a GeoJSON file without a ``crs`` member as WGS84 and accepts any number as a
longitude, so a projected file (x = 627873) was stored as lon/lat without a word. Here the
file's own declaration and the user's ``--crs`` are reconciled explicitly:

- the file declares a CRS: it is used; a different ``--crs`` is an error naming both;
- the file declares none: ``--crs`` gives it; without one a GeoJSON file is read as
  RFC 7946 WGS84 lon/lat, a Shapefile without ``.prj`` is refused;
- ``--crs gcj02`` / ``bd09`` (AMap/Tencent, Baidu) name lon/lat with the Chinese offsets:
  converted to WGS84 with the same converter as patrol tracks (``domain.chinacoords``);
- the result must lie in China (the service area): coordinates that cannot be lon/lat, or
  that land outside China, are refused with the hint to pass ``--crs``;
- a file that looks like a DataV.GeoAtlas (AMap) download and declares nothing gets a
  warning naming GCJ-02, the system those files are in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from gis_service.domain.chinacoords import to_wgs84
from gis_service.domain.crs import STORAGE_CRS, transform
from gis_service.errors import InputError

WGS84 = CRS.from_epsg(4326)
# China's extent with a small margin (Pamir 73.5E, Wusu Li 135.1E, Zengmu Ansha 3.9N, Mohe 53.6N)
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

_OFFSET_SYSTEMS = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}
OFFSET_LABELS = {"gcj02": "GCJ-02", "bd09": "BD-09"}
_ALIASES = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490"}
_LONLAT_DATUMS = (CRS.from_epsg(4326), CRS.from_epsg(4490))
_MAX_LISTED = 5


@dataclass(frozen=True)
class CrsChoice:
    """A coordinate system as a user names it: a CRS, and optionally the Chinese offset."""

    text: str
    crs: CRS
    offset: str | None = None  # "gcj02" | "bd09": lon/lat on WGS84 shifted by that system

    def describe(self) -> str:
        return OFFSET_LABELS[self.offset] if self.offset else _name(self.crs)


@dataclass(frozen=True)
class SourceCrs:
    """What the importer decided the file's coordinates are, and why (for the report)."""

    crs: CRS
    offset: str | None
    origin: str  # "declared", "option", "declared+option", "assumed"

    def describe(self) -> str:
        base = _name(self.crs)
        if self.offset:
            base = f"{OFFSET_LABELS[self.offset]} on {base}"
        return {
            "declared": f"{base} (declared by the file)",
            "option": f"{base} (given with --crs)",
            "declared+option": f"{base} (file declares {_name(self.crs)}, --crs {self.offset})",
            "assumed": f"{base} (no declaration: GeoJSON default, RFC 7946)",
        }[self.origin]


def _name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def parse_crs_option(value: str | None) -> CrsChoice | None:
    """``--crs`` as typed: EPSG codes, WKT, PROJ strings, ``wgs84``/``cgcs2000``/``gcj02``/
    ``bd09``. Anything else is an error: an option must never be accepted and ignored."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    key = text.lower()
    if key in _OFFSET_SYSTEMS:
        return CrsChoice(text, WGS84, _OFFSET_SYSTEMS[key])
    if len(text) > 2000:
        raise InputError(f"unknown CRS {text[:40]!r}...: too long")
    try:
        crs = CRS.from_user_input(_ALIASES.get(key, text))
    except CRSError:
        raise InputError(
            f"unknown CRS {text!r}; give an EPSG code (EPSG:4490, EPSG:4545, ...), "
            "or gcj02 / bd09 for AMap/Tencent / Baidu coordinates"
        ) from None
    if not (crs.is_geographic or crs.is_projected) or crs.is_geocentric:
        raise InputError(f"CRS {text!r} ({crs.name}) is not a 2D geographic or projected CRS")
    return CrsChoice(text, crs)


def _same(a: CRS, b: CRS) -> bool:
    return a.equals(b, ignore_axis_order=True)


def resolve_source_crs(
    declared: CRS | None, option: CrsChoice | None, *, source: str, default_wgs84: bool
) -> SourceCrs:
    """Reconcile the file's declaration with ``--crs`` (see the module docstring)."""
    if declared is not None and option is not None:
        if option.offset is not None:
            # GCJ-02/BD-09 have no EPSG code: such files declare WGS84 (or CGCS2000) lon/lat
            if any(_same(declared, d) for d in _LONLAT_DATUMS):
                return SourceCrs(declared, option.offset, "declared+option")
        elif _same(declared, option.crs):
            return SourceCrs(declared, None, "declared")
        raise InputError(
            f"the file declares {_name(declared)} but --crs gives {option.describe()}; "
            "they disagree: fix the file's declaration or leave out --crs",
            source=source,
        )
    if declared is not None:
        return SourceCrs(declared, None, "declared")
    if option is not None:
        return SourceCrs(option.crs, option.offset, "option")
    if default_wgs84:
        return SourceCrs(WGS84, None, "assumed")
    raise InputError(
        "the file declares no CRS; give one (e.g. --crs EPSG:4490, or --crs gcj02 for "
        "AMap/DataV downloads)",
        source=source,
    )


def _where(indices: np.ndarray) -> str:
    shown = ", ".join(str(int(i) + 1) for i in indices[:_MAX_LISTED])
    more = f" and {len(indices) - _MAX_LISTED} more" if len(indices) > _MAX_LISTED else ""
    return f"feature(s) {shown}{more}"


def check_lonlat_possible(geometries: np.ndarray, source_crs: SourceCrs, *, source: str) -> None:
    """Geographic coordinates beyond ±180/±90 mean the file is projected, whatever it says."""
    if not source_crs.crs.is_geographic:
        return
    bounds = shapely.bounds(geometries)
    bad = np.flatnonzero(
        (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
    )
    if len(bad):
        xmax = float(np.nanmax(np.abs(bounds[bad][:, [0, 2]])))
        ymax = float(np.nanmax(np.abs(bounds[bad][:, [1, 3]])))
        raise InputError(
            f"{_where(bad)}: coordinates up to x={xmax:.0f}, y={ymax:.0f} cannot be longitude/"
            f"latitude, but the CRS is {source_crs.describe()}: the file is projected; "
            "pass its CRS with --crs (e.g. --crs EPSG:4545 for Gauss-Kruger CM 108E)",
            source=source,
        )


def to_storage(geometries: np.ndarray, source_crs: SourceCrs, *, source: str) -> np.ndarray:
    """Transform to WGS84 lon/lat (the storage CRS), removing a GCJ-02/BD-09 offset."""
    check_lonlat_possible(geometries, source_crs, source=source)
    out = geometries
    if not _same(source_crs.crs, WGS84):
        try:
            out = transform(out, source_crs.crs.to_wkt(), STORAGE_CRS)
        except CRSError as exc:
            raise InputError(
                f"cannot transform from {_name(source_crs.crs)}: {exc}", source=source
            ) from None
    if source_crs.offset is not None:
        system = source_crs.offset
        out = shapely.transform(
            out, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], system))
        )
    check_in_china(out, source_crs, source=source)
    return out


def check_in_china(geometries: np.ndarray, source_crs: SourceCrs, *, source: str) -> None:
    """Every feature must lie in the service area (China); else the CRS is almost surely
    wrong (a Gauss-Kruger file read in the wrong zone, lon/lat swapped, ...)."""
    bounds = shapely.bounds(geometries)
    finite = np.isfinite(bounds).all(axis=1)
    outside = finite & (
        (bounds[:, 0] < CHINA_LON[0])
        | (bounds[:, 2] > CHINA_LON[1])
        | (bounds[:, 1] < CHINA_LAT[0])
        | (bounds[:, 3] > CHINA_LAT[1])
    )
    bad = np.flatnonzero(outside)
    if len(bad):
        b = bounds[bad[0]]
        raise InputError(
            f"{_where(bad)} lie outside China (first at lon {b[0]:.4f}..{b[2]:.4f}, lat "
            f"{b[1]:.4f}..{b[3]:.4f} read as {source_crs.describe()}): the CRS is probably "
            "wrong; pass the right one with --crs (e.g. --crs EPSG:4545, --crs gcj02)",
            source=source,
        )


DATAV_MARKERS = ("adcode", "parent", "acroutes", "childrenNum", "centroid")


def looks_like_datav(columns: list[str]) -> bool:
    """A DataV.GeoAtlas download (AMap district service): ``adcode`` and a nested
    ``parent`` (``{"adcode": 450500}``) or DataV's other members."""
    names = set(columns)
    return "adcode" in names and len(names & set(DATAV_MARKERS)) >= 2


def datav_warning(columns: list[str], source_crs: SourceCrs) -> str | None:
    """The warning for an undeclared DataV file (read as WGS84, likely GCJ-02: ~500 m off)."""
    if source_crs.origin != "assumed" or not looks_like_datav(columns):
        return None
    return (
        "the file looks like a DataV.GeoAtlas (AMap) download (adcode, parent.adcode) and "
        "declares no CRS: such files are usually GCJ-02, 100-700 m from WGS84; it was read "
        "as WGS84. If it is GCJ-02, undo this import and import again with --crs gcj02"
    )
