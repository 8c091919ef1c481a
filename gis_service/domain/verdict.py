"""Is this a real patrol? The verdict and its machine-readable reasons.

Closed apps call a patrol valid when it lasted ten minutes. Here a patrol must be long
enough in time *and* distance on the chief's own water, at a pace that fits its mode, and
show none of the marks of a fake: jumps, clockwork-regular points, a ruler-straight line,
a track already uploaded on another day, or a chief in two places at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass, field

import numpy as np

from gis_service.domain.coverage import Coverage
from gis_service.domain.offsets import OffsetCheck
from gis_service.domain.tracks import BAD_CLOCK, JUMP, SPEED_SPIKE, CleanTrack
from gis_service.domain.vocab import PATROL_STATUSES

VALID, PARTIAL, INVALID, SUSPICIOUS = PATROL_STATUSES

# reason codes -> what they make of the patrol
INVALIDATING = {
    "too_short_time",
    "too_short_distance",
    "vehicle_speed",
    "future_timestamps",
    "outside_post_dates",
    "off_assignment",
    "no_assignment",
    "bad_clock",
    "likely_gcj02",
    "likely_bd09",
    "outside_service_area",
}
SUSPECT = {"jumps", "regular_spacing", "straight_line", "reused_geometry", "overlapping_patrol"}

WALKING_MODES = {"walk"}


@dataclass(frozen=True)
class VerdictRules:
    """Thresholds; offices differ (e.g. 30 min and 2 km, or 10 min and 1 km)."""

    min_duration_s: float = 600.0
    min_distance_m: float = 1000.0
    # a short own stretch needs this share of its length instead (a 300 m village stretch
    # can never give 1 km without walking into the neighbour's): as the audit counts
    own_length_share: float = 0.5
    min_on_assignment_share: float = 0.5  # of the distance, below it the patrol is partial
    walking_max_speed_mps: float = 2.5  # sustained faster than this is not walking
    vehicle_share: float = 0.3  # of the moving time above walking speed: driven
    vehicle_min_s: float = 300.0
    jump_points: int = 3
    regular_cv: float = 0.02  # coefficient of variation of step time and length
    regular_min_points: int = 30
    straight_max_deviation_m: float = 3.0
    straight_min_length_m: float = 300.0
    future_tolerance_s: float = 300.0
    speed_window_s: float = 60.0  # speeds over a minute: GPS noise cancels out
    bad_clock_points: int = 3  # this many points with impossible times: the clock is broken


@dataclass
class Reason:
    code: str
    message: str
    value: float | None = None

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "value": self.value}


@dataclass
class Verdict:
    status: str
    reasons: list[Reason] = field(default_factory=list)

    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


@dataclass(frozen=True)
class PatrolContext:
    """What the verdict needs from outside the track (the database, the clock)."""

    now: dt.datetime
    post_periods: list[tuple[dt.date, dt.date | None]]
    reused_from: str | None = None  # id of an earlier patrol with the same geometry
    overlapping: list[str] = field(default_factory=list)  # ids of overlapping patrols
    has_assignment: bool = True
    # the office's time zone: posts are held by local dates, so a patrol at 06:30 Beijing
    # time on a successor's first day is the successor's (its UTC date is the day before)
    timezone: str = "UTC"
    offset: OffsetCheck | None = None  # the undeclared GCJ-02/BD-09 test, when it was run
    # set when most points lie outside every region: metres to the nearest region
    # (negative: the database holds no region at all)
    outside_service_area_m: float | None = None


def geometry_fingerprint(lon: np.ndarray, lat: np.ndarray) -> str:
    """Hash of the point sequence's shape, ignoring time: a track re-sent on another day."""
    q = np.round(np.column_stack([lon, lat]) * 1e6).astype(np.int64)
    return hashlib.sha256(q.tobytes()).hexdigest()


def _speeds(track: CleanTrack) -> tuple[np.ndarray, np.ndarray]:
    x, y, t, part = track.kx, track.ky, track.kt, track.kpart
    same = part[:-1] == part[1:]
    d = np.hypot(np.diff(x), np.diff(y))[same]
    dt_ = np.diff(t)[same]
    return d, dt_


