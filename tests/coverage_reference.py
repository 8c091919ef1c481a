"""The coverage core as it was before its per-target loops were vectorised (54d0c99),
kept verbatim as the oracle of the regression tests: the vectorised core must give exactly
the same covered and uncovered ranges."""

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
from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import CleanTrack


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
