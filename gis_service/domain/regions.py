"""The administrative hierarchy as arrays: who is inside whom, and which leaf holds a point.

Built once per zoning run from (code, level, parent_code, metric polygon) rows. Points are
located in the *leaf* regions (those without children: villages where they exist), and every
coarser level is read off the leaf's ancestor chain, so one point-in-polygon query answers
all levels at once and the levels nest by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.vocab import LEVEL_RANK, LEVELS

NO_REGION = -1


@dataclass
class RegionHierarchy:
    codes: NDArray[np.str_]
    levels: NDArray[np.str_]
    parents: NDArray[np.int64]  # index of the parent row, NO_REGION for roots
    geoms: NDArray[np.object_]  # metric polygons
    index_of: dict[str, int] = field(init=False)
    leaves: NDArray[np.int64] = field(init=False)
    _leaf_tree: shapely.STRtree = field(init=False)
    _ancestor: dict[str, NDArray[np.int64]] = field(init=False)
    _level_trees: dict[str, tuple[NDArray[np.int64], shapely.STRtree]] = field(init=False)

    @classmethod
    def from_rows(
        cls,
        codes: Sequence[str],
        levels: Sequence[str],
        parent_codes: Sequence[str | None],
        geoms: Sequence[shapely.Geometry],
    ) -> RegionHierarchy:
        codes_arr = np.asarray(codes, dtype=str)
        index = {c: i for i, c in enumerate(codes_arr)}
        parents = np.array(
            [index.get(p, NO_REGION) if p else NO_REGION for p in parent_codes], dtype=np.int64
        )
        return cls(
            codes_arr, np.asarray(levels, dtype=str), parents, np.asarray(geoms, dtype=object)
        )

    def __post_init__(self) -> None:
        self.index_of = {c: i for i, c in enumerate(self.codes)}
        has_child = np.zeros(len(self.codes), dtype=bool)
        has_child[self.parents[self.parents >= 0]] = True
        self.leaves = np.flatnonzero(~has_child)
        shapely.prepare(self.geoms[self.leaves])
        self._leaf_tree = shapely.STRtree(self.geoms[self.leaves])
        self._ancestor = {}
        self._level_trees = {}
        for level in LEVELS:
            # ancestor-or-self at `level` for every row, by walking up the parent chain
            out = np.full(len(self.codes), NO_REGION, dtype=np.int64)
            current = np.arange(len(self.codes))
            for _ in range(len(LEVELS)):
                valid = current >= 0
                hit = valid & (self.levels[np.where(valid, current, 0)] == level) & (out < 0)
                out[hit] = current[hit]
                current = np.where(valid, self.parents[np.where(valid, current, 0)], NO_REGION)
            self._ancestor[level] = out

    def ancestor(self, rows: NDArray[np.int64], level: str) -> NDArray[np.int64]:
        """Row index of each row's region at ``level`` (itself if it is that level)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), NO_REGION, dtype=np.int64)
        ok = rows >= 0
        out[ok] = self._ancestor[level][rows[ok]]
        return out

    def locate(self, points: NDArray[np.object_]) -> NDArray[np.int64]:
        """Row index of the leaf region containing each point, NO_REGION outside all.

        A point exactly on a shared edge goes to the region listed first (a tie broken the
        same way every time).
        """
        points = np.asarray(points, dtype=object)
        out = np.full(len(points), NO_REGION, dtype=np.int64)
        if len(points) == 0:
            return out
        pt, leaf = self._leaf_tree.query(points, predicate="intersects")
        order = np.lexsort((leaf, pt))
        pt, leaf = pt[order], leaf[order]
        first = np.ones(len(pt), dtype=bool)
        first[1:] = pt[1:] != pt[:-1]
        out[pt[first]] = self.leaves[leaf[first]]
        return out

    def rows_at(self, level: str) -> NDArray[np.int64]:
        return np.flatnonzero(self.levels == level)

    def level_tree(self, level: str) -> tuple[NDArray[np.int64], shapely.STRtree]:
        """Rows of ``level`` and an STRtree of their polygons, built once per level."""
        if level not in self._level_trees:
            rows = self.rows_at(level)
            self._level_trees[level] = (rows, shapely.STRtree(self.geoms[rows]))
        return self._level_trees[level]

    def finer_levels(self, top: str) -> list[str]:
        """``top`` and every level below it that exists in the data, coarse to fine."""
        present = set(self.levels.tolist())
        return [lv for lv in LEVELS if LEVEL_RANK[lv] >= LEVEL_RANK[top] and lv in present]