def judge(
    track: CleanTrack, coverage: Coverage, context: PatrolContext, rules: VerdictRules | None = None
) -> Verdict:
    rules = rules or VerdictRules()
    reasons: list[Reason] = []
    d, dt_ = _speeds(track)
    duration = float(dt_.sum())
    distance = float(d.sum())
    t = track.t
    start = dt.datetime.fromtimestamp(float(t.min()), dt.UTC) if len(t) else context.now
    end = dt.datetime.fromtimestamp(float(t.max()), dt.UTC) if len(t) else context.now

    if context.outside_service_area_m is not None:
        far = context.outside_service_area_m
        reasons.append(
            Reason(
                "outside_service_area",
                "most points lie outside every region of the service"
                + (f", {far / 1000:.1f} km from the nearest" if far >= 0 else ""),
                far if far >= 0 else None,
            )
        )
    if not context.has_assignment:
        reasons.append(Reason("no_assignment", "the chief has no segment or zone on this date"))
    if duration < rules.min_duration_s:
        reasons.append(
            Reason(
                "too_short_time",
                f"lasted {duration / 60:.1f} min, {rules.min_duration_s / 60:.0f} min required",
                duration,
            )
        )
    # distance along the water (covered chainage), not the sum of noisy GPS steps
    # (or, on a short own stretch, the share of it that the audit asks for: per stretch)
    own = [tc for tc in coverage.targets if not tc.credit_only]
    along = sum(tc.covered_m + tc.extension_m for tc in own)
    need = rules.min_distance_m
    short_done = [
        tc
        for tc in own
        if 0 < tc.length_m * rules.own_length_share < need
        and tc.covered_m + tc.extension_m >= rules.own_length_share * tc.length_m
    ]
    if short_done:
        need = min(rules.own_length_share * tc.length_m for tc in short_done)
    if along < need - 1e-6:
        reasons.append(
            Reason(
                "too_short_distance",
                f"{along:.0f} m walked along the assigned water, {need:.0f} m required",
                along,
            )
        )
    if context.has_assignment and coverage.matched_points == 0:
        reasons.append(Reason("off_assignment", "no point came near the assigned water"))
    if track.mode in WALKING_MODES:
        vehicle = _vehicle_evidence(track, rules)
        if vehicle is not None:
            fast_time, kmh = vehicle
            reasons.append(
                Reason(
                    "vehicle_speed",
                    f"{fast_time / 60:.0f} min at about {kmh:.0f} km/h on a walking patrol",
                    kmh,
                )
            )
    if context.offset is not None and context.offset.likely:
        likely = context.offset
        reasons.append(Reason(f"likely_{likely.likely}", likely.message(), likely.declared_m))
    bad_clock = int((track.reason == BAD_CLOCK).sum())
    if bad_clock >= rules.bad_clock_points:
        reasons.append(
            Reason(
                "bad_clock",
                f"{bad_clock} of {len(track.t)} points carry impossible times (before 2000, more "
                "than a day ahead, or one time for distinct positions): the device clock is "
                "broken and the patrol's time cannot be checked",
                bad_clock,
            )
        )
    jumps = int(np.isin(track.reason, [JUMP, SPEED_SPIKE]).sum())
    if jumps >= rules.jump_points:
        reasons.append(Reason("jumps", f"{jumps} points jumped away and back", jumps))
    if len(d) >= rules.regular_min_points:
        cv_d = float(np.std(d) / max(np.mean(d), 1e-9))
        cv_t = float(np.std(dt_) / max(np.mean(dt_), 1e-9))
        if cv_d < rules.regular_cv and cv_t < rules.regular_cv:
            reasons.append(
                Reason(
                    "regular_spacing",
                    "points are evenly spaced in time and "
                    "distance, as no phone records a real walk",
                    cv_d,
                )
            )
    deviation = _max_deviation_from_chord(track.kx, track.ky)
    if distance >= rules.straight_min_length_m and deviation < rules.straight_max_deviation_m:
        reasons.append(
            Reason(
                "straight_line",
                f"{distance:.0f} m within {deviation:.1f} m of a straight line",
                deviation,
            )
        )
    if end.timestamp() > context.now.timestamp() + rules.future_tolerance_s:
        reasons.append(Reason("future_timestamps", f"ends at {end.isoformat()}, in the future"))
    local = zoneinfo.ZoneInfo(context.timezone)
    first_day, last_day = start.astimezone(local).date(), end.astimezone(local).date()
    if not _within_posts(first_day, last_day, context.post_periods):
        reasons.append(Reason("outside_post_dates", "the chief held no post on the patrol's dates"))
    if context.reused_from:
        reasons.append(
            Reason(
                "reused_geometry",
                f"the same track was uploaded before as patrol {context.reused_from}",
            )
        )
    if context.overlapping:
        reasons.append(
            Reason(
                "overlapping_patrol",
                "overlaps in time with patrol(s) " + ", ".join(context.overlapping),
            )
        )

    codes = {r.code for r in reasons}
    if codes & INVALIDATING:
        status = INVALID
    elif codes & SUSPECT:
        status = SUSPICIOUS
    elif (
        coverage.total_distance_m > 0
        and (coverage.on_distance_m / coverage.total_distance_m) < rules.min_on_assignment_share
    ):
        reasons.append(
            Reason(
                "mostly_off_assignment",
                "most of the distance was away from the assigned water",
                coverage.on_distance_m,
            )
        )
        status = PARTIAL
    else:
        status = VALID
    return Verdict(status, reasons)


