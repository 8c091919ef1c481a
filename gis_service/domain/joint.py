"""Cross-boundary joint sections (联防联控) and the convener of a river's joint meeting.

Wherever a river passes from one region to another, at any level, the chiefs on both sides
share a *joint section*: from ``joint_reach_m`` upstream of the crossing to ``joint_reach_m``
downstream (seed 000: "walk one more kilometre", 多走1公里). The crossing point is where a
boundary monitoring cross-section (交界断面) naturally sits. A crossing of a county boundary is
also a township and village crossing: it is recorded once, at the coarsest level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from gis_service.domain.regions import NO_REGION
from gis_service.domain.segmentation import (
    BOUNDARY,
    RiverSegmentation,
    Segments,
    concat_segments,
)
from gis_service.domain.vocab import LEVEL_RANK

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass
class JointSections:
    river: Ints
    level: NDArray[np.str_]
    crossing: Floats  # chainage of the crossing point (where the river enters downstream)
    start: Floats  # chainage, clipped to the river
    end: Floats
    upstream: Ints  # region row upstream (NO_REGION: outside the data)
    downstream: Ints
    along_boundary: NDArray[np.bool_]  # the river runs along the boundary before crossing

    def __len__(self) -> int:
        return len(self.river)


def joint_sections(result: RiverSegmentation) -> JointSections:
    """Joint sections of every river, coarsest level first, each crossing once."""
    reach = result.params.joint_reach_m
    parts = []
    for level in result.levels:
        seq = concat_segments(
            [
                result.segments.take(result.segments.level == level),
                result.outside.take(result.outside.level == level),
            ]
        )
        order = np.lexsort((seq.start, seq.river))
        parts.append(_level_sections(seq.take(order), level, result.lines.lengths, reach))
    out = JointSections(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in JointSections.__dataclass_fields__
        )
    )
    # one record per crossing: keep the coarsest level (levels are processed coarse to fine)
    key = np.column_stack([out.river, np.round(out.crossing, 1)])
    _, first = np.unique(key, axis=0, return_index=True)
    keep = np.sort(first)
    return JointSections(*(getattr(out, f)[keep] for f in JointSections.__dataclass_fields__))


def _level_sections(seq: Segments, level: str, lengths: Floats, reach: float) -> JointSections:
    """Transitions between consecutive stretches of one level (sorted by river, chainage)."""
    n = len(seq)
    label = np.where(seq.kind == BOUNDARY, -2, seq.region)  # outside stays NO_REGION
    nxt = np.arange(1, n)
    same_river = seq.river[nxt] == seq.river[nxt - 1]
    # 1) a plain crossing: two non-boundary stretches with different regions
    plain = (
        same_river
        & (seq.kind[nxt] != BOUNDARY)
        & (seq.kind[nxt - 1] != BOUNDARY)
        & (label[nxt] != label[nxt - 1])
    )
    a = nxt[plain]
    plain_sections = (
        seq.river[a],
        seq.start[a],
        seq.start[a],
        seq.start[a],
        seq.region[a - 1],
        seq.region[a],
        np.zeros(len(a), dtype=bool),
    )
    # 2) a boundary stretch: the river runs along the boundary, then leaves it
    b = np.flatnonzero(seq.kind == BOUNDARY)
    first_of_run = (
        (b == 0)
        | (np.isin(b - 1, b, invert=True))
        | (seq.river[np.maximum(b - 1, 0)] != seq.river[b])
    )
    # consecutive boundary stretches (banks change along the way) form one run
    run_first = b[first_of_run]
    run_last = (
        b[np.concatenate([np.flatnonzero(first_of_run)[1:] - 1, [len(b) - 1]])] if len(b) else b
    )
    before = run_first - 1
    after = run_last + 1
    has_before = (before >= 0) & (seq.river[np.maximum(before, 0)] == seq.river[run_first])
    has_after = (after < n) & (seq.river[np.minimum(after, n - 1)] == seq.river[run_last])
    up = np.where(has_before, seq.region[np.maximum(before, 0)], NO_REGION)
    down = np.where(has_after, seq.region[np.minimum(after, n - 1)], NO_REGION)
    # if a neighbour is itself a boundary stretch or missing, fall back to the banks
    up = np.where(up >= 0, up, seq.left[run_first])
    down = np.where(down >= 0, down, seq.right[run_last])
    boundary_sections = (
        seq.river[run_first],
        seq.start[run_first],
        seq.end[run_last],
        seq.end[run_last],
        up,
        down,
        np.ones(len(run_first), dtype=bool),
    )
    river, lo, hi, crossing, upstream, downstream, along = (
        np.concatenate([p, q]) for p, q in zip(plain_sections, boundary_sections, strict=True)
    )
    return JointSections(
        river=river,
        level=np.full(len(river), level),
        crossing=crossing,
        start=np.maximum(lo - reach, 0.0),
        end=np.minimum(hi + reach, lengths[river]),
        upstream=upstream,
        downstream=downstream,
        along_boundary=along,
    )


def stretch_lengths(segments: Segments, level: str) -> dict[tuple[int, int], float]:
    """Length per (river, region) at ``level``; a boundary stretch counts half to each bank."""
    out: dict[tuple[int, int], float] = {}
    m = np.flatnonzero(segments.level == level)
    for j in m:
        length = float(segments.end[j] - segments.start[j])
        if segments.kind[j] == BOUNDARY:
            for side in (segments.left[j], segments.right[j]):
                if side >= 0:
                    out[(int(segments.river[j]), int(side))] = (
                        out.get((int(segments.river[j]), int(side)), 0.0) + length / 2
                    )
        else:
            key = (int(segments.river[j]), int(segments.region[j]))
            out[key] = out.get(key, 0.0) + length
    return out


def conveners(segments: Segments, codes: NDArray[np.str_]) -> dict[int, dict]:
    """For each river crossing 2+ counties: the county with the longest stretch (seed 001).

    Returns ``{river: {"convener": code, "lengths_m": {county code: metres}}}``; ties go to
    the smaller code so the answer never depends on input order.
    """
    per_river: dict[int, dict[str, float]] = {}
    for (river, region), length in stretch_lengths(segments, "county").items():
        per_river.setdefault(river, {})[str(codes[region])] = length
    out = {}
    for river, lengths in per_river.items():
        if len(lengths) >= 2:
            convener = min(lengths, key=lambda c: (-round(lengths[c], 3), c))
            out[river] = {"convener": convener, "lengths_m": dict(sorted(lengths.items()))}
    return out


def joint_meeting_needed(roles: Sequence[str], levels: Sequence[str]) -> bool:
    """Whether a river's convener must call a joint meeting (联席会议, seed 001).

    ``roles`` and ``levels``: the river's own posts on the day (one entry per post). A river
    with a river chief (河长) at city level or above has someone who coordinates the counties
    along it; without one, the convener county (``conveners``) calls the meeting. Deputy
    chiefs and lake chiefs do not count; neither does a level the vocabulary does not know.
    """
    role = np.asarray(roles, dtype=object)
    rank = np.array([LEVEL_RANK.get(str(lv), len(LEVEL_RANK)) for lv in levels], dtype=np.int64)
    if role.shape != rank.shape:
        raise ValueError("roles and levels must have one entry per post")
    city_chief = (role == "river_chief") & (rank <= LEVEL_RANK["city"])
    return not bool(city_chief.any())
