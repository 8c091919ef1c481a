"""Cleaning and the verdict on real recordings (tests/data/real, see SOURCES.md there).

The figures the tests compare with are computed here from the files with pyproj's geodesic
(not with the project's own transforms), so they come from outside the code under test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from gis_service.domain.coverage import MatchParams, Target, measure
from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import clean_track
from gis_service.domain.verdict import PatrolContext, judge
from gis_service.fileio.tracks import parse_track

REAL = Path(__file__).parents[1] / "data" / "real"
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
UTM33 = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)  # Slovenia, Istria


def load(name: str):
    raw = parse_track((REAL / name).read_bytes(), filename=name)
    t = raw.time.astype("datetime64[ns]").astype(np.int64) / 1e9
    x, y = UTM33.transform(raw.lon, raw.lat)
    return raw, np.asarray(x), np.asarray(y), t


def raw_median_kmh(raw) -> float:
    """Median point-to-point speed of the file, geodesic, in file order."""
    _, _, d = Geod(ellps="WGS84").inv(raw.lon[:-1], raw.lat[:-1], raw.lon[1:], raw.lat[1:])
    dt_ = np.diff(raw.time.astype("datetime64[ns]").astype(np.int64) / 1e9)
    return float(np.median(d[dt_ > 0] / dt_[dt_ > 0]) * 3.6)


def along_itself(x, y, t, track):
    """Coverage of a line drawn through the recording itself (the road it followed)."""
    road = shapely.LineString(np.column_stack([x, y])[np.argsort(t)])
    lines = LineSet.from_lines([shapely.simplify(road, 2.0)])
    return measure(track, lines, [Target("s", 0, 0.0, float(lines.lengths[0]), 30.0)])


def context(**kw) -> PatrolContext:
    return PatrolContext(now=NOW, post_periods=[(dt.date(1900, 1, 1), None)], **kw)


def test_a_real_drive_validated_as_a_walk_keeps_its_points_and_is_judged_a_drive():
    raw, x, y, t = load("around-visnjan-with-car.gpx")
    assert len(raw) == 104
    track = clean_track(x, y, t, raw.accuracy, mode="walk", now_s=NOW.timestamp())
    assert track.kept.sum() >= 0.95 * len(raw)  # was 37 of 104 (67 dropped as "jump")
    kept_m = np.hypot(np.diff(track.kx), np.diff(track.ky)).sum()
    _, _, steps = Geod(ellps="WGS84").inv(raw.lon[:-1], raw.lat[:-1], raw.lon[1:], raw.lat[1:])
    assert kept_m == pytest.approx(steps.sum(), rel=0.02)  # 2,735 m, not 2,202 m
    verdict = judge(track, along_itself(x, y, t, track), context())
    assert verdict.status == "invalid"
    vehicle = next(r for r in verdict.reasons if r.code == "vehicle_speed")
    median = raw_median_kmh(raw)  # 28.5 km/h
    assert median == pytest.approx(28.5, abs=0.5)
    assert vehicle.value == pytest.approx(median, rel=0.10)  # was 14 km/h


def test_cleaning_does_not_change_the_mode_verdict():
    """Vehicle evidence comes from the raw track: even a cleaning that drops most points of
    the drive leaves the verdict and the reported speed as they were."""
    raw, x, y, t = load("around-visnjan-with-car.gpx")
    gentle = clean_track(x, y, t, raw.accuracy, mode="walk")
    # the old rule's outcome: two of every three points taken for jumps
    reason = gentle.reason.copy()
    reason[np.arange(len(reason)) % 3 != 0] = "jump"
    eager = replace(gentle, kept=reason == "", reason=reason)
    speeds = []
    for track in (gentle, eager):
        verdict = judge(track, along_itself(x, y, t, gentle), context())
        speeds.append(next(r.value for r in verdict.reasons if r.code == "vehicle_speed"))
    assert speeds[0] == pytest.approx(speeds[1])


def test_a_real_lakeside_walk_keeps_every_point_and_is_a_walk():
    raw, x, y, t = load("cerknicko-jezero.gpx")
    track = clean_track(x, y, t, raw.accuracy, mode="walk")
    assert track.dropped() == {}  # the old rule took 34 of its 271 points as "jump"
    assert track.kpart.max() == 3  # the three pauses of over 10 minutes split it
    verdict = judge(track, along_itself(x, y, t, track), context())
    assert "vehicle_speed" not in verdict.codes() and "jumps" not in verdict.codes()


def noisy_walk(n: int, step_s: float, noise_m: float, seed: int = 3):
    """Generated (not real): a walk at 1.3 m/s along a winding path with white GPS noise."""
    rng = np.random.default_rng(seed)
    s = np.arange(n) * 1.3 * step_s
    x = s + rng.normal(0, noise_m, n)
    y = 300 * np.sin(s / 900) + rng.normal(0, noise_m, n)
    return x, y, 1.78e9 + np.arange(n) * step_s, np.full(n, np.nan)


@pytest.mark.parametrize(("n", "step_s"), [(5_000, 5.0), (20_000, 1.0), (100_000, 1.0)])
def test_white_gps_noise_is_not_taken_for_jumps(n, step_s):
    """5 m of noise dropped 3.6-4 % of a 5 s walk and 17-27 % of dense 1 s tracks."""
    x, y, t, acc = noisy_walk(n, step_s, 5.0)
    track = clean_track(x, y, t, acc)
    assert track.dropped() == {}
    if n <= 20_000:
        verdict = judge(track, along_itself(x, y, t, track), context())
        assert verdict.status != "suspicious", verdict.codes()


def test_a_jump_inside_a_drive_is_still_a_jump():
    """Generated: a 12 m/s drive whose points 300..303 jump 2 km aside and come back."""
    rng = np.random.default_rng(5)
    s = np.arange(2_000) * 24.0
    x = s + rng.normal(0, 4, len(s))
    y = 300 * np.sin(s / 5_000) + rng.normal(0, 4, len(s))
    t, acc = 1.78e9 + np.arange(len(s)) * 2.0, np.full(len(s), np.nan)
    y[300:304] += 2_000
    track = clean_track(x, y, t, acc, mode="vehicle")
    assert track.dropped() == {"jump": 4}


def test_a_broken_clock_is_bad_clock_not_duplicates():
    raw, x, y, t = load("Mojstrovka.gpx")
    years = raw.time.astype("datetime64[Y]").astype(int) + 1970
    assert len(raw) == 184 and set(years) == {1901}
    track = clean_track(x, y, t, raw.accuracy, now_s=NOW.timestamp())
    assert track.dropped() == {"bad_clock": 184}  # was 182 "duplicate"
    verdict = judge(track, along_itself(x, y, t, track), context())
    assert verdict.status == "invalid" and "bad_clock" in verdict.codes()


def test_times_a_day_ahead_and_one_time_for_distinct_places_are_bad_clock():
    x, y, t, acc = noisy_walk(300, 5.0, 3.0)
    t = t - t[0] + NOW.timestamp() - 3600.0
    t[-20:] += 2 * 86_400  # the last 20 points two days ahead
    t[100:104] = t[100]  # four distinct positions stamped alike
    x[150], y[150], t[150] = x[149], y[149], t[149]  # a true copy (sent twice)
    track = clean_track(x, y, t, acc, now_s=NOW.timestamp())
    assert track.dropped() == {"bad_clock": 24, "duplicate": 1}


def test_a_real_walk_split_by_pauses_keeps_the_stretches_walked_through_them():
    """cerknicko-jezero.gpx pauses three times for over ten minutes. Measured along the walk's
    own path, each pause whose two ends lie on the path at a walking pace (by shapely's
    projection, not the code under test) adds exactly its stretch to the coverage."""
    raw, x, y, t = load("cerknicko-jezero.gpx")
    track = clean_track(x, y, t, raw.accuracy)
    road = shapely.simplify(shapely.LineString(np.column_stack([track.x, track.y])), 2.0)
    lines = LineSet.from_lines([road])
    target = [Target("s", 0, 0.0, float(lines.lengths[0]), 30.0)]
    walked = measure(track, lines, target).targets[0].covered_m
    strict = measure(track, lines, target, MatchParams(silence_max_speed_mps=0.0))
    ends = np.flatnonzero(np.diff(track.kpart))  # last point before each pause
    s = shapely.line_locate_point(road, shapely.points(track.kx, track.ky))
    pace = np.abs(s[ends + 1] - s[ends]) / (track.kt[ends + 1] - track.kt[ends])
    assert len(ends) == 3 and (pace <= 2.0).sum() >= 1
    expected = np.abs(s[ends + 1] - s[ends])[pace <= 2.0].sum()
    assert walked - strict.targets[0].covered_m == pytest.approx(expected, abs=1.0)


def test_the_benchmark_walk_keeps_all_its_points():
    """benchmarks.patrol_bench's 5,000-point walk (generated: 1-3 s steps, 5 m white noise)
    lost 181 points (3.6 %) as jumps and spikes to the old rule."""
    from benchmarks.patrol_bench import river, walk_along

    x, y, t, acc = walk_along(river(), 5000)
    assert clean_track(x, y, t, acc).dropped() == {}
