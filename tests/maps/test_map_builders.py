"""The map builders, assets and geometry helpers, on small frames made here (no database)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gis_service.domain import crs
from gis_service.maps import assets, geometry, style, vendor
from gis_service.maps.base import MapOptions
from gis_service.maps.coverage import CoverageData, build_coverage_map
from gis_service.maps.patrol import PatrolData, build_patrol_map, playback_period
from gis_service.maps.river import RiverData, build_river_map

NONE = MapOptions(basemap="none")


def _wiggle(x0: float, y0: float, n: int = 400, length_deg: float = 0.05) -> shapely.LineString:
    s = np.linspace(0, length_deg, n)
    return shapely.LineString(np.column_stack([x0 + s, y0 + 0.002 * np.sin(s * 400)]))


def _data(n_segments: int = 6, problems: int = 0) -> CoverageData:
    lines = [_wiggle(109.1 + 0.06 * k, 21.6) for k in range(n_segments)]
    segments = gpd.GeoDataFrame(
        {
            "id": [f"R1/village/45052110{k}/1" for k in range(n_segments)],
            "river": "南流江",
            "level": ["village"] * (n_segments - 2) + ["township"] * 2,
            "region": "石湾镇",
            "chiefs": [f"张{k}" for k in range(n_segments)],
            "ratio": np.linspace(0, 1, n_segments),
            "patrols": "2/6",
            "last_patrol": "2026-09-01",
            "length_m": 5000.0,
            "unassigned": [False] * (n_segments - 1) + [True],
            "search": [f"南流江 张{k}" for k in range(n_segments)],
            "kind": "inside",
        },
        geometry=lines,
        crs=4326,
    )
    gaps = gpd.GeoDataFrame(
        {
            "target_id": segments["id"][:3],
            "river": "南流江",
            "level": "village",
            "length_m": 800.0,
        },
        geometry=[
            shapely.line_interpolate_point(g, 0.5, normalized=True).buffer(0.01).exterior
            for g in lines[:3]
        ],
        crs=4326,
    )
    box = shapely.box(109.0, 21.5, 109.6, 21.8)
    regions = gpd.GeoDataFrame(
        {
            "code": ["450521", "450521100"],
            "name": ["合浦县", "廉州镇"],
            "level": ["county", "township"],
        },
        geometry=[box, shapely.box(109.0, 21.5, 109.3, 21.8)],
        crs=4326,
    )
    pts = gpd.GeoDataFrame(
        {
            "id": range(problems),
            "category_label": "非法采砂",
            "status_label": "已交办",
            "description": "<b>河道采砂</b>",
            "reported_at": pd.Timestamp("2026-08-01T10:00:00+08:00"),
            "deadline": "2026-08-20",
            "overdue": True,
        },
        geometry=shapely.points(
            np.column_stack([np.full(problems, 109.2), np.full(problems, 21.65)])
        ),
        crs=4326,
    )
    return CoverageData(
        region_code="450521",
        region_name="合浦县",
        period="2026-Q3",
        as_of="2026-10-15",
        regions=regions,
        segments=segments,
        gaps=gaps,
        problems=pts,
        region_level="county",
    )


def feature_counts(html: str, *css_classes: str) -> int:
    """Features embedded in the GeoJSON layers whose className has all these classes."""
    total = 0
    for name in re.findall(r"function (geo_json_\w+)_styler", html):
        styler = html[html.index(f"function {name}_styler") :]
        styler = styler[: styler.index("\n        }\n")]
        classes = set(" ".join(re.findall(r'"className": "([^"]*)"', styler)).split())
        if not set(css_classes) <= classes:
            continue
        found = re.search(rf"{name}_add\((\{{.*?\}})\);\n", html, re.S)
        assert found is not None, name
        payload = found.group(1)
        total += len(json.loads(payload)["features"])
    return total


# -- geometry ---------------------------------------------------------------------------------


def test_simplification_is_metric_and_coordinates_rounded():
    line = _wiggle(109.1, 21.6, n=2000)
    detail = geometry.Detail(5.0, 5)
    out = geometry.simplify(np.array([line]), detail)[0]
    assert shapely.get_num_coordinates(out) < shapely.get_num_coordinates(line) / 4
    xy = shapely.get_coordinates(out)
    assert np.allclose(xy, np.round(xy, 5))
    # the simplified line stays within the tolerance of the original, measured in metres
    epsg = crs.gauss_kruger_epsg(109.1)
    a, b = crs.to_metric(np.array([line, out]), epsg)
    assert shapely.hausdorff_distance(a, b) < 5.0 + 1.0


def test_detail_follows_the_zoom():
    county = geometry.detail_for((109.0, 21.4, 109.8, 22.1))
    village = geometry.detail_for((109.20, 21.60, 109.21, 21.61))
    province = geometry.detail_for((104.4, 20.9, 112.1, 26.4))
    assert village.tolerance_m < county.tolerance_m < province.tolerance_m
    assert village.decimals == 6 and province.decimals is not None and province.decimals <= 5
    assert county.decimals in (5, 6)
    assert geometry.decimals_for(0) == 6


def test_feature_collection_drops_empty_and_keeps_properties():
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b"], "v": [np.float64(1.5), np.nan]},
        geometry=[shapely.LineString([(109, 21), (109.1, 21.1)]), shapely.LineString()],
        crs=4326,
    )
    fc = geometry.feature_collection(frame, geometry.FULL, id_column="id")
    assert len(fc["features"]) == 1 and fc["features"][0]["id"] == "a"
    assert fc["features"][0]["properties"] == {"id": "a", "v": 1.5}


def test_coverage_colours_bins():
    colours = style.coverage_colours(
        np.array([0.0, 0.2, 0.6, 0.9, 1.0, 0.5]), np.array([0, 0, 0, 0, 0, 1], dtype=bool)
    )
    assert list(colours) == [
        "#d7301f",
        "#fdae61",
        "#6baed6",
        "#2171b5",
        "#08306b",
        style.UNASSIGNED_COLOUR,
    ]


# -- assets -----------------------------------------------------------------------------------


def test_every_mapped_asset_is_vendored_and_small():
    assert vendor.missing_files() == []
    size = sum(f.stat().st_size for f in vendor.VENDOR_DIR.rglob("*") if f.is_file())
    assert size < 3_000_000
    sources = (vendor.VENDOR_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for package in vendor.PACKAGES:
        assert f"| {package.name} | {package.version} | {package.licence} |" in sources


def test_api_docs_assets_are_vendored_apart_and_load_nothing_remote():
    """Swagger UI and ReDoc: present, kept out of the maps' folder, no CDN inside (ReDoc's
    Redocly logo from cdn.redoc.ly is rewritten to an inline image when vendored)."""
    docs = [p for p in vendor.PACKAGES if p.for_docs]
    assert {p.name for p in docs} == {"swagger-ui-dist", "redoc"}
    for package in docs:
        assert (vendor.DOCS_VENDOR_DIR / package.folder).is_dir()
        assert not (vendor.VENDOR_DIR / package.folder).exists()
    size = sum(f.stat().st_size for f in vendor.DOCS_VENDOR_DIR.rglob("*") if f.is_file())
    assert size < 3_500_000
    redoc = (vendor.DOCS_VENDOR_DIR / vendor.REDOC_JS).read_text(encoding="utf-8")
    assert "cdn.redoc.ly" not in redoc and "fonts.googleapis" not in redoc


def test_vendored_css_loads_nothing_remote():
    for css in vendor.VENDOR_DIR.rglob("*.css"):
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8"))
        remote = [u for u in urls if u.startswith(("http:", "https:", "//"))]
        assert remote == [], css


def test_served_mode_points_every_asset_at_static_vendor():
    html = assets.render(build_coverage_map(_data(problems=2), NONE), "served")
    srcs = re.findall(r'<script src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html
    )
    assert srcs and all(s.startswith("/static/vendor/") for s in srcs)
    for src in srcs:
        assert (vendor.VENDOR_DIR / src.removeprefix("/static/vendor/")).is_file(), src
    assert assets.remote_references(html) == []
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_inline_mode_is_one_self_contained_file():
    html = assets.render(build_coverage_map(_data(), NONE), "inline")
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    assert "L.Control.Search" in html and "data:image/png;base64," in html
    assert assets.remote_references(html) == []


def test_cdn_mode_and_basemaps_are_remote():
    html = assets.render(build_coverage_map(_data(), MapOptions()), "cdn")
    refs = assets.remote_references(html)
    assert any("cdn.jsdelivr.net" in r for r in refs)
    assert any("tile.openstreetmap.org" in r for r in refs)
    tdt = assets.render(
        build_coverage_map(_data(), MapOptions(basemap="tianditu", tianditu_key="abc123")),
        "served",
    )
    assert "vec_w/wmts" in tdt and "cva_w/wmts" in tdt and "tk=abc123" in tdt
    with pytest.raises(ValueError, match="key"):
        MapOptions(basemap="tianditu")


def test_unknown_cdn_asset_is_refused():
    m = build_coverage_map(_data(), NONE)
    m.default_js = [*m.default_js, ("x", "https://cdn.example.com/x.js")]
    with pytest.raises(assets.UnknownAssetError):
        assets.render(m, "served")


# -- coverage map -------------------------------------------------------------------------------


def test_coverage_map_layers_counts_and_chinese_labels():
    data = _data(n_segments=6, problems=3)
    html = assets.render(build_coverage_map(data, NONE), "served")
    assert feature_counts(html, "gis-segment") == 6
    assert feature_counts(html, "gis-gap") == 3
    assert "河段覆盖率" in html and "未巡河段" in html  # the legend, in Chinese
    assert "合浦县 巡河覆盖图" in html
    for field in ("河长", "层级", "覆盖率", "巡河次数(实巡/应巡)", "最近巡河"):
        assert json.dumps(field) in html  # popup aliases (JSON-escaped by folium)
    assert json.dumps("张1") in html and '"2/6"' in html
    # problems: clustered, their HTML escaped
    assert "L.markerClusterGroup" in html
    assert "\\u0026lt;b\\u0026gt;" in html  # &lt;b&gt;, JSON-escaped
    assert "<b>河道采砂</b>" not in html and "\\u003cb\\u003e\\u6cb3" not in html
    assert "L.Control.Search" in html and "L.control.layers" in html


def test_coverage_map_in_english_and_without_problems():
    html = assets.render(
        build_coverage_map(_data(), MapOptions(basemap="none", lang="en")), "served"
    )
    assert "Segment coverage" in html and "Patrol coverage" in html
    assert "L.markerClusterGroup" not in html
    with pytest.raises(ValueError):
        MapOptions(lang="fr")  # type: ignore[arg-type]


def test_tracks_only_when_asked():
    data = _data()
    data.tracks = gpd.GeoDataFrame(
        {"id": ["p1"], "chief": ["张1"], "status": ["valid"], "started": ["2026-08-01T09:00"]},
        geometry=[_wiggle(109.1, 21.61)],
        crs=4326,
    )
    without = assets.render(build_coverage_map(data, NONE), "served")
    assert feature_counts(without, "gis-track") == 0
    with_tracks = assets.render(
        build_coverage_map(data, MapOptions(basemap="none", include_tracks=True)), "served"
    )
    assert feature_counts(with_tracks, "gis-track") == 1


def test_tile_mode_embeds_figures_not_geometry():
    data = _data(n_segments=6)
    html = assets.render(
        build_coverage_map(data, NONE, tiles_url="/tiles/{layer}/{z}/{x}/{y}.pbf"), "served"
    )
    assert "L.vectorGrid.protobuf" in html and "/tiles/segments/{z}/{x}/{y}.pbf" in html
    assert "/static/vendor/leaflet.vectorgrid-1.3.0/" in html
    assert feature_counts(html, "gis-segment") == 0
    assert "R1/village/450521105/1" in html  # the coverage lookup by segment id
    assert assets.remote_references(html) == []


def test_simplification_shrinks_the_page():
    data = _data(n_segments=6)
    small = assets.render(build_coverage_map(data, NONE), "served")
    big = assets.render(build_coverage_map(data, NONE, detail=geometry.RAW), "served")
    assert len(small) < 0.6 * len(big)


# -- patrol and river maps ----------------------------------------------------------------------


def test_patrol_map_playback_and_dropped_points():
    n = 300
    line = _wiggle(109.2, 21.6, n=n, length_deg=0.02)
    times = pd.date_range("2026-08-01T01:00:00Z", periods=n, freq="6s")
    reason = np.array([""] * n, dtype=object)
    reason[[10, 50, 51]] = ["duplicate", "jump", "jump"]
    points = gpd.GeoDataFrame(
        {"time": times, "ref": [f"trkpt {k + 1}" for k in range(n)], "reason": reason},
        geometry=shapely.points(shapely.get_coordinates(line)),
        crs=4326,
    )
    seg = gpd.GeoDataFrame(
        {
            "id": ["s1"],
            "river": ["马江"],
            "level": ["village"],
            "ratio": [0.6],
            "covered_m": [1200.0],
            "length_m": [2000.0],
        },
        geometry=[line],
        crs=4326,
    )
    half = shapely.line_interpolate_point(line, 0.5, normalized=True)
    covered = gpd.GeoDataFrame(
        {"target_id": ["s1"], "river": ["马江"]},
        geometry=[line.intersection(half.buffer(0.005))],
        crs=4326,
    )
    data = PatrolData(
        "p1",
        "张三",
        "valid",
        [],
        "2026-08-01T01:00:00+00:00",
        "2026-08-01T01:30:00+00:00",
        2100.0,
        points,
        seg,
        covered,
        covered.iloc[:0],
    )
    html = assets.render(build_patrol_map(data, NONE), "served")
    assert "L.timeDimension" in html and '"times"' in html
    assert feature_counts(html, "gis-dropped") == 3
    assert feature_counts(html, "gis-covered") == 1
    assert json.dumps("跳点") in html and "重复点" in html  # reasons in Chinese
    assert "/static/vendor/leaflet-timedimension-1.1.1/" in html
    assert assets.remote_references(html) == []
    assert playback_period(1800) == "PT10S" and playback_period(36000) == "PT180S"


def test_river_map_colours_regions_and_neighbours():
    lines = [_wiggle(109.1 + 0.05 * k, 21.6, length_deg=0.05) for k in range(3)]
    segments = gpd.GeoDataFrame(
        {
            "id": ["r/county/1", "r/county/2", "r/county/3"],
            "level": "county",
            "kind": ["inside", "boundary", "inside"],
            "region_code": ["450521", None, "450502"],
            "left_region_code": [None, "450521", None],
            "right_region_code": [None, "450502", None],
            "region": ["合浦县", None, "海城区"],
            "left_bank": [None, "合浦县", None],
            "right_bank": [None, "海城区", None],
            "chainage_from_m": [0.0, 5000.0, 10000.0],
            "chainage_to_m": [5000.0, 10000.0, 15000.0],
            "length_m": 5000.0,
            "chiefs": ["李四(河段长)", "", "王五(河段长)"],
        },
        geometry=lines,
        crs=4326,
    )
    down = gpd.GeoDataFrame(
        {
            "id": ["m/county/1"],
            "river": ["南流江"],
            "level": ["county"],
            "region": ["合浦县"],
            "chiefs": ["赵六"],
            "distance_m": [0.0],
        },
        geometry=[_wiggle(109.25, 21.6)],
        crs=4326,
    )
    empty = down.iloc[:0]
    data = RiverData(
        "r",
        "武利江",
        "2026-10-15",
        segments,
        empty.copy(),
        empty.copy(),
        empty.copy(),
        down,
        "county",
        convener="合浦县",
    )
    html = assets.render(build_river_map(data, NONE), "served")
    assert feature_counts(html, "gis-river-segment") == 3
    assert feature_counts(html, "gis-downstream") == 1
    assert json.dumps("左岸 合浦县 / 右岸 海城区") in html
    assert "武利江 河流协调图" in html and "联席会议召集县" in html
    colours = set(re.findall(r'"color": "(#[0-9a-f]{6})", "dashArray"', html))
    assert len(colours) >= 2  # the two counties differ


def test_verdict_reasons_read_in_chinese_with_their_figures():
    from gis_service.domain.verdict import INVALIDATING, SUSPECT
    from gis_service.maps.verdict_reasons import REASON_LABELS, reason_text, reasons_line

    # every code the verdict can give has a label in both languages
    assert INVALIDATING | SUSPECT | {"mostly_off_assignment"} <= set(REASON_LABELS)
    assert reason_text({"code": "too_short_time", "value": 432.0}) == "巡河时长不足(7.2 分钟)"
    english = reason_text({"code": "jumps", "value": 3}, "en")
    assert english == "points jumped away and back (3 points)"
    assert reason_text({"code": "reused_geometry", "value": None}) == "与已上传轨迹相同"
    assert reason_text("something_new") == "something_new"  # shown, never dropped
    line = reasons_line([{"code": "vehicle_speed", "value": 41.6}, {"code": "jumps", "value": 5}])
    assert line == "原因：疑似乘车巡河(约 42 公里/小时)；轨迹跳点(5 个点)"
    assert reasons_line([]) == ""


def test_a_tile_basemap_gets_the_fallback_to_the_own_base():
    """With a tile URL the river map carries its own base hidden, and the element that
    switches it on when the tiles fail; with no tiles the base is simply shown."""
    line = _wiggle(109.1, 21.6)
    segments = gpd.GeoDataFrame(
        {
            "id": ["r/county/1"],
            "level": "county",
            "kind": ["inside"],
            "region_code": ["450521"],
            "left_region_code": [None],
            "right_region_code": [None],
            "region": ["合浦县"],
            "left_bank": [None],
            "right_bank": [None],
            "chainage_from_m": [0.0],
            "chainage_to_m": [5000.0],
            "length_m": 5000.0,
            "chiefs": ["李四(河段长)"],
        },
        geometry=[line],
        crs=4326,
    )
    regions = gpd.GeoDataFrame(
        {"code": ["450521"], "name": ["合浦县"], "level": ["county"]},
        geometry=[line.buffer(0.05)],
        crs=4326,
    )
    waters = gpd.GeoDataFrame({"name": ["洪潮江水库"]}, geometry=[line.buffer(0.01)], crs=4326)
    empty = gpd.GeoDataFrame(
        {"id": [], "river": [], "level": [], "region": [], "chiefs": [], "distance_m": []},
        geometry=[],
        crs=4326,
    )
    data = RiverData(
        "r", "武利江", "2026-10-15", segments, empty, empty, empty, empty, "county",
        base_regions=regions, base_waters=waters,
    )  # fmt: skip
    tiled = assets.render(
        build_river_map(data, MapOptions(basemap="http://10.0.0.1/t/{z}/{x}/{y}.png")), "served"
    )
    assert "gis-basemap-notice" in tiled and "底图服务无法访问" in tiled
    # the base layers exist but are not added to the map until the tiles fail
    found = re.search(r"var fallback = \[([^\]]*)\]", tiled)
    assert found is not None
    fallback = found.group(1).split(", ")
    assert len(fallback) == 3  # waters, names, county boundaries
    for name in fallback:
        assert f"{name}.addTo(" not in tiled, name
    plain = assets.render(build_river_map(data, NONE), "served")
    assert "gis-basemap-notice" not in plain and "gis-base-region" in plain
