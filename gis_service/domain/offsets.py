"""Undeclared GCJ-02 / BD-09 tracks: recognise the systematic offset of a Chinese map SDK.

A phone app built on AMap/Tencent (GCJ-02) or Baidu (BD-09) reports coordinates shifted by
100-700 m; uploaded as WGS84, such a track lies beside the river and may still cross a
winding one, earning credit for stretches never walked. The test: take the track as declared
and as if it were GCJ-02 (and BD-09), convert each to WGS84 and measure the median distance
of its points to the nearest assigned line. The track is *likely* in another system when

* as declared, the median distance exceeds the match tolerance,
* converted, it falls within the tolerance, and
* converted, it is at least ``improvement`` (5) times smaller than as declared.

A walk along its river sits a few metres to tens of metres from it, so a true WGS84 track
passes the first condition and is never suspected; a shift of hundreds of metres that a
conversion removes cannot be chance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.chinacoords import to_wgs84

Floats = NDArray[np.float64]
OFFSET_SYSTEMS = ("gcj02", "bd09")


@dataclass(frozen=True)
class OffsetCheck:
    """The median distance (m) to the assigned lines as declared and per other system, and
    the system the track likely is in (None: as declared)."""

    declared_m: float
    converted_m: dict[str, float] = field(default_factory=dict)
    likely: str | None = None

    def message(self) -> str:
        if self.likely is None:
            return ""
        return (
            f"the points lie a median {self.declared_m:.0f} m from the assigned water, but "
            f"{self.converted_m[self.likely]:.0f} m once read as {self.likely.upper()}: the "
            f"track is likely in {self.likely.upper()} (a Chinese map SDK) and was not "
            "declared so; upload it again with its coordinate system"
        )


def median_distance(
    lon: Floats, lat: Floats, to_metric: Callable, lines: NDArray[np.object_]
) -> float:
    """Median distance (m) of WGS84 points to the nearest of ``lines`` (metric)."""
    x, y = to_metric(lon, lat)
    points = shapely.points(np.asarray(x), np.asarray(y))
    d = shapely.distance(points[:, None], lines[None, :]).min(axis=1)
    return float(np.median(d))


def check_offset(
    lon: Floats,
    lat: Floats,
    to_metric: Callable,
    lines: NDArray[np.object_],
    tolerance_m: float,
    *,
    improvement: float = 5.0,
    sample: int = 200,
) -> OffsetCheck:
    """Is a track declared WGS84 (``lon, lat``) really in GCJ-02 or BD-09? See the module.

    ``to_metric(lon, lat)`` projects WGS84 to the metric CRS of ``lines`` (the assigned
    rivers and shore lines). At most ``sample`` evenly spread points are measured.
    """
    lines = np.asarray(lines, dtype=object)
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    if len(lon) == 0 or len(lines) == 0:
        return OffsetCheck(float("nan"))
    pick = np.unique(np.linspace(0, len(lon) - 1, min(sample, len(lon))).astype(np.int64))
    lon, lat = np.asarray(lon)[pick], np.asarray(lat)[pick]
    declared = median_distance(lon, lat, to_metric, lines)
    converted = {
        system: median_distance(*to_wgs84(lon, lat, system), to_metric, lines)
        for system in OFFSET_SYSTEMS
    }
    best = min(converted, key=converted.__getitem__)
    likely = (
        best
        if declared > tolerance_m
        and converted[best] <= tolerance_m
        and converted[best] * improvement <= declared
        else None
    )
    return OffsetCheck(declared, converted, likely)
