"""Which stretches of the assigned water a patrol actually covered, by linear referencing.

The track is never buffered. Each kept point is matched to the nearest piece of the target
line within a tolerance (the zone's half-width plus a GPS margin), found through a grid hash
of the line's segments, and projected to a chainage. Two consecutive matched points, close
along the line, cover the stretch between their chainages; the union of those stretches,
clipped to a segment's chainage range, is what the patrol covered there. Area zones
(reservoir water, shoreline pieces) are measured the same way along their shore line.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from gis_service.domain.linear import LineSet, ragged_arange
from gis_service.domain.tracks import CleanTrack

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class MatchParams:
    gps_margin_m: float = 20.0  # added to the zone half-width to get the match tolerance
    max_link_m: float = 150.0  # consecutive matches further apart along the line: not linked
    joint_reach_m: float = 1000.0  # 多走1公里: credit for walking past the segment's ends
    silence_max_speed_mps: float = 2.0  # across a silence on one segment at most this: walked


@dataclass(frozen=True)
class Target:
    """One assigned stretch: chainage [start, end] of line ``line`` of the LineSet."""

    id: str
    line: int
    start: float
    end: float
    half_width_m: float
    extend_m: float = 0.0  # joint-section credit beyond each end (0 for zones)
    credit_only: bool = False  # a neighbour's segment walked on a joint section (多走1公里)


@dataclass
class TargetCoverage:
    id: str
    length_m: float
    covered_m: float
    ratio: float
    covered: list[tuple[float, float]]  # chainage ranges relative to the target's start
    uncovered: list[tuple[float, float]]
    extension_m: float  # covered beyond the ends, within the joint reach
    credit_only: bool = False


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


MATCH_PAIRS = 8192  # candidate (point, segment) pairs computed at once


class LineMatcher:
    """Nearest line segment of each point, within a tolerance, by a uniform grid hash.

    Patrol points fall near a river whose segments are short: hashing the segments into grid
    cells about the size of the tolerance leaves a handful of candidates per point, and the
    projection of every candidate pair is one numpy expression (faster than an STRtree's
    per-point nearest query, and free of shapely point objects).

    Each grid keeps, in the grid's order, one flat column per value of its entries' segments
    (start x and y, direction x and y, squared length, chainage at the start, length): a
    point's candidates are one run of each column, gathered with ``take`` on 1-D arrays (row
    indexing of an (n, 2) array is ten to twenty times slower in numpy). The pairs go through
    in runs of at most ``MATCH_PAIRS`` (whole points) through a handful of work arrays written
    in place and kept by each thread (about 600 kB): fresh arrays for every pair of a track
    cost more in page faults (memory the allocator handed back and maps again) than the
    arithmetic, about 1,200 faults and 3 ms per 5,000-point track.
    """

    def __init__(self, lines: LineSet):
        self.lines = lines
        self._grids: dict[tuple[int, float], _Grid] = {}

    def _grid(self, line: int, tolerance: float) -> _Grid:
        key = (line, tolerance)
        if key not in self._grids:
            lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
            a, b = self.lines.seg_xy0[lo:hi], self.lines.seg_xy1[lo:hi]
            cell = max(2.0 * tolerance, _median(self.lines.seg_len[lo:hi]) if hi > lo else 1.0)
            mins = np.minimum(a, b) - tolerance
            maxs = np.maximum(a, b) + tolerance
            origin = mins.min(axis=0) if hi > lo else np.zeros(2)
            i0 = np.floor((mins - origin) / cell).astype(np.int64)
            i1 = np.floor((maxs - origin) / cell).astype(np.int64)
            nx, ny = i1[:, 0] - i0[:, 0] + 1, i1[:, 1] - i0[:, 1] + 1
            counts = nx * ny
            seg = np.repeat(np.arange(hi - lo), counts)
            k = ragged_arange(counts)
            nxs = nx.take(seg)  # 1-D takes: row indexing of (n, 2) arrays is slow
            cx = i0[:, 0].take(seg) + k % nxs
            cy = i0[:, 1].take(seg) + k // nxs
            keys = cx * 1_000_003 + cy
            order = np.argsort(keys, kind="stable")
            seg = seg[order]  # this line's segments, numbered from its first
            ab = b - a  # the same differences as per pair
            length = self.lines.seg_len[lo:hi]
            self._grids[key] = _Grid(
                float(origin[0]),
                float(origin[1]),
                cell,
                keys[order],
                a[:, 0].take(seg),
                a[:, 1].take(seg),
                ab[:, 0].take(seg),
                ab[:, 1].take(seg),
                (length**2).take(seg),
                self.lines.seg_c0[lo:hi].take(seg),
                length.take(seg),
            )
        return self._grids[key]

    def match(
        self, x: Floats, y: Floats, line: int, tolerance: float
    ) -> tuple[NDArray[np.bool_], Floats]:
        """(matched mask, chainage) of points on ``line`` within ``tolerance``: each point's
        nearest segment (on a tie the first of the line), projected to a chainage.

        Each point is matched on its own, so the runs of pairs change nothing, and a
        100,000-point upload never holds its million pairs at once."""
        n = len(x)
        matched = np.zeros(n, dtype=bool)
        chainage = np.full(n, np.nan)
        lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
        if hi <= lo or n == 0:
            return matched, chainage
        g = self._grid(line, tolerance)
        px = np.floor((x - g.ox) / g.cell).astype(np.int64)
        py = np.floor((y - g.oy) / g.cell).astype(np.int64)
        pkey = px * 1_000_003 + py
        start = np.searchsorted(g.keys, pkey, side="left")
        counts = np.searchsorted(g.keys, pkey, side="right") - start
        some = np.flatnonzero(counts)  # the points with candidates
        if len(some) == 0:
            return matched, chainage
        start, counts = start[some], counts[some]
        ends = np.cumsum(counts)
        # runs of whole points of at most MATCH_PAIRS pairs (one point alone may have more)
        bounds = [0]
        while bounds[-1] < len(some):
            k = bounds[-1]
            reach = int(ends[k - 1]) if k else 0
            bounds.append(max(int(np.searchsorted(ends, reach + MATCH_PAIRS, "right")), k + 1))
        edges = np.concatenate([[0], ends])[bounds]
        work = _work(int(np.diff(edges).max()))
        limit = tolerance * tolerance
        for k0, k1 in itertools.pairwise(bounds):
            run = slice(k0, k1)
            near, best_entry, best_t = work.nearest(
                g, x[some[run]], y[some[run]], start[run], counts[run], limit
            )
            point = some[run][near]
            matched[point] = True
            chainage[point] = g.c0.take(best_entry) + best_t * g.seg_len.take(best_entry)
        return matched, chainage


def _median(values: Floats) -> float:
    """``float(np.median(values))`` of a non-empty 1-D array, bit for bit (the middle value,
    or the two middle ones' sum halved; NaN if any is NaN), without its generic machinery (a
    third of a grid's time)."""
    n = len(values)
    half = n // 2
    part = np.partition(values, [half - 1, half] if n % 2 == 0 else [half])
    if np.isnan(part[-1]):  # partition puts NaN last
        return float("nan")
    return float(part[half] if n % 2 else (part[half - 1] + part[half]) / 2)


_local = threading.local()


def _work(size: int) -> _Work:
    """This thread's work arrays (room for ``MATCH_PAIRS`` pairs, kept: no fresh memory per
    track), or arrays of one call for a point with more candidates than that alone."""
    work: _Work | None = getattr(_local, "work", None)
    if work is not None and work.size >= size:
        return work
    if size > MATCH_PAIRS:
        return _Work(size)
    _local.work = _Work(MATCH_PAIRS)
    return _local.work


class _Work:
    """Work arrays for ``size`` candidate pairs."""

    def __init__(self, size: int):
        self.size = size
        self.arange = np.arange(size)
        self.group = np.empty(size, dtype=np.int64)
        self.entry = np.empty(size, dtype=np.int64)
        self.f = [np.empty(size) for _ in range(6)]
        self.low = np.empty(size, dtype=bool)

    def nearest(
        self,
        g: _Grid,
        x: Floats,
        y: Floats,
        start: NDArray[np.int64],
        counts: NDArray[np.int64],
        limit: float,
    ) -> tuple[NDArray[np.bool_], NDArray[np.int64], Floats]:
        """For points with ``counts`` candidates (>= 1) from grid entry ``start`` on: whether
        the nearest lies within sqrt(``limit``), and its grid entry and segment parameter t
        (for those points only). The same arithmetic, operation by operation, as one numpy
        expression over all pairs: the same bits (``clip(t, 0, 1)`` is ``min(max(t, 0), 1)``)."""
        size = int(counts.sum())
        first = counts.cumsum()
        first -= counts  # where each point's pairs begin
        group, entry = self.group[:size], self.entry[:size]
        group.fill(0)  # the point of each pair: 0, 0, 0, 1, 1, 2, ...
        group[first[1:]] = 1
        group.cumsum(out=group)
        (start - first).take(group, out=entry, mode="clip")
        entry += self.arange[:size]  # the candidate grid entries
        abx, aby, apx, apy, tmp, t = (f[:size] for f in self.f)
        g.abx.take(entry, out=abx, mode="clip")
        g.aby.take(entry, out=aby, mode="clip")
        x.take(group, out=apx, mode="clip")
        apx -= g.ax.take(entry, out=tmp, mode="clip")
        y.take(group, out=apy, mode="clip")
        apy -= g.ay.take(entry, out=tmp, mode="clip")
        # t = clip((apx * abx + apy * aby) / len2, 0, 1)
        np.multiply(apx, abx, out=t)
        t += np.multiply(apy, aby, out=tmp)
        t /= g.len2.take(entry, out=tmp, mode="clip")
        np.maximum(t, 0.0, out=t)
        np.minimum(t, 1.0, out=t)
        # d2 = dx * dx + dy * dy with dx = apx - t * abx, dy = apy - t * aby
        apx -= np.multiply(t, abx, out=abx)
        apy -= np.multiply(t, aby, out=aby)
        d2 = np.multiply(apx, apx, out=apx)
        d2 += np.multiply(apy, apy, out=apy)
        # the nearest of each point; on a tie the first candidate (the lowest segment)
        nearest = np.fmin.reduceat(d2, first)  # a NaN pair (none expected) is no candidate
        low = np.less_equal(d2, nearest.take(group, out=tmp, mode="clip"), out=self.low[:size])
        lowest = np.flatnonzero(low)
        near = nearest <= limit  # NaN: no
        best = lowest[lowest.searchsorted(first[near])]
        return near, entry[best], t[best]


class _Grid(NamedTuple):
    """A line's segments hashed into square cells: the sorted cell keys of every (cell,
    segment) entry, and per entry its segment's values."""

    ox: float
    oy: float
    cell: float
    keys: NDArray[np.int64]
    ax: Floats
    ay: Floats
    abx: Floats
    aby: Floats
    len2: Floats
    c0: Floats
    seg_len: Floats


def _walked_silences(
    matched: NDArray[np.bool_],
    chainage: Floats,
    t: Floats,
    same_part: NDArray[np.bool_],
    targets: _Spans,
    params: MatchParams,
) -> NDArray[np.bool_]:
    """Steps across a silence (a gap that split the patrol) that were walked all the same:
    both ends lie on the line within the tolerance, inside one and the same target, and the
    way along the line between them fits a walking pace over the time of the silence."""
    across = ~same_part & matched[:-1] & matched[1:]
    if not across.any():
        return across
    a, b = chainage[:-1], chainage[1:]
    pace = np.abs(b - a) / np.maximum(np.diff(t), 1e-3)
    across &= pace <= params.silence_max_speed_mps
    return across & targets.hold(a, b)


FEW_INTERVALS = 4


def within_one(lo: Floats, hi: Floats, a: Floats, b: Floats) -> NDArray[np.bool_]:
    """Whether some interval [lo_k, hi_k] holds both ``a_i`` and ``b_i`` (NaN: never).

    One sort and one search for all the intervals: some interval holds both exactly when,
    among the intervals starting at or before min(a, b), the farthest end reaches max(a, b).
    A general chief has hundreds of targets on a line: no pass over the points per target.
    """
    return _Spans(lo, hi).hold(a, b)


class _Spans:
    """Intervals [lo_k, hi_k] sorted once for ``within_one``'s questions (a line's targets
    are asked three times per track)."""

    def __init__(self, lo: Floats, hi: Floats):
        self.few = len(lo) <= FEW_INTERVALS  # a chief's own few: a comparison each is cheaper
        if self.few:
            self.pairs = list(zip(lo.tolist(), hi.tolist(), strict=True))
        else:
            order = np.argsort(lo, kind="stable")
            self.starts = lo[order]
            self.reach = np.maximum.accumulate(hi[order])

    def hold(self, a: Floats, b: Floats) -> NDArray[np.bool_]:
        """Whether some interval holds both ``a_i`` and ``b_i`` (NaN: never)."""
        if self.few:
            out = np.zeros(len(a), dtype=bool)
            for s, e in self.pairs:
                out |= (a >= s) & (a <= e) & (b >= s) & (b <= e)
            return out
        return self.hold_point(np.minimum(a, b), np.maximum(a, b))

    def hold_point(self, low: Floats, high: Floats | None = None) -> NDArray[np.bool_]:
        """``hold(low, high)`` for ``low <= high`` (NaN: never); ``hold(c, c)`` without
        ``high``."""
        high = low if high is None else high
        if self.few:
            out = np.zeros(len(low), dtype=bool)
            for s, e in self.pairs:
                out |= (low >= s) & (high <= e)
            return out
        k = np.searchsorted(self.starts, low, side="right") - 1  # NaN sorts last: len - 1
        out = k >= 0
        out[out] = self.reach[k[out]] >= high[out]  # a NaN compares False
        return out


def _over_strays(
    matched: NDArray[np.bool_],
    chainage: Floats,
    t: Floats,
    part: NDArray[np.int64],
    targets: _Spans,
    params: MatchParams,
) -> tuple[Floats, Floats]:
    """Chainage pairs of matched points with stray (unmatched) points between them, in the
    same part: a point thrown beyond the tolerance by GPS noise does not cut the walk when
    the matched points around it are close along the line, at a walking pace, on one
    target (the silence rule's test, for a stray point instead of a silence)."""
    k = np.flatnonzero(matched)
    if len(k) < 2:
        return np.zeros(0), np.zeros(0)
    a, b = k[:-1], k[1:]
    ok = (b - a > 1) & (part[a] == part[b])
    ca, cb = chainage[a], chainage[b]
    ok &= np.abs(cb - ca) <= params.max_link_m
    # the pace along the line, less the GPS margin at the two ends (a few seconds apart,
    # noise would otherwise look like a sprint)
    along = np.maximum(np.abs(cb - ca) - params.gps_margin_m, 0.0)
    ok &= along / np.maximum(t[b] - t[a], 1e-3) <= params.silence_max_speed_mps
    ok &= targets.hold(ca, cb)
    return ca[ok], cb[ok]


def _clipped(
    union: NDArray[np.float64], lo: Floats, hi: Floats
) -> tuple[NDArray[np.int64], Floats, Floats]:
    """The union's intervals clipped to each [lo_k, hi_k] (what ``clip_intervals`` gives
    target by target), as (owner k, start, end) grouped by owner in chainage order.

    The union is sorted and disjoint, so its ends are sorted too: the intervals that can
    reach into [lo_k, hi_k] are one run found by two binary searches. Clipping is the same
    max-then-min as ``np.clip`` (bit for bit), and empty results are dropped as there."""
    starts, ends = union[:, 0], union[:, 1]
    first = np.searchsorted(ends, lo, side="right")
    last = np.searchsorted(starts, hi, side="left")
    count = np.where(hi > lo, np.maximum(last - first, 0), 0)
    owner = np.repeat(np.arange(len(lo)), count)
    idx = np.repeat(first, count) + ragged_arange(count)
    a = np.minimum(np.maximum(starts[idx], lo[owner]), hi[owner])
    b = np.minimum(np.maximum(ends[idx], lo[owner]), hi[owner])
    keep = b > a
    return owner[keep], a[keep], b[keep]


def _sums(owner: NDArray[np.int64], values: Floats, n: int) -> list[float]:
    """Per owner, ``values[owner == k].sum()`` exactly as numpy sums one target's array
    (its pairwise summation differs from ``np.add.reduceat`` in the last bits): one numpy
    call only for owners with several values, most have none or one."""
    counts = np.bincount(owner, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    out = np.zeros(n)
    single = counts == 1
    out[single] = values[offsets[:-1][single]]
    for k in np.flatnonzero(counts > 1).tolist():
        out[k] = values[offsets[k] : offsets[k + 1]].sum()
    return out.tolist()


def _line_coverages(
    union: NDArray[np.float64], group: list[Target], lo: Floats, hi: Floats, ext: Floats
) -> list[TargetCoverage]:
    """Coverage of every target of one line at once (a general chief has hundreds per line):
    covered ranges, gaps between them, and the covered reach beyond the ends; the same
    numbers the per-target ``clip_intervals`` / ``complement`` gave (tests/coverage_reference).
    ``lo``, ``hi``, ``ext``: the targets' starts, ends and joint reaches."""
    n = len(group)
    owner, a, b = _clipped(union, lo, hi) if len(union) else _none()
    covered_m = _sums(owner, b - a, n)
    o1, a1, b1 = _clipped(union, lo - ext, lo) if len(union) else _none()
    o2, a2, b2 = _clipped(union, hi, hi + ext) if len(union) else _none()
    before, after = _sums(o1, b1 - a1, n), _sums(o2, b2 - a2, n)
    # gaps: (start, first piece), (piece end, next piece start) ..., (last piece end, end)
    counts = np.bincount(owner, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    gap_owner = np.repeat(np.arange(n), counts + 1)
    gap_lo = np.empty(len(gap_owner))
    gap_hi = np.empty(len(gap_owner))
    heads = offsets[:-1] + np.arange(n)  # each owner's first gap
    tails = offsets[1:] + np.arange(n)  # and last
    gap_lo[heads] = lo
    gap_hi[tails] = hi
    inner_lo = np.ones(len(gap_owner), dtype=bool)
    inner_lo[heads] = False
    inner_hi = np.ones(len(gap_owner), dtype=bool)
    inner_hi[tails] = False
    gap_lo[inner_lo] = b
    gap_hi[inner_hi] = a
    real = gap_hi - gap_lo > 1e-9
    gap_counts = np.bincount(gap_owner[real], minlength=n)
    gap_offsets = np.concatenate([[0], np.cumsum(gap_counts)])
    start = lo[gap_owner[real]]
    gaps = list(zip((gap_lo[real] - start).tolist(), (gap_hi[real] - start).tolist(), strict=True))
    pieces = list(zip((a - lo[owner]).tolist(), (b - lo[owner]).tolist(), strict=True))
    offs, gap_offs = offsets.tolist(), gap_offsets.tolist()
    # positional, in the fields' order: hundreds of records per track
    return [
        TargetCoverage(
            tg.id,
            tg.end - tg.start,
            cov,
            cov / (tg.end - tg.start) if tg.end - tg.start > 0 else 0.0,
            pieces[o0:o1],
            gaps[g0:g1],
            b0 + a0,
            tg.credit_only,
        )
        for tg, cov, o0, o1, g0, g1, b0, a0 in zip(
            group,
            covered_m,
            offs[:-1],
            offs[1:],
            gap_offs[:-1],
            gap_offs[1:],
            before,
            after,
            strict=True,
        )
    ]


def _none() -> tuple[NDArray[np.int64], Floats, Floats]:
    return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)


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
    ranges: dict[int, tuple[Floats, Floats, Floats]] = {}
    same_part = part[:-1] == part[1:]
    for line, group in by_line.items():
        tolerance = max(tg.half_width_m for tg in group) + params.gps_margin_m
        matched, chainage = matcher.match(x, y, line, tolerance)
        lo = np.array([tg.start for tg in group], dtype=float)
        hi = np.array([tg.end for tg in group], dtype=float)
        ext = np.array([tg.extend_m for tg in group], dtype=float)
        ranges[line] = lo, hi, ext
        on_target = _Spans(lo, hi)
        # points near the line within some target's (extended) range count as on-assignment
        # (each bound as the per-target loop computed it: start - extend, end + extend)
        in_range = matched & _Spans(lo - ext, hi + ext).hold_point(chainage)
        on_point |= in_range
        dc = np.abs(np.diff(chainage))
        link = matched[:-1] & matched[1:] & same_part & (dc <= params.max_link_m)
        link |= _walked_silences(matched, chainage, t, same_part, on_target, params)
        i = np.flatnonzero(link)
        ja, jb = _over_strays(matched, chainage, t, part, on_target, params)
        unions[line] = union_intervals(
            np.concatenate([np.minimum(chainage[i], chainage[i + 1]), np.minimum(ja, jb)]),
            np.concatenate([np.maximum(chainage[i], chainage[i + 1]), np.maximum(ja, jb)]),
        )
    results: list[TargetCoverage | None] = [None] * len(targets)
    for line, group in by_line.items():
        where = (
            range(len(targets))
            if len(by_line) == 1
            else [k for k, tg in enumerate(targets) if tg.line == line]
        )
        for k, tc in zip(where, _line_coverages(unions[line], group, *ranges[line]), strict=True):
            results[k] = tc
    step_ok = same_part
    d = np.hypot(np.diff(x), np.diff(y))
    dt = np.diff(t)
    on_step = on_point[:-1] & on_point[1:] & step_ok
    off_step = ~on_step & step_ok
    return Coverage(
        targets=[tc for tc in results if tc is not None],
        on_distance_m=float(d[on_step].sum()),
        off_distance_m=float(d[off_step].sum()),
        on_time_s=float(dt[on_step].sum()),
        off_time_s=float(dt[off_step].sum()),
        matched_points=int(on_point.sum()),
        kept_points=n,
        unions=unions,
    )


def without_credit(coverage: Coverage) -> Coverage:
    """The same measurement with nothing covered: for a track whose coordinates cannot be
    trusted to lie where it was walked (an undeclared GCJ-02/BD-09 offset), the stretches it
    happens to cross are not credited. Distances and times stay as measured."""
    return replace(
        coverage,
        targets=[
            replace(
                tc,
                covered_m=0.0,
                ratio=0.0,
                covered=[],
                uncovered=[(0.0, tc.length_m)] if tc.length_m > 0 else [],
                extension_m=0.0,
            )
            for tc in coverage.targets
        ],
        unions={},
    )
