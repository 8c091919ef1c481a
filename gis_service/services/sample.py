"""Load the bundled sample region (北海市, modelled on seed 001) into the database."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, text

from gis_service.config import get_settings
from gis_service.db.session import atomic
from gis_service.domain.problems import load_calendar
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.problems import advance_problem, report_problem
from gis_service.services.reports import ImportReport

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def load_sample(conn: Connection, data_dir: Path = SAMPLE_DIR) -> list[ImportReport]:
    """Import regions, water bodies, the chief roster and the problems found on patrol;
    unchanged files are skipped, problems already stored are left as they are."""
    with atomic(conn):
        reports = [
            import_regions(conn, data_dir / "regions.geojson", skip_unchanged=True),
            import_water_bodies(conn, data_dir / "water_bodies.geojson", skip_unchanged=True),
            import_chiefs(conn, data_dir / "chiefs.csv", skip_unchanged=True),
        ]
        if (data_dir / "problems.csv").exists():
            load_problems(conn, data_dir / "problems.csv")
        return reports


def load_problems(conn: Connection, path: Path) -> int:
    """Report each problem (idempotent by its id) and replay its handling on its dates, through
    the same service calls as the API; returns how many were new."""
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    calendar = load_calendar(get_settings().work_calendar_file)  # read once, not per step
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
                chief_id=r.person_id,
                lon=float(r.lon),
                lat=float(r.lat),
                category=r.category,
                description=r.description,
                found_at=dt.datetime.fromisoformat(r.found_at),
                reported_by="sample",
                problem_id=uuid.UUID(r.problem_id),
            )
            new += 1
            steps = [
                ("hand_over", r.handed_over_on, None),
                ("answer", r.answered_on, r.answer),
                ("close", r.closed_on, None),
            ]
            for action, day, note in steps:
                if day:
                    advance_problem(
                        conn,
                        problem_id=uuid.UUID(r.problem_id),
                        action=action,
                        user="sample",
                        handed_to=r.handed_to or None,
                        note=note,
                        today=dt.date.fromisoformat(day),
                        calendar=calendar,
                    )
    return new


def ensure_tracks(data_dir: Path = SAMPLE_DIR) -> None:
    """The GPX tracks are not in git (tens of MB): generate them once, deterministically;
    tracks of an older generator (no plan.csv: not planned against the rules) are replaced."""
    folder = data_dir / "tracks"
    if not (folder / "manifest.csv").exists() or not (folder / "plan.csv").exists():
        from gis_service.sample.generate import generate

        generate(data_dir, with_tracks=True, write_base=False)
