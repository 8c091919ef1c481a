"""Colours, legends and the words on the maps, in Chinese (default) or English.

Offices read these maps in Chinese; the English labels serve partners and reviewers. All
words shown on a map come from :data:`LABELS` so a third language is one more column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gis_service.domain.vocab import LEVEL_LABELS

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "coverage_title": "巡河覆盖图",
        "patrol_title": "巡河轨迹回放",
        "river_title": "河流协调图",
        "as_of": "截至",
        "regions": "行政区划",
        "segments": "河段",
        "gaps": "未巡河段",
        "zones": "水库水域与库区沿岸",
        "water_area": "水域",
        "shoreline": "库区沿岸",
        "joint_sections": "联防河段",
        "crossings": "交界断面",
        "tracks": "巡河轨迹",
        "problems": "河湖问题",
        "river": "河流",
        "level": "层级",
        "region": "行政区",
        "chiefs": "河长",
        "contacts": "联系电话",
        "coverage": "覆盖率",
        "patrols": "巡河次数(实巡/应巡)",
        "last_patrol": "最近巡河",
        "length_m": "长度(米)",
        "gap_m": "未巡长度(米)",
        "unassigned": "无人负责",
        "none": "无",
        "search": "搜索河流或河长",
        "legend": "图例",
        "coverage_legend": "河段覆盖率",
        "status": "状态",
        "category": "类别",
        "source": "来源",
        "description": "描述",
        "reported_at": "上报时间",
        "deadline": "整改期限",
        "overdue": "已超期",
        "patrol": "巡河",
        "started": "开始",
        "chief": "河长",
        "track": "轨迹",
        "covered": "已巡河段",
        "missed": "漏巡河段",
        "assigned": "责任河段",
        "dropped": "剔除的点",
        "reason": "原因",
        "point": "点位",
        "time": "时间",
        "distance_m": "距离(米)",
        "upstream": "上游",
        "downstream": "下游",
        "neighbours": "上下游相邻河段",
        "boundary": "界河",
        "left_bank": "左岸",
        "right_bank": "右岸",
        "from_km": "起点(公里)",
        "to_km": "终点(公里)",
        "convener": "联席会议召集县",
        "play": "播放",
        "no_data": "无数据",
        "status_valid": "有效",
        "status_partial": "部分有效",
        "status_invalid": "无效",
        "status_suspicious": "存疑",
        "duplicate": "重复点",
        "bad_clock": "时间错误",
        "poor_accuracy": "精度差",
        "speed_spike": "速度突变",
        "jump": "跳点",
        "osm": "OpenStreetMap",
        "tianditu_vec": "天地图矢量",
        "tianditu_cva": "天地图注记",
    },
    "en": {
        "coverage_title": "Patrol coverage",
        "patrol_title": "Patrol playback",
        "river_title": "River coordination map",
        "as_of": "as of",
        "regions": "Administrative regions",
        "segments": "Segments",
        "gaps": "Gaps (not patrolled)",
        "zones": "Reservoir water area and shoreline",
        "water_area": "water area",
        "shoreline": "shoreline",
        "joint_sections": "Joint sections",
        "crossings": "Boundary crossings",
        "tracks": "Patrol tracks",
        "problems": "Problems (patrols, public, media, superiors)",
        "river": "River",
        "level": "Level",
        "region": "Region",
        "chiefs": "Chiefs",
        "contacts": "Contact",
        "coverage": "Coverage",
        "patrols": "Patrols (counted/required)",
        "last_patrol": "Last patrol",
        "length_m": "Length (m)",
        "gap_m": "Gap (m)",
        "unassigned": "No chief",
        "none": "none",
        "search": "Search river or chief",
        "legend": "Legend",
        "coverage_legend": "Segment coverage",
        "status": "Status",
        "category": "Category",
        "source": "Source",
        "description": "Description",
        "reported_at": "Reported",
        "deadline": "Deadline",
        "overdue": "Overdue",
        "patrol": "Patrol",
        "started": "Started",
        "chief": "Chief",
        "track": "Track",
        "covered": "Covered stretches",
        "missed": "Missed stretches",
        "assigned": "Assigned segments",
        "dropped": "Dropped points",
        "reason": "Reason",
        "point": "Point",
        "time": "Time",
        "distance_m": "Distance (m)",
        "upstream": "Upstream",
        "downstream": "Downstream",
        "neighbours": "Upstream and downstream neighbours",
        "boundary": "boundary river",
        "left_bank": "Left bank",
        "right_bank": "Right bank",
        "from_km": "From (km)",
        "to_km": "To (km)",
        "convener": "Convener county",
        "play": "Play",
        "no_data": "no data",
        "status_valid": "valid",
        "status_partial": "partial",
        "status_invalid": "invalid",
        "status_suspicious": "suspicious",
        "duplicate": "duplicate",
        "bad_clock": "bad clock",
        "poor_accuracy": "poor accuracy",
        "speed_spike": "speed spike",
        "jump": "jump",
        "osm": "OpenStreetMap",
        "tianditu_vec": "Tianditu vector",
        "tianditu_cva": "Tianditu labels",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}")
    return lang


def label(key: str, lang: str = "zh") -> str:
    """The word for ``key`` (falls back to the key itself, so a gap is visible, not fatal)."""
    return LABELS[check_lang(lang)].get(key, key)


def level_label(level: str | None, lang: str = "zh") -> str:
    """省级, 市级, ... in Chinese; the level's own (English) name otherwise."""
    if level is None:
        return ""
    return LEVEL_LABELS.get(level, level) if lang == "zh" else level