def _vehicle_evidence(track: CleanTrack, rules: VerdictRules) -> tuple[float, float] | None:
    """(time at vehicle speed, its median point-to-point speed in km/h) of a walking patrol,
    or None. Computed on the raw timed points, before jumps and spikes are removed: cleaning
    must never turn a drive into a walk (the points of a drive are all "too fast")."""
    timed = track.timed
    x, y, t = track.x[timed], track.y[timed], track.t[timed]
    part = track.raw_part[timed] if track.raw_part is not None else np.zeros(len(t), np.int64)
    if len(t) < 2:
        return None
    speed, window, ok = _window_speeds(x, y, t, part, rules.speed_window_s)
    fast = ok & (speed > rules.walking_max_speed_mps)
    fast_time = float(window[fast].sum())
    moving = float(window[ok].sum())
    if not (
        fast_time >= rules.vehicle_min_s
        or (moving > 0 and fast_time >= rules.vehicle_share * moving)
    ):
        return None
    # the pace reported is the median speed from point to point over the fast stretches
    # (every step inside a fast window, slowing at a crossing included)
    j = np.minimum(np.searchsorted(t, t + rules.speed_window_s), len(t) - 1)
    mark = np.zeros(len(t) + 1, dtype=np.int64)
    np.add.at(mark, np.flatnonzero(fast), 1)
    np.add.at(mark, j[fast], -1)
    inside = np.cumsum(mark)[: len(t) - 1] > 0
    step = (part[:-1] == part[1:]) & (np.diff(t) > 0) & inside
    v = np.hypot(np.diff(x), np.diff(y))[step] / np.diff(t)[step]
    kmh = float(np.median(v) * 3.6) if len(v) else float(np.median(speed[fast]) * 3.6)
    return fast_time, kmh


def _window_speeds(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, part: np.ndarray, window_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speed over about ``window_s`` from each point (same part), the time it stands for, and
    whether it has a window: over a minute, 5-10 m of GPS noise no longer looks like running."""
    j = np.searchsorted(t, t + window_s)
    ok = j < len(t)
    j = np.minimum(j, len(t) - 1)
    ok &= part[j] == part
    span = t[j] - t
    ok &= span > 0
    dist = np.hypot(x[j] - x, y[j] - y)
    speed = np.where(ok, dist / np.maximum(span, 1e-3), 0.0)
    # each window stands for window_s of the patrol, count it once per window length
    weight = np.where(ok, np.diff(t, append=t[-1]), 0.0)
    return speed, weight, ok


def _max_deviation_from_chord(x: np.ndarray, y: np.ndarray) -> float:
    """Largest distance of any point from the line through the first and last point."""
    if len(x) < 3:
        return 0.0
    dx, dy = x[-1] - x[0], y[-1] - y[0]
    norm = np.hypot(dx, dy)
    if norm == 0:
        return float(np.hypot(x - x[0], y - y[0]).max())
    return float(np.abs(dx * (y - y[0]) - dy * (x - x[0])).max() / norm)


def _within_posts(
    start: dt.date, end: dt.date, periods: list[tuple[dt.date, dt.date | None]]
) -> bool:
    return any(p0 <= start and (p1 is None or end <= p1) for p0, p1 in periods)
