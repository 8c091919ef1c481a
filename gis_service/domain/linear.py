"""Linear referencing over many lines at once: chainage <-> points, and substrings.

A river is measured by its *chainage*: metres from the source along the flow, continuous
across the parts of a multi-part river (gaps between parts count zero). Everything here is
vectorised over arrays of (line, chainage) queries: zoning and patrol coverage ask millions.
Lines must be in a metric CRS and oriented source -> mouth (see :func:`orient`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def orient(line: shapely.Geometry, *, reversed_flow: bool = False) -> shapely.Geometry:
    """A (Multi)LineString in flow order: parts merged where they touch, reversed on request.

    Parts that cannot be merged keep their order in the input; with ``reversed_flow`` both
    the part order and every part are reversed, so chainage still runs from the source.
    """
    merged = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
    if reversed_flow:
        parts = shapely.get_parts(merged)[::-1]
        merged = (
            shapely.reverse(parts[0])
            if len(parts) == 1
            else shapely.multilinestrings(shapely.reverse(parts))
        )
    return merged


@dataclass(frozen=True, eq=False)
class LineSet:
    """Many metric lines flattened into segment arrays for vectorised referencing.

    ``seg_*`` arrays describe every non-degenerate segment of every part; ``seg_c0`` is the
    chainage of the segment's start within its line. Parts of one line are consecutive and
    chainage simply continues from one part to the next.
    """

    lines: NDArray[np.object_]
    lengths: Floats
    seg_line: Ints
    seg_part: Ints
    seg_xy0: Floats
    seg_xy1: Floats
    seg_c0: Floats
    seg_len: Floats
    line_seg_start: Ints  # index of each line's first segment in seg_* (len = n_lines + 1)

    @classmethod
    def from_lines(cls, lines) -> LineSet:
        lines = np.asarray(lines, dtype=object)
        parts, part_line = shapely.get_parts(lines, return_index=True)
        coords, vert_part = shapely.get_coordinates(parts, return_index=True)
        same_part = vert_part[1:] == vert_part[:-1]
        xy0, xy1 = coords[:-1][same_part], coords[1:][same_part]
        seg_part = vert_part[:-1][same_part]
        seg_len = np.hypot(*(xy1 - xy0).T)
        keep = seg_len > 0
        xy0, xy1, seg_part, seg_len = xy0[keep], xy1[keep], seg_part[keep], seg_len[keep]
        seg_line = part_line[seg_part]
        # chainage: cumulative within each line (parts continue one another)
        cum = np.cumsum(seg_len)
        line_seg_start = np.searchsorted(seg_line, np.arange(len(lines) + 1))
        first_cum = np.concatenate([[0.0], cum])[line_seg_start[:-1]]
        seg_c0 = cum - seg_len - first_cum[seg_line]
        lengths = np.zeros(len(lines))
        np.add.at(lengths, seg_line, seg_len)
        return cls(lines, lengths, seg_line, seg_part, xy0, xy1, seg_c0, seg_len, line_seg_start)

    @cached_property
    def _global_c0(self) -> Floats:
        """Segment start chainages on one axis with every line shifted past the previous."""
        return self.seg_c0 + self._line_offset[self.seg_line]

    @cached_property
    def _line_offset(self) -> Floats:
        return np.concatenate([[0.0], np.cumsum(self.lengths + 1.0)])

    def _segment_at(self, line: Ints, chainage: Floats) -> Ints:
        """Index of the segment holding ``chainage`` on ``line`` (clamped to the line)."""
        start = self.line_seg_start[line]
        stop = self.line_seg_start[line + 1]
        idx = np.searchsorted(self._global_c0, chainage + self._line_offset[line], side="right") - 1
        return np.clip(idx, start, np.maximum(stop - 1, start))

    def interpolate(self, line: Ints, chainage: Floats) -> Floats:
        """(n, 2) coordinates at ``chainage`` metres along ``line``."""
        return self.interpolate_with_direction(line, chainage)[0]

    def direction(self, line: Ints, chainage: Floats) -> Floats:
        """Unit flow direction (n, 2) of the segment at ``chainage``."""
        return self.interpolate_with_direction(line, chainage)[1]

    def interpolate_with_direction(self, line: Ints, chainage: Floats) -> tuple[Floats, Floats]:
        """Coordinates and unit flow direction at ``chainage``, with one segment lookup."""
        line = np.asarray(line, dtype=np.int64)
        chainage = np.clip(np.asarray(chainage, dtype=np.float64), 0.0, self.lengths[line])
        seg = self._segment_at(line, chainage)
        t = np.clip((chainage - self.seg_c0[seg]) / self.seg_len[seg], 0.0, 1.0)[:, None]
        xy0, xy1 = self.seg_xy0[seg], self.seg_xy1[seg]
        return xy0 + (xy1 - xy0) * t, (xy1 - xy0) / self.seg_len[seg][:, None]

    def locate(self, line: Ints, points) -> Floats:
        """Chainage of the points nearest to ``points`` on ``line`` (GEOS project)."""
        return shapely.line_locate_point(self.lines[np.asarray(line)], points)

    def substrings(self, line: Ints, start: Floats, end: Floats) -> NDArray[np.object_]:
        """Geometries of the stretches [start, end] (chainage) of ``line``, vectorised.

        A stretch that spans a gap between parts becomes a MultiLineString; an empty or
        inverted range gives an empty LineString.
        """
        line = np.asarray(line, dtype=np.int64)
        start = np.clip(np.asarray(start, dtype=np.float64), 0.0, self.lengths[line])
        end = np.clip(np.asarray(end, dtype=np.float64), 0.0, self.lengths[line])
        n = len(line)
        out = np.empty(n, dtype=object)
        valid = end > start
        out[~valid] = shapely.LineString()
        if not valid.any():
            return out
        q = np.flatnonzero(valid)
        s0 = self._segment_at(line[q], start[q])
        s1 = self._segment_at(line[q], end[q])
        # pieces: consecutive runs of segments within one part
        counts = s1 - s0 + 1
        seg = np.repeat(s0, counts) + ragged_arange(counts)
        owner = np.repeat(np.arange(len(q)), counts)
        new_piece = np.ones(len(seg), dtype=bool)
        new_piece[1:] = (owner[1:] != owner[:-1]) | (
            self.seg_part[seg[1:]] != self.seg_part[seg[:-1]]
        )
        piece_id = np.cumsum(new_piece) - 1
        first = np.flatnonzero(new_piece)
        last = np.concatenate([first[1:] - 1, [len(seg) - 1]])
        # coordinates: start point of each segment, plus the end point of a piece's last one
        xy = self.seg_xy0[seg].copy()
        qs, qe = start[q][owner], end[q][owner]
        is_first_seg = new_piece
        t0 = np.clip((qs - self.seg_c0[seg]) / self.seg_len[seg], 0, 1)
        at_query_start = is_first_seg & (seg == s0[owner])
        xy[at_query_start] = _lerp(self.seg_xy0[seg], self.seg_xy1[seg], t0)[at_query_start]
        t1 = np.clip((qe[last] - self.seg_c0[seg[last]]) / self.seg_len[seg[last]], 0, 1)
        end_xy = np.where(
            (seg[last] == s1[owner[last]])[:, None],
            _lerp(self.seg_xy0[seg[last]], self.seg_xy1[seg[last]], t1),
            self.seg_xy1[seg[last]],
        )
        all_xy = np.insert(xy, last + 1, end_xy, axis=0)
        all_piece = np.insert(piece_id, last + 1, piece_id[last])
        pieces = shapely.linestrings(all_xy, indices=all_piece)
        piece_owner = owner[first]
        n_pieces = np.bincount(piece_owner, minlength=len(q))
        single = n_pieces == 1
        result = np.empty(len(q), dtype=object)
        piece_start = np.concatenate([[0], np.cumsum(n_pieces)[:-1]])
        result[single] = pieces[piece_start[single]]
        if (~single).any():
            multi_mask = ~single[piece_owner]
            multis = shapely.multilinestrings(
                pieces[multi_mask],
                indices=np.unique(piece_owner[multi_mask], return_inverse=True)[1],
            )
            result[~single] = multis
        out[q] = result
        return out


def _lerp(a: Floats, b: Floats, t: Floats) -> Floats:
    return a + (b - a) * t[:, None]


def ragged_arange(counts: Ints) -> Ints:
    """[0..c0-1, 0..c1-1, ...] for counts [c0, c1, ...]."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts
