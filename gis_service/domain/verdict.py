"""Is this a real patrol? The verdict and its machine-readable reasons.

Closed apps call a patrol valid when it lasted ten minutes. Here a patrol must be long
enough in time *and* distance on the chief's own water, at a pace that fits its mode, and
show none of the marks of a fake: jumps, clockwork-regular points, a ruler-straight line,
a track already uploaded on another day, or a chief in two places at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import numpy as np

from gis_service.domain.coverage import Coverage
from gis_service.domain.tracks import JUMP, SPEED_SPIKE, CleanTrack

VALID, PARTIAL, INVALID, SUSPICIOUS = "valid", "partial", "invalid", "suspicious"

# reason codes -> what they make of the patrol
INVALIDATING = {
    "too_short_time",
    "too_short_distance",
    "vehicle_speed",
    "future_timestamps",
    "outside_post_dates",
    "off_assignment",
    "no_assignment",
    "outside_service_area",
}
SUSPECT = {"jumps", "regular_spacing", "straight_line", "reused_geometry", "overlapping_patrol"}

WALKING_MODES = {"walk"}


@dataclass(frozen=True)
class VerdictRules:
    """Thresholds; offices differ (e.g. 30 min and 2 km, or 10 min and 1 km)."""

    min_duration_s: float = 600.0
    min_distance_m: float = 1000.0
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
    along = sum(tc.covered_m + tc.extension_m for tc in coverage.targets if not tc.credit_only)
    if along < rules.min_distance_m:
        reasons.append(
            Reason(
                "too_short_distance",
                f"{along:.0f} m walked along the assigned water, "
                f"{rules.min_distance_m:.0f} m required",
                along,
            )
        )
    if context.has_assignment and coverage.matched_points == 0:
        reasons.append(Reason("off_assignment", "no point came near the assigned water"))
    if track.mode in WALKING_MODES and len(d):
        speed, window = _window_speeds(track, rules.speed_window_s)
        fast = speed > rules.walking_max_speed_mps
        fast_time = float(window[fast].sum())
        moving = float(window.sum())
        if fast_time >= rules.vehicle_min_s or (
            moving > 0 and fast_time >= rules.vehicle_share * moving
        ):
            kmh = float(np.median(speed[fast]) * 3.6)
            reasons.append(
                Reason(
                    "vehicle_speed",
                    f"{fast_time / 60:.0f} min at about {kmh:.0f} km/h on a walking patrol",
                    kmh,
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
    if not _within_posts(start.date(), end.date(), context.post_periods):
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


def _window_speeds(track: CleanTrack, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Speed over about ``window_s`` from each kept point (same part), and the window's
    duration: over a minute, 5-10 m of GPS noise no longer looks like running."""
    x, y, t, part = track.kx, track.ky, track.kt, track.kpart
    j = np.searchsorted(t, t + window_s)
    ok = j < len(t)
    j = np.minimum(j, len(t) - 1)
    ok &= part[j] == part
    span = t[j] - t
    ok &= span > 0
    dist = np.hypot(x[j] - x, y[j] - y)
    speed = np.where(ok, dist / np.maximum(span, 1e-3), 0.0)
    # each window stands for window_s of the patrol, count it once per window length
    weight = np.where(ok, np.diff(t, append=t[-1]) if len(t) else 0.0, 0.0)
    return speed[ok], weight[ok]


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
