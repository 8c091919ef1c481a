"""Track cleaning, coverage by linear referencing and the verdict, on small known cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely

from gis_service.domain.coverage import MatchParams, Target, measure, union_intervals
from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import clean_track
from gis_service.domain.verdict import PatrolContext, judge

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC).timestamp()
POSTS = [(dt.date(2026, 1, 1), None)]


def walk(
    length: float,
    *,
    speed: float = 1.2,
    step_s: float = 5.0,
    offset: float = 10.0,
    noise: float = 4.0,
    seed: int = 0,
    x0: float = 0.0,
):
    """A walk along the x axis on the bank, ``offset`` m from a river on y = 0."""
    rng = np.random.default_rng(seed)
    n = int(length / (speed * step_s)) + 1
    t = T0 + np.arange(n) * step_s + rng.uniform(-0.5, 0.5, n)
    x = x0 + np.linspace(0, length, n) + rng.normal(0, noise, n)
    y = offset + rng.normal(0, noise, n)
    return x, y, t, np.full(n, 6.0)


def test_union_of_intervals():
    u = union_intervals(np.array([5.0, 0.0, 20.0, 9.0]), np.array([10.0, 6.0, 30.0, 12.0]))
    assert u.tolist() == [[0.0, 12.0], [20.0, 30.0]]


def test_cleaning_drops_duplicates_poor_fixes_spikes_and_jumps_and_keeps_evidence():
    x, y, t, acc = walk(3000)
    x[50] += 3000  # a spike
    x[200:206] += 2500  # an excursion of six points
    acc[80] = 120  # a poor fix
    x = np.append(x, x[10])
    y = np.append(y, y[10])
    t = np.append(t, t[10])
    acc = np.append(acc, acc[10])  # a duplicate sent twice by an offline phone
    track = clean_track(x, y, t, acc)
    assert track.dropped() == {"duplicate": 1, "jump": 6, "poor_accuracy": 1, "speed_spike": 1}
    assert len(track.x) == len(x)  # nothing thrown away: dropped points keep their reason
    assert np.all(np.diff(track.t) >= 0)


def test_sustained_driving_is_not_cleaned_away_and_long_gaps_split_parts():
    x, y, t, acc = walk(6000, speed=12)
    assert clean_track(x, y, t, acc).dropped() == {}
    t[100:] += 3600
    assert clean_track(x, y, t, acc).kpart.max() == 1


def _river(length: float = 10_000.0) -> LineSet:
    return LineSet.from_lines([shapely.LineString([(0, 0), (length, 0)])])


def test_coverage_of_a_walk_over_part_of_a_segment_is_exact_to_a_few_metres():
    x, y, t, acc = walk(3000, x0=2000)
    track = clean_track(x, y, t, acc)
    target = Target("s", 0, 1000.0, 6000.0, 50.0, extend_m=1000.0)
    cov = measure(track, _river(), [target]).targets[0]
    assert cov.covered_m == pytest.approx(3000, abs=30)
    assert cov.ratio == pytest.approx(0.6, abs=0.01)
    assert cov.uncovered[0] == pytest.approx((0.0, 1000.0), abs=20)
    assert cov.uncovered[1] == pytest.approx((4000.0, 5000.0), abs=20)


def test_walking_on_past_the_end_is_joint_section_credit():
    x, y, t, acc = walk(2000, x0=5000)
    track = clean_track(x, y, t, acc)
    cov = measure(track, _river(), [Target("s", 0, 0.0, 6000.0, 50.0, extend_m=1000.0)])
    assert cov.targets[0].covered_m == pytest.approx(1000, abs=20)
    assert cov.targets[0].extension_m == pytest.approx(1000, abs=20)


def test_a_track_along_another_river_covers_nothing():
    x, y, t, acc = walk(3000, offset=500)
    cov = measure(clean_track(x, y, t, acc), _river(), [Target("s", 0, 0, 10_000, 50.0)])
    assert cov.targets[0].covered_m == 0 and cov.matched_points == 0


def test_a_neighbours_segment_is_measured_for_credit_only():
    """多走1公里: walking on into the next segment credits it, not the own distance."""
    x, y, t, acc = walk(2500)
    track = clean_track(x, y, t, acc)
    # the walk covers 0..2500 m: 1,700 m of the neighbour's stretch, 800 m of the own one
    own = Target("own", 0, 1700.0, 5000.0, 50.0)
    neighbour = Target("next", 0, 0.0, 1700.0, 50.0, credit_only=True)
    cov = measure(track, _river(), [own, neighbour])
    assert [tc.credit_only for tc in cov.targets] == [False, True]
    assert cov.targets[1].covered_m == pytest.approx(1700, abs=30)
    verdict = judge(track, cov, PatrolContext(now=NOW, post_periods=POSTS))
    # 800 m of a 3,300 m own stretch: min(1000 m, 0.5 x 3,300 m) = 1000 m required
    assert "too_short_distance" in verdict.codes()


def test_a_short_own_stretch_walked_whole_is_long_enough():
    """A 800 m own stretch walked end to end needs 0.5 x 800 = 400 m, not 1 km (issue 13.6);
    what is walked on the neighbour's stretch still never counts as own distance."""
    x, y, t, acc = walk(2500)
    track = clean_track(x, y, t, acc)
    own = Target("own", 0, 0.0, 800.0, 50.0)
    neighbour = Target("next", 0, 800.0, 10_000.0, 50.0, credit_only=True)
    cov = measure(track, _river(), [own, neighbour])
    verdict = judge(track, cov, PatrolContext(now=NOW, post_periods=POSTS))
    assert "too_short_distance" not in verdict.codes()
    half = Target("own", 0, 0.0, 800.0, 50.0)
    x, y, t, acc = walk(300)
    cov = measure(clean_track(x, y, t, acc), _river(), [half])
    short = judge(clean_track(x, y, t, acc), cov, PatrolContext(now=NOW, post_periods=POSTS))
    assert "too_short_distance" in short.codes()  # 300 m < 400 m


