"""Signboards (公示牌) on the real PostGIS: a board tied to the segment it stands by (hand-made
river, distances worked out by hand and checked against PostGIS's geodesic distance), the
chiefs it lists as printed and now, the reprint flag, refusals naming the line, and the
sample's boards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from gis_service.domain.chinacoords import wgs84_to_gcj02
from gis_service.errors import InputError
from gis_service.sample.signboards import load_boards
from gis_service.services import signboards as svc
from tests.signboard_fixtures import BOUNDARY_WATER, WATER, make_stream

TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def stream(conn, sample_loaded):
    return make_stream(conn)


def _csv(tmp_path, body: str):
    path = tmp_path / "boards.csv"
    path.write_text(body, encoding="utf-8")
    return path


def _count(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM signboard")).scalar_one()


def test_boards_tied_to_their_segment_with_the_chiefs_as_printed(conn, stream, tmp_path):
    s = stream
    x0, y0, deg = s["x0"], s["y0"], s["deg"]
    body = (
        "编码,名称,经度,纬度,河流编码,河段编码,制作日期\n"
        # 100 m north of the line: the village segment (the finest level there)
        f"TB-1,<b>村段牌</b>,{x0},{y0 + 100 * deg:.8f},{WATER},,2026-03-01\n"
        # 50 m south, its segment given: the township one
        f"TB-2,乡段牌,{x0 + 0.001},{y0 - 50 * deg:.8f},,{s['township_segment']},2026-08-01\n"
        # on the boundary water's line, inside the right bank's village
        f"TB-3,界河牌,{x0},{y0},{BOUNDARY_WATER},,\n"
    )
    report = svc.import_signboards(conn, _csv(tmp_path, body), today=TODAY, tolerance_m=300)
    assert (report.inserted, report.updated) == (3, 0)
    assert report.columns["segment_id"] == "河段编码"
    rows = {
        r.code: r
        for r in conn.execute(
            text(
                "SELECT b.code, b.segment_id, b.level, b.region_code, b.matched_by, "
                "b.match_distance_m, b.printed_on, b.printed_chiefs, "
                "ST_Distance(b.geom::geography, s.geom::geography) AS geodesic "
                "FROM signboard b JOIN river_segment s ON s.id = b.segment_id "
                "WHERE b.code LIKE 'TB-%'"
            )
        )
    }
    one, two, three = rows["TB-1"], rows["TB-2"], rows["TB-3"]
    assert (one.segment_id, one.level, one.region_code, one.matched_by) == (
        s["village_segment"], "village", s["village"], "nearest"
    )  # fmt: skip
    assert one.match_distance_m == pytest.approx(100.0, abs=0.2)
    assert one.geodesic == pytest.approx(one.match_distance_m, abs=0.5)
    assert (two.segment_id, two.level, two.matched_by) == (s["township_segment"], "township",
                                                          "given")  # fmt: skip
    assert two.match_distance_m == pytest.approx(50.0, abs=0.2)
    # a boundary stretch: the board stands in the right bank's village (0 m), not the left's
    assert (three.segment_id, three.region_code, three.match_distance_m) == (
        s["boundary_segment"], s["village"], 0.0
    )  # fmt: skip
    assert three.printed_on == TODAY  # no date in the file: printed today
    # printed in March: county, township, the first village chief; not the patrol staff
    assert [c["chief_id"] for c in one.printed_chiefs] == ["TSX-C", "TSX-T", "TSX-V1"]
    assert [c["chief_id"] for c in two.printed_chiefs] == ["TSX-C", "TSX-T"]
    assert [c["chief_id"] for c in three.printed_chiefs] == ["TSX-B"]

    may = {v.board.code: v for v in svc.board_views(conn, dt.date(2026, 5, 1))}
    assert not any(may[c].check.needs_reprint for c in ("TB-1", "TB-2"))
    # TB-3 printed on TODAY lists TSX-B, who held the post in May as well
    assert not may["TB-3"].check.needs_reprint
    august = {v.board.code: v for v in svc.board_views(conn, dt.date(2026, 8, 1))}
    assert [c.chief_id for c in august["TB-1"].current] == ["TSX-C", "TSX-T", "TSX-V2"]
    assert [c.chief_id for c in august["TB-1"].check.gone] == ["TSX-V1"]
    assert [c.chief_id for c in august["TB-1"].check.missing] == ["TSX-V2"]
    assert not august["TB-2"].check.needs_reprint  # a township board lists no village chief
    flagged = {v.board.code for v in svc.reprint_list(conn, dt.date(2026, 8, 1))}
    assert {"TB-1"} == {c for c in flagged if c.startswith("TB-")}

    # importing again changes nothing but the update count
    again = svc.import_signboards(conn, _csv(tmp_path, body), today=TODAY, tolerance_m=300)
    assert (again.inserted, again.updated) == (0, 3)


def test_refusals_name_the_line_and_nothing_is_imported(conn, stream, tmp_path):
    s = stream
    x0, y0, deg = s["x0"], s["y0"], s["deg"]
    before = _count(conn)
    body = (
        "code,name,lon,lat,water_body_code,segment_id,printed_on,chiefs\n"
        f"TB-4,远牌,{x0},{y0 + 400 * deg:.8f},{WATER},,2026-03-01,\n"
        f"TB-5,错段,{x0},{y0},,NOPE/village/1,2026-03-01,\n"
        f"TB-6,远段,{x0},{y0 + 1000 * deg:.8f},,{s['township_segment']},2026-03-01,\n"
        f"TB-7,未来,{x0},{y0 + 10 * deg:.8f},{WATER},,2027-01-01,\n"
        f"TB-8,错人,{x0},{y0 + 10 * deg:.8f},{WATER},,2026-03-01,TSX-C；张三\n"
        f"TB-8,重复,{x0},{y0},{WATER},,2026-03-01,\n"
        f"TB-9,坏数,{x0},north,{WATER},,2026-03-01,\n"
        f"TB/10,斜杠,{x0},{y0},{WATER},,2026-03-01,\n"
        f"TB-11,坏日,{x0},{y0 + 10 * deg:.8f},{WATER},,2026-03-01garbage,\n"
    )
    with pytest.raises(InputError) as caught:
        svc.import_signboards(conn, _csv(tmp_path, body), today=TODAY, tolerance_m=300)
    message = str(caught.value)
    assert "line 2: no river segment on water TSB-W within 300 m of the board" in message
    assert "line 3: segment NOPE/village/1 is not in the current zoning" in message
    assert f"line 4: segment {s['township_segment']} is 1,000 m from the board" in message
    assert "line 5: printed_on 2027-01-01 is after today (2026-11-30)" in message
    assert "line 6: chiefs 张三: not (or not one) chief of this stretch" in message
    assert "line 7: code TB-8 repeats line 6" in message
    assert "line 8: lon/lat (经度/纬度) must be numbers" in message
    assert "line 9: code 'TB/10': no slash, backslash or control character" in message
    # trailing text is refused, not cut to the first 10 characters
    assert "line 10: printed_on '2026-03-01garbage' is not a date (YYYY-MM-DD)" in message
    assert _count(conn) == before


def test_gcj02_positions_are_converted(conn, stream, tmp_path):
    """An office's board list taken from AMap (GCJ-02): --crs gcj02 converts it."""
    s = stream
    lon, lat = s["x0"], s["y0"] + 100 * s["deg"]
    glon, glat = wgs84_to_gcj02([lon], [lat])
    body = f"code,lon,lat,water_body_code\nTB-G,{glon[0]:.8f},{glat[0]:.8f},{WATER}\n"
    report = svc.import_signboards(
        conn, _csv(tmp_path, body), today=TODAY, tolerance_m=300, crs="gcj02"
    )
    assert report.crs == "GCJ-02 (given with --crs)"
    stored = conn.execute(
        text(
            "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
            "::geography), match_distance_m FROM signboard WHERE code = 'TB-G'"
        ),
        {"x": lon, "y": lat},
    ).one()
    assert stored[0] < 0.5 and stored[1] == pytest.approx(100.0, abs=0.5)
    # the same numbers read as WGS84 (no --crs) land hundreds of metres off
    body = f"code,lon,lat,water_body_code\nTB-H,{glon[0]:.8f},{glat[0]:.8f},{WATER}\n"
    svc.import_signboards(conn, _csv(tmp_path, body), today=TODAY, tolerance_m=3000)
    off = conn.execute(
        text(
            "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)"
            "::geography) FROM signboard WHERE code = 'TB-H'"
        ),
        {"x": lon, "y": lat},
    ).scalar_one()
    assert off > 100


def test_the_sample_boards_and_the_ones_to_reprint(conn, sample_loaded, sample_dir):
    report = load_boards(conn, sample_dir, TODAY)
    assert report is not None and report.features == 33
    views = svc.board_views(conn, TODAY)
    sample = [v for v in views if v.board.code.startswith("GSP")]
    assert len(sample) == 33
    # every board 25 m north of the middle of a village stretch, tied to a village segment
    assert all(v.board.level == "village" for v in sample)
    assert max(v.board.match_distance_m for v in sample) < 30
    reprint = {v.board.code: v for v in svc.reprint_list(conn, TODAY)}
    assert set(reprint) == {"GSP003", "GSP031", "GSP032", "GSP033"}
    for code in ("GSP031", "GSP032", "GSP033"):  # 蒙祥海 replaced by 梁生 on 2026-08-16
        assert [c.name for c in reprint[code].check.gone] == ["蒙祥海"]
        assert [c.name for c in reprint[code].check.missing] == ["梁生"]
    assert [c.role for c in reprint["GSP003"].check.missing] == ["deputy_chief"]
    # before the replacement only the board printed without its deputy chief is out of date
    assert {v.board.code for v in svc.reprint_list(conn, dt.date(2026, 8, 15))} == {"GSP003"}
