"""The roster (河湖长名单) as published on notice boards, and data imports by the office."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, UploadFile
from sqlalchemy import text

from gis_service.api.auth import OfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep
from gis_service.api.params import DateQ, RegionFilterQ, WaterQ
from gis_service.config import local_today
from gis_service.db.queries import posts_on
from gis_service.db.session import atomic
from gis_service.domain.access import sees_personal_data
from gis_service.domain.vocab import POST_ROLES
from gis_service.errors import InputError
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.zoning import rebuild_zoning

router = APIRouter(tags=["roster and imports"])

Role = Literal[POST_ROLES]  # type: ignore[valid-type]
GEO_IMPORTERS = {"regions": import_regions, "water-bodies": import_water_bodies}
MAX_IMPORT_BYTES = 90_000_000


@router.get("/posts", summary="Who is responsible for what on a date (河湖长公示)")
def posts(
    conn: ConnDep,
    who: PrincipalDep,
    on: DateQ = None,
    region: RegionFilterQ = None,
    water_body: WaterQ = None,
    role: Role | None = None,
) -> list[dict]:
    """Names, titles and posts are public (notice boards); phone numbers are for the office."""
    rows = posts_on(
        conn, on or local_today(), region_code=region, water_body_code=water_body, role=role
    )
    phones: dict[str, str | None] = {}
    if sees_personal_data(who) and rows:
        phones = dict(
            conn.execute(
                text("SELECT id, phone FROM chief WHERE id = ANY(:i)"),
                {"i": sorted({r["chief_id"] for r in rows})},
            ).all()
        )
    out = []
    for r in rows:
        item = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()}
        if phones:
            item["phone"] = phones.get(r["chief_id"])
        out.append(item)
    return out


@router.post("/imports/{kind}", summary="Import regions, water bodies or a roster (office)")
async def import_file(
    conn: ConnDep,
    who: OfficeDep,
    kind: Literal["regions", "water-bodies", "chiefs"],
    file: UploadFile,
    crs: Annotated[str | None, Query(max_length=40, description="e.g. EPSG:4545")] = None,
) -> dict:
    """GeoJSON, GeoPackage or zipped Shapefile (regions, water bodies) or CSV (chiefs). One
    transaction with the zoning rebuild: a bad file, named with its problems, changes nothing."""
    name = Path(file.filename or "upload").name
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InputError(f"larger than {MAX_IMPORT_BYTES} bytes", source=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with atomic(conn):
            if kind == "chiefs":
                report = import_chiefs(conn, path)
            else:
                report = GEO_IMPORTERS[kind](conn, path, crs=crs)
            zoning = rebuild_zoning(conn, skip_unchanged=True)
    conn.commit()
    return {"import": report.to_dict(), "summary": report.summary(), "zoning": zoning}
