"""Request bodies shared by the API tests."""

from __future__ import annotations

import numpy as np


def app_body(pid: str, chief: str = "P0203", *, shift_s: int = 0) -> dict:
    """A 25-minute walk along 马江 (R4505-04) near its source, as the phone app sends it."""
    lon0, lat0 = 109.6471, 21.8100
    n = 300
    t0 = 1782867600 + shift_s  # 2026-07-01T01:00:00Z
    rng = np.random.default_rng(3)
    return {
        "patrol_uuid": pid,
        "chief_id": chief,
        "coord_system": "wgs84",
        "mode": "walk",
        "points": [
            {
                "lon": lon0 + rng.normal(0, 2e-5),
                "lat": lat0 - i * 1.0e-5 * 5,
                "time": t0 + i * 5,
                "accuracy": 6,
            }
            for i in range(n)
        ],
    }
