"""The coverage core without per-target loops gives exactly what the loops gave: the same
covered and uncovered ranges, bit for bit (oracle: tests/coverage_reference.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely

from gis_service.domain.coverage import Coverage, Target, measure, within_one
from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import clean_track
from tests.coverage_reference import measure_reference


def assert_same(new: Coverage, old: Coverage) -> None:
    assert new.targets == old.targets  # ids, lengths, covered/uncovered ranges, exactly
    assert (new.on_distance_m, new.off_distance_m, new.on_time_s, new.off_time_s) == (
        old.on_distance_m,
        old.off_distance_m,
        old.on_time_s,
        old.off_time_s,
    )
    assert (new.matched_points, new.kept_points) == (old.matched_points, old.kept_points)
    assert new.unions.keys() == old.unions.keys()
    for line, union in new.unions.items():
        assert np.array_equal(union, old.unions[line])


@pytest.mark.parametrize("seed", range(20))
def test_within_one_is_the_loop_over_intervals(seed):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 1000, rng.integers(1, 60) if seed % 4 else rng.integers(1, 5))
    hi = lo + rng.choice([0.0, 1.0, 50.0, 400.0], len(lo))
    a = rng.uniform(-50, 1100, 5000)
    b = a + rng.normal(0, 80, len(a))
    a[rng.random(len(a)) < 0.1] = np.nan
    b[rng.random(len(b)) < 0.1] = np.nan
    a[:20], b[:20] = lo[0], hi[0]  # the closed ends count
    loop = np.zeros(len(a), dtype=bool)
    for s, e in zip(lo, hi, strict=True):
        loop |= (a >= s) & (a <= e) & (b >= s) & (b <= e)
    assert np.array_equal(within_one(lo, hi, a, b), loop)


def _walk(line: shapely.LineString, n: int, seed: int):
    rng = np.random.default_rng(seed)
    s = np.sort(rng.uniform(0, line.length, n))
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    xy += rng.normal(0, 8, xy.shape)
    xy[rng.random(n) < 0.05] += 300  # strays
    t = 1_782_867_600 + np.cumsum(rng.uniform(1, 3, n))
    t[n // 2 :] += 900  # a silence: two parts
    return xy[:, 0], xy[:, 1], t, np.full(n, 6.0)


@pytest.mark.parametrize("seed", range(6))
def test_many_targets_give_the_same_ranges_as_the_loops(seed):
    """A general chief's case: hundreds of targets on two lines, overlapping extensions,
    credit-only neighbours, strays and a silence."""
    s = np.linspace(0, 12_000, 500)
    lines = LineSet.from_lines(
        [
            shapely.LineString(np.column_stack([s, 300 * np.sin(s / 900)])),
            shapely.LineString(np.column_stack([s, 2000 + 200 * np.cos(s / 700)])),
        ]
    )
    rng = np.random.default_rng(seed)
    targets = []
    for line in (0, 1):
        edges = np.sort(rng.uniform(0, float(lines.lengths[line]), 150))
        for k, (a, b) in enumerate(itertools.pairwise(edges)):
            targets.append(
                Target(
                    f"{line}/{k}",
                    line,
                    float(a),
                    float(b),
                    float(rng.choice([30.0, 50.0])),
                    float(rng.choice([0.0, 200.0, 1000.0])),
                    credit_only=bool(rng.random() < 0.2),
                )
            )
    for line, seed2 in ((0, seed), (1, seed + 100)):
        coords = shapely.get_coordinates(lines.lines[line])
        x, y, t, acc = _walk(shapely.LineString(coords), 4000, seed2)
        track = clean_track(x, y, t, acc)
        assert_same(measure(track, lines, targets), measure_reference(track, lines, targets))


@pytest.mark.parametrize("seed", range(4))
def test_degenerate_targets_give_the_same_ranges_as_the_loops(seed):
    """Targets of zero or negative length, beyond the line's ends, overlapping each other,
    on a line the track never comes near, and a track that matches nothing: the clipping
    done for all targets at once keeps every edge case of the per-target loop."""
    s = np.linspace(0, 8_000, 300)
    lines = LineSet.from_lines(
        [
            shapely.LineString(np.column_stack([s, 200 * np.sin(s / 800)])),
            shapely.LineString(np.column_stack([s, 50_000 + s * 0])),
        ]
    )
    rng = np.random.default_rng(seed)
    targets = [
        Target("empty", 0, 3000.0, 3000.0, 50.0, 500.0),
        Target("backwards", 0, 4000.0, 3500.0, 50.0, 0.0),
        Target("before", 0, -900.0, -100.0, 50.0, 1000.0),
        Target("after", 0, 8500.0, 9900.0, 50.0, 1000.0),
        Target("far line", 1, 0.0, 8000.0, 50.0, 1000.0),
    ]
    for k in range(40):
        a = float(rng.uniform(-500, 8500))
        targets.append(Target(f"r{k}", 0, a, a + float(rng.uniform(0, 3000)), 50.0, 300.0))
    x, y, t, acc = _walk(shapely.LineString(shapely.get_coordinates(lines.lines[0])), 3000, seed)
    if seed == 3:  # nothing near any line
        y = y + 10_000
    track = clean_track(x, y, t, acc)
    assert_same(measure(track, lines, targets), measure_reference(track, lines, targets))


def test_matching_in_chunks_is_matching_at_once(monkeypatch):
    """A long track is matched in chunks (memory): every point gets what it got at once."""
    import gis_service.domain.coverage as core

    s = np.linspace(0, 12_000, 500)
    lines = LineSet.from_lines([shapely.LineString(np.column_stack([s, 300 * np.sin(s / 900)]))])
    x, y, _, _ = _walk(lines.lines[0], 5000, 11)
    whole = core.LineMatcher(lines).match(x, y, 0, 70.0)
    monkeypatch.setattr(core, "MATCH_PAIRS", 333)  # uneven: the last run is short
    chunked = core.LineMatcher(lines).match(x, y, 0, 70.0)
    assert np.array_equal(whole[0], chunked[0])
    assert np.array_equal(whole[1], chunked[1], equal_nan=True)
    assert whole[0].sum() > 4000


@pytest.mark.parametrize("pairs", [1, 2, 5, 8192])
def test_a_tie_goes_to_the_first_segment_by_hand(monkeypatch, pairs):
    """A hairpin 20 m wide: (0,0) -> (100,0) -> (100,20) -> (0,20), chainage 0..220. A point
    on the middle line (50, 10) lies 10 m from the first and the last leg: the first leg wins
    (chainage 50, not 170). (50, 30) sees the last leg only (chainage 100 + 20 + 50), (50, 100)
    nothing, (100, 10) lies on the middle leg (chainage 110). Whatever the runs of pairs: one
    pair at a time, a point with more candidates than a run alone, or all at once."""
    import gis_service.domain.coverage as core

    monkeypatch.setattr(core, "MATCH_PAIRS", pairs)
    hairpin = shapely.LineString([(0, 0), (100, 0), (100, 20), (0, 20)])
    lines = LineSet.from_lines([hairpin])
    x = np.array([50.0, 50.0, 50.0, 100.0, 50.0])
    y = np.array([10.0, 30.0, 100.0, 10.0, 10.0])
    matched, chainage = core.LineMatcher(lines).match(x, y, 0, 15.0)
    assert matched.tolist() == [True, True, False, True, True]
    assert chainage[[0, 1, 3, 4]].tolist() == [50.0, 170.0, 110.0, 50.0]
    assert np.isnan(chainage[2])


@pytest.mark.parametrize("seed", range(8))
def test_the_matcher_gives_the_bits_of_the_one_it_replaced(monkeypatch, seed):
    """Points on a lattice next to a lattice-shaped line (many exact ties between segments and
    at vertices), noisy points, far points: each point's match and chainage are bit for bit
    those of the matcher before the flat columns and runs (tests/coverage_reference)."""
    import gis_service.domain.coverage as core
    from tests.coverage_reference import ReferenceMatcher

    rng = np.random.default_rng(seed)
    monkeypatch.setattr(core, "MATCH_PAIRS", int(rng.choice([1, 7, 64, 8192])))
    steps = rng.choice([[10.0, 0.0], [0.0, 10.0], [-10.0, 0.0], [0.0, -10.0]], 300)
    zigzag = shapely.LineString(np.cumsum(np.vstack([[0.0, 0.0], steps]), axis=0))
    s = np.linspace(0, 5000, 200)
    lines = LineSet.from_lines([zigzag, shapely.LineString(np.column_stack([s, np.sin(s)]))])
    lattice = rng.integers(-40, 40, (3000, 2)) * 5.0
    noisy = rng.uniform(-300, 300, (3000, 2))
    x, y = np.vstack([lattice, noisy]).T.copy()
    for line in (0, 1):
        for tolerance in (5.0, 12.5, 70.0):
            new = core.LineMatcher(lines).match(x, y, line, tolerance)
            old = ReferenceMatcher(lines).match(x, y, line, tolerance)
            assert np.array_equal(new[0], old[0])
            assert np.array_equal(new[1], old[1], equal_nan=True)
    assert new[0].sum() > 0


@pytest.mark.parametrize("n", [1, 2, 3, 4, 399, 400])
def test_the_grid_median_is_numpys(n):
    """The grid's cell size comes from the median segment length: the same bits as
    ``np.median`` (odd and even counts, ties, NaN)."""
    from gis_service.domain.coverage import _median

    rng = np.random.default_rng(n)
    for values in (rng.uniform(0, 100, n), np.round(rng.uniform(0, 3, n)), rng.exponential(9, n)):
        assert np.float64(_median(values)).tobytes() == np.float64(np.median(values)).tobytes()
    assert np.isnan(_median(np.append(rng.uniform(0, 1, n), np.nan)))


def test_threads_matching_at_once_get_what_each_gets_alone():
    """The work arrays are each thread's own: one matcher shared by threads (an assignment
    cached for a chief, uploads in the API's thread pool) gives every track its own result."""
    from concurrent.futures import ThreadPoolExecutor

    import gis_service.domain.coverage as core

    s = np.linspace(0, 12_000, 500)
    lines = LineSet.from_lines([shapely.LineString(np.column_stack([s, 300 * np.sin(s / 900)]))])
    matcher = core.LineMatcher(lines)
    walks = [_walk(lines.lines[0], 20_000, seed)[:2] for seed in range(8)]
    alone = [matcher.match(x, y, 0, 70.0) for x, y in walks]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda w: matcher.match(w[0], w[1], 0, 70.0), walks))
        for (m1, c1), (m2, c2) in zip(alone, together, strict=True):
            assert np.array_equal(m1, m2) and np.array_equal(c1, c2, equal_nan=True)
