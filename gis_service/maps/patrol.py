"""The map of one patrol (巡河轨迹回放): playback of the track, what it covered and missed.

An office checking a disputed patrol wants to see the walk as it happened (a time slider),
the chief's assigned segments with the stretches covered and missed, and every GPS point
the cleaning dropped, with the reason, so nothing is hidden from the chief or the auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium import plugins

from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.maps import base, geometry, style
from gis_service.maps.elements import Legend, Title
from gis_service.maps.geometry import Detail
from gis_service.maps.playback_clock import PlaybackClock
from gis_service.maps.style import label, level_label
from gis_service.maps.verdict_reasons import reasons_line

PLAYBACK_MAX_POINTS = 2_000
PLAYBACK_STEPS = 200


@dataclass
class PatrolData:
    """points: time (UTC), ref (place in the upload), reason ("" = kept), WGS84 points;
    targets: id, river, level, ratio, covered_m, length_m; covered/missed: target_id, river.
    reasons: the verdict's, each a code or a mapping with ``code`` and ``value``;
    waters: code -> name of the waters patrolled (links to their river maps)."""

    patrol_id: str
    chief: str
    status: str
    reasons: list
    started: str
    ended: str
    distance_m: float
    points: gpd.GeoDataFrame
    targets: gpd.GeoDataFrame
    covered: gpd.GeoDataFrame
    missed: gpd.GeoDataFrame
    timezone: str = DEFAULT_TIMEZONE  # local time shown in titles and popups
    waters: dict[str, str] = field(default_factory=dict)


def playback_period(seconds: float, steps: int = PLAYBACK_STEPS) -> str:
    """ISO 8601 step of the time slider: about ``steps`` steps over the patrol, >= 10 s."""
    step = max(10, round(seconds / steps / 10.0) * 10)
    return f"PT{step}S"


def _track_feature(kept: gpd.GeoDataFrame, detail: Detail) -> dict | None:
    """The kept points as one LineString with a time per vertex (thinned to a maximum)."""
    if len(kept) < 2:
        return None
    stride = int(np.ceil(len(kept) / PLAYBACK_MAX_POINTS))
    idx = np.unique(np.r_[np.arange(0, len(kept), stride), len(kept) - 1])
    xy = shapely.get_coordinates(kept.geometry.to_numpy()[idx])
    if detail.decimals is not None:
        xy = np.round(xy, detail.decimals)
    times = (kept["time"].iloc[idx].astype("int64") // 1_000_000).tolist()  # epoch ms
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": xy.tolist()},
        "properties": {
            "times": times,
            "style": {"color": "#08519c", "weight": 4, "opacity": 0.9},
            # the moving head of the playback: a circle, not an image marker
            "icon": "circle",
            "iconstyle": {
                "radius": 7,
                "color": "#ffffff",
                "weight": 2,
                "fillColor": "#08519c",
                "fillOpacity": 1,
            },
        },
    }


def build_patrol_map(data: PatrolData, options: base.MapOptions | None = None) -> folium.Map:
    options = options or base.MapOptions()
    lang = options.lang
    bounds = geometry.total_bounds(data.points, data.targets)
    detail = geometry.detail_for(bounds)
    m = base.new_map(options, bounds)
    # the start in the configured zone, named: the playback slider shows the same clock
    started = pd.Timestamp(data.started).tz_convert(data.timezone).strftime("%Y-%m-%d %H:%M")
    Title(
        f"{data.chief} {label('patrol_title', lang)}",
        f"{started} ({data.timezone}) · {label('status_' + data.status, lang)} · "
        f"{data.distance_m / 1000:.2f} km",
        note=reasons_line(data.reasons, lang),
    ).add_to(m)

    if len(data.targets):
        targets = data.targets.copy()
        targets["level_label"] = [level_label(v, lang) for v in targets["level"]]
        targets["coverage"] = [style.percent(r) for r in targets["ratio"]]
        targets["length_m"] = targets["length_m"].astype(float).round(0)
        fields = ["river", "level_label", "coverage", "length_m"]
        folium.GeoJson(
            geometry.feature_collection(targets, detail, columns=fields),
            name=f"{label('assigned', lang)} ({len(targets)})",
            style_function=lambda _f: {
                "color": "#636363",
                "weight": 10,
                "opacity": 0.35,
                "fillOpacity": 0.1,
                "className": "gis-target",
            },
            popup=folium.GeoJsonPopup(
                fields=fields,
                aliases=[label(k, lang) for k in ("river", "level", "coverage", "length_m")],
            ),
        ).add_to(m)
    for frame, key, colour, dash, css in (
        (data.covered, "covered", style.COVERAGE_BINS[0].colour, None, "gis-covered"),
        (data.missed, "missed", style.GAP_COLOUR, "8 6", "gis-missed"),
    ):
        if frame is None or len(frame) == 0:
            continue
        folium.GeoJson(
            geometry.feature_collection(frame, detail, columns=["river"]),
            name=f"{label(key, lang)} ({len(frame)})",
            style_function=lambda _f, c=colour, d=dash, k=css: {
                "color": c,
                "weight": 6,
                "opacity": 0.9,
                "dashArray": d,
                "className": k,
            },
            tooltip=folium.GeoJsonTooltip(fields=["river"], labels=False),
        ).add_to(m)

    kept = data.points[data.points["reason"] == ""]
    if len(kept) >= 2:
        line = gpd.GeoDataFrame(
            {"chief": [data.chief]},
            geometry=[shapely.linestrings(shapely.get_coordinates(kept.geometry.to_numpy()))],
            crs=4326,
        )
        folium.GeoJson(
            geometry.feature_collection(line, detail),
            name=label("track", lang),
            style_function=lambda _f: {
                "color": "#3182bd",
                "weight": 2,
                "opacity": 0.6,
                "className": "gis-track",
            },
        ).add_to(m)
        feature = _track_feature(kept, detail)
        seconds = (kept["time"].iloc[-1] - kept["time"].iloc[0]).total_seconds()
        plugins.TimestampedGeoJson(
            {"type": "FeatureCollection", "features": [feature]},
            period=playback_period(seconds),
            add_last_point=True,
            auto_play=False,
            loop=False,
            date_options="YYYY-MM-DD HH:mm:ss",
            time_slider_drag_update=True,
        ).add_to(m)
        # the slider in the configured zone, like the title and the popups
        PlaybackClock(data.timezone, kept["time"].iloc[0].to_pydatetime()).add_to(m)
    _dropped_layer(m, data.points, detail, lang, data.timezone)

    rows = [
        ("line", "#636363", label("assigned", lang)),
        ("line", style.COVERAGE_BINS[0].colour, label("covered", lang)),
        ("dash", style.GAP_COLOUR, label("missed", lang)),
        ("line", "#3182bd", label("track", lang)),
    ]
    present = set(data.points["reason"]) - {""}
    rows += [
        ("dot", c, f"{label('dropped', lang)}: {label(r, lang)}")
        for r, c in style.DROPPED_COLOURS.items()
        if r in present
    ]
    Legend(label("legend", lang), rows).add_to(m)
    return base.finish(m, lang=lang)


def _dropped_layer(
    m: folium.Map, points: gpd.GeoDataFrame, detail: Detail, lang: str, timezone: str
) -> None:
    dropped = points[points["reason"] != ""]
    if len(dropped) == 0:
        return
    frame = dropped.copy()
    frame["reason_label"] = [label(r, lang) for r in frame["reason"]]
    frame["time"] = [
        t.tz_convert(timezone).strftime("%H:%M:%S") if isinstance(t, pd.Timestamp) else ""
        for t in frame["time"]
    ]
    fields = ["ref", "reason_label", "time"]
    folium.GeoJson(
        geometry.feature_collection(frame, detail, columns=[*fields, "reason"]),
        name=f"{label('dropped', lang)} ({len(frame)})",
        marker=folium.CircleMarker(radius=5),
        style_function=lambda f: {
            "color": "#ffffff",
            "weight": 1,
            "fill": True,
            "fillColor": style.DROPPED_COLOURS.get(f["properties"]["reason"], "#000000"),
            "fillOpacity": 0.9,
            "className": "gis-dropped",
        },
        popup=folium.GeoJsonPopup(
            fields=fields, aliases=[label(k, lang) for k in ("point", "reason", "time")]
        ),
    ).add_to(m)
