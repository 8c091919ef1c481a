"""The coverage map of a region and period (巡河覆盖图), built from frames, no database.

Segments are coloured by the share of their length patrolled in the period, one layer per
level (the finest shown: the village chiefs' segments of a county, say), the never-patrolled
stretches drawn over them; reservoir water areas and shoreline zones, joint sections and
boundary crossings, problems found on patrol (clustered) and, for staff allowed to see them,
the patrol tracks (a layer off by default). Popups name the chiefs, the level, the coverage,
the patrols counted against required and the last patrol date.

Above a number of features the caller passes ``tiles_url``: segments, zones, regions and
joint sections then come as vector tiles from the app and only their audit figures are
embedded, so the page stays small whatever the region.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
from folium import plugins

from gis_service.domain.vocab import LEVEL_RANK, WATER_KIND_LABELS
from gis_service.maps import base, geometry, style
from gis_service.maps.elements import Legend, Title, VectorGridLayer
from gis_service.maps.gap_table import add_gap_table
from gis_service.maps.geometry import Detail
from gis_service.maps.layers import add_joint_layers, levels_in
from gis_service.maps.style import label, level_label

SEGMENT_CLASS = "gis-segment"
GAP_CLASS = "gis-gap"
ZONE_CLASS = "gis-zone"
TRACK_CLASS = "gis-track"
# what a segment's or zone's popup shows (label keys), the frame columns holding it (the level
# as its label) and, in the embedded layers, the length too
_POPUP_KEYS = ("river", "level", "region", "chiefs", "coverage", "patrols", "last_patrol")
_POPUP_COLUMNS = tuple("level_label" if k == "level" else k for k in _POPUP_KEYS)
POPUP_FIELDS = (*_POPUP_COLUMNS, "length_m")


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=4326)


@dataclass
class CoverageData:
    """Everything the coverage map shows, WGS84 frames (see services.maps for the columns).

    segments/zones: id, river, level, region, chiefs, ratio, patrols ("2/6"), last_patrol,
    length_m, unassigned, search; gaps: target_id, river, level, length_m; regions: code,
    name, level; joint_sections: id, river, level, upstream, downstream; crossings: the
    same, points; tracks: id, chief, status, started; problems: services.problems columns.
    """

    region_code: str
    region_name: str
    period: str
    as_of: str
    regions: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["target_id", "level"]))
    zones: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["id", "kind"]))
    joint_sections: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["id"]))
    crossings: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["id"]))
    tracks: gpd.GeoDataFrame | None = None
    problems: gpd.GeoDataFrame = field(default_factory=lambda: _empty(["id"]))
    region_level: str = "city"

    @property
    def feature_count(self) -> int:
        return len(self.segments) + len(self.zones) + len(self.joint_sections)


def _popup_frame(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """Text columns for the popup (language-dependent), from the figures."""
    out = frame.copy()
    out["level_label"] = [level_label(v, lang) for v in out["level"]]
    out["coverage"] = [
        label("unassigned", lang) + " · " + style.percent(r) if u else style.percent(r)
        for r, u in zip(out["ratio"], out["unassigned"], strict=True)
    ]
    out["colour"] = style.coverage_colours(out["ratio"].to_numpy(), out["unassigned"].to_numpy())
    for column in ("chiefs", "patrols", "last_patrol", "region", "river"):
        values = out[column].astype(object)
        out[column] = values.where(values.notna(), "–").astype(str).replace({"": "–"})
    out["length_m"] = out["length_m"].astype(float).round(0)
    return out


def _aliases(lang: str, frame: gpd.GeoDataFrame | None = None) -> list[str]:
    """The popup's row labels; the water's row says what the layer holds (水库, 渠道...)."""
    out = [label(k, lang) for k in (*_POPUP_KEYS, "length_m")]
    out[0] = water_label(frame, lang)
    return out


def water_label(frame: gpd.GeoDataFrame | None, lang: str) -> str:
    """河流, 水库, 湖泊, 渠道 or a few of them ("河流/渠道") from the frame's water kinds."""
    if frame is None or "water_kind" not in frame.columns:
        return label("river", lang)
    present = set(frame["water_kind"].dropna())
    kinds = [k for k in WATER_KIND_LABELS if k in present]
    if not kinds:
        return label("river", lang)
    if lang == "zh":
        return "/".join(WATER_KIND_LABELS[k] for k in kinds)
    return "/".join(k.capitalize() for k in kinds)


