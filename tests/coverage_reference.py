"""The coverage core as it was before its per-target loops were vectorised (54d0c99),
kept verbatim as the oracle of the regression tests: the vectorised core must give exactly
the same covered and uncovered ranges. Its matcher is the one before the candidates were
gathered from flat columns (cb56ed1), verbatim too: the oracle always uses it."""

# ruff: noqa
from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from gis_service.domain.coverage import (
    Coverage,
    Floats,
    LineMatcher,
    MatchParams,
    Target,
    TargetCoverage,
    clip_intervals,
    complement,
    union_intervals,
)
from gis_service.domain.linear import LineSet, ragged_arange
from gis_service.domain.tracks import CleanTrack


MATCH_CHUNK = 16_384  # points matched at once (memory of the candidate pairs)


class ReferenceMatcher:
    """The matcher before its candidates were gathered from flat columns (cb56ed1), verbatim:
    nearest line segment of each point, within a tolerance, by a uniform grid hash.

    Patrol points fall near a river whose segments are short: hashing the segments into grid
    cells about the size of the tolerance leaves a handful of candidates per point, and the
    projection of every candidate pair is one numpy expression (faster than an STRtree's
    per-point nearest query, and free of shapely point objects).
    """

    def __init__(self, lines: LineSet):
        self.lines = lines
        self._grids: dict[tuple[int, float], tuple] = {}

    def _grid(self, line: int, tolerance: float):
        key = (line, tolerance)
        if key not in self._grids:
            lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
            a, b = self.lines.seg_xy0[lo:hi], self.lines.seg_xy1[lo:hi]
            cell = max(
                2.0 * tolerance, float(np.median(self.lines.seg_len[lo:hi])) if hi > lo else 1.0
            )
            mins = np.minimum(a, b) - tolerance
            maxs = np.maximum(a, b) + tolerance
            origin = mins.min(axis=0) if hi > lo else np.zeros(2)
            i0 = np.floor((mins - origin) / cell).astype(np.int64)
            i1 = np.floor((maxs - origin) / cell).astype(np.int64)
            nx, ny = i1[:, 0] - i0[:, 0] + 1, i1[:, 1] - i0[:, 1] + 1
            counts = nx * ny
            seg = np.repeat(np.arange(hi - lo), counts)
            k = ragged_arange(counts)
            cx = i0[seg, 0] + k % nx[seg]
            cy = i0[seg, 1] + k // nx[seg]
            keys = cx * 1_000_003 + cy
            order = np.argsort(keys, kind="stable")
            self._grids[key] = (origin, cell, keys[order], seg[order] + lo)
        return self._grids[key]

    def match(
        self, x: Floats, y: Floats, line: int, tolerance: float
    ) -> tuple[NDArray[np.bool_], Floats]:
        """(matched mask, chainage) of points on ``line`` within ``tolerance``.

        Each point is matched on its own: a long track goes through in chunks of
        ``MATCH_CHUNK`` points, so the candidate pairs (about ten per point, a dozen arrays
        of them) of a 100,000-point upload never take tens of MB at once."""
        if len(x) <= MATCH_CHUNK:
            return self._match(x, y, line, tolerance)
        parts = [
            self._match(x[k : k + MATCH_CHUNK], y[k : k + MATCH_CHUNK], line, tolerance)
            for k in range(0, len(x), MATCH_CHUNK)
        ]
        return np.concatenate([m for m, _ in parts]), np.concatenate([c for _, c in parts])

    def _match(
        self, x: Floats, y: Floats, line: int, tolerance: float
    ) -> tuple[NDArray[np.bool_], Floats]:
        matched = np.zeros(len(x), dtype=bool)
        chainage = np.full(len(x), np.nan)
        lo, hi = self.lines.line_seg_start[line], self.lines.line_seg_start[line + 1]
        if hi <= lo or len(x) == 0:
            return matched, chainage
        origin, cell, keys, segs = self._grid(line, tolerance)
        px = np.floor((x - origin[0]) / cell).astype(np.int64)
        py = np.floor((y - origin[1]) / cell).astype(np.int64)
        pkey = px * 1_000_003 + py
        start = np.searchsorted(keys, pkey, side="left")
        stop = np.searchsorted(keys, pkey, side="right")
        counts = stop - start
        point = np.repeat(np.arange(len(x)), counts)
        if len(point) == 0:
            return matched, chainage
        seg = segs[np.repeat(start, counts) + ragged_arange(counts)]
        a, b = self.lines.seg_xy0[seg], self.lines.seg_xy1[seg]
        ab = b - a
        apx, apy = x[point] - a[:, 0], y[point] - a[:, 1]
        t = np.clip((apx * ab[:, 0] + apy * ab[:, 1]) / (self.lines.seg_len[seg] ** 2), 0, 1)
        dx, dy = apx - t * ab[:, 0], apy - t * ab[:, 1]
        d2 = dx * dx + dy * dy
        ok = d2 <= tolerance * tolerance
        point, seg, t, d2 = point[ok], seg[ok], t[ok], d2[ok]
        if len(point) == 0:
            return matched, chainage
        # candidates are grouped by point already: the nearest per group without sorting
        starts = np.flatnonzero(np.concatenate([[True], point[1:] != point[:-1]]))
        group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(point))))
        nearest = np.minimum.reduceat(d2, starts)
        is_min = d2 <= nearest[group]
        best = np.flatnonzero(is_min)
        best = best[np.concatenate([[True], group[best][1:] != group[best][:-1]])]
        matched[point[best]] = True
        chainage[point[best]] = (
            self.lines.seg_c0[seg[best]] + t[best] * self.lines.seg_len[seg[best]]
        )
        return matched, chainage


