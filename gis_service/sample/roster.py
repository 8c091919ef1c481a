"""Chiefs and their posts (河湖长名录): one CSV row per post, people may hold several posts.

The roster follows the "分级分段" rule of DOMAIN.md: a general chief per region, a river chief
and a deputy per city-level river, a reservoir chief per water area, and a segment chief per
water body, level and region it crosses (> 50 m), from the managing level down to villages;
reservoir shores are split by the villages touching the 200 m shoreline ring. Two defects are
planted on purpose for the audit code: one chief replaced mid-period, one village river
segment without any chief.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_service.domain.crs import transform
from gis_service.domain.still_water import shoreline_ring

from . import CITY_CODE, METRIC_CRS, STORAGE_CRS

LEVELS = ("city", "county", "township", "village")
MIN_STRETCH_M = 50.0
MIN_SHORE_M2 = 1000.0
VALID_FROM = "2026-01-01"
CHANGE_END, CHANGE_START = "2026-08-15", "2026-08-16"
COLUMNS = [
    "person_id",
    "name",
    "phone",
    "title",
    "role",
    "level",
    "region_code",
    "water_body_code",
    "valid_from",
    "valid_to",
]

_SURNAMES = "陈李黄林张王刘梁吴何周庞莫邓苏钟谢罗廖杨朱冯许潘韦蒙覃劳揭"
_GIVEN = "建国华明伟强军平海涛志文红丽芳玲英秀兰春勇斌宁峰辉杰燕静霞晓德成荣庆新永福贵生祥"


def _titles(level: str, name: str) -> tuple[str, str, str]:
    """(secretary, head, deputy) titles for a region of this level and kind."""
    if level == "city":
        return "市委书记", "市长", "副市长"
    if level == "county":
        if name.endswith("县"):
            return "县委书记", "县长", "副县长"
        return "区委书记", "区长", "副区长"
    if level == "township":
        if name.endswith("街道"):
            return "街道党工委书记", "街道办事处主任", "街道办事处副主任"
        return "镇党委书记", "镇长", "副镇长"
    if name.endswith("社区"):
        return "社区党委书记", "社区居委会主任", "社区居委会副主任"
    return "村党支部书记", "村委会主任", "村委会副主任"


@dataclass
class People:
    """Deterministic invented people; officials are created on first use per (region, slot)."""

    rng: np.random.Generator
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, name, phone, title
    _slots: dict[tuple[str, int], int] = field(default_factory=dict)

    def new(self, title: str) -> int:
        n = len(self.rows) + 1
        given = "".join(self.rng.choice(list(_GIVEN), size=int(self.rng.integers(1, 3))))
        name = str(self.rng.choice(list(_SURNAMES))) + given
        self.rows.append((f"P{n:04d}", name, f"199-0000-{n:04d}", title))
        return n - 1

    def official(self, code: str, level: str, region_name: str, slot: int) -> int:
        """Slot 0 = party secretary, 1 = government head, 2.. = deputies of that region."""
        key = (code, slot)
        if key not in self._slots:
            sec, head, deputy = _titles(level, region_name)
            self._slots[key] = self.new((sec, head)[slot] if slot < 2 else deputy)
        return self._slots[key]


@dataclass(frozen=True)
class Segment:
    """A chief's responsibility: one water body inside one region at one level."""

    water_code: str
    region_code: str
    level: str
    role: str
    person: int


