"""Sample signboards (公示牌) along the sample's rivers, derived from the loaded sample and its
zoning (deterministic), written to ``signboards.csv`` by ``gis-service sample extras``:

- a board 25 m north of the middle of every third village stretch of the rivers and the
  canal, printed on 2026-03-01 with the chiefs of that stretch on that day;
- three boards along 那丽河 (R4505-02-02) in 银海区's township 450503102, whose township
  segment chief 蒙祥海 (P0176) was replaced by 梁生 (P0251) on 2026-08-16: printed in March,
  they list 蒙祥海, so ``gis-service signboards reprint`` finds them;
- one board printed without the river's deputy chief (副河长): also to reprint.

``load_boards`` imports the file through the same service as the CLI and the API, once the
zoning exists (the boards are tied to its segments).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import Connection

from gis_service.db import signboard_store as store
from gis_service.domain.signboards import stretch_chiefs
from gis_service.services.reports import ImportReport
from gis_service.services.signboards import configured_signboard_rules, import_signboards

FILE = "signboards.csv"
PRINTED_ON = dt.date(2026, 3, 1)
REPLACED = ("R4505-02-02", "450503102")  # 蒙祥海 -> 梁生, 2026-08-16 (chiefs.csv)
NORTH_M = 25.0
METRES_PER_DEGREE_LAT = 110_700.0  # at 21.5°N


def boards(conn: Connection) -> list[dict]:
    """The sample's boards as CSV rows (Chinese headers, like the office's files)."""
    every_third = [s for k, s in enumerate(store.sample_board_sites(conn)) if k % 3 == 0]
    replaced = [
        s
        for s in store.sample_board_sites(conn, (0.2, 0.5, 0.8))
        if (s["water_body_code"], s["region_code"][:9]) == REPLACED
    ]
    chosen = [s for s in every_third if (s["water_body_code"], s["region_code"][:9]) != REPLACED]
    chosen += replaced
    posts = store.posts_on(conn, PRINTED_ON, {s["water_body_code"] for s in chosen})
    ancestors = store.ancestors_of(conn, {s["region_code"] for s in chosen})
    out = []
    incomplete_done = False
    along: dict[str, int] = {}
    for k, s in enumerate(chosen, start=1):
        listed = ""
        chiefs = stretch_chiefs(
            posts, water=s["water_body_code"], level="village", regions=ancestors[s["region_code"]]
        )
        if not incomplete_done and any(c.role == "deputy_chief" for c in chiefs):
            # printed without the deputy chief: the board lacks a chief of its stretch
            listed = "；".join(c.chief_id for c in chiefs if c.role != "deputy_chief")
            incomplete_done = True
        along[s["id"]] = along.get(s["id"], 0) + 1
        number = f"{along[s['id']]}号" if s in replaced else ""
        out.append(
            {
                "编码": f"GSP{k:03d}",
                "名称": f"{s['water']}{s['village']}段河长公示牌{number}",
                "河流编码": s["water_body_code"],
                "经度": f"{s['lon']}",
                "纬度": f"{float(s['lat']) + NORTH_M / METRES_PER_DEGREE_LAT:.7f}",
                "制作日期": PRINTED_ON.isoformat(),
                "公示河长": listed,
            }
        )
    return out


def write(conn: Connection, out: Path) -> int:
    rows = boards(conn)
    with (out / FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def load_boards(
    conn: Connection, data_dir: Path, today: dt.date, rules_file: Path | None = None
) -> ImportReport | None:
    """Import ``signboards.csv`` when the folder has it (upserts: loading twice changes
    nothing); None without the file."""
    path = data_dir / FILE
    if not path.exists():
        return None
    rules = configured_signboard_rules(rules_file)
    return import_signboards(conn, path, today=today, tolerance_m=rules.tolerance_m)
