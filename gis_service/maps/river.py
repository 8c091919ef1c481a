"""The map of one river for a coordination meeting (联席会议): who holds which stretch.

Each level's stretches are coloured by region (boundary stretches dashed, both banks named),
with the joint sections and boundary crossings where neighbours must patrol together, and the
stretches just upstream (tributaries joining) and downstream (the main stem below the mouth)
whose chiefs a meeting may need to invite.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np

from gis_service.maps import base, geometry, style
from gis_service.maps.elements import Legend, Title
from gis_service.maps.geometry import Detail
from gis_service.maps.layers import add_joint_layers, levels_in
from gis_service.maps.plans import add_task_layer
from gis_service.maps.signboards import add_signboard_layer
from gis_service.maps.style import label, level_label
from gis_service.maps.water_quality import add_section_layer

UPSTREAM_COLOUR = "#41b6c4"
DOWNSTREAM_COLOUR = "#253494"


@dataclass
class RiverData:
    """segments: id, level, kind, region_code/left_region_code/right_region_code, region,
    left_bank, right_bank, chainage_from_m, chainage_to_m, length_m, chiefs; upstream and
    downstream: id, river, level, region, chiefs, distance_m."""

    code: str
    name: str
    date: str
    segments: gpd.GeoDataFrame
    joint_sections: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    upstream: gpd.GeoDataFrame
    downstream: gpd.GeoDataFrame
    shown_level: str | None
    convener: str | None = None
    # the base of a map without tiles: boundaries and names of regions, water polygons
    base_regions: gpd.GeoDataFrame | None = None
    base_waters: gpd.GeoDataFrame | None = None
    # boundary sections coloured by the last month's class (maps.water_quality)
    sections: gpd.GeoDataFrame | None = None
    # 一河一策 tasks open on the map's day, overdue in red (maps.plans)
    tasks: gpd.GeoDataFrame | None = None
    # signboards (公示牌), those to reprint flagged (maps.signboards)
    signboards: gpd.GeoDataFrame | None = None


def region_colours(frame: gpd.GeoDataFrame) -> dict[str, str]:
    """A palette colour per region code, in order of appearance along the flow."""
    if len(frame) == 0:
        return {}
    ordered = frame.sort_values(["level", "chainage_from_m"])
    codes = []
    for column in ("region_code", "left_region_code", "right_region_code"):
        if column in ordered:
            codes += [c for c in ordered[column] if isinstance(c, str)]
    unique = list(dict.fromkeys(codes))
    return {c: style.PALETTE[k % len(style.PALETTE)] for k, c in enumerate(unique)}


def build_river_map(data: RiverData, options: base.MapOptions | None = None) -> folium.Map:
    options = options or base.MapOptions()
    lang = options.lang
    bounds = geometry.total_bounds(data.segments, data.upstream, data.downstream)
    detail = geometry.detail_for(bounds)
    m = base.new_map(options, bounds)
    subtitle = data.date + (
        f" · {label('convener', lang)}: {data.convener}" if data.convener else ""
    )
    Title(f"{data.name} {label('river_title', lang)}", subtitle).add_to(m)
    # a base drawn from our own data: shown with no tile service, else ready for the
    # browser to switch on when the tile server does not answer (base.finish)
    own_base = _offline_base(m, data, detail, lang, show=options.basemap == "none")

    segments = data.segments
    colours = region_colours(segments)
    legend_rows: list[tuple[str, str, str]] = []
    if len(segments):
        frame = segments.copy()
        first = frame["region_code"].where(frame["region_code"].notna(), frame["left_region_code"])
        frame["colour"] = [colours.get(c, "#555555") for c in first]
        boundary = frame["kind"] == "boundary"
        frame["region"] = np.where(
            boundary,
            label("left_bank", lang)
            + " "
            + frame["left_bank"].fillna("–")
            + " / "
            + label("right_bank", lang)
            + " "
            + frame["right_bank"].fillna("–"),
            frame["region"].fillna("–"),
        )
        frame["level_label"] = [
            level_label(v, lang) + (f" · {label('boundary', lang)}" if b else "")
            for v, b in zip(frame["level"], boundary, strict=True)
        ]
        frame["from_km"] = (frame["chainage_from_m"].astype(float) / 1000).round(3)
        frame["to_km"] = (frame["chainage_to_m"].astype(float) / 1000).round(3)
        frame["chiefs"] = frame["chiefs"].replace({"": "–"})
        fields = ["level_label", "region", "chiefs", "from_km", "to_km", "length_m"]
        aliases = [label(k, lang) for k in ("level", "region", "chiefs", "from_km", "to_km")]
        aliases.append(label("length_m", lang))
        for level in levels_in(frame):
            part = frame[frame["level"] == level]
            weight = style.LEVEL_WEIGHTS.get(level, 3) + 1
            folium.GeoJson(
                geometry.feature_collection(
                    part, detail, columns=[*fields, "colour", "kind"], id_column="id"
                ),
                name=f"{label('segments', lang)} · {level_label(level, lang)} ({len(part)})",
                style_function=lambda f, w=weight: {
                    "color": f["properties"]["colour"],
                    "weight": w,
                    "opacity": 0.9,
                    "dashArray": "10 5" if f["properties"]["kind"] == "boundary" else None,
                    "className": "gis-river-segment",
                },
                popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
                tooltip=folium.GeoJsonTooltip(fields=["region"], labels=False),
                show=level == data.shown_level,
            ).add_to(m)
        shown = frame[frame["level"] == data.shown_level]
        names = dict(zip(shown["region_code"], segments.loc[shown.index, "region"], strict=True))
        legend_rows += [
            ("line", colours[c], f"{level_label(data.shown_level, lang)} · {n}")
            for c, n in names.items()
            if isinstance(c, str) and c in colours
        ]
        if boundary.any():
            legend_rows.append(("dash", "#555555", label("boundary", lang)))

    _neighbours(m, data.upstream, "upstream", UPSTREAM_COLOUR, detail, lang)
    _neighbours(m, data.downstream, "downstream", DOWNSTREAM_COLOUR, detail, lang)
    add_joint_layers(
        m,
        data.joint_sections,
        data.crossings,
        detail,
        lang,
        fields=["level_label", "upstream", "downstream"],
        line_weight=12,
        line_opacity=0.3,
        show_crossings=True,
    )
    legend_rows += [
        ("line", style.JOINT_COLOUR, label("joint_sections", lang)),
        ("dot", style.CROSSING_COLOUR, label("crossings", lang)),
        ("line", UPSTREAM_COLOUR, label("upstream", lang)),
        ("line", DOWNSTREAM_COLOUR, label("downstream", lang)),
    ]
    legend_rows += add_section_layer(m, data.sections, lang)
    legend_rows += add_task_layer(m, data.tasks, lang)
    legend_rows += add_signboard_layer(m, data.signboards, lang)
    Legend(label("legend", lang), legend_rows).add_to(m)
    return base.finish(m, fallback=own_base, lang=lang)


def _neighbours(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    key: str,
    colour: str,
    detail: Detail,
    lang: str,
) -> None:
    if frame is None or len(frame) == 0:
        return
    part = frame.copy()
    part["level_label"] = [level_label(v, lang) for v in part["level"]]
    fields = ["river", "level_label", "region", "chiefs", "distance_m"]
    folium.GeoJson(
        geometry.feature_collection(part, detail, columns=fields),
        name=f"{label(key, lang)} ({len(part)})",
        style_function=lambda _f: {
            "color": colour,
            "weight": 5,
            "opacity": 0.8,
            "dashArray": "2 6",
            "className": f"gis-{key}",
        },
        popup=folium.GeoJsonPopup(
            fields=fields,
            aliases=[label(k, lang) for k in ("river", "level", "region", "chiefs", "distance_m")],
        ),
    ).add_to(m)


BASE_REGION_CLASS = "gis-base-region"
BASE_WATER_CLASS = "gis-base-water"


def _offline_base(
    m: folium.Map, data: RiverData, detail: Detail, lang: str, *, show: bool = True
) -> list:
    """Water polygons and region boundaries with their names (permanent labels); the layers,
    on the map (``show``) or ready to be switched on."""
    layers: list = []
    waters = data.base_waters
    if waters is not None and len(waters):
        water_layer = folium.GeoJson(
            geometry.feature_collection(waters, detail, columns=["name"]),
            name=label("water_area", lang),
            style_function=lambda _f: {
                "color": style.WATER_COLOUR,
                "weight": 1,
                "fillColor": style.WATER_COLOUR,
                "fillOpacity": 0.45,
                "className": BASE_WATER_CLASS,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
            show=show,
        ).add_to(m)
        layers.append(water_layer)
    regions = data.base_regions
    if regions is None or len(regions) == 0:
        return layers
    names = "名称" if lang == "zh" else "names"
    labels = folium.FeatureGroup(name=f"{label('regions', lang)} · {names}", show=show).add_to(m)
    layers.append(labels)
    for level in levels_in(regions):
        part = regions[regions["level"] == level]
        weight = style.REGION_WEIGHTS.get(level, 1)
        boundary = folium.GeoJson(
            geometry.feature_collection(part, detail, columns=["name"], id_column="code"),
            name=f"{label('regions', lang)} · {level_label(level, lang)}",
            style_function=lambda _f, w=weight: {
                "color": "#666666",
                "weight": w,
                "fill": False,
                "dashArray": None if w >= 2 else "4 4",
                "className": BASE_REGION_CLASS,
            },
            interactive=False,
            show=show,
        ).add_to(m)
        layers.append(boundary)
        # names where the region lies (a point inside it), larger for counties
        size = 14 if level == "county" else 11
        points = part.geometry.representative_point()
        for name, point in zip(part["name"], points, strict=True):
            folium.Marker(
                [round(point.y, 5), round(point.x, 5)],
                icon=folium.DivIcon(
                    html=f'<div class="gis-region-label" style="font-size:{size}px;'
                    f'color:#444;white-space:nowrap;transform:translate(-50%,-50%)">'
                    f"{html.escape(str(name))}</div>",
                    icon_size=(0, 0),
                ),
                interactive=False,
            ).add_to(labels)
    return layers
