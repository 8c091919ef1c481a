"""Split rivers and canals into responsibility segments per administrative level (分级分段).

For every river and every level from its managing level down to the finest level present,
the river's chainage axis is partitioned into:

- *inside* segments: the stretch inside one region of that level (the segment chief's);
- *boundary* stretches: where the river runs along a boundary of that level (within
  ``boundary_tolerance_m``, for at least ``boundary_min_length_m``) it does not shatter into
  slivers; the stretch records the left-bank and right-bank regions, relative to the flow;
- *outside* stretches: outside every region of the data (a neighbour's territory, the sea).

How, and why it is fast: all rivers are handled at once on one global 1-D axis (each river's
chainage shifted by an offset), so every step is a numpy or vectorised GEOS call, never a
Python loop over rivers or points:

1. crossings: intersections of the rivers with the *leaf* region boundaries (villages),
   located on the rivers as chainages (coarser boundaries are a subset of these);
2. pieces between crossings are assigned the leaf region holding their midpoint; coarser
   levels read the leaf's ancestors, so the levels nest by construction;
3. boundary detection: points every ``sample_spacing_m`` along the river are offset
   ``boundary_tolerance_m`` to the left and right bank and located; where the two banks lie
   in different regions of a level for long enough, the river runs along that boundary;
4. each level's cuts include its parent level's cuts, so every segment lies inside exactly
   one segment of the level above (village in township in county in city).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.linear import LineSet, orient, ragged_arange
from gis_service.domain.regions import NO_REGION, RegionHierarchy
from gis_service.domain.vocab import LEVEL_RANK

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

OUTSIDE, INSIDE, BOUNDARY = 0, 1, 2
_EPS = 1e-3  # metres: cut positions closer than a millimetre are the same cut
KIND_NAMES = {OUTSIDE: "outside", INSIDE: "inside", BOUNDARY: "boundary"}


@dataclass(frozen=True)
class ZoningParams:
    """Tunable rules; the defaults follow the issue and seed 000."""

    boundary_tolerance_m: float = 30.0
    boundary_min_length_m: float = 200.0
    sample_spacing_m: float = 10.0
    sliver_length_m: float = 50.0
    joint_reach_m: float = 1000.0  # 多走1公里: joint sections reach 1 km up and down


@dataclass
class Segments:
    """Segments of all rivers at all levels, as parallel arrays (one row per segment).

    ``region`` is the region row of an inside segment (NO_REGION otherwise); ``left`` and
    ``right`` are the bank regions of a boundary stretch (NO_REGION for a bank outside the
    data). ``parent`` is the row of the enclosing segment one level up (-1 at the top level).
    ``ordinal`` is only carried for segments read back from the database: the zoning table
    numbers its stretches itself (outside ones included), so :func:`segment_rivers` leaves 0.
    """

    river: Ints
    level: NDArray[np.str_]
    kind: Ints
    region: Ints
    left: Ints
    right: Ints
    start: Floats
    end: Floats
    parent: Ints
    ordinal: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def length(self) -> Floats:
        return self.end - self.start

    def __len__(self) -> int:
        return len(self.river)

    def take(self, idx) -> Segments:
        return Segments(*(getattr(self, f)[idx] for f in _SEGMENT_FIELDS))


_SEGMENT_FIELDS = (
    "river",
    "level",
    "kind",
    "region",
    "left",
    "right",
    "start",
    "end",
    "parent",
    "ordinal",
)


@dataclass
class RiverSegmentation:
    lines: LineSet  # oriented metric river lines, chainage from the source
    segments: Segments  # inside and boundary segments (outside stretches excluded)
    outside: Segments  # stretches outside every region, per level
    levels: list[str]
    params: ZoningParams


def concat_segments(parts: list[Segments]) -> Segments:
    if not parts:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=np.float64)
        return Segments(
            empty_i,
            np.zeros(0, dtype=str),
            empty_i,
            empty_i,
            empty_i,
            empty_i,
            empty_f,
            empty_f,
            empty_i,
            empty_i,
        )
    return Segments(*(np.concatenate([getattr(p, f) for p in parts]) for f in _SEGMENT_FIELDS))


def segment_rivers(
    geometries,
    hierarchy: RegionHierarchy,
    *,
    managing_levels,
    flow_reversed=None,
    params: ZoningParams | None = None,
) -> RiverSegmentation:
    """Segment metric river/canal lines by the regions of ``hierarchy``.

    ``managing_levels[i]`` is the highest level river ``i`` is managed at (segments start
    there); ``flow_reversed[i]`` marks a line digitised mouth -> source.
    """
    params = params or ZoningParams()
    geometries = np.asarray(geometries, dtype=object)
    n = len(geometries)
    flow_reversed = (
        np.zeros(n, dtype=bool) if flow_reversed is None else np.asarray(flow_reversed, dtype=bool)
    )
    oriented = np.array(
        [orient(g, reversed_flow=bool(r)) for g, r in zip(geometries, flow_reversed, strict=True)],
        dtype=object,
    )
    lines = LineSet.from_lines(oriented)
    axis = _Axis(lines.lengths)

    cut_river, cut_pos = _leaf_crossings(lines, hierarchy)
    pieces = _pieces(lines, axis, hierarchy, cut_river, cut_pos)
    samples = _bank_samples(lines, axis, hierarchy, pieces, params)

    managing_rank = np.array([LEVEL_RANK[lv] for lv in managing_levels])
    levels: list[str] = []
    per_level: list[Segments] = []
    previous: Segments | None = None
    for level in hierarchy.finer_levels("province"):
        active = managing_rank <= LEVEL_RANK[level]
        if not active.any():
            continue
        current = _segment_level(level, active, axis, hierarchy, pieces, samples, params, previous)
        levels.append(level)
        per_level.append(current)
        previous = current
    # parents index the previous level's rows: make them rows of the concatenation
    starts = np.concatenate([[0], np.cumsum([len(p) for p in per_level])])
    for k, part in enumerate(per_level):
        part.parent = np.where(part.parent >= 0, part.parent + (starts[k - 1] if k else 0), -1)
    everything = concat_segments(per_level)
    # outside stretches are nobody's segment: keep them apart, re-point the parents
    inside = everything.kind != OUTSIDE
    remap = np.full(len(everything), -1, dtype=np.int64)
    remap[inside] = np.arange(int(inside.sum()))
    segments = everything.take(np.flatnonzero(inside))
    outside = everything.take(np.flatnonzero(~inside))
    for part in (segments, outside):
        part.parent = np.where(part.parent >= 0, remap[part.parent], -1)
    return RiverSegmentation(lines, segments, outside, levels, params)


# -- the global axis --------------------------------------------------------------------------


class _Axis:
    """All rivers laid end to end on one axis, 1 m apart, so interval maths is global."""

    GAP = 1.0

    def __init__(self, lengths: Floats):
        self.lengths = lengths
        self.offset = np.concatenate([[0.0], np.cumsum(lengths + self.GAP)[:-1]])

    def to_global(self, river: Ints, chainage: Floats) -> Floats:
        return self.offset[river] + chainage

    def river_of(self, position: Floats) -> Ints:
        return np.searchsorted(self.offset, position, side="right") - 1

    def to_local(self, river: Ints, position: Floats) -> Floats:
        return position - self.offset[river]


def _leaf_crossings(lines: LineSet, hierarchy: RegionHierarchy) -> tuple[Ints, Floats]:
    """Chainages where rivers meet a leaf-region boundary (crossing or touching)."""
    leaves = hierarchy.geoms[hierarchy.leaves]
    rings = shapely.boundary(leaves)
    tree = shapely.STRtree(rings)
    river_idx, ring_idx = tree.query(lines.lines, predicate="intersects")
    if len(river_idx) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    inter = shapely.intersection(lines.lines[river_idx], rings[ring_idx])
    parts, owner = shapely.get_parts(inter, return_index=True)
    owner = river_idx[owner]
    is_point = shapely.get_type_id(parts) == 0
    # a river lying on a boundary gives line parts: their ends are the cuts
    line_parts = parts[~is_point]
    points = np.concatenate(
        [
            parts[is_point],
            shapely.get_point(line_parts, 0),
            shapely.get_point(line_parts, -1),
        ]
    )
    point_owner = np.concatenate([owner[is_point], owner[~is_point], owner[~is_point]])
    chainage = lines.locate(point_owner, points)
    return point_owner, chainage


@dataclass
class _Pieces:
    """Elementary pieces between consecutive leaf crossings, on the global axis."""

    start: Floats
    end: Floats
    river: Ints
    leaf: Ints  # leaf region row holding the piece's midpoint (NO_REGION outside)


def _pieces(
    lines: LineSet, axis: _Axis, hierarchy: RegionHierarchy, cut_river: Ints, cut_pos: Floats
) -> _Pieces:
    n = len(lines.lengths)
    river = np.concatenate([np.arange(n), np.arange(n), cut_river])
    local = np.concatenate([np.zeros(n), lines.lengths, cut_pos])
    pos = _unique_sorted(axis.to_global(river, local))
    start, end = pos[:-1], pos[1:]
    piece_river = axis.river_of(start)
    real = (end - start > _EPS) & (
        end <= axis.offset[piece_river] + lines.lengths[piece_river] + _EPS
    )
    start, end, piece_river = start[real], end[real], piece_river[real]
    mid_local = axis.to_local(piece_river, (start + end) / 2)
    mid = shapely.points(lines.interpolate(piece_river, mid_local))
    return _Pieces(start, end, piece_river, hierarchy.locate(mid))


@dataclass
class _Samples:
    pos: Floats  # global axis
    river: Ints
    left_leaf: Ints
    right_leaf: Ints
    half: Floats  # half the local spacing: a sample stands for [pos - half, pos + half]


def _bank_samples(
    lines: LineSet,
    axis: _Axis,
    hierarchy: RegionHierarchy,
    pieces: _Pieces,
    params: ZoningParams,
) -> _Samples:
    """Points on both banks, ``boundary_tolerance_m`` from the centre line, every few metres.

    Most bank points lie in the same leaf region as the centre line there (known from the
    pieces, no lookup); a cheap prepared ``contains_xy`` test confirms that, and only the
    points that left the centre's leaf are located with the STRtree.
    """
    counts = np.maximum(1, np.ceil(lines.lengths / params.sample_spacing_m)).astype(np.int64)
    river = np.repeat(np.arange(len(counts)), counts)
    step = lines.lengths[river] / counts[river]
    local = (ragged_arange(counts) + 0.5) * step
    pos = axis.to_global(river, local)
    piece = np.clip(np.searchsorted(pieces.start, pos, side="right") - 1, 0, None)
    centre_leaf = pieces.leaf[piece] if len(pieces.start) else np.full(len(pos), NO_REGION)
    centre, d = lines.interpolate_with_direction(river, local)
    offset = np.column_stack([-d[:, 1], d[:, 0]]) * params.boundary_tolerance_m
    return _Samples(
        pos,
        river,
        _bank_leaf(hierarchy, centre + offset, centre_leaf),
        _bank_leaf(hierarchy, centre - offset, centre_leaf),
        step / 2,
    )


def _bank_leaf(hierarchy: RegionHierarchy, xy: Floats, guess: Ints) -> Ints:
    """Leaf region of each bank point, trying the centre line's leaf first."""
    out = np.full(len(xy), NO_REGION, dtype=np.int64)
    has_guess = guess >= 0
    same = np.zeros(len(xy), dtype=bool)
    if has_guess.any():
        g = np.flatnonzero(has_guess)
        same[g] = shapely.contains_xy(hierarchy.geoms[guess[g]], xy[g, 0], xy[g, 1])
    out[same] = guess[same]
    rest = np.flatnonzero(~same)
    if len(rest):
        out[rest] = hierarchy.locate(shapely.points(xy[rest]))
    return out


