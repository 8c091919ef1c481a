"""Load the bundled sample region (北海市, modelled on seed 001) into the database."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from gis_service.db.session import atomic
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.domain.problems import WorkCalendar, load_calendar
from gis_service.errors import InputError, SetupError
from gis_service.services.accountability import NewRecord, issue_record, record_feedback
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.problems import advance_problem, report_problem
from gis_service.services.reports import ImportReport
from gis_service.services.sample_extras import load_extras

# The sample region is data of the checkout (data/sample), not of the package: a wheel does
# not carry it, and the sample commands say so (require_sample_dir) instead of failing later.
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def require_sample_dir(data_dir: Path = SAMPLE_DIR) -> Path:
    """``data_dir`` when it holds the sample region; otherwise a message naming the folder
    (an installed wheel has no ``data/sample``: the sample ships with the source checkout)."""
    if not (data_dir / "regions.geojson").is_file():
        raise SetupError(
            f"the sample region folder {data_dir} is missing (no regions.geojson): the sample "
            "data ships with the source checkout (data/sample), not with the installed package; "
            "run the sample commands from a checkout"
        )
    return data_dir


def load_sample(
    conn: Connection, data_dir: Path = SAMPLE_DIR, calendar: WorkCalendar | None = None
) -> list[ImportReport]:
    """Import regions, water bodies, the chief roster, the problems and the accountability
    records; unchanged files are skipped, problems and records already stored are left as
    they are. ``calendar``: the office's (the front end's GIS_WORK_CALENDAR_FILE), else the
    bundled one."""
    require_sample_dir(data_dir)
    calendar = calendar or load_calendar()  # read once, not per step
    with atomic(conn):
        reports = [
            import_regions(conn, data_dir / "regions.geojson", skip_unchanged=True),
            import_water_bodies(conn, data_dir / "water_bodies.geojson", skip_unchanged=True),
            import_chiefs(conn, data_dir / "chiefs.csv", skip_unchanged=True),
        ]
        if (data_dir / "problems.csv").exists():
            load_problems(conn, data_dir / "problems.csv", calendar)
        if (data_dir / "accountability.csv").exists():
            load_accountability(conn, data_dir / "accountability.csv", calendar)
        load_extras(conn, data_dir)  # issue 20: sections, samples, point posts (upserts)
        return reports


def load_problems(conn: Connection, path: Path, calendar: WorkCalendar | None = None) -> int:
    """Report each problem (idempotent by its id) and replay its handling on its dates, through
    the same service calls as the API; returns how many were new."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    calendar = calendar or load_calendar()
    new = 0
    with atomic(conn):
        stored = set(
            conn.execute(
                text("SELECT id::text FROM problem WHERE id = ANY(CAST(:i AS uuid[]))"),
                {"i": list(rows["problem_id"])},
            ).scalars()
        )
        for r in rows.itertuples():
            if r.problem_id in stored:
                continue  # stored and perhaps handled since: leave it
            report_problem(
                conn,
                chief_id=r.person_id or None,
                source=r.source,
                source_detail=r.source_detail or None,
                lon=float(r.lon),
                lat=float(r.lat),
                category=r.category,
                description=r.description,
                found_at=dt.datetime.fromisoformat(r.found_at),
                reported_by="sample",
                problem_id=uuid.UUID(r.problem_id),
                # the sample's times carry their offset (+08:00); a naive one is Beijing's
                timezone=DEFAULT_TIMEZONE,
            )
            new += 1
            steps = [
                ("hand_over", r.handed_over_on, None),
                ("answer", r.answered_on, r.answer),
                ("verify", r.verified_on, None),
                ("close", r.closed_on, None),
            ]
            for action, day, note in steps:
                if not day:
                    continue
                handing = action == "hand_over"
                advance_problem(
                    conn,
                    problem_id=uuid.UUID(r.problem_id),
                    action=action,
                    user="sample",
                    handed_to=(r.handed_to or None) if handing else None,
                    note=note,
                    deadline=dt.date.fromisoformat(r.deadline) if handing and r.deadline else None,
                    working_days=int(r.working_days) if handing and r.working_days else None,
                    today=dt.date.fromisoformat(day),
                    calendar=calendar,
                )
    return new


def load_accountability(conn: Connection, path: Path, calendar: WorkCalendar | None = None) -> int:
    """Issue each record (idempotent by its document number, ``reference``) and record its
    answer on its date, through the same service calls as the API; returns how many were new.
    Each step is recorded "on" its own date, as an office entering its files would."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    calendar = calendar or load_calendar()
    new = 0
    with atomic(conn):
        ids: dict[str, int] = dict(
            conn.execute(
                text("SELECT reference, id FROM accountability_record WHERE reference = ANY(:r)"),
                {"r": list(rows["reference"])},
            ).all()
        )
        for r in rows.itertuples():
            if r.reference in ids:
                continue
            issued = dt.date.fromisoformat(r.issued_on)
            record = issue_record(
                conn,
                NewRecord(
                    kind=r.kind,
                    chief_id=r.person_id,
                    reason=r.reason,
                    issued_on=issued,
                    issuer=r.issuer or None,
                    reference=r.reference,
                    period=r.period or None,
                    problem_id=uuid.UUID(r.problem_id) if r.problem_id else None,
                    follows_id=_follows(ids, r.follows_reference),
                ),
                user="sample",
                today=issued,
                calendar=calendar,
            )
            ids[r.reference] = record.id
            new += 1
            if r.feedback_on:
                received = dt.date.fromisoformat(r.feedback_on)
                record_feedback(
                    conn, record.id, r.feedback, received_on=received, user="sample",
                    today=received,
                )  # fmt: skip
    return new


def _follows(ids: dict[str, int], reference: str) -> int | None:
    if not reference:
        return None
    if reference not in ids:
        raise InputError(f"follows_reference {reference!r} is not an earlier record's reference")
    return ids[reference]


def ensure_tracks(data_dir: Path = SAMPLE_DIR) -> None:
    """The GPX tracks are not in git (tens of MB): generate them once, deterministically;
    tracks of another generator version (``tracks/VERSION``) are replaced, so a checkout never
    audits or tests stale tracks against a changed plan."""
    from gis_service.sample.tracks import TRACKS_VERSION

    # a folder that is not there is named (an installed wheel has none); one without the base
    # files still gets its tracks (they are generated from data/realdata)
    folder = (data_dir if data_dir.is_dir() else require_sample_dir(data_dir)) / "tracks"
    stamp = folder / "VERSION"
    current = stamp.read_text(encoding="utf-8").strip() if stamp.exists() else None
    if not (folder / "manifest.csv").exists() or current != TRACKS_VERSION:
        from gis_service.sample.generate import generate

        generate(data_dir, with_tracks=True, write_base=False)
