"""Patrol GPS tracks: the raw points as uploaded, and their cleaning.

The raw points are evidence and are never altered; cleaning produces a mask of kept points
and, for every dropped point, the reason, so an office can see exactly what was not counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
from numpy.typing import NDArray

from gis_service.domain.vocab import TRAVEL_MODES

Floats = NDArray[np.float64]


class NumberedRefs(Sequence[str]):
    """``["point 1", "point 2", ...]`` (``prefix`` "point") without holding the strings: a
    name is made when asked for (an error or a dropped point names its point). A
    100,000-point upload's names were 7 MB of small strings, held while it was measured and
    stored. Equal to a list of the same names."""

    __slots__ = ("n", "prefix")

    def __init__(self, prefix: str, n: int):
        self.prefix = prefix
        self.n = n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [f"{self.prefix} {k + 1}" for k in range(*i.indices(self.n))]
        k = i + self.n if i < 0 else i
        if not 0 <= k < self.n:
            raise IndexError(i)
        return f"{self.prefix} {k + 1}"

    def __iter__(self) -> Iterator[str]:
        return map(f"{self.prefix} {{}}".format, range(1, self.n + 1))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, NumberedRefs):
            return (self.prefix, self.n) == (other.prefix, other.n)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == self.n and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are unhashable

    def __repr__(self) -> str:
        return f"NumberedRefs({self.prefix!r}, {self.n})"


@dataclass
class RawTrack:
    """Points exactly as parsed from an upload (before any coordinate conversion).

    ``time`` is UTC (``datetime64[ns]``); naive times were read in the configured zone.
    ``accuracy`` (metres, horizontal) and ``speed`` (m/s) are NaN where the file has none.
    ``ref`` names each point's place in the file ("line 12", "trkpt 7 (track 1, segment 2)")
    so errors and dropped points can be traced back to the upload.
    """

    lon: Floats
    lat: Floats
    time: NDArray[np.datetime64]
    accuracy: Floats
    speed: Floats
    ref: Sequence[str]
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lon)


# -- cleaning ---------------------------------------------------------------------------------

KEPT = ""
DUPLICATE = "duplicate"
BAD_CLOCK = "bad_clock"
POOR_ACCURACY = "poor_accuracy"
SPEED_SPIKE = "speed_spike"
JUMP = "jump"

# fastest plausible movement per patrol mode (m/s): a step faster than this (and than the
# track's own pace around it) may be a GPS jump, if the track comes back
MODE_MAX_SPEED = dict(zip(TRAVEL_MODES, (4.0, 12.0, 15.0, 40.0), strict=True))

CLOCK_EARLIEST_S = 946_684_800.0  # 2000-01-01T00:00Z: no patrol app recorded before it


@dataclass(frozen=True)
class CleaningParams:
    max_accuracy_m: float = 50.0
    max_gap_s: float = 600.0  # a longer silence splits the patrol into parts
    noise_m: float = 15.0  # GPS noise allowed on every step before speed is judged
    max_jump_points: int = 30  # an excursion of more points is movement, not a jump
    jump_min_m: float = 50.0  # an excursion smaller than this is GPS noise, not a jump
    pace_window: int = 15  # steps around a step that give the track's own pace
    pace_factor: float = 3.0  # a step this many times faster than the own pace may be a jump
    return_ratio: float = 0.5  # jumps come back: before->after < this share of the way out
    future_s: float = 86_400.0  # times more than a day ahead of the clock are a bad clock


@dataclass
class CleanTrack:
    """A track in time order, in metres, with what was dropped and why.

    ``order[i]`` is the raw index of the i-th point in time order; ``reason[i]`` is ""
    for a kept point; ``part[i]`` numbers the parts separated by long gaps (kept points).
    """

    order: NDArray[np.int64]
    x: Floats
    y: Floats
    t: Floats  # seconds since the epoch (UTC)
    kept: NDArray[np.bool_]
    reason: NDArray[np.str_]
    part: NDArray[np.int64]
    mode: str
    raw_part: NDArray[np.int64] | None = None  # parts of the timed points, before cleaning

    @property
    def kx(self) -> Floats:
        return self.x[self.kept]

    @property
    def ky(self) -> Floats:
        return self.y[self.kept]

    @property
    def kt(self) -> Floats:
        return self.t[self.kept]

    @property
    def kpart(self) -> NDArray[np.int64]:
        return self.part[self.kept]

    @property
    def timed(self) -> NDArray[np.bool_]:
        """Points whose time can be trusted (all but duplicates and bad clocks): the raw
        track the mode evidence is computed on, before any jump or spike is removed."""
        return (self.reason != DUPLICATE) & (self.reason != BAD_CLOCK)

    def dropped(self) -> dict[str, int]:
        values, counts = np.unique(self.reason[~self.kept], return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def _speed(a, b, x: Floats, y: Floats, t: Floats, acc: Floats, noise: float) -> Floats:
    """Noise-discounted speed from points ``a`` to points ``b`` (index arrays): the distance
    less both fixes' accuracy (at least ``noise``), over the time between them."""
    d = np.hypot(x[b] - x[a], y[b] - y[a])
    allowance = np.maximum(np.nan_to_num(acc[a] + acc[b], nan=0.0), noise)
    return np.maximum(d - allowance, 0.0) / np.maximum(t[b] - t[a], 1e-3)


