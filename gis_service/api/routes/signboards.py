"""Public signboards (公示牌) and the public's reports through them (群众举报).

A board and its page are public like the roster (names and posts, never a person's phone);
the office imports boards and reads what needs reprinting and the reports' photos; anyone
may report a problem through a board's page, without an account: the write guard
(``api.guard.ANONYMOUS_WRITES``) limits such requests by address and board, and by size."""

from __future__ import annotations

import math
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response

from gis_service.api.auth import OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, SettingsDep, TimezoneDep, TodayDep
from gis_service.api.links import base_url
from gis_service.api.negotiate import prefers_html
from gis_service.api.params import DateQ, WaterQ
from gis_service.api.schemas.signboards import (
    BoardChiefOut,
    BoardOut,
    PublicReportOut,
    SignboardImportOut,
)
from gis_service.db.queries import names
from gis_service.domain.signboards import SignboardRules
from gis_service.domain.vocab import LEVEL_LABELS, POST_ROLE_LABELS
from gis_service.errors import InputError
from gis_service.services import public_reports as reports
from gis_service.services import signboards as svc
from gis_service.web.signboard_page import board_page, report_done_page, report_message

router = APIRouter(tags=["signboards (公示牌) and public reports"])

MAX_BOARD_FILE_BYTES = 20_000_000
BOARD_CODE = r"^[^/\x00-\x1f]{1,32}$"
BoardCode = Annotated[str, PathParam(pattern=BOARD_CODE, description="the board's code")]
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    # the page is self-contained: nothing may load from, or post to, anywhere else
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


def office_signboard_rules(settings: SettingsDep) -> SignboardRules:
    """The office's board rules (GIS_SIGNBOARD_RULES_FILE, else the bundled ones), read per
    request; a broken file is a named 400."""
    return svc.configured_signboard_rules(settings.signboard_rules_file)


SignboardRulesDep = Annotated[SignboardRules, Depends(office_signboard_rules)]


def _chiefs(chiefs, region_names: dict[str, str]) -> list[BoardChiefOut]:
    return [
        BoardChiefOut(
            chief_id=c.chief_id,
            name=c.name,
            role=c.role,
            role_label=POST_ROLE_LABELS[c.role],
            level=c.level,
            level_label=LEVEL_LABELS[c.level],
            region_code=c.region_code,
            region_name=region_names.get(c.region_code),
        )
        for c in chiefs
    ]


def _board_out(view: svc.BoardView, region_names: dict[str, str], base: str) -> BoardOut:
    b = view.board
    return BoardOut(
        code=b.code,
        name=b.name,
        lon=round(b.lon, 7),
        lat=round(b.lat, 7),
        water_body_code=b.water_body_code,
        water_name=b.water_name,
        level=b.level,
        level_label=LEVEL_LABELS[b.level],
        region_code=b.region_code,
        region_name=b.region_name,
        segment_id=b.segment_id,
        zoning_run_id=b.zoning_run_id,
        matched_by=b.matched_by,
        match_distance_m=b.match_distance_m,
        on=view.day,
        chiefs=_chiefs(view.current, region_names),
        printed_on=b.printed_on,
        printed_chiefs=_chiefs(view.printed, region_names),
        needs_reprint=view.check.needs_reprint,
        no_longer_in_post=_chiefs(list(view.check.gone), region_names),
        not_printed=_chiefs(list(view.check.missing), region_names),
        page=f"{base}/boards/{b.code}",
    )


def _region_names(conn, views: list[svc.BoardView]) -> dict[str, str]:
    codes: set[str] = set()
    for v in views:
        codes.add(v.board.region_code)
        codes |= {c.region_code for c in [*v.current, *v.printed]}
    return names(conn, "admin_region", codes)


@router.post(
    "/signboards",
    response_model=SignboardImportOut,
    summary="Import signboards (公示牌) (office)",
)
def import_boards(
    conn: ConnDep,
    who: OfficeDep,
    today: TodayDep,
    rules: SignboardRulesDep,
    file: UploadFile,
    crs: Annotated[
        str | None,
        Query(max_length=40, description="wgs84 (default), cgcs2000, gcj02, bd09 or EPSG:…"),
    ] = None,
    tolerance_m: Annotated[
        float | None,
        Query(gt=0, le=5000, description="board to segment, metres (default: the rules')"),
    ] = None,
) -> SignboardImportOut:
    """CSV/XLSX (code, lon, lat; name, segment_id, water_body_code, printed_on, chiefs
    optional) or GeoJSON/GeoPackage/zipped Shapefile of points. A table's lon/lat are WGS84
    (CGCS2000 alike) unless ``crs`` names GCJ-02 (AMap, Tencent), BD-09 (Baidu) or a
    projected CRS; a vector file's CRS is its own declaration, or ``crs``."""
    name = Path(file.filename or "upload").name
    data = file.file.read(MAX_BOARD_FILE_BYTES + 1)
    if len(data) > MAX_BOARD_FILE_BYTES:
        raise InputError(f"larger than {MAX_BOARD_FILE_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = svc.import_signboards(
            conn, path, today=today, tolerance_m=tolerance_m or rules.tolerance_m, crs=crs
        )
    conn.commit()
    fields = {k: getattr(report, k) for k in SignboardImportOut.model_fields if k != "summary"}
    return SignboardImportOut(**fields, summary=report.summary())


