"""Settings, read from the environment (prefix ``GIS_``) or a ``.env`` file.

``DATABASE_URL`` (without prefix, as most tools expect) points the service at an existing
PostGIS; when it is unset, the project-local cluster under ``.gis-local/`` is used.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gis_service.domain import periods
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.packaged import (
    POINT_RULES_FILE,
    RULES_FILE,
    SIGNBOARD_RULES_FILE,
    WATER_QUALITY_RULES_FILE,
    WORK_CALENDAR_FILE,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIS_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "GIS_DATABASE_URL")
    )
    # project-local cluster (used when database_url is None)
    home: Path = Field(default_factory=Path.cwd, description="project folder holding .gis-local/")
    local_db_name: str = "gis_service"
    local_db_user: str = "gis"
    local_db_port: int = 55432

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(
        default=0,
        ge=0,
        description="server worker processes (`serve`); 0: one per core (uploads are CPU-bound "
        "Python: one process per core is what serves the most of them)",
    )
    ingest_processes: int | None = Field(
        default=None,
        ge=0,
        description="processes of each server process that compute uploads (api.ingest); "
        "0 or unset: its own threads (`serve` sets one per core unless given: a server "
        "process's Python uses one core, and the clients' connections may all land on one)",
    )
    assignment_share_dir: Path | None = Field(
        default=None,
        description="a folder the server's processes keep built assignments in, to build a "
        "chief's lines once between them (`serve` makes one for its lifetime)",
    )
    timezone: str = DEFAULT_TIMEZONE
    patrol_retention_years: int = Field(
        default=5,
        ge=1,
        le=100,
        description="years a month of patrols (raw uploads, coverage) stays in the database "
        "after its end before `gis-service patrols archive` may move it to GeoParquet (local "
        "practice, not from a seed)",
    )
    dask_scheduler: str | None = Field(
        default=None,
        description="batch jobs' Dask scheduler (tcp://host:8786); none: a local cluster",
    )
    rules_file: Path = Field(
        default=RULES_FILE,
        description="patrol frequency rules (TOML); default: the copy shipped in the package",
    )
    water_quality_rules_file: Path = Field(
        default=WATER_QUALITY_RULES_FILE,
        description="boundary-section reward/deduction rule (TOML); default: the copy shipped "
        "in the package",
    )
    point_rules_file: Path = Field(
        default=POINT_RULES_FILE,
        description="塘长/泵长/口长/点长 tolerance and frequency (TOML); default: the copy "
        "shipped in the package",
    )
    signboard_rules_file: Path = Field(
        default=SIGNBOARD_RULES_FILE,
        description="公示牌 and public reports: supervision phone, board-segment tolerance, "
        "report rate and size limits (TOML); default: the copy shipped in the package",
    )
    # maps (gis_service.maps)
    basemap: str = Field(
        default="osm", description="osm | tianditu | none | an intranet tile URL template"
    )
    tianditu_key: str | None = Field(default=None, description="天地图 key (tk); enables it")
    map_tile_threshold: int = Field(
        default=3000, description="above this many features a served map uses vector tiles"
    )

    work_calendar_file: Path = Field(
        default=WORK_CALENDAR_FILE,
        description="public holidays and 调休 workdays (TOML); default: the copy shipped in "
        "the package",
    )
    handover_working_days: int | None = Field(
        default=10,
        ge=1,
        le=250,
        description="deadline of a problem hand-over (交办) in working days when the office "
        "states none (local practice, not from a seed; empty: every hand-over must state it)",
    )
    public_read: bool = Field(
        default=True,
        description="requests without a token read public information (viewer role)",
    )
    max_body_bytes: int = Field(default=100_000_000, description="largest request body")
    # links in answers (OGC ``self``/``next``): never from the request's Host header
    base_url: str | None = Field(
        default=None,
        description="the service's public address for links, e.g. https://gis.example/api "
        "(default: http://GIS_HOST:GIS_PORT)",
    )
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses of reverse proxies whose X-Forwarded-Proto/"
        "X-Forwarded-Host make the links' base (only when base_url is unset)",
    )

    @property
    def local_dir(self) -> Path:
        return self.home / ".gis-local"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def local_today(timezone: str | None = None) -> dt.date:
    """Today in ``timezone``, else in GIS_TIMEZONE: for the front ends (API, CLI, notebook)
    and tests; below them ``domain.periods.local_today`` takes the time zone passed in."""
    return periods.local_today(timezone or get_settings().timezone)
