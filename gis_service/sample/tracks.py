"""Synthetic patrol tracks (GPX 1.1) with a truth manifest, good ones and planted deficiencies.

A patrol walks a chainage range of the chief's stretch (the river inside the chief's region, in
flow direction) on one bank, 5-20 m from the centre line, at ~1.2 m/s, with GPS noise (3-8 m
gaussian, occasional 15-30 m outliers) and hdop. Deficient kinds (too short, wrong river,
vehicle speed, jumps, GCJ-02 coordinates, re-uploads, straight synthetic lines) appear several
times each so that validation code can be tested against known answers. Points are written
with a plain XML template: it is ten times faster than building gpxpy objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain.chinacoords import wgs84_to_gcj02
from gis_service.domain.crs import transform, transformer

from . import METRIC_CRS, STORAGE_CRS
from .roster import Segment

PERIOD_START = np.datetime64("2026-07-01")
PERIOD_DAYS = 92  # 2026-07-01 .. 2026-09-30, Asia/Shanghai local days
UTC_OFFSET_H = 8
MIN_STRETCH_FOR_TRACKS_M = 1200.0
MAX_POINTS = 100_000  # keeps tracks/ around 10 MB
DEFICIENT = {
    "too_short": 4,
    "off_segment": 4,
    "vehicle": 4,
    "jumps": 4,
    "gcj02": 4,
    "reupload": 4,
    "straight_synthetic": 4,
}
MANIFEST_COLUMNS = [
    "file",
    "person_id",
    "water_body_code",
    "region_code",
    "level",
    "kind",
    "coord_system",
    "start_time",
    "end_time",
    "covered_from_m",
    "covered_to_m",
    "stretch_length_m",
]


@dataclass
class Stretch:
    """A chief's stretch in flow order: its longest piece (walkable) and where that piece sits."""

    segment: Segment
    piece: np.ndarray  # metric xy of the longest piece, flow direction
    offset_m: float  # chainage of the piece start within the whole stretch
    length_m: float  # total stretch length inside the region


@dataclass
class Track:
    file: str
    segment: Segment
    kind: str
    xy: np.ndarray  # metric
    t: np.ndarray  # seconds since start
    start: np.datetime64  # UTC
    hdop: np.ndarray | None
    covered: tuple[float, float] | None
    stretch_length: float
    coord_system: str = "wgs84"


def stretches(
    segments: list[Segment], regions: gpd.GeoDataFrame, water: gpd.GeoDataFrame
) -> list[Stretch]:
    """Walkable stretches of line waters (rivers, canals) for segment and river chiefs."""
    lines = water[water["kind"].isin(["river", "canal"])]
    geoms = dict(
        zip(
            lines["code"],
            transform(lines.geometry.to_numpy(), STORAGE_CRS, METRIC_CRS),
            strict=True,
        )
    )
    flip = dict(zip(lines["code"], lines["flow_reversed"], strict=True))
    reg = dict(zip(regions["code"], regions.geometry, strict=True))
    out = []
    for seg in segments:
        if seg.water_code not in geoms or seg.role == "deputy_chief":
            continue
        line = geoms[seg.water_code]
        if flip[seg.water_code]:
            line = shapely.reverse(line)
        region = transform(reg[seg.region_code], STORAGE_CRS, METRIC_CRS)
        parts = shapely.get_parts(shapely.line_merge(shapely.intersection(line, region)))
        parts = parts[shapely.get_type_id(parts) == 1]
        if len(parts) == 0:
            continue
        starts = shapely.line_locate_point(line, shapely.get_point(parts, 0))
        ends = shapely.line_locate_point(line, shapely.get_point(parts, -1))
        parts = np.where(ends < starts, shapely.reverse(parts), parts)
        order = np.argsort(np.minimum(starts, ends), kind="stable")
        parts, lengths = parts[order], shapely.length(parts[order])
        best = int(np.argmax(lengths))
        out.append(
            Stretch(
                seg,
                shapely.get_coordinates(parts[best]),
                float(lengths[:best].sum()),
                float(lengths.sum()),
            )
        )
    return out


