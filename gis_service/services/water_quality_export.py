"""The boundary-section assessment as an XLSX an office forwards (交界断面水质考核): one sheet per
region and month (the money), one per section and month (the evidence), one with the rule
and the standard. Labels, not codes (达标, Ⅲ类); amounts as numbers with a thousands format;
frozen header, filter, fitted widths, landscape A4 fitted to the width."""

from __future__ import annotations

import io
import unicodedata

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from gis_service.domain.water_quality import STANDARD, class_label
from gis_service.services.water_quality import Assessment

STATUS_LABELS = {"met": "达标", "failed": "未达标", "no_data": "无监测数据"}
MONEY = "#,##0;[Red]-#,##0"


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _sheet(ws: Worksheet, title: str, header: list[str], rows: list[list], money: set[int]) -> None:
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in money:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = MONEY
    for i, name in enumerate(header, start=1):
        widest = max([_width(name), *(_width(r[i - 1]) for r in rows)])
        ws.column_dimensions[get_column_letter(i)].width = min(60, widest + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(1, len(rows) + 1)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = f"交界断面水质考核 {title}"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def assessment_workbook(result: Assessment) -> bytes:
    """The workbook of an assessment, as bytes."""
    book = Workbook()
    _sheet(
        book.active,
        "区域汇总",
        [
            "考核区域代码",
            "考核区域",
            "月份",
            "达标断面",
            "未达标断面",
            "无数据断面",
            "奖惩金额(元)",
        ],
        [
            [r.region_code, r.region_name, r.month, r.met, r.failed, r.no_data, r.amount_yuan]
            for r in result.regions
        ],
        {7},
    )
    _sheet(
        book.create_sheet(),
        "断面逐月",
        [
            "断面编码",
            "断面名称",
            "河流",
            "上游(考核)区域",
            "下游区域",
            "月份",
            "目标类别",
            "当月类别",
            "样品数",
            "结果",
            "奖惩金额(元)",
        ],
        [
            [
                s.section_code,
                s.section_name,
                s.water_body_name,
                s.upstream_region_name,
                s.downstream_region_name or "–",
                s.month,
                class_label(s.target_class),
                class_label(s.month_class),
                s.samples,
                STATUS_LABELS[s.status],
                s.amount_yuan,
            ]
            for s in result.sections
        ],
        {11},
    )
    rule = result.rule
    _sheet(
        book.create_sheet(),
        "规则",
        ["项目", "内容"],
        [
            ["考核期", f"{result.first_month} 至 {result.last_month}"],
            ["达标奖励(元/断面·月)", rule.reward_yuan],
            ["未达标扣减(元/断面·月)", rule.deduction_yuan],
            ["当月类别", "当月各次监测中最差的类别（每次均须达标）"],
            ["无监测数据", "不奖不扣，列出待补"],
            [
                "水质类别",
                f"{STANDARD} 单因子评价（溶解氧、高锰酸盐指数、化学需氧量、"
                "五日生化需氧量、氨氮、总磷）或监测报告所列类别",
            ],
            ["依据", rule.source],
            ["合计(元)", result.total_yuan],
        ],
        set(),
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
