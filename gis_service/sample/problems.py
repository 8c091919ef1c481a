"""Problems found on patrol in the sample (巡河发现问题): one CSV, loaded through the service.

Each problem lies on the bank of a village segment and is reported by that segment's chief,
with a lifecycle planted to show every state: reported, handed over (past the 15-working-day
answer deadline by late 2026, so overdue), answered and closed.
"""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain.crs import transform

from . import METRIC_CRS, STORAGE_CRS
from .roster import Segment
from .tracks import stretches

NAMESPACE = uuid.UUID("6f1c1c4e-93a7-4c0b-9f5e-2a4f0c8b7d21")
SCENES: dict[str, tuple[str, str]] = {  # category: (description, who it is handed to)
    "sand_mining": ("河道内有采砂船夜间作业", "县水利局"),
    "encroachment": ("岸边新建围堰占用河道", "乡镇人民政府"),
    "dumping": ("河岸堆放建筑垃圾约20立方米", "乡镇环卫所"),
    "sewage_outfall": ("发现未登记排污口，水色发黑", "市生态环境局"),
    "illegal_fishing": ("有人使用地笼网捕鱼", "县农业农村局"),
    "illegal_construction": ("管理范围内新建养殖棚", "县自然资源局"),
    "water_pollution": ("水面漂浮大量死鱼", "市生态环境局"),
    "facility_damage": ("河长公示牌损坏", "村民委员会"),
}
COLUMNS = [
    "problem_id", "person_id", "lon", "lat", "category", "description", "found_at",
    "handed_to", "handed_over_on", "answer", "answered_on", "closed_on",
]  # fmt: skip


def build_problems(
    segments: list[Segment],
    regions: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    person_ids: list[str],
    rng: np.random.Generator,
    count: int = 32,
) -> pd.DataFrame:
    """``count`` problems on village river stretches, found between July and October 2026."""
    pool = [s for s in stretches(segments, regions, water) if s.segment.level == "village"]
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    categories = list(SCENES)
    rows = []
    for k, i in enumerate(sorted(picks)):
        stretch = pool[int(i)]
        line = shapely.linestrings(stretch.piece)
        spot = shapely.line_interpolate_point(line, rng.uniform(0.1, 0.9), normalized=True)
        x, y = shapely.get_coordinates(spot)[0] + rng.normal(0, 15, 2)  # on the bank
        lon, lat = shapely.get_coordinates(
            transform(shapely.points(x, y), METRIC_CRS, STORAGE_CRS)
        )[0]
        category = categories[k % len(categories)]
        description, office = SCENES[category]
        found = pd.Timestamp("2026-07-01 08:00", tz="Asia/Shanghai") + pd.Timedelta(
            days=int(rng.integers(0, 110)), minutes=int(rng.integers(0, 600))
        )
        stage = k % 4  # 0 reported, 1 handed over (waiting for the answer), 2 answered, 3 closed
        handed = found.date() + pd.Timedelta(days=2) if stage else None
        answered = handed + pd.Timedelta(days=9) if stage >= 2 else None
        rows.append(
            {
                "problem_id": str(uuid.uuid5(NAMESPACE, f"sample-problem-{k}")),
                "person_id": person_ids[stretch.segment.person],
                "lon": round(float(lon), 7),
                "lat": round(float(lat), 7),
                "category": category,
                "description": description,
                "found_at": found.isoformat(),
                "handed_to": office if stage else "",
                "handed_over_on": handed.isoformat() if handed else "",
                "answer": "已现场核查并整改" if stage >= 2 else "",
                "answered_on": answered.isoformat() if answered else "",
                "closed_on": (answered + pd.Timedelta(days=3)).isoformat() if stage == 3 else "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
