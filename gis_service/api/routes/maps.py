"""HTML maps (Folium/Leaflet): coverage of a region and period, one patrol, one river.

``offline=true`` (or ``GIS_OFFLINE``) makes the page load every script and stylesheet from
the app's ``/static/vendor``: nothing from a CDN. Maps are public information, except
patrol tracks: the tracks layer is for the office, a patrol's map for its chief and the office.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from gis_service.api.auth import ChiefOrOfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep
from gis_service.api.params import AsOfQ, DateQ, PeriodQ, RegionQ
from gis_service.config import get_settings, local_today
from gis_service.domain.access import (
    check_patrol_reader,
    require_office,
    sees_personal_data,
)
from gis_service.services import maps as svc
from gis_service.services.patrols import patrol_owner

router = APIRouter(tags=["maps"])

LangQ = Annotated[Literal["zh", "en"], Query(description="language of the labels")]
BasemapQ = Annotated[
    Literal["osm", "tianditu", "none"] | None,
    Query(description="default: the configured one (Tianditu when a key is configured)"),
]
OfflineQ = Annotated[
    bool | None, Query(description="scripts and styles from /static/vendor (default: setting)")
]


# first thing in the page: a link's ``access_token`` leaves the address bar before any other
# script runs (bookmarks, shared screenshots and later scripts never see it)
_FORGET_TOKEN = (
    "<script>(function () { var u = new URL(window.location.href);"
    " if (u.searchParams.has('access_token')) { u.searchParams.delete('access_token');"
    " window.history.replaceState(null, '', u.toString()); } })();</script>"
)
# never send the page's address (which may hold a token) to tile servers or CDNs
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


def _page(m, offline: bool | None) -> HTMLResponse:
    return HTMLResponse(_html(m, offline), headers=PAGE_HEADERS)


def _html(m, offline: bool | None) -> str:
    settings = get_settings()
    mode = svc.served_mode(settings.offline if offline is None else offline)
    return svc.render(m, mode).replace("<head>", "<head>" + _FORGET_TOKEN, 1)


class RenderCache:
    """Rendered coverage maps (about 1.6 s of CPU each), kept per everything that changes
    the page: region, period, as-of date, what the caller's role shows, the options and the
    data version (``services.maps.data_version``). A small LRU per process."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.pages: OrderedDict[tuple, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: str) -> None:
        with self.lock:
            self.pages[key] = page
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


COVERAGE_CACHE = RenderCache()


@router.get("/maps/coverage", response_class=HTMLResponse, summary="Coverage map (巡河覆盖图)")
def coverage_map(
    conn: ConnDep,
    who: PrincipalDep,
    region: RegionQ,
    period: PeriodQ,
    as_of: AsOfQ = None,
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    include_tracks: Annotated[bool, Query(description="patrol tracks layer (off)")] = False,
    tiles: Annotated[
        bool | None, Query(description="vector tiles (default: above the feature threshold)")
    ] = None,
    offline: OfflineQ = None,
) -> HTMLResponse:
    if include_tracks:
        require_office(who, "the patrol tracks layer")
    settings = get_settings()
    options = svc.options_from_settings(
        settings,
        lang=lang,
        basemap=basemap,
        include_tracks=include_tracks,
        personal=sees_personal_data(who),
    )
    threshold = settings.map_tile_threshold if tiles is None else (0 if tiles else None)
    key = (
        region,
        period,
        as_of or local_today(),
        options,
        threshold,
        settings.offline if offline is None else offline,
        str(settings.rules_file),
        str(settings.work_calendar_file),
        svc.data_version(conn),
    )
    page = COVERAGE_CACHE.get(key)
    if page is None:
        m = svc.coverage_map(
            conn,
            region,
            period,
            options=options,
            as_of=as_of,
            tile_threshold=threshold,
        )
        page = _html(m, offline)
        COVERAGE_CACHE.put(key, page)
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get(
    "/maps/patrols/{patrol_id}",
    response_class=HTMLResponse,
    summary="One patrol: playback, covered and missed stretches, dropped points",
)
def patrol_map(
    conn: ConnDep,
    who: ChiefOrOfficeDep,  # before the lookup: a refusal never tells whether it exists
    patrol_id: Annotated[uuid.UUID, Path()],
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    offline: OfflineQ = None,
) -> HTMLResponse:
    check_patrol_reader(who, patrol_owner(conn, patrol_id))
    options = svc.options_from_settings(get_settings(), lang=lang, basemap=basemap)
    return _page(svc.patrol_map(conn, patrol_id, options=options), offline)


@router.get(
    "/maps/rivers/{code}",
    response_class=HTMLResponse,
    summary="One river for a coordination meeting: stretches by region and level, neighbours",
)
def river_map(
    conn: ConnDep,
    code: Annotated[str, Path(max_length=32)],
    date: DateQ = None,
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    offline: OfflineQ = None,
) -> HTMLResponse:
    options = svc.options_from_settings(get_settings(), lang=lang, basemap=basemap)
    return _page(svc.river_map(conn, code, day=date, options=options), offline)
