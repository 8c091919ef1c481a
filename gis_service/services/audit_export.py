"""The audit as files an office forwards: a print-ready XLSX workbook, CSV tables, the JSON.

A river chief office forwards the workbook to the chiefs' superiors and prints it for a
meeting, so every cell says what it means in the reader's language: labels instead of codes
(达标, not ``met``), names beside codes, percentages as real Excel percentages with one
decimal, lengths rounded to the metre, lists as readable text (never JSON). Every sheet has
its header row even when it holds no rows, a frozen header, a filter, fitted column widths
and a print setup (landscape, A4 or A3 for wide tables, fit to width, header row repeated,
title, region and period in the page header, page numbers in the footer).

The input is the ``AuditReport`` of ``run_audit``, or a report in its wire shape (the JSON
export, see the report contract). The tables are written from the wire shape, keys read
with defaults, so that a stored report of an older shape (``reminders`` instead of ``due``,
``compliant`` instead of ``met``) still exports: labels for the old codes are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gis_service.domain.vocab import (
    LEVEL_LABELS,
    POINT_KIND_LABELS,
    POINT_ROLE_LABELS,
    POST_ROLE_LABELS,
)
from gis_service.records.audit import AuditReport

LANGS = ("zh", "en")

# -- the words in the cells ------------------------------------------------------------------

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "met": ("达标", "met"),
    "on_track": ("进行中", "on track"),
    "behind": ("滞后", "behind"),
    "missed": ("未达标", "missed"),
    "not_required": ("不作要求", "not required"),
    # codes of reports made before the audit of issue 13
    "compliant": ("达标", "met"),
    "non_compliant": ("未达标", "missed"),
    "no_rule": ("无适用规则", "no rule"),
}
STATUS_ORDER = ("met", "on_track", "behind", "missed", "not_required")
_OLD_STATUS = {"compliant": "met", "non_compliant": "missed", "no_rule": "not_required"}

_ROLE_EXTRA_ZH = {  # roles the audit of issue 13 adds to vocab.POST_ROLE_LABELS
    "deputy_general_chief": "副总河长",
    "patrol_staff": "巡河员",
    "cleaner": "保洁员",
    **POINT_ROLE_LABELS,  # 塘长, 泵长, 口长, 点长 (issue 20)
}
ROLE_LABELS_EN = {
    "general_chief": "general chief",
    "deputy_general_chief": "deputy general chief",
    "river_chief": "river chief",
    "lake_chief": "lake chief",
    "deputy_chief": "deputy chief",
    "reservoir_chief": "reservoir chief",
    "segment_chief": "segment chief",
    "joint_chief": "joint chief",
    "patrol_staff": "patrol staff",
    "cleaner": "cleaner",
    "pond_chief": "pond chief",
    "pump_chief": "pumping-station chief",
    "outfall_chief": "outfall chief",
    "point_chief": "point-source chief",
}
_POINT_KINDS_EN = {
    "pond": "pond",
    "pump_station": "pumping station",
    "outfall": "outfall",
    "point_source": "point source",
}
POINT_KIND_PAIRS = {k: (v, _POINT_KINDS_EN.get(k, k)) for k, v in POINT_KIND_LABELS.items()}
RULE_PERIOD_LABELS = {
    "week": ("周", "week"),
    "ten_days": ("旬", "ten days"),
    "month": ("月", "month"),
    "quarter": ("季度", "quarter"),
    "half_year": ("半年", "half-year"),
    "year": ("年", "year"),
}
TARGET_TYPE_LABELS = {"segment": ("河段", "segment"), "zone": ("区域", "zone")}
BOOL_LABELS = {True: ("是", "yes"), False: ("否", "no")}

# status colours: the same light fills an office uses by hand (green, blue, amber, red, grey)
STATUS_FILLS = {
    "met": "E2EFDA",
    "on_track": "DDEBF7",
    "behind": "FFF2CC",
    "missed": "FCE4D6",
    "not_required": "EDEDED",
}


def _zh(lang: str) -> bool:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang == "zh"


def _pick(table: dict[Any, tuple[str, str]], code: Any, lang: str) -> str | None:
    if code is None:
        return None
    pair = table.get(code)
    return code if pair is None else pair[0 if _zh(lang) else 1]


@overload
def status_label(code: str, lang: str = "zh") -> str: ...
@overload
def status_label(code: None, lang: str = "zh") -> None: ...
def status_label(code: str | None, lang: str = "zh") -> str | None:
    """A status's label; a code without one is shown as it is (so a code gives a string)."""
    return _pick(STATUS_LABELS, code, lang)


