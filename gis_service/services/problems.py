"""Problems found on patrol (巡河发现问题): reports, hand-over, answers, closing.

Stub interface, filled in by the API/roles work (issue 7)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
from sqlalchemy import Connection

PROBLEM_COLUMNS = [
    "id", "category", "category_label", "status", "status_label", "description",
    "photo_ref", "reported_at", "deadline", "overdue", "chief_id", "patrol_id",
    "water_body_code", "region_code",
]


def problems_frame(
    conn: Connection,
    *,
    region: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """Problems reported in the region (code prefix) between two dates, WGS84 points."""
    return gpd.GeoDataFrame(columns=[*PROBLEM_COLUMNS, "geometry"], geometry="geometry", crs=4326)
