"""The bundled sample loads through the public importers, once, and is queryable."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import geopandas as gpd
import pandas as pd
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.db.queries import posts_on
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.services.accountability import RecordQuery, list_records
from gis_service.services.problems import problems_frame
from gis_service.services.sample import (
    SAMPLE_DIR,
    load_accountability,
    load_problems,
    load_sample,
)


def test_sample_counts_match_the_files(sample_loaded, engine, sample_dir):
    regions = gpd.read_file(sample_dir / "regions.geojson")
    expected = regions.level.value_counts().to_dict()
    with TestClient(create_app(engine)) as client:
        body = client.get("/summary").json()
    assert body["regions_per_level"] == {
        level: expected[level] for level in ("province", "city", "county", "township", "village")
    }
    assert body["water_bodies_per_kind"]["river"] >= 4
    assert body["posts_per_role"]["segment_chief"] > 100


def test_loading_again_skips_unchanged_files(sample_loaded, conn, sample_dir):
    reports = load_sample(conn, sample_dir)
    assert all(r.skipped_unchanged for r in reports)


def test_the_planted_chief_change_is_visible_by_date(sample_loaded, conn):
    """平阳镇's segment of 那丽河 changes hands on 2026-08-16 (see data/sample/README.md)."""
    before = posts_on(
        conn,
        dt.date(2026, 8, 15),
        region_code="450503102",
        water_body_code="R4505-02-02",
        role="segment_chief",
    )
    after = posts_on(
        conn,
        dt.date(2026, 8, 16),
        region_code="450503102",
        water_body_code="R4505-02-02",
        role="segment_chief",
    )
    assert len(before) == len(after) == 1
    assert before[0]["chief_id"] != after[0]["chief_id"]


def test_sample_problems_show_every_stage_and_reload_changes_nothing(engine, sample_loaded):
    with engine.connect() as conn:
        frame = problems_frame(conn, region="450500", timezone=DEFAULT_TIMEZONE)
        events = conn.execute(text("SELECT count(*) FROM problem_event")).scalar_one()
        assert load_problems(conn, SAMPLE_DIR / "problems.csv") == 0
        assert conn.execute(text("SELECT count(*) FROM problem_event")).scalar_one() == events
        conn.rollback()
    everything = frame[frame["id"].isin(_sample_problem_ids())]
    assert len(everything) == 38
    sample = everything[everything["source"] == "patrol"]
    assert len(sample) == 32
    assert Counter(sample["status"]) == {
        "reported": 8,
        "handed_over": 8,
        "answered": 8,
        "closed": 8,
    }
    waiting = sample[sample["status"] == "handed_over"]
    assert waiting["overdue"].all() and waiting["deadline"].notna().all()
    assert sample["region_code"].str.len().eq(12).all()  # each placed in its village
    assert sample["water_body_code"].notna().all()  # and at its river
    assert sample["chief_id"].notna().all()
    assert (sample.loc[sample["status"] == "closed", "verified_on"].notna()).all()
    others = everything[everything["source"] != "patrol"]
    assert Counter(others["source"]) == {"public": 3, "media": 2, "superior": 1}
    assert Counter(others["status"]) == {
        "reported": 1, "handed_over": 2, "answered": 1, "verified": 1, "closed": 1,
    }  # fmt: skip
    assert others["chief_id"].isna().all() and others["patrol_id"].isna().all()
    assert {"illegal_water_intake", "soil_taking", "aquaculture", "obstruction"} <= set(
        others["category"]
    )


def test_sample_accountability_records_and_reload_changes_nothing(engine, sample_loaded):
    as_of = dt.date(2026, 11, 29)
    with engine.connect() as conn:
        assert load_accountability(conn, SAMPLE_DIR / "accountability.csv") == 0
        records = [
            r
            for r in list_records(conn, RecordQuery(), today=as_of)
            if r.reference and r.issued_by == "sample"
        ]
        conn.rollback()
    by_ref = {r.reference: r for r in records}
    assert len(by_ref) == 5
    first = by_ref["北河长办提醒〔2026〕1号"]
    # issued Wed 30 Sep: 1-7 Oct off, Sat 10 Oct worked -> 8, 9, 10, 12-16, 19-23, 26, 27
    assert first.deadline == dt.date(2026, 10, 27) and first.status(as_of) == "answered"
    interview = by_ref["北河长办约谈〔2026〕1号"]
    assert interview.follows_id == by_ref["北河长办提醒〔2026〕2号"].id
    assert interview.deadline == dt.date(2026, 9, 21)  # Sun 20 Sep worked (调休)
    assert [by_ref[k].status(as_of) for k in ("北河长办提醒〔2026〕2号", "北河长办约谈〔2026〕1号",
            "北河长办问责〔2026〕1号", "北河长办通报〔2026〕1号")] == [
        "overdue", "overdue", "referred", "answered_late",
    ]  # fmt: skip
    assert by_ref["北河长办通报〔2026〕1号"].problem_id is not None


def _sample_problem_ids() -> set[str]:
    return set(pd.read_csv(SAMPLE_DIR / "problems.csv", dtype=str)["problem_id"])
