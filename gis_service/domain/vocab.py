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

# audit outcome of a post in a rule period (巡河考核)
AUDIT_STATUS_LABELS: dict[str, str] = {
    "met": "达标",
    "on_track": "进行中",
    "behind": "滞后",
    "missed": "未达标",
    "not_required": "不作要求",
}
AUDIT_STATUSES: tuple[str, ...] = tuple(AUDIT_STATUS_LABELS)

# problems found on patrol (巡河发现问题), seeds 000 and 002
PROBLEM_CATEGORY_LABELS: dict[str, str] = {
    "sand_mining": "非法采砂",
    "encroachment": "侵占河道/围垦湖泊",
    "dumping": "倾倒垃圾/乱堆乱放",
    "sewage_outfall": "违法排污口",
    "illegal_fishing": "非法捕捞",
    "illegal_construction": "违章建设",
    "water_pollution": "水体污染",
    "facility_damage": "设施损坏",
    "other": "其他",
}
PROBLEM_CATEGORIES: tuple[str, ...] = tuple(PROBLEM_CATEGORY_LABELS)

PROBLEM_STATUS_LABELS: dict[str, str] = {
    "reported": "已上报",
    "handed_over": "已交办",
    "answered": "已答复",
    "closed": "已办结",
}
PROBLEM_STATUSES: tuple[str, ...] = tuple(PROBLEM_STATUS_LABELS)

USER_ROLE_LABELS: dict[str, str] = {
    "office": "河长办",
    "chief": "河湖长",
    "viewer": "公众",
}
USER_ROLES: tuple[str, ...] = tuple(USER_ROLE_LABELS)
