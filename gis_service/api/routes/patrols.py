"""Patrol uploads (巡河轨迹) and their results."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from gis_service.api.auth import ChiefOrOfficeDep
from gis_service.api.deps import ConnDep, app_engine, app_settings_of
from gis_service.api.errors import STATUS
from gis_service.api.params import COORD_SYSTEMS
from gis_service.api.schemas.patrols import (
    BatchOut,
    PatrolListingOut,
    StoredPatrolOut,
    UploadOut,
)
from gis_service.db.assignment_store import newest_metric_zones
from gis_service.domain.access import check_patrol_reader, upload_owner
from gis_service.errors import GisServiceError, InputError, PermissionDeniedError
from gis_service.services.patrol_assignment import warm_transformers
from gis_service.services.patrols import (
    Duplicate,
    PatrolOutcome,
    PatrolSettings,
    Upload,
    ingest_one,
    ingest_patrols,
    list_patrols,
    stored_patrol,
)

router = APIRouter(tags=["patrols"])
log = logging.getLogger(__name__)
T = TypeVar("T")

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
    async with ingest_slot():
        result = await in_ingest_thread(_ingest_one, _engine(request), sent, _settings(request))
    return JSONResponse(result.to_json(), status_code=200 if isinstance(result, Duplicate) else 201)


MAX_BATCH = 200
INGESTS_PER_PROCESS = 2  # one computing while the other waits for PostGIS
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def ingest_slot() -> asyncio.Semaphore:
    """Uploads are CPU and database bound: they run off the event loop (which keeps serving
    reads), a few at a time and first come, first served (asyncio's semaphore is FIFO), so
    under load the latency stays even instead of every upload slowing down together."""
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(INGESTS_PER_PROCESS)
    return _slots[loop]


# the ingest threads: as many as ingest slots, so each keeps its PROJ transformers (built
# per thread, ~0.1 s each per zone and direction) and assignment matchers warm; on the
# 40 threads of the shared threadpool every upload could land on a cold thread
_INGEST_THREADS = ThreadPoolExecutor(INGESTS_PER_PROCESS, thread_name_prefix="ingest")


async def in_ingest_thread(func: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(
        _INGEST_THREADS, functools.partial(func, *args)
    )


async def warm_ingest_threads(engine: Engine) -> None:
    """Before the first upload (the app's start-up): every ingest thread builds its PROJ
    transformers for the zoning's zones. Measured cold, each thread's first upload waited
    0.2-0.3 s for them, and with 50 phones at once the first seconds' queue held the slowest
    uploads of a whole run. A database that is not there yet only skips the warm-up."""
    try:
        zones = await run_in_threadpool(_zones, engine)
    except Exception as exc:
        log.warning("ingest threads not warmed (%s): transformers are built on first use", exc)
        return
    if not zones:
        return
    # a barrier: each task waits for the others, so every thread of the pool takes one
    meet = threading.Barrier(INGESTS_PER_PROCESS, timeout=60)

    def warm() -> None:
        # a thread busy elsewhere breaks the barrier: warm this one anyway
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait()
        warm_transformers(zones)

    try:
        await asyncio.gather(*(in_ingest_thread(warm) for _ in range(INGESTS_PER_PROCESS)))
    except Exception as exc:
        log.warning("ingest threads not warmed (%s): transformers are built on first use", exc)


def _zones(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return newest_metric_zones(conn)


def _engine(request: Request) -> Engine:
    return app_engine(request.app)


def _settings(request: Request) -> PatrolSettings:
    """The office's settings, as the app was built with (GIS_TIMEZONE reads naive times)."""
    return PatrolSettings(timezone=app_settings_of(request.app).timezone)


# uploads take their database connection only here, in their turn for an ingest slot: a
# waiting or slowly sending upload holds none (the pool stays free for everyone else). The
# transaction is the upload's own, committed whole or (any error) rolled back when the
# connection closes: the write needs no savepoint inside it
def _ingest_one(engine: Engine, upload: Upload, settings: PatrolSettings):
    with engine.connect() as conn:
        result = ingest_one(conn, upload, settings=settings, savepoint=False)
        conn.commit()
    return result


def _ingest_many(
    engine: Engine, uploads: list[Upload], settings: PatrolSettings
) -> list[PatrolOutcome]:
    with engine.connect() as conn:
        results = ingest_patrols(conn, uploads, settings=settings, savepoint=False)
        conn.commit()
    return results


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
    async with ingest_slot():
        results = await in_ingest_thread(
            _ingest_many, _engine(request), uploads, _settings(request)
        )
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
