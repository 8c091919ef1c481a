"""Joint sections, conveners, the network, segment polygons and assignments: small cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from gis_service.domain.assignments import assignments, unassigned
from gis_service.domain.joint import conveners, joint_meeting_needed, joint_sections
from gis_service.domain.network import Network, confluences
from gis_service.domain.segment_zones import segment_polygons
from gis_service.domain.segmentation import ZoningParams, segment_rivers
from tests.unit.zoning_cases import two_counties


def test_joint_section_reaches_one_km_each_way_and_names_both_sides():
    h = two_counties(width=6000, height=2000)  # counties split at x = 3000
    river = shapely.LineString([(100, 500), (5900, 500)])
    result = segment_rivers([river], h, managing_levels=["city"])
    js = joint_sections(result)
    assert len(js) == 1  # the county crossing, recorded once (not again per township/village)
    assert js.level[0] == "county"
    assert js.crossing[0] == pytest.approx(2900.0)
    assert (js.start[0], js.end[0]) == pytest.approx((1900.0, 3900.0))
    assert (h.codes[js.upstream[0]], h.codes[js.downstream[0]]) == ("990101", "990102")


def test_joint_reach_is_configurable_and_clipped_to_the_river():
    h = two_counties(width=6000, height=2000)
    river = shapely.LineString([(2500, 500), (5900, 500)])
    result = segment_rivers(
        [river], h, managing_levels=["county"], params=ZoningParams(joint_reach_m=2000)
    )
    js = joint_sections(result)
    assert (js.start[0], js.end[0]) == pytest.approx((0.0, 2500.0))


def test_convener_is_the_county_with_the_longest_stretch():
    h = two_counties(width=6000, height=2000)
    river = shapely.LineString([(1000, 500), (5900, 500)])  # 2000 m west, 2900 m east
    result = segment_rivers([river], h, managing_levels=["county"])
    conv = conveners(result.segments, h.codes)
    assert conv[0]["convener"] == "990102"
    assert conv[0]["lengths_m"] == pytest.approx({"990101": 2000.0, "990102": 2900.0})


@pytest.mark.parametrize(
    ("roles", "levels", "needed"),
    [
        ([], [], True),  # nobody on the river: the convener calls the meeting
        (["river_chief"], ["city"], False),
        (["river_chief"], ["province"], False),
        (["river_chief", "river_chief"], ["county", "township"], True),  # counties only
        (["deputy_chief", "lake_chief"], ["city", "province"], True),  # not river chiefs
        (["deputy_chief", "river_chief"], ["province", "city"], False),
        (["river_chief"], ["no-such-level"], True),  # an unknown level is not city-level
    ],
)
def test_joint_meeting_needed_when_the_river_has_no_city_level_chief(roles, levels, needed):
    assert joint_meeting_needed(roles, levels) is needed


def test_joint_meeting_rule_refuses_mismatched_posts():
    with pytest.raises(ValueError, match="one entry per post"):
        joint_meeting_needed(["river_chief"], [])


def test_upstream_walks_into_tributaries_and_downstream_into_the_main_stem():
    h = two_counties(width=6000, height=2000)
    main = shapely.LineString([(100, 500), (5900, 500)])
    trib = shapely.LineString([(2000, 1900), (2000, 500)])  # joins main at x = 2000
    result = segment_rivers([main, trib], h, managing_levels=["county", "county"])
    conf = confluences(result.lines, np.array([-1, 0]))
    assert conf.chainage_on_main[0] == pytest.approx(1900.0)
    net = Network(result.segments, result.lines.lengths, conf)
    seg = result.segments
    east_main = int(
        np.flatnonzero(
            (seg.river == 0) & (seg.level == "county") & (seg.region == h.index_of["990102"])
        )[0]
    )
    up = net.upstream(east_main)
    up_rivers = {(int(seg.river[n.segment]), str(seg.level[n.segment])) for n in up}
    assert (1, "county") in up_rivers and (0, "county") in up_rivers
    trib_hit = next(n for n in up if seg.river[n.segment] == 1)
    assert trib_hit.distance_m == pytest.approx(2900.0 - 1900.0)
    trib_seg = int(np.flatnonzero((seg.river == 1) & (seg.level == "county"))[0])
    down = net.downstream(trib_seg)
    assert [h.codes[seg.region[n.segment]] for n in down] == ["990101", "990102"]
    assert down[-1].distance_m == pytest.approx(1000.0)  # confluence x=2000 to x=3000
    assert net.upstream(east_main, max_distance_m=500) == [n for n in up if n.distance_m <= 500]


def test_segment_polygon_is_a_buffer_clipped_to_the_region():
    h = two_counties()
    river = shapely.LineString([(100, 500), (1900, 500)])
    result = segment_rivers([river], h, managing_levels=["county"])
    seg = result.segments.take(result.segments.level == "county")
    geoms = result.lines.substrings(seg.river, seg.start, seg.end)
    polys = segment_polygons(seg, geoms, h, widths_m=np.full(len(seg), 50.0))
    west = polys[np.argsort(seg.start)[0]]
    assert west.area == pytest.approx(900 * 100, rel=1e-6)
    assert west.bounds[2] <= 1000 + 1e-9  # clipped at the county boundary


def _frames():
    segments = pd.DataFrame(
        [
            {
                "id": "R/county/A/1",
                "water_body_code": "R",
                "level": "county",
                "kind": "inside",
                "region_code": "A",
                "left_region_code": None,
                "right_region_code": None,
                "length_m": 100.0,
            },
            {
                "id": "R/county/A|B/1",
                "water_body_code": "R",
                "level": "county",
                "kind": "boundary",
                "region_code": None,
                "left_region_code": "A",
                "right_region_code": "B",
                "length_m": 50.0,
            },
        ]
    )
    zones = pd.DataFrame(
        [
            {
                "id": "K/water_area",
                "water_body_code": "K",
                "kind": "water_area",
                "level": None,
                "region_code": None,
                "area_m2": 1.0,
            },
            {
                "id": "K/shoreline/V",
                "water_body_code": "K",
                "kind": "shoreline",
                "level": "village",
                "region_code": "V",
                "area_m2": 1.0,
            },
        ]
    )
    posts = pd.DataFrame(
        [
            {
                "post_id": 1,
                "chief_id": "P1",
                "chief_name": "甲",
                "role": "segment_chief",
                "level": "county",
                "region_code": "A",
                "water_body_code": "R",
                "valid_from": dt.date(2026, 1, 1),
                "valid_to": dt.date(2026, 6, 30),
            },
            {
                "post_id": 2,
                "chief_id": "P2",
                "chief_name": "乙",
                "role": "reservoir_chief",
                "level": "county",
                "region_code": "A",
                "water_body_code": "K",
                "valid_from": dt.date(2026, 1, 1),
                "valid_to": None,
            },
        ]
    )
    return segments, zones, posts


def test_unassigned_lists_banks_and_zones_and_follows_post_dates():
    segments, zones, posts = _frames()
    june = unassigned(segments, zones, posts, dt.date(2026, 6, 1))
    assert set(zip(june.target_id, june.bank.fillna(""), strict=True)) == {
        ("R/county/A|B/1", "right"),
        ("K/shoreline/V", ""),
    }
    july = unassigned(segments, zones, posts, dt.date(2026, 7, 1))
    assert ("R/county/A/1", "") in set(zip(july.target_id, july.bank.fillna(""), strict=True))
    held = assignments(segments, zones, posts, dt.date(2026, 6, 1))
    assert set(zip(held.target_id, held.chief_id, strict=True)) == {
        ("R/county/A/1", "P1"),
        ("R/county/A|B/1", "P1"),
        ("K/water_area", "P2"),
    }
