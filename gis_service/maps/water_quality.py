"""Boundary sections on a map, coloured by the month's water-quality class (交界断面水质).

Colours follow the usual ramp of Chinese water-quality maps (Ⅰ–Ⅱ blue, Ⅲ green, Ⅳ yellow,
Ⅴ orange, 劣Ⅴ red); a section without a sample that month is grey. The section's border is
black when it met its target and red when it failed, so a print in grey still tells them
apart. Every text reaches the page escaped (``geometry.feature_collection``).
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
import geopandas as gpd

from gis_service.domain.water_quality import CLASS_LABELS
from gis_service.maps import base, geometry
from gis_service.maps.elements import Legend, Title

CLASS_COLOURS: dict[int, str] = {
    1: "#6baed6",
    2: "#2171b5",
    3: "#31a354",
    4: "#fed976",
    5: "#fd8d3c",
    6: "#e31a1c",
}
NO_DATA_COLOUR = "#bdbdbd"
FAILED_BORDER = "#e31a1c"
MET_BORDER = "#000000"

LABELS = {
    "zh": {
        "title": "交界断面水质",
        "layer": "交界断面",
        "code": "断面编码",
        "name": "断面名称",
        "water": "河流",
        "upstream": "上游(考核)区域",
        "downstream": "下游区域",
        "target": "目标类别",
        "class": "当月类别",
        "status": "结果",
        "no_data": "无监测数据",
        "met": "达标",
        "failed": "未达标",
        "legend": "图例",
    },
    "en": {
        "title": "Boundary section water quality",
        "layer": "Boundary sections",
        "code": "Section",
        "name": "Name",
        "water": "River",
        "upstream": "Upstream (assessed)",
        "downstream": "Downstream",
        "target": "Target class",
        "class": "Class this month",
        "status": "Result",
        "no_data": "no sample",
        "met": "met",
        "failed": "failed",
        "legend": "Legend",
    },
}
_FIELDS = ("code", "name", "water", "upstream", "downstream", "target", "class", "status")


@dataclass
class SectionMapData:
    """sections: code, name, water, upstream, downstream, target_class, month_class (or
    None), status (met / failed / no_data); point geometry in WGS84."""

    month: str
    sections: gpd.GeoDataFrame
    subtitle: str = ""


def section_frame(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """The popup's columns (labels, not codes) and the colours of each section."""
    words = LABELS[lang]
    out = frame.copy()
    out["target"] = [CLASS_LABELS[int(c)] for c in out["target_class"]]
    out["class"] = [
        words["no_data"] if c is None or c != c else CLASS_LABELS[int(c)]
        for c in out["month_class"]
    ]
    out["fill"] = [
        NO_DATA_COLOUR if c is None or c != c else CLASS_COLOURS[int(c)] for c in out["month_class"]
    ]
    out["border"] = [FAILED_BORDER if s == "failed" else MET_BORDER for s in out["status"]]
    out["status"] = [words[s] for s in out["status"]]
    out["downstream"] = out["downstream"].astype(object).fillna("–")
    return out


def add_section_layer(
    m: folium.Map, frame: gpd.GeoDataFrame | None, lang: str, *, show: bool = True
) -> list[tuple[str, str, str]]:
    """The sections as circles coloured by class; returns the legend rows."""
    if frame is None or len(frame) == 0:
        return []
    words = LABELS[lang]
    part = section_frame(frame, lang)
    detail = geometry.detail_for(geometry.total_bounds(part))
    folium.GeoJson(
        geometry.feature_collection(
            part, detail, columns=[*_FIELDS, "fill", "border"], id_column="code"
        ),
        name=f"{words['layer']} ({len(part)})",
        marker=folium.CircleMarker(radius=9, weight=3, fill=True, fill_opacity=0.9),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": f["properties"]["border"],
            "className": "gis-water-quality-section",
        },
        popup=folium.GeoJsonPopup(fields=list(_FIELDS), aliases=[words[k] for k in _FIELDS]),
        tooltip=folium.GeoJsonTooltip(fields=["name", "class"], labels=False),
        show=show,
    ).add_to(m)
    rows = [("dot", CLASS_COLOURS[c], CLASS_LABELS[c]) for c in CLASS_COLOURS]
    rows.append(("dot", NO_DATA_COLOUR, words["no_data"]))
    rows.append(
        (
            "dot",
            FAILED_BORDER,
            f"{words['failed']} (边框)" if lang == "zh" else f"{words['failed']} (border)",
        )
    )
    return rows


def build_section_map(data: SectionMapData, options: base.MapOptions | None = None) -> folium.Map:
    """A map of the sections of a month, coloured by class, with a legend."""
    options = options or base.MapOptions()
    lang = options.lang
    m = base.new_map(options, geometry.total_bounds(data.sections))
    Title(f"{LABELS[lang]['title']} {data.month}", data.subtitle).add_to(m)
    rows = add_section_layer(m, data.sections, lang)
    Legend(LABELS[lang]["legend"], rows).add_to(m)
    return base.finish(m)
