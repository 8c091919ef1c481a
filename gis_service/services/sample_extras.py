"""Load the sample files of issue 20 (boundary sections and their samples, responsibility
points and their posts) through the same services as the CLI and API; each file only when
present, so an older sample folder still loads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from gis_service.services.point_sources import import_point_posts, import_points
from gis_service.services.reports import ImportReport
from gis_service.services.water_quality import import_samples, import_sections

_STEPS = (
    ("sections.csv", import_sections),
    ("water_quality.csv", import_samples),
    ("points.csv", import_points),
    ("point_posts.csv", import_point_posts),
)


def load_extras(conn: Connection, data_dir: Path) -> list[ImportReport]:
    """Upserts: loading twice changes nothing."""
    return [step(conn, data_dir / name) for name, step in _STEPS if (data_dir / name).exists()]
