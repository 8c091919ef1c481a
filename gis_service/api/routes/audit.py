"""Patrol audits (巡河考核) of a region and period: JSON, XLSX and the gap stretches."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from gis_service.api.auth import OfficeDep
from gis_service.api.deps import ConnDep
from gis_service.api.responses import GeoJSONResponse
from gis_service.services.audit import gaps_geojson, run_audit, write_exports

router = APIRouter(tags=["audit"])

RegionQ = Annotated[str, Query(pattern=r"^[0-9]{6,12}$", description="region code")]
PeriodQ = Annotated[str, Query(max_length=12, description="2026-Q3, 2026-07, 2026-W27, ...")]
AsOfQ = Annotated[dt.date | None, Query(description="audit as of this date (default today)")]


def _report(conn, region: str, period: str, as_of: dt.date | None) -> dict:
    return run_audit(conn, region, period, as_of=as_of)


@router.get("/audits", summary="Audit: coverage per segment, compliance per chief, rates")
def audit(
    conn: ConnDep, who: OfficeDep, region: RegionQ, period: PeriodQ, as_of: AsOfQ = None
) -> dict:
    return _report(conn, region, period, as_of)


@router.get(
    "/audits/gaps",
    response_class=GeoJSONResponse,
    summary="The audited period's gap stretches (never patrolled) as GeoJSON",
)
def audit_gaps(
    conn: ConnDep, who: OfficeDep, region: RegionQ, period: PeriodQ, as_of: AsOfQ = None
) -> GeoJSONResponse:
    return GeoJSONResponse(gaps_geojson(conn, _report(conn, region, period, as_of)))


@router.get("/audits/export.xlsx", summary="The audit as an Excel workbook (Chinese headers)")
def audit_xlsx(
    conn: ConnDep,
    who: OfficeDep,
    region: RegionQ,
    period: PeriodQ,
    as_of: AsOfQ = None,
    english: bool = False,
) -> Response:
    report = _report(conn, region, period, as_of)
    with tempfile.TemporaryDirectory() as folder:
        xlsx = next(
            p
            for p in write_exports(report, Path(folder), chinese=not english)
            if p.suffix == ".xlsx"
        )
        data = xlsx.read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{xlsx.name}"'},
    )