def _runs(mask: NDArray[np.bool_], group: Ints) -> tuple[Ints, Ints]:
    """First and last index of each run of True within the same group."""
    if not mask.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    idx = np.flatnonzero(mask)
    breaks = np.flatnonzero((np.diff(idx) != 1) | (np.diff(group[idx]) != 0))
    first = idx[np.concatenate([[0], breaks + 1])]
    last = idx[np.concatenate([breaks, [len(idx) - 1]])]
    return first, last


def _segment_level(
    level: str,
    active: NDArray[np.bool_],
    axis: _Axis,
    hierarchy: RegionHierarchy,
    pieces: _Pieces,
    samples: _Samples,
    params: ZoningParams,
    parent: Segments | None,
) -> Segments:
    """Partition the active rivers' axes at one level (see the module docstring)."""
    # labels of the pieces at this level
    piece_region = hierarchy.ancestor(pieces.leaf, level)
    keep_piece = active[pieces.river]
    p_start, p_end = pieces.start[keep_piece], pieces.end[keep_piece]
    p_region = piece_region[keep_piece]

    # boundary runs from bank samples
    s_keep = active[samples.river]
    s_pos, s_river = samples.pos[s_keep], samples.river[s_keep]
    s_half = samples.half[s_keep]
    left = hierarchy.ancestor(samples.left_leaf[s_keep], level)
    right = hierarchy.ancestor(samples.right_leaf[s_keep], level)
    on_boundary = left != right
    # split runs where the pair of bank regions changes
    pair_key = left * (len(hierarchy.codes) + 1) + right
    group = np.cumsum(np.concatenate([[0], (np.diff(pair_key) != 0) | (np.diff(s_river) != 0)]))
    first, last = _runs(on_boundary, group)
    b_start = s_pos[first] - s_half[first]
    b_end = s_pos[last] + s_half[last]
    b_river = s_river[first]
    # runs of one pair that are too short on their own may still be part of a long stretch
    # along the boundary whose bank regions change (a junction of three regions): measure the
    # length of the whole on-boundary run, ignoring pair changes
    whole_first, whole_last = _runs(on_boundary, s_river)
    whole_len = (s_pos[whole_last] + s_half[whole_last]) - (
        s_pos[whole_first] - s_half[whole_first]
    )
    whole_of = np.searchsorted(whole_first, first, side="right") - 1
    long_enough = whole_len[whole_of] >= params.boundary_min_length_m
    b_start, b_end, b_river = b_start[long_enough], b_end[long_enough], b_river[long_enough]
    b_left, b_right = left[first][long_enough], right[first][long_enough]
    # clamp to the river and snap the stretch ends to the nearest crossing within a spacing
    lo = axis.offset[b_river]
    hi = lo + axis.lengths[b_river]
    b_start, b_end = np.maximum(b_start, lo), np.minimum(b_end, hi)
    crossing = np.unique(np.concatenate([p_start, p_end]))
    b_start = _snap(b_start, crossing, params.sample_spacing_m)
    b_end = _snap(b_end, crossing, params.sample_spacing_m)

    # cut points: river ends, piece ends, boundary ends, the parent level's cuts
    river_ids = np.flatnonzero(active)
    cuts = [
        axis.offset[river_ids],
        axis.offset[river_ids] + axis.lengths[river_ids],
        p_start,
        p_end,
        b_start,
        b_end,
    ]
    if parent is not None:
        cuts += [parent.start + axis.offset[parent.river], parent.end + axis.offset[parent.river]]
    pos = _unique_sorted(np.concatenate(cuts))
    e_start, e_end = pos[:-1], pos[1:]
    e_river = axis.river_of(e_start)
    real = active[e_river] & (e_end <= axis.offset[e_river] + axis.lengths[e_river] + _EPS)
    real &= e_end - e_start > _EPS
    e_start, e_end, e_river = e_start[real], e_end[real], e_river[real]
    mid = (e_start + e_end) / 2

    # label each elementary interval
    kind = np.full(len(mid), INSIDE, dtype=np.int64)
    region = (
        p_region[np.clip(np.searchsorted(p_start, mid, side="right") - 1, 0, None)]
        if len(p_start)
        else np.full(len(mid), NO_REGION)
    )
    kind[region == NO_REGION] = OUTSIDE
    e_left = np.full(len(mid), NO_REGION, dtype=np.int64)
    e_right = np.full(len(mid), NO_REGION, dtype=np.int64)
    if len(b_start):
        order = np.argsort(b_start, kind="stable")
        bs, be = b_start[order], b_end[order]
        k = np.searchsorted(bs, mid, side="right") - 1
        hit = (k >= 0) & (mid < be[np.clip(k, 0, None)])
        kk = order[k[hit]]
        kind[hit] = BOUNDARY
        region[hit] = NO_REGION
        e_left[hit], e_right[hit] = b_left[kk], b_right[kk]

    # the enclosing parent segment of every interval
    if parent is not None:
        p_glob = parent.start + axis.offset[parent.river]
        order = np.argsort(p_glob, kind="stable")
        j = np.searchsorted(p_glob[order], mid, side="right") - 1
        e_parent = order[np.clip(j, 0, None)]
        # the top level of rivers managed at this level has no parent
        inside_parent = (j >= 0) & (parent.river[e_parent] == e_river)
        e_parent = np.where(inside_parent, e_parent, -1)
    else:
        e_parent = np.full(len(mid), -1, dtype=np.int64)

    if parent is not None and len(parent):
        _agree_with_parent(
            kind,
            region,
            e_left,
            e_right,
            mid,
            e_parent,
            parent,
            axis,
            hierarchy,
            _SampleLabels(s_pos, left, right, p_start, p_region),
        )

    kind, region, e_left, e_right = _absorb_slivers(
        kind, region, e_left, e_right, e_start, e_end, e_river, e_parent, params.sliver_length_m
    )

    # merge neighbours with the same label in the same river and parent
    key = np.column_stack([e_river, e_parent, kind, region, e_left, e_right])
    same = np.zeros(len(mid), dtype=bool)
    same[1:] = np.all(key[1:] == key[:-1], axis=1) & np.isclose(e_start[1:], e_end[:-1])
    first_of_run = np.flatnonzero(~same)
    last_of_run = np.concatenate([first_of_run[1:] - 1, [len(mid) - 1]])
    river = e_river[first_of_run]
    return Segments(
        river=river,
        level=np.full(len(first_of_run), level),
        kind=kind[first_of_run],
        region=region[first_of_run],
        left=e_left[first_of_run],
        right=e_right[first_of_run],
        start=axis.to_local(river, e_start[first_of_run]),
        end=axis.to_local(river, e_end[last_of_run]),
        parent=e_parent[first_of_run],
        ordinal=np.zeros(len(first_of_run), dtype=np.int64),
    )


