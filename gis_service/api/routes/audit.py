"""Patrol audits (巡河考核) of a region and period: JSON, XLSX and the gap stretches."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from gis_service.api.auth import OfficeDep
from gis_service.api.deps import ConnDep, PointRulesDep, RulesDep, TimezoneDep
from gis_service.api.params import AsOfQ, PeriodQ, RegionQ
from gis_service.api.responses import GeoJSONResponse, download_response
from gis_service.api.schemas.audit import AuditReport, GapCollection
from gis_service.errors import InputError
from gis_service.fileio.downloads import features_download
from gis_service.services.audit import gaps_geojson, run_audit
from gis_service.services.audit_export import export_stem, write_workbook

router = APIRouter(tags=["audit"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LangQ = Annotated[
    Literal["zh", "en"] | None, Query(description="language of the labels (default zh)")
]


def _report(
    conn: ConnDep,
    who: OfficeDep,
    tz: TimezoneDep,
    rules: RulesDep,
    point_rules: PointRulesDep,
    region: RegionQ,
    period: PeriodQ,
    as_of: AsOfQ = None,
) -> AuditReport:
    """The audit the office asked for, in the office's time zone with its rules (one place for
    the routes)."""
    return run_audit(
        conn, region, period, as_of=as_of, rules=rules, point_rules=point_rules, timezone=tz
    )


ReportDep = Annotated[AuditReport, Depends(_report)]


@router.get(
    "/audits",
    response_model=AuditReport,
    summary="Audit: coverage per segment, compliance per chief, rates",
)
def audit(report: ReportDep) -> AuditReport:
    return report


@router.get(
    "/audits/gaps",
    response_class=GeoJSONResponse,
    response_model=GapCollection,
    summary="The audited period's gap stretches (never patrolled) as GeoJSON",
)
def audit_gaps(
    conn: ConnDep,
    report: ReportDep,
    f: Annotated[
        Literal["json", "gpkg", "shp", "kml"],
        Query(description="json (GeoJSON, default); gpkg, shp (zipped) or kml for ArcGIS/QGIS"),
    ] = "json",
) -> Response:
    collection = gaps_geojson(conn, report)
    if f == "json":
        return GeoJSONResponse(collection)
    name = f"gaps_{report.region.code}_{report.period.label}"
    return download_response(features_download(collection["features"], f, name))


@router.get(
    "/audits/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="The audit as a print-ready Excel workbook (Chinese labels; lang=en for English)",
)
def audit_xlsx(
    conn: ConnDep,
    who: OfficeDep,
    tz: TimezoneDep,
    rules: RulesDep,
    point_rules: PointRulesDep,
    region: RegionQ,
    period: PeriodQ,
    as_of: AsOfQ = None,
    lang: LangQ = None,
    english: Annotated[bool, Query(description="the same as lang=en (older links)")] = False,
) -> Response:
    if english and lang == "zh":
        raise InputError("english=true contradicts lang=zh: give one of them")
    chinese = not english and lang != "en"
    report = run_audit(
        conn, region, period, as_of=as_of, rules=rules, point_rules=point_rules, timezone=tz
    )
    with tempfile.TemporaryDirectory() as folder:
        xlsx = write_workbook(
            report, Path(folder) / f"{export_stem(report)}.xlsx", lang="zh" if chinese else "en"
        )
        data = xlsx.read_bytes()
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{xlsx.name}"'},
    )
