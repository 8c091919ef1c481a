"""Synthetic zoning cases for benchmarks: nested regions, river networks and reservoirs.

Everything is generated in memory from a seed (never written to git or disk), in metres
(CGCS2000 GK CM108E, EPSG:4545), fast enough that a province of 20,000 villages and 40,000
rivers costs seconds, so benchmarks can regenerate it instead of shipping fixtures.

Regions tile exactly level by level: each parent is split into Voronoi cells of seeds drawn
inside it (two Lloyd steps, so cells are compact), clipped to the parent. All cells are convex
because the province is a square and convex ∩ convex is convex. Sibling cells share vertices;
cells of different parents meet along the parents' shared edge but are not noded against each
other (T-junctions), which is how independently digitised boundaries look too.

Rivers are smoothed random walks on the heading, bounded to ±75° around a base direction, so
every river is a simple line that never doubles back. ~30% are tributaries ending exactly on a
vertex of an earlier main stem; ~1% copy a few km of a township boundary before leaving it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import shapely

CRS = "EPSG:4545"
PROVINCE_CODE = "990000"
CENTRE = (500_000.0, 2_400_000.0)
PROVINCE_SIDE_M = 400_000.0
COUNTY_SIDE_M = 40_000.0
LLOYD_STEPS = 2

LENGTH_MEDIAN_M, LENGTH_SIGMA = 3_000.0, 0.9
LENGTH_MIN_M, LENGTH_MAX_M = 500.0, 60_000.0
SPACING_M = (50.0, 150.0)
TRIBUTARY_SHARE, BOUNDARY_SHARE = 0.30, 0.01
CITY_SHARE, TOWNSHIP_SHARE = 0.02, 0.30
EDGE_MARGIN_M = 1.0
RESERVOIR_KM2 = (1.0, 20.0)


@dataclass
class ZoningCase:
    """Column arrays (ready for ``geopandas.GeoDataFrame(case.regions, crs=case.crs)``)."""

    regions: dict[str, np.ndarray]  # code, level, parent_code, geometry
    rivers: dict[str, np.ndarray]  # code, parent_code, geometry, managing_level
    reservoirs: dict[str, np.ndarray]  # code, geometry, river_code
    crs: str = CRS


def province_case(
    *,
    n_counties: int = 100,
    townships_per_county: int = 20,
    villages_per_township: int = 10,
    n_rivers: int = 40_000,
    n_reservoirs: int = 200,
    seed: int = 1,
) -> ZoningCase:
    """A ~400 km square province: ~sqrt(n_counties) cities, then counties, townships, villages."""
    n_cities = int(np.clip(round(np.sqrt(n_counties)), 1, 99))
    per_city = np.full(n_cities, n_counties // n_cities)
    per_city[: n_counties % n_cities] += 1
    return _build(
        PROVINCE_SIDE_M,
        [np.array([n_cities]), per_city, townships_per_county, villages_per_township],
        n_rivers,
        n_reservoirs,
        seed,
    )


def county_case(
    *,
    n_townships: int = 20,
    villages_per_township: int = 12,
    n_rivers: int = 400,
    n_reservoirs: int = 5,
    seed: int = 1,
) -> ZoningCase:
    """One ~40 km square county; its province and city have the county's own outline."""
    return _build(
        COUNTY_SIDE_M,
        [np.array([1]), np.array([1]), n_townships, villages_per_township],
        n_rivers,
        n_reservoirs,
        seed,
    )


def segmented_county(*, n_rivers: int = 650, seed: int = 1):
    """A county case with its rivers cut into segments per level (rivers managed by the
    townships): ``(case, hierarchy, segmentation)``."""
    from gis_service.domain.regions import RegionHierarchy
    from gis_service.domain.segmentation import segment_rivers

    case = county_case(n_rivers=n_rivers, seed=seed)
    r = case.regions
    h = RegionHierarchy.from_rows(r["code"], r["level"], r["parent_code"], r["geometry"])
    res = segment_rivers(
        case.rivers["geometry"], h, managing_levels=np.full(len(case.rivers["code"]), "township")
    )
    return case, h, res


