"""Boundary sections and their samples on the real PostGIS: import (and refusal, naming each
line), sections at zoning crossings, classes by GB 3838-2002 and the monthly assessment."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook
from pyproj import Transformer
from sqlalchemy import text

from gis_service.domain.water_quality import load_assessment_rule
from gis_service.errors import InputError
from gis_service.services import water_quality as svc
from gis_service.services.importing import import_regions, import_water_bodies
from tests.db.builders import GK_108, X0, Y0, regions_frame, rivers_frame, write
from tests.db.snapshots import snapshot

_TO_LONLAT = Transformer.from_crs(GK_108, "EPSG:4326", always_xy=True)
SECTION_HEADER = "断面编码,断面名称,目标水质,河流编码,上游行政区,下游行政区,经度,纬度\n"
SAMPLE_HEADER = "断面编码,采样日期,溶解氧,高锰酸盐指数,氨氮,总磷,水质类别\n"


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = _TO_LONLAT.transform(X0 + x, Y0 + y)
    return round(lon, 7), round(lat, 7)


@pytest.fixture
def waters(conn, tmp_path):
    import_regions(conn, write(regions_frame(), tmp_path / "regions.gpkg"))
    import_water_bodies(conn, write(rivers_frame(), tmp_path / "waters.gpkg"))
    return conn


def _csv(tmp_path, name: str, header: str, *lines: str):
    path = tmp_path / name
    path.write_text(header + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _sections(conn, tmp_path):
    # the main river crosses from 西县 (990101) into 东县 (990102) at x = 10 km, y = 5 km;
    # S2 sits 120 m off the centre line near the mouth (still within 200 m)
    lon1, lat1 = _lonlat(10_000, 5_000)
    lon2, lat2 = _lonlat(18_000 + 48, 1_500 + 108)
    path = _csv(
        tmp_path,
        "sections.csv",
        SECTION_HEADER,
        f"S1,西东交界,Ⅲ,T-R1,990101,990102,{lon1},{lat1}",
        f"S2,东县出境,II,T-R1,990102,,{lon2},{lat2}",
    )
    return svc.import_sections(conn, path)


def test_sections_import_with_chinese_columns(waters, tmp_path):
    report = _sections(waters, tmp_path)
    assert (report.inserted, report.updated) == (2, 0)
    got = {s.code: s for s in svc.list_sections(waters)}
    assert got["S1"].target_class == 3 and got["S2"].target_class == 2
    assert got["S1"].upstream_region_name == "西县" and got["S1"].downstream_region_name == "东县"
    assert got["S2"].downstream_region_code is None
    assert (got["S1"].lon, got["S1"].lat) == pytest.approx(_lonlat(10_000, 5_000), abs=1e-7)
    # re-import updates, does not duplicate
    assert (_sections(waters, tmp_path).inserted, _sections(waters, tmp_path).updated) == (0, 2)
    assert [s.code for s in svc.list_sections(waters, region="990102")] == ["S1", "S2"]
    assert [s.code for s in svc.list_sections(waters, region="990101")] == ["S1"]


def test_bad_sections_are_refused_line_by_line_and_nothing_is_stored(waters, tmp_path):
    lon, lat = _lonlat(10_000, 5_000)
    far_lon, far_lat = _lonlat(10_000, 6_000)  # 1 km north of the crossing: ~780 m off
    path = _csv(
        tmp_path,
        "bad.csv",
        SECTION_HEADER,
        f"S1,好的,Ⅲ,T-R1,990101,990102,{lon},{lat}",
        f"S1,重复,Ⅲ,T-R1,990101,990102,{lon},{lat}",
        f"S3,类别错,Ⅵ,T-R1,990101,990102,{lon},{lat}",
        f"S4,无此区,Ⅲ,T-R1,990199,990102,{lon},{lat}",
        f"S5,离河远,Ⅲ,T-R1,990101,990102,{far_lon},{far_lat}",
        "S6,无坐标,Ⅲ,T-R1,990101,990102,,",
        f"S7,同区,Ⅲ,T-R1,990101,990101,{lon},{lat}",
        f"S8,无此河,Ⅲ,T-R9,990101,990102,{lon},{lat}",
    )
    before = snapshot(waters)
    with pytest.raises(InputError) as info:
        svc.import_sections(waters, path)
    message = str(info.value)
    assert "line 3: code S1 repeats line 2" in message
    assert "line 4: target_class 'Ⅵ' is not a class Ⅰ..Ⅴ or 劣Ⅴ" in message
    assert "line 5: upstream_region_code 990199 is not in the database" in message
    assert "line 6: " in message and "m from T-R1, over 200 m" in message
    assert "line 7: lon/lat (经度/纬度) must be numbers, or give joint_section_id" in message
    assert "line 8: upstream and downstream region are the same" in message
    assert "line 9: water body T-R9 is not in the database" in message
    assert snapshot(waters) == before
    assert [s for s in svc.list_sections(waters) if s.code.startswith("S")] == []


def test_a_section_placed_at_a_zoning_crossing(conn, sample_loaded, tmp_path):
    """A township boundary of the sample (seed 004 assesses townships): the crossing gives
    the point, the water and both regions."""
    proposals = [p for p in svc.propose_sections(conn) if p.level == "township"]
    assert proposals, "the sample's zoning has township crossings"
    crossing = proposals[0]
    path = _csv(
        tmp_path,
        "at_crossing.csv",
        "code,name,target_class,joint_section_id\n",
        f"J1,镇界断面,Ⅲ,{crossing.joint_section_id}",
    )
    svc.import_sections(conn, path)
    (section,) = [s for s in svc.list_sections(conn) if s.code == "J1"]
    assert section.joint_section_id == crossing.joint_section_id
    assert section.upstream_region_code == crossing.upstream_region_code
    assert section.downstream_region_code == crossing.downstream_region_code
    assert section.water_body_code == crossing.water_body_code
    point = conn.execute(
        text("SELECT ST_X(crossing_point), ST_Y(crossing_point) FROM joint_section WHERE id = :i"),
        {"i": crossing.joint_section_id},
    ).one()
    assert (section.lon, section.lat) == (point[0], point[1])
    # a row may repeat the crossing's codes, never contradict them
    wrong = _csv(
        tmp_path,
        "wrong.csv",
        "code,name,target_class,joint_section_id,upstream_region_code\n",
        f"J2,镇界断面,Ⅲ,{crossing.joint_section_id},{crossing.downstream_region_code}",
    )
    with pytest.raises(InputError, match=r"line 2: upstream_region_code .* contradicts crossing"):
        svc.import_sections(conn, wrong)


def test_samples_get_the_class_of_their_worst_parameter(waters, tmp_path):
    _sections(waters, tmp_path)
    path = _csv(
        tmp_path,
        "samples.csv",
        SAMPLE_HEADER,
        # DO 6.5 Ⅱ, CODMn 5 Ⅲ, NH3-N 1.2 Ⅳ, TP 0.1 Ⅱ -> Ⅳ, computed
        "S1,2026-01-10,6.5,5,1.2,0.1,",
        # parameters give Ⅱ, the lab says Ⅲ (more items): Ⅲ as stated
        "S1,2026-02-10,6.5,3.5,0.4,0.08,Ⅲ",
        # class only
        "S2,2026-01-12,,,,,劣Ⅴ",
    )
    report = svc.import_samples(waters, path)
    assert report.inserted == 3
    assert report.derived == [
        "1 class(es) computed from the parameters by GB 3838-2002 表1 (single-factor), "
        "2 as stated in the file"
    ]
    rows = waters.execute(
        text(
            "SELECT section_code, sampled_on, quality_class, class_basis, ammonia_nitrogen "
            "FROM water_quality_sample WHERE section_code IN ('S1', 'S2') "
            "ORDER BY section_code, sampled_on"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("S1", dt.date(2026, 1, 10), 4, "computed", 1.2),
        ("S1", dt.date(2026, 2, 10), 3, "stated", 0.4),
        ("S2", dt.date(2026, 1, 12), 6, "stated", None),
    ]


def test_bad_samples_are_refused_line_by_line(waters, tmp_path):
    _sections(waters, tmp_path)
    path = _csv(
        tmp_path,
        "bad_samples.csv",
        SAMPLE_HEADER,
        "S1,2026-01-10,6.5,5,1.2,0.1,Ⅱ",  # stated Ⅱ, 氨氮 gives Ⅳ
        "S9,2026-01-10,6.5,,,,",
        "S1,2026-13-01,6.5,,,,",
        "S1,2026-03-01,-1,,,,",
        "S1,2026-04-01,,,,,",
        "S2,2026-01-12,,,,,Ⅲ",
        "S2,2026-01-12,,,,,Ⅳ",
        "S1,2026-05-01garbage,6.5,,,,",
        "S1,,6.5,,,,",
    )
    before = snapshot(waters)
    with pytest.raises(InputError) as info:
        svc.import_samples(waters, path)
    message = str(info.value)
    assert (
        "line 2: class Ⅱ类 stated, but 氨氮 give Ⅳ类 by GB 3838-2002 表1: a class cannot be "
        "better than its parameters" in message
    )
    assert "line 3: section 'S9' is not in the database (import sections first)" in message
    assert "line 4: sampled_on: '2026-13-01' is not a date (YYYY-MM-DD)" in message
    assert "line 5: dissolved_oxygen (溶解氧) '-1' is not a number >= 0" in message
    assert "line 6: neither a class nor any parameter is given" in message
    assert "line 8: section S2 on 2026-01-12 repeats line 7" in message
    assert "line 9: sampled_on: '2026-05-01garbage' is not a date (YYYY-MM-DD)" in message
    assert "line 10: sampled_on is required (YYYY-MM-DD)" in message
    assert snapshot(waters) == before


def test_samples_from_xlsx(waters, tmp_path):
    _sections(waters, tmp_path)
    book = Workbook()
    sheet = book.active
    sheet.append(["断面编码", "监测日期", "氨氮", "总磷", "备注"])
    sheet.append(["S1", "2026-05-06", 0.5, 0.2, "常规监测"])
    path = tmp_path / "samples.xlsx"
    book.save(path)
    report = svc.import_samples(waters, path)
    assert report.inserted == 1 and report.unused_columns == ["备注"]
    got = waters.execute(
        text("SELECT quality_class FROM water_quality_sample WHERE section_code = 'S1'")
    ).scalar_one()
    assert got == 3  # 氨氮 0.5 Ⅱ, 总磷 0.2 Ⅲ


def test_monthly_assessment_per_region(waters, tmp_path):
    _sections(waters, tmp_path)
    svc.import_samples(
        waters,
        _csv(
            tmp_path,
            "year.csv",
            SAMPLE_HEADER,
            "S1,2026-01-10,,,,,Ⅲ",  # target Ⅲ: met, 西县 +10万
            "S1,2026-02-10,,,,,Ⅳ",  # failed, 西县 -10万
            "S2,2026-01-12,,,,,Ⅱ",  # target Ⅱ: met, 东县 +10万
            "S2,2026-02-11,,,,,Ⅱ",
            "S2,2026-02-25,,,,,Ⅲ",  # February's worst is Ⅲ: failed, 东县 -10万
        ),
    )
    result = svc.assess(
        waters,
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 1),
        rule=load_assessment_rule(),
        region="990100",  # the test city (the shared database holds the sample too)
    )
    by = {(r.region_code, r.month): r for r in result.regions}
    assert (by["990101", "2026-01"].met, by["990101", "2026-01"].amount_yuan) == (1, 100_000)
    assert (by["990101", "2026-02"].failed, by["990101", "2026-02"].amount_yuan) == (1, -100_000)
    assert (by["990102", "2026-01"].amount_yuan, by["990102", "2026-02"].amount_yuan) == (
        100_000,
        -100_000,
    )
    assert by["990101", "2026-03"].no_data == 1 and by["990101", "2026-03"].amount_yuan == 0
    s2_feb = next(s for s in result.sections if s.section_code == "S2" and s.month == "2026-02")
    assert (s2_feb.month_class, s2_feb.samples, s2_feb.status) == (3, 2, "failed")
    assert result.total_yuan == 0
    with pytest.raises(InputError, match="before the first"):
        svc.assess(waters, dt.date(2026, 3, 1), dt.date(2026, 1, 1), rule=load_assessment_rule())
