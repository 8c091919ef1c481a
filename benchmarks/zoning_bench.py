"""Zoning benchmark: the sample region and a generated province, against a naive baseline.

    .venv/bin/python -m benchmarks.zoning_bench [--rivers 40000] [--baseline-rivers 200]

Prints wall-clock figures for the sample (Beihai) and the province-scale case (default:
20,000 villages in 2,000 townships, 100 counties, 40,000 rivers, 200 reservoirs), and the
ratio against the simplest approach (for every river, a Python loop intersecting it with
every region of every level whose bounding box it touches), measured on a subset of rivers
in the same process and extrapolated per river.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks.cases import CRS as CASE_CRS
from benchmarks.cases import province_case
from gis_service.domain.zoning import ZoningConfig, build_zoning
from gis_service.services.zoning import compute

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _timed(label: str, func, *args, **kwargs):
    started = time.perf_counter()
    result = func(*args, **kwargs)
    seconds = time.perf_counter() - started
    print(f"{label:<48} {seconds:8.2f} s", flush=True)
    return result, seconds


def sample_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    regions = gpd.read_file(SAMPLE / "regions.geojson").to_crs(4545).sort_values("code")
    waters = gpd.read_file(SAMPLE / "water_bodies.geojson").to_crs(4545).sort_values("code")
    return pd.DataFrame(regions), pd.DataFrame(waters).assign(management_range=None)


def province_frames(n_rivers: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    case = province_case(n_rivers=n_rivers)
    regions = pd.DataFrame(case.regions)
    rivers = pd.DataFrame(
        {**case.rivers, "kind": "river", "flow_reversed": False, "buffer_width_m": 30.0}
    )
    reservoirs = pd.DataFrame(
        {
            "code": case.reservoirs["code"],
            "kind": "reservoir",
            "geometry": case.reservoirs["geometry"],
            "parent_code": None,
            "managing_level": "county",
            "flow_reversed": False,
            "buffer_width_m": 200.0,
        }
    )
    waters = pd.concat([rivers, reservoirs], ignore_index=True).assign(management_range=None)
    return regions.sort_values("code"), waters.sort_values("code")


def naive_seconds_per_river(regions: pd.DataFrame, rivers: np.ndarray, n: int) -> float:
    """The simplest approach: loop over rivers and regions, intersect pairwise."""
    geoms = regions["geometry"].to_numpy()
    bounds = shapely.bounds(geoms)
    subset = rivers[:n]
    started = time.perf_counter()
    pieces = 0
    for river in subset:
        minx, miny, maxx, maxy = river.bounds
        for geom, (a, b, c, d) in zip(geoms, bounds, strict=True):
            if a > maxx or c < minx or b > maxy or d < miny:
                continue
            piece = river.intersection(geom)
            if not piece.is_empty:
                pieces += 1
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rivers", type=int, default=40_000)
    parser.add_argument("--baseline-rivers", type=int, default=200)
    args = parser.parse_args()
    config = ZoningConfig()

    print("== sample region (Beihai) ==")
    regions, waters = sample_frames()
    zoning, _ = _timed("sample: full zoning", build_zoning, regions, waters, config)
    print(f"   {zoning.counts()}")

    print(f"== province case: {args.rivers} rivers ==")
    (regions, waters), _ = _timed(
        "province: generate case (not zoning)", province_frames, args.rivers
    )
    levels = regions["level"].value_counts().to_dict()
    print(f"   regions {levels}, waters {waters['kind'].value_counts().to_dict()}")
    zoning, seconds = _timed(
        "province: full zoning (segments, zones, joints)", build_zoning, regions, waters, config
    )
    counts = zoning.counts()
    print(f"   {counts}")
    rivers = waters[waters["kind"] == "river"]["geometry"].to_numpy()
    per_river = naive_seconds_per_river(regions, rivers, args.baseline_rivers)
    naive_total = per_river * len(rivers)
    print(
        f"{'baseline: pairwise intersection loop':<48} {per_river * 1000:8.2f} ms/river "
        f"(measured on {args.baseline_rivers} rivers)"
    )
    print(f"{'baseline extrapolated to all rivers':<48} {naive_total:8.1f} s")
    print(
        f"ratio baseline / ours: {naive_total / seconds:.1f}x  "
        f"(ours also detects boundary stretches, builds polygons, joint sections, zones)"
    )
    print(f"goal: province case under 60 s -> {'met' if seconds < 60 else 'NOT met'}")

    print("== province case in lon/lat through the service (projection per zone) ==")
    lonlat_regions, lonlat_waters = _lonlat(regions, waters)
    (zoning, epsg), seconds = _timed(
        "province: service compute (per-zone units)", compute, lonlat_regions, lonlat_waters
    )
    print(f"   main zone EPSG:{epsg}, zones {getattr(zoning, 'metric_zones', None)}")
    print(f"goal: province case under 60 s -> {'met' if seconds < 60 else 'NOT met'}")


def _lonlat(regions: pd.DataFrame, waters: pd.DataFrame):
    """The metric case as stored in the database: lon/lat frames."""
    r = gpd.GeoDataFrame(regions, geometry="geometry", crs=CASE_CRS).to_crs(4326)
    w = gpd.GeoDataFrame(waters, geometry="geometry", crs=CASE_CRS).to_crs(4326)
    mr = gpd.GeoSeries(waters["management_range"], crs=CASE_CRS).to_crs(4326)
    w["management_range"] = mr.to_numpy()
    return r, w


if __name__ == "__main__":
    main()
