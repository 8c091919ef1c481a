"""Which chief answers for which segment or zone on a given day, and what has no chief.

Posts name a water body and a region at a level; at one level a river's segments are
split by region, so ``(water body, level, region)`` names the segment(s) a post covers. A
boundary stretch has a chief per bank: each bank inside the data needs its own. The water
area of a reservoir or lake belongs to its reservoir chief (库长) or lake chief (湖长); each
shoreline piece to the segment chief of its village. Ponds are watched by the village's
general chief (总河长) when they have no pond chief, so they are never reported unassigned.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

SEGMENT_ROLES = ("segment_chief", "river_chief", "lake_chief", "joint_chief")
WATER_AREA_ROLES = ("reservoir_chief", "lake_chief")

ASSIGNMENT_COLUMNS = [
    "target_type",
    "target_id",
    "bank",
    "region_code",
    "chief_id",
    "chief_name",
    "role",
    "post_id",
]
GAP_COLUMNS = [
    "target_type",
    "target_id",
    "water_body_code",
    "level",
    "bank",
    "region_code",
    "length_m",
    "area_m2",
    "reason",
]


def posts_valid_on(posts: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    when = pd.Timestamp(day)
    valid_from = pd.to_datetime(posts["valid_from"])
    valid_to = pd.to_datetime(posts["valid_to"])
    ok = (valid_from <= when) & (valid_to.isna() | (valid_to >= when))
    return posts[ok.fillna(False).astype(bool)]


def _segment_banks(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per (segment, bank) that needs a chief: inside segments have one bank."""
    seg = segments[segments["kind"] != "outside"]
    inside = seg[seg["kind"] == "inside"].assign(bank=None, need=seg["region_code"])
    banks = []
    for side in ("left", "right"):
        b = seg[(seg["kind"] == "boundary") & seg[f"{side}_region_code"].notna()]
        banks.append(b.assign(bank=side, need=b[f"{side}_region_code"]))
    out = pd.concat([inside, *banks], ignore_index=True)
    return out[["id", "water_body_code", "level", "bank", "need", "length_m"]]


def assignments(
    segments: pd.DataFrame, zones: pd.DataFrame, posts: pd.DataFrame, day: dt.date
) -> pd.DataFrame:
    """Every (segment or zone, bank) with the posts that cover it on ``day``."""
    valid = posts_valid_on(posts, day)
    banks = _segment_banks(segments)
    seg_posts = valid[valid["role"].isin(SEGMENT_ROLES)]
    a = banks.merge(
        seg_posts,
        left_on=["water_body_code", "level", "need"],
        right_on=["water_body_code", "level", "region_code"],
        how="inner",
    )
    a = a.assign(target_type="segment", target_id=a["id_x"] if "id_x" in a else a["id"])
    parts = [a]
    if not zones.empty:
        water = zones[zones["kind"] == "water_area"]
        area_posts = valid[valid["role"].isin(WATER_AREA_ROLES)]
        w = water.merge(area_posts, on="water_body_code", how="inner", suffixes=("", "_post"))
        parts.append(
            w.assign(
                target_type="zone", target_id=w["id"], bank=None, region_code=w["region_code_post"]
            )
        )
        shore = zones[zones["kind"].isin(["shoreline", "water_share"])]
        s = shore.merge(
            valid,
            on=["water_body_code", "level", "region_code"],
            how="inner",
            suffixes=("", "_post"),
        )
        parts.append(s.assign(target_type="zone", target_id=s["id"], bank=None))
    out = pd.concat(parts, ignore_index=True)
    for column in ASSIGNMENT_COLUMNS:
        if column not in out:
            out[column] = None
    return out[ASSIGNMENT_COLUMNS].reset_index(drop=True)


def unassigned(
    segments: pd.DataFrame,
    zones: pd.DataFrame,
    posts: pd.DataFrame,
    day: dt.date,
    *,
    ponds: set[str] | None = None,
) -> pd.DataFrame:
    """Segments (per bank) and zones with no chief on ``day``: the gaps an office must fill."""
    valid = posts_valid_on(posts, day)
    banks = _segment_banks(segments)
    seg_posts = valid[valid["role"].isin(SEGMENT_ROLES)][
        ["water_body_code", "level", "region_code"]
    ].drop_duplicates()
    m = banks.merge(
        seg_posts,
        left_on=["water_body_code", "level", "need"],
        right_on=["water_body_code", "level", "region_code"],
        how="left",
        indicator=True,
    )
    seg_gaps = m[m["_merge"] == "left_only"]
    rows = [
        pd.DataFrame(
            {
                "target_type": "segment",
                "target_id": seg_gaps["id"],
                "water_body_code": seg_gaps["water_body_code"],
                "level": seg_gaps["level"],
                "bank": seg_gaps["bank"],
                "region_code": seg_gaps["need"],
                "length_m": seg_gaps["length_m"],
                "area_m2": None,
                "reason": "no segment chief (河段长) on this date",
            }
        )
    ]
    if not zones.empty:
        z = zones[(zones["region_code"].notna()) | (zones["kind"] == "water_area")]
        z = z[~z["water_body_code"].isin(ponds or set())]
        water = z[z["kind"] == "water_area"]
        area_posts = set(valid[valid["role"].isin(WATER_AREA_ROLES)]["water_body_code"])
        wg = water[~water["water_body_code"].isin(area_posts)]
        rows.append(
            pd.DataFrame(
                {
                    "target_type": "zone",
                    "target_id": wg["id"],
                    "water_body_code": wg["water_body_code"],
                    "level": None,
                    "bank": None,
                    "region_code": None,
                    "length_m": None,
                    "area_m2": wg["area_m2"],
                    "reason": "no reservoir or lake chief (库长/湖长) on this date",
                }
            )
        )
        shore = z[z["kind"] == "shoreline"]
        keys = valid[["water_body_code", "level", "region_code"]].drop_duplicates()
        sm = shore.merge(
            keys, on=["water_body_code", "level", "region_code"], how="left", indicator=True
        )
        sg = sm[sm["_merge"] == "left_only"]
        rows.append(
            pd.DataFrame(
                {
                    "target_type": "zone",
                    "target_id": sg["id"],
                    "water_body_code": sg["water_body_code"],
                    "level": sg["level"],
                    "bank": None,
                    "region_code": sg["region_code"],
                    "length_m": None,
                    "area_m2": sg["area_m2"],
                    "reason": "no shoreline chief for this village on this date",
                }
            )
        )
    out = (
        pd.concat([r for r in rows if not r.empty], ignore_index=True)
        if any(not r.empty for r in rows)
        else pd.DataFrame(columns=GAP_COLUMNS)
    )
    return (
        out[GAP_COLUMNS]
        .sort_values(["target_type", "target_id", "bank"], na_position="first")
        .reset_index(drop=True)
    )
