"""The roster (河湖长名单) as published on notice boards, and data imports by the office."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Query, UploadFile
from fastapi import Path as PathParam
from sqlalchemy import Connection

from gis_service.api.auth import OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, TimezoneDep
from gis_service.api.params import DateQ, RegionFilterQ, WaterQ
from gis_service.api.schemas.roster import (
    ConsistencyView,
    ImportEntry,
    ImportOutcome,
    PostOnDate,
    StoredConsistency,
    UndoOutcome,
)
from gis_service.config import local_today
from gis_service.db.queries import posts_on
from gis_service.db.roster_store import chief_phones
from gis_service.domain.access import sees_personal_data
from gis_service.domain.vocab import POST_ROLES
from gis_service.errors import InputError
from gis_service.services.consistency import (
    check_and_store,
    check_consistency,
    latest_consistency,
)
from gis_service.services.import_log import list_imports, undo_import
from gis_service.services.import_run import run_import
from gis_service.services.patrols import PatrolSettings
from gis_service.services.rematch import plan_after_rebuild, run_jobs

router = APIRouter(tags=["roster and imports"])

Role = Literal[POST_ROLES]  # type: ignore[valid-type]
MAX_IMPORT_BYTES = 90_000_000


def _rematch_after(
    conn: Connection, zoning: dict, tz: str, background: BackgroundTasks
) -> dict | None:
    """Plan the re-match a new zoning run calls for (committed), and run it after the answer
    is sent, on this app's database: an HTTP import re-matches as the command line's does."""
    planned = plan_after_rebuild(conn, zoning, tz)
    conn.commit()
    if planned is None:
        return None
    url = conn.engine.url.render_as_string(hide_password=False)
    background.add_task(run_jobs, url, PatrolSettings(timezone=tz))
    return {**planned.to_dict(), "progress": "/zoning/rematch"}


@router.get(
    "/posts",
    response_model=list[PostOnDate],
    response_model_exclude_unset=True,
    summary="Who is responsible for what on a date (河湖长公示)",
)
def posts(
    conn: ConnDep,
    who: PrincipalDep,
    tz: TimezoneDep,
    on: DateQ = None,
    region: RegionFilterQ = None,
    water_body: WaterQ = None,
    role: Role | None = None,
) -> list[dict]:
    """Names, titles and posts are public (notice boards); phone numbers are for the office."""
    rows = posts_on(
        conn, on or local_today(tz), region_code=region, water_body_code=water_body, role=role
    )
    phones: dict[str, str | None] = {}
    if sees_personal_data(who) and rows:
        phones = chief_phones(conn, (r["chief_id"] for r in rows))
    out = []
    for r in rows:
        item = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()}
        if phones:
            item["phone"] = phones.get(r["chief_id"])
        out.append(item)
    return out


@router.post(
    "/imports/{kind}",
    response_model=ImportOutcome,
    response_model_exclude_unset=True,
    summary="Import regions, water bodies or a roster (office)",
)
def import_file(
    conn: ConnDep,
    who: OfficeDep,
    tz: TimezoneDep,
    background: BackgroundTasks,
    kind: Literal["regions", "water-bodies", "chiefs"],
    file: UploadFile,
    crs: Annotated[
        str | None,
        Query(max_length=40, description="e.g. EPSG:4545, or gcj02 / bd09 (converted to WGS84)"),
    ] = None,
    derive_parents: Annotated[
        bool, Query(description="build missing parents by dissolving their children")
    ] = False,
) -> dict:
    """GeoJSON, GeoPackage or zipped Shapefile (regions, water bodies) or CSV (chiefs). One
    transaction with the zoning rebuild and the consistency report: a bad file, named with
    its problems, changes nothing. A plain ``def``: the blocking GDAL and database work runs
    in the threadpool, never on the event loop."""
    name = Path(file.filename or "upload").name
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"larger than {MAX_IMPORT_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        outcome = run_import(
            conn, kind, path, day=local_today(tz), crs=crs, derive_parents=derive_parents
        )
    conn.commit()
    return {**outcome.to_dict(), "rematch": _rematch_after(conn, outcome.zoning, tz, background)}


@router.get(
    "/imports",
    response_model=list[ImportEntry],
    summary="Every import with its id and status (office)",
)
def imports(conn: ConnDep, who: OfficeDep) -> list[dict]:
    return [e.to_dict() for e in list_imports(conn)]


@router.post(
    "/imports/{import_id}/undo",
    response_model=UndoOutcome,
    response_model_exclude_unset=True,
    summary="Undo an import (office)",
)
def undo(
    conn: ConnDep,
    who: OfficeDep,
    tz: TimezoneDep,
    background: BackgroundTasks,
    import_id: Annotated[int, PathParam(ge=1, le=2**31 - 1, description="from GET /imports")],
) -> dict:
    """Removes what the import inserted and restores what it updated, with the zoning, in one
    transaction; 409 naming the patrols, posts or other data that depend on it."""
    result = undo_import(conn, import_id)
    consistency = check_and_store(conn, local_today(tz), f"undo {import_id}")
    conn.commit()
    return {
        **result.to_dict(),
        "summary": result.summary(),
        "consistency": consistency.to_dict(),
        "rematch": _rematch_after(conn, result.zoning, tz, background),
    }


@router.get(
    "/consistency",
    response_model=ConsistencyView,
    response_model_exclude_unset=True,
    summary="The latest consistency report (office)",
)
def consistency(
    conn: ConnDep, who: OfficeDep, tz: TimezoneDep, fresh: bool = False
) -> StoredConsistency | dict:
    """Stored after every import, undo and zoning rebuild; ``fresh=true`` computes it now."""
    if not fresh:
        stored = latest_consistency(conn)
        if stored is not None:
            return stored
    return check_consistency(conn, local_today(tz)).to_dict()
