"""What every map shares: options, the basemap, the standard controls.

Basemaps: OpenStreetMap, Tianditu (天地图, CGCS2000 = WGS84 at map scale, so no GCJ-02
shift against our data; ``vec_w`` plus the ``cva_w`` Chinese or ``eva_w`` English labels,
each tile URL carrying the office's ``tk`` key), a tile URL template of an intranet tile
server, or none (an offline intranet without a tile server).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import folium
from folium import plugins

from gis_service.maps.elements import MapChrome
from gis_service.maps.style import check_lang, label
from gis_service.maps.tile_fallback import TileFallback

BASEMAPS = ("osm", "tianditu", "none")
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = "&copy; 天地图 (国家地理信息公共服务平台)"
# the deepest zoom of every basemap; the map itself needs it too when there is no basemap
# (``basemap="none"``), or Leaflet.markercluster (the problems layer) refuses the map
MAX_ZOOM = 18


@dataclass(frozen=True)
class MapOptions:
    """Choices for one map. ``basemap`` is osm, tianditu, none or a tile URL template."""

    lang: Literal["zh", "en"] = "zh"
    basemap: str = "osm"
    tianditu_key: str | None = None
    include_tracks: bool = False
    # problem descriptions in popups: the reporter's notes are for the office (and exported
    # files the office makes); served maps for anyone else leave them out
    personal: bool = True
    # chiefs' phone numbers in gap popups: for the office only (personal data)
    include_contacts: bool = False

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.basemap not in BASEMAPS and not self.basemap.startswith(
            ("http://", "https://", "/")
        ):
            raise ValueError(f"basemap must be one of {', '.join(BASEMAPS)} or a tile URL")
        if self.basemap == "tianditu" and not self.tianditu_key:
            raise ValueError("the Tianditu basemap needs a key (GIS_TIANDITU_KEY)")


def new_map(options: MapOptions, bounds: tuple[float, float, float, float]) -> folium.Map:
    """A map with the basemap, fullscreen, measure tool and scale bar, fitted to ``bounds``."""
    lang = options.lang
    finite = all(math.isfinite(v) for v in bounds)
    centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2] if finite else [21.5, 109.1]
    m = folium.Map(location=centre, zoom_start=9, tiles=None, control_scale=False)
    m.options["maxZoom"] = MAX_ZOOM  # folium passes max_zoom only to its own tile layer
    MapChrome().add_to(m)
    add_basemap(m, options)
    plugins.Fullscreen(
        position="topleft",
        title="全屏" if lang == "zh" else "Full screen",
        title_cancel="退出全屏" if lang == "zh" else "Exit full screen",
    ).add_to(m)
    plugins.MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
        localization="cn" if lang == "zh" else "en",
    ).add_to(m)
    if finite:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], padding=(20, 20))
    return m


def add_basemap(m: folium.Map, options: MapOptions) -> None:
    basemap = options.basemap
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=label("osm", options.lang)).add_to(m)
    elif basemap == "tianditu":
        key = options.tianditu_key
        folium.TileLayer(
            TIANDITU_URL.format(layer="vec", key=key),
            attr=TIANDITU_ATTRIBUTION,
            name=label("tianditu_vec", options.lang),
            subdomains="01234567",
            max_zoom=MAX_ZOOM,
        ).add_to(m)
        notes = "cva" if options.lang == "zh" else "eva"
        folium.TileLayer(
            TIANDITU_URL.format(layer=notes, key=key),
            attr=TIANDITU_ATTRIBUTION,
            name=label("tianditu_cva", options.lang),
            subdomains="01234567",
            max_zoom=MAX_ZOOM,
            overlay=True,
        ).add_to(m)
    elif basemap != "none":
        folium.TileLayer(basemap, attr="basemap", name="basemap").add_to(m)


def finish(m: folium.Map, *, fallback: list | None = None, lang: str = "zh") -> folium.Map:
    """The layer control goes last: it lists the layers added before it. Before it, the
    basemap's fallback (:class:`TileFallback`): when the tile server does not answer, the
    ``fallback`` layers (the map's own base, hidden while the tiles load) replace it."""
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    if tiles:
        TileFallback(tiles, fallback or [], lang).add_to(m)
    folium.LayerControl(position="topright", collapsed=False).add_to(m)
    return m