def role_label(code: str | None, lang: str = "zh") -> str | None:
    if code is None:
        return None
    if _zh(lang):
        return POST_ROLE_LABELS.get(code) or _ROLE_EXTRA_ZH.get(code, code)
    return ROLE_LABELS_EN.get(code, code)


def level_label(code: str | None, lang: str = "zh") -> str | None:
    if code is None:
        return None
    return LEVEL_LABELS.get(code, code) if _zh(lang) else code


def _sep(lang: str) -> str:
    return "、" if _zh(lang) else ", "


def gaps_text(gaps: Iterable[Iterable[float]] | None) -> str:
    """Gap stretches as a reader writes them: ``120–480 m; 900–1,020 m``."""
    return "; ".join(f"{a:,.0f}–{b:,.0f} m" for a, b in (gaps or []))


def _named(codes: list | None, names: list | None, lang: str) -> str:
    """``name (code)`` pairs, the name alone when there is no code, the code when no name."""
    codes = list(codes or [])
    names = (list(names or []) + [None] * len(codes))[: len(codes)]
    return _sep(lang).join(f"{n} ({c})" if n else str(c) for c, n in zip(codes, names, strict=True))


def _periods_text(periods: list[dict] | None, lang: str) -> str:
    sep = "；" if _zh(lang) else "; "
    colon = "：" if _zh(lang) else ": "
    return sep.join(
        f"{p.get('label')}{colon}{p.get('counted', 0)}/{p.get('required', 0)} "
        f"{status_label(p.get('status'), lang) or ''}".rstrip()
        for p in periods or []
    )


# -- columns ----------------------------------------------------------------------------------

# number formats: whole metres, counts, one-decimal percentages, ISO dates
METRES, COUNT, PERCENT, DATE = "#,##0", "0", "0.0%", "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its headers and how a report row becomes the cell's value."""

    zh: str
    en: str
    value: Callable[[dict, str], Any]
    number_format: str | None = None
    wrap: bool = False  # long text: wrapped within a capped width
    printed: bool = True  # technical columns (ids for re-import) stay off the printed page

    def header(self, lang: str) -> str:
        return self.zh if _zh(lang) else self.en


def _key(name: str, default: Any = None) -> Callable[[dict, str], Any]:
    return lambda row, lang: row.get(name, default)


def _metres(name: str) -> Callable[[dict, str], Any]:
    def value(row: dict, lang: str) -> float | None:
        v = row.get(name)
        return None if v is None else round(float(v))

    return value


def _share(name: str) -> Callable[[dict, str], Any]:
    def value(row: dict, lang: str) -> float | None:
        v = row.get(name)
        return None if v is None else round(float(v), 4)

    return value


def _day(name: str) -> Callable[[dict, str], Any]:
    def value(row: dict, lang: str) -> dt.date | None:
        v = row.get(name)
        return dt.date.fromisoformat(v[:10]) if isinstance(v, str) and v else None

    return value


def _label(name: str, fn: Callable[[Any, str], str | None]) -> Callable[[dict, str], Any]:
    return lambda row, lang: fn(row.get(name), lang)


