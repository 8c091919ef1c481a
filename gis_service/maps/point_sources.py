"""Responsibility points (塘, 泵站, 排污口, 点源) on a map, clustered: a district has thousands
(seed 004: 14,782 point sources). Each marker's popup names the point and its chiefs; text is
HTML-escaped here because the cluster callback puts it into the page as HTML."""

from __future__ import annotations

import html

import folium
import pandas as pd
from folium import plugins

from gis_service.domain.vocab import POINT_KIND_LABELS
from gis_service.maps import base
from gis_service.maps.elements import Legend, Title

KIND_COLOURS = {
    "pond": "#41b6c4",
    "pump_station": "#6a51a3",
    "outfall": "#d94801",
    "point_source": "#737373",
}
_CALLBACK = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 7, color: '#222', weight: 1, fillColor: row[3], fillOpacity: 0.9,
        className: 'gis-point-source'});
    marker.bindPopup(row[2]);
    return marker;
}
"""


def _popups(points: pd.DataFrame, chiefs: dict[str, str]) -> list[str]:
    """One small HTML table per point, every value escaped (string building, no geometry)."""
    header = [html.escape(h) for h in ("名称", "编码", "类型", "行政区", "水体", "责任人")]
    columns = zip(
        points["name"],
        points["code"],
        points["kind"].map(POINT_KIND_LABELS),
        points["region_name"],
        points["water_name"].astype(object).fillna("–"),
        points["code"].map(chiefs).astype(object).fillna("无"),
        strict=True,
    )
    return [
        "<table>"
        + "".join(
            f"<tr><th>{h}</th><td>{html.escape(str(v))}</td></tr>"
            for h, v in zip(header, values, strict=True)
        )
        + "</table>"
        for values in columns
    ]


def add_point_layer(
    m: folium.Map, points: pd.DataFrame, chiefs: dict[str, str], *, name: str = "责任点位"
) -> list[tuple[str, str, str]]:
    """The points as one clustered layer; returns the legend rows."""
    if points.empty:
        return []
    rows = [
        [round(float(lat), 6), round(float(lon), 6), popup, KIND_COLOURS.get(kind, "#737373")]
        for lat, lon, popup, kind in zip(
            points["lat"], points["lon"], _popups(points, chiefs), points["kind"], strict=True
        )
    ]
    plugins.FastMarkerCluster(rows, callback=_CALLBACK, name=f"{name} ({len(rows)})").add_to(m)
    return [("dot", colour, POINT_KIND_LABELS[k]) for k, colour in KIND_COLOURS.items()]


def build_point_map(
    points: pd.DataFrame,
    chiefs: dict[str, str],
    *,
    title: str,
    subtitle: str,
    options: base.MapOptions | None = None,
) -> folium.Map:
    options = options or base.MapOptions()
    bounds = (
        (
            float(points["lon"].min()),
            float(points["lat"].min()),
            float(points["lon"].max()),
            float(points["lat"].max()),
        )
        if len(points)
        else (float("nan"),) * 4
    )
    m = base.new_map(options, bounds)
    Title(title, subtitle).add_to(m)
    rows = add_point_layer(m, points, chiefs)
    Legend("图例", rows).add_to(m)
    return base.finish(m)
