"""Quarterly audit of the sample region with its tracks, against hand-derived expectations."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo

import numpy as np
import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.services.audit import gaps_geojson, run_audit
from gis_service.services.audit_export import write_exports
from gis_service.services.patrols import Upload, ingest_patrols
from tests.conftest import bearer

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 10, 15)
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def audited(engine, sample_loaded, sample_tracks):
    """All sample tracks ingested and the 2026-Q3 audit of 北海市, rolled back afterwards."""
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    with engine.connect() as conn:
        transaction = conn.begin()
        uploads = [
            Upload((sample_tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
            for r in manifest.itertuples()
        ]
        for k in range(0, len(uploads), 50):
            ingest_patrols(conn, uploads[k : k + 50], now=NOW)
        report = run_audit(conn, "450500", "2026-Q3", as_of=AS_OF, timezone="Asia/Shanghai")
        yield conn, report, manifest
        transaction.rollback()


def test_counted_patrols_match_the_manifest(audited):
    _, report, manifest = audited
    # counted: good or GCJ-02 tracks (the exact re-upload counts once, deficient kinds never)
    good = manifest[manifest.kind.isin(["good", "gcj02"])]
    days = pd.to_datetime(good.start_time).dt.tz_convert(TZ).dt.date
    in_q3 = good[(days >= dt.date(2026, 7, 1)) & (days <= dt.date(2026, 9, 30))]
    # general chiefs' and deputies' walks included: they have their posts' waters now
    assert report["counted_patrols"] == len(in_q3)
    for chief in ("P0145", "P0210"):
        # each good track walks the chief's own stretch: it counts for that post
        expected = int((in_q3.person_id == chief).sum())
        posts = [
            p
            for p in report["posts"]
            if p["chief_id"] == chief and p["role"] == "segment_chief" and p["level"] == "village"
        ]
        assert posts and all(p["counted"] == expected for p in posts), chief


def test_every_post_of_the_roster_is_audited_and_none_is_met_with_nothing_owed(audited):
    conn, report, _ = audited
    # every post held at some time of 2026 (the yearly rule's period) whose region is inside
    # 北海市: general chiefs (总河长) and deputies (副河长) included
    expected = set(
        conn.execute(
            text(
                "SELECT id FROM chief_post WHERE valid_from <= '2026-12-31' "
                "AND (valid_to IS NULL OR valid_to >= '2026-01-01')"
            )
        ).scalars()
    )
    listed = {p["post_id"] for p in report["posts"]}
    assert listed == expected
    roles = {p["role"] for p in report["posts"]}
    assert {"general_chief", "deputy_chief", "reservoir_chief", "lake_chief"} <= roles
    deputy = next(p for p in report["posts"] if p["role"] == "deputy_chief")
    assert deputy["audited_as"] == "river_chief" and deputy["required"] >= 1
    assert not [p for p in report["posts"] if p["status"] == "met" and p["required"] == 0]
    statuses = {p["status"] for p in report["posts"]}
    assert statuses <= {"met", "on_track", "behind", "missed", "not_required"}


def test_village_chief_requirement_and_status(audited):
    _, report, _ = audited
    post = next(
        p
        for p in report["posts"]
        if p["chief_id"] == "P0145" and p["level"] == "village" and p["role"] == "segment_chief"
    )
    assert post["rule_id"] == "village-segment-chief" and post["rules_version"]
    assert post["required"] == 6  # two a month for three months (default rules)
    assert [q["label"] for q in post["periods"]] == ["2026-07", "2026-08", "2026-09"]
    assert post["status"] in ("met", "missed")  # Q3 is closed on 15 October
    if post["counted"] < 6:
        assert post["status"] == "missed" and post["reasons"]


def test_mid_period_change_pro_rates_the_month_of_the_change(audited):
    _, report, _ = audited
    change = [
        p
        for p in report["posts"]
        if p["region_code"] == "450503102"
        and p["water_body_code"] == "R4505-02-02"
        and p["level"] == "township"
    ]
    by_chief = {p["chief_id"]: p for p in change}
    assert set(by_chief) == {"P0176", "P0251"}
    old, new = by_chief["P0176"], by_chief["P0251"]  # until 15 Aug / from 16 Aug, no tracks
    # August: 15 of 31 days -> 1 x 0.48 rounds to 0 owed; 16 of 31 -> 0.52 rounds to 1
    assert [q["required"] for q in old["periods"]] == [1, 0, 0]
    assert [q["required"] for q in new["periods"]] == [0, 1, 1]
    assert old["status"] == new["status"] == "missed"


def test_unassigned_segment_is_a_gap_never_skipped(audited):
    _, report, _ = audited
    target = next(
        t for t in report["targets"] if t["target_id"] == "R4505-04/village/450512102205/1"
    )
    assert target["unassigned"] and target["chiefs"] == []
    assert target["gaps"] and target["ratio"] < 1


def test_region_rates_and_gap_geojson(audited):
    conn, report, _ = audited
    city = next(r for r in report["regions"] if r["region_code"] == "450500")
    assert city["posts"] == len([p for p in report["posts"] if p["status"] != "not_required"])
    assert 0 <= city["coverage_rate"] <= 1
    gaps = gaps_geojson(conn, report)
    assert gaps["features"]
    lon, lat = (
        gaps["features"][0]["geometry"]["coordinates"][0][:2]
        if gaps["features"][0]["geometry"]["type"] == "LineString"
        else gaps["features"][0]["geometry"]["coordinates"][0][0]
    )
    assert 108 < lon < 111 and 20 < lat < 23
    # each gap's geometry is as long as its chainage says (cut in its segment's own zone)
    import shapely

    from gis_service.domain.crs import geodesic_lengths

    shapes = shapely.from_geojson([json.dumps(f["geometry"]) for f in gaps["features"]])
    walked = geodesic_lengths(shapes)
    said = np.array([f["properties"]["length_m"] for f in gaps["features"]])
    long = said > 50
    assert np.allclose(walked[long], said[long], rtol=0.01)


def test_xlsx_has_the_expected_sheets_and_rows(audited, tmp_path):
    """Through the real audit: the workbook opens with every sheet and a row per record
    (labels and formats are checked on hand-built reports in tests/unit/test_audit_export)."""
    _, report, _ = audited
    files = write_exports(report, tmp_path)
    book = openpyxl.load_workbook(next(f for f in files if f.suffix == ".xlsx"))
    assert book.sheetnames == [
        "概要", "河长履职", "分期明细", "河段覆盖", "区域排名", "待巡提示", "点位履职",
    ]  # fmt: skip
    assert book["点位履职"].max_row == len(report.get("point_posts") or []) + 1
    assert book["河段覆盖"].max_row == len(report["targets"]) + 1
    assert book["河长履职"].max_row == len(report["posts"]) + 1
    assert book["区域排名"].max_row == len(report["regions"]) + 1
    assert book["待巡提示"].max_row == len(report.get("due", report.get("reminders", []))) + 1
    assert book["河长履职"]["D1"].value == "河长编号" and book["河长履职"]["E1"].value == "姓名"
    assert all(ws.freeze_panes == "A2" for ws in book)
    assert any(f.suffix == ".csv" for f in files)


def test_audit_api(engine, sample_loaded, tokens):
    with TestClient(create_app(engine), headers=bearer(tokens["office"])) as client:
        ok = client.get(
            "/audits", params={"region": "450521", "period": "2026-Q3", "as_of": "2026-10-15"}
        )
        assert ok.status_code == 200 and ok.json()["region"]["name"] == "合浦县"
        bad = client.get("/audits", params={"region": "450521", "period": "2026-Q5"})
        assert bad.status_code == 400 and "unknown period" in bad.json()["detail"]
        xlsx = client.get("/audits/export.xlsx", params={"region": "450521", "period": "2026-07"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "概要"
        params = {"region": "450521", "period": "2026-07", "lang": "en"}
        english = client.get("/audits/export.xlsx", params=params)
        assert openpyxl.load_workbook(io.BytesIO(english.content)).sheetnames[0] == "summary"
        both = client.get("/audits/export.xlsx", params=params | {"english": "true"})
        assert both.status_code == 200
        clash = client.get("/audits/export.xlsx", params=params | {"lang": "zh", "english": "true"})
        assert clash.status_code == 400 and "lang=zh" in clash.json()["detail"]


def test_the_offices_rules_file_is_used_when_configured(
    engine, sample_loaded, tokens, tmp_path, monkeypatch
):
    """GIS_RULES_FILE reaches the audit through the front end (the API reads the settings and
    passes the rules down); the service itself reads no environment."""
    from gis_service.config import get_settings
    from gis_service.domain.rules import DEFAULT_RULES_FILE

    own = tmp_path / "rules.toml"
    own.write_text(
        DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace(
            'version = "2026.2"', 'version = "合浦-2026.2"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GIS_RULES_FILE", str(own))
    get_settings.cache_clear()
    try:
        with TestClient(create_app(engine), headers=bearer(tokens["office"])) as client:
            res = client.get(
                "/audits",
                params={"region": "450521", "period": "2026-07", "as_of": AS_OF.isoformat()},
            )
        with engine.connect() as conn:
            bare = run_audit(conn, "450521", "2026-07", as_of=AS_OF, timezone="Asia/Shanghai")
    finally:
        get_settings.cache_clear()
    assert res.status_code == 200, res.text
    assert res.json()["rules_version"] == "合浦-2026.2"
    assert bare["rules_version"] != "合浦-2026.2"  # no rules passed: the bundled ones


def test_a_broken_rules_file_is_named_not_a_server_error(
    engine, sample_loaded, tokens, tmp_path, monkeypatch
):
    from gis_service.config import get_settings

    broken = tmp_path / "rules.toml"
    broken.write_text("version = [", encoding="utf-8")
    monkeypatch.setenv("GIS_RULES_FILE", str(broken))
    get_settings.cache_clear()
    try:
        with TestClient(create_app(engine), headers=bearer(tokens["office"])) as client:
            res = client.get("/audits", params={"region": "450521", "period": "2026-07"})
    finally:
        get_settings.cache_clear()
    assert res.status_code == 400 and "rules.toml" in res.json()["detail"]
