"""Load the sample files of issue 20 (boundary sections and their samples, responsibility
points and their posts) through the same services as the CLI and API; each file only when
present, so an older sample folder still loads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from gis_service.db import plan_store
from gis_service.sample.river_plan import RIVER, SAMPLE_AS_OF
from gis_service.services.plans import import_plan_tasks
from gis_service.services.point_sources import import_point_posts, import_points
from gis_service.services.reports import ImportReport
from gis_service.services.water_quality import import_samples, import_sections

_STEPS = (
    ("sections.csv", import_sections),
    ("water_quality.csv", import_samples),
    ("points.csv", import_points),
    ("point_posts.csv", import_point_posts),
    ("plan_tasks.csv", lambda conn, path: load_plan(conn, path.parent)),
)


def load_plan(conn: Connection, data_dir: Path) -> ImportReport:
    """一河一策 for 南流江, a snapshot as of the sample's day, imported once (the import log
    keeps it). Its places are segments of the zoning: before the zoning is built it is not
    imported (the report says so); ``gis-service sample load`` and the tests' sample call
    this again after building it."""
    path = data_dir / "plan_tasks.csv"
    if not path.exists():
        return ImportReport("plan tasks", path.name, 0, warnings=["no plan_tasks.csv"])
    if not plan_store.has_segments(conn, RIVER):
        return ImportReport(
            "plan tasks",
            path.name,
            0,
            warnings=["not imported yet: its places are segments of the zoning (build it first)"],
        )
    return import_plan_tasks(conn, path, today=SAMPLE_AS_OF, skip_unchanged=True)


def load_extras(conn: Connection, data_dir: Path) -> list[ImportReport]:
    """Upserts: loading twice changes nothing."""
    return [step(conn, data_dir / name) for name, step in _STEPS if (data_dir / name).exists()]
