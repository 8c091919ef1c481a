"""The columns each layer is read with, named once: the OGC collections, the notebook's
frames and the zoning queries all list them from here (in this order)."""

from __future__ import annotations

REGION_FIELDS = ("code", "name", "level", "parent_code", "kind")
WATER_BODY_FIELDS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "managing_level",
    "managing_region_code",
)
# what a segment says about itself (besides its ``id`` and ``parent_id``)
SEGMENT_FIELDS = (
    "water_body_code",
    "level",
    "kind",
    "region_code",
    "left_region_code",
    "right_region_code",
    "ordinal",
    "chainage_from_m",
    "chainage_to_m",
    "length_m",
)
ZONE_FIELDS = (
    "water_body_code",
    "kind",
    "level",
    "region_code",
    "area_m2",
    "shore_length_m",
    "share",
    "initiates_coordination",
)
JOINT_FIELDS = (
    "water_body_code",
    "level",
    "crossing_chainage_m",
    "chainage_from_m",
    "chainage_to_m",
    "upstream_region_code",
    "downstream_region_code",
    "along_boundary",
)
