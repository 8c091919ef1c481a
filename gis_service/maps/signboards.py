"""Signboards (公示牌) on a river map: a square-ish marker per board, dark blue when it lists
the chiefs of its stretch, red with a thick border when it must be reprinted (a chief
printed no longer holds the post, or a chief of the stretch is not printed). Popups name the
board, its stretch, the current chiefs and what changed; every text is escaped
(``geometry.feature_collection``)."""

from __future__ import annotations

import folium
import geopandas as gpd

from gis_service.maps import geometry

CURRENT_COLOUR = "#08306b"
REPRINT_COLOUR = "#d7301f"
LABELS = {
    "zh": {
        "layer": "公示牌",
        "code": "编号",
        "name": "名称",
        "water": "河流",
        "region": "区域",
        "chiefs": "现任河湖长",
        "changes": "变更",
        "state": "状态",
        "ok": "公示信息为现任",
        "reprint": "需重印",
    },
    "en": {
        "layer": "Signboards",
        "code": "Code",
        "name": "Name",
        "water": "River",
        "region": "Region",
        "chiefs": "Current chiefs",
        "changes": "Changes",
        "state": "State",
        "ok": "up to date",
        "reprint": "to reprint",
    },
}
_FIELDS = ("code", "name", "water", "region", "chiefs", "state", "changes")


def add_signboard_layer(
    m: folium.Map, frame: gpd.GeoDataFrame | None, lang: str, *, show: bool = True
) -> list[tuple[str, str, str]]:
    """The boards as circles, those to reprint flagged; returns the legend rows."""
    if frame is None or len(frame) == 0:
        return []
    words = LABELS.get(lang, LABELS["en"])
    part = frame.copy()
    reprint = part["needs_reprint"].astype(bool)
    part["state"] = [words["reprint"] if r else words["ok"] for r in reprint]
    part["colour"] = [REPRINT_COLOUR if r else CURRENT_COLOUR for r in reprint]
    part["weight"] = [4 if r else 1 for r in reprint]
    part["changes"] = part["changes"].replace({"": "–"})
    part["chiefs"] = part["chiefs"].replace({"": "–"})
    detail = geometry.detail_for(geometry.total_bounds(part))
    folium.GeoJson(
        geometry.feature_collection(
            part, detail, columns=[*_FIELDS, "colour", "weight"], id_column="code"
        ),
        name=f"{words['layer']} ({len(part)}, {words['reprint']} {int(reprint.sum())})",
        marker=folium.CircleMarker(radius=7, fill=True, fill_opacity=0.95),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#000000" if f["properties"]["weight"] > 1 else "#ffffff",
            "weight": f["properties"]["weight"],
            "className": "gis-signboard",
        },
        popup=folium.GeoJsonPopup(fields=list(_FIELDS), aliases=[words[k] for k in _FIELDS]),
        tooltip=folium.GeoJsonTooltip(fields=["name", "state"], labels=False),
        show=show,
    ).add_to(m)
    return [
        ("dot", CURRENT_COLOUR, f"{words['layer']} · {words['ok']}"),
        ("dot", REPRINT_COLOUR, f"{words['layer']} · {words['reprint']}"),
    ]
