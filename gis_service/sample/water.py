"""Water bodies: the real Nanliu line, synthetic rivers, tributaries, a canal and still waters.

Synthetic lines are smooth curves through a few control points (EPSG:4545 km, chosen by hand on
the real county map so that rivers do not cross each other, each main river crosses a county
boundary and reaches the coast), with sine meanders and 50-100 m vertex spacing. Tributaries
end exactly on a vertex of their main stem, and one of them follows the real 合浦县/铁山港区
boundary for ~5 km, so zoning code meets a river that *is* an administrative boundary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from gis_service.domain.crs import transform

from . import CITY_CODE, METRIC_CRS, STORAGE_CRS

KM = 1000.0
MAIN_WIDTH_M, TRIB_WIDTH_M, CANAL_WIDTH_M = 50.0, 30.0, 20.0
SHORE_RING_M = 200.0
GSHHG_SOURCE = "GSHHG 2.3.7 river data (LGPL-3+), real course, generalised ~1:250k"
SYNTHETIC = "synthetic (sample generator)"


@dataclass(frozen=True)
class RiverSpec:
    code: str
    name: str
    ctrl_km: tuple[tuple[float, float], ...]  # source -> mouth, EPSG:4545 km


MAIN_RIVERS = (
    RiverSpec(
        "R4505-02", "洪潮江", ((634, 2405), (629.5, 2397), (627, 2388), (625, 2378), (623, 2364))
    ),
    RiverSpec(
        "R4505-03",
        "旺盛江",
        ((648, 2414), (649.5, 2406), (648.7, 2398), (649, 2388), (648, 2378), (647.5, 2366)),
    ),
    RiverSpec(
        "R4505-04",
        "马江",
        (
            (671, 2414),
            (668, 2404),
            (664.5, 2396),
            (663.5, 2391.7),
            (662, 2385),
            (660.5, 2378),
            (660, 2366),
        ),
    ),
)


@dataclass(frozen=True)
class TribSpec:
    code: str
    name: str
    main: str
    source_km: tuple[float, float]
    join_km: tuple[float, float]  # hint: the nearest main-stem vertex is the confluence
    level: str  # managing level: county or township
    reversed: bool = False


TRIBUTARIES = (
    TribSpec("R4505-01-01", "武利江", "R4505-01", (602, 2411), (611.5, 2397.5), "county"),
    TribSpec("R4505-01-02", "周江", "R4505-01", (622, 2392.5), (616, 2399), "township"),
    TribSpec("R4505-02-01", "大岭河", "R4505-02", (640.5, 2394), (628, 2390), "county"),
    TribSpec("R4505-02-02", "那丽河", "R4505-02", (619.5, 2382), (625.8, 2381), "township", True),
    TribSpec("R4505-03-01", "清水江", "R4505-03", (640.5, 2385), (648.8, 2390), "township"),
    TribSpec("R4505-03-02", "白沙河", "R4505-03", (642.5, 2409.5), (649.5, 2403), "county"),
    TribSpec("R4505-04-01", "小江", "R4505-04", (681, 2381), (667.5, 2400), "county"),
)
# 界河 follows the 合浦县/铁山港区 boundary between these chainages (m along the shared line)
BOUNDARY_TRIB = TribSpec("R4505-04-02", "界河", "R4505-04", (655.5, 2402.5), (663, 2390), "county")
BOUNDARY_COUNTIES = ("450521", "450512")
BOUNDARY_CHAINAGE_M = (20000.0, 25500.0)

CANAL = RiverSpec(
    "Q4505-01", "合浦总江干渠", ((630, 2410.8), (624, 2412.5), (616, 2411.5), (609.5, 2412))
)

# reservoir: code, name, river code, chainage range (m) of the flooded stretch, managing level
RESERVOIRS = (
    ("K4505-01", "洪潮江水库", "R4505-02", (1500.0, 6500.0), "city"),
    ("K4505-02", "旺盛江水库", "R4505-03", (2500.0, 7000.0), "county"),
    ("K4505-03", "小江水库", "R4505-04-01", (3000.0, 7000.0), "county"),
)
LAKE = ("H4505-01", "白鹭湖")
N_PONDS = 7


# ---------------------------------------------------------------- line construction helpers


def catmull_rom(ctrl: np.ndarray, step: float = 20.0) -> np.ndarray:
    """Smooth curve through control points (uniform Catmull-Rom), sampled every ~step metres."""
    pts = np.vstack([2 * ctrl[0] - ctrl[1], ctrl, 2 * ctrl[-1] - ctrl[-2]])
    out = [ctrl[:1]]
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        n = max(2, int(np.linalg.norm(p2 - p1) / step))
        t = np.linspace(0, 1, n + 1)[1:, None]
        seg = 0.5 * (
            2 * p1
            + (-p0 + p2) * t
            + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
            + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
        )
        out.append(seg)
    return np.vstack(out)


def _chainage(xy: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])


def meander(
    ctrl: np.ndarray,
    rng: np.random.Generator,
    amplitude: tuple[float, float] = (120.0, 320.0),
    spacing: tuple[float, float] = (50.0, 100.0),
    taper_m: float = 800.0,
) -> np.ndarray:
    """Meandering polyline through the first and last control point, 50-100 m vertex spacing.

    The lateral offset is a sum of three sines (wavelengths 1.2-4 km) tapered to zero at both
    ends, so that the end points stay exactly where they were asked to be (confluences).
    """
    base = catmull_rom(ctrl)
    s = _chainage(base)
    tangent = np.gradient(base, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    lam = rng.uniform(1200.0, 4000.0, 3)
    amp = rng.uniform(*amplitude, 3) / 2.0
    phase = rng.uniform(0, 2 * np.pi, 3)
    offset = (amp * np.sin(2 * np.pi * s[:, None] / lam + phase)).sum(axis=1)
    offset *= np.clip(np.minimum(s, s[-1] - s) / taper_m, 0.0, 1.0)
    wiggly = base + normal * offset[:, None]
    return resample(wiggly, rng, spacing)


def resample(xy: np.ndarray, rng: np.random.Generator, spacing: tuple[float, float]) -> np.ndarray:
    """Vertices at random 50-100 m steps along a dense polyline, end points kept exactly."""
    s = _chainage(xy)
    steps = np.cumsum(rng.uniform(*spacing, int(s[-1] / spacing[0]) + 2))
    at = steps[steps < s[-1] - spacing[0] / 2]
    inner = np.column_stack([np.interp(at, s, xy[:, 0]), np.interp(at, s, xy[:, 1])])
    return np.vstack([xy[:1], inner, xy[-1:]])


def cut_at_coast(xy: np.ndarray, land: BaseGeometry) -> np.ndarray:
    """Drop what lies beyond the first exit from the land: the river ends on the coast."""
    line = shapely.linestrings(xy)
    crossings = shapely.get_coordinates(shapely.intersection(line, land.boundary))
    where = shapely.line_locate_point(line, shapely.points(crossings))
    end = float(np.min(where))
    s = _chainage(xy)
    keep = xy[s < end]
    return np.vstack([keep, shapely.get_coordinates(shapely.line_interpolate_point(line, end))])


# ---------------------------------------------------------------- water body assembly


@dataclass
class Water:
    code: str
    name: str
    kind: str
    geom: BaseGeometry  # metric
    parent_code: str | None = None
    managing_level: str = "city"
    managing_region_code: str = CITY_CODE
    flow_reversed: bool = False
    buffer_width_m: float = 0.0
    source: str = SYNTHETIC


def _nanliu(realdata: Path, city: BaseGeometry) -> np.ndarray:
    """The real Nanliu from its first approach within 1 km of Beihai down to the mouth."""
    data = json.loads((realdata / "nanliu_river_gshhg.geojson").read_text(encoding="utf-8"))
    line = transform(
        shapely.geometry.shape(data["features"][0]["geometry"]), STORAGE_CRS, METRIC_CRS
    )
    xy = shapely.get_coordinates(line)
    near = shapely.distance(shapely.points(xy), city) < 1 * KM
    return xy[int(np.argmax(near)) :]


def _join_index(main_xy: np.ndarray, hint: tuple[float, float]) -> int:
    d = np.hypot(main_xy[:, 0] - hint[0] * KM, main_xy[:, 1] - hint[1] * KM)
    return int(np.argmin(d[1:-1])) + 1


def _clean(trib: np.ndarray, others: list[BaseGeometry], main: BaseGeometry) -> bool:
    """A tributary touches its main stem only at its end and crosses no other water."""
    line = shapely.linestrings(trib)
    if not shapely.is_simple(line):
        return False
    head = shapely.linestrings(trib[:-2])
    if shapely.distance(head, main) < 30.0:
        return False
    return not any(shapely.intersects(line, o) for o in others)


def _tributary(spec: TribSpec, main_xy: np.ndarray, others, rng) -> np.ndarray:
    join = main_xy[_join_index(main_xy, spec.join_km)]
    src = np.array(spec.source_km) * KM
    mid = (src + join) / 2
    main = shapely.linestrings(main_xy)
    for _ in range(50):
        ctrl = np.vstack([src, mid + rng.normal(0, 300, 2), join])
        xy = meander(ctrl, rng, amplitude=(80.0, 220.0), taper_m=500.0)
        xy[-1] = join
        if _clean(xy, others, main):
            return xy
    raise RuntimeError(f"could not route tributary {spec.name}")


def _boundary_trib(main_xy, counties: dict[str, BaseGeometry], others, rng) -> np.ndarray:
    """界河: meanders to the county boundary, follows it exactly, then joins the main stem."""
    a, b = (counties[c] for c in BOUNDARY_COUNTIES)
    shared = shapely.line_merge(shapely.intersection(a.boundary, b.boundary))
    shared = max(shapely.get_parts(shared), key=lambda g: g.length)
    piece = substring(shared, *BOUNDARY_CHAINAGE_M)
    piece_xy = shapely.get_coordinates(piece)
    spec = BOUNDARY_TRIB
    join = main_xy[_join_index(main_xy, spec.join_km)]
    main = shapely.linestrings(main_xy)
    src = np.array(spec.source_km) * KM
    for _ in range(50):
        up = meander(np.vstack([src, piece_xy[0]]), rng, amplitude=(60.0, 150.0), taper_m=400.0)
        mid = (piece_xy[-1] + join) / 2 + rng.normal(0, 150, 2)
        down = meander(
            np.vstack([piece_xy[-1], mid, join]), rng, amplitude=(40.0, 100.0), taper_m=300.0
        )
        xy = np.vstack([up[:-1], piece_xy, down[1:]])
        xy[-1] = join
        if _clean(xy, others, main):
            return xy
    raise RuntimeError("could not route the boundary tributary")


def _longest_region(line: BaseGeometry, regions: gpd.GeoDataFrame, level: str) -> str:
    sub = regions[regions["level"] == level]
    lengths = shapely.length(shapely.intersection(sub["geom_m"].to_numpy(), line))
    return str(sub["code"].to_numpy()[int(np.argmax(lengths))])


def _reservoir(
    river: BaseGeometry,
    span: tuple[float, float],
    land: BaseGeometry,
    avoid: list[BaseGeometry],
    rng,
) -> BaseGeometry:
    """Irregular water polygon around a river stretch: a valley widening towards the dam."""
    stretch = substring(river, *span)
    at = np.arange(0.0, stretch.length, 100.0)
    centres = shapely.line_interpolate_point(stretch, at)
    grow = 350.0 + 650.0 * (at / at[-1]) + 200.0 * np.sin(at / rng.uniform(600, 1200))
    body = shapely.union_all(shapely.buffer(centres, grow, quad_segs=8))
    arms = []
    for _ in range(5):
        base = shapely.get_coordinates(
            shapely.line_interpolate_point(stretch, rng.uniform(0.2, 0.9), normalized=True)
        )[0]
        ang = rng.uniform(0, 2 * np.pi)
        tip = base + rng.uniform(900, 1800) * np.array([np.cos(ang), np.sin(ang)])
        arms.append(shapely.buffer(shapely.linestrings([base, tip]), rng.uniform(150, 300)))
    water = shapely.union_all([body, *arms]).buffer(120).buffer(-120)
    water = shapely.intersection(water, land.buffer(-150.0))
    for other in avoid:
        water = shapely.difference(water, other.buffer(150.0))
    water = shapely.simplify(water, 10.0)
    parts = shapely.get_parts(water)
    return parts[np.argmax(shapely.length(shapely.intersection(parts, river)))]


def _blob(centre: np.ndarray, area_m2: float, rng, n: int = 24) -> BaseGeometry:
    """Irregular roundish polygon of about the given area (lake, pond)."""
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = np.sqrt(area_m2 / np.pi) * (
        1 + 0.18 * np.sin(3 * ang + rng.uniform(0, 6)) + rng.uniform(-0.06, 0.06, n)
    )
    xy = centre + np.column_stack([r * np.cos(ang), r * np.sin(ang)])
    return shapely.make_valid(shapely.polygons(np.vstack([xy, xy[:1]])))


def build_water(
    regions: gpd.GeoDataFrame, realdata: Path, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """All water bodies as a GeoDataFrame in EPSG:4326, sorted by code."""
    regions = regions.assign(geom_m=transform(regions.geometry.to_numpy(), STORAGE_CRS, METRIC_CRS))
    by_code = dict(zip(regions["code"], regions["geom_m"], strict=True))
    city = by_code[CITY_CODE]
    county = by_code["450521"]
    waters: list[Water] = []
    lines: dict[str, np.ndarray] = {}

    lines["R4505-01"] = _nanliu(realdata, city)
    waters.append(
        Water(
            "R4505-01",
            "南流江",
            "river",
            shapely.linestrings(lines["R4505-01"]),
            buffer_width_m=MAIN_WIDTH_M,
            source=GSHHG_SOURCE,
        )
    )
    for spec in MAIN_RIVERS:
        for _ in range(50):
            xy = cut_at_coast(meander(np.array(spec.ctrl_km) * KM, rng), city)
            line = shapely.linestrings(xy)
            if shapely.is_simple(line) and not any(
                shapely.intersects(line, shapely.linestrings(o)) for o in lines.values()
            ):
                break
        else:
            raise RuntimeError(f"could not route river {spec.name}")
        lines[spec.code] = xy
        waters.append(Water(spec.code, spec.name, "river", line, buffer_width_m=MAIN_WIDTH_M))

    canal_xy = resample(catmull_rom(np.array(CANAL.ctrl_km) * KM), rng, (60.0, 100.0))
    lines[CANAL.code] = canal_xy

    def others(exclude: str) -> list[BaseGeometry]:
        return [shapely.linestrings(v) for k, v in lines.items() if k != exclude]

    for trib in TRIBUTARIES:
        xy = _tributary(trib, lines[trib.main], others(trib.main), rng)
        lines[trib.code] = xy
    counties = {c: by_code[c] for c in BOUNDARY_COUNTIES}
    lines[BOUNDARY_TRIB.code] = _boundary_trib(
        lines[BOUNDARY_TRIB.main], counties, others(BOUNDARY_TRIB.main), rng
    )
    for trib in (*TRIBUTARIES, BOUNDARY_TRIB):
        xy = lines[trib.code]
        line = shapely.linestrings(xy)
        region = _longest_region(line, regions, trib.level)
        stored = shapely.linestrings(xy[::-1]) if trib.reversed else line
        source = SYNTHETIC
        if trib is BOUNDARY_TRIB:
            source += "; follows the real 合浦县/铁山港区 boundary for ~5.5 km"
        if trib.reversed:
            source += "; deliberately digitised mouth -> source"
        waters.append(
            Water(
                trib.code,
                trib.name,
                "river",
                stored,
                trib.main,
                trib.level,
                region,
                trib.reversed,
                TRIB_WIDTH_M,
                source,
            )
        )
    canal = shapely.linestrings(canal_xy)
    waters.append(
        Water(
            CANAL.code,
            CANAL.name,
            "canal",
            canal,
            None,
            "county",
            _longest_region(canal, regions, "county"),
            False,
            CANAL_WIDTH_M,
        )
    )

    all_lines = {k: shapely.linestrings(v) for k, v in lines.items()}
    for code, name, river_code, span, level in RESERVOIRS:
        avoid = [g for k, g in all_lines.items() if k != river_code]
        poly = _reservoir(all_lines[river_code], span, county, avoid, rng)
        region = CITY_CODE if level == "city" else _largest_region(poly, regions, level)
        waters.append(
            Water(code, name, "reservoir", poly, None, level, region, buffer_width_m=SHORE_RING_M)
        )

    still = [w.geom for w in waters if w.kind == "reservoir"]
    waters.append(_lake(regions, [*all_lines.values(), *still], rng))
    waters.extend(_ponds(regions, [*all_lines.values(), *still, waters[-1].geom], rng))
    return _to_frame(waters)


def _largest_region(poly: BaseGeometry, regions: gpd.GeoDataFrame, level: str) -> str:
    sub = regions[regions["level"] == level]
    areas = shapely.area(shapely.intersection(sub["geom_m"].to_numpy(), poly))
    return str(sub["code"].to_numpy()[int(np.argmax(areas))])


def _lake(regions: gpd.GeoDataFrame, water: list[BaseGeometry], rng) -> Water:
    """A ~1.5 km² lake centred on a township boundary, as far from other water as possible."""
    towns = regions[regions["level"] == "township"]
    inner = shapely.union_all(shapely.boundary(towns["geom_m"].to_numpy()))
    outer = shapely.boundary(regions.loc[regions["level"] == "city", "geom_m"].iloc[0])
    inner = shapely.difference(inner, outer.buffer(1.0))
    parts = shapely.get_parts(shapely.line_merge(inner))
    cand = np.concatenate(
        [shapely.line_interpolate_point(p, np.arange(0.0, p.length, 250.0)) for p in parts]
    )
    obstacles = shapely.union_all([*water, outer])
    clearance = shapely.distance(cand, obstacles)
    # keep away from township corners (a third township would get a share)
    corners = shapely.multipoints(
        np.vstack([shapely.get_coordinates(shapely.boundary(p)) for p in parts])
    )
    clearance = np.minimum(clearance, shapely.distance(cand, corners))
    centre = shapely.get_coordinates(cand[int(np.argmax(clearance))])[0]
    poly = _blob(centre, 1.5e6, rng, n=32)
    region = _largest_region(poly, regions, "county")
    return Water(
        LAKE[0], LAKE[1], "lake", poly, None, "county", region, buffer_width_m=SHORE_RING_M
    )


def _ponds(regions: gpd.GeoDataFrame, water: list[BaseGeometry], rng) -> list[Water]:
    """Small village ponds (0.5-5 ha), away from rivers, well inside one village."""
    villages = regions[regions["level"] == "village"].reset_index(drop=True)
    obstacles = shapely.union_all(water).buffer(300.0)
    out: list[Water] = []
    for idx in rng.permutation(len(villages)):
        if len(out) == N_PONDS:
            break
        village = villages["geom_m"].iloc[idx]
        core = shapely.difference(village.buffer(-250.0), obstacles)
        if core.is_empty or core.area < 1e5:
            continue
        centre = shapely.get_coordinates(shapely.point_on_surface(core))[0]
        pond = _blob(centre, rng.uniform(5e3, 5e4), rng)
        out.append(
            Water(
                f"T4505-{len(out) + 1:02d}",
                f"{villages['name'].iloc[idx][:2]}塘",
                "pond",
                pond,
                None,
                "village",
                str(villages["code"].iloc[idx]),
                buffer_width_m=10.0,
            )
        )
    return out


def _to_frame(waters: list[Water]) -> gpd.GeoDataFrame:
    waters = sorted(waters, key=lambda w: w.code)
    geoms = transform(np.array([w.geom for w in waters]), METRIC_CRS, STORAGE_CRS)
    geoms = shapely.orient_polygons(shapely.set_precision(geoms, 1e-7))
    return gpd.GeoDataFrame(
        {
            "code": [w.code for w in waters],
            "name": [w.name for w in waters],
            "kind": [w.kind for w in waters],
            "parent_code": [w.parent_code for w in waters],
            "managing_level": [w.managing_level for w in waters],
            "managing_region_code": [w.managing_region_code for w in waters],
            "flow_reversed": [w.flow_reversed for w in waters],
            "buffer_width_m": [float(w.buffer_width_m) for w in waters],
            "source": [w.source for w in waters],
        },
        geometry=geoms,
        crs=STORAGE_CRS,
    )
