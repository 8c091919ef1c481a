"""Administrative regions: real county boundaries, synthetic townships and villages tiling them.

Counties come from DataV.GeoAtlas (AMap, GCJ-02) and are converted to WGS84 first, because the
rest of the system (GPS tracks, RFC 7946 GeoJSON) is WGS84. Townships and villages are Voronoi
cells of seed points inside the parent, relaxed by Lloyd iterations for compact shapes and cut
by the parent. Every level above the villages is then rebuilt as the exact union of its
children *after* rounding to the output grid, so that children tile their parent exactly in
the written file (no slivers from rounding, no gaps, no overlaps).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis_service.domain.chinacoords import gcj02_to_wgs84
from gis_service.domain.crs import transform

from . import CITY_CODE, METRIC_CRS, STORAGE_CRS

GRID_DEG = 1e-7  # output grid, ~1 cm; GeoJSON is written with 7 decimals
NODE_GRID_M = 1e-3
PROVINCE_SIMPLIFY_M = 50.0
LLOYD_ITERATIONS = 2
TOTAL_VILLAGES = 150

COUNTIES: dict[str, str] = {
    "450502": "海城区",
    "450503": "银海区",
    "450512": "铁山港区",
    "450521": "合浦县",
}

# township code suffix, name, approximate seat (lon, lat in WGS84) used as the initial seed so
# that names land roughly where the real township is; the polygons themselves are synthetic.
TOWNSHIPS: dict[str, list[tuple[str, str, float, float]]] = {
    "450502": [("001", "中街街道", 109.100, 21.480), ("002", "东街街道", 109.130, 21.470)],
    "450503": [
        ("100", "福成镇", 109.330, 21.580),
        ("101", "银滩镇", 109.150, 21.430),
        ("102", "平阳镇", 109.220, 21.540),
        ("103", "侨港镇", 109.100, 21.440),
    ],
    "450512": [
        ("100", "南康镇", 109.530, 21.620),
        ("101", "营盘镇", 109.420, 21.500),
        ("102", "兴港镇", 109.560, 21.530),
    ],
    "450521": [
        ("100", "廉州镇", 109.200, 21.660),
        ("101", "党江镇", 109.100, 21.630),
        ("102", "西场镇", 108.970, 21.700),
        ("103", "星岛湖镇", 109.030, 21.830),
        ("104", "石康镇", 109.300, 21.770),
        ("105", "常乐镇", 109.380, 21.850),
        ("106", "闸口镇", 109.430, 21.710),
        ("107", "公馆镇", 109.530, 21.800),
        ("108", "白沙镇", 109.600, 21.680),
        ("109", "山口镇", 109.720, 21.600),
    ],
}
# 海城区's islands (涠洲岛, 斜阳岛) form one township of their own
ISLAND_TOWNSHIP = ("450502", "100", "涠洲镇")

_NAME_HEAD = "大小新上下东西南北石沙龙凤黄白青长高平安福永太和清桥坡岭塘湾双三六木竹"
_NAME_TAIL = "坡岭塘湾江山田垌坑岗埠屋寮墩洲湖头背角面岸埇窝冲桥"


def load_counties(realdata: Path) -> tuple[list[str], np.ndarray]:
    """The four Beihai counties in metres, converted GCJ-02 -> WGS84 and made valid."""
    features = json.loads((realdata / "450500_full.json").read_text(encoding="utf-8"))["features"]
    by_code = {str(f["properties"]["adcode"]): f for f in features}
    codes = sorted(COUNTIES)
    geoms = np.array([shapely.geometry.shape(by_code[c]["geometry"]) for c in codes])
    return codes, transform(_gcj_to_wgs(geoms), STORAGE_CRS, METRIC_CRS)


def load_province(realdata: Path) -> BaseGeometry:
    """Guangxi as the union of its cities, in WGS84, simplified ~50 m to keep the file small."""
    features = json.loads((realdata / "450000_full.json").read_text(encoding="utf-8"))["features"]
    geoms = _gcj_to_wgs(np.array([shapely.geometry.shape(f["geometry"]) for f in features]))
    merged_m = transform(shapely.union_all(geoms), STORAGE_CRS, METRIC_CRS)
    simple = shapely.simplify(merged_m, PROVINCE_SIMPLIFY_M, preserve_topology=True)
    return _to_grid(transform(simple, METRIC_CRS, STORAGE_CRS))


def _gcj_to_wgs(geoms: np.ndarray) -> np.ndarray:
    wgs = shapely.transform(geoms, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    return shapely.make_valid(wgs)


def random_points_in(poly: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform random points (as an (n, 2) array) inside a polygon, by rejection sampling."""
    xmin, ymin, xmax, ymax = poly.bounds
    shapely.prepare(poly)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(max(64, 8 * n), 2))
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
    return np.concatenate(found)[:n]


