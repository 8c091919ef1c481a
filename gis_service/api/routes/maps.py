"""HTML maps (Folium/Leaflet): coverage of a region and period, one patrol, one river.

A served page loads every script and stylesheet from the app's own ``/static/vendor``,
always: an intranet without internet gets the same page (CDN links only in exported files,
when asked: ``gis-service map ... --online``). ``offline=false`` is refused, not ignored.
Maps are public information, except patrol tracks: the tracks layer is for the office, a
patrol's map for its chief and the office.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
import zoneinfo
from collections import OrderedDict
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from gis_service.api.auth import ChiefOrOfficeDep, PrincipalDep
from gis_service.api.deps import ConnDep, SectionRuleDep, SettingsDep
from gis_service.api.params import AsOfQ, DateQ, PeriodQ, RegionQ
from gis_service.config import local_today
from gis_service.domain.access import (
    check_patrol_reader,
    require_office,
    sees_personal_data,
)
from gis_service.domain.periods import period_of
from gis_service.errors import InputError
from gis_service.maps.navigation import PortalBar
from gis_service.maps.patrol import build_patrol_map
from gis_service.maps.print_layout import PrintLayout, source_line
from gis_service.maps.river import RiverData, build_river_map
from gis_service.services import maps as svc
from gis_service.services.audit import configured_rules
from gis_service.services.map_print import coverage_print
from gis_service.services.patrols import patrol_owner
from gis_service.services.portal import period_choices

router = APIRouter(tags=["maps"])

LangQ = Annotated[Literal["zh", "en"], Query(description="language of the labels")]
BasemapQ = Annotated[
    Literal["osm", "tianditu", "none"] | None,
    Query(description="default: the configured one (Tianditu when a key is configured)"),
]
LayoutQ = Annotated[
    Literal["screen", "print"],
    Query(description="print: the print layout on screen (controls hidden, north arrow)"),
]
PaperQ = Annotated[Literal["a4", "a3"], Query(description="paper of the print layout (landscape)")]
OfflineQ = Annotated[
    bool | None,
    Query(
        description="kept for old links: served maps always load their scripts and styles "
        "from /static/vendor; false is refused (CDN links only in exports)"
    ),
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


def _refuse_cdn(offline: bool | None) -> None:
    if offline is False:
        raise InputError(
            "offline=false: served maps always use the app's own scripts and styles "
            "(/static/vendor); for a file linking CDNs export it: gis-service map ... --online"
        )


def _html(m, offline: bool | None) -> str:
    _refuse_cdn(offline)
    return svc.render(m, "served").replace("<head>", "<head>" + _FORGET_TOKEN, 1)


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
    settings: SettingsDep,
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
    layout: LayoutQ = "screen",
    paper: PaperQ = "a4",
) -> HTMLResponse:
    if include_tracks:
        require_office(who, "the patrol tracks layer")
    options = svc.options_from_settings(
        settings,
        lang=lang,
        basemap=basemap,
        include_tracks=include_tracks,
        personal=sees_personal_data(who),
        include_contacts=who.is_office,  # phone numbers in gap popups: the office's
    )
    threshold = settings.map_tile_threshold if tiles is None else (0 if tiles else None)
    key = (
        region,
        period,
        as_of or local_today(settings.timezone),
        options,
        threshold,
        layout,
        paper,
        str(settings.rules_file),
        str(settings.work_calendar_file),
        svc.data_version(conn),
    )
    _refuse_cdn(offline)  # before the cache: a refused request never gets a cached page
    page = COVERAGE_CACHE.get(key)
    if page is None:
        m = svc.coverage_map(
            conn,
            region,
            period,
            timezone=settings.timezone,
            options=options,
            as_of=as_of,
            rules=configured_rules(settings.rules_file),
            tile_threshold=threshold,
        )
        PortalBar(
            region=region, period=period, periods=_period_labels(period, settings.timezone)
        ).add_to(m)
        PrintLayout(
            source=source_line(dt.datetime.now(zoneinfo.ZoneInfo(settings.timezone))),
            paper=paper,
            on_screen=layout == "print",
        ).add_to(m)
        page = _html(m, offline)
        COVERAGE_CACHE.put(key, page)
    return HTMLResponse(page, headers=PAGE_HEADERS)


@router.get(
    "/maps/coverage.{fmt}",
    summary="Coverage map for a meeting: one landscape PDF page or a PNG (headless Chromium)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/png": {}}},
        503: {"description": "Chromium is not installed (Debian package chromium)"},
    },
)
def coverage_printed(
    conn: ConnDep,
    settings: SettingsDep,
    fmt: Annotated[Literal["pdf", "png"], Path(description="pdf or png")],
    region: RegionQ,
    period: PeriodQ,
    as_of: AsOfQ = None,
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    paper: PaperQ = "a4",
) -> Response:
    options = svc.options_from_settings(settings, lang=lang, basemap=basemap)
    body = coverage_print(
        conn,
        region,
        period,
        fmt=fmt,
        options=options,
        timezone=settings.timezone,
        rules=configured_rules(settings.rules_file),
        as_of=as_of,
        paper=paper,
    )
    name = f"coverage_{region}_{period}.{fmt}"
    return Response(
        body,
        media_type="application/pdf" if fmt == "pdf" else "image/png",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def _period_labels(chosen: str, timezone: str) -> list[str]:
    """The portal's period choices (this year and the last), the map's own among them."""
    today = local_today(timezone)
    labels = [p.label for p in period_choices(today)]
    return labels if chosen in labels else [chosen, *labels]


@router.get(
    "/maps/patrols/{patrol_id}",
    response_class=HTMLResponse,
    summary="One patrol: playback, covered and missed stretches, dropped points",
)
def patrol_map(
    conn: ConnDep,
    settings: SettingsDep,
    who: ChiefOrOfficeDep,  # before the lookup: a refusal never tells whether it exists
    patrol_id: Annotated[uuid.UUID, Path()],
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    offline: OfflineQ = None,
    layout: LayoutQ = "screen",
    paper: PaperQ = "a4",
) -> HTMLResponse:
    check_patrol_reader(who, patrol_owner(conn, patrol_id))
    options = svc.options_from_settings(settings, lang=lang, basemap=basemap)
    data = svc.patrol_data(conn, patrol_id, timezone=settings.timezone)
    m = build_patrol_map(data, options)
    # the portal at the patrol's quarter, and the river maps of the waters it walked
    day = pd.Timestamp(data.started).tz_convert(data.timezone).date()
    links = [
        (f"河流图 · {name}", f"/maps/rivers/{quote(code)}?date={day.isoformat()}")
        for code, name in data.waters.items()
    ]
    PortalBar(period=period_of(day, "quarter").label, links=links).add_to(m)
    _print_layout(m, settings.timezone, paper, layout)
    return _page(m, offline)


@router.get(
    "/maps/rivers/{code}",
    response_class=HTMLResponse,
    summary="One river for a coordination meeting: stretches by region and level, neighbours",
)
def river_map(
    conn: ConnDep,
    settings: SettingsDep,
    section_rule: SectionRuleDep,
    code: Annotated[str, Path(max_length=32)],
    date: DateQ = None,
    lang: LangQ = "zh",
    basemap: BasemapQ = None,
    offline: OfflineQ = None,
    layout: LayoutQ = "screen",
    paper: PaperQ = "a4",
) -> HTMLResponse:
    options = svc.options_from_settings(settings, lang=lang, basemap=basemap)
    day = date or local_today(settings.timezone)
    data = svc.river_data(conn, code, day, section_rule=section_rule)
    m = build_river_map(data, options)
    # the coverage maps of the counties the river runs through, for the quarter of the date
    period = period_of(day, "quarter").label
    PortalBar(period=period, links=_county_links(data, period)).add_to(m)
    _print_layout(m, settings.timezone, paper, layout)
    return _page(m, offline)


def _county_links(data: RiverData, period: str) -> list[tuple[str, str]]:
    segments = data.segments
    if len(segments) == 0:
        return []
    county = segments[segments["level"] == "county"]
    names: dict[str, str] = {}
    for column, name in (("region_code", "region"), ("left_region_code", "left_bank"),
                         ("right_region_code", "right_bank")):  # fmt: skip
        if column in county and name in county:
            for c, n in zip(county[column], county[name], strict=True):
                if isinstance(c, str) and c not in names:
                    names[c] = n if isinstance(n, str) else c
    return [
        (f"覆盖图 · {n}", "/maps/coverage?" + urlencode({"region": c, "period": period}))
        for c, n in names.items()
    ]


def _print_layout(m, timezone: str, paper: str, layout: str) -> None:
    PrintLayout(
        source=source_line(dt.datetime.now(zoneinfo.ZoneInfo(timezone))),
        paper=paper,  # type: ignore[arg-type]
        on_screen=layout == "print",
    ).add_to(m)
