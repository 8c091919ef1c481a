"""Which stretches of the assigned water a patrol actually covered, by linear referencing.

The track is never buffered. Each kept point is matched to the nearest piece of the target
line within a tolerance (the zone's half-width plus a GPS margin) with an STRtree of line
segments, and projected to a chainage. Two consecutive matched points, close along the line,
cover the stretch between their chainages; the union of those stretches, clipped to a
segment's chainage range, is what the patrol covered there. Area zones (reservoir water,
shoreline pieces) are measured the same way along their shore line (the water's edge).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import CleanTrack

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class MatchParams:
    gps_margin_m: float = 20.0  # added to the zone half-width to get the match tolerance
    max_link_m: float = 150.0  # consecutive matches further apart along the line: not linked
    joint_reach_m: float = 1000.0  # 多走1公里: credit for walking past the segment's ends


@dataclass(frozen=True)
class Target:
    """One assigned stretch: chainage [start, end] of line ``line`` of the LineSet."""

    id: str
    line: int
    start: float
    end: float
    half_width_m: float
    extend_m: float = 0.0  # joint-section credit beyond each end (0 for zones)


@dataclass
class TargetCoverage:
    id: str
    length_m: float
    covered_m: float
    ratio: float
    covered: list[tuple[float, float]]  # chainage ranges relative to the target's start
    uncovered: list[tuple[float, float]]
    extension_m: float  # covered beyond the ends, within the joint reach


@dataclass
class Coverage:
    targets: list[TargetCoverage]
    on_distance_m: float
    off_distance_m: float
    on_time_s: float
    off_time_s: float
    matched_points: int
    kept_points: int
    unions: dict[int, NDArray[np.float64]] = field(default_factory=dict)  # line -> (k, 2)

    @property
    def total_distance_m(self) -> float:
        return self.on_distance_m + self.off_distance_m

    @property
    def total_time_s(self) -> float:
        return self.on_time_s + self.off_time_s


def union_intervals(a: Floats, b: Floats, gap: float = 1e-6) -> NDArray[np.float64]:
    """Disjoint sorted union of intervals [a_i, b_i] as a (k, 2) array."""
    if len(a) == 0:
        return np.zeros((0, 2))
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    reach = np.maximum.accumulate(b)
    new = np.ones(len(a), dtype=bool)
    new[1:] = a[1:] > reach[:-1] + gap
    group = np.cumsum(new) - 1
    starts = a[new]
    ends = np.zeros(len(starts))
    np.maximum.at(ends, group, b)
    return np.column_stack([starts, ends])


def clip_intervals(union: NDArray[np.float64], lo: float, hi: float) -> NDArray[np.float64]:
    if len(union) == 0 or hi <= lo:
        return np.zeros((0, 2))
    clipped = np.clip(union, lo, hi)
    return clipped[clipped[:, 1] > clipped[:, 0]]


def complement(
    covered: NDArray[np.float64], lo: float, hi: float, min_gap: float = 0.0
) -> NDArray[np.float64]:
    """The parts of [lo, hi] not in ``covered`` (disjoint, sorted), gaps below ``min_gap``
    ignored."""
    edges = np.concatenate([[lo], covered.ravel(), [hi]]).reshape(-1, 2)
    gaps = edges[edges[:, 1] - edges[:, 0] > max(min_gap, 1e-9)]
    return gaps


class LineMatcher:
    """STRtree over the segments of some lines, for nearest-segment projection of points."""

    def __init__(self, lines: LineSet):
        self.lines = lines
        self.segments = shapely.linestrings(np.stack([lines.seg_xy0, lines.seg_xy1], axis=1))
        self._trees: dict[int, shapely.STRtree] = {}

    def _tree(self, line: int) -> shapely.STRtree:
        if line not in self._trees:
            lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
            self._trees[line] = shapely.STRtree(self.segments[lo:hi])
        return self._trees[line]

    def match(
        self, x: Floats, y: Floats, line: int, tolerance: float
    ) -> tuple[NDArray[np.bool_], Floats]:
        """(matched mask, chainage) of points on ``line`` within ``tolerance``."""
        lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
        matched = np.zeros(len(x), dtype=bool)
        chainage = np.full(len(x), np.nan)
        if hi <= lo or len(x) == 0:
            return matched, chainage
        # cheap bounding-box prefilter before building point geometries
        seg0, seg1 = self.lines.seg_xy0[lo:hi], self.lines.seg_xy1[lo:hi]
        xmin = min(seg0[:, 0].min(), seg1[:, 0].min()) - tolerance
        xmax = max(seg0[:, 0].max(), seg1[:, 0].max()) + tolerance
        ymin = min(seg0[:, 1].min(), seg1[:, 1].min()) - tolerance
        ymax = max(seg0[:, 1].max(), seg1[:, 1].max()) + tolerance
        near = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
        if len(near) == 0:
            return matched, chainage
        pts = shapely.points(x[near], y[near])
        (pi, si) = self._tree(line).query_nearest(pts, max_distance=tolerance, all_matches=False)
        seg = si + lo
        a, b = self.lines.seg_xy0[seg], self.lines.seg_xy1[seg]
        p = np.column_stack([x[near[pi]], y[near[pi]]])
        ab = b - a
        t = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        matched[near[pi]] = True
        chainage[near[pi]] = self.lines.seg_c0[seg] + t * self.lines.seg_len[seg]
        return matched, chainage


def measure(
    track: CleanTrack,
    lines: LineSet,
    targets: list[Target],
    params: MatchParams | None = None,
    matcher: LineMatcher | None = None,
) -> Coverage:
    """Coverage of each target by the kept points of ``track`` (all in the same metric CRS)."""
    params = params or MatchParams()
    matcher = matcher or LineMatcher(lines)
    x, y, t, part = track.kx, track.ky, track.kt, track.kpart
    n = len(x)
    on_point = np.zeros(n, dtype=bool)
    unions: dict[int, NDArray[np.float64]] = {}
    by_line: dict[int, list[Target]] = {}
    for target in targets:
        by_line.setdefault(target.line, []).append(target)
    for line, group in by_line.items():
        tolerance = max(tg.half_width_m for tg in group) + params.gps_margin_m
        matched, chainage = matcher.match(x, y, line, tolerance)
        # points near the line within some target's (extended) range count as on-assignment
        in_range = np.zeros(n, dtype=bool)
        for tg in group:
            in_range |= (
                matched & (chainage >= tg.start - tg.extend_m) & (chainage <= tg.end + tg.extend_m)
            )
        on_point |= in_range
        link = matched[:-1] & matched[1:] & (part[:-1] == part[1:])
        dc = np.abs(np.diff(chainage))
        link &= dc <= params.max_link_m
        i = np.flatnonzero(link)
        unions[line] = union_intervals(
            np.minimum(chainage[i], chainage[i + 1]), np.maximum(chainage[i], chainage[i + 1])
        )
    results = []
    for target in targets:
        union = unions.get(target.line, np.zeros((0, 2)))
        inside = clip_intervals(union, target.start, target.end)
        covered = float((inside[:, 1] - inside[:, 0]).sum())
        length = target.end - target.start
        ext = clip_intervals(union, target.start - target.extend_m, target.start)
        ext2 = clip_intervals(union, target.end, target.end + target.extend_m)
        extension = float((ext[:, 1] - ext[:, 0]).sum() + (ext2[:, 1] - ext2[:, 0]).sum())
        gaps = complement(inside, target.start, target.end)
        results.append(
            TargetCoverage(
                id=target.id,
                length_m=length,
                covered_m=covered,
                ratio=covered / length if length > 0 else 0.0,
                covered=[(a - target.start, b - target.start) for a, b in inside.tolist()],
                uncovered=[(a - target.start, b - target.start) for a, b in gaps.tolist()],
                extension_m=extension,
            )
        )
    step_ok = part[:-1] == part[1:] if n > 1 else np.zeros(0, dtype=bool)
    d = np.hypot(np.diff(x), np.diff(y))
    dt = np.diff(t)
    on_step = on_point[:-1] & on_point[1:] & step_ok
    off_step = ~on_step & step_ok
    return Coverage(
        targets=results,
        on_distance_m=float(d[on_step].sum()),
        off_distance_m=float(d[off_step].sum()),
        on_time_s=float(dt[on_step].sum()),
        off_time_s=float(dt[off_step].sum()),
        matched_points=int(on_point.sum()),
        kept_points=n,
        unions=unions,
    )
