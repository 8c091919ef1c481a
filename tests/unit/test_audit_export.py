"""The audit workbook an office forwards and prints, on a report built by hand to the contract
(the wire shape of GET /audits): labels, names beside codes, number formats, print setup."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from gis_service.services.audit_export import (
    SHEETS,
    display_width,
    gaps_text,
    write_exports,
)


def _post(post_id: int, chief: str, name: str, status: str, **kw) -> dict:
    base = {
        "post_id": post_id,
        "chief_id": chief,
        "chief_name": name,
        "role": "segment_chief",
        "audited_as": "segment_chief",
        "level": "village",
        "region_code": "450521107201",
        "region_name": "石湾村",
        "water_body_code": "R4505-01",
        "water_body_name": "南流江",
        "target_ids": ["R4505-01/village/450521107201/1", "R4505-01/village/450521107201/2"],
        "rule_id": "village-segment-chief",
        "rules_version": "2026.2",
        "rule_period": "month",
        "required": 6,
        "counted": 6,
        "status": status,
        "periods": [
            {
                "label": "2026-07",
                "start": "2026-07-01",
                "end": "2026-07-31",
                "required": 2,
                "counted": 2,
                "status": "met",
                "deadline": "2026-07-31",
            },
            {
                "label": "2026-08",
                "start": "2026-08-01",
                "end": "2026-08-31",
                "required": 2,
                "counted": 1,
                "status": "missed",
                "deadline": "2026-08-31",
            },
        ],
        "own_length_m": 2345.678,
        "own_covered_m": 1473.2,
        "coverage_share": 0.62804,
        "coverage_required": 0.8,
        "reasons": ["2026-08: 1 of 2 patrols"],
        "deadline": None,
    }
    return base | kw


def report(due: bool = True) -> dict:
    """Three posts (a general chief without water, a deputy audited as river chief), two
    targets, two regions, one schedule nudge; figures chosen to check rounding by hand."""
    posts = [
        _post(1, "P0145", "陈建国", "met"),
        _post(
            2,
            "P0002",
            "李明",
            "on_track",
            role="general_chief",
            audited_as="general_chief",
            level="county",
            region_code="450521",
            region_name="合浦县",
            water_body_code=None,
            water_body_name=None,
            target_ids=[],
            rule_id="general-chief-county",
            rule_period="quarter",
            required=1,
            counted=0,
            periods=[],
            own_length_m=0.0,
            own_covered_m=0.0,
            coverage_share=None,
            coverage_required=None,
            reasons=[],
        ),
        _post(
            3,
            "P0010",
            "王海",
            "behind",
            role="deputy_chief",
            audited_as="river_chief",
            level="city",
            deadline="2026-12-31",
        ),
    ]
    return {
        "region": {"code": "450500", "name": "北海市"},
        "period": {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"},
        "as_of": "2026-10-15",
        "timezone": "Asia/Shanghai",
        "rules_version": "2026.2",
        "generated_at": "2026-10-15T02:00:00+00:00",
        "counted_patrols": 7,
        "patrols_in_period": 9,
        "zoning_runs": [
            {
                "run_id": 3,
                "effective_from": "0001-01-01",
                "start": "2026-07-01",
                "end": "2026-09-30",
            }
        ],
        "patrols_not_rematched": 0,
        "point_posts": [
            {
                "post_id": 7,
                "chief_id": "P0145",
                "chief_name": "陈建国",
                "role": "pond_chief",
                "point_code": "DY001",
                "point_name": "养殖塘1号",
                "point_kind": "pond",
                "region_code": "450521107201",
                "region_name": "某村",
                "period": "2026-07",
                "required": 1,
                "counted": 1,
                "status": "met",
                "tolerance_m": 100.0,
            }
        ],
        "targets": [
            {
                "target_id": "R4505-01/village/450521107201/1",
                "target_type": "segment",
                "run_id": 3,
                "water_body_code": "R4505-01",
                "water_body_name": "南流江",
                "level": "village",
                "length_m": 1500.44,
                "covered_m": 942.1,
                "ratio": 0.628067,
                "gaps": [[120.0, 480.4], [900.0, 1020.0]],
                "patrols": 3,
                "last_patrol": "2026-09-28",
                "chiefs": ["P0145", "P0146"],
                "chief_names": ["陈建国", "黄丽"],
                "covered_by_chiefs_m": 900.6,
                "unassigned": False,
                "regions": ["450521107201"],
                "region_names": ["石湾村"],
            },
            {
                "target_id": "R4505-04/village/450512102205/1",
                "target_type": "zone",
                "run_id": 3,
                "water_body_code": "R4505-04",
                "water_body_name": "马江",
                "level": "village",
                "length_m": 800.0,
                "covered_m": 0.0,
                "ratio": 0.0,
                "gaps": [[0.0, 800.0]],
                "patrols": 0,
                "last_patrol": None,
                "chiefs": [],
                "chief_names": [],
                "covered_by_chiefs_m": 0.0,
                "unassigned": True,
                "regions": ["450512102205"],
                "region_names": ["塘底村"],
            },
        ],
        "regions": [
            {
                "region_code": "450500",
                "region_name": "北海市",
                "level": "city",
                "posts": 3,
                "met": 1,
                "compliance_rate": 1 / 3,
                "length_m": 2300.44,
                "covered_m": 942.1,
                "coverage_rate": 942.1 / 2300.44,
            },
            {
                "region_code": "450521",
                "region_name": "合浦县",
                "level": "county",
                "posts": 2,
                "met": 1,
                "compliance_rate": 0.5,
                "length_m": 1500.44,
                "covered_m": 942.1,
                "coverage_rate": None,
            },
        ],
        "due": (
            [
                {
                    "chief_id": "P0010",
                    "chief_name": "王海",
                    "post_id": 3,
                    "rule_id": "river-chief",
                    "deadline": "2026-12-31",
                    "missing": ["2026-H2: 1 patrol", "2026: 1 patrol"],
                }
            ]
            if due
            else []
        ),
        "posts": posts,
    }


def _header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def _column(ws, header: str) -> int:
    return _header(ws).index(header) + 1


@pytest.fixture
def book(tmp_path):
    files = write_exports(report(), tmp_path)
    xlsx = next(f for f in files if f.suffix == ".xlsx")
    return openpyxl.load_workbook(xlsx), files


def test_sheets_in_order_and_the_nudges_are_not_called_reminders(book):
    wb, _ = book
    assert wb.sheetnames == [
        "概要", "河长履职", "分期明细", "河段覆盖", "区域排名", "待巡提示", "点位履职",
    ]  # fmt: skip
    assert "提醒" not in wb.sheetnames  # 提醒 is an accountability step, not a nudge


def test_posts_sheet_labels_names_and_formats(book):
    wb, _ = book
    ws = wb["河长履职"]
    assert ws.max_row == 4
    row = {h: ws.cell(2, k + 1) for k, h in enumerate(_header(ws))}
    assert row["姓名"].value == "陈建国" and row["河长编号"].value == "P0145"
    assert _column(ws, "姓名") == _column(ws, "河长编号") + 1  # the name beside the code
    assert row["行政区"].value == "石湾村" and row["河湖名称"].value == "南流江"
    assert row["职务"].value == "河段长" and row["层级"].value == "村级"
    assert row["状态"].value == "达标" and row["考核周期"].value == "月"
    # 0.62804 shown as 62.8 %: a real number with a percentage format, not text
    assert (
        row["本人覆盖率"].value == pytest.approx(0.628)
        and row["本人覆盖率"].number_format == "0.0%"
    )
    assert row["要求覆盖率"].value == 0.8 and row["要求覆盖率"].number_format == "0.0%"
    assert row["责任长度(米)"].value == 2346 and row["责任长度(米)"].number_format == "#,##0"
    assert row["本人已巡(米)"].value == 1473
    assert row["责任河段/区域"].value == (
        "R4505-01/village/450521107201/1、R4505-01/village/450521107201/2"
    )
    assert row["分期情况"].value == "2026-07：2/2 达标；2026-08：1/2 未达标"
    statuses = [ws.cell(r, _column(ws, "状态")).value for r in (2, 3, 4)]
    assert statuses == ["达标", "进行中", "滞后"]
    general = {h: ws.cell(3, k + 1).value for k, h in enumerate(_header(ws))}
    assert general["职务"] == "总河长" and general["河湖编码"] is None
    assert general["本人覆盖率"] is None  # no share asked: an empty cell, not 0 %
    deputy = {h: ws.cell(4, k + 1) for k, h in enumerate(_header(ws))}
    assert deputy["职务"].value == "副河长" and deputy["考核身份"].value == "河长"
    assert deputy["截止日期"].value == dt.datetime(2026, 12, 31)
    assert deputy["截止日期"].number_format == "yyyy-mm-dd"


def test_point_posts_sheet_names_the_point_the_role_and_the_days(book):
    # the fixture's pond chief: 1 of 1 day in 2026-07 within 100 m of 养殖塘1号 (issue 20)
    wb, _ = book
    ws = wb["点位履职"]
    assert ws.max_row == 2
    row = {h: ws.cell(2, k + 1) for k, h in enumerate(_header(ws))}
    assert row["姓名"].value == "陈建国" and row["职务"].value == "塘长"
    assert row["点位名称"].value == "养殖塘1号" and row["点位类型"].value == "塘"
    assert (row["应巡次数"].value, row["实巡天数"].value) == (1, 1)
    assert row["状态"].value == "达标" and row["距离要求(米)"].value == 100


def test_no_json_or_codes_left_in_any_cell(book):
    wb, _ = book
    codes = {"met", "on_track", "behind", "missed", "segment_chief", "village", "True", "False"}
    for ws in wb:
        for row in ws.iter_rows(min_row=2, values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not value.startswith(("[", "{")), (ws.title, value)
                    assert value not in codes, (ws.title, value)


def test_targets_sheet_gaps_chiefs_and_booleans(book):
    wb, _ = book
    ws = wb["河段覆盖"]
    first = {h: ws.cell(2, k + 1) for k, h in enumerate(_header(ws))}
    assert first["未巡河段(米)"].value == "120–480 m; 900–1,020 m"
    assert first["河长"].value == "陈建国 (P0145)、黄丽 (P0146)"
    assert first["行政区"].value == "石湾村 (450521107201)"
    assert (
        first["覆盖率"].value == pytest.approx(0.6281) and first["覆盖率"].number_format == "0.0%"
    )
    assert first["长度(米)"].value == 1500 and first["类型"].value == "河段"
    assert first["无人负责"].value == "否" and first["河湖名称"].value == "南流江"
    assert first["最近巡河日期"].value == dt.datetime(2026, 9, 28)
    second = {h: ws.cell(3, k + 1).value for k, h in enumerate(_header(ws))}
    assert second["无人负责"] == "是" and second["类型"] == "区域" and second["河长"] is None


def test_regions_and_summary(book):
    wb, _ = book
    ws = wb["区域排名"]
    city = {h: ws.cell(2, k + 1) for k, h in enumerate(_header(ws))}
    assert city["达标率"].value == pytest.approx(0.3333) and city["达标率"].number_format == "0.0%"
    assert city["层级"].value == "市级" and city["达标数"].value == 1
    summary = {r[0]: r[1] for r in wb["概要"].iter_rows(min_row=2, values_only=True)}
    assert summary["行政区"] == "北海市 (450500)"
    assert summary["考核时段"] == "2026-Q3 (2026-07-01 – 2026-09-30)"
    assert summary["时区"] == "Asia/Shanghai" and summary["规则版本"] == "2026.2"
    assert (summary["达标"], summary["进行中"], summary["滞后"], summary["未达标"]) == (1, 1, 1, 0)
    assert summary["不作要求"] == 0 and summary["考核职务数"] == 3
    assert summary["达标率"] == pytest.approx(0.3333)
    assert summary["无人负责河段/区域"] == 1 and summary["待巡提示"] == 1
    due = wb["待巡提示"]
    row = {h: due.cell(2, k + 1).value for k, h in enumerate(_header(due))}
    assert row["姓名"] == "王海" and row["待完成"] == "2026-H2: 1 patrol；2026: 1 patrol"
    assert row["职务"] == "副河长" and row["行政区"] == "石湾村"


def test_every_sheet_frozen_filtered_fitted_and_print_ready(book):
    wb, _ = book
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$1:$1", ws.title
        assert "北海市" in ws.oddHeader.left.text and "2026-Q3" in ws.oddHeader.right.text
        assert "巡河考核" in ws.oddHeader.center.text
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert all(c.font.b for c in ws[1])
    assert wb["区域排名"].page_setup.paperSize == 9  # A4
    posts = wb["河长履职"]
    assert posts.page_setup.paperSize == 8  # A3: 21 columns are unreadable across A4
    # the ids kept for re-import stay off the page; the filter covers every column
    assert posts.print_area == "'河长履职'!$A$1:$U$4" and posts.auto_filter.ref == "A1:X4"
    width = posts.column_dimensions[openpyxl.utils.get_column_letter(_column(posts, "行政区"))]
    assert width.width >= display_width("行政区") + 2  # CJK counts double: 6, not 3


def test_empty_sheets_keep_their_headers(tmp_path):
    files = write_exports(report(due=False), tmp_path)
    wb = openpyxl.load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    due = wb["待巡提示"]
    assert due.max_row == 1 and _header(due)[:3] == ["河长编号", "姓名", "行政区"]
    assert due.auto_filter.ref.startswith("A1:") and due.freeze_panes == "A2"


def test_english(tmp_path):
    files = write_exports(report(), tmp_path, chinese=False)
    wb = openpyxl.load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    assert wb.sheetnames == [s for s in ["summary", *(s.key for s in SHEETS)]]
    ws = wb["posts"]
    row = {h: ws.cell(4, k + 1).value for k, h in enumerate(_header(ws))}
    assert row["role"] == "deputy chief" and row["audited as"] == "river chief"
    assert row["status"] == "behind" and row["level"] == "city"
    assert (
        "patrol audit" in ws.oddHeader.center.text and ws.oddFooter.center.text == "page &P of &N"
    )


def test_csv_uses_the_same_labels(tmp_path):
    files = write_exports(report(), tmp_path)
    path = next(f for f in files if f.name.endswith("_targets.csv"))
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel reads it as UTF-8
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["覆盖率"] == "62.8%" and rows[0]["未巡河段(米)"] == "120–480 m; 900–1,020 m"
    assert rows[0]["无人负责"] == "否" and rows[0]["长度(米)"] == "1500"
    assert rows[1]["最近巡河日期"] == ""
    due = next(f for f in files if f.name.endswith("_due.csv"))
    assert due.exists() and [f.name for f in files if f.suffix == ".csv"] == [
        f"audit_450500_2026-Q3_{s.key}.csv" for s in SHEETS
    ]


def test_an_older_report_still_exports(tmp_path):
    """Until the new audit lands: ``reminders`` and ``compliant`` read as ``due`` and ``met``."""
    old = report()
    old["reminders"] = old.pop("due")
    for p in old["posts"]:
        p["status"] = {"met": "compliant", "behind": "behind"}.get(p["status"], "non_compliant")
    for r in old["regions"]:
        r["compliant"] = r.pop("met")
    files = write_exports(old, tmp_path)
    wb = openpyxl.load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    summary = {r[0]: r[1] for r in wb["概要"].iter_rows(min_row=2, values_only=True)}
    assert (summary["达标"], summary["未达标"], summary["待巡提示"]) == (1, 1, 1)
    assert wb["区域排名"].cell(2, 5).value == 1


def test_widths_and_gap_text_by_hand():
    assert display_width("河长") == 4 and display_width("P0145") == 5
    assert display_width(0.628, "0.0%") == len("62.8%")
    assert display_width(1020.4, "#,##0") == len("1,020")
    assert gaps_text([[0, 1020.4]]) == "0–1,020 m" and gaps_text([]) == ""
