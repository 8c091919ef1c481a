"""Benchmark case generator: nested codes, exact tiling, valid lines, tributaries, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from benchmarks.cases import ZoningCase, county_case, province_case

LEVELS = ("province", "city", "county", "township", "village")
DIGITS = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}
SMALL = {
    "n_counties": 4,
    "townships_per_county": 3,
    "villages_per_township": 4,
    "n_rivers": 300,
    "n_reservoirs": 6,
}


@pytest.fixture(scope="module")
def province() -> ZoningCase:
    return province_case(**SMALL)


@pytest.fixture(scope="module")
def county() -> ZoningCase:
    return county_case()


@pytest.fixture(scope="module", params=["province", "county"])
def case(request: pytest.FixtureRequest) -> ZoningCase:
    return request.getfixturevalue(request.param)


def _level(case: ZoningCase, level: str) -> np.ndarray:
    return np.flatnonzero(case.regions["level"] == level)


def test_counts_per_level(province: ZoningCase, county: ZoningCase) -> None:
    got = [len(_level(province, lv)) for lv in LEVELS]
    assert got == [1, 2, 4, 12, 48]
    assert [len(_level(county, lv)) for lv in LEVELS] == [1, 1, 1, 20, 240]
    assert len(province.rivers["code"]) == 300
    assert len(province.reservoirs["code"]) == 6
    assert province.crs == "EPSG:4545"


def test_codes_and_parent_prefixes(case: ZoningCase) -> None:
    r = case.regions
    assert len(set(r["code"])) == len(r["code"])
    level_of = dict(zip(r["code"], r["level"], strict=True))
    assert r["code"][0] == "990000" and r["parent_code"][0] is None
    for code, level, parent in zip(
        r["code"][1:], r["level"][1:], r["parent_code"][1:], strict=True
    ):
        assert len(code) == DIGITS[level] and code.isdigit()
        assert level_of[parent] == LEVELS[LEVELS.index(level) - 1]
        prefix = {"city": 2, "county": 4}.get(level, len(parent))
        assert code.startswith(parent[:prefix])
        assert code != parent


def test_children_tile_parents(case: ZoningCase) -> None:
    r = case.regions
    geom_of = dict(zip(r["code"], r["geometry"], strict=True))
    for level in LEVELS[1:]:
        idx = _level(case, level)
        geoms, parents = r["geometry"][idx], r["parent_code"][idx]
        for parent in np.unique(parents):
            union = shapely.union_all(geoms[parents == parent])
            assert shapely.area(shapely.symmetric_difference(union, geom_of[parent])) < 1.0
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
        assert pairs.any() == (len(geoms) > 1)
        assert (overlap < 1.0).all()


def test_geometries_valid(case: ZoningCase) -> None:
    for table in (case.regions, case.rivers, case.reservoirs):
        assert shapely.is_valid(table["geometry"]).all()
    assert set(shapely.get_type_id(case.regions["geometry"])) <= {3, 6}
    assert (shapely.get_type_id(case.reservoirs["geometry"]) == 3).all()


def test_rivers_are_lines_inside_the_province(case: ZoningCase) -> None:
    lines = case.rivers["geometry"]
    assert (shapely.get_type_id(lines) == 1).all()
    assert shapely.get_num_coordinates(lines).min() >= 2
    assert shapely.covered_by(lines, case.regions["geometry"][0]).all()
    assert shapely.is_simple(lines).mean() > 0.95
    assert shapely.length(lines).min() > 100.0
    assert set(case.rivers["managing_level"]) == {"city", "county", "township"}


def test_tributaries_end_on_earlier_main_stems(case: ZoningCase) -> None:
    rv = case.rivers
    index = {code: i for i, code in enumerate(rv["code"])}
    tribs = [i for i, p in enumerate(rv["parent_code"]) if p is not None]
    assert 0.25 < len(tribs) / len(rv["code"]) < 0.35
    for i in tribs:
        parent = index[rv["parent_code"][i]]
        assert parent < i and rv["parent_code"][parent] is None
        assert rv["code"][i].startswith(rv["code"][parent] + "-")
        end = shapely.get_coordinates(rv["geometry"][i])[-1]
        assert shapely.distance(shapely.Point(end), rv["geometry"][parent]) < 1e-6
        assert (shapely.get_coordinates(rv["geometry"][parent]) == end).all(axis=1).any()


def test_some_rivers_run_along_a_township_boundary(case: ZoningCase) -> None:
    townships = case.regions["geometry"][_level(case, "township")]
    edges = shapely.union_all(shapely.boundary(townships)).buffer(0.01)
    shared = shapely.length(shapely.intersection(case.rivers["geometry"], edges))
    assert (shared > 1_500.0).sum() >= 1


def test_reservoirs_sit_on_rivers_apart(case: ZoningCase) -> None:
    res = case.reservoirs["geometry"]
    area = shapely.area(res) / 1e6
    assert ((area > 0.99) & (area < 20.01)).all()
    index = {code: i for i, code in enumerate(case.rivers["code"])}
    rivers = case.rivers["geometry"][[index[c] for c in case.reservoirs["river_code"]]]
    assert shapely.intersects(res, rivers).all()
    left, right = shapely.STRtree(res).query(res, predicate="intersects")
    assert (left == right).all()


def test_deterministic_per_seed() -> None:
    def wkb(case: ZoningCase) -> list[bytes]:
        tables = (case.regions, case.rivers, case.reservoirs)
        return [b for t in tables for b in shapely.to_wkb(t["geometry"])]

    a, b = province_case(**SMALL, seed=7), province_case(**SMALL, seed=7)
    assert wkb(a) == wkb(b)
    for table in ("regions", "rivers", "reservoirs"):
        for key, col in getattr(a, table).items():
            if key != "geometry":
                assert list(col) == list(getattr(b, table)[key])
    assert wkb(a) != wkb(province_case(**SMALL, seed=8))
