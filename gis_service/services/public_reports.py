"""Reports from the public through a signboard's page (群众举报; seed 002 第二十七条): each
becomes a problem with source ``public`` on the board's river, entering the problem workflow
(``services.problems``: the office hands it over and records the result), with the photo kept
as evidence. No account: the caller is limited by the write guard (``api.guard``: rate, size)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from gis_service.db import signboard_store as store
from gis_service.db.session import atomic
from gis_service.domain import signboards as sb
from gis_service.domain.vocab import PROBLEM_CATEGORIES
from gis_service.errors import InputError, NotFoundError
from gis_service.records.problems import ProblemRecord
from gis_service.services.problems import report_problem

MAX_CONTACT_CHARS = 200


@dataclass(frozen=True)
class PublicReportInput:
    """What the board's form sends (every field as received; checked here)."""

    text: str | None
    category: str | None = None
    lon: float | None = None
    lat: float | None = None
    photo: bytes | None = None
    contact: str | None = None


def photo_url(problem_id: uuid.UUID | str) -> str:
    """Where the office reads a report's photo (``photo_ref`` of the problem)."""
    return f"/signboards/reports/{problem_id}/photo"


def submit_report(
    conn: Connection,
    board_code: str,
    report: PublicReportInput,
    *,
    rules: sb.SignboardRules,
    timezone: str,
    now: dt.datetime | None = None,
) -> ProblemRecord:
    """Check everything first (text, category, location, photo by its bytes), then store the
    problem and the report in one transaction: a refused report leaves nothing behind."""
    boards = store.boards(conn, codes=[board_code])
    if not boards:
        raise NotFoundError(f"signboard {board_code!r} not found")
    board = boards[0]
    try:
        text = sb.check_report_text(report.text, rules.max_text_chars)
        where = sb.check_report_location(
            report.lon, report.lat, (board.lon, board.lat), rules.max_distance_m
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    category = report.category or "other"
    if category not in PROBLEM_CATEGORIES:
        raise InputError(f"category must be one of {', '.join(PROBLEM_CATEGORIES)}")
    contact = (report.contact or "").strip()
    if len(contact) > MAX_CONTACT_CHARS:
        raise InputError(f"contact: at most {MAX_CONTACT_CHARS} characters")
    if any(ord(ch) < 32 for ch in contact):
        raise InputError("contact: holds control characters")
    photo, kind, digest = report.photo or None, None, None
    if photo is not None:
        if len(photo) > rules.max_photo_bytes:
            raise InputError(f"photo: {len(photo):,} bytes, at most {rules.max_photo_bytes:,}")
        kind = sb.photo_type(photo[:8])
        if kind is None:
            raise InputError("photo: only JPEG or PNG pictures are accepted (checked by content)")
        digest = hashlib.sha256(photo).hexdigest()
    lon, lat = where if where is not None else (board.lon, board.lat)
    pid = uuid.uuid4()
    detail = f"公示牌 {board.code} ({board.segment_id}) 扫码举报"
    if contact:
        detail += f"; 联系方式: {contact}"
    with atomic(conn):
        problem = report_problem(
            conn,
            chief_id=None,
            lon=lon,
            lat=lat,
            category=category,
            description=text,
            photo_ref=photo_url(pid) if photo is not None else None,
            found_at=now,
            reported_by=f"public (board {board.code})",
            problem_id=pid,
            source="public",
            source_detail=detail,
            timezone=timezone,
            water_body_code=board.water_body_code,
        )
        store.insert_report(
            conn,
            problem_id=pid,
            board_code=board.code,
            segment_id=board.segment_id,
            location_given=where is not None,
            photo=photo,
            photo_type=kind,
            photo_sha256=digest,
        )
    return problem


def report_photo(conn: Connection, problem_id: uuid.UUID) -> tuple[bytes, str]:
    found = store.report_photo(conn, problem_id)
    if found is None:
        raise NotFoundError(f"no photo for problem {problem_id}")
    return found
