"""The roster on a date (河湖长公示), imports, their undo and the consistency report."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from gis_service.api.schemas.common import Schema
from gis_service.records import IsoDateTime
from gis_service.records.consistency import StoredConsistency

__all__ = [
    "ConsistencyView",
    "ImportEntry",
    "ImportOutcome",
    "PostOnDate",
    "StoredConsistency",
    "UndoOutcome",
]


class PostOnDate(Schema):
    """A post and its holder on the date asked about, as a notice board shows it."""

    id: int
    role: str
    level: str
    region_code: str
    water_body_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    chief_id: str
    chief_name: str
    title: str | None
    phone: str | None = Field(default=None, description="the office only (absent otherwise)")


class ConsistencyView(Schema):
    """The consistency report; ``id``, ``checked_at`` and ``trigger`` when it is the stored
    one (absent for ``fresh=true``)."""

    id: int | None = None
    checked_at: IsoDateTime | None = None
    trigger: str | None = None
    checked_on: dt.date
    regions_without_parent: list[str]
    water_bodies_outside_regions: list[str]
    segments_without_chief: list[str]
    posts_without_target: list[str]
    counts: dict[str, int]
    problem_count: int


class ZoningRun(Schema):
    """What the zoning rebuild after an import or undo did (or why it was skipped)."""

    skipped: str | None = None
    segments_per_level: dict[str, int] | None = None
    boundary_stretches: int | None = None
    still_water_zones: dict[str, int] | None = None
    joint_sections: int | None = None
    confluences: int | None = None
    conveners: int | None = None
    metric_zones: dict[str, int] | None = None
    metric_epsg: int | None = None
    seconds: float | None = None
    run_id: int | None = Field(default=None, description="the new zoning run")
    effective_from: dt.date | None = Field(
        default=None, description="the first local day it applies to"
    )


class ImportReport(Schema):
    """What one import read, inserted, updated, repaired and left unused."""

    kind: str
    file: str
    features: int
    inserted: int
    updated: int
    repaired: list[str]
    skipped_unchanged: bool
    import_id: int | None
    crs: str | None
    columns: dict[str, str] = Field(description="our field -> the file's column")
    unused_columns: list[str]
    warnings: list[str]
    derived: list[str]


class RematchStarted(Schema):
    """Stored patrols the new zoning run governs, being measured again after the answer."""

    partitions: int = Field(description="re-match jobs (GK zone x month) planned")
    patrols: int = Field(description="stored patrols they re-judge")
    progress: str = Field(description="where to follow them: GET /zoning/rematch")


class ImportOutcome(Schema):
    import_: ImportReport = Field(alias="import")
    summary: str
    zoning: ZoningRun
    consistency: ConsistencyView
    rematch: RematchStarted | None = None


class ImportEntry(Schema):
    """One line of the import log."""

    id: int
    kind: str
    file: str
    sha256: str
    features: int
    imported_at: str
    status: str
    undone_at: str | None
    inserted: int
    updated: int


class UndoOutcome(Schema):
    import_id: int
    deleted: dict[str, int] = Field(description="rows removed per table")
    restored: dict[str, int] = Field(description="rows put back as they were, per table")
    zoning: ZoningRun
    summary: str
    consistency: ConsistencyView
    rematch: RematchStarted | None = None