@dataclass
class _SampleLabels:
    """This level's bank labels of the samples and region labels of the pieces (global axis)."""

    pos: Floats
    left: Ints
    right: Ints
    piece_start: Floats
    piece_region: Ints


def _agree_with_parent(
    kind,
    region,
    left,
    right,
    mid,
    e_parent,
    parent: Segments,
    axis: _Axis,
    hierarchy: RegionHierarchy,
    labels: _SampleLabels,
) -> None:
    """Make every interval's labels consistent with its parent segment's (in place).

    Bank samples are a few metres apart and each level snaps its stretch ends to its own
    crossings, so near a junction of three regions a child interval can pick up the banks of
    the neighbouring stretch. The parent's label came from samples too, so samples inside the
    parent carrying a consistent child label always exist: take the one nearest the interval.
    Rare (junctions only), hence a plain loop.
    """
    has_parent = e_parent >= 0
    if not has_parent.any():
        return
    parent_level = str(parent.level[0])
    p = np.where(has_parent, e_parent, 0)
    anc_l = hierarchy.ancestor(left, parent_level)
    anc_r = hierarchy.ancestor(right, parent_level)
    anc_region = hierarchy.ancestor(region, parent_level)
    p_kind, p_left, p_right, p_region = (
        parent.kind[p],
        parent.left[p],
        parent.right[p],
        parent.region[p],
    )
    bad_boundary = (
        has_parent
        & (kind == BOUNDARY)
        & (
            ((p_kind == BOUNDARY) & ((anc_l != p_left) | (anc_r != p_right)))
            | ((p_kind == INSIDE) & ((anc_l != p_region) | (anc_r != p_region)))
        )
    )
    bad_inside = has_parent & (kind == INSIDE) & (p_kind == INSIDE) & (anc_region != p_region)
    if not (bad_boundary.any() or bad_inside.any()):
        return
    level = _level_of(hierarchy, left, right, region)
    for i in np.flatnonzero(bad_boundary | bad_inside):
        j = p[i]
        river = parent.river[j]
        windows = [
            (parent.start[j] + axis.offset[river], parent.end[j] + axis.offset[river]),
            (axis.offset[river], axis.offset[river] + axis.lengths[river]),
        ]
        if p_kind[i] == BOUNDARY:
            for lo, hi in windows:  # inside the parent first, else anywhere on the river
                a, b = np.searchsorted(labels.pos, [lo, hi])
                window = np.arange(a, b)
                ok = (hierarchy.ancestor(labels.left[window], parent_level) == p_left[i]) & (
                    hierarchy.ancestor(labels.right[window], parent_level) == p_right[i]
                )
                cand = window[ok]
                if len(cand):
                    k = cand[np.argmin(np.abs(labels.pos[cand] - mid[i]))]
                    left[i], right[i] = labels.left[k], labels.right[k]
                    break
            else:
                left[i] = _child_of(hierarchy, level, p_left[i], parent_level)
                right[i] = _child_of(hierarchy, level, p_right[i], parent_level)
            kind[i], region[i] = BOUNDARY, NO_REGION
            continue
        # the parent is inside one region: take a piece label of this level inside it
        for lo, hi in windows:
            a, b = np.searchsorted(labels.piece_start, [lo - 1e-6, hi])
            window = np.arange(a, b)
            cand = window[
                hierarchy.ancestor(labels.piece_region[window], parent_level) == p_region[i]
            ]
            if len(cand):
                region[i] = labels.piece_region[
                    cand[np.argmin(np.abs(labels.piece_start[cand] - mid[i]))]
                ]
                break
        else:
            region[i] = _child_of(hierarchy, level, p_region[i], parent_level)
        kind[i] = INSIDE
        left[i] = right[i] = NO_REGION