def _joined(name: str) -> Callable[[dict, str], Any]:
    return lambda row, lang: _sep(lang).join(str(v) for v in row.get(name) or [])


def _status(row: dict, lang: str) -> str | None:
    return status_label(row.get("status"), lang)


POST_COLUMNS = [
    Column("行政区划代码", "region code", _key("region_code")),
    Column("行政区", "region", _key("region_name")),
    Column("层级", "level", _label("level", level_label)),
    Column("河长编号", "chief id", _key("chief_id")),
    Column("姓名", "name", _key("chief_name")),
    Column("职务", "role", _label("role", role_label)),
    Column(
        "考核身份",
        "audited as",
        lambda row, lang: role_label(row.get("audited_as") or row.get("role"), lang),
    ),
    Column("河湖编码", "water body code", _key("water_body_code")),
    Column("河湖名称", "water body", _key("water_body_name")),
    Column("规则", "rule", _key("rule_id")),
    Column(
        "考核周期",
        "rule period",
        lambda row, lang: _pick(RULE_PERIOD_LABELS, row.get("rule_period"), lang),
    ),
    Column("应巡次数", "required", _key("required"), COUNT),
    Column("实巡次数", "counted", _key("counted"), COUNT),
    Column("状态", "status", _status),
    Column("截止日期", "deadline", _day("deadline"), DATE),
    Column(
        "分期情况",
        "per period",
        lambda row, lang: _periods_text(row.get("periods"), lang),
        wrap=True,
    ),
    Column("责任长度(米)", "own length (m)", _metres("own_length_m"), METRES),
    Column("本人已巡(米)", "own covered (m)", _metres("own_covered_m"), METRES),
    Column("本人覆盖率", "own coverage", _share("coverage_share"), PERCENT),
    Column("要求覆盖率", "coverage required", _share("coverage_required"), PERCENT),
    Column(
        "原因",
        "reasons",
        lambda row, lang: ("；" if _zh(lang) else "; ").join(row.get("reasons") or []),
        wrap=True,
    ),
    Column("责任河段/区域", "own segments/zones", _joined("target_ids"), wrap=True, printed=False),
    Column("职务编号", "post id", _key("post_id"), COUNT, printed=False),
    Column("规则版本", "rules version", _key("rules_version"), printed=False),
]

PERIOD_COLUMNS = [
    Column("行政区", "region", _key("region_name")),
    Column("层级", "level", _label("level", level_label)),
    Column("河长编号", "chief id", _key("chief_id")),
    Column("姓名", "name", _key("chief_name")),
    Column("职务", "role", _label("role", role_label)),
    Column("河湖名称", "water body", _key("water_body_name")),
    Column("规则", "rule", _key("rule_id")),
    Column("时段", "period", _key("label")),
    Column("开始", "start", _day("start"), DATE),
    Column("结束", "end", _day("end"), DATE),
    Column("应巡次数", "required", _key("required"), COUNT),
    Column("实巡次数", "counted", _key("counted"), COUNT),
    Column("状态", "status", _status),
    Column("截止日期", "deadline", _day("deadline"), DATE),
    Column("职务编号", "post id", _key("post_id"), COUNT, printed=False),
]

