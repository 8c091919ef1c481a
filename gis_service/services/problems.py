"""Problems (河湖问题): found on patrol, reported by the public or the media, or handed down by a
superior; hand over (交办), answer, verify (核查), close (销号).

The lifecycle rules live in ``gis_service.domain.problems``; this module stores and reads.
A report is located in the finest administrative region containing it and the nearest water
body within ``NEAR_WATER_M``, so offices can route it without re-digitising.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gis_service.db.queries import DESCENDANTS, local_day_bounds
from gis_service.db.session import atomic
from gis_service.domain.chinacoords import to_wgs84
from gis_service.domain.periods import local_today
from gis_service.domain.problems import (
    WorkCalendar,
    check_source,
    check_step,
    handover_deadline,
    is_overdue,
    next_status,
)
from gis_service.domain.vocab import (
    PROBLEM_CATEGORIES,
    PROBLEM_CATEGORY_LABELS,
    PROBLEM_SOURCE_LABELS,
    PROBLEM_STATUS_LABELS,
)
from gis_service.errors import ConflictError, InputError, NotFoundError
from gis_service.records.problems import ProblemEvent, ProblemRecord
from gis_service.services.patrols import patrol_owner
from gis_service.services.service_area import service_area

NEAR_WATER_M = 500.0

PROBLEM_COLUMNS = [
    "id", "category", "category_label", "source", "source_label", "status", "status_label",
    "description", "photo_ref", "found_at", "reported_at", "handed_to", "deadline", "overdue",
    "answer", "verified_on", "chief_id", "chief_name", "patrol_id", "water_body_code",
    "region_code",
]  # fmt: skip

_SELECT = """
SELECT p.id, p.category, p.source, p.source_detail, p.status, p.description, p.photo_ref,
       p.found_at, p.reported_at, p.handed_to, p.handed_over_on, p.deadline, p.answer,
       p.answered_on, p.verified_on, p.closed_on,
       p.chief_id, c.name AS chief_name, p.patrol_id, p.water_body_code, p.region_code,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat
