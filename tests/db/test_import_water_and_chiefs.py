"""Water bodies and chief rosters: links, kinds, posts valid on a date, clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gis_service.db.models import WaterBody
from gis_service.db.queries import posts_on
from gis_service.errors import InputError
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from tests.db.builders import regions_frame, rivers_frame, write
from tests.db.snapshots import snapshot

ROSTER_HEADER = (
    "person_id,name,phone,title,role,level,region_code,water_body_code,valid_from,valid_to\n"
)


@pytest.fixture
def with_regions(conn, tmp_path):
    import_regions(conn, write(regions_frame(), tmp_path / "regions.gpkg"))
    return conn


def test_rivers_and_reservoir_import_with_main_stem_link(with_regions, tmp_path):
    conn = with_regions
    report = import_water_bodies(conn, write(rivers_frame("EPSG:3857"), tmp_path / "w.geojson"))
    assert report.inserted == 3
    rows = {r.code: r for r in conn.execute(select(WaterBody))}
    assert rows["T-R1-1"].parent_code == "T-R1"
    assert rows["T-R1"].managing_level == "city"  # taken from the managing region
    assert rows["T-K1"].kind == "reservoir"
    assert rows["T-R1"].buffer_width_m == 50.0


def test_kind_and_geometry_must_agree_and_links_must_exist(with_regions, tmp_path):
    conn = with_regions
    frame = rivers_frame()
    frame.loc[2, "kind"] = "canal"  # a polygon cannot be a canal centre line
    frame.loc[1, "parent_code"] = "T-R9"  # no such main stem
    frame.loc[0, "managing_region_code"] = "990199"
    before = snapshot(conn)
    with pytest.raises(InputError) as info:
        import_water_bodies(conn, write(frame, tmp_path / "bad.gpkg"))
    message = str(info.value)
    assert "feature 3 (code T-K1): expected a line geometry, got Polygon" in message
    assert "feature 2 (code T-R1-1): main stem T-R9 is neither in the file nor" in message
    assert "feature 1 (code T-R1): managing region 990199 is not in the database" in message
    assert snapshot(conn) == before


def _roster(tmp_path, *lines: str):
    path = tmp_path / "chiefs.csv"
    path.write_text(ROSTER_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_roster_answers_who_was_responsible_on_a_date(with_regions, tmp_path):
    conn = with_regions
    import_water_bodies(conn, write(rivers_frame(), tmp_path / "w.gpkg"))
    path = _roster(
        tmp_path,
        "P1,张三,19900000001,市委书记,general_chief,city,990100,,2026-01-01,",
        "P1,张三,19900000001,市委书记,river_chief,city,990100,T-R1,2026-01-01,",
        "P2,李四,,县长,segment_chief,county,990101,T-R1,2026-01-01,2026-08-15",
        "P3,王五,,县长,segment_chief,county,990101,T-R1,2026-08-16,",
    )
    report = import_chiefs(conn, path)
    assert report.inserted == 4
    july = posts_on(conn, dt.date(2026, 7, 1), region_code="990101", water_body_code="T-R1")
    september = posts_on(conn, dt.date(2026, 9, 1), region_code="990101", water_body_code="T-R1")
    assert [p["chief_name"] for p in july] == ["李四"]
    assert [p["chief_name"] for p in september] == ["王五"]
    assert (
        posts_on(conn, dt.date(2026, 8, 15), region_code="990101", role="segment_chief")[0][
            "chief_id"
        ]
        == "P2"
    )
    # re-import of the same roster counts nothing twice
    again = import_chiefs(conn, path)
    assert (again.inserted, again.updated) == (0, 4)


def test_roster_errors_name_the_line(with_regions, tmp_path):
    conn = with_regions
    path = _roster(
        tmp_path,
        "P1,张三,,书记,general_chief,city,990100,,2026-01-01,",
        "P2,李四,,县长,segment_chief,county,990101,,2026-01-01,",
        "P3,王五,,县长,boss,county,990101,,2026-13-01,",
        "P4,赵六,,镇长,general_chief,county,990101001,,2026-02-01,2026-01-01",
    )
    before = snapshot(conn)
    with pytest.raises(InputError) as info:
        import_chiefs(conn, path)
    message = str(info.value)
    assert "line 3: a segment_chief post needs a water_body_code" in message
    assert "line 4: role 'boss' is not one of" in message
    assert "line 4: valid_from: '2026-13-01' is not a date (YYYY-MM-DD)" in message
    assert "line 5: region 990101001 is a township, the post is county" in message
    assert "line 5: valid_to 2026-01-01 is before valid_from 2026-02-01" in message
    assert snapshot(conn) == before