def clock_faults(x: Floats, y: Floats, t: Floats, now_s: float | None, future_s: float):
    """(bad clock, duplicate) masks of points in time order.

    A time before 2000 or more than ``future_s`` ahead of ``now_s`` is a broken clock, and so
    are identical times on distinct positions (a device stamping every fix alike): all of
    those are ``bad_clock``, never silently taken for duplicates. A repeated time on the same
    position is a copy (offline sync sends points twice): ``duplicate``.
    """
    n = len(t)
    bad = t < CLOCK_EARLIEST_S
    if now_s is not None:
        bad |= t > now_s + future_s
    same_time = np.zeros(n, dtype=bool)
    same_time[1:] = t[1:] == t[:-1]
    if n > 1:
        # a run of equal times is a group; it is a bad clock if its positions differ
        group = np.cumsum(~same_time) - 1
        gx0, gy0 = x[~same_time][group], y[~same_time][group]
        moved = (np.abs(x - gx0) > 0.5) | (np.abs(y - gy0) > 0.5)
        moved_group = np.zeros(group[-1] + 1, dtype=bool)
        np.logical_or.at(moved_group, group, moved)
        bad |= moved_group[group]
    return bad, same_time & ~bad


def clean_track(
    x: Floats,
    y: Floats,
    t: Floats,
    accuracy: Floats,
    *,
    mode: str = "walk",
    params: CleaningParams | None = None,
    now_s: float | None = None,
) -> CleanTrack:
    """Sort by time, mark bad clocks and duplicates, drop poor fixes, spikes and jumps; split
    at gaps.

    ``x, y`` are metric coordinates of the raw points (already converted from GCJ-02/BD-09
    when needed), ``t`` seconds, ``now_s`` the clock to judge future times by. A jump is an
    isolated excursion that comes back: a run of steps faster than both the mode allows and
    the track's own pace, out and back again, beyond the GPS noise. A consistent fast run does
    not come back, so a drive stays a drive (and is judged a drive by the verdict). Vectorised:
    each rule is a few array passes, repeated for a handful of rounds, never point by point.
    """
    params = params or CleaningParams()
    vmax = MODE_MAX_SPEED.get(mode, MODE_MAX_SPEED["walk"])
    order = np.argsort(t, kind="stable")
    x, y, t, acc = x[order], y[order], t[order], accuracy[order]
    reason = np.full(len(t), KEPT, dtype=object)
    bad_clock, duplicate = clock_faults(x, y, t, now_s, params.future_s)
    reason[duplicate] = DUPLICATE
    reason[bad_clock] = BAD_CLOCK
    reason[(reason == KEPT) & (acc > params.max_accuracy_m)] = POOR_ACCURACY
    for _ in range(8):
        idx = np.flatnonzero(reason == KEPT)
        if len(idx) < 3:
            break
        # step speeds between the kept points and what counts as too fast for each step
        v = _speed(idx[:-1], idx[1:], x, y, t, acc, params.noise_m)
        d = np.hypot(np.diff(x[idx]), np.diff(y[idx]))
        # only steps beyond the mode's speed and the noise can be jumps: the track's own pace
        # (a rolling median) is needed at those alone
        limit = np.full(len(v), vmax)
        maybe = np.flatnonzero((v > vmax) & (d > params.jump_min_m))
        if len(maybe):
            pace = _own_pace(v, params.pace_window, maybe)
            limit[maybe] = np.maximum(vmax, params.pace_factor * pace)
        fast = (v > limit) & (d > params.jump_min_m)
        if not _drop_excursions(idx, fast, limit, d, x, y, t, acc, params, reason):
            break
    kept = reason == KEPT
    part = np.zeros(len(t), dtype=np.int64)
    k = np.flatnonzero(kept)
    if len(k):
        gaps = np.diff(t[k]) > params.max_gap_s
        part[k] = np.concatenate([[0], np.cumsum(gaps)])
    raw_part = np.zeros(len(t), dtype=np.int64)
    timed = np.flatnonzero(~bad_clock & ~duplicate)
    if len(timed):
        raw_part[timed] = np.concatenate([[0], np.cumsum(np.diff(t[timed]) > params.max_gap_s)])
    return CleanTrack(order, x, y, t, kept, reason.astype(str), part, mode, raw_part)