def _along(piece: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at chainages s on a polyline and the unit left normals there."""
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(piece, axis=0).T))])
    xy = np.column_stack([np.interp(s, cum, piece[:, 0]), np.interp(s, cum, piece[:, 1])])
    seg = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(piece) - 2)
    d = piece[seg + 1] - piece[seg]
    d /= np.maximum(np.linalg.norm(d, axis=1), 1e-9)[:, None]
    return xy, np.column_stack([-d[:, 1], d[:, 0]])


def walk(
    piece: np.ndarray,
    s0: float,
    s1: float,
    rng: np.random.Generator,
    speed: float = 1.2,
    interval: float = 5.0,
    noisy: bool = True,
):
    """A patrol from chainage s0 to s1 on one bank: (xy, seconds, hdop)."""
    step = np.abs(rng.normal(speed, 0.15 * speed, int(abs(s1 - s0) / (speed * interval)) + 8))
    s = s0 + np.sign(s1 - s0) * np.concatenate([[0.0], np.cumsum(step * interval)])
    s = s[: int(np.searchsorted(np.abs(s - s0), abs(s1 - s0))) + 1]
    s[-1] = s1
    xy, normal = _along(piece, s)
    side = rng.choice([-1.0, 1.0])
    bank = side * (12.5 + 7.5 * np.sin(np.arange(len(s)) / rng.uniform(20, 60)))
    xy = xy + normal * bank[:, None]
    t = np.arange(len(s)) * interval
    if not noisy:
        return xy, t, None
    sigma = rng.uniform(3.0, 8.0)
    err = rng.normal(0.0, sigma, (len(s), 2))
    outlier = rng.random(len(s)) < 0.02
    err[outlier] *= rng.uniform(15.0, 30.0, (outlier.sum(), 1)) / sigma
    hdop = np.round(0.6 + np.hypot(*err.T) / 6.0 + rng.uniform(0, 0.4, len(s)), 1)
    return xy + err, t, hdop


def _gpx(
    lon: np.ndarray, lat: np.ndarray, times: np.ndarray, hdop: np.ndarray | None, name: str
) -> str:
    stamps = np.datetime_as_string(times, unit="s")
    if hdop is None:
        pts = [
            f'<trkpt lat="{b:.7f}" lon="{a:.7f}"><time>{t}Z</time></trkpt>'
            for a, b, t in zip(lon, lat, stamps, strict=True)
        ]
    else:
        pts = [
            f'<trkpt lat="{b:.7f}" lon="{a:.7f}"><time>{t}Z</time><hdop>{h:.1f}</hdop></trkpt>'
            for a, b, t, h in zip(lon, lat, stamps, hdop, strict=True)
        ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="gis_service.sample" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"<trk><name>{name}</name><trkseg>\n" + "\n".join(pts) + "\n</trkseg></trk></gpx>\n"
    )


def _start(rng: np.random.Generator, used: set[tuple[int, int]], person: int) -> np.datetime64:
    """A local start time 07:00-17:00 on a day this person has not patrolled yet, as UTC."""
    while True:
        day = int(rng.integers(PERIOD_DAYS))
        if (person, day) not in used:
            used.add((person, day))
            break
    local = (
        PERIOD_START
        + np.timedelta64(day, "D")
        + np.timedelta64(int(rng.integers(7 * 3600, 17 * 3600)), "s")
    )
    return local - np.timedelta64(UTC_OFFSET_H, "h")


def plan_tracks(
    pool: list[Stretch],
    all_stretches: list[Stretch],
    person_ids: list[str],
    rng: np.random.Generator,
) -> list[Track]:
    """Patrol list: 1-4 good patrols per chosen chief plus the deficient kinds."""
    used: set[tuple[int, int]] = set()
    tracks: list[Track] = []
    points = 0

    def add(st: Stretch, kind: str, xy, t, hdop, covered, start=None, system="wgs84") -> Track:
        nonlocal points
        points += len(xy)
        start = _start(rng, used, st.segment.person) if start is None else start
        name = f"{person_ids[st.segment.person]}_{len(tracks) + 1:04d}.gpx"
        tr = Track(name, st.segment, kind, xy, t, start, hdop, covered, st.length_m, system)
        tracks.append(tr)
        return tr

    def good_range(st: Stretch, lo: float = 1000.0, hi: float = 5000.0) -> tuple[float, float]:
        n = len(st.piece)
        length = float(np.hypot(*np.diff(st.piece, axis=0).T).sum()) if n > 1 else 0.0
        span = min(length, rng.uniform(lo, hi))
        a = rng.uniform(0.0, length - span)
        return (a, a + span) if rng.random() < 0.7 else (a + span, a)

    def covered(st: Stretch, a: float, b: float) -> tuple[float, float]:
        return (st.offset_m + min(a, b), st.offset_m + max(a, b))

    makers: dict[str, Callable[[Stretch], Track]] = {}

    def good(st: Stretch, kind: str = "good", system: str = "wgs84") -> Track:
        a, b = good_range(st)
        xy, t, h = walk(st.piece, a, b, rng, interval=float(rng.choice([3.0, 5.0, 5.0, 10.0])))
        return add(st, kind, xy, t, h, covered(st, a, b), system=system)

    makers["good"] = good
    makers["gcj02"] = lambda st: good(st, "gcj02", "gcj02")

    def too_short(st: Stretch) -> Track:
        a, b = good_range(st, 300.0, 800.0)
        xy, t, h = walk(st.piece, a, b, rng, interval=5.0)
        return add(st, "too_short", xy, t, h, covered(st, a, b))

    def off_segment(st: Stretch) -> Track:
        others = [
            o
            for o in all_stretches
            if o.segment.water_code != st.segment.water_code and len(o.piece) > 1
        ]
        other = others[int(rng.integers(len(others)))]
        a, b = good_range(other, 1000.0, 3000.0)
        xy, t, h = walk(other.piece, a, b, rng, interval=5.0)
        return add(st, "off_segment", xy, t, h, None)

    def vehicle(st: Stretch) -> Track:
        a, b = good_range(st, 2500.0, 6000.0)
        xy, t, h = walk(st.piece, a, b, rng, speed=rng.uniform(8.5, 16.5), interval=2.0)
        return add(st, "vehicle", xy, t, h, covered(st, a, b))

    def jumps(st: Stretch) -> Track:
        a, b = good_range(st)
        xy, t, h = walk(st.piece, a, b, rng, interval=5.0)
        idx = rng.choice(np.arange(5, len(xy) - 5), size=min(3, len(xy) - 10), replace=False)
        ang = rng.uniform(0, 2 * np.pi, len(idx))
        dist = rng.uniform(1000.0, 5000.0, len(idx))
        xy[idx] += np.column_stack([np.cos(ang), np.sin(ang)]) * dist[:, None]
        return add(st, "jumps", xy, t, h, covered(st, a, b))

    def straight(st: Stretch) -> Track:
        a, b = good_range(st, 1000.0, 3000.0)
        ends, _ = _along(st.piece, np.array([a, b]))
        n = int(abs(b - a) / 6.0) + 1
        xy = ends[0] + (ends[1] - ends[0]) * np.linspace(0.0, 1.0, n)[:, None]
        return add(st, "straight_synthetic", xy, np.arange(n) * 5.0, None, covered(st, a, b))

    makers.update(
        too_short=too_short,
        off_segment=off_segment,
        vehicle=vehicle,
        jumps=jumps,
        straight_synthetic=straight,
    )

    order = [pool[i] for i in rng.permutation(len(pool))]
    goods: list[Track] = []
    for st in order:
        for _ in range(int(rng.integers(1, 5))):
            goods.append(good(st))
        if points > MAX_POINTS * 0.75:
            break
    cursor = 0
    for kind, count in DEFICIENT.items():
        for i in range(count):
            st = order[(cursor + 7 * i) % len(order)]
            cursor += 1
            if kind == "reupload":
                src = goods[(3 * i) % len(goods)]
                shift = np.timedelta64(0 if i % 2 == 0 else int(rng.integers(3, 20)), "D")
                st_src = next(s for s in pool if s.segment == src.segment)
                add(
                    st_src,
                    "reupload",
                    src.xy,
                    src.t,
                    src.hdop,
                    src.covered,
                    start=src.start + shift,
                )
                continue
            makers[kind](st)
    return tracks


def write_tracks(
    out_dir: Path,
    segments: list[Segment],
    regions: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    person_ids: list[str],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Generate, write the GPX files and manifest.csv into out_dir; return the manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.gpx"):
        old.unlink()
    allst = stretches(segments, regions, water)
    pool = [
        s
        for s in allst
        if s.segment.role in ("segment_chief", "river_chief")
        and s.segment.level in ("village", "township")
        and len(s.piece) > 1
        and shapely.length(shapely.linestrings(s.piece)) >= MIN_STRETCH_FOR_TRACKS_M
    ]
    bosses = [
        s
        for s in allst
        if s.segment.level in ("city", "county")
        and len(s.piece) > 1
        and shapely.length(shapely.linestrings(s.piece)) >= MIN_STRETCH_FOR_TRACKS_M
    ]
    pool += [bosses[i] for i in rng.choice(len(bosses), size=min(8, len(bosses)), replace=False)]
    tracks = plan_tracks(pool, allst, person_ids, rng)
    to_lonlat = transformer(METRIC_CRS, STORAGE_CRS)
    rows = []
    for tr in tracks:
        lon, lat = to_lonlat.transform(tr.xy[:, 0], tr.xy[:, 1])
        if tr.coord_system == "gcj02":
            lon, lat = wgs84_to_gcj02(lon, lat)
        times = tr.start + np.round(tr.t).astype("timedelta64[s]")
        (out_dir / tr.file).write_text(
            _gpx(lon, lat, times, tr.hdop, tr.file.removesuffix(".gpx")), encoding="utf-8"
        )
        cov = tr.covered
        rows.append(
            (
                tr.file,
                person_ids[tr.segment.person],
                tr.segment.water_code,
                tr.segment.region_code,
                tr.segment.level,
                tr.kind,
                tr.coord_system,
                f"{np.datetime_as_string(times[0], unit='s')}Z",
                f"{np.datetime_as_string(times[-1], unit='s')}Z",
                "" if cov is None else f"{cov[0]:.1f}",
                "" if cov is None else f"{cov[1]:.1f}",
                f"{tr.stretch_length:.1f}",
            )
        )
    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    manifest.to_csv(out_dir / "manifest.csv", index=False, lineterminator="\n")
    return manifest
