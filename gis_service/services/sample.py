"""Load the bundled sample region (北海市, modelled on seed 001) into the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from gis_service.db.session import atomic
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.reports import ImportReport

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"


def load_sample(conn: Connection, data_dir: Path = SAMPLE_DIR) -> list[ImportReport]:
    """Import regions, water bodies and the chief roster; unchanged files are skipped."""
    with atomic(conn):
        return [
            import_regions(conn, data_dir / "regions.geojson", skip_unchanged=True),
            import_water_bodies(conn, data_dir / "water_bodies.geojson", skip_unchanged=True),
            import_chiefs(conn, data_dir / "chiefs.csv", skip_unchanged=True),
        ]


def ensure_tracks(data_dir: Path = SAMPLE_DIR) -> None:
    """The GPX tracks are not in git (tens of MB): generate them once, deterministically."""
    if not (data_dir / "tracks" / "manifest.csv").exists():
        from gis_service.sample.generate import generate

        generate(data_dir, with_tracks=True, write_base=False)
