"""Synthetic patrol tracks (GPX 1.1) with a truth manifest, good ones and planted deficiencies.

A patrol walks a chainage range of the chief's stretch (the river inside the chief's region, in
flow direction) on one bank, 5-20 m from the centre line, at ~1.2 m/s, with GPS noise (3-8 m
gaussian, occasional 15-30 m outliers) and hdop. Deficient kinds (too short, wrong river,
vehicle speed, jumps, GCJ-02 coordinates, re-uploads, straight synthetic lines) appear several
times each so that validation code can be tested against known answers. Points are written
with a plain XML template: it is ten times faster than building gpxpy objects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain.chinacoords import wgs84_to_gcj02
from gis_service.domain.crs import transform, transformer
from gis_service.domain.rules import Rule, RuleSet, load_rules

from . import METRIC_CRS, STORAGE_CRS
from .plan import (
    DURATION_MARGIN,
    NEED_MARGIN,
    Duty,
    Plan,
    counting_need,
    end_to_end,
    mix,
    plan_patrols,
)
from .roster import Segment

PERIOD_START = np.datetime64("2026-07-01")
PLAN_START = dt.date(2026, 7, 1)
PERIOD_DAYS = 92  # 2026-07-01 .. 2026-09-30, local days (DEFAULT_TIMEZONE)
UTC_OFFSET_H = 8
UTC_OFFSET = np.timedelta64(UTC_OFFSET_H, "h")
# written to tracks/VERSION: tracks of another generator version are regenerated on set-up
# (services.sample.ensure_tracks); change it whenever the generated tracks change
TRACKS_VERSION = "3: short stretches walked end to end (issue 13)"
WALK_SPEED = 1.2  # m/s, a patrol on foot; slower on a short stretch (the rule's duration)
# the deficient kinds are planted on stretches with room for their walks (a too_short walk of
# 300-800 m, an off_segment walk of 1-3 km); planned patrols use the rules' distances instead
DEFICIENT_MIN_STRETCH_M = 1100.0
# seconds between points, as phone apps record them (every 5-20 s)
INTERVALS = (5.0, 10.0, 10.0, 15.0)
SEGMENT_ROLES = ("segment_chief", "river_chief", "lake_chief")
MOUTH_M = 80.0  # how far short of its water line's ends (mouth, offtake) a walk stops
MARGIN_M = 40.0  # how far from its piece's ends a walk stays (unless it must cover it all)
PAST_END_M = 20.0  # how far past its piece's ends a full-coverage walk goes
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
    "role",
    "behaviour",
]


@dataclass
class Stretch:
    """A chief's stretch in flow order: its longest piece (walkable) and where that piece sits."""

    segment: Segment
    piece: np.ndarray  # metric xy of the longest piece, flow direction
    offset_m: float  # chainage of the piece start within the whole stretch
    length_m: float  # total stretch length inside the region
    river: np.ndarray | None = None  # the whole water line, flow direction (finds the mouth)
    piece_on_river_m: float = 0.0  # chainage of the piece start along ``river``
    side: float = 0.0  # +1/-1: the bank inside the region (a boundary river), 0: either


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
    role: str = ""  # the post the patrol is for (a general chief walks another post's water)


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
        if seg.water_code not in geoms:
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
        piece = shapely.get_coordinates(parts[best])
        out.append(
            Stretch(
                seg,
                piece,
                float(lengths[:best].sum()),
                float(lengths.sum()),
                shapely.get_coordinates(line),
                float(np.minimum(starts, ends)[order][best]),
                _own_bank(piece, region),
            )
        )
    return out


def _own_bank(piece: np.ndarray, region) -> float:
    """The bank a chief walks where his river runs along his region's boundary (a 界河, whose
    banks are two regions' segments): the one more often inside his region (+1 left, -1
    right); 0 when both banks are inside all along (the usual river inside the region)."""
    length = float(np.hypot(*np.diff(piece, axis=0).T).sum())
    s = np.linspace(0.1, 0.9, 9) * length
    xy, normal = _along(piece, s)
    inside = [
        shapely.contains_xy(region, *(xy + side * 30.0 * normal).T).mean() for side in (1.0, -1.0)
    ]
    if min(inside) >= 1.0:
        return 0.0
    return 1.0 if inside[0] >= inside[1] else -1.0


