"""Patrol GPS tracks: the raw points as uploaded, and their cleaning.

The raw points are evidence and are never altered; cleaning produces a mask of kept points
and, for every dropped point, the reason, so an office can see exactly what was not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]


@dataclass
class RawTrack:
    """Points exactly as parsed from an upload (before any coordinate conversion).

    ``time`` is UTC (``datetime64[ns]``); naive times were read in the configured zone.
    ``accuracy`` (metres, horizontal) and ``speed`` (m/s) are NaN where the file has none.
    ``ref`` names each point's place in the file ("line 12", "trkpt 7 (track 1, segment 2)")
    so errors and dropped points can be traced back to the upload.
    """

    lon: Floats
    lat: Floats
    time: NDArray[np.datetime64]
    accuracy: Floats
    speed: Floats
    ref: list[str]
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lon)
