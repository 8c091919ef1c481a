"""Problems (河湖问题) and accountability records (问责) of the sample: two CSVs, loaded
through the service.

Each problem found on patrol lies on the bank of a village segment and is reported by that
segment's chief, with a lifecycle planted to show every state: reported, handed over (past its
deadline by late 2026, so overdue), answered, and verified and closed (核查, 销号). A few more
come from the public (群众举报), the media and a superior, recorded by the office, in the
categories patrols rarely report. The accountability records climb the ladder 提醒 → 约谈 →
提请问责 for one chief, and show an answer in time across the National Day holidays, an
overdue one, and a notice about a problem.
"""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain.crs import transform
from gis_service.domain.periods import DEFAULT_TIMEZONE

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
# (source, category, description, who reported it, who it is handed to)
OTHER_SCENES: list[tuple[str, str, str, str, str]] = [
    ("public", "illegal_water_intake", "群众举报：有人夜间从河道抽水灌溉鱼塘",
     "市民来电（12345热线）", "县水利局"),
    ("public", "soil_taking", "群众举报：河堤旁有挖掘机取土", "村民微信留言（河长公示牌二维码）",
     "乡镇人民政府"),
    ("media", "aquaculture", "媒体报道：河道内网箱养殖，水体富营养化", "本地报纸报道（样例）",
     "县农业农村局"),
    ("superior", "encroachment", "上级交办：遥感监测发现河道管理范围内新增建筑",
     "自治区河长办交办单（样例）", "县自然资源局"),
    ("public", "obstruction", "群众举报：河道内拉网设障，影响行洪", "匿名举报（公示牌电话）",
     "县水利局"),
    ("media", "dumping", "媒体曝光：桥下倾倒生活垃圾", "地方电视台（样例）", "乡镇环卫所"),
]  # fmt: skip
# the other sources' stages: reported, handed over (in working days / to a date), answered,
# verified, closed
OTHER_STAGES = ("handed_over_days", "reported", "verified", "closed", "handed_over_date",
                "answered")  # fmt: skip
HANDOVER_DAYS = 14  # calendar days from hand-over to the date set on a patrol problem
OTHER_WORKING_DAYS = 10
COLUMNS = [
    "problem_id", "source", "person_id", "source_detail", "lon", "lat", "category",
    "description", "found_at", "handed_to", "handed_over_on", "deadline", "working_days",
    "answer", "answered_on", "verified_on", "closed_on",
]  # fmt: skip
ACCOUNTABILITY_COLUMNS = [
    "reference", "kind", "person_id", "period", "problem_id", "follows_reference", "reason",
    "issuer", "issued_on", "feedback", "feedback_on",
]  # fmt: skip


def _spot(stretch, rng: np.random.Generator) -> tuple[float, float]:
    """A point on the bank of the stretch, WGS84."""
    line = shapely.linestrings(stretch.piece)
    spot = shapely.line_interpolate_point(line, rng.uniform(0.1, 0.9), normalized=True)
    x, y = shapely.get_coordinates(spot)[0] + rng.normal(0, 15, 2)  # on the bank
    lon, lat = shapely.get_coordinates(transform(shapely.points(x, y), METRIC_CRS, STORAGE_CRS))[0]
    return round(float(lon), 7), round(float(lat), 7)


def _found(rng: np.random.Generator) -> pd.Timestamp:
    return pd.Timestamp("2026-07-01 08:00", tz=DEFAULT_TIMEZONE) + pd.Timedelta(
        days=int(rng.integers(0, 110)), minutes=int(rng.integers(0, 600))
    )


def _iso(day) -> str:
    return day.isoformat() if day is not None else ""