def _along(piece: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at chainages s on a polyline and the unit left normals there."""
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(piece, axis=0).T))])
    xy = np.column_stack([np.interp(s, cum, piece[:, 0]), np.interp(s, cum, piece[:, 1])])
    seg = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(piece) - 2)
    d = piece[seg + 1] - piece[seg]
    d /= np.maximum(np.linalg.norm(d, axis=1), 1e-9)[:, None]
    return xy, np.column_stack([-d[:, 1], d[:, 0]])


def walk_track(
    piece: np.ndarray,
    s0: float,
    s1: float,
    rng: np.random.Generator,
    speed: float = 1.2,
    interval: float = 5.0,
    noisy: bool = True,
    side: float = 0.0,
):
    """A patrol from chainage s0 to s1 on one bank (``side``, or drawn when 0): (xy, seconds,
    hdop)."""
    step = np.abs(rng.normal(speed, 0.15 * speed, int(abs(s1 - s0) / (speed * interval)) + 8))
    s = s0 + np.sign(s1 - s0) * np.concatenate([[0.0], np.cumsum(step * interval)])
    s = s[: int(np.searchsorted(np.abs(s - s0), abs(s1 - s0))) + 1]
    s[-1] = s1
    xy, normal = _along(piece, s)
    drawn = rng.choice([-1.0, 1.0])
    side = side or drawn
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
            f'<trkpt lat="{b:.6f}" lon="{a:.6f}"><time>{t}Z</time></trkpt>'
            for a, b, t in zip(lon, lat, stamps, strict=True)
        ]
    else:
        pts = [
            f'<trkpt lat="{b:.6f}" lon="{a:.6f}"><time>{t}Z</time><hdop>{h:.1f}</hdop></trkpt>'
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
    plan: Plan,
    walked: dict[str, Stretch],
    pool: list[Stretch],
    all_stretches: list[Stretch],
    person_ids: list[str],
    rng: np.random.Generator,
    followed: frozenset[int] = frozenset(),
) -> list[Track]:
    """The planned patrols as tracks, then the deficient kinds on chiefs' own stretches
    (re-uploads copy tracks of the ``followed`` people)."""
    used: set[tuple[int, int]] = set()
    tracks: list[Track] = []
    numbers: dict[int, int] = {}

    def add(st: Stretch, kind: str, xy, t, hdop, covered, start=None, system="wgs84") -> Track:
        start = _start(rng, used, st.segment.person) if start is None else start
        person = st.segment.person
        numbers[person] = numbers.get(person, 0) + 1
        name = f"{person_ids[person]}_{numbers[person]:04d}.gpx"
        tr = Track(name, st.segment, kind, xy, t, start, hdop, covered, st.length_m, system)
        tr.role = st.segment.role
        tracks.append(tr)
        return tr

    def good_range(st: Stretch, lo: float = 1000.0, hi: float = 5000.0) -> tuple[float, float]:
        n = len(st.piece)
        length = float(np.hypot(*np.diff(st.piece, axis=0).T).sum()) if n > 1 else 0.0
        lead, walkable = _span(st)
        if walkable:  # short of the water's ends, as the planned walks
            length = walkable
        else:
            lead = 0.0
        span = min(length, rng.uniform(lo, hi))
        a = lead + rng.uniform(0.0, length - span)
        return (a, a + span) if rng.random() < 0.7 else (a + span, a)

    def covered(st: Stretch, a: float, b: float) -> tuple[float, float]:
        return (st.offset_m + min(a, b), st.offset_m + max(a, b))

    makers: dict[str, Callable[[Stretch], Track]] = {}

    def good(st: Stretch, kind: str = "good", system: str = "wgs84") -> Track:
        a, b = good_range(st)
        interval = float(rng.choice(INTERVALS))
        xy, t, h = walk_track(st.piece, a, b, rng, interval=interval, side=st.side)
        return add(st, kind, xy, t, h, covered(st, a, b), system=system)

    makers["good"] = good
    makers["gcj02"] = lambda st: good(st, "gcj02", "gcj02")

    def too_short(st: Stretch) -> Track:
        a, b = good_range(st, 300.0, 800.0)
        xy, t, h = walk_track(st.piece, a, b, rng, interval=5.0)
        return add(st, "too_short", xy, t, h, covered(st, a, b))

    def off_segment(st: Stretch) -> Track:
        others = [
            o
            for o in all_stretches
            if o.segment.water_code != st.segment.water_code and len(o.piece) > 1
        ]
        other = others[int(rng.integers(len(others)))]
        a, b = good_range(other, 1000.0, 3000.0)
        xy, t, h = walk_track(other.piece, a, b, rng, interval=5.0)
        return add(st, "off_segment", xy, t, h, None)

    def vehicle(st: Stretch) -> Track:
        a, b = good_range(st, 2500.0, 6000.0)
        xy, t, h = walk_track(st.piece, a, b, rng, speed=rng.uniform(8.5, 16.5), interval=2.0)
        return add(st, "vehicle", xy, t, h, covered(st, a, b))

    def jumps(st: Stretch) -> Track:
        a, b = good_range(st)
        xy, t, h = walk_track(st.piece, a, b, rng, interval=5.0)
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

    goods: list[Track] = []
    busy: dict[tuple[int, int], np.datetime64] = {}  # (person, day) -> end of the last walk
    for walk in plan.walks:
        st = walked[walk.duty.key]
        full = _full(walk.duty.rule) or walk.duty.short
        lead = _span(st, full)[0]
        a, b = walk.start_m + lead, walk.end_m + lead
        line, ra, rb = _past_the_ends(st, a, b) if full else (st.piece, a, b)
        # slowly enough to last the rule's duration (a short stretch: a slow, careful walk)
        speed = min(WALK_SPEED, abs(rb - ra) / max(1.0, DURATION_MARGIN * walk.duty.min_duration_s))
        xy, t, h = walk_track(
            line, ra, rb, rng, speed=speed, interval=_interval(abs(b - a), rng), side=st.side
        )
        local = np.datetime64(walk.day.isoformat()) + np.timedelta64(
            int(rng.integers(7 * 3600, 16 * 3600)), "s"
        )
        # a second walk of the same person that day (another post) starts after the first
        day_key = (st.segment.person, (walk.day - PLAN_START).days)
        if day_key in busy:
            local = max(local, busy[day_key] + np.timedelta64(1800, "s"))
        busy[day_key] = local + np.timedelta64(int(t[-1]), "s")
        used.add(day_key)
        tr = add(st, "good", xy, t, h, covered(st, a, b), start=local - UTC_OFFSET)
        tr.role = walk.duty.role
        goods.append(tr)
    order = [pool[i] for i in rng.permutation(len(pool))]
    cursor = 0
    for kind, count in DEFICIENT.items():
        for i in range(count):
            st = order[(cursor + 7 * i) % len(order)]
            cursor += 1
            if kind == "reupload":
                # copies of the followed chiefs' tracks (the tests and notebooks upload theirs)
                own = [g for g in goods if g.role in SEGMENT_ROLES]
                own = [g for g in own if g.segment.person in followed] or own
                src = own[(3 * i) % len(own)]
                shift = np.timedelta64(0 if i % 2 == 0 else int(rng.integers(3, 20)), "D")
                st_src = next(s for s in all_stretches if s.segment == src.segment)
                copy = add(
                    st_src,
                    "reupload",
                    src.xy,
                    src.t,
                    src.hdop,
                    src.covered,
                    start=src.start + shift,
                )
                copy.role = src.role
                continue
            makers[kind](st)
    return tracks


def duties(
    segments: list[Segment],
    chiefs: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    allst: list[Stretch],
    rules: RuleSet,
    person_ids: list[str],
) -> tuple[list[Duty], dict[str, Stretch]]:
    """Every post of the roster with its rule and what can be walked for it; the stretch
    each walkable duty walks (a general chief's: the longest water piece in his region)."""
    parent = dict(zip(regions["code"], regions["parent_code"], strict=True))

    def ancestors(code: str) -> tuple[str, ...]:
        chain, p = [], parent.get(code)
        while isinstance(p, str) and p:
            chain.append(p)
            p = parent.get(p)
        return tuple(chain)

    def rule_for(role: str, level: str, region: str):
        rule = rules.rule_for(role, level, region, ancestors(region))
        if rule is None and role == "deputy_chief":  # audited as the role deputised
            rule = rules.rule_for("river_chief", level, region, ancestors(region))
        return rule

    counting = rules.counting

    def walkable(st: Stretch | None, rule: Rule | None) -> float:
        """What one patrol of ``rule`` walks on ``st``: 0 if short of its counting distance."""
        if st is None or rule is None:
            return 0.0
        short = end_to_end(rule, counting, st.length_m)
        need = NEED_MARGIN * counting_need(rule, counting, st.length_m)
        return _walkable(st, _full(rule) or short, need)

    by_segment = {st.segment: st for st in allst}
    out: list[Duty] = []
    walked: dict[str, Stretch] = {}
    for seg in segments:
        st = by_segment.get(seg)
        rule = rule_for(seg.role, seg.level, seg.region_code)
        longest = walkable(st, rule)
        key = f"{seg.role}/{seg.level}/{seg.region_code}/{seg.water_code}/{person_ids[seg.person]}"
        out.append(
            Duty(
                key,
                seg.person,
                seg.role,
                seg.level,
                seg.region_code,
                seg.water_code,
                rule,
                longest,
                st.length_m if st else 0.0,
                counting=counting,
            )
        )
        if longest > 0 and st is not None:
            walked[key] = st
    own = {(d.person, d.region_code): d for d in out if d.walkable_m > 0}
    by_region: dict[str, list[Stretch]] = {}
    for st in allst:
        if st.segment.role in SEGMENT_ROLES:
            by_region.setdefault(st.segment.region_code, []).append(st)
    general = chiefs[chiefs["role"] == "general_chief"]
    for row in general.itertuples(index=False):
        person = int(row.person_id[1:]) - 1
        key = f"general_chief/{row.level}/{row.region_code}/-/{row.person_id}"
        rule = rule_for("general_chief", row.level, row.region_code)
        mine = own.get((person, row.region_code))
        if mine is not None:  # his own segment patrols are walks on water in his region
            out.append(
                Duty(
                    key,
                    person,
                    "general_chief",
                    row.level,
                    row.region_code,
                    None,
                    rule,
                    mine.walkable_m,
                    mine.own_m,
                    shared_with=mine.key,
                    counting=counting,
                )
            )
            continue
        choices = [c for c in by_region.get(row.region_code, []) if walkable(c, rule) > 0]
        st = max(choices, key=lambda c: walkable(c, rule)) if choices else None
        out.append(
            Duty(
                key,
                person,
                "general_chief",
                row.level,
                row.region_code,
                st.segment.water_code if st else None,
                rule,
                walkable(st, rule),
                st.length_m if st else 0.0,
                counting=counting,
            )
        )
        if st is not None:
            # the general chief walks that water as himself
            walked[key] = Stretch(
                Segment(st.segment.water_code, row.region_code, row.level, "general_chief", person),
                st.piece,
                st.offset_m,
                st.length_m,
                st.river,
                st.piece_on_river_m,
                st.side,
            )
    return out, walked


def _interval(length_m: float, rng: np.random.Generator) -> float:
    """Seconds between points: long walks are recorded sparser (apps save battery), which
    keeps tracks/ under 15 MB although township chiefs walk their whole stretch monthly."""
    if length_m > 4000.0:
        return float(rng.choice([12.0, 15.0]))
    if length_m > 2000.0:
        return float(rng.choice([10.0, 15.0]))
    return float(rng.choice(INTERVALS))


def _span(
    st: Stretch | None, full: bool = False, need_m: float = DEFICIENT_MIN_STRETCH_M
) -> tuple[float, float]:
    """Where on its piece a chief walks: (first chainage, length), 0 length under ``need_m``.

    Walks keep 40 m from the piece's ends (GPS noise there is matched to the neighbour's
    segment or not at all, so the measured coverage would fall short of the plan); a chief
    who must cover all of his stretch (``full``) walks to its ends and on past them instead
    (see :func:`_past_the_ends`). Every walk stops 80 m short of its water line's own ends:
    a mouth or an offtake lies on another water, whose bank takes the GPS points there."""
    if st is None or len(st.piece) < 2 or st.side:
        return 0.0, 0.0  # not walked along a region boundary: see the sample's README
    length = float(np.hypot(*np.diff(st.piece, axis=0).T).sum())
    at_start = at_end = False
    if st.river is not None:
        total = float(np.hypot(*np.diff(st.river, axis=0).T).sum())
        at_start = st.piece_on_river_m <= 1.0
        at_end = st.piece_on_river_m + length >= total - 1.0
    margin = 0.0 if full else MARGIN_M
    lo = MOUTH_M if at_start else margin
    hi = length - (MOUTH_M if at_end else margin)
    return lo, (hi - lo if hi - lo >= need_m else 0.0)


def _full(rule: Rule | None) -> bool:
    """Whether the rule asks the whole own stretch walked in each period."""
    return rule is not None and rule.coverage_share is not None and rule.coverage_share >= 1.0


def _walkable(
    st: Stretch | None, full: bool = False, need_m: float = DEFICIENT_MIN_STRETCH_M
) -> float:
    return _span(st, full, need_m)[1]


def _past_the_ends(st: Stretch, a: float, b: float) -> tuple[np.ndarray, float, float]:
    """A full-coverage walk reaching an end of its piece (not of its water) goes on 40 m
    along the water past it (多走), so that end is walked in full."""
    length = float(np.hypot(*np.diff(st.piece, axis=0).T).sum())
    if st.river is None or not (min(a, b) <= 0.5 or max(a, b) >= length - 0.5):
        return st.piece, a, b
    total = float(np.hypot(*np.diff(st.river, axis=0).T).sum())

    def on_river(s: float) -> float:
        extra = -PAST_END_M if s <= 0.5 else PAST_END_M if s >= length - 0.5 else 0.0
        return float(np.clip(st.piece_on_river_m + s + extra, 0.0, total))

    return st.river, on_river(a), on_river(b)


def write_tracks(
    out_dir: Path,
    segments: list[Segment],
    chiefs: pd.DataFrame,
    regions: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    person_ids: list[str],
    rng: np.random.Generator,
    *,
    absent: Collection[str] = frozenset(),
    fixed: dict[str, str] | None = None,
    rules: RuleSet | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Plan the patrols against the rules, write the GPX files, manifest.csv (one row per
    track) and plan.csv (one row per post: behaviour, planned patrols, expected status)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.gpx"):
        old.unlink()
    rules = rules or load_rules()
    allst = stretches(segments, regions, water)
    duty_list, walked = duties(segments, chiefs, regions, allst, rules, person_ids)
    keep = {int(p[1:]) - 1: b for p, b in (fixed or {}).items()}
    keep |= {int(p[1:]) - 1: "absent" for p in absent}
    plan = plan_patrols(duty_list, rng, keep)
    # the deficient kinds: on own stretches of village and township chiefs who patrol at all,
    # long enough that the rules' full counting distance applies (a too_short walk of 800 m
    # would count on a 1.2 km stretch, whose minimum is half of it)
    full_distance_m = rules.counting.min_distance_m / rules.counting.own_length_share
    pool = [
        s
        for s in allst
        if s.segment.role in SEGMENT_ROLES
        and s.segment.level in ("village", "township")
        and s.length_m >= full_distance_m
        and _walkable(s) > 0
        and plan.behaviour.get(s.segment.person) != "absent"
    ]
    followed = frozenset(int(p[1:]) - 1 for p in (fixed or {}))
    tracks = plan_tracks(plan, walked, pool, allst, person_ids, rng, followed)
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
                tr.role,
                plan.behaviour.get(tr.segment.person, ""),
            )
        )
    manifest = pd.DataFrame(rows, columns=MANIFEST_COLUMNS)
    manifest.to_csv(out_dir / "manifest.csv", index=False, lineterminator="\n")
    _, status = mix(duty_list, plan)
    walks = Counter(w.duty.key for w in plan.walks)
    plan_rows = pd.DataFrame(
        [
            (
                person_ids[d.person],
                d.role,
                d.level,
                d.region_code,
                d.water_code or "",
                d.rule.id if d.rule else "",
                d.rule.period if d.rule else "",
                d.rule.min_patrols if d.rule else "",
                "" if d.rule is None or d.rule.coverage_share is None else d.rule.coverage_share,
                plan.behaviour.get(d.person, ""),
                f"{d.walkable_m:.1f}",
                f"{d.own_m:.1f}",
                walks.get(d.shared_with or d.key, 0),
                status[d.key],
            )
            for d in duty_list
        ],
        columns=PLAN_COLUMNS,
    )
    plan_rows.to_csv(out_dir / "plan.csv", index=False, lineterminator="\n")
    (out_dir / "VERSION").write_text(TRACKS_VERSION + "\n", encoding="utf-8")
    return manifest, plan_rows


PLAN_COLUMNS = [
    "person_id",
    "role",
    "level",
    "region_code",
    "water_body_code",
    "rule_id",
    "rule_period",
    "min_patrols",
    "coverage_share",
    "behaviour",
    "walkable_m",
    "own_length_m",
    "planned_patrols",
    "expected_status",
]
