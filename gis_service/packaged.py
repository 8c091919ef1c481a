"""Files shipped inside the package: the default rules (patrols, boundary sections, point
posts), the work calendar, the migrations.

They are found from the imported package (``importlib.resources``), never from a checkout's
layout, so a service installed from a wheel finds the same files as one run from the source
tree. Offices point ``GIS_RULES_FILE`` / ``GIS_WORK_CALENDAR_FILE`` (and
``GIS_WATER_QUALITY_RULES_FILE`` / ``GIS_POINT_RULES_FILE``) at their own copies.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def packaged_path(*parts: str) -> Path:
    """A file or folder of the installed package as a real path (Alembic and the settings need
    one). A package imported from a zip archive has none: refused, naming the file."""
    resource = files("gis_service").joinpath(*parts)
    if not isinstance(resource, Path):
        raise FileNotFoundError(
            f"gis_service/{'/'.join(parts)} is inside an archive ({resource}): install the "
            "package as files (pip install), not as a zipped import"
        )
    return resource


RULES_FILE = packaged_path("rules", "patrol_rules.toml")
WORK_CALENDAR_FILE = packaged_path("rules", "work_calendar.toml")
WATER_QUALITY_RULES_FILE = packaged_path("rules", "water_quality.toml")
POINT_RULES_FILE = packaged_path("rules", "point_posts.toml")
SIGNBOARD_RULES_FILE = packaged_path("rules", "signboards.toml")
MIGRATIONS_DIR = packaged_path("migrations")
ALEMBIC_INI = MIGRATIONS_DIR / "alembic.ini"