def _level_of(hierarchy: RegionHierarchy, *rows: Ints) -> str | None:
    """The level of the regions labelling this level's intervals."""
    for r in rows:
        valid = r[r >= 0]
        if len(valid):
            return str(hierarchy.levels[valid[0]])
    return None


def _child_of(
    hierarchy: RegionHierarchy, level: str | None, parent_row: int, parent_level: str
) -> int:
    """A region of ``level`` inside ``parent_row`` (the last resort keeping nesting true)."""
    if parent_row < 0 or level is None:
        return NO_REGION
    rows = hierarchy.rows_at(level)
    inside = rows[hierarchy.ancestor(rows, parent_level) == parent_row]
    return int(inside[0]) if len(inside) else NO_REGION


def _unique_sorted(values: Floats, tol: float = _EPS) -> Floats:
    """Sorted values with near-duplicates (closer than ``tol``) dropped, first one kept."""
    values = np.sort(values)
    keep = np.ones(len(values), dtype=bool)
    keep[1:] = np.diff(values) > tol
    return values[keep]


def _snap(values: Floats, targets: Floats, within: float) -> Floats:
    """Move each value to the nearest target when one lies within ``within``."""
    if len(targets) == 0 or len(values) == 0:
        return values
    j = np.clip(np.searchsorted(targets, values), 1, len(targets) - 1)
    lower, upper = targets[j - 1], targets[j]
    nearest = np.where(values - lower <= upper - values, lower, upper)
    return np.where(np.abs(nearest - values) <= within, nearest, values)


