"""Query parameter types shared by the routers: one definition per kind of parameter."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import Query

from gis_service.domain.vocab import COORD_SYSTEMS, LEVELS

REGION_PATTERN = r"^[0-9]{6,12}$"

Level = Literal[LEVELS]  # type: ignore[valid-type]
CoordSystem = Literal[COORD_SYSTEMS]  # type: ignore[valid-type]

# a required region (audits, coverage maps) and an optional filter (layers, roster, tiles)
RegionQ = Annotated[str, Query(pattern=REGION_PATTERN, description="region code")]
RegionFilterQ = Annotated[
    str | None,
    Query(pattern=REGION_PATTERN, description="region code: this region and all below it"),
]
WaterQ = Annotated[str | None, Query(max_length=32, description="water body code")]
PeriodQ = Annotated[str, Query(max_length=12, description="2026-Q3, 2026-07, 2026-W27, ...")]
AsOfQ = Annotated[dt.date | None, Query(description="audit as of this date (default today)")]
DateQ = Annotated[dt.date | None, Query(description="date (default: today)")]
