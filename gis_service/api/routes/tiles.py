"""Mapbox vector tiles of the zoning layers, for the coverage map of large regions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from gis_service.api.deps import ConnDep
from gis_service.api.params import REGION_PATTERN
from gis_service.db import tiles as t

router = APIRouter(tags=["tiles"])


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.pbf",
    response_class=Response,
    summary="Vector tile (MVT) of segments, zones, regions or joint_sections",
    responses={200: {"content": {t.MEDIA_TYPE: {}}}},
)
def tile(
    conn: ConnDep,
    layer: str,
    z: Annotated[int, Path(ge=0, le=t.MAX_ZOOM)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
    region: Annotated[
        str | None,
        Query(pattern=REGION_PATTERN, description="only this region and the regions below it"),
    ] = None,
) -> Response:
    try:
        data = t.tile(conn, layer, z, x, y, region=region)  # checks the request before any SQL
    except t.TileRequestError as exc:
        raise HTTPException(404 if layer not in t.LAYERS else 400, str(exc)) from None
    return Response(data, media_type=t.MEDIA_TYPE, headers={"Cache-Control": "public, max-age=300"})
