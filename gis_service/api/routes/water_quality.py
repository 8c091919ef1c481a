"""Boundary cross-section water quality (交界断面水质, seeds 001 and 004).

Sections and their map are public information (like the roster); the office imports
sections and samples and sees proposed sites; the monthly reward/deduction assessment of
townships is for the office and chiefs (it moves public money between governments)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import HTMLResponse, Response

from gis_service.api.auth import ChiefOrOfficeDep, OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, SectionRuleDep, SettingsDep, TodayDep
from gis_service.api.params import RegionFilterQ, WaterQ
from gis_service.api.schemas.water_quality import (
    AssessmentOut,
    CrossingOut,
    ImportOut,
    RegionMonthOut,
    RuleOut,
    SectionMonthOut,
    SectionOut,
)
from gis_service.domain.water_quality import STANDARD, AssessmentRule, class_label
from gis_service.errors import InputError
from gis_service.maps.water_quality import SectionMapData, build_section_map
from gis_service.services import maps as map_svc
from gis_service.services import water_quality as svc
from gis_service.services.reports import ImportReport
from gis_service.services.water_quality_export import STATUS_LABELS, assessment_workbook

router = APIRouter(tags=["water quality"])

MAX_TABLE_BYTES = 20_000_000
MonthQ = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="month YYYY-MM")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import(file: UploadFile, run) -> ImportOut:
    name = Path(file.filename or "upload").name
    data = file.file.read(MAX_TABLE_BYTES + 1)
    if len(data) > MAX_TABLE_BYTES:
        raise InputError(f"larger than {MAX_TABLE_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report: ImportReport = run(path)
    return ImportOut(
        **{k: getattr(report, k) for k in ImportOut.model_fields if k != "summary"},
        summary=report.summary(),
    )


@router.get(
    "/water-quality/sections",
    response_model=list[SectionOut],
    summary="Boundary monitoring sections (交界断面) with their target class",
)
def sections(conn: ConnDep, who: PrincipalDep, region: RegionFilterQ = None) -> list[SectionOut]:
    return [
        SectionOut(**s.__dict__, target_class_label=class_label(s.target_class))
        for s in svc.list_sections(conn, region=region)
    ]


@router.get(
    "/water-quality/sections/proposals",
    response_model=list[CrossingOut],
    summary="Zoning crossings where a boundary section could be placed (office)",
)
def proposals(conn: ConnDep, who: OfficeDep) -> list[CrossingOut]:
    return [CrossingOut(**c.__dict__) for c in svc.propose_sections(conn)]


@router.post(
    "/water-quality/sections",
    response_model=ImportOut,
    summary="Import sections from CSV/XLSX (office)",
)
def import_sections(conn: ConnDep, who: OfficeDep, file: UploadFile) -> ImportOut:
    """Columns code, name, target_class and either lon/lat (WGS84) with water_body_code,
    upstream_region_code (and downstream_region_code), or joint_section_id of a crossing.
    A bad file, with every problem named by line, changes nothing."""
    out = _import(file, lambda path: svc.import_sections(conn, path))
    conn.commit()
    return out


@router.post(
    "/water-quality/samples",
    response_model=ImportOut,
    summary="Import monthly measurements from CSV/XLSX (office)",
)
def import_samples(conn: ConnDep, who: OfficeDep, file: UploadFile) -> ImportOut:
    """Columns section_code, sampled_on and the main parameters (mg/L) and/or the class;
    classes are computed by GB 3838-2002 Table 1 (single-factor) when parameters are given."""
    out = _import(file, lambda path: svc.import_samples(conn, path))
    conn.commit()
    return out


def _assessment(
    conn: ConnDep, rule: AssessmentRule, first: str, last: str, region: str | None
) -> svc.Assessment:
    return svc.assess(
        conn,
        svc.parse_month(first, option="first"),
        svc.parse_month(last, option="last"),
        rule=rule,
        region=region,
    )


@router.get(
    "/water-quality/assessment",
    response_model=AssessmentOut,
    summary="Monthly assessment: sections met, reward or deduction per region (seed 004)",
)
def assessment(
    conn: ConnDep,
    who: ChiefOrOfficeDep,
    rule: SectionRuleDep,
    first: MonthQ,
    last: MonthQ,
    region: RegionFilterQ = None,
) -> AssessmentOut:
    result = _assessment(conn, rule, first, last, region)
    return AssessmentOut(
        first_month=result.first_month,
        last_month=result.last_month,
        standard=STANDARD,
        rule=RuleOut(
            reward_yuan=result.rule.reward_yuan,
            deduction_yuan=result.rule.deduction_yuan,
            month_class=result.rule.month_class,
            source=result.rule.source,
        ),
        total_yuan=result.total_yuan,
        regions=[RegionMonthOut(**r.__dict__) for r in result.regions],
        sections=[
            SectionMonthOut(
                **s.__dict__,
                target_class_label=class_label(s.target_class),
                month_class_label=class_label(s.month_class),
                status_label=STATUS_LABELS[s.status],
            )
            for s in result.sections
        ],
    )


@router.get(
    "/water-quality/assessment.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="The monthly assessment as an XLSX workbook",
)
def assessment_xlsx(
    conn: ConnDep,
    who: ChiefOrOfficeDep,
    rule: SectionRuleDep,
    first: MonthQ,
    last: MonthQ,
    region: RegionFilterQ = None,
) -> Response:
    result = _assessment(conn, rule, first, last, region)
    name = f"water-quality-{result.first_month}-{result.last_month}.xlsx"
    return Response(
        assessment_workbook(result),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/maps/water-quality",
    response_class=HTMLResponse,
    summary="Boundary sections coloured by the month's class (GB 3838-2002)",
)
def section_map(
    conn: ConnDep,
    who: PrincipalDep,
    settings: SettingsDep,
    today: TodayDep,
    rule: SectionRuleDep,
    month: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: last month)")
    ] = None,
    region: RegionFilterQ = None,
    water_body: WaterQ = None,
    lang: Annotated[Literal["zh", "en"], Query(description="language of the labels")] = "zh",
) -> HTMLResponse:
    from gis_service.api.routes.maps import PAGE_HEADERS, _html

    if month is None:
        first_of_month = today.replace(day=1)
        chosen = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    else:
        chosen = svc.parse_month(month)
    frame = svc.section_map_frame(conn, chosen, rule=rule, region=region, water_body=water_body)
    options = map_svc.options_from_settings(settings, lang=lang)
    m = build_section_map(SectionMapData(f"{chosen:%Y-%m}", frame, STANDARD), options)
    return HTMLResponse(_html(m, None), headers=PAGE_HEADERS)
