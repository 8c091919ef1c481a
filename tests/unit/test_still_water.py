"""Still waters: shoreline ring split by villages, water shares of a shared lake, water zone."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from gis_service.domain.regions import RegionHierarchy
from gis_service.domain.still_water import (
    shoreline_ring,
    shoreline_zones,
    water_area_shares,
    water_area_zone,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
BIG = 10_000.0
LAKE = box(0, 0, 100, 100)


def corner_disk(w: float, quad_segs: int = 8) -> float:
    """Area of the full disk GEOS draws for round joins: an inscribed 4*quad_segs-gon."""
    n = 4 * quad_segs
    return n / 2 * w * w * math.sin(2 * math.pi / n)


def hierarchy(villages: dict[str, Polygon], townships: dict[str, list[str]] | None = None):
    """province 450000 > city 450500 > county 450502 > townships > villages (given polygons)."""
    townships = townships or {"450502100": list(villages)}
    rows = [("450000", "province", None), ("450500", "city", "450000")]
    rows.append(("450502", "county", "450500"))
    geoms = {c: g for c, g in villages.items()}
    for t, vs in townships.items():
        rows.append((t, "township", "450502"))
        geoms[t] = shapely.union_all([villages[v] for v in vs])
        rows += [(v, "village", t) for v in vs]
    top = shapely.union_all(list(villages.values()))
    geoms |= {"450000": top, "450500": top, "450502": top}
    codes, levels, parents = zip(*rows, strict=True)
    return RegionHierarchy.from_rows(codes, levels, parents, [geoms[c] for c in codes])


@pytest.fixture(scope="module")
def halves() -> RegionHierarchy:
    """Two villages split down the middle of the lake (x = 50), one township each."""
    return hierarchy(
        {
            "450502100200": box(-BIG, -BIG, 50, BIG),
            "450502101200": box(50, -BIG, BIG, BIG),
        },
        {"450502100": ["450502100200"], "450502101": ["450502101200"]},
    )


def test_ring_of_square_lake_is_exact():
    w = 50.0
    ring = shoreline_ring(LAKE, width_m=w)
    assert isinstance(ring, MultiPolygon)
    assert ring.area == pytest.approx(4 * 100 * w + corner_disk(w), rel=1e-12)
    assert ring.area == pytest.approx(4 * 100 * w + math.pi * w * w, rel=1e-2)  # round corners


def test_lake_between_two_villages_splits_in_half(halves):
    w = 50.0
    zones = shoreline_zones(LAKE, halves, width_m=w)
    assert [z.region_code for z in zones] == ["450502100200", "450502101200"]
    ring_area = 4 * 100 * w + corner_disk(w)
    for z in zones:
        assert isinstance(z.geometry, MultiPolygon)
        assert z.area_m2 == pytest.approx(ring_area / 2, rel=1e-9)
        assert z.geometry.area == pytest.approx(z.area_m2)
        assert z.shore_length_m == pytest.approx(200.0)
        assert z.level == "village"
    assert zones[0].codes == {
        "province": "450000",
        "city": "450500",
        "county": "450502",
        "township": "450502100",
        "village": "450502100200",
    }
    assert zones[1].codes["township"] == "450502101"


def test_township_level_split(halves):
    zones = shoreline_zones(LAKE, halves, width_m=50.0, level="township")
    assert [z.region_code for z in zones] == ["450502100", "450502101"]
    assert "village" not in zones[0].codes and zones[0].codes["county"] == "450502"


def test_equal_shares_have_one_deterministic_initiator(halves):
    shares = water_area_shares(LAKE, halves, level="village")
    assert [s.share for s in shares] == pytest.approx([0.5, 0.5])
    assert [s.initiates_coordination for s in shares] == [True, False]
    assert shares[0].region_code == "450502100200"  # tie -> smaller code
    assert sum(s.area_m2 for s in shares) == pytest.approx(10_000.0)


def test_larger_side_initiates_even_with_larger_code():
    h = hierarchy(
        {"450502100200": box(70, -BIG, BIG, BIG), "450502101200": box(-BIG, -BIG, 70, BIG)},
        {"450502100": ["450502100200"], "450502101": ["450502101200"]},
    )
    shares = water_area_shares(LAKE, h, level="township")
    assert [(s.region_code, s.initiates_coordination) for s in shares] == [
        ("450502101", True),
        ("450502100", False),
    ]
    assert [s.share for s in shares] == pytest.approx([0.7, 0.3])


def test_single_region_does_not_initiate():
    h = hierarchy({"450502100200": box(-BIG, -BIG, BIG, BIG)})
    (share,) = water_area_shares(LAKE, h, level="county")
    assert share.share == pytest.approx(1.0) and not share.initiates_coordination


def test_ring_beyond_all_regions_gives_outside_piece():
    """Regions end at y = 50 (the coast): the upper half of the ring lies in the sea."""
    w = 50.0
    h = hierarchy({"450502100200": box(-BIG, -BIG, BIG, 50)})
    zones = shoreline_zones(LAKE, h, width_m=w)
    assert [z.region_code for z in zones] == ["450502100200", None]
    half = 2 * 50 * w + 100 * w + corner_disk(w) / 2
    assert zones[0].area_m2 == pytest.approx(half, rel=1e-9)
    assert zones[1].area_m2 == pytest.approx(half, rel=1e-9)
    assert zones[1].codes == {}
    assert zones[0].shore_length_m == pytest.approx(200.0)
    assert zones[1].shore_length_m == pytest.approx(200.0)
    shares = water_area_shares(LAKE, h, level="village")
    assert len(shares) == 1 and shares[0].share == pytest.approx(0.5)
    assert not shares[0].initiates_coordination


def test_touching_regions_get_no_zone():
    """The ring ends at x = 150: one village touches it along a line, one at a point."""
    h = hierarchy(
        {
            "450502100200": box(-BIG, -BIG, 150, BIG),
            "450502100201": box(150, 0, BIG, BIG),  # line contact x = 150, 0 <= y <= 100
            "450502100202": box(150, -BIG, BIG, 0),  # point contact (150, 0)
        }
    )
    zones = shoreline_zones(LAKE, h, width_m=50.0)
    assert [z.region_code for z in zones] == ["450502100200"]
    assert zones[0].area_m2 == pytest.approx(shoreline_ring(LAKE, width_m=50.0).area)


def test_management_range_replaces_buffer(halves):
    zones = shoreline_zones(LAKE, halves, width_m=50.0, management_range=box(-20, -20, 120, 120))
    assert [z.area_m2 for z in zones] == pytest.approx([4800.0, 4800.0])


def test_slivers_dropped_but_area_accounted():
    """A split 5 mm inside the ring edge leaves a 0.5 m² sliver: dropped, areas still add up."""
    h = hierarchy(
        {
            "450502100200": box(-BIG, -BIG, 149.995, BIG),
            "450502100201": box(149.995, -BIG, BIG, BIG),
        }
    )
    ring = shoreline_ring(LAKE, width_m=50.0).area
    zones = shoreline_zones(LAKE, h, width_m=50.0)
    assert [z.region_code for z in zones] == ["450502100200"]
    assert zones[0].area_m2 == pytest.approx(ring, rel=1e-4)
    kept = shoreline_zones(LAKE, h, width_m=50.0, min_area_m2=0.1)
    assert sum(z.area_m2 for z in kept) == pytest.approx(ring, rel=1e-9)
    assert kept[1].area_m2 == pytest.approx(0.5, rel=1e-3)


def test_island_shore_and_multipolygon_water():
    island = box(150, 150, 250, 250)
    lake = box(0, 0, 400, 400).difference(island)
    w = 30.0
    h = hierarchy({"450502100200": box(-BIG, -BIG, BIG, BIG)})
    (zone,) = shoreline_zones(lake, h, width_m=w)
    outer = 4 * 400 * w + corner_disk(w)
    island_band = 100 * 100 - 40 * 40  # the hole shrinks with square corners
    assert zone.area_m2 == pytest.approx(outer + island_band, rel=1e-9)
    assert zone.shore_length_m == pytest.approx(4 * 400 + 4 * 100)
    assert water_area_zone(lake) == pytest.approx(
        {"area_m2": 160_000 - 10_000, "perimeter_m": 2000.0}
    )

    two = MultiPolygon([LAKE, box(1000, 0, 1100, 100)])
    h2 = hierarchy(
        {"450502100200": box(-BIG, -BIG, 500, BIG), "450502100201": box(500, -BIG, BIG, BIG)}
    )
    zones = shoreline_zones(two, h2, width_m=w)
    assert [z.shore_length_m for z in zones] == pytest.approx([400.0, 400.0])
    assert [z.area_m2 for z in zones] == pytest.approx([4 * 100 * w + corner_disk(w)] * 2)


def test_empty_and_bad_input(halves):
    assert shoreline_zones(Polygon(), halves, width_m=50.0) == []
    assert water_area_shares(Polygon(), halves, level="village") == []
    with pytest.raises(ValueError):
        shoreline_zones(LAKE, halves, width_m=0.0)
    with pytest.raises(ValueError):
        shoreline_zones(LAKE, halves, width_m=50.0, level="hamlet")


# ---------------------------------------------------------------- sample data (Beihai)


@pytest.fixture(scope="module")
def sample():
    regions = gpd.read_file(SAMPLE / "regions.geojson").to_crs(4545)
    water = gpd.read_file(SAMPLE / "water_bodies.geojson").to_crs(4545)
    h = RegionHierarchy.from_rows(
        regions["code"].tolist(),
        regions["level"].tolist(),
        [None if pd.isna(p) else p for p in regions["parent_code"]],
        regions.geometry.to_numpy(),
    )
    return h, water.set_index("code")


def test_sample_reservoir_rings_split_by_villages(sample):
    h, water = sample
    chiefs = pd.read_csv(SAMPLE / "chiefs.csv", dtype=str, keep_default_na=False)
    reservoirs = water[water["kind"] == "reservoir"]
    assert len(reservoirs) == 3
    for code, row in reservoirs.iterrows():
        width = float(row["buffer_width_m"])
        ring = shoreline_ring(row.geometry, width_m=width).area
        zones = shoreline_zones(row.geometry, h, width_m=width)
        villages = [z for z in zones if z.region_code is not None]
        assert len(villages) >= 2, code
        assert sum(z.area_m2 for z in zones) == pytest.approx(ring, rel=1e-4), code
        for z in villages:
            assert {"village", "township", "county", "city"} <= set(z.codes), code
            assert z.codes["village"] == z.region_code
            assert z.region_code.startswith(z.codes["township"])
        perimeter = water_area_zone(row.geometry)["perimeter_m"]
        assert sum(z.shore_length_m for z in zones) == pytest.approx(perimeter, rel=1e-6)
        # the roster gives a segment chief to every village with > 1000 m² of the ring
        roster = chiefs[(chiefs["water_body_code"] == code) & (chiefs["role"] == "segment_chief")]
        big = {z.region_code for z in villages if z.area_m2 > 1000.0}
        assert big == set(roster["region_code"]), code


def test_sample_lake_shared_by_two_townships(sample):
    h, water = sample
    lake = water.loc["H4505-01"]
    shares = water_area_shares(lake.geometry, h, level="township")
    assert len(shares) == 2
    assert sum(s.initiates_coordination for s in shares) == 1
    assert shares[0].initiates_coordination and shares[0].area_m2 >= shares[1].area_m2
    assert sum(s.share for s in shares) == pytest.approx(1.0, rel=1e-6)
    assert all(len(s.region_code) == 9 for s in shares)