def _absorb_slivers(kind, region, left, right, start, end, river, parent, min_len):
    """Intervals shorter than ``min_len`` take the label of their upstream neighbour.

    A river that nicks a corner of a region (or overshoots the coast) for a few metres should
    not give that region a segment; the neighbour must be in the same river and parent
    segment, so nesting holds. Boundary stretches are long by construction.
    """
    kind, region, left, right = kind.copy(), region.copy(), left.copy(), right.copy()
    # lengths of runs of equal labels, so a long stretch cut by the parent is not a sliver
    key = np.column_stack([river, parent, kind, region, left, right])
    same = np.zeros(len(kind), dtype=bool)
    same[1:] = np.all(key[1:] == key[:-1], axis=1)
    run = np.cumsum(~same) - 1
    run_len = np.bincount(run, weights=end - start)
    short = (run_len[run] < min_len) & (kind != BOUNDARY)
    for direction in (1, -1):  # take the upstream label, else the downstream one
        src = np.arange(len(kind)) - direction
        ok = short & (src >= 0) & (src < len(kind))
        src_c = np.clip(src, 0, len(kind) - 1)
        ok &= (river[src_c] == river) & (parent[src_c] == parent) & ~short[src_c]
        kind[ok], region[ok] = kind[src_c][ok], region[src_c][ok]
        left[ok], right[ok] = left[src_c][ok], right[src_c][ok]
        short &= ~ok
    return kind, region, left, right
