"""The patrol routes' responses as pydantic models, for /openapi.json.

They mirror the records of ``services.patrols`` (:class:`PatrolResult`, :class:`Duplicate`)
and ``db.patrol_store`` (:class:`StoredPatrol`, :class:`PatrolListing`) field by field;
``tests/api/test_patrol_schemas.py`` validates real responses against them with extra keys
forbidden, so a field added to a record and not here (or the reverse) fails a test.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["valid", "partial", "invalid", "suspicious"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReasonOut(_Strict):
    """Why a patrol is not (fully) valid: a code, a message in words and the measured value."""

    code: str
    message: str
    value: float | None = None


class TargetSummaryOut(_Strict):
    """A target's coverage by the patrol, in metres of the zoning's chainage."""

    target_id: str
    target_type: Literal["segment", "joint", "zone"]
    water_body_code: str
    length_m: float
    covered_m: float
    ratio: float
    extension_m: float = Field(description="walked beyond the target's ends (joint sections)")
    uncovered: list[list[float]] = Field(description="[from, to] chainage ranges not walked")


class PatrolSummaryOut(_Strict):
    """Counts and measures of a patrol, and every target it reports."""

    points: int
    kept_points: int
    dropped: dict[str, int] = Field(description="dropped points by reason")
    parts: int
    duration_s: float
    distance_m: float
    on_assignment_distance_m: float
    off_assignment_distance_m: float
    on_assignment_time_s: float
    off_assignment_time_s: float
    coord_system: str
    mode: str
    metric_epsg: int
    source: str
    notes: list[str]
    targets: list[TargetSummaryOut]


class PatrolResultOut(_Strict):
    """A judged patrol as the upload answers it (``duplicate``: it was stored before)."""

    id: str
    chief_id: str
    status: Status
    reasons: list[ReasonOut]
    started_at: str
    ended_at: str
    summary: PatrolSummaryOut
    dropped: list[list[str]] = Field(description="[where in the file, why] per dropped point")
    duplicate: bool


class CoverageOut(_Strict):
    """A stored coverage row; the walked and unwalked stretches as GeoJSON (WGS84)."""

    target_type: str
    target_id: str
    water_body_code: str | None
    length_m: float
    covered_m: float
    ratio: float
    extension_m: float
    covered: list[list[float]]
    uncovered: list[list[float]]
    covered_geom: dict[str, Any] | None
    uncovered_geom: dict[str, Any] | None


class StoredPatrolOut(_Strict):
    """A stored patrol read back: verdict, summary, track (GeoJSON, WGS84) and coverage."""

    id: str
    chief_id: str
    status: Status
    reasons: list[ReasonOut]
    summary: PatrolSummaryOut
    dropped: list[list[str]]
    started_at: str
    ended_at: str
    uploaded_at: str
    source_format: str
    file_name: str | None
    coord_system: str
    mode: str
    track: dict[str, Any] | None
    coverage: list[CoverageOut]


class DuplicateOut(StoredPatrolOut):
    """The patrol was stored before (same UUID or same points): the stored one, counted once."""

    duplicate: Literal[True]


class UploadErrorOut(_Strict):
    """A patrol of a batch that was refused: the message and the HTTP status it would get."""

    error: str
    status: int


# POST /patrols: 201 with the new patrol, 200 with the stored one it repeats
UploadOut = PatrolResultOut | DuplicateOut


class BatchOut(_Strict):
    """One result per patrol of a batch, in order."""

    results: list[PatrolResultOut | DuplicateOut | UploadErrorOut]


class PatrolListingOut(_Strict):
    """A line of a patrol list."""

    id: str
    chief_id: str
    status: Status
    started_at: str
    ended_at: str
    distance_m: float | None
    reasons: list[str]