def build_problems(
    segments: list[Segment],
    regions: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    person_ids: list[str],
    rng: np.random.Generator,
    count: int = 32,
) -> pd.DataFrame:
    """``count`` problems found on patrol on village river stretches between July and October
    2026, then one problem per ``OTHER_SCENES`` from the public, the media or a superior."""
    pool = [s for s in stretches(segments, regions, water) if s.segment.level == "village"]
    picks = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
    categories = list(SCENES)
    rows = []
    for k, i in enumerate(sorted(picks)):
        stretch = pool[int(i)]
        lon, lat = _spot(stretch, rng)
        category = categories[k % len(categories)]
        description, office = SCENES[category]
        found = _found(rng)
        stage = k % 4  # 0 reported, 1 handed over (waiting for the answer), 2 answered, 3 closed
        handed = found.date() + pd.Timedelta(days=2) if stage else None
        answered = handed + pd.Timedelta(days=9) if stage >= 2 else None
        rows.append(
            {
                "problem_id": str(uuid.uuid5(NAMESPACE, f"sample-problem-{k}")),
                "source": "patrol",
                "person_id": person_ids[stretch.segment.person],
                "source_detail": "",
                "lon": lon,
                "lat": lat,
                "category": category,
                "description": description,
                "found_at": found.isoformat(),
                "handed_to": office if stage else "",
                "handed_over_on": _iso(handed),
                "deadline": _iso(handed + pd.Timedelta(days=HANDOVER_DAYS) if stage else None),
                "working_days": "",
                "answer": "已现场核查并整改" if stage >= 2 else "",
                "answered_on": _iso(answered),
                "verified_on": _iso(answered + pd.Timedelta(days=2) if stage == 3 else None),
                "closed_on": _iso(answered + pd.Timedelta(days=3) if stage == 3 else None),
            }
        )
    others = rng.choice(len(pool), size=len(OTHER_SCENES), replace=False)
    for k, (i, scene, state) in enumerate(zip(others, OTHER_SCENES, OTHER_STAGES, strict=True)):
        source, category, description, detail, office = scene
        lon, lat = _spot(pool[int(i)], rng)
        found = _found(rng)
        handed = found.date() + pd.Timedelta(days=1) if state != "reported" else None
        answered = (
            handed + pd.Timedelta(days=8) if state in ("answered", "verified", "closed") else None
        )
        verified = answered + pd.Timedelta(days=3) if state in ("verified", "closed") else None
        rows.append(
            {
                "problem_id": str(uuid.uuid5(NAMESPACE, f"sample-{source}-problem-{k}")),
                "source": source,
                "person_id": "",
                "source_detail": detail,
                "lon": lon,
                "lat": lat,
                "category": category,
                "description": description,
                "found_at": found.isoformat(),
                "handed_to": office if handed else "",
                "handed_over_on": _iso(handed),
                "deadline": _iso(
                    handed + pd.Timedelta(days=20) if state == "handed_over_date" else None
                ),
                "working_days": OTHER_WORKING_DAYS
                if handed and state != "handed_over_date"
                else "",
                "answer": "已责令停止并恢复原状" if answered else "",
                "answered_on": _iso(answered),
                "verified_on": _iso(verified),
                "closed_on": _iso(verified + pd.Timedelta(days=1) if state == "closed" else None),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def build_accountability(problems: pd.DataFrame) -> pd.DataFrame:
    """A few steps of the ladder (dates fixed, chiefs taken from the sample's problems)."""
    patrol = problems[problems["source"] == "patrol"]
    waiting = patrol[(patrol["handed_over_on"] != "") & (patrol["answered_on"] == "")]
    late = waiting.sort_values("deadline").iloc[0]  # the first hand-over past its deadline
    noticed = (pd.Timestamp(late["deadline"]) + pd.Timedelta(days=7)).date().isoformat()
    chiefs = list(dict.fromkeys(patrol["person_id"]))
    office = "北海市河长办"
    rows = [
        # a reminder the day before National Day: answer due 2026-10-27 (holidays, 调休)
        ("北河长办提醒〔2026〕1号", "reminder", chiefs[0], "2026-Q3", "", "",
         "2026年第三季度巡河次数不足", "2026-09-30", "已补巡两次并加强巡河频次", "2026-10-20"),
        # a ladder: reminder unanswered, interview unanswered, then referral (提请问责)
        ("北河长办提醒〔2026〕2号", "reminder", chiefs[1], "2026-Q2", "", "",
         "2026年第二季度未巡河", "2026-08-03", "", ""),
        ("北河长办约谈〔2026〕1号", "interview", chiefs[1], "2026-Q2", "",
         "北河长办提醒〔2026〕2号", "经提醒仍未整改，未书面反馈", "2026-09-01", "", ""),
        ("北河长办问责〔2026〕1号", "referral", chiefs[1], "2026-Q2", "",
         "北河长办约谈〔2026〕1号", "经约谈仍未整改，移交问题线索", "2026-10-12", "", ""),
        # a notice about a problem left unanswered past its deadline, answered late
        ("北河长办通报〔2026〕1号", "notice", late["person_id"], "", late["problem_id"], "",
         "交办问题逾期未整改", noticed, "已组织整改，附整改照片", "2026-11-20"),
    ]  # fmt: skip
    return pd.DataFrame(
        [dict(zip(ACCOUNTABILITY_COLUMNS, (*r[:7], office, *r[7:]), strict=True)) for r in rows],
        columns=ACCOUNTABILITY_COLUMNS,
    )
