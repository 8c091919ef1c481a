"""Patrol GPS tracks: the raw points as uploaded, and their cleaning.

The raw points are evidence and are never altered; cleaning produces a mask of kept points
and, for every dropped point, the reason, so an office can see exactly what was not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


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
    ref: list[str]
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lon)


# -- cleaning ---------------------------------------------------------------------------------

KEPT = ""
DUPLICATE = "duplicate"
POOR_ACCURACY = "poor_accuracy"
SPEED_SPIKE = "speed_spike"
JUMP = "jump"

# fastest plausible movement per patrol mode (m/s), used to tell GPS jumps from movement
MODE_MAX_SPEED = {"walk": 4.0, "bike": 12.0, "boat": 15.0, "vehicle": 40.0}


@dataclass(frozen=True)
class CleaningParams:
    max_accuracy_m: float = 50.0
    max_gap_s: float = 600.0  # a longer silence splits the patrol into parts
    noise_m: float = 15.0  # GPS noise allowed on every step before speed is judged
    max_jump_points: int = 30  # an excursion of more points is movement, not a jump


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

    def dropped(self) -> dict[str, int]:
        values, counts = np.unique(self.reason[~self.kept], return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}


def _speed(a, b, x: Floats, y: Floats, t: Floats, acc: Floats, noise: float) -> Floats:
    """Noise-discounted speed from points ``a`` to points ``b`` (index arrays): the distance
    less both fixes' accuracy (at least ``noise``), over the time between them."""
    d = np.hypot(x[b] - x[a], y[b] - y[a])
    allowance = np.maximum(np.nan_to_num(acc[a] + acc[b], nan=0.0), noise)
    return np.maximum(d - allowance, 0.0) / np.maximum(t[b] - t[a], 1e-3)


def clean_track(
    x: Floats,
    y: Floats,
    t: Floats,
    accuracy: Floats,
    *,
    mode: str = "walk",
    params: CleaningParams | None = None,
) -> CleanTrack:
    """Sort by time, drop duplicates, poor fixes, speed spikes and jumps; split at gaps.

    ``x, y`` are metric coordinates of the raw points (already converted from GCJ-02/BD-09
    when needed), ``t`` seconds. Vectorised: each rule is a few array passes; spikes and
    jumps are removed in a handful of rounds, never point by point.
    """
    params = params or CleaningParams()
    vmax = MODE_MAX_SPEED.get(mode, MODE_MAX_SPEED["walk"])
    order = np.argsort(t, kind="stable")
    x, y, t, acc = x[order], y[order], t[order], accuracy[order]
    reason = np.full(len(t), KEPT, dtype=object)
    # exact duplicates (offline sync often sends points twice) and repeated timestamps
    same_time = np.zeros(len(t), dtype=bool)
    same_time[1:] = t[1:] == t[:-1]
    reason[same_time] = DUPLICATE
    reason[(reason == KEPT) & (acc > params.max_accuracy_m)] = POOR_ACCURACY
    for _ in range(8):
        idx = np.flatnonzero(reason == KEPT)
        if len(idx) < 3:
            break
        # step speeds between the kept points, shared by both rules of this round
        v = _speed(idx[:-1], idx[1:], x, y, t, acc, params.noise_m)
        changed = _drop_jumps(idx, v, x, y, t, acc, vmax, params, reason)
        changed |= _drop_spikes(idx, v, x, y, t, acc, vmax, params, reason)
        if not changed:
            break
    kept = reason == KEPT
    part = np.zeros(len(t), dtype=np.int64)
    k = np.flatnonzero(kept)
    if len(k):
        gaps = np.diff(t[k]) > params.max_gap_s
        part[k] = np.concatenate([[0], np.cumsum(gaps)])
    return CleanTrack(order, x, y, t, kept, reason.astype(str), part, mode)


def _drop_spikes(idx, v, x, y, t, acc, vmax, params, reason) -> bool:
    """A point whose in- and out-steps are too fast but whose neighbours agree: a spike."""
    skip_v = _speed(idx[:-2], idx[2:], x, y, t, acc, params.noise_m)
    spike = (v[:-1] > vmax) & (v[1:] > vmax) & (skip_v <= vmax)
    # never drop both of two neighbours in one round: keep the lower-speed one
    spike[1:] &= ~(spike[:-1] & (v[1:-1] <= v[:-2]))
    hit = idx[1:-1][spike]
    reason[hit] = SPEED_SPIKE
    # a last point arriving impossibly fast
    if v[-1] > vmax and len(idx) >= 2 and v[-2] <= vmax:
        reason[idx[-1]] = SPEED_SPIKE
        return True
    return bool(len(hit))


def _drop_jumps(idx, v, x, y, t, acc, vmax, params, reason) -> bool:
    """Points between a jump away and a jump back to where the track was: an excursion."""
    edges = np.flatnonzero(v > vmax)  # step e goes from idx[e] to idx[e + 1]
    if len(edges) < 2:
        return False
    out, back = edges[:-1], edges[1:]
    n_between = back - out
    before, after = idx[out], idx[back + 1]
    plausible = _speed(before, after, x, y, t, acc, params.noise_m) <= vmax
    excursion = plausible & (n_between >= 2) & (n_between <= params.max_jump_points)
    if not excursion.any():
        return False
    mark = np.zeros(len(idx) + 1, dtype=np.int64)
    np.add.at(mark, out[excursion] + 1, 1)
    np.add.at(mark, back[excursion] + 1, -1)
    inside = np.cumsum(mark)[: len(idx)] > 0
    reason[idx[inside]] = JUMP
    return True