def _own_pace(v: Floats, window: int, at: NDArray[np.int64]) -> Floats:
    """Median step speed over ``window`` steps around the steps ``at``: the track's own pace
    (a drive is fast everywhere, a jump only at its two edges)."""
    if len(v) <= window:
        return np.full(len(at), float(np.median(v)))
    half = window // 2
    padded = np.pad(v, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, window)[at], axis=1)


def _drop_excursions(idx, fast, limit, d, x, y, t, acc, params, reason) -> bool:
    """Points between a fast step away and a fast step back to where the track was.

    Step ``e`` goes from ``idx[e]`` to ``idx[e + 1]``. An out-step and the next fast step
    enclose an excursion when it is short (at most ``max_jump_points``), the track comes
    back (the points before and after lie much closer together than the way out) and the
    step from before to after is plausible. One point is a ``speed_spike``, more a ``jump``.
    A last point arriving impossibly fast and far is a spike too.
    """
    edges = np.flatnonzero(fast)
    changed = False
    if len(edges) >= 2:
        out, back = edges[:-1], edges[1:]
        n_between = back - out
        before, after = idx[out], idx[back + 1]
        skip = np.hypot(x[after] - x[before], y[after] - y[before])
        plausible = _speed(before, after, x, y, t, acc, params.noise_m) <= limit[out]
        returns = skip < params.return_ratio * np.minimum(d[out], d[back])
        excursion = plausible & returns & (n_between <= params.max_jump_points)
        # an excursion's back-step cannot start the next one
        excursion[1:] &= ~excursion[:-1]
        if excursion.any():
            mark = np.zeros(len(idx) + 1, dtype=np.int64)
            np.add.at(mark, out[excursion] + 1, 1)
            np.add.at(mark, back[excursion] + 1, -1)
            inside = np.cumsum(mark)[: len(idx)] > 0
            single = np.zeros(len(idx), dtype=bool)
            single[out[excursion & (n_between == 1)] + 1] = True
            reason[idx[inside & single]] = SPEED_SPIKE
            reason[idx[inside & ~single]] = JUMP
            changed = True
    if fast[-1] and (len(fast) < 2 or not fast[-2]):
        reason[idx[-1]] = SPEED_SPIKE
        changed = True
    return changed
