"""River segmentation: hand-checked cases and the invariants, also on random cases."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gis_service.domain.regions import RegionHierarchy
from gis_service.domain.segmentation import BOUNDARY, INSIDE, segment_rivers
from tests.unit.zoning_cases import meander, random_hierarchy, two_counties


def _labels(h: RegionHierarchy, seg, level: str) -> list[tuple]:
    m = np.flatnonzero(seg.level == level)
    m = m[np.argsort(seg.start[m])]
    out = []
    for j in m:
        if seg.kind[j] == INSIDE:
            out.append((h.codes[seg.region[j]], round(seg.start[j], 3), round(seg.end[j], 3)))
        else:
            left = h.codes[seg.left[j]] if seg.left[j] >= 0 else None
            right = h.codes[seg.right[j]] if seg.right[j] >= 0 else None
            out.append((f"{left}|{right}", round(seg.start[j], 3), round(seg.end[j], 3)))
    return out


def check_invariants(h: RegionHierarchy, result, rel_tol: float = 1e-4) -> None:
    """Partition per level, no overlaps or gaps, nesting in the parent segment and region."""
    seg, out = result.segments, result.outside
    for river, length in enumerate(result.lines.lengths):
        for level in result.levels:
            ms = (seg.river == river) & (seg.level == level)
            mo = (out.river == river) & (out.level == level)
            if not ms.any() and not mo.any():
                continue
            starts = np.concatenate([seg.start[ms], out.start[mo]])
            ends = np.concatenate([seg.end[ms], out.end[mo]])
            order = np.argsort(starts)
            starts, ends = starts[order], ends[order]
            total = (ends - starts).sum()
            assert abs(total - length) <= rel_tol * length + 1e-6, (river, level)
            assert starts[0] <= 1e-3 and abs(ends[-1] - length) <= 1e-3
            np.testing.assert_allclose(starts[1:], ends[:-1], atol=1e-3)  # no gap, no overlap
    for j in np.flatnonzero(seg.parent >= 0):
        p = seg.parent[j]
        assert seg.river[p] == seg.river[j]
        assert seg.start[p] - 1e-3 <= seg.start[j] and seg.end[j] <= seg.end[p] + 1e-3
        parent_level = seg.level[p]
        if seg.kind[j] == INSIDE and seg.kind[p] == INSIDE:
            assert h.ancestor(np.array([seg.region[j]]), parent_level)[0] == seg.region[p]
        if seg.kind[j] == BOUNDARY and seg.kind[p] == INSIDE:
            for side in ("left", "right"):
                child = getattr(seg, side)[j]
                if child >= 0:
                    assert h.ancestor(np.array([child]), parent_level)[0] == seg.region[p]
        if seg.kind[j] == BOUNDARY and seg.kind[p] == BOUNDARY:
            for side in ("left", "right"):
                child = getattr(seg, side)[j]
                if child >= 0:
                    assert h.ancestor(np.array([child]), parent_level)[0] == getattr(seg, side)[p]
    assert np.all(seg.left[seg.kind == BOUNDARY] != seg.right[seg.kind == BOUNDARY])


def test_straight_river_across_two_counties():
    h = two_counties()
    river = shapely.LineString([(100, 500), (1900, 500)])
    result = segment_rivers([river], h, managing_levels=["city"])
    check_invariants(h, result)
    assert _labels(h, result.segments, "county") == [
        ("990101", 0.0, 900.0),
        ("990102", 900.0, 1800.0),
    ]
    assert _labels(h, result.segments, "village") == [
        ("990101001001", 0.0, 900.0),
        ("990102001001", 900.0, 1800.0),
    ]


def test_reversed_digitising_gives_the_same_segments():
    h = two_counties()
    forward = shapely.LineString([(100, 500), (1000, 700), (1900, 500)])
    backward = shapely.reverse(forward)
    a = segment_rivers([forward], h, managing_levels=["county"])
    b = segment_rivers([backward], h, managing_levels=["county"], flow_reversed=[True])
    for level in ("county", "township", "village"):
        assert _labels(h, a.segments, level) == _labels(h, b.segments, level)


def test_river_along_a_county_boundary_is_one_stretch_with_banks():
    """Flowing north on x = 1000 +- 10 m: the west county is the left bank."""
    h = two_counties()
    y = np.linspace(100, 1900, 181)
    x = 1000 + 10 * np.sin(y / 37.0)  # wiggles across the boundary every ~115 m
    river = shapely.LineString(np.column_stack([x, y]))
    result = segment_rivers([river], h, managing_levels=["county"])
    check_invariants(h, result)
    county = _labels(h, result.segments, "county")
    assert len(county) == 1 and county[0][0] == "990101|990102"
    village = _labels(h, result.segments, "village")
    # split where the banks' villages change at y = 1000
    assert [v[0] for v in village] == ["990101001001|990102001001", "990101001002|990102001002"]


def test_crossing_a_corner_for_a_few_metres_is_not_a_segment():
    h = two_counties()
    # dips 5 m into the east county around x = 1005 for about 20 m of length
    river = shapely.LineString([(200, 300), (995, 300), (1005, 305), (995, 310), (200, 320)])
    result = segment_rivers([river], h, managing_levels=["county"])
    check_invariants(h, result)
    assert [lab[0] for lab in _labels(h, result.segments, "county")] == ["990101"]


def test_multi_part_river_chainage_continues_over_the_gap():
    h = two_counties()
    river = shapely.MultiLineString([[(100, 500), (600, 500)], [(700, 500), (1900, 500)]])
    result = segment_rivers([river], h, managing_levels=["county"])
    check_invariants(h, result)
    assert result.lines.lengths[0] == pytest.approx(1700.0)
    assert _labels(h, result.segments, "county") == [
        ("990101", 0.0, 800.0),
        ("990102", 800.0, 1700.0),
    ]


def test_river_leaving_the_data_has_outside_stretches():
    h = two_counties()
    river = shapely.LineString([(-500, 1500), (1500, 1500), (1500, 2600)])
    result = segment_rivers([river], h, managing_levels=["city"])
    check_invariants(h, result)
    outside = result.outside
    assert sorted(np.round(outside.length[outside.level == "city"], 3)) == [500.0, 600.0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_rivers=st.integers(1, 6))
def test_invariants_on_random_regions_and_rivers(seed, n_rivers):
    rng = np.random.default_rng(seed)
    h = random_hierarchy(rng)
    rivers = [
        meander(rng, rng.uniform(0, 10_000, 2), rng.uniform(0, 2 * np.pi), rng.uniform(500, 15_000))
        for _ in range(n_rivers)
    ]
    # a river that follows a township boundary exactly, then leaves it
    town = h.geoms[h.rows_at("township")[0]]
    along = shapely.ops.substring(
        town.exterior if town.geom_type == "Polygon" else town.geoms[0].exterior, 0, 3000
    )
    rivers.append(along)
    levels = rng.choice(["city", "county", "township"], size=len(rivers))
    result = segment_rivers(rivers, h, managing_levels=levels)
    check_invariants(h, result)