def _verdict(x, y, t, acc, mode="walk", **context):
    track = clean_track(x, y, t, acc, mode=mode)
    cov = measure(track, _river(), [Target("s", 0, 0.0, 10_000.0, 50.0, 1000.0)])
    return judge(track, cov, PatrolContext(now=NOW, post_periods=POSTS, **context))


def test_a_genuine_walk_is_valid():
    assert _verdict(*walk(2500)).status == "valid"


@pytest.mark.parametrize(
    ("make", "code", "status"),
    [
        (lambda: walk(500), "too_short_time", "invalid"),
        (lambda: walk(700, speed=0.3), "too_short_distance", "invalid"),
        (lambda: walk(8000, speed=10), "vehicle_speed", "invalid"),
        (lambda: walk(2500, noise=0.0, offset=0.0), "straight_line", "suspicious"),
        (lambda: walk(2500, offset=2000), "off_assignment", "invalid"),
    ],
    ids=["short-time", "short-distance", "driven", "synthetic-straight", "off-assignment"],
)
def test_deficient_patrols_get_their_reason(make, code, status):
    verdict = _verdict(*make())
    assert code in verdict.codes()
    assert verdict.status == status


def test_perfectly_regular_points_are_suspicious():
    x, y, t, acc = walk(2500, noise=0.0)
    t = T0 + np.arange(len(t)) * 5.0
    y = 10 + 3 * np.sin(x / 50)  # not straight, but clockwork regular
    verdict = _verdict(x, y, t, acc)
    assert "regular_spacing" in verdict.codes()


def test_future_dates_posts_reuse_and_overlap_come_from_the_context():
    x, y, t, acc = walk(2500)
    assert "future_timestamps" in _verdict(x, y, t + 400 * 86400, acc).codes()
    outside = judge(
        clean_track(x, y, t, acc),
        measure(clean_track(x, y, t, acc), _river(), [Target("s", 0, 0, 10_000, 50.0)]),
        PatrolContext(now=NOW, post_periods=[(dt.date(2026, 8, 1), None)]),
    )
    assert "outside_post_dates" in outside.codes() and outside.status == "invalid"
    reused = _verdict(x, y, t, acc, reused_from="abc")
    assert reused.status == "suspicious" and "reused_geometry" in reused.codes()
    assert "overlapping_patrol" in _verdict(x, y, t, acc, overlapping=["abc"]).codes()