def _walked_silences(
    matched: NDArray[np.bool_],
    chainage: Floats,
    t: Floats,
    same_part: NDArray[np.bool_],
    group: list[Target],
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
    return across & _on_one_target(a, b, group)


def _on_one_target(a: Floats, b: Floats, group: list[Target]) -> NDArray[np.bool_]:
    """Chainage pairs that lie both inside one and the same target of the line."""
    same_target = np.zeros(len(a), dtype=bool)
    for tg in group:  # a handful of targets per line
        same_target |= (a >= tg.start) & (a <= tg.end) & (b >= tg.start) & (b <= tg.end)
    return same_target


def _over_strays(
    matched: NDArray[np.bool_],
    chainage: Floats,
    t: Floats,
    part: NDArray[np.int64],
    group: list[Target],
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
    ok &= _on_one_target(ca, cb, group)
    return ca[ok], cb[ok]


def measure_reference(
    track: CleanTrack,
    lines: LineSet,
    targets: list[Target],
    params: MatchParams | None = None,
    matcher: LineMatcher | None = None,
) -> Coverage:
    """Coverage of each target by the kept points of ``track`` (all in the same metric CRS)."""
    params = params or MatchParams()
    matcher = ReferenceMatcher(lines)  # the oracle's own matcher, whatever the caller passes
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
        same_part = part[:-1] == part[1:]
        dc = np.abs(np.diff(chainage))
        link = matched[:-1] & matched[1:] & same_part & (dc <= params.max_link_m)
        link |= _walked_silences(matched, chainage, t, same_part, group, params)
        i = np.flatnonzero(link)
        ja, jb = _over_strays(matched, chainage, t, part, group, params)
        unions[line] = union_intervals(
            np.concatenate([np.minimum(chainage[i], chainage[i + 1]), np.minimum(ja, jb)]),
            np.concatenate([np.maximum(chainage[i], chainage[i + 1]), np.maximum(ja, jb)]),
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
                credit_only=target.credit_only,
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


def stretch_geoms_reference(ranges, targets, lines, epsg):
    """``services.patrols._stretch_geoms`` as it was before issue 17's third session, word
    for word: a union per target (``shapely.union_all`` in a loop over the targets)."""
    import shapely

    from gis_service.db.bulk import as_multi, ewkb_hex
    from gis_service.domain import crs

    owner = [k for k, rs in enumerate(ranges) for _ in rs]
    if not owner:
        return [None] * len(ranges)
    owner_arr = np.array(owner)
    line = np.array([targets[k].line for k in owner])
    start = np.array([targets[k].start + lo for k, rs in enumerate(ranges) for lo, _ in rs])
    end = np.array([targets[k].start + hi for k, rs in enumerate(ranges) for _, hi in rs])
    pieces = lines.substrings(line, start, end)
    metric = np.full(len(ranges), None, dtype=object)
    for k in np.unique(owner_arr):
        metric[k] = shapely.union_all(pieces[owner_arr == k])
    return ewkb_hex(as_multi(crs.transform(metric, epsg, crs.STORAGE_CRS), "line"))