def build_coverage_map(
    data: CoverageData,
    options: base.MapOptions | None = None,
    *,
    detail: Detail | None = None,
    tiles_url: str | None = None,
) -> folium.Map:
    """The coverage map; ``tiles_url`` (``/tiles/{layer}/{z}/{x}/{y}.pbf``) for big regions."""
    options = options or base.MapOptions()
    lang = options.lang
    own = data.regions[data.regions["code"] == data.region_code] if len(data.regions) else None
    bounds = geometry.total_bounds(own if own is not None and len(own) else data.regions)
    if not all(np.isfinite(bounds)):
        bounds = geometry.total_bounds(data.segments, data.zones)
    detail = detail or geometry.detail_for(bounds)
    # open on the waters (a city's far islands would shrink the mainland), keep the detail
    waters = geometry.total_bounds(data.segments, data.zones)
    m = base.new_map(options, waters if all(np.isfinite(waters)) else bounds)
    title = f"{data.region_name} {label('coverage_title', lang)}"
    Title(title, f"{data.period} · {label('as_of', lang)} {data.as_of}").add_to(m)

    if tiles_url:
        _tiled_layers(m, data, tiles_url, lang)
    else:
        _region_layers(m, data, detail, lang)
        _zone_layer(m, data, detail, lang)
        _segment_layers(m, data, detail, lang)
    _gap_layers(m, data, detail, lang)
    add_gap_table(m, data.gaps, region=data.region_code, period=data.period, lang=lang)
    if not tiles_url:
        add_joint_layers(
            m,
            data.joint_sections,
            data.crossings,
            detail,
            lang,
            fields=["river", "level_label", "upstream", "downstream"],
            line_weight=6,
            line_opacity=0.35,
            show_crossings=False,
            show_joint=False,  # off by default: a layer to switch on, not a colour over gaps
        )
    if options.include_tracks and data.tracks is not None:
        _track_layer(m, data.tracks, detail, lang)
    _problem_layer(m, data.problems, lang, personal=options.personal)
    # one index of every level's segments and zones: a chief, river or region by any part
    _search_index(m, [data.segments, data.zones], lang)
    Legend(label("coverage_legend", lang), style.coverage_legend(lang)).add_to(m)
    return base.finish(m, lang=lang)