# -- coverage colours -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    lower: float  # share covered, inclusive
    colour: str
    label: str


# Checked for colour-blind readers (tests/maps/test_colour_scheme.py: every pair of the
# ramp, gaps, joint sections, problems and "nobody's" stays apart under simulated
# deuteranomaly, protanomaly and tritanomaly): a blue ramp for patrolled, orange to red for
# little or none (RdYlGn's greens and reds merge for 1 man in 12); gaps black and dashed on
# top, joint sections yellow, problems reddish purple (Okabe-Ito).
COVERAGE_BINS: tuple[Bin, ...] = (
    Bin(1.0, "#08306b", "100%"),
    Bin(0.8, "#2171b5", "80–99%"),
    Bin(0.5, "#6baed6", "50–79%"),
    Bin(1e-9, "#fdae61", "1–49%"),
    Bin(0.0, "#d7301f", "0%"),
)
UNASSIGNED_COLOUR = "#7f7f7f"
GAP_COLOUR = "#000000"
JOINT_COLOUR = "#f0e442"
CROSSING_COLOUR = "#111111"
WATER_COLOUR = "#6baed6"
TRACK_COLOURS = {
    "valid": "#2b8cbe",
    "partial": "#f16913",
    "invalid": "#737373",
    "suspicious": "#e7298a",
}
PROBLEM_COLOUR = "#cc79a7"
DROPPED_COLOURS = {
    "duplicate": "#969696",
    "bad_clock": "#8c510a",
    "poor_accuracy": "#fd8d3c",
    "speed_spike": "#e31a1c",
    "jump": "#6a3d9a",
}
LEVEL_WEIGHTS = {"province": 7, "city": 6, "county": 5, "township": 4, "village": 3}
REGION_WEIGHTS = {"province": 3.5, "city": 3, "county": 2.5, "township": 1.5, "village": 0.8}
# categorical palette (ColorBrewer Set1 + Dark2) for regions along a river
PALETTE = (
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
)


def coverage_colours(ratio: np.ndarray, unassigned: np.ndarray | None = None) -> np.ndarray:
    """One colour per target from its covered share (vectorised); grey when nobody's."""
    ratio = np.nan_to_num(np.asarray(ratio, dtype=float), nan=0.0)
    lowers = np.array([b.lower for b in COVERAGE_BINS])
    colours = np.array([b.colour for b in COVERAGE_BINS], dtype=object)
    # bins are in descending order of lower bound: the first one the ratio reaches
    index = np.argmax(ratio[:, None] >= lowers[None, :] - 1e-12, axis=1)
    out = colours[index]
    if unassigned is not None:
        out = np.where(np.asarray(unassigned, dtype=bool), UNASSIGNED_COLOUR, out)
    return out


def coverage_legend(lang: str = "zh") -> list[tuple[str, str, str]]:
    """(kind, colour, text) rows of the coverage legend."""
    rows = [("line", b.colour, b.label) for b in COVERAGE_BINS]
    rows.append(("line", UNASSIGNED_COLOUR, label("unassigned", lang)))
    rows.append(("dash", GAP_COLOUR, label("gaps", lang)))
    rows.append(("line", JOINT_COLOUR, label("joint_sections", lang)))
    rows.append(("dot", CROSSING_COLOUR, label("crossings", lang)))
    rows.append(("fill", WATER_COLOUR, label("water_area", lang)))
    return rows


def percent(ratio: float | None) -> str:
    if ratio is None or not np.isfinite(ratio):
        return "–"
    return f"{100 * ratio:.0f}%"
