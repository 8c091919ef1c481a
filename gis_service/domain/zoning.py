"""Zoning of a whole region: every table the zoning produces, from regions and waters.

Pure orchestration of the domain functions over plain tables (pandas frames of metric
shapely geometries); persistence and CRS handling are the caller's. The same input gives
the same output row for row, with the same ids.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import shapely

from gis_service.domain.joint import conveners, joint_sections
from gis_service.domain.network import confluences
from gis_service.domain.regions import NO_REGION, RegionHierarchy
from gis_service.domain.segment_zones import segment_polygons
from gis_service.domain.segmentation import (
    BOUNDARY,
    KIND_NAMES,
    RiverSegmentation,
    ZoningParams,
    concat_segments,
    segment_rivers,
)
from gis_service.domain.still_water import (
    as_multipolygon,
    shoreline_zones,
    water_area_shares,
    water_area_zone,
)
from gis_service.domain.vocab import LEVEL_RANK, LINEAR_WATER_KINDS

DEFAULT_RIVER_WIDTH_M = 50.0
DEFAULT_SHORE_WIDTH_M = 200.0
DEFAULT_MANAGING_LEVEL = "county"
# attribute columns of the still-water zone table (geometry aside), shared with persistence
STILL_ZONE_COLUMNS = (
    "id",
    "water_body_code",
    "kind",
    "level",
    "region_code",
    "region_codes",
    "area_m2",
    "shore_length_m",
    "share",
    "initiates_coordination",
)


@dataclass(frozen=True)
class ZoningConfig:
    """Everything that changes the result; stored with each run for reproducibility."""

    segmentation: ZoningParams = field(default_factory=ZoningParams)
    default_river_width_m: float = DEFAULT_RIVER_WIDTH_M
    default_shore_width_m: float = DEFAULT_SHORE_WIDTH_M
    default_managing_level: str = DEFAULT_MANAGING_LEVEL

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Zoning:
    segments: pd.DataFrame
    still_zones: pd.DataFrame
    joint_sections: pd.DataFrame
    confluences: pd.DataFrame
    conveners: pd.DataFrame
    segmentation: RiverSegmentation | None
    # EPSG code of each metric zone the zoning was measured in -> number of waters in it
    metric_zones: dict[int, int] = field(default_factory=dict)

    def counts(self) -> dict:
        seg = self.segments
        return {
            "segments_per_level": {
                str(k): int(v)
                for k, v in seg[seg.kind != "outside"].level.value_counts().sort_index().items()
            },
            "boundary_stretches": int((seg.kind == "boundary").sum()),
            "still_water_zones": {
                str(k): int(v) for k, v in self.still_zones.kind.value_counts().sort_index().items()
            },
            "joint_sections": len(self.joint_sections),
            "confluences": len(self.confluences),
            "conveners": len(self.conveners),
        }


def _code(codes: np.ndarray, rows: np.ndarray) -> list[str | None]:
    return [str(codes[r]) if r >= 0 else None for r in rows]


def _numbered(water: list[str], level: list[str], label: list[str]) -> list[str]:
    """Deterministic ids: the n-th stretch with this label along this river at this level."""
    seen: Counter = Counter()
    ids = []
    for w, lv, lab in zip(water, level, label, strict=True):
        seen[(w, lv, lab)] += 1
        ids.append(f"{w}/{lv}/{lab}/{seen[(w, lv, lab)]}")
    return ids


def build_zoning(
    regions: pd.DataFrame, waters: pd.DataFrame, config: ZoningConfig | None = None
) -> Zoning:
    """Zoning from regions (code, level, parent_code, geometry) and waters (code, kind,
    parent_code, managing_level, flow_reversed, buffer_width_m, management_range, geometry),
    all geometries in one metric CRS. Rows must come sorted by code for stable ids."""
    config = config or ZoningConfig()
    hierarchy = RegionHierarchy.from_rows(
        regions["code"].tolist(),
        regions["level"].tolist(),
        [p if isinstance(p, str) and p else None for p in regions["parent_code"]],
        regions["geometry"].to_numpy(),
    )
    linear = waters[waters["kind"].isin(LINEAR_WATER_KINDS)].reset_index(drop=True)
    still = waters[~waters["kind"].isin(LINEAR_WATER_KINDS)].reset_index(drop=True)
    seg_frame, joints, conf, conv, segmentation = _rivers(linear, hierarchy, config)
    zones = _still_waters(still, hierarchy, config)
    return Zoning(seg_frame, zones, joints, conf, conv, segmentation)


def _managing_levels(frame: pd.DataFrame, hierarchy: RegionHierarchy, default: str) -> list[str]:
    present = hierarchy.finer_levels("province")
    top = present[0] if present else default
    out = []
    for level in frame["managing_level"]:
        level = level if isinstance(level, str) and level else default
        # never start above the coarsest level present
        out.append(level if LEVEL_RANK[level] >= LEVEL_RANK[top] else top)
    return out


def _rivers(linear: pd.DataFrame, hierarchy: RegionHierarchy, config: ZoningConfig):
    empty = pd.DataFrame()
    if linear.empty:
        return (empty.assign(kind=[], level=[]), empty, empty, empty, None)
    result = segment_rivers(
        linear["geometry"].to_numpy(),
        hierarchy,
        managing_levels=_managing_levels(linear, hierarchy, config.default_managing_level),
        flow_reversed=linear["flow_reversed"].fillna(False).astype(bool).to_numpy(),
        params=config.segmentation,
    )
    codes = linear["code"].to_numpy(dtype=str)
    seg = result.segments
    # segments (inside/boundary) and outside stretches in one table
    both = concat_segments([seg, result.outside])
    ranks = np.array([LEVEL_RANK[lv] for lv in both.level], dtype=np.int64)
    order = np.lexsort((both.start, ranks, both.river))
    rows = both.take(order)  # order: row in the concatenation, < len(seg) for real segments
    water = codes[rows.river].tolist()
    region_codes = _code(hierarchy.codes, rows.region)
    left_codes = _code(hierarchy.codes, rows.left)
    right_codes = _code(hierarchy.codes, rows.right)
    kinds = [KIND_NAMES[k] for k in rows.kind]
    labels = [
        f"{lc or '-'}|{rgt or '-'}" if k == "boundary" else (reg or "outside")
        for k, reg, lc, rgt in zip(kinds, region_codes, left_codes, right_codes, strict=True)
    ]
    ids = _numbered(water, rows.level.tolist(), labels)
    id_of_original = np.empty(len(order), dtype=object)
    id_of_original[order] = ids
    parent_ids = [id_of_original[p] if p >= 0 else None for p in rows.parent]
    geoms = result.lines.substrings(rows.river, rows.start, rows.end)
    widths = linear["buffer_width_m"].fillna(config.default_river_width_m).to_numpy(dtype=float)
    ranges = linear["management_range"].to_numpy() if "management_range" in linear else None
    is_seg = order < len(seg)
    zone = np.full(len(order), None, dtype=object)
    zone[is_seg] = segment_polygons(
        rows.take(is_seg),
        geoms[is_seg],
        hierarchy,
        widths_m=widths[rows.river[is_seg]],
        management_ranges=None if ranges is None else ranges[rows.river[is_seg]],
    )
    key = pd.Series(list(zip(water, rows.level, strict=True)))
    ordinal = key.groupby(key).cumcount().to_numpy() + 1
    seg_frame = pd.DataFrame(
        {
            "id": ids,
            "water_body_code": water,
            "level": rows.level,
            "kind": kinds,
            "region_code": region_codes,
            "left_region_code": left_codes,
            "right_region_code": right_codes,
            "ordinal": ordinal,
            "chainage_from_m": rows.start,
            "chainage_to_m": rows.end,
            "length_m": rows.end - rows.start,
            "parent_id": parent_ids,
            "geometry": geoms,
            "zone_geometry": zone,
        }
    )

    js = joint_sections(result)
    j_water = codes[js.river].tolist()
    up = _code(hierarchy.codes, js.upstream)
    down = _code(hierarchy.codes, js.downstream)
    j_ids = _numbered(
        j_water,
        js.level.tolist(),
        [f"joint:{u or '-'}>{d or '-'}" for u, d in zip(up, down, strict=True)],
    )
    joints = pd.DataFrame(
        {
            "id": j_ids,
            "water_body_code": j_water,
            "level": js.level,
            "crossing_chainage_m": js.crossing,
            "chainage_from_m": js.start,
            "chainage_to_m": js.end,
            "upstream_region_code": up,
            "downstream_region_code": down,
            "along_boundary": js.along_boundary,
            "crossing_point": shapely.points(result.lines.interpolate(js.river, js.crossing)),
            "geometry": result.lines.substrings(js.river, js.start, js.end),
        }
    )

    index = {c: i for i, c in enumerate(codes)}
    parent = np.array(
        [index.get(p, -1) if isinstance(p, str) else -1 for p in linear["parent_code"]],
        dtype=np.int64,
    )
    cf = confluences(result.lines, parent)
    conf = pd.DataFrame(
        {
            "tributary_code": codes[cf.tributary],
            "main_code": codes[cf.main],
            "chainage_on_main_m": cf.chainage_on_main,
            "gap_m": cf.gap_m,
            "geometry": shapely.points(result.lines.interpolate(cf.main, cf.chainage_on_main)),
        }
    )
    conv = conveners(seg, hierarchy.codes)
    conv_frame = pd.DataFrame(
        {
            "water_body_code": [codes[r] for r in conv],
            "convener_region_code": [v["convener"] for v in conv.values()],
            "lengths_m": [v["lengths_m"] for v in conv.values()],
        }
    )
    return seg_frame, joints, conf, conv_frame, result


def _still_waters(
    still: pd.DataFrame, hierarchy: RegionHierarchy, config: ZoningConfig
) -> pd.DataFrame:
    rows: list[dict] = []
    levels_present = hierarchy.finer_levels("province")
    for water in still.itertuples(index=False):  # a few hundred water bodies at most
        geom = water.geometry
        area = water_area_zone(geom)
        rows.append(
            {
                "id": f"{water.code}/water_area",
                "water_body_code": water.code,
                "kind": "water_area",
                "level": None,
                "region_code": None,
                "region_codes": None,
                "area_m2": area["area_m2"],
                "shore_length_m": area["perimeter_m"],
                "share": None,
                "initiates_coordination": None,
                "geometry": as_multipolygon(geom),
            }
        )
        if water.kind == "pond":
            continue  # ponds have a pond chief (塘长) for the water only
        width = (
            water.buffer_width_m if pd.notna(water.buffer_width_m) else config.default_shore_width_m
        )
        mrange = getattr(water, "management_range", None)
        if "village" in levels_present:
            for z in shoreline_zones(
                geom,
                hierarchy,
                width_m=float(width),
                management_range=mrange,
            ):
                rows.append(
                    {
                        "id": f"{water.code}/shoreline/{z.region_code or 'outside'}",
                        "water_body_code": water.code,
                        "kind": "shoreline",
                        "level": z.level,
                        "region_code": z.region_code,
                        "region_codes": z.codes or None,
                        "area_m2": z.area_m2,
                        "shore_length_m": z.shore_length_m,
                        "share": None,
                        "initiates_coordination": None,
                        "geometry": z.geometry,
                    }
                )
        top = (
            water.managing_level
            if isinstance(water.managing_level, str)
            else config.default_managing_level
        )
        for level in levels_present:
            if LEVEL_RANK[level] < LEVEL_RANK[top] or level == "village":
                continue
            for share in water_area_shares(geom, hierarchy, level=level):
                rows.append(
                    {
                        "id": f"{water.code}/share/{level}/{share.region_code}",
                        "water_body_code": water.code,
                        "kind": "water_share",
                        "level": level,
                        "region_code": share.region_code,
                        "region_codes": None,
                        "area_m2": share.area_m2,
                        "shore_length_m": None,
                        "share": share.share,
                        "initiates_coordination": share.initiates_coordination,
                        "geometry": as_multipolygon(
                            shapely.intersection(
                                geom, hierarchy.geoms[hierarchy.index_of[share.region_code]]
                            )
                        ),
                    }
                )
    columns = [*STILL_ZONE_COLUMNS, "geometry"]
    return pd.DataFrame(rows, columns=columns)


__all__ = ["BOUNDARY", "NO_REGION", "Zoning", "ZoningConfig", "build_zoning"]