def _region_layers(m: folium.Map, data: CoverageData, detail: Detail, lang: str) -> None:
    top = LEVEL_RANK.get(data.region_level, 0)
    for level in levels_in(data.regions):
        frame = data.regions[data.regions["level"] == level]
        weight = style.REGION_WEIGHTS.get(level, 1)
        folium.GeoJson(
            geometry.feature_collection(frame, detail, columns=["code", "name"], id_column="code"),
            name=f"{label('regions', lang)} · {level_label(level, lang)}",
            style_function=lambda _f, w=weight: {
                "color": "#444444",
                "weight": w,
                "fill": False,
                "dashArray": None if w >= 2 else "4 4",
                "className": "gis-region",
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            show=LEVEL_RANK.get(level, 0) <= top + 1,
            interactive=False,
        ).add_to(m)


def _zone_layer(m: folium.Map, data: CoverageData, detail: Detail, lang: str) -> None:
    zones = data.zones
    if zones is None or len(zones) == 0:
        return
    frame = _popup_frame(zones, lang)
    frame["level_label"] = [
        label(k, lang) + (f" · {level_label(v, lang)}" if v else "")
        for k, v in zip(frame["kind"], frame["level"], strict=True)
    ]
    collection = geometry.feature_collection(
        frame, detail, columns=[*POPUP_FIELDS, "kind", "colour"], id_column="id"
    )

    def zone_style(feature: dict) -> dict:
        p = feature["properties"]
        water = p["kind"] == "water_area"
        return {
            "color": p["colour"],
            "weight": 2,
            "fillColor": style.WATER_COLOUR if water else p["colour"],
            "fillOpacity": 0.35 if water else 0.5,
            "className": ZONE_CLASS,
        }

    folium.GeoJson(
        collection,
        name=label("zones", lang),
        style_function=zone_style,
        popup=folium.GeoJsonPopup(fields=list(POPUP_FIELDS), aliases=_aliases(lang, zones)),
    ).add_to(m)


def _segment_layers(m: folium.Map, data: CoverageData, detail: Detail, lang: str) -> None:
    levels = levels_in(data.segments)
    if not levels:
        return
    frame = _popup_frame(data.segments, lang)
    for level in levels:
        part = frame[frame["level"] == level]
        weight = style.LEVEL_WEIGHTS.get(level, 3)
        folium.GeoJson(
            geometry.feature_collection(
                part, detail, columns=[*POPUP_FIELDS, "colour", "search"], id_column="id"
            ),
            name=f"{label('segments', lang)} · {level_label(level, lang)} ({len(part)})",
            style_function=lambda f, w=weight, lv=level: {
                "color": f["properties"]["colour"],
                "weight": w,
                "opacity": 0.9,
                "className": f"{SEGMENT_CLASS} gis-{lv}",
            },
            popup=folium.GeoJsonPopup(
                fields=list(POPUP_FIELDS),
                aliases=_aliases(lang, data.segments[data.segments["level"] == level]),
            ),
            tooltip=folium.GeoJsonTooltip(fields=["river", "coverage"], labels=False),
            show=level == levels[-1],
        ).add_to(m)


def _gap_layers(m: folium.Map, data: CoverageData, detail: Detail, lang: str) -> None:
    gaps = data.gaps
    if gaps is None or len(gaps) == 0:
        return
    levels = levels_in(data.segments) or levels_in(gaps)
    frame = gaps.copy()
    frame["level_label"] = [level_label(v, lang) for v in frame["level"]]
    frame["length_m"] = frame["length_m"].astype(float).round(0)
    frame["river"] = frame["river"].fillna("–")
    # the responsible chiefs and their region, when the data carries them (services.maps)
    keys = [k for k in ("region", "chiefs", "contacts", "last_patrol") if k in frame.columns]
    for key in keys:
        values = frame[key].astype(object)
        frame[key] = values.where(values.notna(), "–").astype(str).replace({"": "–"})
    fields = ["river", "level_label", *keys, "length_m"]
    aliases = [label("river", lang), label("level", lang), *(label(k, lang) for k in keys)]
    aliases.append(label("gap_m", lang))
    for level in levels_in(frame):
        part = frame[frame["level"] == level]
        folium.GeoJson(
            geometry.feature_collection(part, detail, columns=["target_id", *fields]),
            name=f"{label('gaps', lang)} · {level_label(level, lang)} ({len(part)})",
            style_function=lambda _f, lv=level: {
                "color": style.GAP_COLOUR,
                "weight": 4,
                "opacity": 0.9,
                "dashArray": "8 5",
                "className": f"{GAP_CLASS} gis-{lv}",
            },
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
            show=bool(levels) and level == levels[-1],
        ).add_to(m)


def _track_layer(m: folium.Map, tracks: gpd.GeoDataFrame, detail: Detail, lang: str) -> None:
    frame = tracks.copy()
    frame["status_label"] = [label(f"status_{s}", lang) for s in frame["status"]]
    frame["started"] = frame["started"].astype(str).str.slice(0, 16)
    folium.GeoJson(
        geometry.feature_collection(frame, detail, columns=["chief", "started", "status"]),
        name=f"{label('tracks', lang)} ({len(frame)})",
        style_function=lambda f: {
            "color": style.TRACK_COLOURS.get(f["properties"]["status"], "#555555"),
            "weight": 2,
            "opacity": 0.7,
            "className": TRACK_CLASS,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["chief", "started", "status"],
            aliases=[label(k, lang) for k in ("chief", "started", "status")],
        ),
        show=False,
    ).add_to(m)


_PROBLEM_CALLBACK = """
function (row) {
    var icon = L.divIcon({className: 'gis-problem', iconSize: [14, 14],
        html: '<div style="width:12px;height:12px;border-radius:50%;background:%COLOUR%;' +
              'border:2px solid #fff;box-shadow:0 0 3px #000"></div>'});
    return L.marker(new L.LatLng(row[0], row[1]), {icon: icon}).bindPopup(row[2]);
}
"""


_CLUSTER_CSS = (
    "<style>.marker-cluster-small, .marker-cluster-medium, .marker-cluster-large "
    f"{{background-color: {style.PROBLEM_COLOUR}66 !important;}} "
    ".marker-cluster-small div, .marker-cluster-medium div, .marker-cluster-large div "
    f"{{background-color: {style.PROBLEM_COLOUR} !important; color: #fff;}}</style>"
)


def _problem_layer(
    m: folium.Map, problems: gpd.GeoDataFrame, lang: str, *, personal: bool = True
) -> None:
    if problems is None or len(problems) == 0:
        return
    points = problems[problems.geometry.notna() & ~problems.geometry.is_empty]
    rows = []
    keys = [
        ("category", "category_label"),
        ("source", "source_label"),
        ("status", "status_label"),
        ("description", "description"),
        ("reported_at", "reported_at"),
        ("deadline", "deadline"),
    ]
    if not personal:
        keys = [k for k in keys if k[0] != "description"]
    records = points.drop(columns="geometry").to_dict("records")
    for record, x, y in zip(records, points.geometry.x, points.geometry.y, strict=True):
        cells = "".join(
            f"<tr><th>{html.escape(label(k, lang))}</th>"
            f"<td>{html.escape(str(geometry._plain(record.get(c)) or '–'))}</td></tr>"
            for k, c in keys
        )
        if record.get("overdue"):
            cells += f'<tr><td colspan="2"><b>{html.escape(label("overdue", lang))}</b></td></tr>'
        rows.append([round(float(y), 6), round(float(x), 6), f"<table>{cells}</table>"])
    # clusters in the problems' colour, not markercluster's green/yellow (the coverage ramp)
    root = m.get_root()
    assert isinstance(root, folium.Figure)  # a map's root is its figure (header, html)
    root.header.add_child(folium.Element(_CLUSTER_CSS))
    plugins.FastMarkerCluster(
        rows,
        callback=_PROBLEM_CALLBACK.replace("%COLOUR%", style.PROBLEM_COLOUR),
        name=f"{label('problems', lang)} ({len(rows)})",
    ).add_to(m)


# -- vector-tile mode ----------------------------------------------------------------------------

_SEGMENT_TILE_STYLE = """
function (p, z, data) {
    var d = data.segments[p.id];
    if (!d || p.level !== data.level) { return []; }
    return {color: d[0], weight: data.weight, opacity: 0.9};
}
"""
_ZONE_TILE_STYLE = """
function (p, z, data) {
    var d = data.segments[p.id];
    if (!d) { return []; }
    var water = p.kind === 'water_area';
    return {color: d[0], weight: 2, fill: true, fillColor: water ? data.water : d[0],
            fillOpacity: water ? 0.35 : 0.5};
}
"""
_TILE_POPUP = """
function (p, data) {
    var d = data.segments[p.id];
    if (!d) { return null; }
    var rows = '';
    for (var i = 0; i < data.fields.length; i++) {
        var v = String(d[i + 1]).replace(/&/g, '&amp;').replace(/</g, '&lt;');
        rows += '<tr><th>' + data.fields[i] + '</th><td>' + v + '</td></tr>';
    }
    return '<table>' + rows + '</table>';
}
"""
_REGION_TILE_STYLE = """
function (p, z, data) {
    var w = data.weights[p.level];
    if (w === undefined) { return []; }
    return {color: '#444444', weight: w, fill: false, dashArray: w >= 2 ? null : '4 4'};
}
"""
_JOINT_TILE_STYLE = """
function (p, z, data) {
    if (!data.ids[p.id]) { return []; }
    return {color: data.colour, weight: 5, opacity: 0.35};
}
"""


def _tile_lookup(frame: gpd.GeoDataFrame, lang: str) -> dict[str, list]:
    if frame is None or len(frame) == 0:
        return {}
    f = _popup_frame(frame, lang)
    # the colour, then one value per popup key, in the order ``_TILE_POPUP`` reads them
    cols = ["colour", *_POPUP_COLUMNS]
    return {row[0]: list(row[1:]) for row in f[["id", *cols]].itertuples(index=False)}


def _tiled_layers(m: folium.Map, data: CoverageData, url: str, lang: str) -> None:
    fields = [label(k, lang) for k in _POPUP_KEYS]
    top = LEVEL_RANK.get(data.region_level, 0)
    weights = {lv: w for lv, w in style.REGION_WEIGHTS.items() if top <= LEVEL_RANK[lv] <= top + 2}
    VectorGridLayer(
        url.format(layer="regions", z="{z}", x="{x}", y="{y}"),
        "regions",
        name=label("regions", lang),
        style_js=_REGION_TILE_STYLE,
        data={"weights": weights},
        id_property="code",
    ).add_to(m)
    zones = _tile_lookup(data.zones, lang)
    if zones:
        VectorGridLayer(
            url.format(layer="zones", z="{z}", x="{x}", y="{y}"),
            "zones",
            name=label("zones", lang),
            style_js=_ZONE_TILE_STYLE,
            popup_js=_TILE_POPUP,
            data={
                "segments": zones,
                "fields": [water_label(data.zones, lang), *fields[1:]],
                "water": style.WATER_COLOUR,
            },
        ).add_to(m)
    levels = levels_in(data.segments)
    for level in levels:
        VectorGridLayer(
            url.format(layer="segments", z="{z}", x="{x}", y="{y}"),
            "segments",
            name=f"{label('segments', lang)} · {level_label(level, lang)}",
            style_js=_SEGMENT_TILE_STYLE,
            popup_js=_TILE_POPUP,
            data={
                "segments": _tile_lookup(data.segments[data.segments["level"] == level], lang),
                "fields": [
                    water_label(data.segments[data.segments["level"] == level], lang),
                    *fields[1:],
                ],
                "level": level,
                "weight": style.LEVEL_WEIGHTS.get(level, 3),
            },
            show=level == levels[-1],
        ).add_to(m)
    VectorGridLayer(
        url.format(layer="joint_sections", z="{z}", x="{x}", y="{y}"),
        "joint_sections",
        name=label("joint_sections", lang),
        style_js=_JOINT_TILE_STYLE,
        data={"colour": style.JOINT_COLOUR, "ids": dict.fromkeys(data.joint_sections["id"], 1)},
        show=False,
    ).add_to(m)


def _search_index(m: folium.Map, frames: list[gpd.GeoDataFrame | None], lang: str) -> None:
    """A hidden layer of one point per segment or zone (every level) carrying its search
    text, so leaflet-search (``initial: false`` for points) matches any part of a river,
    region or chief name, whichever level is shown and in vector-tile mode too."""
    parts = [f for f in frames if f is not None and len(f) and "search" in f.columns]
    if not parts:
        return
    search = np.concatenate([f["search"].astype(str).to_numpy() for f in parts])
    geoms = np.concatenate([f.geometry.to_numpy() for f in parts])
    frame = gpd.GeoDataFrame({"search": search}, geometry=geometry.midpoints(geoms), crs=4326)
    group = folium.FeatureGroup(name="search", control=False, show=False).add_to(m)
    # leaflet-search puts its layer on the map: invisible circle markers, no pins
    layer = folium.GeoJson(
        geometry.feature_collection(frame, Detail(0.0, 5)),
        name="search-index",
        control=False,
        marker=folium.CircleMarker(radius=1, opacity=0, fill_opacity=0, interactive=False),
    )
    layer.add_to(group)
    _search_control(layer, "Point", lang, search_zoom=15).add_to(m)


def _search_control(layer: folium.GeoJson, geom_type: str, lang: str, **options) -> plugins.Search:
    """Search the features' ``search`` property (river and chief names) from the top left."""
    return plugins.Search(
        layer,
        search_label="search",
        geom_type=geom_type,
        placeholder=label("search", lang),
        collapsed=False,
        position="topleft",
        **options,
    )
