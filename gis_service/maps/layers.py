"""Layers more than one map draws: the levels a frame holds, joint sections and crossings.

The coverage map and the river map show the same joint sections (联防河段) and boundary
crossings (交界断面); they differ only in the popup fields, the line's width and whether the
crossings start visible, so one function draws both.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from gis_service.domain.vocab import LEVEL_RANK
from gis_service.maps import geometry, style
from gis_service.maps.geometry import Detail
from gis_service.maps.style import label, level_label

JOINT_CLASS = "gis-joint"


def levels_in(frame: gpd.GeoDataFrame | None) -> list[str]:
    """The levels present in ``frame``, top down (province first)."""
    if frame is None or len(frame) == 0 or "level" not in frame:
        return []
    return sorted({lv for lv in frame["level"].dropna()}, key=LEVEL_RANK.__getitem__)


def add_joint_layers(
    m: folium.Map,
    joint_sections: gpd.GeoDataFrame | None,
    crossings: gpd.GeoDataFrame | None,
    detail: Detail,
    lang: str,
    *,
    fields: list[str],
    line_weight: int,
    line_opacity: float,
    show_crossings: bool,
    show_joint: bool = True,
) -> None:
    """Joint sections as wide translucent lines, crossings as white dots, each one layer.

    ``fields`` are the popup's columns (``level_label`` is computed here; missing names show
    as "–").
    """
    aliases = [label("level" if f == "level_label" else f, lang) for f in fields]
    for frame, key, point in (
        (joint_sections, "joint_sections", False),
        (crossings, "crossings", True),
    ):
        if frame is None or len(frame) == 0:
            continue
        part = frame.copy()
        part["level_label"] = [level_label(v, lang) for v in part["level"]]
        for column in fields:
            if column != "level_label":
                part[column] = part[column].fillna("–")
        folium.GeoJson(
            geometry.feature_collection(part, detail, columns=fields),
            name=f"{label(key, lang)} ({len(part)})",
            style_function=lambda _f, pt=point: {
                "color": style.CROSSING_COLOUR if pt else style.JOINT_COLOUR,
                "weight": 1 if pt else line_weight,
                "opacity": 0.9 if pt else line_opacity,
                "fill": pt,
                "fillColor": "#ffffff",
                "fillOpacity": 1.0,
                "className": JOINT_CLASS,
            },
            marker=folium.CircleMarker(radius=4) if point else None,
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
            show=show_crossings if point else show_joint,
        ).add_to(m)
