"""Point-source chiefs on the real PostGIS: imports (and refusals), the point roster, and
patrols counted within the role's tolerance of the point (a real sample track)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from gis_service.domain.point_sources import load_point_rules
from gis_service.errors import InputError
from gis_service.services import point_sources as svc
from gis_service.services.patrols import ingest_patrol
from tests.db.snapshots import snapshot

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
# ~70 m of latitude at 21.6°N (1° = 110.7 km): inside the pond rule (100 m), outside the
# outfall rule (50 m)
NORTH_70M = 70.0 / 110_700.0


def _csv(tmp_path, name: str, text_: str):
    path = tmp_path / name
    path.write_text(text_, encoding="utf-8")
    return path


@pytest.fixture
def patrol(conn, sample_loaded, sample_tracks):
    """One good sample patrol (stored) and the northernmost point of its track."""
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    row = manifest[(manifest["kind"] == "good") & (manifest["coord_system"] == "wgs84")].iloc[0]
    result = ingest_patrol(
        conn,
        (sample_tracks / row.file).read_bytes(),
        filename=row.file,
        chief_id=row.person_id,
        coord_system="wgs84",
        now=NOW,
    )
    assert result["status"] in ("valid", "partial"), result["status"]
    track = conn.execute(
        text("SELECT ST_AsBinary(track) FROM patrol WHERE id = :i"), {"i": result["id"]}
    ).scalar_one()
    coords = shapely.get_coordinates(shapely.from_wkb(bytes(track)))
    top = coords[coords[:, 1].argmax()]
    started = dt.datetime.fromisoformat(row.start_time.replace("Z", "+00:00"))
    return {"chief": row.person_id, "region": row.region_code, "top": top, "started": started}


def _points(conn, tmp_path, patrol):
    lon, lat = patrol["top"]
    region = patrol["region"]
    body = (
        "编码,名称,类型,所属行政区,经度,纬度\n"
        f"PT-POND,北塘,塘,{region},{lon},{lat + NORTH_70M}\n"
        f"PT-OUT,北口,入河排污口,{region},{lon},{lat + NORTH_70M}\n"
        f"PT-FAR,远泵站,泵站,{region},{lon + 0.2},{lat}\n"
    )
    return svc.import_points(conn, _csv(tmp_path, "points.csv", body))


def test_points_and_posts_import_and_the_roster(conn, tmp_path, patrol):
    assert _points(conn, tmp_path, patrol).inserted == 3
    chief = patrol["chief"]
    body = (
        "person_id,name,phone,title,role,point_code,valid_from,valid_to\n"
        f"{chief},{_name(conn, chief)},,,塘长,PT-POND,2026-01-01,\n"
        "X9001,新口长,199-0000-0001,村干部,口长,PT-OUT,2026-01-01,\n"
    )
    report = svc.import_point_posts(conn, _csv(tmp_path, "posts.csv", body))
    assert (report.inserted, report.derived) == (2, ["1 new chief(s) added"])
    public = svc.roster(conn, dt.date(2026, 6, 1), region=patrol["region"])
    got = {(p.point_code, p.role, p.chief_id, p.phone) for p in public if p.point_code[:3] == "PT-"}
    assert got == {
        ("PT-POND", "pond_chief", chief, None),
        ("PT-OUT", "outfall_chief", "X9001", None),
    }
    office = svc.roster(conn, dt.date(2026, 6, 1), region=patrol["region"], with_phone=True)
    assert {p.phone for p in office if p.chief_id == "X9001"} == {"199-0000-0001"}
    earlier = svc.roster(conn, dt.date(2025, 12, 31), region=patrol["region"])
    assert [p for p in earlier if p.point_code.startswith("PT-")] == []


def _name(conn, chief: str) -> str:
    return conn.execute(text("SELECT name FROM chief WHERE id = :c"), {"c": chief}).scalar_one()


def test_bad_points_and_posts_are_refused_line_by_line(conn, tmp_path, patrol):
    region = patrol["region"]
    bad_points = (
        "code,name,kind,region_code,lon,lat\n"
        f"P1,甲,水坝,{region},109.1,21.6\n"
        "P2,乙,pond,999999,109.1,21.6\n"
        f"P3,丙,pond,{region},abc,21.6\n"
        f"P3,丁,pond,{region},109.1,21.6\n"
    )
    before = snapshot(conn)
    with pytest.raises(InputError) as info:
        svc.import_points(conn, _csv(tmp_path, "bad.csv", bad_points))
    message = str(info.value)
    assert "line 2: kind '水坝' is not one of pond, pump_station, outfall, point_source" in message
    assert "line 3: region 999999 is not in the database" in message
    assert "line 4: lon/lat (经度/纬度) must be numbers" in message
    assert "line 5: code P3 repeats line 4" in message
    assert snapshot(conn) == before

    _points(conn, tmp_path, patrol)
    chief = patrol["chief"]
    bad_posts = (
        "person_id,name,role,point_code,valid_from,valid_to\n"
        f"{chief},别的名字,塘长,PT-POND,2026-01-01,\n"
        "X1,某,泵长,PT-POND,2026-01-01,\n"
        "X2,某,坝长,PT-POND,2026-01-01,\n"
        "X3,某,塘长,PT-NONE,2026-01-01,\n"
        "X4,某,点长,PT-FAR,2026-05-01,2026-04-01\n"
        "X5,某,点长,PT-FAR,2026-07-01garbage,\n"
        "X6,某,点长,PT-FAR,2026-07-01 14:30,\n"
    )
    before = snapshot(conn)
    with pytest.raises(InputError) as info:
        svc.import_point_posts(conn, _csv(tmp_path, "bad_posts.csv", bad_posts))
    message = str(info.value)
    assert f"line 2: person {chief} is {_name(conn, chief)!r}, not '别的名字'" in message
    assert "line 3: a 泵长 holds a 泵站, point PT-POND is a 塘" in message
    assert "line 4: role '坝长' is not one of pond_chief" in message
    assert "line 5: point PT-NONE is not in the database (import points first)" in message
    assert "line 6: valid_to 2026-04-01 is before valid_from 2026-05-01" in message
    # a date with trailing text or a time of day is refused, not cut to its first 10 characters
    assert "line 7: valid_from: '2026-07-01garbage' is not a date (YYYY-MM-DD)" in message
    assert "line 8: valid_from: '2026-07-01 14:30' is not a date (YYYY-MM-DD)" in message
    assert snapshot(conn) == before


def test_a_patrol_counts_within_the_roles_tolerance(conn, tmp_path, patrol):
    _points(conn, tmp_path, patrol)
    chief, name = patrol["chief"], _name(conn, patrol["chief"])
    body = (
        "person_id,name,role,point_code,valid_from\n"
        f"{chief},{name},塘长,PT-POND,2026-01-01\n"
        f"{chief},{name},口长,PT-OUT,2026-01-01\n"
        f"{chief},{name},泵长,PT-FAR,2026-01-01\n"
    )
    svc.import_point_posts(conn, _csv(tmp_path, "posts.csv", body))
    month = f"{patrol['started']:%Y-%m}"
    audit = svc.audit_points(
        conn,
        patrol["region"],
        month,
        timezone="Asia/Shanghai",
        as_of=dt.date(2026, 12, 31),
        rules=load_point_rules(),
    )
    got = {(r.point_code, r.role): (r.required, r.counted, r.status) for r in audit.rows}
    # 70 m north of the track's northernmost point: a pond (100 m) counts, an outfall (50 m)
    # does not; the pumping station 0.2° east is far from every point of the track
    assert got[("PT-POND", "pond_chief")] == (1, 1, "met")
    assert got[("PT-OUT", "outfall_chief")] == (1, 0, "missed")
    assert got[("PT-FAR", "pump_chief")] == (1, 0, "missed")
    assert json.loads(json.dumps(audit.to_dict()))["period"] == month
    with pytest.raises(InputError, match="2026-13"):
        svc.audit_points(
            conn,
            patrol["region"],
            "2026-13",
            timezone="Asia/Shanghai",
            as_of=dt.date(2026, 12, 31),
            rules=load_point_rules(),
        )
