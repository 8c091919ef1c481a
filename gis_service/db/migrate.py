"""Run Alembic migrations from code (set-up, tests) with the migrations shipped in the
package (``gis_service/migrations``), so an installed wheel migrates as a checkout does."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from geoalchemy2 import alembic_helpers

from gis_service.packaged import ALEMBIC_INI, MIGRATIONS_DIR

# The checkout around the package, if it runs from one (nothing is read from it here):
# notebook/_connection.py looks for the project-local cluster's .gis-local/ there.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_IGNORED_SCHEMAS = {"tiger", "tiger_data", "topology"}


# the monthly partitions of the patrol tables (migration 0012, db.partitions): made on demand,
# not in the models
_PARTITION = re.compile(r"(patrol|patrol_raw|patrol_coverage)_y\d{4}m\d{2}")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Skip PostGIS's own tables (spatial_ref_sys, the docker image's tiger/topology) and the
    patrol tables' monthly partitions."""
    if type_ == "table" and (name == "spatial_ref_sys" or obj.schema in _IGNORED_SCHEMAS):
        return False
    if type_ == "table" and reflected and _PARTITION.fullmatch(name or ""):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def alembic_config(url: str) -> Config:
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
