"""The river network: confluences, and what lies upstream and downstream of a segment.

A tributary joins its main stem where its mouth meets the main stem's line; that point's
chainage on the main stem links the two chainage axes. Walking downstream follows the river
to its mouth, then the main stem from the confluence; walking upstream follows the river
towards its source and enters every tributary whose confluence is passed on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.linear import LineSet
from gis_service.domain.segmentation import Segments
from gis_service.domain.vocab import LEVEL_RANK

Ints = NDArray[np.int64]
CONNECT_TOLERANCE_M = 50.0


@dataclass
class Confluences:
    tributary: Ints
    main: Ints
    chainage_on_main: NDArray[np.float64]
    gap_m: NDArray[np.float64]  # distance from the tributary's mouth to the main stem

    def __len__(self) -> int:
        return len(self.tributary)


def confluences(lines: LineSet, parent: Ints) -> Confluences:
    """Where each tributary (``parent[i] >= 0``) meets its main stem."""
    trib = np.flatnonzero(parent >= 0)
    main = parent[trib]
    mouth = shapely.points(lines.interpolate(trib, lines.lengths[trib]))
    chainage = lines.locate(main, mouth)
    gap = shapely.distance(mouth, shapely.points(lines.interpolate(main, chainage)))
    return Confluences(trib, main, chainage, gap)


@dataclass(frozen=True)
class Neighbour:
    segment: int  # row in the Segments table
    distance_m: float  # along the flow path, from the queried segment's end (or start)
    via: tuple[int, ...]  # rivers walked through, in order


class Network:
    """Upstream/downstream queries over segmented rivers (one level at a time)."""

    def __init__(self, segments: Segments, lengths: NDArray[np.float64], conf: Confluences):
        self.segments = segments
        self.lengths = lengths
        connected = conf.gap_m <= CONNECT_TOLERANCE_M
        self.main_of = {
            int(t): (int(m), float(c))
            for t, m, c in zip(
                conf.tributary[connected],
                conf.main[connected],
                conf.chainage_on_main[connected],
                strict=True,
            )
        }
        self.tributaries: dict[int, list[tuple[float, int]]] = {}
        for t, (m, c) in self.main_of.items():
            self.tributaries.setdefault(m, []).append((c, t))
        for items in self.tributaries.values():
            items.sort()
        self._by_river_level: dict[tuple[int, str], list[int]] = {}
        order = np.lexsort((segments.start, segments.level, segments.river))
        for j in order:
            self._by_river_level.setdefault(
                (int(segments.river[j]), str(segments.level[j])), []
            ).append(int(j))

    def _rows(self, river: int, level: str) -> list[int]:
        rows = self._by_river_level.get((river, level))
        if rows:
            return rows
        # a tributary managed below this level: use its coarsest level
        levels = [lv for (r, lv) in self._by_river_level if r == river]
        if not levels:
            return []
        return self._by_river_level[river, min(levels, key=LEVEL_RANK.__getitem__)]

    def _within(self, river: int, level: str, lo: float, hi: float) -> list[int]:
        s = self.segments
        return [
            j for j in self._rows(river, level) if s.end[j] > lo + 1e-6 and s.start[j] < hi - 1e-6
        ]

    def downstream(self, segment: int, max_distance_m: float = np.inf) -> list[Neighbour]:
        """Segments below ``segment`` in flow order, through main stems, to a distance."""
        s = self.segments
        level = str(s.level[segment])
        river, at, travelled = int(s.river[segment]), float(s.end[segment]), 0.0
        via: tuple[int, ...] = ()
        out: list[Neighbour] = []
        while True:
            via = (*via, river)
            length = float(self.lengths[river])
            hi = min(length, at + max_distance_m - travelled)
            for j in self._within(river, level, at, hi):
                out.append(Neighbour(j, travelled + max(0.0, float(s.start[j]) - at), via))
            travelled += length - at
            if travelled >= max_distance_m or river not in self.main_of:
                return out
            river, at = self.main_of[river]

    def upstream(self, segment: int, max_distance_m: float = np.inf) -> list[Neighbour]:
        """Segments above ``segment``: the same river towards the source and every tributary
        joining on the way, recursively, to a distance."""
        s = self.segments
        level = str(s.level[segment])
        out: list[Neighbour] = []
        self._walk_up(
            int(s.river[segment]), float(s.start[segment]), 0.0, (), level, max_distance_m, out
        )
        return sorted(out, key=lambda n: (n.distance_m, n.segment))

    def _walk_up(
        self,
        river: int,
        at: float,
        travelled: float,
        via: tuple[int, ...],
        level: str,
        limit: float,
        out: list[Neighbour],
    ) -> None:
        s = self.segments
        via = (*via, river)
        lo = max(0.0, at - (limit - travelled))
        for j in self._within(river, level, lo, at):
            out.append(Neighbour(j, travelled + max(0.0, at - float(s.end[j])), via))
        for chainage, trib in self.tributaries.get(river, []):
            if lo - 1e-6 <= chainage <= at + 1e-6:
                self._walk_up(
                    trib,
                    float(self.lengths[trib]),
                    travelled + (at - chainage),
                    via,
                    level,
                    limit,
                    out,
                )
