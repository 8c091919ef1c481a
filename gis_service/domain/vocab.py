"""The domain's controlled vocabularies, with the Chinese labels users expect."""

from __future__ import annotations

LEVEL_LABELS: dict[str, str] = {
    "province": "省级",
    "city": "市级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
}
LEVELS: tuple[str, ...] = tuple(LEVEL_LABELS)
LEVEL_RANK: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}

# digits of the administrative code per level (GB/T 2260 + township/village extensions)
CODE_DIGITS: dict[str, int] = {
    "province": 6,
    "city": 6,
    "county": 6,
    "township": 9,
    "village": 12,
}

REGION_KIND_LABELS: dict[str, str] = {"government": "地方", "corps": "兵团"}
REGION_KINDS: tuple[str, ...] = tuple(REGION_KIND_LABELS)

WATER_KIND_LABELS: dict[str, str] = {
    "river": "河流",
    "canal": "渠道",
    "lake": "湖泊",
    "reservoir": "水库",
    "pond": "塘坝",
}
WATER_KINDS: tuple[str, ...] = tuple(WATER_KIND_LABELS)
LINEAR_WATER_KINDS: tuple[str, ...] = ("river", "canal")

POST_ROLE_LABELS: dict[str, str] = {
    "general_chief": "总河长",
    "deputy_general_chief": "副总河长",
    "river_chief": "河长",
    "lake_chief": "湖长",
    "deputy_chief": "副河长",
    "reservoir_chief": "库长",
    "segment_chief": "河段长",
    "joint_chief": "联合河长",
    # patrol staff patrol a stretch without being chiefs (local practice, DOMAIN.md)
    "patrol_staff": "巡河员",
    "cleaner": "保洁员",
}
POST_ROLES: tuple[str, ...] = tuple(POST_ROLE_LABELS)
# posts on a region, not on a water body: every water inside the region is theirs
REGION_ROLES: tuple[str, ...] = ("general_chief", "deputy_general_chief")
# a river's own chiefs (its coordination report's "river chiefs")
RIVER_CHIEF_ROLES: tuple[str, ...] = ("river_chief", "deputy_chief", "lake_chief")
# posts whose holders answer for a tributary in the report of the river it flows into
TRIBUTARY_CHIEF_ROLES: tuple[str, ...] = ("river_chief", "segment_chief")

# audit outcome of a post in a rule period (巡河考核)
AUDIT_STATUS_LABELS: dict[str, str] = {
    "met": "达标",
    "on_track": "进行中",
    "behind": "滞后",
    "missed": "未达标",
    "not_required": "不作要求",
}
AUDIT_STATUSES: tuple[str, ...] = tuple(AUDIT_STATUS_LABELS)

# problems (河湖问题) and their categories, seeds 000 and 002 and DOMAIN.md
PROBLEM_CATEGORY_LABELS: dict[str, str] = {
    "sand_mining": "非法采砂",
    "encroachment": "侵占河道/围垦湖泊",
    "dumping": "倾倒垃圾/乱堆乱放",
    "sewage_outfall": "违法排污口",
    "illegal_fishing": "非法捕捞",
    "illegal_construction": "违章建设",
    "water_pollution": "水体污染",
    "facility_damage": "设施损坏",
    "illegal_water_intake": "非法取水",
    "obstruction": "设障",
    "aquaculture": "养殖",
    "soil_taking": "取土",
    "other": "其他",
}
PROBLEM_CATEGORIES: tuple[str, ...] = tuple(PROBLEM_CATEGORY_LABELS)

# where a problem came from (seed 000: 巡查调研、上级交办、群众举报、媒体曝光)
PROBLEM_SOURCE_LABELS: dict[str, str] = {
    "patrol": "河湖长巡查",
    "public": "群众举报",
    "media": "媒体曝光",
    "superior": "上级交办",
}
PROBLEM_SOURCES: tuple[str, ...] = tuple(PROBLEM_SOURCE_LABELS)

PROBLEM_STATUS_LABELS: dict[str, str] = {
    "reported": "已上报",
    "handed_over": "已交办",
    "answered": "已答复",
    "verified": "已核查",
    "closed": "已销号",
}
PROBLEM_STATUSES: tuple[str, ...] = tuple(PROBLEM_STATUS_LABELS)

# the accountability ladder (问责阶梯, seed 000): 提醒, 约谈, 通报 each need a written answer
# within 15 working days; 提请问责 hands the case to the disciplinary bodies (no answer due)
ACCOUNTABILITY_KIND_LABELS: dict[str, str] = {
    "reminder": "提醒",
    "interview": "约谈",
    "notice": "通报批评",
    "referral": "提请问责",
}
ACCOUNTABILITY_KINDS: tuple[str, ...] = tuple(ACCOUNTABILITY_KIND_LABELS)

ACCOUNTABILITY_STATUS_LABELS: dict[str, str] = {
    "awaiting_feedback": "待书面反馈",
    "overdue": "逾期未反馈",
    "answered": "已书面反馈",
    "answered_late": "逾期后反馈",
    "referred": "已移交问责",
}
ACCOUNTABILITY_STATUSES: tuple[str, ...] = tuple(ACCOUNTABILITY_STATUS_LABELS)

# coordinate systems a track or a point may come in: WGS84 (GPS), CGCS2000 (the same to
# centimetres), GCJ-02 (AMap/Tencent) and BD-09 (Baidu), the last two converted on the way in
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")
# how a patrol went (the fastest plausible pace of each: domain.tracks.MODE_MAX_SPEED)
TRAVEL_MODES: tuple[str, ...] = ("walk", "bike", "boat", "vehicle")
# a patrol's verdict (domain.verdict)
PATROL_STATUSES: tuple[str, ...] = ("valid", "partial", "invalid", "suspicious")
# roles that may write (upload patrols, report problems); viewers read only
WRITER_ROLES: tuple[str, ...] = ("chief", "office")

USER_ROLE_LABELS: dict[str, str] = {
    "office": "河长办",
    "chief": "河湖长",
    "viewer": "公众",
}
USER_ROLES: tuple[str, ...] = tuple(USER_ROLE_LABELS)

# responsibility points of seed 004 (塘长, 泵长, 口长, 点长; issue 20) and the posts on them
POINT_KIND_LABELS: dict[str, str] = {
    "pond": "塘",
    "pump_station": "泵站",
    "outfall": "入河排污口",
    "point_source": "污染点源",
}
POINT_KINDS: tuple[str, ...] = tuple(POINT_KIND_LABELS)

POINT_ROLE_LABELS: dict[str, str] = {
    "pond_chief": "塘长",
    "pump_chief": "泵长",
    "outfall_chief": "口长",
    "point_chief": "点长",
}
POINT_ROLES: tuple[str, ...] = tuple(POINT_ROLE_LABELS)
# the kind of point each role is for (点长 may hold any pollution point)
POINT_ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "pond_chief": ("pond",),
    "pump_chief": ("pump_station",),
    "outfall_chief": ("outfall",),
    "point_chief": POINT_KINDS,
}
