"""一河一策 tasks on the river map: the open tasks at their places, overdue ones in red.

A task's place is a point (given, or the point of its segment's line): a circle marker,
red when overdue on the map's day, blue while still within its deadline. Popups in Chinese
(or English); every text reaches the page escaped (``geometry.feature_collection``).
"""

from __future__ import annotations

import folium
import geopandas as gpd

from gis_service.maps import geometry

OVERDUE_COLOUR = "#e31a1c"
OPEN_COLOUR = "#1f78b4"
TASK_CLASS = "gis-plan-task"

LABELS = {
    "zh": {
        "layer": "一河一策任务",
        "open": "任务(未到期)",
        "overdue": "任务(逾期未完成)",
        "code": "编号",
        "title": "任务",
        "category": "任务类别",
        "department": "责任单位",
        "deadline": "完成时限",
        "status_label": "状态",
        "state_label": "到期情况",
        "days_late": "逾期天数",
        "place": "位置",
        "plan": "方案",
    },
    "en": {
        "layer": "River plan tasks",
        "open": "task (within deadline)",
        "overdue": "task (overdue)",
        "code": "No.",
        "title": "Task",
        "category": "Category",
        "department": "Responsible department",
        "deadline": "Deadline",
        "status_label": "Status",
        "state_label": "Deadline state",
        "days_late": "Days overdue",
        "place": "Place",
        "plan": "Plan",
    },
}
_FIELDS = (
    "code",
    "title",
    "category",
    "department",
    "deadline",
    "status_label",
    "state_label",
    "days_late",
    "place",
    "plan",
)


def add_task_layer(
    m: folium.Map, frame: gpd.GeoDataFrame | None, lang: str, *, show: bool = True
) -> list[tuple[str, str, str]]:
    """The open tasks of ``frame`` (columns id, ``_FIELDS`` and state; WGS84 points) as
    circles, overdue in red; returns the legend rows (none when there is no task)."""
    if frame is None or len(frame) == 0:
        return []
    words = LABELS[lang]
    part = frame.copy()
    part["colour"] = [OVERDUE_COLOUR if s == "overdue" else OPEN_COLOUR for s in part["state"]]
    part["deadline"] = part["deadline"].astype(str)
    overdue = int((part["state"] == "overdue").sum())
    folium.GeoJson(
        geometry.feature_collection(
            part,
            geometry.detail_for(geometry.total_bounds(part)),
            columns=[*_FIELDS, "colour"],
            id_column="id",
        ),
        name=f"{words['layer']} ({len(part)}, {words['overdue']} {overdue})",
        marker=folium.CircleMarker(radius=8, weight=2, fill=True, fill_opacity=0.85),
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#ffffff",
            "className": TASK_CLASS,
        },
        popup=folium.GeoJsonPopup(fields=list(_FIELDS), aliases=[words[k] for k in _FIELDS]),
        tooltip=folium.GeoJsonTooltip(fields=["title", "state_label"], labels=False),
        show=show,
    ).add_to(m)
    return [("dot", OPEN_COLOUR, words["open"]), ("dot", OVERDUE_COLOUR, words["overdue"])]
