"""Maps benchmark: coverage map size and build time, vector tile latency.

    .venv/bin/python -m benchmarks.maps_bench [--tiles 300] [--repeat 3]

A scratch database holds the sample region (北海市) with every sample patrol track ingested.

A. the 2026-Q3 coverage map of the city (450500) and of a county (合浦县 450521): audit, data,
   folium build and render (median of ``--repeat``), page size served (assets from
   /static/vendor) and standalone (everything inlined). Baseline: the same map from the
   stored geometry, unsimplified and at full coordinate precision.
C. a generated county (benchmarks.cases, 650 rivers: ~2,000 village segments) with random
   coverage and gaps, built by the pure builder: the size an office's real county gives.
B. ``--tiles`` vector tiles over the sample extent at zooms 8-14, all four layers, through the
   app (FastAPI + ST_AsMVT): p50/p95 latency. Baselines in the same process: the tile SQL
   without the index filter (the envelope test on transformed geometry), on the same tiles;
   and the bytes of GeoJSON of the same features against the bytes of the tiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate, tiles
from gis_service.db.engine import database_url, with_database
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.maps import assets, geometry
from gis_service.maps.base import MapOptions
from gis_service.maps.coverage import build_coverage_map

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 10, 15)
OPTIONS = MapOptions(basemap="none")


def _scratch_database() -> str:
    from gis_service.services.patrols import Upload, ingest_patrols
    from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample
    from gis_service.services.zoning import rebuild_zoning

    url = with_database(database_url(get_settings()), "gis_service_maps_bench")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    ensure_tracks(SAMPLE_DIR)
    folder = SAMPLE_DIR / "tracks"
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    uploads = [
        Upload((folder / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in manifest.itertuples()
    ]
    engine = create_engine(url)
    with engine.connect() as conn:
        load_sample(conn)
        rebuild_zoning(conn)
        for k in range(0, len(uploads), 50):
            ingest_patrols(conn, uploads[k : k + 50], now=NOW)
        conn.commit()
    engine.dispose()
    return url


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def bench_maps(engine, repeat: int) -> None:
    from gis_service.services.maps import coverage_data

    print("A. coverage map, 2026-Q3 (assets served / inlined):")
    for region in ("450500", "450521"):
        with engine.connect() as conn:
            data_s, data = _median_time(
                lambda r=region, c=conn: coverage_data(
                    c, r, "2026-Q3", as_of=AS_OF, timezone=DEFAULT_TIMEZONE
                ),
                repeat,
            )

        def build(detail=None, d=data):
            return assets.render(build_coverage_map(d, OPTIONS, detail=detail), "served")

        build_s, served = _median_time(build, repeat)
        raw_s, raw = _median_time(lambda: build(geometry.RAW), repeat)
        inline = assets.render(build_coverage_map(data, OPTIONS), "inline")
        detail = geometry.detail_for(geometry.total_bounds(data.regions))
        mb = len(served.encode()) / 1e6
        raw_mb = len(raw.encode()) / 1e6
        print(
            f"   {data.region_name} ({region}): {len(data.segments)} segments, "
            f"{len(data.gaps)} gaps, {len(data.zones)} zones, {len(data.regions)} regions; "
            f"tolerance {detail.tolerance_m:.1f} m, {detail.decimals} decimals"
        )
        print(
            f"      audit + data {data_s:.2f} s, build + render {build_s:.2f} s; "
            f"page {mb:.2f} MB served, {len(inline.encode()) / 1e6:.2f} MB standalone"
        )
        print(
            f"      baseline unsimplified, full precision: {raw_mb:.2f} MB, "
            f"build + render {raw_s:.2f} s -> {raw_mb / mb:.1f}x larger"
        )


def generated_county(seed: int = 1):
    """CoverageData of a generated ~40 km county: all levels, random coverage and gaps."""
    import geopandas as gpd

    from benchmarks.cases import segmented_county
    from gis_service.domain import crs
    from gis_service.maps.coverage import CoverageData

    case, _, res = segmented_county(seed=seed)
    r = case.regions
    s = res.segments
    rng = np.random.default_rng(seed)
    geoms = crs.to_storage(res.lines.substrings(s.river, s.start, s.end), case.crs)
    ratio = np.clip(rng.beta(2, 1.5, len(s)), 0, 1)
    ids = [f"S{k}" for k in range(len(s))]
    segments = gpd.GeoDataFrame(
        {
            "id": ids,
            "river": [f"河{k}" for k in s.river],
            "level": s.level,
            "region": "某镇",
            "chiefs": "张三",
            "ratio": ratio,
            "patrols": "2/6",
            "last_patrol": "2026-09-01",
            "length_m": s.length,
            "unassigned": rng.random(len(s)) < 0.03,
            "search": [f"河{k} 张三" for k in s.river],
            "kind": "inside",
        },
        geometry=geoms,
        crs=4326,
    )
    gap = ratio < 0.999
    lo = s.start + s.length * ratio
    gaps = gpd.GeoDataFrame(
        {
            "target_id": np.array(ids)[gap],
            "river": "河",
            "level": s.level[gap],
            "length_m": (s.end - lo)[gap],
        },
        geometry=crs.to_storage(res.lines.substrings(s.river[gap], lo[gap], s.end[gap]), case.crs),
        crs=4326,
    )
    keep = np.isin(r["level"], ["county", "township", "village"])
    regions = gpd.GeoDataFrame(
        {"code": r["code"][keep], "name": r["code"][keep], "level": r["level"][keep]},
        geometry=crs.to_storage(r["geometry"][keep], case.crs),
        crs=4326,
    )
    county = str(r["code"][keep][r["level"][keep] == "county"][0])
    return CoverageData(
        county, "生成县", "2026-Q3", "2026-10-15", regions, segments, gaps, region_level="county"
    )


def bench_generated(repeat: int) -> None:
    data = generated_county()
    counts = data.segments["level"].value_counts().to_dict()

    def build(detail=None):
        return assets.render(build_coverage_map(data, OPTIONS, detail=detail), "served")

    build_s, served = _median_time(build, repeat)
    raw_s, raw = _median_time(lambda: build(geometry.RAW), 1)
    mb, raw_mb = len(served.encode()) / 1e6, len(raw.encode()) / 1e6
    print(
        f"C. generated county: {len(data.segments)} segments {counts}, {len(data.gaps)} gaps, "
        f"{len(data.regions)} regions"
    )
    print(
        f"   build + render {build_s:.2f} s, page {mb:.2f} MB (goal < 5 MB); baseline "
        f"unsimplified, full precision: {raw_mb:.2f} MB, {raw_s:.2f} s -> {raw_mb / mb:.1f}x "
        "larger"
    )


def _tile_set(engine, n: int, seed: int = 1) -> list[tuple[str, int, int, int]]:
    """``n`` (layer, z, x, y) over the sample's extent, zooms 8-14, layers in turn."""
    with engine.connect() as conn:
        xmin, ymin, xmax, ymax = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM admin_region WHERE code = '450500') q"
            )
        ).one()

    rng = np.random.default_rng(seed)
    layers = list(tiles.LAYERS)
    out = []
    for k in range(n):
        z = int(rng.integers(8, 15))
        x0, y0 = tiles.tile_of(xmin, ymax, z)
        x1, y1 = tiles.tile_of(xmax, ymin, z)
        out.append(
            (
                layers[k % len(layers)],
                z,
                int(rng.integers(x0, x1 + 1)),
                int(rng.integers(y0, y1 + 1)),
            )
        )
    return out


