"""Which post answers for which segment or zone on a given day, and what has no chief.

One place for the rules, used by patrol matching, the audit, the roster and the maps:

- **Segments.** A post on a water body at a level in a region covers the segments of that
  water at that level in that region (``(water body, level, region)`` names them, so the
  zoning can change without orphaning posts); a boundary stretch has a post per bank.
  Chiefs, deputies (副河长 share the duty), joint chiefs and patrol staff (巡河员, 保洁员) alike.
- **Reservoirs and lakes** [seed 001]. The water area (水域) is the reservoir chief's (库长),
  and a lake chief's when the post's region holds the whole lake. The land/shore zone (陆域)
  is split into shoreline pieces by village; every other post on the water, at any level,
  covers the pieces inside its region (a county's 陆域 chief: every piece in the county; a
  township lake chief of a shared lake: the pieces in the township).
- **General chiefs** (总河长, 副总河长) hold a region: every water inside it is theirs. They get
  each water's segments at the coarsest level not coarser than their own (a county general
  chief: the county-level segments of a city river, the township-level ones of a township
  river) and the shoreline pieces inside the region, so no stretch is counted twice.
- Ponds are watched by the village's general chief (总河长) when they have no pond chief, so
  they are never reported unassigned.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gis_service.domain.vocab import LEVEL_RANK, LEVELS, REGION_ROLES

WATER_AREA_ROLES = ("reservoir_chief", "lake_chief")
WHOLE_SHARE = 0.999  # a region holding this share of a lake holds all of it

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


def shoreline_codes(zones: pd.DataFrame) -> pd.DataFrame:
    """Shoreline pieces with the code of their region at every level (``code_<level>``),
    from ``region_codes`` (a dict per row) or, without it, their own region only."""
    shore = zones[zones["kind"] == "shoreline"]
    codes = shore["region_codes"] if "region_codes" in shore else pd.Series([None] * len(shore))
    out = shore.assign(
        **{
            f"code_{level}": [
                c.get(level) if isinstance(c, dict) else (r if lv == level else None)
                for c, r, lv in zip(codes, shore["region_code"], shore["level"], strict=True)
            ]
            for level in LEVELS
        }
    )
    return out


def assignments(
    segments: pd.DataFrame,
    zones: pd.DataFrame,
    posts: pd.DataFrame,
    day: dt.date | None,
    *,
    ancestors: dict[str, tuple[str, ...]] | None = None,
    water_kinds: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Every (segment or zone, bank) with the posts that cover it on ``day`` (every post
    given when ``day`` is None).

    ``segments``: id, water_body_code, level, kind, region_code, left/right_region_code,
    length_m; ``zones``: id, kind, water_body_code, level, region_code, region_codes (dict
    of codes per level), share; ``posts``: post_id, chief_id, chief_name, role, level,
    region_code, water_body_code, valid_from, valid_to. ``ancestors`` (code -> codes above
    it) places segments inside a general chief's region; ``water_kinds`` tells reservoirs
    and lakes from ponds.
    """
    valid = posts if day is None else posts_valid_on(posts, day)
    kinds = water_kinds or {}
    on_water = valid[~valid["role"].isin(REGION_ROLES)]
    banks = _segment_banks(segments)
    a = banks.merge(
        on_water,
        left_on=["water_body_code", "level", "need"],
        right_on=["water_body_code", "level", "region_code"],
        how="inner",
    )
    a = a.assign(target_type="segment", target_id=a["id_x"] if "id_x" in a else a["id"])
    parts = [a, _general_segments(banks, valid, ancestors or {})]
    if not zones.empty:
        parts += _zone_posts(zones, valid, on_water, kinds)
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=ASSIGNMENT_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    for column in ASSIGNMENT_COLUMNS:
        if column not in out:
            out[column] = None
    return out[ASSIGNMENT_COLUMNS].reset_index(drop=True)


