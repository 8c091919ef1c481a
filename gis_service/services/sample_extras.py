"""Load the sample files of issue 20 (boundary sections and their samples, responsibility
points and their posts) through the same services as the CLI and API; each file only when
present, so an older sample folder still loads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from gis_service.sample.river_plan import SAMPLE_AS_OF
from gis_service.services.plans import import_plan_tasks
from gis_service.services.point_sources import import_point_posts, import_points
from gis_service.services.reports import ImportReport
from gis_service.services.water_quality import import_samples, import_sections

_STEPS = (
    ("sections.csv", import_sections),
    ("water_quality.csv", import_samples),
    ("points.csv", import_points),
    ("point_posts.csv", import_point_posts),
    ("plan_tasks.csv", lambda conn, path: _load_plan(conn, path)),
)


def _load_plan(conn: Connection, path: Path) -> ImportReport:
    """一河一策 for 南流江, a snapshot as of the sample's day, imported once (the import log
    keeps it). Its places are segments of the zoning, so the zoning is built first when the
    inputs changed since the last run (the set-up's own rebuild then has nothing to do)."""
    from gis_service.services.zoning import rebuild_zoning

    rebuild_zoning(conn, skip_unchanged=True)
    return import_plan_tasks(conn, path, today=SAMPLE_AS_OF, skip_unchanged=True)


def load_extras(conn: Connection, data_dir: Path) -> list[ImportReport]:
    """Upserts: loading twice changes nothing."""
    return [step(conn, data_dir / name) for name, step in _STEPS if (data_dir / name).exists()]