TARGET_COLUMNS = [
    Column("河段/区域编号", "segment/zone id", _key("target_id")),
    Column(
        "类型", "type", lambda row, lang: _pick(TARGET_TYPE_LABELS, row.get("target_type"), lang)
    ),
    Column("河湖编码", "water body code", _key("water_body_code")),
    Column("河湖名称", "water body", _key("water_body_name")),
    Column("层级", "level", _label("level", level_label)),
    Column(
        "行政区",
        "regions",
        lambda row, lang: _named(row.get("regions"), row.get("region_names"), lang),
        wrap=True,
    ),
    Column("长度(米)", "length (m)", _metres("length_m"), METRES),
    Column("已巡长度(米)", "covered (m)", _metres("covered_m"), METRES),
    Column("覆盖率", "coverage", _share("ratio"), PERCENT),
    Column("未巡河段(米)", "gaps (m)", lambda row, lang: gaps_text(row.get("gaps")), wrap=True),
    Column("巡河次数", "patrols", _key("patrols"), COUNT),
    Column("最近巡河日期", "last patrol", _day("last_patrol"), DATE),
    Column(
        "河长",
        "chiefs",
        lambda row, lang: _named(row.get("chiefs"), row.get("chief_names"), lang),
        wrap=True,
    ),
    Column("本段河长已巡(米)", "covered by its chiefs (m)", _metres("covered_by_chiefs_m"), METRES),
    Column(
        "无人负责",
        "unassigned",
        lambda row, lang: _pick(BOOL_LABELS, bool(row.get("unassigned")), lang),
    ),
]

REGION_COLUMNS = [
    Column("行政区划代码", "region code", _key("region_code")),
    Column("行政区", "region", _key("region_name")),
    Column("层级", "level", _label("level", level_label)),
    Column("职务数", "posts", _key("posts", 0), COUNT),
    Column(
        "达标数",
        "met",
        lambda row, lang: row.get("met", row.get("compliant", 0)),
        COUNT,
    ),
    Column("达标率", "share met", _share("compliance_rate"), PERCENT),
    Column("河段长度(米)", "length (m)", _metres("length_m"), METRES),
    Column("已巡长度(米)", "covered (m)", _metres("covered_m"), METRES),
    Column("河段覆盖率", "coverage", _share("coverage_rate"), PERCENT),
]

DUE_COLUMNS = [
    Column("河长编号", "chief id", _key("chief_id")),
    Column("姓名", "name", _key("chief_name")),
    Column("行政区", "region", _key("region_name")),
    Column("职务", "role", _label("role", role_label)),
    Column("河湖名称", "water body", _key("water_body_name")),
    Column("规则", "rule", _key("rule_id")),
    Column("截止日期", "deadline", _day("deadline"), DATE),
    Column(
        "待完成",
        "still to do",
        lambda row, lang: ("；" if _zh(lang) else "; ").join(row.get("missing") or []),
        wrap=True,
    ),
    Column("职务编号", "post id", _key("post_id"), COUNT, printed=False),
]

POINT_POST_COLUMNS = [
    Column("行政区划代码", "region code", _key("region_code")),
    Column("行政区", "region", _key("region_name")),
    Column("河长编号", "chief id", _key("chief_id")),
    Column("姓名", "name", _key("chief_name")),
    Column("职务", "role", _label("role", role_label)),
    Column("点位编码", "point code", _key("point_code")),
    Column("点位名称", "point", _key("point_name")),
    Column(
        "点位类型",
        "point kind",
        lambda row, lang: _pick(POINT_KIND_PAIRS, row.get("point_kind"), lang),
    ),
    Column("时段", "period", _key("period")),
    Column("应巡次数", "required", _key("required"), COUNT),
    Column("实巡天数", "days counted", _key("counted"), COUNT),
    Column("状态", "status", _status),
    Column("距离要求(米)", "within (m)", _metres("tolerance_m"), METRES),
    Column("职务编号", "post id", _key("post_id"), COUNT, printed=False),
]


@dataclass(frozen=True)
class Sheet:
    key: str  # the CSV file's suffix and the English sheet name
    zh: str
    columns: list[Column]

    def title(self, lang: str) -> str:
        return self.zh if _zh(lang) else self.key


# 待巡提示 (schedule nudges), never 提醒: 提醒 is an accountability step against a chief
SHEETS = [
    Sheet("posts", "河长履职", POST_COLUMNS),
    Sheet("periods", "分期明细", PERIOD_COLUMNS),
    Sheet("targets", "河段覆盖", TARGET_COLUMNS),
    Sheet("regions", "区域排名", REGION_COLUMNS),
    Sheet("due", "待巡提示", DUE_COLUMNS),
    Sheet("point_posts", "点位履职", POINT_POST_COLUMNS),
]
SUMMARY = Sheet(
    "summary", "概要", [Column("项目", "item", _key("item")), Column("值", "value", _key("value"))]
)


