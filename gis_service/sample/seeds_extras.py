"""Sample files of issue 20, derived from the loaded sample and its zoning (deterministic):

- ``sections.csv``: boundary monitoring sections at the township crossings of the city
  rivers (where ``gis-service water-quality propose`` puts them), target Ⅲ (Ⅱ for the
  first, upstream on 南流江, as an office might set);
- ``water_quality.csv``: 12 monthly samples per section (November 2025 - October 2026) of
  溶解氧, 高锰酸盐指数, 氨氮, 总磷 around the target, some months failing it;
- ``points.csv`` / ``point_posts.csv``: responsibility points (塘, 泵站, 排污口, 点源) by village
  river stretches, each held by that stretch's village chief (in practice village cadres are
  the 塘长/泵长/口长/点长, seed 004).

Run ``gis-service sample extras [--out OUT_DIR]`` against a database holding the sample and
its zoning (``gis-service sample load``; ``gis-service zoning rebuild``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sqlalchemy import Connection

from gis_service.db import point_store, water_quality_store
from gis_service.domain.vocab import POINT_KINDS
from gis_service.sample import signboards

SEED = 20260701
CITY_RIVERS = ("R4505-01", "R4505-02", "R4505-03", "R4505-04")
ROLE_OF_KIND = {
    "pond": "pond_chief",
    "pump_station": "pump_chief",
    "outfall": "outfall_chief",
    "point_source": "point_chief",
}
# a typical Ⅱ-Ⅲ river, mg/L: (mean, spread) per parameter
_BASE = {
    "dissolved_oxygen": (6.4, 0.7),
    "permanganate_index": (3.8, 0.9),
    "ammonia_nitrogen": (0.45, 0.2),
    "total_phosphorus": (0.1, 0.04),
}


def sections(conn: Connection) -> list[dict]:
    rows = water_quality_store.sample_crossings(conn, CITY_RIVERS)
    out = []
    for k, r in enumerate(rows, start=1):
        out.append(
            {
                "断面编码": f"JM{k:03d}",
                "断面名称": f"{r['water']}{r['up_name']}-{r['down_name']}交界断面",
                "目标水质": "Ⅱ" if k == 1 else "Ⅲ",
                "河流编码": r["water_body_code"],
                "上游行政区": r["up"],
                "下游行政区": r["down"],
                "经度": f"{r['lon']}",
                "纬度": f"{r['lat']}",
            }
        )
    return out


def samples(section_rows: list[dict]) -> list[dict]:
    """One sample on the 10th of each month; a section's water worsens in the dry season
    (December-February) and after the first summer rains (May), so some months fail."""
    rng = np.random.default_rng(SEED)
    months = [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]
    out = []
    for s in section_rows:
        load = rng.uniform(0.75, 1.2)  # how polluted this reach is
        for year, month in months:
            season = 1.35 if month in (12, 1, 2, 5) else 1.0
            values = {}
            for name, (mean, spread) in _BASE.items():
                draw = max(0.01, rng.normal(mean, spread))
                if name == "dissolved_oxygen":
                    values[name] = round(draw / (load * season) * 1.1, 2)
                else:
                    values[name] = round(
                        draw * load * season, 3 if name != "permanganate_index" else 1
                    )
            out.append(
                {
                    "断面编码": s["断面编码"],
                    "采样日期": f"{year}-{month:02d}-10",
                    "溶解氧": values["dissolved_oxygen"],
                    "高锰酸盐指数": values["permanganate_index"],
                    "氨氮": values["ammonia_nitrogen"],
                    "总磷": values["total_phosphorus"],
                }
            )
    return out


def points(conn: Connection, count: int = 36) -> tuple[list[dict], list[dict]]:
    """``count`` points 40 m north of the middle of village stretches of the city rivers and
    their tributaries, each held by that stretch's village segment chief."""
    rows = point_store.village_stretch_middles(conn)
    picked = list(rows)[:count]
    names = {
        "pond": "养殖塘",
        "pump_station": "排灌站",
        "outfall": "入河排污口",
        "point_source": "养殖场",
    }
    point_rows, post_rows = [], []
    for k, r in enumerate(picked, start=1):
        kind = POINT_KINDS[(k - 1) % len(POINT_KINDS)]
        code = f"DY{k:03d}"
        point_rows.append(
            {
                "编码": code,
                "名称": f"{r['village']}{names[kind]}{k}号",
                "类型": kind,
                "所属行政区": r["region_code"],
                "所在水体": r["water_body_code"],
                "经度": f"{r['lon']}",
                "纬度": f"{float(r['lat']) + 40.0 / 110_700.0:.7f}",
            }
        )
        post_rows.append(
            {
                "person_id": r["chief_id"],
                "name": r["chief_name"],
                "role": ROLE_OF_KIND[kind],
                "point_code": code,
                "valid_from": "2026-01-01",
                "valid_to": "",
            }
        )
    return point_rows, post_rows


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_all(conn: Connection, out: Path) -> dict[str, int]:
    section_rows = sections(conn)
    sample_rows = samples(section_rows)
    point_rows, post_rows = points(conn)
    _write(out / "sections.csv", section_rows)
    _write(out / "water_quality.csv", sample_rows)
    _write(out / "points.csv", point_rows)
    _write(out / "point_posts.csv", post_rows)
    boards = signboards.write(conn, out)  # issue 20 part 3: 公示牌
    return {
        "signboards": boards,
        "sections": len(section_rows),
        "samples": len(sample_rows),
        "points": len(point_rows),
        "posts": len(post_rows),
    }