FROM problem p LEFT JOIN chief c ON c.id = p.chief_id
"""


def _labelled(row: Mapping[Any, Any], today: dt.date) -> dict:
    """Labels and the overdue flag, computed at read time (the deadline does not move)."""
    out = dict(row)
    out["id"] = str(out["id"])
    out["patrol_id"] = str(out["patrol_id"]) if out["patrol_id"] else None
    out["category_label"] = PROBLEM_CATEGORY_LABELS[out["category"]]
    out["source_label"] = PROBLEM_SOURCE_LABELS[out["source"]]
    out["status_label"] = PROBLEM_STATUS_LABELS[out["status"]]
    out["overdue"] = is_overdue(out["status"], out["deadline"], today)
    return out


def decorate_problem(row: Mapping, today: dt.date) -> dict:
    """A problem row for a table: labels, the overdue flag, dates as ISO text."""
    out = _labelled(row, today)
    for key, value in out.items():
        if isinstance(value, dt.date | dt.datetime):
            out[key] = value.isoformat()
    return out


def report_problem(
    conn: Connection,
    *,
    chief_id: str | None,
    lon: float,
    lat: float,
    category: str,
    description: str | None = None,
    photo_ref: str | None = None,
    found_at: dt.datetime | None = None,
    patrol_id: uuid.UUID | None = None,
    coord_system: str = "wgs84",
    reported_by: str = "system",
    problem_id: uuid.UUID | None = None,
    source: str = "patrol",
    source_detail: str | None = None,
    timezone: str,
    water_body_code: str | None = None,
) -> ProblemRecord:
    """Store a report; an app resending the same ``problem_id`` gets the stored one back.

    ``chief_id`` is the reporting chief: required for a problem found on patrol, optional for
    one from the public, the media or a superior (the office records those on the source's
    behalf, ``source_detail`` saying who: a name and contact, an outlet, a document).
    ``timezone`` (the front end's setting) reads a naive ``found_at``. ``water_body_code``
    names the water when the caller knows it (a report through a signboard is on the board's
    river), else the nearest water within ``NEAR_WATER_M`` is taken."""
    check_source(source, chief_id, patrol_id)
    if category not in PROBLEM_CATEGORIES:
        raise InputError(f"category must be one of {', '.join(PROBLEM_CATEGORIES)}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"({lon}, {lat}) is not a longitude/latitude")
    x, y = to_wgs84([lon], [lat], coord_system)
    found_at = found_at or dt.datetime.now(dt.UTC)
    if found_at.tzinfo is None:
        found_at = found_at.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    offset = found_at.utcoffset()
    if offset is not None and abs(offset) >= dt.timedelta(hours=16):
        # no zone is that far from UTC (and PostgreSQL refuses it): a typo, not a time
        raise InputError(
            f"found_at {found_at.isoformat()}: UTC offset out of range (-15:59 to +15:59)"
        )
    pid = problem_id or uuid.uuid4()
    with atomic(conn):
        stored = conn.execute(
            text("SELECT chief_id, source FROM problem WHERE id = :i"), {"i": pid}
        ).first()
        if stored is not None:
            if tuple(stored) != (chief_id, source):
                raise ConflictError(
                    f"problem id {pid} is already used by another report "
                    f"(chief {stored.chief_id or '-'}, source {stored.source})"
                )
            return get_problem(conn, pid, today=local_today(timezone))
        if chief_id is not None and (
            conn.execute(text("SELECT 1 FROM chief WHERE id = :c"), {"c": chief_id}).first() is None
        ):
            raise NotFoundError(f"chief {chief_id!r} not found")
        if patrol_id is not None and patrol_owner(conn, patrol_id) != chief_id:
            raise InputError(f"patrol {patrol_id} belongs to another chief")
        conn.execute(
            text(
                """
                WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:x, :y), 4326) AS g)
                INSERT INTO problem (id, category, source, source_detail, description,
                                     photo_ref, geom, found_at, chief_id, patrol_id,
                                     patrol_started_at, region_code, water_body_code)
                SELECT :id, :cat, :source, :detail, :desc, :photo, pt.g, :found, :chief, :patrol,
                    (SELECT started_at FROM patrol WHERE id = :patrol),
                    (SELECT code FROM admin_region r WHERE ST_Intersects(r.geom, pt.g)
                     ORDER BY length(code) DESC, code LIMIT 1),
                    coalesce(CAST(:water AS text), (SELECT code FROM water_body w
                     WHERE ST_DWithin(w.geom::geography, pt.g::geography, :near)
                     ORDER BY w.geom::geography <-> pt.g::geography LIMIT 1))
                FROM pt
                """
            ),
            {
                "x": float(x[0]),
                "y": float(y[0]),
                "id": pid,
                "cat": category,
                "source": source,
                "detail": source_detail,
                "desc": description,
                "photo": photo_ref,
                "found": found_at,
                "chief": chief_id,
                "patrol": patrol_id,
                "near": NEAR_WATER_M,
                "water": water_body_code,
            },
        )
        # after the insert, so that bad text (NUL) is named first; refusing rolls it back
        area = service_area(conn, x, y)
        if area.mostly_outside():
            far = (
                f", {area.distance_m / 1000:.1f} km from the nearest"
                if area.distance_m is not None
                else " (the database holds no region)"
            )
            raise InputError(
                f"outside_service_area: ({lon}, {lat}) lies outside every region of the "
                f"service{far}; check the coordinates and coord_system"
            )
        _event(conn, pid, reported_by, "report", None, "reported", description)
    return get_problem(conn, pid, today=local_today(timezone))


def _event(
    conn: Connection, pid, user: str, action: str, before: str | None, after: str, note
) -> None:
    conn.execute(
        text(
            "INSERT INTO problem_event (problem_id, user_name, action, from_status, to_status, "
            "note) VALUES (:p, :u, :a, :f, :t, :n)"
        ),
        {"p": pid, "u": user, "a": action, "f": before, "t": after, "n": note},
    )


def advance_problem(
    conn: Connection,
    problem_id: uuid.UUID,
    action: str,
    *,
    user: str,
    today: dt.date,
    calendar: WorkCalendar,
    handed_to: str | None = None,
    note: str | None = None,
    deadline: dt.date | None = None,
    working_days: int | None = None,
    default_working_days: int | None = None,
) -> ProblemRecord:
    """Apply one lifecycle step on ``today`` (the office's local date). A hand-over sets its
    deadline: the date given, or ``working_days`` (else ``default_working_days``, the office's
    setting) working days on ``calendar``."""
    check_step(action, handed_to=handed_to, note=note, deadline=deadline,
               working_days=working_days)  # fmt: skip
    with atomic(conn):
        current = conn.execute(
            text("SELECT status FROM problem WHERE id = :i FOR UPDATE"), {"i": problem_id}
        ).scalar()
        if current is None:
            raise NotFoundError(f"problem {problem_id} not found")
        status = next_status(current, action)
        values: dict = {"i": problem_id, "s": status, "d0": today}
        sets = ["status = :s"]
        if action == "hand_over":
            due = handover_deadline(
                today,
                calendar,
                deadline=deadline,
                working_days=working_days,
                default_working_days=default_working_days,
            )
            sets += ["handed_to = :h", "handed_over_on = :d0", "deadline = :d1"]
            values |= {"h": handed_to, "d1": due}
            note = f"{note + '; ' if note else ''}deadline {due.isoformat()}"
        elif action == "answer":
            sets += ["answer = :a", "answered_on = :d0"]
            values |= {"a": note}
        elif action == "verify":
            sets += ["verified_on = :d0"]
        elif action == "close":
            sets += ["closed_on = :d0"]
        elif action == "reopen":
            sets += ["closed_on = NULL", "verified_on = NULL"]
        conn.execute(text(f"UPDATE problem SET {', '.join(sets)} WHERE id = :i"), values)
        _event(conn, problem_id, user, action, current, status, note)
    return get_problem(conn, problem_id, today=today)


def get_problem(conn: Connection, problem_id, *, today: dt.date) -> ProblemRecord:
    row = conn.execute(text(_SELECT + " WHERE p.id = :i"), {"i": problem_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"problem {problem_id} not found")
    events = conn.execute(
        text(
            "SELECT at, user_name, action, from_status, to_status, note FROM problem_event "
            "WHERE problem_id = :i ORDER BY at, id"
        ),
        {"i": problem_id},
    ).mappings()
    return ProblemRecord(**_labelled(row, today), events=[ProblemEvent(**e) for e in events])


def problems_frame(
    conn: Connection,
    *,
    region: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    timezone: str,
    today: dt.date | None = None,
) -> gpd.GeoDataFrame:
    """Problems found in the region (and its sub-regions) between two local dates (in
    ``timezone``, the office's), WGS84 points; overdue as of ``today`` (default: today there)."""
    sql = (
        DESCENDANTS
        + _SELECT
        + " WHERE (CAST(:region AS text) IS NULL OR p.region_code IN (SELECT code FROM sub)) "
        "AND (CAST(:f AS timestamptz) IS NULL OR p.found_at >= :f) "
        "AND (CAST(:t AS timestamptz) IS NULL OR p.found_at < :t) "
        "ORDER BY p.found_at, p.id"
    )
    lo, hi = local_day_bounds(start, end, timezone)
    params = {"region": region, "f": lo, "t": hi}
    rows = conn.execute(text(sql), params).mappings().all()
    today = today or local_today(timezone)
    records = [decorate_problem(r, today) for r in rows]
    frame = pd.DataFrame(records, columns=[*PROBLEM_COLUMNS, "lon", "lat"])
    geometry = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]), geometry=geometry, crs=4326)


def problem_feature(problem: ProblemRecord, *, public: bool) -> dict:
    """A problem as a GeoJSON feature; the public sees what, where and how far it is handled,
    not the reporter's description, photo or patrol."""
    hidden = (
        {"description", "photo_ref", "patrol_id", "answer", "events", "source_detail"}
        if public
        else set()
    )
    wire = problem.wire()
    return {
        "type": "Feature",
        "id": problem.id,
        "geometry": {"type": "Point", "coordinates": [problem.lon, problem.lat]},
        "properties": {k: v for k, v in wire.items() if k not in hidden | {"lon", "lat", "id"}},
    }