# -- the report's rows, per sheet ---------------------------------------------------------------


def _rows(report: dict) -> dict[str, list[dict]]:
    """The report's records per sheet, completed with what an older report lacks."""
    posts = list(report.get("posts") or [])
    by_post = {p.get("post_id"): p for p in posts}
    periods = [
        {
            **{k: p.get(k) for k in ("post_id", "chief_id", "chief_name", "role", "level")},
            **{k: p.get(k) for k in ("region_name", "water_body_name", "rule_id")},
            **period,
        }
        for p in posts
        for period in p.get("periods") or []
    ]
    due = []
    for d in report.get("due", report.get("reminders")) or []:
        post = by_post.get(d.get("post_id"), {})
        due.append(
            {
                **{k: post.get(k) for k in ("chief_name", "region_name", "role")},
                **{k: post.get(k) for k in ("water_body_name",)},
                **{k: v for k, v in d.items() if v is not None},
            }
        )
    return {
        "posts": posts,
        "periods": periods,
        "targets": list(report.get("targets") or []),
        "regions": list(report.get("regions") or []),
        "due": due,
        "point_posts": list(report.get("point_posts") or []),
    }


def status_counts(report: dict) -> Counter:
    """Posts per status (codes of older reports read as their new names)."""
    return Counter(
        _OLD_STATUS.get(p.get("status"), p.get("status")) for p in report.get("posts") or []
    )


def _summary(
    report: dict, rows: dict[str, list[dict]], lang: str
) -> list[tuple[str, Any, str | None]]:
    zh = _zh(lang)
    region = report.get("region") or {}
    period = report.get("period") or {}
    counts = status_counts(report)
    posts = len(rows["posts"])
    span = f"{period.get('start', '')} – {period.get('end', '')}"
    items: list[tuple[str, Any, str | None]] = [
        (
            "行政区" if zh else "region",
            f"{region.get('name', '')} ({region.get('code', '')})",
            None,
        ),
        ("考核时段" if zh else "period", f"{period.get('label', '')} ({span})", None),
        ("统计截止日期" if zh else "as of", _day("as_of")(report, lang), DATE),
        ("规则版本" if zh else "rules version", report.get("rules_version"), None),
        ("时区" if zh else "time zone", report.get("timezone", ""), None),
        (
            "生成时间(UTC)" if zh else "generated (UTC)",
            (report.get("generated_at") or "")[:16].replace("T", " "),
            None,
        ),
        (
            "时段内巡河记录" if zh else "patrols in the period",
            report.get("patrols_in_period"),
            COUNT,
        ),
        ("计入巡河次数" if zh else "counted patrols", report.get("counted_patrols"), COUNT),
        ("考核职务数" if zh else "posts audited", posts, COUNT),
    ]
    for code in STATUS_ORDER:
        items.append((status_label(code, lang) or code, counts.get(code, 0), COUNT))
    others = sorted(k for k in counts if k not in STATUS_ORDER and k is not None)
    items += [(status_label(code, lang) or code, counts[code], COUNT) for code in others]
    met_share = counts.get("met", 0) / posts if posts else None
    items += [
        (
            "达标率" if zh else "share met",
            None if met_share is None else round(met_share, 4),
            PERCENT,
        ),
        ("河段/区域数" if zh else "segments and zones", len(rows["targets"]), COUNT),
        (
            "无人负责河段/区域" if zh else "unassigned segments and zones",
            sum(bool(t.get("unassigned")) for t in rows["targets"]),
            COUNT,
        ),
        ("待巡提示" if zh else "schedule nudges", len(rows["due"]), COUNT),
    ]
    return items