def bench_tiles(engine, n: int) -> None:
    from fastapi.testclient import TestClient

    from gis_service.api.app import create_app
    from gis_service.services.zoning_queries import (
        joint_sections_geojson,
        segments_geojson,
        zones_geojson,
    )

    requests = _tile_set(engine, n)
    app_times, sizes = [], []
    with TestClient(create_app(engine)) as client:
        for layer, z, x, y in requests[:20]:  # warm-up: connections, plans
            client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
        for layer, z, x, y in requests:
            started = time.perf_counter()
            response = client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf")
            app_times.append(time.perf_counter() - started)
            assert response.status_code == 200
            sizes.append(len(response.content))
    sql_times, scan_times = [], []
    with engine.connect() as conn:
        for use_index, bucket in ((True, sql_times), (False, scan_times)):
            for layer, z, x, y in requests:
                started = time.perf_counter()
                tiles.tile(conn, layer, z, x, y, use_index=use_index)
                bucket.append(time.perf_counter() - started)
        geojson = sum(
            len(json.dumps(fc, ensure_ascii=False).encode())
            for fc in (
                segments_geojson(conn, region="450500"),
                zones_geojson(conn, region="450500"),
                joint_sections_geojson(conn, region="450500"),
            )
        )

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) * 1000

    nonempty = sum(1 for s in sizes if s)
    print(f"B. vector tiles: {len(requests)} requests, zooms 8-14, 4 layers, {nonempty} non-empty")
    print(
        f"   through the app: p50 {pct(app_times, 50):.1f} ms, p95 {pct(app_times, 95):.1f} ms "
        f"(goal p95 < 150 ms); mean size {statistics.mean(sizes) / 1000:.1f} kB"
    )
    print(
        f"   tile SQL alone: p50 {pct(sql_times, 50):.1f} ms, p95 {pct(sql_times, 95):.1f} ms; "
        f"baseline without the index filter: p50 {pct(scan_times, 50):.1f} ms, "
        f"p95 {pct(scan_times, 95):.1f} ms -> {statistics.mean(scan_times) / statistics.mean(sql_times):.1f}x "  # noqa: E501
        "slower"
    )
    print(
        f"   GeoJSON of every segment, zone and joint section of the city: "
        f"{geojson / 1e6:.2f} MB, against {statistics.mean(sizes) / 1000:.1f} kB per tile"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    url = _scratch_database()
    print(f"scratch database with the sample and its tracks: {time.perf_counter() - started:.1f} s")
    engine = create_engine(url)
    try:
        bench_maps(engine, args.repeat)
        bench_generated(args.repeat)
        bench_tiles(engine, args.tiles)
    finally:
        engine.dispose()
        admin.drop_database(url)


if __name__ == "__main__":
    main()
