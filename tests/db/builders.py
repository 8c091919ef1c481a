"""Tiny, hand-checkable input files for importer tests, in projected (non-WGS84) CRSs."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

GK_108 = "EPSG:4545"  # CGCS2000 / 3-degree Gauss-Kruger CM 108E

# a 'city' of two counties side by side, 10 km x 10 km each, near 108E 21.5N (metres)
X0, Y0 = 480_000.0, 2_380_000.0


def regions_frame(crs: str = GK_108) -> gpd.GeoDataFrame:
    west = shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)
    east = shapely.box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 10_000)
    town = shapely.box(X0, Y0, X0 + 10_000, Y0 + 5_000)
    frame = gpd.GeoDataFrame(
        {
            "code": ["990100", "990101", "990102", "990101001"],
            "name": ["试验市", "西县", "东县", "西县一镇"],
            "level": ["city", "county", "county", "township"],
            "parent_code": [None, "990100", "990100", "990101"],
        },
        geometry=[shapely.union(west, east), west, east, town],
        crs=GK_108,
    )
    return frame.to_crs(crs)


def rivers_frame(crs: str = GK_108) -> gpd.GeoDataFrame:
    main = shapely.LineString([(X0 + 1_000, Y0 + 9_000), (X0 + 19_000, Y0 + 1_000)])
    confluence = shapely.line_interpolate_point(main, 0.5, normalized=True)
    trib = shapely.LineString([(X0 + 2_000, Y0 + 1_000), (confluence.x, confluence.y)])
    lake = shapely.Point(X0 + 15_000, Y0 + 8_000).buffer(500)
    frame = gpd.GeoDataFrame(
        {
            "code": ["T-R1", "T-R1-1", "T-K1"],
            "name": ["试验河", "试验支流", "试验水库"],
            "kind": ["river", "river", "reservoir"],
            "parent_code": [None, "T-R1", None],
            "managing_region_code": ["990100", "990101", "990102"],
            "buffer_width_m": [50.0, 30.0, None],
        },
        geometry=[main, trib, lake],
        crs=GK_108,
    )
    return frame.to_crs(crs)


def write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """GeoJSON / GeoPackage / zipped Shapefile by suffix."""
    if path.suffix == ".zip":
        shp = path.with_suffix(".shp")
        with warnings.catch_warnings():  # DBF truncates long column names: expected
            warnings.simplefilter("ignore")
            frame.to_file(shp, engine="pyogrio")
        with zipfile.ZipFile(path, "w") as zf:
            for part in path.parent.glob(shp.stem + ".*"):
                if part.suffix != ".zip":
                    zf.write(part, part.name)
        return path
    frame.to_file(path, engine="pyogrio")
    return path