def build_roster(
    regions: gpd.GeoDataFrame, water: gpd.GeoDataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, list[Segment], dict]:
    """Posts (CSV rows), the segments behind them (for tracks) and the planted defects."""
    people = People(rng)
    reg = regions[regions["level"].isin(LEVELS)].reset_index(drop=True)
    reg_m = transform(reg.geometry.to_numpy(), STORAGE_CRS, METRIC_CRS)
    names = dict(zip(reg["code"], reg["name"], strict=True))
    posts: list[tuple[int, str, str, str, str, str, str]] = []  # person, role, level, region, ...

    def post(
        person: int,
        role: str,
        level: str,
        region: str,
        wcode: str = "",
        start: str = VALID_FROM,
        end: str = "",
    ) -> None:
        posts.append((person, role, level, region, wcode, start, end))

    for code, level in zip(reg["code"], reg["level"], strict=True):
        post(people.official(code, level, names[code], 0), "general_chief", level, code)

    segments: list[Segment] = []
    per_region: dict[str, int] = {}

    def segment_chief(wcode: str, code: str, level: str, role: str = "segment_chief") -> None:
        k = per_region.get(code, 0)
        per_region[code] = k + 1
        slot = k % 2 if level == "village" else 1 + k % (3 if level == "township" else 4)
        person = people.official(code, level, names[code], slot)
        segments.append(Segment(wcode, code, level, role, person))

    water_m = transform(water.geometry.to_numpy(), STORAGE_CRS, METRIC_CRS)
    city_deputy = 2
    for w, geom in zip(water.itertuples(), water_m, strict=True):
        if w.kind in ("river", "canal"):
            first = w.managing_level
            if first == "city":
                segment_chief(w.code, CITY_CODE, "city", "river_chief")
                deputy = people.official(CITY_CODE, "city", "北海市", city_deputy)
                city_deputy += 1
                segments.append(Segment(w.code, CITY_CODE, "city", "deputy_chief", deputy))
                first = "county"
            for level in LEVELS[LEVELS.index(first) :]:
                mask = (reg["level"] == level).to_numpy()
                lengths = shapely.length(shapely.intersection(reg_m[mask], geom))
                for code in reg["code"].to_numpy()[mask][lengths > MIN_STRETCH_M]:
                    segment_chief(w.code, str(code), level)
        elif w.kind == "reservoir":
            keeper = people.new("水库管理所所长")
            segments.append(
                Segment(w.code, w.managing_region_code, w.managing_level, "reservoir_chief", keeper)
            )
            # the shoreline zone the zoning splits by village (its width: the water's)
            ring = shoreline_ring(geom, width_m=float(w.buffer_width_m))
            mask = (reg["level"] == "village").to_numpy()
            shore = shapely.area(shapely.intersection(reg_m[mask], ring))
            for code in reg["code"].to_numpy()[mask][shore > MIN_SHORE_M2]:
                segment_chief(w.code, str(code), "village")
        elif w.kind == "lake":
            segment_chief(w.code, w.managing_region_code, w.managing_level, "lake_chief")
            mask = (reg["level"] == "township").to_numpy()
            share = shapely.area(shapely.intersection(reg_m[mask], geom))
            for code in reg["code"].to_numpy()[mask][share > 1e4]:
                segment_chief(w.code, str(code), "township", "lake_chief")

    info = _plant_defects(segments, water, people, rng)
    for s in segments:
        if s == info["_unassigned"]:
            continue
        end = CHANGE_END if s == info["_changed"] else ""
        post(s.person, s.role, s.level, s.region_code, s.water_code, VALID_FROM, end)
        if s == info["_changed"]:
            post(info["_successor"], s.role, s.level, s.region_code, s.water_code, CHANGE_START)
    successor, gap, changed = info.pop("_successor"), info.pop("_unassigned"), info.pop("_changed")
    segments = [s for s in segments if s != gap]
    segments.append(
        Segment(changed.water_code, changed.region_code, changed.level, changed.role, successor)
    )

    frame = pd.DataFrame(
        [
            (*people.rows[p], role, lvl, reg_code, wcode, start, end)
            for p, role, lvl, reg_code, wcode, start, end in posts
        ],
        columns=COLUMNS,
    )
    return frame, segments, info


def _plant_defects(
    segments: list[Segment], water: gpd.GeoDataFrame, people: People, rng: np.random.Generator
) -> dict:
    """Choose the segment left without chief and the township chief replaced on 2026-08-16."""
    rivers = set(water.loc[water["kind"] == "river", "code"])
    village = [
        s
        for s in segments
        if s.level == "village" and s.water_code in rivers and s.role == "segment_chief"
    ]
    town = [
        s
        for s in segments
        if s.level == "township" and s.water_code in rivers and s.role == "segment_chief"
    ]
    gap = village[int(rng.integers(len(village)))]
    changed = town[int(rng.integers(len(town)))]
    successor = people.new(people.rows[changed.person][3])
    return {
        "unassigned_segment": {
            "water_body_code": gap.water_code,
            "region_code": gap.region_code,
            "level": "village",
        },
        "chief_change": {
            "water_body_code": changed.water_code,
            "region_code": changed.region_code,
            "level": "township",
            "old_person_id": people.rows[changed.person][0],
            "new_person_id": people.rows[successor][0],
            "old_valid_to": CHANGE_END,
            "new_valid_from": CHANGE_START,
        },
        "_unassigned": gap,
        "_changed": changed,
        "_successor": successor,
    }
