"""Patrol uploads (巡河轨迹) and their results."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from gis_service.api.auth import ChiefOrOfficeDep
from gis_service.api.deps import ConnDep, app_settings_of
from gis_service.api.errors import STATUS
from gis_service.api.ingest import app_ingest
from gis_service.api.params import COORD_SYSTEMS
from gis_service.api.schemas.patrols import (
    BatchOut,
    PatrolListingOut,
    StoredPatrolOut,
    UploadOut,
)
from gis_service.domain.access import check_patrol_reader, upload_owner
from gis_service.errors import GisServiceError, InputError, PermissionDeniedError
from gis_service.services.patrols import (
    Duplicate,
    PatrolOutcome,
    PatrolSettings,
    Upload,
    ingest_batch_committed,
    ingest_committed,
    list_patrols,
    stored_patrol,
)

router = APIRouter(tags=["patrols"])

MAX_UPLOAD_BYTES = 20_000_000
Status = Literal["valid", "partial", "invalid", "suspicious"]
# what an upload may say besides its points: form fields (multipart) or query parameters
UPLOAD_FIELDS = ("chief_id", "coord_system", "mode", "patrol_uuid")


@router.post(
    "/patrols",
    status_code=201,
    response_model=UploadOut,
    responses={200: {"model": UploadOut, "description": "already stored: counted once"}},
    summary="Upload a patrol: a GPX/GeoJSON/CSV file (multipart) or the app's JSON batch",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "chief_id": {"type": "string"},
                            "coord_system": {"type": "string", "enum": list(COORD_SYSTEMS)},
                            "mode": {"type": "string", "enum": ["walk", "bike", "boat", "vehicle"]},
                            "patrol_uuid": {"type": "string", "format": "uuid"},
                        },
                    }
                },
                "application/json": {"schema": {"type": "object"}},
            },
            "required": True,
        }
    },
)
async def upload_patrol(request: Request, who: ChiefOrOfficeDep) -> JSONResponse:
    """Idempotent: the same patrol UUID or the same points again return the stored patrol
    (200, ``duplicate: true``) and count once. A rejected upload stores nothing (4xx).
    A chief's token files the patrol for that chief only; the office may file for anyone."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
        return JSONResponse({"detail": f"upload larger than {MAX_UPLOAD_BYTES} bytes"}, 413)
    content_type = request.headers.get("content-type", "")
    fields: dict[str, str | None] = {}
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("multipart upload needs a 'file' part")
        data = await upload.read()
        filename = upload.filename
        for key in UPLOAD_FIELDS:
            value = form.get(key)
            fields[key] = value if isinstance(value, str) and value else None
        fmt = None
    else:
        data = await request.body()
        filename = None
        fmt = "json" if "json" in content_type else None
        fields = {key: request.query_params.get(key) for key in UPLOAD_FIELDS}
    if len(data) > MAX_UPLOAD_BYTES:
        return JSONResponse({"detail": f"upload larger than {MAX_UPLOAD_BYTES} bytes"}, 413)
    owner = upload_owner(who, fields["chief_id"])
    sent = Upload(data, filename, fmt=fmt, owner=owner, **fields)
    ingest = app_ingest(request.app)
    async with ingest.slot():
        result = await ingest.run(ingest_committed, sent, _settings(request))
    return JSONResponse(result.to_json(), status_code=200 if isinstance(result, Duplicate) else 201)


MAX_BATCH = 200


def _settings(request: Request) -> PatrolSettings:
    """The office's settings, as the app was built with (GIS_TIMEZONE reads naive times)."""
    return PatrolSettings(timezone=app_settings_of(request.app).timezone)


def outcome_json(outcome: PatrolOutcome) -> dict:
    """A batch item's answer: the patrol, or the refusal with the status a single upload
    would get (the one table of ``api.errors``)."""
    if isinstance(outcome, GisServiceError):
        status = next((s for t, s in STATUS.items() if isinstance(outcome, t)), 500)
        return {"error": str(outcome), "status": status}
    return outcome.to_json()


@router.post(
    "/patrols/batch",
    response_model=BatchOut,
    summary="Upload many patrols at once (offline sync)",
)
async def upload_batch(request: Request, who: ChiefOrOfficeDep) -> JSONResponse:
    """``{"patrols": [<app JSON body>, ...]}``: one transaction, one result per patrol in
    order; a bad patrol gets ``{"error", "status"}`` and does not stop the others. The stored
    evidence of each patrol is its JSON object as received (re-serialised)."""
    owner = upload_owner(who, None)

    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES * 5:
        return JSONResponse({"detail": "batch too large"}, 413)
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc}") from None
    items = body.get("patrols") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError('expected {"patrols": [...]} with at least one patrol')
    if len(items) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} patrols per batch")
    uploads = [
        Upload(orjson.dumps(item), filename=f"batch item {k + 1}", fmt="json", owner=owner)
        for k, item in enumerate(items)
    ]
    ingest = app_ingest(request.app)
    async with ingest.slot():
        results = await ingest.run(ingest_batch_committed, uploads, _settings(request))
    return JSONResponse({"results": [outcome_json(r) for r in results]})


@router.get(
    "/patrols/{patrol_id}",
    response_model=StoredPatrolOut,
    summary="One patrol with its verdict and coverage",
)
def read_patrol(conn: ConnDep, who: ChiefOrOfficeDep, patrol_id: str) -> JSONResponse:
    """For the patrol's chief and the office (tracks are personal data). Anonymous callers
    and viewers are refused before the lookup: the answer never tells whether it exists."""
    try:
        pid = uuid.UUID(patrol_id)
    except ValueError:
        raise InputError(f"{patrol_id!r} is not a patrol id (UUID)") from None
    patrol = stored_patrol(conn, pid)
    check_patrol_reader(who, patrol.chief_id)
    # documented by the model, sent as stored (a summary of an older version is not refused)
    return JSONResponse(patrol.to_json())


@router.get(
    "/patrols",
    response_model=list[PatrolListingOut],
    summary="Patrols by chief, date range and status",
)
def patrols(
    request: Request,
    conn: ConnDep,
    who: ChiefOrOfficeDep,
    chief: Annotated[str | None, Query(max_length=32)] = None,
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: dt.date | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict]:
    """The office sees everyone's patrols; a chief sees their own (``chief`` defaults to it)."""
    if who.role == "chief":
        if chief not in (None, who.chief_id):
            raise PermissionDeniedError("a chief lists own patrols only")
        chief = who.chief_id
    listed = list_patrols(
        conn,
        timezone=app_settings_of(request.app).timezone,
        chief=chief,
        start=from_,
        end=to,
        status=status,
        limit=limit,
        offset=offset,
    )
    return [asdict(p) for p in listed]
