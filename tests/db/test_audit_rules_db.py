"""The audit's findings (issue 13) on the real PostGIS with the sample zoning: general chiefs'
patrols, two rivers of one chief, the 06:30-local hand-over, 陆域 posts above the village,
and the office's time zone read the same way by uploads, audits and maps."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.domain import crs
from gis_service.domain.linear import LineSet
from gis_service.services.audit import run_audit
from gis_service.services.patrols import PatrolSettings, ingest_patrol
from tests.conftest import bearer

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SHANGHAI = "Asia/Shanghai"
VILLAGE = "450503102001"  # 两条河: R4505-02 (7.8 km here) and R4505-02-02 (0.9 km here)
MAIN = "R4505-02/village/450503102001/1"
SIDE = "R4505-02-02/village/450503102001/1"


def _walk(conn, segment: str, start_m: float, metres: float, t0: dt.datetime, chief: str):
    """The app's JSON for a walk along ``segment`` from ``start_m`` for ``metres`` (5 m
    steps about every 5 s, 4 m off the centre line, with 3 m of GPS noise)."""
    wkb = conn.execute(
        text("SELECT ST_AsBinary(ST_LineMerge(geom)) FROM river_segment WHERE id = :i"),
        {"i": segment},
    ).scalar()
    line = crs.transform(shapely.from_wkb(bytes(wkb)), crs.STORAGE_CRS, 4545)
    s = np.arange(start_m, min(start_m + metres, line.length), 5.0)
    rng = np.random.default_rng(int(t0.timestamp()))
    xy = LineSet.from_lines([line]).interpolate(np.zeros(len(s), int), s)
    xy = xy + rng.normal(0, 3, xy.shape)
    lon, lat = crs.transformer("EPSG:4545", crs.STORAGE_CRS).transform(xy[:, 0], xy[:, 1] + 4)
    seconds = np.cumsum(rng.uniform(4, 6, len(s)))
    return json.dumps(
        {
            "chief_id": chief,
            "points": [
                {"lon": a, "lat": b, "time": t0.timestamp() + t, "accuracy": 5}
                for a, b, t in zip(lon, lat, seconds, strict=True)
            ],
        }
    ).encode()


def _upload(conn, body: bytes, tz: str = SHANGHAI) -> dict:
    return ingest_patrol(conn, body, fmt="json", now=NOW, settings=PatrolSettings(timezone=tz))


def _post(conn, chief, role, level, region, water, valid_from, valid_to=None) -> int:
    conn.execute(
        text("INSERT INTO chief (id, name) VALUES (:c, :c) ON CONFLICT DO NOTHING"), {"c": chief}
    )
    return conn.execute(
        text(
            "INSERT INTO chief_post (chief_id, role, level, region_code, water_body_code, "
            "valid_from, valid_to) VALUES (:c, :r, :l, :g, :w, :f, :t) RETURNING id"
        ),
        {
            "c": chief,
            "r": role,
            "l": level,
            "g": region,
            "w": water,
            "f": valid_from,
            "t": valid_to,
        },
    ).scalar_one()


def _posts(report: dict, chief: str) -> dict[str, dict]:
    return {p["water_body_code"] or p["role"]: p for p in report["posts"] if p["chief_id"] == chief}


def test_general_chiefs_patrol_is_valid_and_counts_for_the_region(sample_loaded, conn):
    # a county general chief (总河长 of 银海区 450503) with no water post walks 1.5 km of the
    # city river R4505-02 inside the county: a patrol of their region, not "no_assignment"
    _post(conn, "G-TEST", "general_chief", "county", "450503", None, dt.date(2026, 1, 1))
    t0 = dt.datetime(2026, 8, 3, 1, tzinfo=dt.UTC)
    result = _upload(conn, _walk(conn, MAIN, 1000, 1500, t0, "G-TEST"))
    assert result["status"] == "valid", result["reasons"]
    walked = {t["target_id"]: t for t in result["summary"]["targets"]}
    # the county's own level: R4505-02 is a city river, its county-level stretch is theirs
    assert walked and all("/county/450503/" in k for k in walked)
    assert sum(t["covered_m"] for t in walked.values()) == pytest.approx(1500, abs=60)
    report = run_audit(conn, "450503", "2026-Q3", as_of=dt.date(2026, 10, 15), timezone=SHANGHAI)
    post = _posts(report, "G-TEST")["general_chief"]
    assert post["rule_id"] == "general-chief-county"  # seed 003 第四条: once a quarter
    assert (post["required"], post["counted"], post["status"]) == (1, 1, "met")


def test_a_two_river_chief_who_walked_one_river_is_short_on_the_other(sample_loaded, conn):
    # P0037 is segment chief of R4505-02 in the village; give them R4505-02-02 there as well
    _post(conn, "P0037", "segment_chief", "village", VILLAGE, "R4505-02-02", dt.date(2026, 1, 1))
    for day in (3, 17):
        t0 = dt.datetime(2026, 7, day, 1, tzinfo=dt.UTC)
        assert _upload(conn, _walk(conn, MAIN, 0, 1500, t0, "P0037"))["status"] == "valid"
    report = run_audit(conn, VILLAGE, "2026-07", as_of=dt.date(2026, 8, 5), timezone=SHANGHAI)
    posts = _posts(report, "P0037")
    main, side = posts["R4505-02"], posts["R4505-02-02"]
    assert (main["required"], main["counted"]) == (2, 2)
    assert main["status"] == "missed"  # 1.5 of 7.8 km: short of the 80 % coverage share
    assert any("covered 19." in r for r in main["reasons"])
    assert (side["required"], side["counted"], side["status"]) == (2, 0, "missed")
    # the village general chief (总河长, also P0037) counts both walks for the year
    general = posts["general_chief"]
    assert (general["rule_id"], general["counted"], general["status"]) == (
        "general-chief",
        2,
        "met",
    )


def test_a_patrol_at_0630_local_on_a_successors_first_day_is_the_successors(sample_loaded, conn):
    # R4505-02-02 in the village: P0218 until 15 Aug, P0037 from 16 Aug. A walk at 06:30 on
    # 16 Aug in Beihai is 22:30 UTC on 15 Aug: by local dates it is P0037's.
    conn.execute(
        text(
            "UPDATE chief_post SET valid_to = '2026-08-15' WHERE chief_id = 'P0218' "
            "AND water_body_code = 'R4505-02-02'"
        )
    )
    _post(conn, "P0037", "segment_chief", "village", VILLAGE, "R4505-02-02", dt.date(2026, 8, 16))
    t0 = dt.datetime(2026, 8, 15, 22, 30, tzinfo=dt.UTC)
    result = _upload(conn, _walk(conn, SIDE, 0, 870, t0, "P0037"))
    codes = {r["code"] for r in result["reasons"]}
    assert "outside_post_dates" not in codes and result["status"] == "valid", result["reasons"]
    # the 879 m stretch needs min(1 km, 0.5 x 879 m) = 440 m along it, not 1 km
    report = run_audit(conn, VILLAGE, "2026-08", as_of=dt.date(2026, 9, 5), timezone=SHANGHAI)
    new = _posts(report, "P0037")["R4505-02-02"]
    old = _posts(report, "P0218")["R4505-02-02"]
    assert (new["required"], new["counted"]) == (1, 1)  # 16 of 31 days: 0.52 -> 1 owed
    assert (old["required"], old["counted"]) == (1, 0)  # 15 of 31 days with 2 a month: 0.97
    assert old["status"] == "missed"


def test_county_and_township_shore_posts_answer_for_the_shoreline_in_their_region(
    sample_loaded, conn
):
    # seed 001: the county-level chiefs answer directly for the 陆域 of 洪潮江水库 (K4505-01)
    # in their county: every shoreline piece in 合浦县, not the water area (the 库长's)
    post = _post(
        conn, "SHORE-C", "segment_chief", "county", "450521", "K4505-01", dt.date(2026, 1, 1)
    )
    town = _post(
        conn, "SHORE-T", "segment_chief", "township", "450521104", "K4505-01", dt.date(2026, 1, 1)
    )
    report = run_audit(conn, "450521", "2026-Q3", as_of=dt.date(2026, 10, 15), timezone=SHANGHAI)
    by_id = {p["post_id"]: p for p in report["posts"]}
    assert sorted(by_id[post]["target_ids"]) == [
        "K4505-01/shoreline/450521100205",
        "K4505-01/shoreline/450521100206",
        "K4505-01/shoreline/450521104207",
    ]
    assert by_id[town]["target_ids"] == ["K4505-01/shoreline/450521104207"]
    assert by_id[post]["own_length_m"] == pytest.approx(10964 + 223 + 4437, rel=0.01)
    chief = next(p for p in report["posts"] if p["role"] == "reservoir_chief"
                 and p["water_body_code"] == "K4505-01")  # fmt: skip
    assert chief["target_ids"] == ["K4505-01/water_area"]


def test_office_time_zone_reads_naive_times_in_uploads_audits_and_maps(
    sample_loaded, engine, tokens, monkeypatch
):
    """GIS_TIMEZONE=UTC: a naive 23:30 is 23:30 UTC (not Beijing's); and a patrol at 20:00
    UTC on 30 Sept belongs to Q3 (in Beijing it is 1 Oct, Q4), in the audit and the map."""
    from gis_service.config import get_settings
    from gis_service.services.maps import coverage_data

    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        + "".join(
            f'<trkpt lat="21.6" lon="{109.2 + 1e-4 * k}"><time>2026-07-20T23:{30 + k // 60:02d}:'
            f"{k % 60:02d}</time></trkpt>"
            for k in range(0, 20, 2)
        )
        + "</trkseg></trk></gpx>"
    ).encode()

    def started(tz: str) -> str:
        monkeypatch.setenv("GIS_TIMEZONE", tz)
        get_settings.cache_clear()
        with TestClient(create_app(engine), headers=bearer(tokens["office"])) as client:
            r = client.post(
                "/patrols",
                files={"file": ("t.gpx", gpx, "application/gpx+xml")},
                data={"chief_id": "P0145"},
            )
        assert r.status_code in (200, 201), r.text
        with engine.begin() as c:
            c.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": r.json()["id"]})
        return r.json()["started_at"]

    try:
        assert started("UTC").startswith("2026-07-20T23:30:00")
        assert started(SHANGHAI).startswith("2026-07-20T15:30:00")
    finally:
        get_settings.cache_clear()

    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            t0 = dt.datetime(2026, 9, 30, 20, tzinfo=dt.UTC)
            seg = "R4505-01/village/450521107200/2"
            pid = _upload(conn, _walk(conn, seg, 0, 1500, t0, "P0145"), tz="UTC")["id"]
            in_q3 = {}
            for tz in ("UTC", SHANGHAI):
                report = run_audit(
                    conn, "450521107200", "2026-Q3", as_of=dt.date(2026, 10, 15), timezone=tz
                )
                in_q3[tz] = report["counted_patrols"]
                data = coverage_data(conn, "450521107200", "2026-Q3", timezone=tz,
                                     as_of=dt.date(2026, 10, 15))  # fmt: skip
                walked = data.segments.set_index("id").loc[seg, "ratio"]
                assert (walked > 0) == (tz == "UTC"), (tz, pid)
            assert in_q3["UTC"] == in_q3[SHANGHAI] + 1
        finally:
            transaction.rollback()