def _pause(x, y, t, acc, at: int, pause_s: float, skip_m: float):
    """Generated: the walk stops after point ``at`` for ``pause_s`` and resumes ``skip_m``
    further along the river than where it stopped."""
    t = t.copy()
    x = x.copy()
    t[at + 1 :] += pause_s
    x[at + 1 :] += skip_m - (x[at + 1] - x[at])
    return x, y, t, acc


def test_a_silence_on_one_segment_at_walking_pace_counts_as_walked():
    """12 minutes of silence, resumed 17 m further on the same segment: 17 m / 720 s is a
    walking pace (0.02 m/s), so the stretch in between is walked (it used to be lost)."""
    x, y, t, acc = walk(1000, noise=0.0, x0=1000)  # exact positions: hand-checkable figures
    x, y, t, acc = _pause(x, y, t, acc, at=80, pause_s=720.0, skip_m=17.0)
    track = clean_track(x, y, t, acc)
    assert track.kpart.max() == 1
    target = Target("s", 0, 0.0, 5000.0, 50.0)
    walked = measure(track, _river(), [target]).targets[0]
    assert walked.covered_m == pytest.approx(x[-1] - x[0], abs=0.01)
    strict = MatchParams(silence_max_speed_mps=0.0)
    old = measure(track, _river(), [target], strict).targets[0]
    assert walked.covered_m - old.covered_m == pytest.approx(17.0, abs=0.01)


def test_a_silence_across_segments_or_at_driving_pace_is_not_walked():
    x, y, t, acc = walk(1000, noise=0.0, x0=1000)
    # resumed 2 km further after 12 minutes: 2.8 m/s along the river, not a walk
    fast = clean_track(*_pause(x, y, t, acc, at=80, pause_s=720.0, skip_m=2000.0))
    target = Target("s", 0, 0.0, 5000.0, 50.0)
    gap = fast.kx[81] - fast.kx[80]
    covered = measure(fast, _river(), [target]).targets[0].covered_m
    assert covered == pytest.approx(fast.kx[-1] - fast.kx[0] - gap, abs=0.01)
    # resumed 17 m further, but on the next segment (the boundary lies between the two)
    slow = clean_track(*_pause(x, y, t, acc, at=80, pause_s=720.0, skip_m=17.0))
    edge = float(slow.kx[80] + 8.0)
    a, b = Target("a", 0, 0.0, edge, 50.0), Target("b", 0, edge, 5000.0, 50.0)
    cov = measure(slow, _river(), [a, b]).targets
    assert cov[0].covered_m + cov[1].covered_m == pytest.approx(slow.kx[-1] - slow.kx[0] - 17.0)


def test_a_stray_point_beyond_the_tolerance_does_not_cut_the_walk():
    """One fix thrown 80 m off the river (beyond 50 + 20 m; at 36 m steps every 30 s it is no
    jump) between two fixes 72 m apart along it: (72 - 20 m of GPS margin) / 60 s is a
    walking pace, so the 72 m are walked. The same stray between two targets still cuts."""
    x, y, t, acc = walk(2000, noise=0.0, x0=1000, step_s=30.0)
    y = y.copy()
    y[30] = 80.0
    track = clean_track(x, y, t, acc)
    assert track.kept[30]  # kept: not a jump, only off the water
    target = Target("s", 0, 0.0, 5000.0, 50.0)
    walked = measure(track, _river(), [target]).targets[0]
    assert walked.covered_m == pytest.approx(x[-1] - x[0], abs=0.01)
    strict = MatchParams(silence_max_speed_mps=0.0)
    before = measure(track, _river(), [target], strict).targets[0]
    assert walked.covered_m - before.covered_m == pytest.approx(x[31] - x[29], abs=0.01)
    edge = float(x[30])
    a, b = Target("a", 0, 0.0, edge, 50.0), Target("b", 0, edge, 5000.0, 50.0)
    cov = measure(track, _river(), [a, b]).targets
    step = x[31] - x[29]
    assert cov[0].covered_m + cov[1].covered_m == pytest.approx(x[-1] - x[0] - step, abs=0.01)
