"""Point-source and facility chiefs (塘长, 泵长, 口长, 点长; seed 004).

The point roster and its map are public like the notice boards (names and roles; phone
numbers for the office only); the office imports points and posts; the audit of point
posts is for the office and chiefs, like the patrol audit."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import HTMLResponse

from gis_service.api.auth import ChiefOrOfficeDep, OfficeDep, PrincipalDep
from gis_service.api.deps import (
    ConnDep,
    PointRulesDep,
    RulesDep,
    SettingsDep,
    TimezoneDep,
    TodayDep,
)
from gis_service.api.params import DateQ, PeriodQ, RegionFilterQ, RegionQ
from gis_service.api.schemas.point_sources import PointAuditOut, PointPostOut, PointPostPeriodOut
from gis_service.api.schemas.water_quality import ImportOut
from gis_service.domain.access import sees_personal_data
from gis_service.domain.vocab import POINT_KIND_LABELS, POINT_ROLE_LABELS
from gis_service.errors import InputError
from gis_service.maps.point_sources import build_point_map
from gis_service.services import maps as map_svc
from gis_service.services import point_sources as svc
from gis_service.services.reports import ImportReport

router = APIRouter(tags=["point-source chiefs"])

MAX_POINT_BYTES = 50_000_000


def _import(file: UploadFile, run) -> ImportOut:
    name = Path(file.filename or "upload").name
    data = file.file.read(MAX_POINT_BYTES + 1)
    if len(data) > MAX_POINT_BYTES:
        raise InputError(f"larger than {MAX_POINT_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report: ImportReport = run(path)
    fields = {k: getattr(report, k) for k in ImportOut.model_fields if k != "summary"}
    return ImportOut(**fields, summary=report.summary())


@router.post(
    "/point-sources/points",
    response_model=ImportOut,
    summary="Import responsibility points (塘, 泵站, 排污口, 点源) (office)",
)
def import_points(
    conn: ConnDep,
    who: OfficeDep,
    file: UploadFile,
    crs: Annotated[
        str | None, Query(max_length=40, description="vector files: e.g. EPSG:4545 or gcj02")
    ] = None,
) -> ImportOut:
    """CSV/XLSX with lon/lat (WGS84), or GeoJSON/GeoPackage/zipped Shapefile of points;
    columns code, name, kind, region_code (water_body_code optional)."""
    out = _import(file, lambda path: svc.import_points(conn, path, crs=crs))
    conn.commit()
    return out


@router.post(
    "/point-sources/posts",
    response_model=ImportOut,
    summary="Import point posts (塘长, 泵长, 口长, 点长) (office)",
)
def import_posts(conn: ConnDep, who: OfficeDep, file: UploadFile) -> ImportOut:
    out = _import(file, lambda path: svc.import_point_posts(conn, path))
    conn.commit()
    return out


@router.get(
    "/point-sources/posts",
    response_model=list[PointPostOut],
    summary="Who holds which point on a date (the point roster)",
)
def point_roster(
    conn: ConnDep,
    who: PrincipalDep,
    today: TodayDep,
    on: DateQ = None,
    region: RegionFilterQ = None,
) -> list[PointPostOut]:
    rows = svc.roster(conn, on or today, region=region, with_phone=sees_personal_data(who))
    return [
        PointPostOut(
            **r.__dict__,
            role_label=POINT_ROLE_LABELS[r.role],
            point_kind_label=POINT_KIND_LABELS[r.point_kind],
        )
        for r in rows
    ]


@router.get(
    "/audits/point-posts",
    response_model=PointAuditOut,
    summary="Audit of point posts: patrols passing within the role's tolerance of the point",
)
def point_audit(
    conn: ConnDep,
    who: ChiefOrOfficeDep,
    tz: TimezoneDep,
    today: TodayDep,
    rules: RulesDep,
    point_rules: PointRulesDep,
    region: RegionQ,
    period: PeriodQ,
    as_of: DateQ = None,
) -> PointAuditOut:
    result = svc.audit_points(
        conn,
        region,
        period,
        timezone=tz,
        as_of=as_of or today,
        rules=point_rules,
        statuses=rules.counting.statuses,  # the patrols that count, as in the patrol audit
    )
    return PointAuditOut(
        region=result.region,
        period=result.period,
        as_of=result.as_of,
        rows=[
            PointPostPeriodOut(**r.model_dump(), role_label=POINT_ROLE_LABELS[r.role])
            for r in result.rows
        ],
    )


@router.get(
    "/maps/point-sources",
    response_class=HTMLResponse,
    summary="Responsibility points and their chiefs on a map (clustered)",
)
def point_map(
    conn: ConnDep,
    who: PrincipalDep,
    settings: SettingsDep,
    today: TodayDep,
    region: RegionFilterQ = None,
    on: DateQ = None,
) -> HTMLResponse:
    from gis_service.api.routes.maps import PAGE_HEADERS, _html

    day = on or today
    points, chiefs = svc.point_map_data(conn, day, region=region)
    options = map_svc.options_from_settings(settings)
    m = build_point_map(
        points,
        chiefs,
        title="塘长·泵长·口长·点长 责任点位",
        subtitle=day.isoformat(),
        options=options,
    )
    return HTMLResponse(_html(m, None), headers=PAGE_HEADERS)