# -- writing ----------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="808080"))
_MAX_WIDTH, _WRAP_WIDTH = 60, 32
_A4_WIDTH = 160  # characters that still print at a readable size across A4 landscape


def display_width(value: Any, number_format: str | None = None) -> int:
    """Characters a cell needs on screen; CJK (wide) characters count double."""
    if value is None:
        return 0
    if isinstance(value, float) and number_format == PERCENT:
        text = f"{value * 100:.1f}%"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{value:,.0f}" if number_format == METRES else str(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _title(report: dict, lang: str) -> str:
    region = (report.get("region") or {}).get("name", "")
    label = (report.get("period") or {}).get("label", "")
    return f"{region} {label} 巡河考核" if _zh(lang) else f"{region} {label} patrol audit"


def _page_setup(ws: Worksheet, report: dict, sheet_title: str, lang: str) -> None:
    """Landscape, one page wide, header row on every page, title/region/period/pages."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.page_margins.top = ws.page_margins.bottom = 0.8  # inches; the header sits at 0.3
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.page_margins.left = ws.page_margins.right = 0.4
    region = report.get("region") or {}
    period = report.get("period") or {}
    zh = _zh(lang)
    ws.oddHeader.left.text = f"{region.get('name', '')} ({region.get('code', '')})"
    ws.oddHeader.center.text = f"&B{_title(report, lang)} · {sheet_title}"
    ws.oddHeader.right.text = (
        f"{'时段' if zh else 'period'} {period.get('label', '')} "
        f"({period.get('start', '')} – {period.get('end', '')})"
    )
    as_of = report.get("as_of", "")
    ws.oddFooter.left.text = f"{'统计截止' if zh else 'as of'} {as_of}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页" if zh else "page &P of &N"
    ws.oddFooter.right.text = f"{'规则版本' if zh else 'rules'} {report.get('rules_version', '')}"
    for part in (ws.oddHeader.left, ws.oddHeader.center, ws.oddHeader.right):
        part.size = 9
    for part in (ws.oddFooter.left, ws.oddFooter.center, ws.oddFooter.right):
        part.size = 8


def _fill_sheet(ws: Worksheet, columns: list[Column], values: list[list[Any]], lang: str) -> None:
    """Header, rows with their number formats, status fills, frozen header, filter, fitted
    widths, row heights for wrapped text, and the print area (printed columns only)."""
    ws.append([c.header(lang) for c in columns])
    for row in values:
        ws.append(row)
    widths = []
    for k, column in enumerate(columns, start=1):
        cells = [cell for (cell,) in ws.iter_rows(min_row=2, min_col=k, max_col=k)]
        for cell in cells:
            if column.number_format and cell.value is not None:
                cell.number_format = column.number_format
            cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
        # a long header wraps onto two lines; + room for the filter button
        head = display_width(column.header(lang))
        needed = max(
            [(head if head <= 8 else -(-head // 2)) + 3]
            + [display_width(c.value, column.number_format) for c in cells]
        )
        cap = _WRAP_WIDTH if column.wrap else _MAX_WIDTH
        # a little over the character count: fonts are wider than a "0" on average
        widths.append(min(round(needed * 1.1) + 1, cap))
        ws.column_dimensions[get_column_letter(k)].width = widths[-1]
    wrapped = [k for k, c in enumerate(columns) if c.wrap]
    for r, row in enumerate(values, start=2):
        lines = max([1] + [-(-display_width(row[k]) // max(widths[k] - 2, 1)) for k in wrapped])
        if lines > 1:
            ws.row_dimensions[r].height = 15 * lines
    status_col = next((k for k, c in enumerate(columns) if c.value is _status), None)
    if status_col is not None:
        codes = {status_label(c, "zh"): c for c in STATUS_ORDER}
        codes |= {status_label(c, "en"): c for c in STATUS_ORDER}
        for (cell,) in ws.iter_rows(min_row=2, min_col=status_col + 1, max_col=status_col + 1):
            code = codes.get(cell.value)
            if code in STATUS_FILLS:
                cell.fill = PatternFill("solid", fgColor=STATUS_FILLS[code])
    for cell in ws[1]:
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{max(ws.max_row, 1)}"
    printed = sum(c.printed for c in columns)
    if printed < len(columns):
        ws.print_area = f"A1:{get_column_letter(printed)}{max(ws.max_row, 1)}"
    # wide tables go on A3 (offices print both): fit to an A4 width they would be unreadable
    wide = sum(widths[:printed]) > _A4_WIDTH
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if wide else ws.PAPERSIZE_A4


def _sheet_values(sheet: Sheet, rows: list[dict], lang: str) -> list[list[Any]]:
    return [[c.value(row, lang) for c in sheet.columns] for row in rows]


def _csv_cell(value: Any, number_format: str | None) -> Any:
    if value is None:
        return ""
    if number_format == PERCENT:
        return f"{value * 100:.1f}%"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _wire(report: AuditReport | dict) -> dict:
    return report.wire() if isinstance(report, AuditReport) else report


def write_workbook(report: AuditReport | dict, path: Path, *, lang: str = "zh") -> Path:
    """The print-ready workbook: 概要 then one sheet per table (English names with ``en``)."""
    report = _wire(report)
    rows = _rows(report)
    book = Workbook()
    ws = book.active
    ws.title = SUMMARY.title(lang)
    items = _summary(report, rows, lang)
    _fill_sheet(ws, SUMMARY.columns, [[item, value] for item, value, _ in items], lang)
    for k, (_, value, number_format) in enumerate(items, start=2):
        if number_format and value is not None:
            ws.cell(k, 2).number_format = number_format
        ws.cell(k, 2).alignment = Alignment(horizontal="left", vertical="top")
    _page_setup(ws, report, ws.title, lang)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title(lang))
        _fill_sheet(ws, sheet.columns, _sheet_values(sheet, rows[sheet.key], lang), lang)
        _page_setup(ws, report, ws.title, lang)
    book.properties.title = _title(report, lang)
    book.properties.creator = "gis_service"
    book.save(path)
    return path


def write_csv(
    report: AuditReport | dict, out_dir: Path, stem: str, *, lang: str = "zh"
) -> list[Path]:
    """One CSV per table with the workbook's headers and labels (UTF-8 with BOM: Excel)."""
    report = _wire(report)
    rows = _rows(report)
    written = []
    for sheet in SHEETS:
        path = out_dir / f"{stem}_{sheet.key}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([c.header(lang) for c in sheet.columns])
            for row in _sheet_values(sheet, rows[sheet.key], lang):
                out.writerow(
                    [_csv_cell(v, c.number_format) for v, c in zip(row, sheet.columns, strict=True)]
                )
        written.append(path)
    return written


def export_stem(report: AuditReport | dict) -> str:
    """The files' common name: ``audit_<region code>_<period label>``."""
    if isinstance(report, AuditReport):
        return f"audit_{report.region.code}_{report.period.label}"
    return f"audit_{report['region']['code']}_{report['period']['label']}"


def write_exports(report: AuditReport | dict, out_dir: Path, *, chinese: bool = True) -> list[Path]:
    """The JSON report, one CSV per table and the XLSX workbook (sheets 概要/河长履职/分期明细/
    河段覆盖/区域排名/待巡提示; English labels and sheet names with ``chinese=False``)."""
    lang = "zh" if chinese else "en"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = export_stem(report)
    report = _wire(report)
    data = out_dir / f"{stem}.json"
    data.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    written = [data, *write_csv(report, out_dir, stem, lang=lang)]
    written.append(write_workbook(report, out_dir / f"{stem}.xlsx", lang=lang))
    return written
