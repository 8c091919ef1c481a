"""The sample's 一河一策 plan for 南流江 (``plan_tasks.csv``), derived from the loaded sample
and its zoning (deterministic): twelve tasks, two per main task of seed 001 (五、主要任务分工),
each with the department seed 001 makes responsible for it, placed in turn on 南流江's
township stretches, two at points on the river itself. As of ``SAMPLE_AS_OF`` (the date
the sample's audits are read on) four are done (one of them late), three are overdue and
five are open; the tasks under way carry their last progress report.

Run ``gis-service sample extras [--out OUT_DIR]`` against a database holding the sample
and its zoning.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import Connection

from gis_service.db import plan_store

RIVER = "R4505-01"  # 南流江
SAMPLE_AS_OF = dt.date(2026, 10, 15)
HEADER = (
    "水体编码",
    "方案",
    "编号",
    "任务",
    "任务类别",
    "责任单位",
    "河段",
    "经度",
    "纬度",
    "完成时限",
    "状态",
    "完成日期",
    "进展日期",
    "进展情况",
    "完成比例",
)
PLAN_NAME = "南流江一河一策实施方案（2026—2027年）"
# (title, category, department, deadline, status, completed, progress day, progress, percent)
TASKS: tuple[tuple[str, ...], ...] = (
    (
        "取用水计量监控设施建设",
        "水资源保护",
        "市水利局",
        "2026-06-30",
        "已完成",
        "2026-06-20",
        "",
        "",
        "",
    ),
    (
        "流域用水总量控制与取水许可核查",
        "水资源保护",
        "市水利局",
        "2026-12-31",
        "进行中",
        "",
        "2026-09-28",
        "完成取水户核查 46 户",
        "55",
    ),
    (
        "划定河道管理范围并埋设界桩",
        "水域岸线管理保护",
        "市国土资源局",
        "2026-03-31",
        "已完成",
        "2026-04-15",
        "",
        "",
        "",
    ),
    (
        "清理整治岸线乱占滥用",
        "水域岸线管理保护",
        "合浦县人民政府",
        "2026-09-30",
        "进行中",
        "",
        "2026-09-20",
        "拆除违建 3 处，余 2 处",
        "60",
    ),
    (
        "入河排污口排查与规范化整治",
        "水污染防治",
        "市环境保护局",
        "2026-08-31",
        "进行中",
        "",
        "2026-08-25",
        "完成排查，整治 12 个中的 7 个",
        "58",
    ),
    (
        "畜禽养殖污染治理（禁养区清理）",
        "水污染防治",
        "市农业局",
        "2026-11-30",
        "进行中",
        "",
        "2026-10-10",
        "关停禁养区养殖场 9 家",
        "70",
    ),
    (
        "沿岸农村生活污水与垃圾治理",
        "水环境治理",
        "合浦县人民政府",
        "2026-10-31",
        "未开始",
        "",
        "",
        "",
        "",
    ),
    (
        "河道保洁与漂浮物清理",
        "水环境治理",
        "市城市管理局",
        "2026-05-31",
        "已完成",
        "2026-05-28",
        "",
        "",
        "",
    ),
    (
        "河岸带生态修复与水源涵养林建设",
        "水生态修复",
        "市林业局",
        "2027-06-30",
        "未开始",
        "",
        "",
        "",
        "",
    ),
    ("水土流失综合治理", "水生态修复", "市水利局", "2026-09-15", "未开始", "", "", "", ""),
    (
        "打击非法采砂专项行动",
        "执法监管",
        "市公安局",
        "2026-07-31",
        "已完成",
        "2026-07-20",
        "",
        "",
        "",
    ),
    (
        "上下游、左右岸联合执法巡查",
        "执法监管",
        "市水利局",
        "2026-12-31",
        "进行中",
        "",
        "2026-10-12",
        "开展联合执法 2 次",
        "40",
    ),
)
POINT_TASKS = (3, 9)  # indices placed at points on the river (a third and two thirds along)


def rows(conn: Connection) -> list[dict[str, str]]:
    segments = plan_store.township_stretches(conn, RIVER)
    points = plan_store.points_along(conn, RIVER, (1 / 3, 2 / 3))
    out = []
    for n, (title, category, dept, deadline, status, done, day, text, pct) in enumerate(TASKS):
        place, lon, lat = "", "", ""
        if n in POINT_TASKS:
            lon, lat = (f"{v:.6f}" for v in points[POINT_TASKS.index(n)])
        else:
            place = segments[n % len(segments)]
        values = (RIVER, PLAN_NAME, f"NLJ-{n + 1:02d}", title, category, dept, place, lon, lat)
        out.append(
            dict(zip(HEADER, (*values, deadline, status, done, day, text, pct), strict=True))
        )
    return out


def write_plan(conn: Connection, out: Path) -> dict[str, int]:
    table = rows(conn)
    with (out / "plan_tasks.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    return {"plan_tasks": len(table)}
