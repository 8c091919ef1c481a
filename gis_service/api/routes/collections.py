"""OGC API - Features style access to the service's layers (Part 1 Core, GeoJSON)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from gis_service.api.auth import PrincipalDep
from gis_service.api.deps import ConnDep, TimezoneDep
from gis_service.api.links import base_url, link
from gis_service.api.params import Level, RegionFilterQ, WaterQ
from gis_service.api.responses import GeoJSONResponse, download_response
from gis_service.api.schemas.collections import (
    AnyFeature,
    CollectionInfo,
    CollectionList,
    Conformance,
    ItemPage,
)
from gis_service.domain.access import Principal, sees_personal_data
from gis_service.fileio.downloads import features_download
from gis_service.services import collections as svc

BBOX_HELP = "minLon,minLat,maxLon,maxLat (CRS84)"
DATE_HELP = "a date or start/end, '..' for an open end (problems: when found)"

router = APIRouter(tags=["collections (OGC API - Features)"])

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def _links(request: Request, cid: str) -> list[dict]:
    base = base_url(request)
    return [
        {"rel": "self", "type": "application/json", "href": f"{base}/collections/{cid}"},
        {"rel": "items", "type": "application/geo+json", "href": f"{base}/collections/{cid}/items"},
    ]


def _describe(conn, request: Request, c: svc.Collection) -> dict:
    box = svc.extent(conn, c.id)
    return {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [svc.CRS84],
        "extent": {"spatial": {"bbox": [box] if box else [], "crs": svc.CRS84}},
        "links": _links(request, c.id),
    }


@router.get("/conformance", response_model=Conformance, summary="OGC API conformance classes")
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


@router.get(
    "/collections",
    response_model=CollectionList,
    response_model_exclude_unset=True,
    summary="The feature collections",
)
def collections(conn: ConnDep, request: Request) -> dict:
    base = base_url(request)
    return {
        "collections": [_describe(conn, request, c) for c in svc.COLLECTIONS.values()],
        "links": [{"rel": "self", "type": "application/json", "href": f"{base}/collections"}],
    }


@router.get(
    "/collections/{collection_id}",
    response_model=CollectionInfo,
    response_model_exclude_unset=True,
    summary="One collection",
)
def collection(conn: ConnDep, request: Request, collection_id: str) -> dict:
    return _describe(conn, request, svc.collection(collection_id))


def _reader(who: Principal) -> svc.Reader:
    """What the caller may see of personal fields: everything (office), a chief their own
    records only, the public none."""
    if sees_personal_data(who):
        return svc.Reader(everything=True)
    return svc.Reader(own_chief=who.chief_id if who.role == "chief" else None)


@router.get(
    "/collections/{collection_id}/items",
    response_class=GeoJSONResponse,
    response_model=ItemPage,
    summary="Features: bbox, limit/offset paging with next links, filters",
)
def items(
    conn: ConnDep,
    who: PrincipalDep,
    tz: TimezoneDep,
    request: Request,
    collection_id: str,
    bbox: Annotated[str | None, Query(max_length=200, description=BBOX_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LIMIT)] = svc.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    region: RegionFilterQ = None,
    level: Level | None = None,
    water_body: WaterQ = None,
    datetime: Annotated[str | None, Query(max_length=50, description=DATE_HELP)] = None,
    f: Annotated[
        Literal["json", "gpkg", "shp", "kml"],
        Query(
            description="json (GeoJSON, default); gpkg, shp (zipped, UTF-8 .cpg) or kml: a "
            "download for ArcGIS/QGIS of the same page of features"
        ),
    ] = "json",
) -> Response:
    start, end = svc.parse_datetime(datetime)
    query = svc.ItemQuery(
        bbox=svc.parse_bbox(bbox),
        limit=limit,
        offset=offset,
        region=region,
        level=level,
        water_body=water_body,
        start=start,
        end=end,
    )
    features, matched = svc.items(conn, collection_id, query, timezone=tz, reader=_reader(who))
    if f != "json":
        download = features_download(features, f, collection_id)
        return download_response(
            download,
            {"OGC-NumberMatched": str(matched), "OGC-NumberReturned": str(len(features))},
        )
    path = request.url.path
    links = [{"rel": "self", "type": "application/geo+json", "href": link(request, path)}]
    if offset + len(features) < matched:
        nxt = link(request, path, offset=offset + limit, limit=limit)
        links.append({"rel": "next", "type": "application/geo+json", "href": nxt})
    if offset > 0:
        prev = link(request, path, offset=max(0, offset - limit), limit=limit)
        links.append({"rel": "prev", "type": "application/geo+json", "href": prev})
    return GeoJSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "links": links,
        }
    )


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    response_class=GeoJSONResponse,
    response_model=AnyFeature,
    summary="One feature",
)
def item(
    conn: ConnDep,
    who: PrincipalDep,
    tz: TimezoneDep,
    collection_id: str,
    feature_id: Annotated[str, Path(max_length=200)],
) -> GeoJSONResponse:
    return GeoJSONResponse(
        svc.item(conn, collection_id, feature_id, timezone=tz, reader=_reader(who))
    )
