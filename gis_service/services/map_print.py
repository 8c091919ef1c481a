"""The coverage map on paper: a one-page PDF or a PNG for a coordination meeting.

Shared by ``GET /maps/coverage.pdf|.png`` and ``gis-service map coverage --pdf/--png``: the
standalone map (GeoJSON embedded, scripts inlined) in its print layout, drawn by Chromium.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import Connection

from gis_service.domain.rules import RuleSet
from gis_service.maps import chromium
from gis_service.maps.base import MapOptions
from gis_service.maps.chromium import Format
from gis_service.maps.print_layout import Paper, PrintLayout, source_line
from gis_service.services import maps as svc


def coverage_print(
    conn: Connection,
    region: str,
    period: str,
    *,
    fmt: Format,
    options: MapOptions,
    timezone: str,
    rules: RuleSet | None = None,
    as_of: dt.date | None = None,
    paper: Paper = "a4",
) -> bytes:
    """The coverage map of ``region`` and ``period`` as PDF or PNG bytes."""
    m = svc.coverage_map(
        conn, region, period, timezone=timezone, options=options, as_of=as_of, rules=rules
    )
    now = dt.datetime.now(zoneinfo.ZoneInfo(timezone))
    PrintLayout(source=source_line(now), paper=paper, on_screen=True).add_to(m)
    return chromium.render(svc.render(m, "inline"), fmt, paper=paper)