# ---------------------------------------------------------------- regions


def _square(side: float) -> shapely.Polygon:
    half = side / 2.0
    return shapely.box(CENTRE[0] - half, CENTRE[1] - half, CENTRE[0] + half, CENTRE[1] + half)


def _build(
    side: float,
    children: list[np.ndarray | int],
    n_rivers: int,
    n_reservoirs: int,
    seed: int,
) -> ZoningCase:
    rng = np.random.default_rng(seed)
    outline = _square(side)
    regions = _regions(outline, children, rng)
    townships = regions["geometry"][regions["level"] == "township"]
    rivers = _rivers(outline, townships, n_rivers, rng)
    reservoirs = _reservoirs(outline, rivers, n_reservoirs, rng)
    return ZoningCase(regions, rivers, reservoirs)


def _regions(
    outline: shapely.Polygon, children: list[np.ndarray | int], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Province -> cities -> counties -> townships -> villages, codes chained by prefix."""
    levels = ("city", "county", "township", "village")
    geoms = [np.array([outline], dtype=object)]
    codes = [np.array([PROVINCE_CODE], dtype=object)]
    parents = [np.array([None], dtype=object)]
    for level, count in zip(levels, children, strict=True):
        parent_geoms, parent_codes = geoms[-1], codes[-1]
        counts = np.broadcast_to(np.asarray(count, dtype=np.int64), len(parent_geoms)).copy()
        limit = 999 if level in ("township", "village") else 99
        if counts.min() < 1 or counts.max() > limit:
            raise ValueError(f"{level}: 1..{limit} children per parent, got {counts.max()}")
        cells, parent_idx = _tile(parent_geoms, counts, rng)
        rank = np.arange(len(cells)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
        pc = parent_codes[parent_idx]
        if level == "city":
            code = [f"{p[:2]}{r:02d}00" for p, r in zip(pc, rank, strict=True)]
        elif level == "county":
            code = [f"{p[:4]}{r:02d}" for p, r in zip(pc, rank, strict=True)]
        else:
            code = [f"{p}{r:03d}" for p, r in zip(pc, rank, strict=True)]
        geoms.append(cells)
        codes.append(np.array(code, dtype=object))
        parents.append(pc)
    level_col = np.repeat(np.array(("province", *levels), dtype=object), [len(g) for g in geoms])
    return {
        "code": np.concatenate(codes),
        "level": level_col,
        "parent_code": np.concatenate(parents),
        "geometry": np.concatenate(geoms),
    }


def _tile(
    parents: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split parent i into counts[i] compact cells that tile it; cells are grouped by parent."""
    seeds = _sample_inside(parents, counts, rng)
    cells, parent_idx = _voronoi_cells(parents, seeds, counts)
    for _ in range(LLOYD_STEPS):  # centroids of convex cells stay inside (convex) parents
        seeds = shapely.get_coordinates(shapely.centroid(cells))
        cells, parent_idx = _voronoi_cells(parents, seeds, counts)
    return cells, parent_idx


def _sample_inside(polys: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """counts[i] uniform points inside polygon i by rejection in its bbox, grouped by polygon."""
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    need = counts.copy()
    got_idx, got_xy = [], []
    while need.sum() > 0:
        idx = np.repeat(np.arange(len(polys)), 2 * need + 2 * (need > 0))
        b = bounds[idx]
        x, y = rng.uniform(b[:, 0], b[:, 2]), rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(polys[idx], x, y)
        idx, x, y = idx[ok], x[ok], y[ok]
        keep = np.arange(len(idx)) - np.searchsorted(idx, idx) < need[idx]
        got_idx.append(idx[keep])
        got_xy.append(np.column_stack([x[keep], y[keep]]))
        need -= np.bincount(idx[keep], minlength=len(polys))
    order = np.argsort(np.concatenate(got_idx), kind="stable")
    return np.concatenate(got_xy)[order]


def _voronoi_cells(
    parents: np.ndarray, seeds: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi cells of each parent's seeds (in seed order) clipped to that parent."""
    parent_idx = np.repeat(np.arange(len(parents)), counts)
    cells = parents[parent_idx].copy()  # a single child is its parent
    multi = counts > 1
    if multi.any():
        sel = multi[parent_idx]
        compact = np.cumsum(multi)[parent_idx[sel]] - 1
        points = shapely.multipoints(seeds[sel], indices=compact)
        diagrams = shapely.voronoi_polygons(points, extend_to=parents[multi], ordered=True)
        parts, part_idx = shapely.get_parts(diagrams, return_index=True)
        if len(parts) != sel.sum():
            raise RuntimeError("coincident Voronoi seeds")
        cells[sel] = shapely.intersection(parts, parents[multi][part_idx])
    return _polygonal(cells), parent_idx


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Drop stray lower-dimensional pieces an overlay may return (never seen, but cheap)."""
    mixed = np.flatnonzero(shapely.get_type_id(geoms) == 7)
    for i in mixed:
        parts = shapely.get_parts(geoms[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        geoms[i] = shapely.union_all(polys)
    return geoms


# ---------------------------------------------------------------- rivers


def _lengths(n: int, max_m: float, rng: np.random.Generator) -> np.ndarray:
    """Log-normal lengths (median 3 km) truncated to [0.5 km, max_m] by redrawing."""
    out = np.empty(0)
    while len(out) < n:
        draw = np.exp(rng.normal(np.log(LENGTH_MEDIAN_M), LENGTH_SIGMA, 2 * (n - len(out)) + 8))
        out = np.concatenate([out, draw[(draw >= LENGTH_MIN_M) & (draw <= max_m)]])
    return out[:n]


def _group_cumsum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group start (starts: offsets incl. the total)."""
    c = np.cumsum(values)
    first = starts[:-1]
    return c - np.repeat(c[first] - values[first], np.diff(starts))


def _walks(
    lengths: np.ndarray,
    rng: np.random.Generator,
    final_heading: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Meandering lines starting at (0, 0): coords (V, 2) and group offsets (n + 1).

    The heading deviates from a base direction by a random walk mapped through sin (bounded,
    smooth) plus a sine meander, moving-averaged, |deviation| < 75°: each segment advances
    along the base direction, so the line is simple. With final_heading the base direction
    is chosen so that the last segment points that way (tributaries meeting their main stem).
    """
    n = len(lengths)
    n_seg = np.maximum(2, np.round(lengths / np.mean(SPACING_M))).astype(np.int64)
    counts = n_seg + 1
    starts = np.concatenate([[0], np.cumsum(counts)])
    river = np.repeat(np.arange(n), counts)
    first = starts[:-1]
    step = rng.uniform(*SPACING_M, starts[-1])
    step[first] = 0.0
    step *= np.repeat(lengths / np.add.reduceat(step, first), counts)
    s = _group_cumsum(step, starts)

    walk = rng.normal(0.0, 0.08, starts[-1])
    walk[first] = rng.uniform(0.0, 2 * np.pi, n)
    wavelength = rng.uniform(800.0, 3_000.0, n)[river]
    phase = rng.uniform(0.0, 2 * np.pi, n)[river]
    dev = np.radians(50.0) * np.sin(_group_cumsum(walk, starts))
    dev += np.radians(25.0) * np.sin(2 * np.pi * s / wavelength + phase)
    dev = _moving_average(dev, starts, river, 3)

    last = starts[1:] - 1
    base = rng.uniform(0.0, 2 * np.pi, n) if final_heading is None else final_heading - dev[last]
    heading = base[river] + dev
    x = _group_cumsum(step * np.cos(heading), starts)
    y = _group_cumsum(step * np.sin(heading), starts)
    xy = np.column_stack([x, y])
    xy -= np.repeat(xy[first], counts, axis=0)  # exact zero start
    return xy, starts


def _moving_average(
    values: np.ndarray, starts: np.ndarray, group: np.ndarray, half: int
) -> np.ndarray:
    """Centred moving average of width 2*half+1 that never mixes groups."""
    c = np.concatenate([[0.0], np.cumsum(values)])
    i = np.arange(len(values))
    lo = np.maximum(i - half, starts[group])
    hi = np.minimum(i + half + 1, starts[group + 1])
    return (c[hi] - c[lo]) / (hi - lo)


def _bounds_of(xy: np.ndarray, starts: np.ndarray) -> np.ndarray:
    first = starts[:-1]
    return np.column_stack(
        [
            np.minimum.reduceat(xy[:, 0], first),
            np.minimum.reduceat(xy[:, 1], first),
            np.maximum.reduceat(xy[:, 0], first),
            np.maximum.reduceat(xy[:, 1], first),
        ]
    )


def _place_mains(
    xy: np.ndarray, starts: np.ndarray, box: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Shift each line to a random spot where it fits in the box (shrunk if it cannot)."""
    b = _bounds_of(xy, starts)
    room = box[2] - box[0] - 2 * EDGE_MARGIN_M
    extent = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    scale = np.minimum(1.0, room / np.maximum(extent, 1e-9))
    b *= scale[:, None]
    lo = box[:2] + EDGE_MARGIN_M - b[:, :2]
    hi = box[2:] - EDGE_MARGIN_M - b[:, 2:]
    shift = rng.uniform(lo, np.maximum(lo, hi))
    counts = np.diff(starts)
    return xy * np.repeat(scale, counts)[:, None] + np.repeat(shift, counts, axis=0)


def _boundary_river(
    township: shapely.Geometry, box: np.ndarray, rng: np.random.Generator
) -> np.ndarray | None:
    """A few km copied from a township ring (densified), then a free walk away from it."""
    ring = shapely.get_coordinates(shapely.get_exterior_ring(township))[:-1]
    m = len(ring)
    start = int(rng.integers(m))
    order = (start + np.arange(m // 2 + 1)) % m
    piece = ring[order]
    run = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(piece, axis=0).T))])
    target = rng.uniform(2_000.0, 5_000.0)
    end = int(np.searchsorted(run, target))
    if end < len(piece):  # stop on the boundary edge once `target` metres are copied
        a, b = piece[end - 1], piece[end]
        piece = np.vstack(
            [piece[:end], a + (b - a) * (target - run[end - 1]) / (run[end] - run[end - 1])]
        )
    inner = (piece > box[:2] + 10.0).all() and (piece < box[2:] - 10.0).all()
    if len(piece) < 2 or not inner:
        return None
    dense = [piece[:1]]
    for a, b in itertools.pairwise(piece):
        k = max(1, int(np.hypot(*(b - a)) // 100.0))
        t = np.arange(1, k + 1)[:, None] / k
        dense.append(a + (b - a) * t)
        dense[-1][-1] = b  # copied vertices stay exact
    d = piece[-1] - piece[-2]
    heading = np.arctan2(d[1], d[0]) + rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.0)
    tail, _ = _walks(rng.uniform(1_000.0, 8_000.0, 1), rng, final_heading=None)
    rot = heading - np.arctan2(*(tail[1] - tail[0])[::-1])
    c, s = np.cos(rot), np.sin(rot)
    tail = tail @ np.array([[c, s], [-s, c]]) + piece[-1]
    inside = ((tail > box[:2] + EDGE_MARGIN_M) & (tail < box[2:] - EDGE_MARGIN_M)).all(axis=1)
    stop = int(np.argmin(inside)) if not inside.all() else len(tail)
    return np.vstack([*dense, tail[1:stop]])


def _rivers(
    outline: shapely.Polygon, townships: np.ndarray, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Main stems first (a few following township boundaries), then their tributaries."""
    box = np.asarray(outline.bounds)
    side = box[2] - box[0]
    max_len = min(LENGTH_MAX_M, 0.75 * side)
    n_trib = round(TRIBUTARY_SHARE * n) if n > 1 else 0
    n_main = n - n_trib
    n_boundary = min(n_main, max(1, round(BOUNDARY_SHARE * n))) if n >= 10 else 0

    xy, starts = _walks(_lengths(n_main - n_boundary, max_len, rng), rng)
    pieces = [_place_mains(xy, starts, box, rng)]
    sizes = [np.diff(starts)]
    made = 0
    for _ in range(100 * n_boundary):
        if made == n_boundary:
            break
        line = _boundary_river(townships[rng.integers(len(townships))], box, rng)
        if line is not None and len(line) >= 2:
            pieces.append(line)
            sizes.append(np.array([len(line)]))
            made += 1
    if made < n_boundary:
        raise RuntimeError("could not place boundary-following rivers")
    sizes_all = np.concatenate(sizes)
    # shuffle mains so the boundary-following ones are not all at the end
    main_xy, main_starts = _take_groups(np.vstack(pieces), sizes_all, rng.permutation(n_main))

    trib_xy, trib_starts, parent = _tributaries(main_xy, main_starts, n_trib, max_len, box, rng)
    all_xy = np.vstack([main_xy, trib_xy])
    all_starts = np.concatenate([main_starts, trib_starts[1:] + main_starts[-1]])
    counts = np.diff(all_starts)
    geoms = shapely.linestrings(all_xy, indices=np.repeat(np.arange(n), counts))

    main_codes = np.array([f"R99-{i + 1:06d}" for i in range(n_main)], dtype=object)
    order = np.argsort(parent, kind="stable")
    rank = np.empty(n_trib, dtype=np.int64)
    rank[order] = np.arange(n_trib) - np.searchsorted(parent[order], parent[order]) + 1
    width = max(2, len(str(rank.max()))) if n_trib else 2
    trib_codes = [f"{main_codes[p]}-{r:0{width}d}" for p, r in zip(parent, rank, strict=True)]
    parent_codes = np.concatenate([np.full(n_main, None, dtype=object), main_codes[parent]])

    by_length = np.argsort(shapely.length(geoms), kind="stable")
    level = np.full(n, "county", dtype=object)
    level[by_length[: round(TOWNSHIP_SHARE * n)]] = "township"
    level[by_length[n - int(np.ceil(CITY_SHARE * n)) :]] = "city"
    return {
        "code": np.concatenate([main_codes, np.array(trib_codes, dtype=object)]),
        "parent_code": parent_codes,
        "geometry": geoms,
        "managing_level": level,
    }


def _take_groups(
    xy: np.ndarray, counts: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder variable-length groups of rows: group order[k] becomes group k."""
    starts = np.concatenate([[0], np.cumsum(counts)])
    new_counts = counts[order]
    new_starts = np.concatenate([[0], np.cumsum(new_counts)])
    within = np.arange(new_starts[-1]) - np.repeat(new_starts[:-1], new_counts)
    return xy[np.repeat(starts[order], new_counts) + within], new_starts


def _tributaries(
    main_xy: np.ndarray,
    main_starts: np.ndarray,
    n: int,
    max_len: float,
    box: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines whose last vertex *is* an interior vertex of a main stem, joining at 20-70°."""
    if n == 0:
        return np.empty((0, 2)), np.array([0]), np.empty(0, dtype=np.int64)
    counts = np.diff(main_starts)
    river = np.repeat(np.arange(len(counts)), counts)
    interior = np.ones(len(main_xy), dtype=bool)
    interior[main_starts[:-1]] = interior[main_starts[1:] - 1] = False
    interior &= (main_xy > box[:2] + 1_000.0).all(axis=1)
    interior &= (main_xy < box[2:] - 1_000.0).all(axis=1)
    candidates = np.flatnonzero(interior)
    at = np.sort(rng.choice(candidates, n, replace=len(candidates) < n))
    parent = river[at]
    mouth = main_xy[at]
    d = main_xy[at + 1] - main_xy[at - 1]
    join = rng.choice([-1.0, 1.0], n) * rng.uniform(np.radians(20.0), np.radians(70.0), n)
    seg = np.append(np.hypot(*np.diff(main_xy, axis=0).T), 0.0)
    seg[main_starts[1:] - 1] = 0.0  # no segment from one river to the next
    main_len = np.add.reduceat(seg, main_starts[:-1])
    lengths = np.minimum(
        _lengths(n, max_len, rng), np.maximum(LENGTH_MIN_M, 0.8 * main_len[parent])
    )
    xy, starts = _walks(lengths, rng, final_heading=np.arctan2(d[:, 1], d[:, 0]) + join)
    tc = np.diff(starts)
    rel = xy - np.repeat(xy[starts[1:] - 1], tc, axis=0)  # exact zero at the mouth
    b = _bounds_of(rel, starts)
    room_lo = mouth - (box[:2] + EDGE_MARGIN_M)  # >= 1 km by construction
    room_hi = (box[2:] - EDGE_MARGIN_M) - mouth
    with np.errstate(divide="ignore"):
        limits = np.column_stack([room_lo / -b[:, :2], room_hi / b[:, 2:]])
    limits[~np.isfinite(limits) | (limits < 0)] = np.inf
    scale = np.minimum(1.0, limits.min(axis=1))
    return np.repeat(mouth, tc, axis=0) + rel * np.repeat(scale, tc)[:, None], starts, parent


# ---------------------------------------------------------------- reservoirs


def _reservoirs(
    outline: shapely.Polygon, rivers: dict[str, np.ndarray], n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Wobbly star-shaped lakes of 1-20 km² centred on river vertices, kept apart greedily."""
    box = np.asarray(outline.bounds)
    coords, which = shapely.get_coordinates(rivers["geometry"], return_index=True)
    m = 48
    theta = np.linspace(0.0, 2 * np.pi, m, endpoint=False)
    centres, radii, shapes, river_idx = [], [], [], []
    for _ in range(200):
        if len(centres) == n:
            break
        k = max(2 * (n - len(centres)), 16)
        pick = rng.integers(len(coords), size=k)
        area = np.exp(rng.uniform(*np.log(RESERVOIR_KM2), k)) * 1e6
        amp = rng.uniform(0.0, 0.2, (k, 3)) / np.arange(1, 4)
        phase = rng.uniform(0.0, 2 * np.pi, (k, 3))
        harmonics = np.arange(2, 5)
        wobble = 1.0 + (amp[:, None, :] * np.sin(harmonics * theta[:, None] + phase[:, None])).sum(
            axis=2
        )
        unit_area = 0.5 * np.sin(2 * np.pi / m) * (wobble * np.roll(wobble, -1, axis=1)).sum(1)
        radius = np.sqrt(area / unit_area)
        r_max = radius * wobble.max(axis=1)
        for j in range(k):
            c = coords[pick[j]]
            if len(centres) == n:
                break
            if (c - r_max[j] < box[:2] + 10.0).any() or (c + r_max[j] > box[2:] - 10.0).any():
                continue
            if centres:
                gap = np.hypot(*(np.asarray(centres) - c).T) - np.asarray(radii) - r_max[j]
                if gap.min() < 100.0:
                    continue
            centres.append(c)
            radii.append(r_max[j])
            shapes.append(radius[j] * wobble[j])
            river_idx.append(which[pick[j]])
    if len(centres) < n:
        raise RuntimeError(f"placed only {len(centres)} of {n} reservoirs")
    if n == 0:
        ring = np.empty((0, m, 2))
    else:
        r = np.asarray(shapes)
        ctr = np.asarray(centres)
        ring = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=2) + ctr[:, None, :]
    geoms = shapely.polygons(ring) if n else np.empty(0, dtype=object)
    return {
        "code": np.array([f"K99-{i + 1:04d}" for i in range(n)], dtype=object),
        "geometry": np.asarray(geoms, dtype=object),
        "river_code": rivers["code"][np.asarray(river_idx, dtype=np.int64)],
    }
