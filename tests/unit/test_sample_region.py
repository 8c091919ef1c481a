"""The sample region generator: tiling, water network rules, roster defects, determinism."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import gpxpy
import pandas as pd
import pytest
import shapely

from gis_service.domain.crs import transform
from gis_service.domain.rules import load_rules
from gis_service.sample.generate import generate

METRIC = "EPSG:4545"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out, with_tracks=True)


@pytest.fixture(scope="module")
def regions(sample) -> gpd.GeoDataFrame:
    frame = gpd.read_file(sample[0] / "regions.geojson")
    return frame.assign(m=transform(frame.geometry.to_numpy(), "EPSG:4326", METRIC))


@pytest.fixture(scope="module")
def water(sample) -> gpd.GeoDataFrame:
    frame = gpd.read_file(sample[0] / "water_bodies.geojson")
    return frame.assign(m=transform(frame.geometry.to_numpy(), "EPSG:4326", METRIC))


@pytest.fixture(scope="module")
def chiefs(sample) -> pd.DataFrame:
    return pd.read_csv(sample[0] / "chiefs.csv", dtype=str, keep_default_na=False)


def test_region_counts_and_codes(regions):
    counts = regions["level"].value_counts()
    assert counts["city"] == 1 and counts["county"] == 4
    assert 15 <= counts["township"] <= 25 and 120 <= counts["village"] <= 180
    digits = {"province": 6, "city": 6, "county": 6, "township": 9, "village": 12}
    codes = set(regions["code"])
    for row in regions.itertuples():
        assert len(row.code) == digits[row.level] and row.code.isdigit()
        if row.level == "province":
            assert pd.isna(row.parent_code)
            continue
        assert row.parent_code in codes
        if row.level in ("township", "village"):
            assert row.code.startswith(row.parent_code)
    assert set(regions["kind"]) == {"government"}


@pytest.mark.parametrize("level", ["county", "township", "village"])
def test_children_tile_parent(regions, level):
    geoms = regions.set_index("code")["m"]
    children = regions[regions["level"] == level]
    assert shapely.is_valid(children["m"].to_numpy()).all()
    assert (children.geometry.geom_type == "MultiPolygon").all()
    assert (shapely.area(children["m"].to_numpy()) > 0).all()
    for parent, group in children.groupby("parent_code"):
        kids = group["m"].to_numpy()
        union = shapely.union_all(kids)
        assert shapely.area(shapely.symmetric_difference(union, geoms[parent])) < 1.0
        left, right = shapely.STRtree(kids).query(kids, predicate="intersects")
        pairs = left < right
        overlap = shapely.area(shapely.intersection(kids[left[pairs]], kids[right[pairs]]))
        assert overlap.sum() < 1.0


def test_city_rivers_and_tributaries(water):
    by_code = water.set_index("code")
    city_rivers = water[(water["managing_level"] == "city") & (water["kind"] == "river")]
    assert sorted(city_rivers["name"]) == sorted(["南流江", "洪潮江", "旺盛江", "马江"])
    tribs = water[water["parent_code"].notna()]
    assert len(tribs) >= 8
    for row in tribs.itertuples():
        coords = shapely.get_coordinates(row.m)
        mouth = coords[0] if row.flow_reversed else coords[-1]
        assert shapely.distance(shapely.Point(mouth), by_code.loc[row.parent_code, "m"]) < 1e-6
    assert water["flow_reversed"].sum() == 1


def test_river_follows_county_boundary(regions, water):
    counties = regions[regions["level"] == "county"]["m"].to_numpy()
    inner = shapely.union_all(shapely.boundary(counties)).buffer(1.0)
    lines = water[water["kind"].isin(["river", "canal"])]["m"].to_numpy()
    along = shapely.length(shapely.intersection(lines, inner))
    assert along.max() >= 3000.0


def test_reservoirs_and_extent(regions, water):
    lines = shapely.union_all(water[water["kind"] == "river"]["m"].to_numpy())
    reservoirs = water[water["kind"] == "reservoir"]
    assert len(reservoirs) == 3
    area = shapely.area(reservoirs["m"].to_numpy())
    assert ((area > 5e6) & (area < 3e7)).all()
    assert shapely.intersects(reservoirs["m"].to_numpy(), lines).all()
    city = regions.loc[regions["level"] == "city", "m"].iloc[0]
    for row in water.itertuples():
        far = shapely.distance(shapely.points(shapely.get_coordinates(row.m)), city).max()
        # the real, generalised Nanliu runs along the Yulin boundary up to ~1.8 km outside
        assert far < (2000.0 if row.name == "南流江" else 100.0), row.name


def test_roster(regions, chiefs, sample):
    codes = set(regions["code"])
    general = chiefs[chiefs["role"] == "general_chief"]
    assert set(general["region_code"]) <= codes
    assert set(general["level"]) == {"city", "county", "township", "village"}
    assert (general["water_body_code"] == "").all()
    assert (chiefs["valid_to"] != "").sum() == 1
    ended = chiefs[chiefs["valid_to"] == "2026-08-15"].iloc[0]
    successor = chiefs[chiefs["valid_from"] == "2026-08-16"].iloc[0]
    assert (ended["water_body_code"], ended["region_code"]) == (
        successor["water_body_code"],
        successor["region_code"],
    )
    assert ended["person_id"] != successor["person_id"]
    gap = sample[1]["unassigned_segment"]
    held = chiefs[
        (chiefs["water_body_code"] == gap["water_body_code"])
        & (chiefs["region_code"] == gap["region_code"])
    ]
    assert held.empty
    assert chiefs["person_id"].duplicated().any()  # some people hold several posts


def test_tracks_manifest(sample):
    folder = sample[0] / "tracks"
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    counts = manifest["kind"].value_counts()
    for kind in (
        "good",
        "too_short",
        "off_segment",
        "vehicle",
        "jumps",
        "gcj02",
        "reupload",
        "straight_synthetic",
    ):
        assert counts.get(kind, 0) >= 2, kind
    assert sum(p.stat().st_size for p in folder.glob("*.gpx")) < 15e6
    for name in manifest["file"].iloc[::10]:
        with (folder / name).open(encoding="utf-8") as fh:
            gpx = gpxpy.parse(fh)
        assert gpx.tracks[0].segments[0].points
    good = manifest[manifest["kind"] == "good"]
    assert (good["covered_to_m"] <= good["stretch_length_m"] + 1e-6).all()


def test_tracks_are_planned_against_the_rules(sample, chiefs):
    folder = sample[0] / "tracks"
    plan = pd.read_csv(folder / "plan.csv", dtype=str, keep_default_na=False)
    manifest = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)
    assert len(plan) == len(chiefs)  # every post: planned, or named as having nothing to walk
    assert set(plan["role"]) == set(chiefs["role"])
    behaviour = plan.drop_duplicates("person_id").set_index("person_id")["behaviour"]
    assert set(behaviour) == {"diligent", "late", "partial", "absent"}
    change = sample[1]["chief_change"]
    assert behaviour[change["old_person_id"]] == behaviour[change["new_person_id"]] == "absent"
    assert behaviour["P0145"] == behaviour["P0210"] == "diligent"
    good = manifest[manifest["kind"] == "good"]
    absent = set(behaviour[behaviour == "absent"].index)
    assert not good["person_id"].isin(absent).any()
    assert set(good["role"]) >= {"segment_chief", "general_chief", "deputy_chief"}
    # late chiefs patrol in the last five days of a month (local dates, UTC+8)
    late = good[good["behaviour"] == "late"]
    days = pd.to_datetime(late["start_time"]).dt.tz_convert("Asia/Shanghai")
    assert len(late) and (days.dt.days_in_month - days.dt.day < 5).all()
    # what an audit of the closed quarter should show for the posts with water to walk
    planned = plan[plan["expected_status"] != "unplanned"]
    assert 0.6 <= (planned["expected_status"] == "met").mean() <= 0.8
    # short stretches (where half the own length is under the counting distance) are walked
    # too, end to end, and every planned patrol lasts the rules file's minimum duration
    counting = load_rules().counting
    own = planned["own_length_m"].astype(float)
    short = planned[(own * counting.own_length_share < counting.min_distance_m) & (own > 0)]
    assert (short["planned_patrols"].astype(int) > 0).sum() >= 20
    # under one counting distance long (never walked before issue 13's fix): most are walked
    tiny = plan[plan["own_length_m"].astype(float).between(1.0, counting.min_distance_m)]
    assert (tiny["planned_patrols"].astype(int) > 0).sum() >= 0.5 * len(tiny) > 0
    lasted = pd.to_datetime(good["end_time"]) - pd.to_datetime(good["start_time"])
    assert (lasted.dt.total_seconds() >= 60 * counting.min_duration_min).all()


def test_deterministic(tmp_path, sample):
    generate(tmp_path, with_tracks=False)
    for name in ("regions.geojson", "water_bodies.geojson", "chiefs.csv"):
        assert (tmp_path / name).read_bytes() == (sample[0] / name).read_bytes(), name


def test_seed_changes_output(tmp_path, sample):
    generate(tmp_path, with_tracks=False, seed=1)
    assert (tmp_path / "regions.geojson").read_bytes() != (
        sample[0] / "regions.geojson"
    ).read_bytes()


def test_tracks_of_another_generator_version_are_regenerated(tmp_path):
    """A checkout holding tracks of an older generator (git-ignored, so never updated by a
    pull) gets the current ones on set-up, not a stale plan under new tests and audits."""
    from gis_service.sample.tracks import TRACKS_VERSION
    from gis_service.services.sample import ensure_tracks

    folder = tmp_path / "tracks"
    folder.mkdir()
    (folder / "manifest.csv").write_text("file\nold.gpx\n", encoding="utf-8")
    (folder / "VERSION").write_text("2: tracks of stretches over 1.1 km only\n", encoding="utf-8")
    ensure_tracks(tmp_path)
    assert (folder / "VERSION").read_text(encoding="utf-8").strip() == TRACKS_VERSION
    assert len(pd.read_csv(folder / "manifest.csv")) > 500