@router.get(
    "/signboards",
    response_model=list[BoardOut],
    summary="Signboards with the current chiefs of their stretch",
)
def list_boards(
    request: Request,
    conn: ConnDep,
    who: PrincipalDep,
    settings: SettingsDep,
    today: TodayDep,
    water: WaterQ = None,
    on: DateQ = None,
) -> list[BoardOut]:
    views = svc.board_views(conn, on or today, water=water)
    region_names = _region_names(conn, views)
    base = base_url(request, settings)
    return [_board_out(v, region_names, base) for v in views]


@router.get(
    "/signboards/reprint",
    response_model=list[BoardOut],
    summary="Boards to reprint: the chiefs printed are not the chiefs of the stretch (office)",
)
def reprint(
    request: Request, conn: ConnDep, who: OfficeDep, settings: SettingsDep, today: TodayDep,
    on: DateQ = None,
) -> list[BoardOut]:  # fmt: skip
    views = svc.reprint_list(conn, on or today)
    region_names = _region_names(conn, views)
    base = base_url(request, settings)
    return [_board_out(v, region_names, base) for v in views]


@router.get(
    "/signboards/reports/{problem_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
    summary="The photo of a public report, as received (office)",
)
def report_photo(conn: ConnDep, who: OfficeDep, problem_id: uuid.UUID) -> Response:
    data, kind = reports.report_photo(conn, problem_id)
    return Response(data, media_type=kind, headers={"X-Content-Type-Options": "nosniff"})


@router.get(
    "/signboards/{code}",
    response_model=BoardOut,
    summary="One signboard with the current chiefs of its stretch",
)
def read_board(
    request: Request,
    conn: ConnDep,
    who: PrincipalDep,
    settings: SettingsDep,
    today: TodayDep,
    code: BoardCode,
    on: DateQ = None,
) -> BoardOut:
    view = svc.board_view(conn, code, on or today)
    return _board_out(view, _region_names(conn, [view]), base_url(request, settings))


@router.get(
    "/boards/{code}",
    response_class=HTMLResponse,
    summary="A signboard's public page (its QR code opens it): chiefs and a report form",
)
def board_html(
    conn: ConnDep, who: PrincipalDep, today: TodayDep, rules: SignboardRulesDep, code: BoardCode
) -> HTMLResponse:
    view = svc.board_view(conn, code, today)
    page = board_page(view, _region_names(conn, [view]), rules, f"/signboards/{code}/reports")
    return HTMLResponse(page, headers=PAGE_HEADERS)


def _number(name: str, value: str | None) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"{name}: {text[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise InputError(f"{name}: {text[:40]!r} is not a finite number")
    return number


@router.post(
    "/signboards/{code}/reports",
    status_code=201,
    response_model=PublicReportOut,
    responses={
        413: {"description": "the request or the photo is too large"},
        429: {"description": "too many reports from this address or for this board"},
    },
    summary="Report a problem through a board, without an account (群众举报)",
)
def report_problem(
    request: Request,
    conn: ConnDep,
    tz: TimezoneDep,
    rules: SignboardRulesDep,
    code: BoardCode,
    text: Annotated[str | None, Form(max_length=8000, description="what is wrong")] = None,
    category: Annotated[str | None, Form(max_length=40, description="default: other")] = None,
    lon: Annotated[str | None, Form(max_length=40, description="WGS84, optional")] = None,
    lat: Annotated[str | None, Form(max_length=40, description="WGS84, optional")] = None,
    contact: Annotated[
        str | None, Form(max_length=400, description="optional; the office only sees it")
    ] = None,
    photo: UploadFile | None = None,
) -> Response:
    """Anonymous and limited (per address and per board; the body, photo included, is
    capped while it streams). The report becomes a problem from the public on the board's
    river, handed over by the office like any other (POST /problems/{id}/events)."""
    data = None
    if photo is not None:
        data = photo.file.read(rules.max_photo_bytes + 1) or None
        if data is not None and len(data) > rules.max_photo_bytes:
            return JSONResponse(
                {"detail": f"photo: larger than {rules.max_photo_bytes:,} bytes"}, status_code=413
            )
    problem = reports.submit_report(
        conn,
        code,
        reports.PublicReportInput(
            text=text,
            category=(category or "").strip() or None,
            lon=_number("lon", lon),
            lat=_number("lat", lat),
            photo=data,
            contact=contact,
        ),
        rules=rules,
        timezone=tz,
    )
    conn.commit()
    if prefers_html(request.headers.get("accept")):
        return HTMLResponse(report_done_page(problem, code), status_code=201, headers=PAGE_HEADERS)
    out = PublicReportOut(
        problem_id=problem.id,
        board_code=code,
        status=problem.status,
        status_label=problem.status_label,
        source=problem.source,
        source_label=problem.source_label,
        category=problem.category,
        category_label=problem.category_label,
        found_at=problem.found_at,
        message=report_message(problem),
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201)
