"""A patrol verdict's reasons in the reader's language, with the figure that decided them.

The verdict stores each reason as a code, an English message and the value it measured
(``domain.verdict.Reason``). A chief or an office reading "存疑" on a patrol's map must see
why, in Chinese: the label of the code and its figure (minutes, metres, km/h, points).
A code without a label is shown as the code, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gis_service.maps.style import check_lang

# code -> (zh, en) label
REASON_LABELS: dict[str, tuple[str, str]] = {
    "too_short_time": ("巡河时长不足", "too short in time"),
    "too_short_distance": ("沿责任河段巡河距离不足", "too short along the assigned water"),
    "vehicle_speed": ("疑似乘车巡河", "vehicle speed on a walking patrol"),
    "future_timestamps": ("时间晚于当前时间", "timestamps in the future"),
    "outside_post_dates": ("巡河日期不在任职期内", "outside the chief's post dates"),
    "off_assignment": ("未到达责任河段", "not on the assigned water"),
    "no_assignment": ("该日无责任河段", "no assignment on that date"),
    "bad_clock": ("设备时钟错误", "device clock broken"),
    "likely_gcj02": ("坐标疑为GCJ-02(火星坐标)", "coordinates likely GCJ-02"),
    "likely_bd09": ("坐标疑为BD-09(百度坐标)", "coordinates likely BD-09"),
    "outside_service_area": ("超出服务范围", "outside the service area"),
    "jumps": ("轨迹跳点", "points jumped away and back"),
    "regular_spacing": ("点间隔过于规则(疑似伪造)", "suspiciously regular spacing"),
    "straight_line": ("轨迹为直线(疑似伪造)", "a straight line"),
    "reused_geometry": ("与已上传轨迹相同", "the same track as an earlier upload"),
    "overlapping_patrol": ("与本人其他巡河时间重叠", "overlaps another patrol in time"),
    "mostly_off_assignment": ("大部分路程不在责任河段", "mostly away from the assigned water"),
}

# code -> the measured value as (zh, en) text
_VALUE: dict[str, Callable[[float], tuple[str, str]]] = {
    "too_short_time": lambda v: (f"{v / 60:.1f} 分钟", f"{v / 60:.1f} min"),
    "too_short_distance": lambda v: (f"{v:.0f} 米", f"{v:.0f} m"),
    "vehicle_speed": lambda v: (f"约 {v:.0f} 公里/小时", f"about {v:.0f} km/h"),
    "outside_service_area": lambda v: (f"距最近行政区 {v / 1000:.1f} 公里", f"{v / 1000:.1f} km"),
    "jumps": lambda v: (f"{v:.0f} 个点", f"{v:.0f} points"),
    "bad_clock": lambda v: (f"{v:.0f} 个点", f"{v:.0f} points"),
    "likely_gcj02": lambda v: (f"偏离 {v:.0f} 米", f"{v:.0f} m off"),
    "likely_bd09": lambda v: (f"偏离 {v:.0f} 米", f"{v:.0f} m off"),
    "mostly_off_assignment": lambda v: (f"责任河段上 {v:.0f} 米", f"{v:.0f} m on it"),
}


def reason_text(reason: Mapping | str, lang: str = "zh") -> str:
    """One reason as text: its label and, where the verdict measured one, its figure."""
    check_lang(lang)
    if isinstance(reason, str):
        reason = {"code": reason}
    code = str(reason.get("code", ""))
    labels = REASON_LABELS.get(code)
    text = (labels[0] if lang == "zh" else labels[1]) if labels else code
    value = reason.get("value")
    if code in _VALUE and isinstance(value, int | float):
        zh, en = _VALUE[code](float(value))
        text += f"({zh})" if lang == "zh" else f" ({en})"
    return text


def reasons_line(reasons: list, lang: str = "zh") -> str:
    """All reasons of a verdict on one line ("" when there are none)."""
    texts = [reason_text(r, lang) for r in reasons]
    if not texts:
        return ""
    return ("原因：" + "；".join(texts)) if lang == "zh" else ("Reasons: " + "; ".join(texts))