def _general_segments(
    banks: pd.DataFrame, valid: pd.DataFrame, ancestors: dict[str, tuple[str, ...]]
) -> pd.DataFrame:
    """Segments (per bank) inside each general chief's region, one level per water."""
    general = valid[valid["role"].isin(REGION_ROLES)]
    if len(general) == 0 or len(banks) == 0:
        return pd.DataFrame()
    # (bank row, region containing it) for the bank's own region and each one above it
    need = banks["need"].to_numpy()
    up = [(i, code) for i, c in enumerate(need) for code in (c, *ancestors.get(c, ()))]
    pairs = pd.DataFrame(up, columns=["row", "region_code"])
    m = pairs.merge(general, on="region_code").rename(columns={"level": "post_level"})
    b = banks.reset_index(drop=True)
    m = m.assign(
        id=b["id"].to_numpy()[m["row"]],
        water_body_code=b["water_body_code"].to_numpy()[m["row"]],
        seg_level=b["level"].to_numpy()[m["row"]],
        bank=b["bank"].to_numpy()[m["row"]],
    )
    m = m.drop(columns=["water_body_code_x", "water_body_code_y"], errors="ignore")
    rank = m["seg_level"].map(LEVEL_RANK)
    m = m[rank >= m["post_level"].map(LEVEL_RANK)].assign(rank=rank)
    if len(m) == 0:
        return pd.DataFrame()
    coarsest = m.groupby(["post_id", "water_body_code"])["rank"].transform("min")
    m = m[m["rank"] == coarsest].drop_duplicates(["post_id", "id", "bank"])
    return m.assign(target_type="segment", target_id=m["id"], level=m["post_level"])


def _zone_posts(
    zones: pd.DataFrame, valid: pd.DataFrame, on_water: pd.DataFrame, kinds: dict[str, str]
) -> list[pd.DataFrame]:
    """Water areas and shoreline pieces with the posts that cover them (module docstring)."""
    water = zones[zones["kind"] == "water_area"]
    shares = zones[zones["kind"] == "water_share"]
    partial = set()
    if len(shares) and "share" in shares:
        part = shares[shares["share"].astype(float) < WHOLE_SHARE]
        partial = set(zip(part["water_body_code"], part["level"], part["region_code"], strict=True))
    holds_part = np.array(
        [
            (w, lv, r) in partial
            for w, lv, r in zip(
                on_water["water_body_code"], on_water["level"], on_water["region_code"], strict=True
            )
        ],
        dtype=bool,
    )
    is_pond = on_water["water_body_code"].map(kinds).eq("pond").to_numpy()
    area_roles = on_water["role"].isin(WATER_AREA_ROLES).to_numpy()
    # the water area: 库长; a lake chief of the whole lake; anyone on a pond
    area_posts = on_water[
        (on_water["role"].eq("reservoir_chief").to_numpy()) | (area_roles & ~holds_part) | is_pond
    ]
    w = water.merge(area_posts, on="water_body_code", how="inner", suffixes=("", "_post"))
    w = w.assign(
        target_type="zone", target_id=w["id"], bank=None, region_code=w["region_code_post"]
    )
    # the shoreline pieces: every other post on the water, by its level's code of the piece
    shore = shoreline_codes(zones)
    shore_posts = on_water[~on_water["post_id"].isin(area_posts["post_id"])]
    general = valid[valid["role"].isin(REGION_ROLES)]
    parts = [w]
    levels = set(shore_posts["level"]) | set(general["level"]) if len(shore) else set()
    for level in [lv for lv in LEVELS if lv in levels]:
        column = f"code_{level}"
        posts_here = shore_posts[shore_posts["level"] == level]
        s = shore.merge(
            posts_here,
            left_on=["water_body_code", column],
            right_on=["water_body_code", "region_code"],
            how="inner",
            suffixes=("", "_post"),
        )
        g = shore.merge(
            general[general["level"] == level].drop(columns=["water_body_code"]),
            left_on=column,
            right_on="region_code",
            how="inner",
            suffixes=("", "_post"),
        )
        for frame in (s, g):
            if len(frame):
                parts.append(
                    frame.assign(
                        target_type="zone",
                        target_id=frame["id"],
                        bank=None,
                        region_code=frame["region_code_post"],
                    )
                )
    return parts


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
    seg_posts = valid[~valid["role"].isin(REGION_ROLES)][
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