def tessellate(
    parent: BaseGeometry,
    seeds: np.ndarray,
    iterations: int = LLOYD_ITERATIONS,
) -> np.ndarray:
    """Voronoi cells of seeds cut by parent, after a few Lloyd relaxations; one per seed.

    Seeds stay inside the parent (a centroid outside a concave cell is replaced by a point on
    the cell's surface), so every cell keeps its seed and is never empty.
    """
    extent = shapely.buffer(shapely.envelope(parent), 1000.0)
    shapely.prepare(parent)
    for step in range(iterations + 1):
        diagram = shapely.voronoi_polygons(
            shapely.multipoints(seeds), extend_to=extent, ordered=True
        )
        cells = shapely.intersection(shapely.get_parts(diagram), parent)
        if step == iterations:
            return np.array([polygonal(c) for c in cells])
        centre = shapely.centroid(cells)
        inside = shapely.contains(parent, centre)
        moved = np.where(inside, centre, shapely.point_on_surface(cells))
        seeds = shapely.get_coordinates(moved)
    raise AssertionError("unreachable")


def polygonal(geom: BaseGeometry) -> shapely.MultiPolygon:
    """Keep the polygon parts of an overlay result (drops touching lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    for p in shapely.get_parts(geom):
        if p.geom_type == "MultiPolygon":
            parts.extend(shapely.get_parts(p))
    return shapely.MultiPolygon(parts)


def _to_grid(geom: BaseGeometry) -> shapely.MultiPolygon:
    """Round to the output grid (valid result), counter-clockwise shells as RFC 7946 asks."""
    snapped = shapely.set_precision(geom, GRID_DEG)
    return polygonal(shapely.orient_polygons(snapped))


def snap_coverage(geoms: np.ndarray, grid: float = GRID_DEG) -> np.ndarray:
    """Node a polygon coverage on the output grid so that neighbours share identical edges.

    Cells cut separately by different parents get different vertices along the same boundary;
    rounded independently they would leave centimetre slivers. Snap-rounding all boundaries
    together (overlay with grid_size), polygonising the faces and giving each face to the cell
    containing it yields a coverage whose shared edges are vertex-for-vertex identical.
    """
    lines = shapely.union_all(shapely.boundary(geoms), grid_size=grid)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    face_idx, cell_idx = shapely.STRtree(geoms).query(
        shapely.point_on_surface(faces), predicate="within"
    )
    out = []
    for i in range(len(geoms)):
        mine = faces[face_idx[cell_idx == i]]
        merged = shapely.union_all(mine, grid_size=grid)
        out.append(polygonal(shapely.orient_polygons(merged)))
    return np.array(out)


def _seeds(parent: BaseGeometry, n: int, hints: Sequence[tuple[float, float]], rng) -> np.ndarray:
    """Initial seeds: the approximate real seats where they fall inside, random points elsewhere."""
    seeds = random_points_in(parent, n, rng)
    if hints:
        hint_xy = shapely.get_coordinates(
            transform(shapely.points(np.array(hints)), STORAGE_CRS, METRIC_CRS)
        )
        ok = shapely.contains_xy(parent, hint_xy[:, 0], hint_xy[:, 1])
        seeds[: len(hints)][ok] = hint_xy[ok]
    return seeds


def village_names(count: int, rng: np.random.Generator) -> list[str]:
    """Distinct invented two-syllable place names (head + tail syllable)."""
    combos = [h + t for h in _NAME_HEAD for t in _NAME_TAIL if h != t]
    order = rng.permutation(len(combos))
    return [combos[i] for i in order[:count]]


def _village_counts(areas: np.ndarray) -> np.ndarray:
    """Half an even share, half proportional to area: ~7-8 villages per township, min 4."""
    share = 0.5 / len(areas) + 0.5 * areas / areas.sum()
    return np.maximum(4, np.round(TOTAL_VILLAGES * share)).astype(int)


def build_regions(realdata: Path, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """All regions (province .. village) as a GeoDataFrame in EPSG:4326, sorted by code."""
    county_codes, county_m = load_counties(realdata)
    town_rows: list[tuple[str, str, str]] = []  # code, name, parent
    town_geoms: list[BaseGeometry] = []
    for code, county in zip(county_codes, county_m, strict=True):
        spec = TOWNSHIPS[code]
        land = county
        if code == ISLAND_TOWNSHIP[0]:
            parts = shapely.get_parts(county)
            biggest = parts[np.argmax(shapely.area(parts))]
            islands = polygonal(shapely.difference(county, biggest))
            town_rows.append((code + ISLAND_TOWNSHIP[1], ISLAND_TOWNSHIP[2], code))
            town_geoms.append(islands)
            land = polygonal(biggest)
        hints = [(lon, lat) for _, _, lon, lat in spec]
        cells = tessellate(land, _seeds(land, len(spec), hints, rng))
        for (suffix, name, _, _), cell in zip(spec, cells, strict=True):
            town_rows.append((code + suffix, name, code))
            town_geoms.append(cell)

    counts = _village_counts(shapely.area(np.array(town_geoms)))
    names = iter(village_names(int(counts.sum()), rng))
    village_rows: list[tuple[str, str, str]] = []
    village_geoms: list[BaseGeometry] = []
    for (tcode, tname, _), tgeom, n in zip(town_rows, town_geoms, counts, strict=True):
        cells = tessellate(tgeom, random_points_in(tgeom, int(n), rng))
        # order villages west -> east for readable codes; the seat community comes first
        order = np.argsort(shapely.get_x(shapely.centroid(cells)), kind="stable")
        for rank, idx in enumerate(order):
            street = tname.endswith("街道")
            is_community = street or rank == 0
            suffix = f"{rank + 1:03d}" if street else ("001" if rank == 0 else f"{199 + rank:03d}")
            village_rows.append(
                (tcode + suffix, next(names) + ("社区" if is_community else "村"), tcode)
            )
            village_geoms.append(cells[idx])

    # node in metres first (both sides of every edge get the same vertices, so the edges stay
    # identical through the curved projection), then once more on the output degree grid
    noded_m = snap_coverage(np.array(village_geoms), grid=NODE_GRID_M)
    villages = list(snap_coverage(transform(noded_m, METRIC_CRS, STORAGE_CRS)))
    towns = _union_children(town_rows, village_rows, villages)
    county_rows = [(c, COUNTIES[c], CITY_CODE) for c in county_codes]
    counties = _union_children(county_rows, town_rows, towns)
    city = polygonal(shapely.orient_polygons(shapely.union_all(counties, grid_size=GRID_DEG)))
    rows = [
        ("450000", "广西壮族自治区", "province", None, load_province(realdata)),
        (CITY_CODE, "北海市", "city", "450000", city),
    ]
    for level, meta, geoms in (
        ("county", county_rows, counties),
        ("township", town_rows, towns),
        ("village", village_rows, villages),
    ):
        rows.extend((c, n, level, p, g) for (c, n, p), g in zip(meta, geoms, strict=True))
    rows.sort(key=lambda r: r[0])
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "level": [r[2] for r in rows],
            "parent_code": [r[3] for r in rows],
            "kind": "government",
        },
        geometry=[r[4] for r in rows],
        crs=STORAGE_CRS,
    )


def _union_children(
    parents: list[tuple[str, str, str]],
    children: list[tuple[str, str, str]],
    child_geoms: list[BaseGeometry],
) -> list[shapely.MultiPolygon]:
    """Each parent as the exact union of its (already rounded) children, in parents' order."""
    out = []
    for code, _, _ in parents:
        mine = [g for (_, _, p), g in zip(children, child_geoms, strict=True) if p == code]
        merged = shapely.union_all(np.array(mine), grid_size=GRID_DEG)
        out.append(polygonal(shapely.orient_polygons(merged)))
    return out
