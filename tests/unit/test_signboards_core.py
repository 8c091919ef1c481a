"""The pure core of the signboards (公示牌): which segment a board stands by, which chiefs it
lists, when it needs reprinting, what a public report may carry. Hand-made geometry in
metres; expected values worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from gis_service.domain import signboards as sb
from gis_service.reports.signboard_qr import board_url, qr_bytes, safe_file_name


def _lines(*coords) -> np.ndarray:
    return shapely.linestrings([list(c) for c in coords])


def test_nearest_segment_prefers_the_finest_level_at_the_same_distance():
    # a township segment and the village segment lying on it (0..1000 m along y = 0), and a
    # village segment of another river 150 m north (y = 150)
    lines = _lines(
        [(0, 0), (1000, 0)],  # 0 township
        [(0, 0), (400, 0)],  # 1 village, part of it
        [(0, 150), (1000, 150)],  # 2 another river's village segment
    )
    ranks = np.array([3, 4, 4])  # LEVEL_RANK: township 3, village 4
    points = shapely.points([(200, 60), (700, 60), (700, 100), (500, 400)])
    index, distance = sb.nearest_segments(points, lines, ranks, 200.0)
    # (200, 60): 60 m from both 0 and 1 -> the village one; 90 m from 2
    # (700, 60): 60 m from 0, 300 m from 1 (end at 400), 90 m from 2 -> the township one
    # (700, 100): 100 m from 0, 50 m from 2 -> 2
    # (500, 400): 250 m from 2, over the tolerance -> none
    assert index.tolist() == [1, 0, 2, -1]
    assert distance[:3].tolist() == pytest.approx([60.0, 60.0, 50.0])
    assert np.isnan(distance[3])


def test_nearest_segment_ties_within_half_a_metre_are_one_distance():
    lines = _lines([(0, 0), (100, 0)], [(0, 0.3), (100, 0.3)])
    index, _ = sb.nearest_segments(shapely.points([(50, 10)]), lines, np.array([2, 4]), 50.0)
    assert index.tolist() == [1]  # 10.0 m vs 9.7 m: a tie, the finer level wins
    index, _ = sb.nearest_segments(shapely.points([(50, 10)]), lines, np.array([4, 2]), 50.0)
    assert index.tolist() == [0]


def test_nothing_to_match():
    index, distance = sb.nearest_segments(
        shapely.points([(0, 0)]), np.array([], dtype=object), np.array([], dtype=np.int64), 10
    )
    assert index.tolist() == [-1] and np.isnan(distance[0])


def test_bank_of_a_boundary_stretch():
    assert sb.bank_region("A", "B", 0.0, 35.0) == "A"
    assert sb.bank_region("A", "B", 12.0, 0.0) == "B"
    assert sb.bank_region("A", "B", 5.0, 5.0) == "A"  # a tie: the left bank
    assert sb.bank_region(None, "B", None, 40.0) == "B"
    assert sb.bank_region(None, None, None, None) is None


POSTS = pd.DataFrame(
    [
        # chief_id, chief_name, role, level, region_code, water_body_code
        ("C1", "市河长", "river_chief", "city", "450500", "W"),
        ("C2", "市副河长", "deputy_chief", "city", "450500", "W"),
        ("C3", "县段长", "segment_chief", "county", "450521", "W"),
        ("C4", "乡段长", "segment_chief", "township", "450521107", "W"),
        ("C5", "村段长", "segment_chief", "village", "450521107201", "W"),
        ("C6", "邻村段长", "segment_chief", "village", "450521107202", "W"),  # other village
        ("C7", "巡河员", "patrol_staff", "village", "450521107201", "W"),  # not a chief
        ("C8", "他河段长", "segment_chief", "village", "450521107201", "V"),  # other water
        ("C9", "县总河长", "general_chief", "county", "450521", None),  # holds a region
    ],
    columns=["chief_id", "chief_name", "role", "level", "region_code", "water_body_code"],
)
VILLAGE_UP = ("450521107201", "450521107", "450521", "450500", "450000")


def test_a_village_board_lists_every_level_above_it_top_down():
    chiefs = sb.stretch_chiefs(POSTS, water="W", level="village", regions=VILLAGE_UP)
    assert [c.chief_id for c in chiefs] == ["C1", "C2", "C3", "C4", "C5"]


def test_a_township_board_does_not_list_the_villages():
    chiefs = sb.stretch_chiefs(POSTS, water="W", level="township", regions=VILLAGE_UP[1:])
    assert [c.chief_id for c in chiefs] == ["C1", "C2", "C3", "C4"]


def test_reprint_when_a_chief_was_replaced_or_is_missing():
    printed = sb.stretch_chiefs(POSTS, water="W", level="village", regions=VILLAGE_UP)
    replaced = POSTS.copy()
    replaced.loc[replaced["chief_id"] == "C4", ["chief_id", "chief_name"]] = ("C4b", "新乡段长")
    current = sb.stretch_chiefs(replaced, water="W", level="village", regions=VILLAGE_UP)
    check = sb.compare_listing(printed, current)
    assert check.needs_reprint
    assert [c.chief_id for c in check.gone] == ["C4"]
    assert [c.chief_id for c in check.missing] == ["C4b"]
    assert not sb.compare_listing(current, current).needs_reprint
    # a board printed without the deputy: a chief of the stretch is missing from it
    partial = [c for c in current if c.role != "deputy_chief"]
    check = sb.compare_listing(partial, current)
    assert [c.chief_id for c in check.missing] == ["C2"] and not check.gone


def test_the_same_person_in_another_post_is_another_line():
    printed = sb.stretch_chiefs(POSTS, water="W", level="village", regions=VILLAGE_UP)
    moved = POSTS.copy()
    moved.loc[moved["chief_id"] == "C5", "role"] = "deputy_chief"
    current = sb.stretch_chiefs(moved, water="W", level="village", regions=VILLAGE_UP)
    check = sb.compare_listing(printed, current)
    assert [(c.chief_id, c.role) for c in check.gone] == [("C5", "segment_chief")]
    assert [(c.chief_id, c.role) for c in check.missing] == [("C5", "deputy_chief")]


def test_chiefs_named_in_a_file():
    chiefs = sb.stretch_chiefs(POSTS, water="W", level="village", regions=VILLAGE_UP)
    assert sb.split_names("C1；乡段长、 C5,,") == ["C1", "乡段长", "C5"]
    picked, bad = sb.pick_listed(["C1", "乡段长", "C5", "张三"], chiefs)
    assert [c.chief_id for c in picked] == ["C1", "C4", "C5"]
    assert bad == ["张三"]


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a\x01\x00", None),
        (b"<svg xmlns=", None),
        (b"\xff\xd8", None),  # too short to be a JPEG
        (b"", None),
    ],
)
def test_photo_kind_by_its_first_bytes(head, kind):
    assert sb.photo_type(head) == kind


def test_report_text_and_location():
    assert sb.check_report_text("  河边有垃圾 \n", 100) == "河边有垃圾"
    for bad, word in (("", "required"), ("x" * 101, "at most 100"), ("a\x00b", "control")):
        with pytest.raises(ValueError, match=word):
            sb.check_report_text(bad, 100)
    board = (109.2, 21.6)
    assert sb.check_report_location(None, None, board, 5000) is None
    # 0.01° of latitude at 21.6°N is 1,107 m (110.7 km per degree): inside 5 km
    assert sb.check_report_location(109.2, 21.61, board, 5000) == (109.2, 21.61)
    # 0.1° is 11.1 km: implausible for a report through this board
    with pytest.raises(ValueError, match=r"11\.1 km from the board"):
        sb.check_report_location(109.2, 21.7, board, 5000)
    with pytest.raises(ValueError, match="both or neither"):
        sb.check_report_location(109.2, None, board, 5000)
    with pytest.raises(ValueError, match="not a longitude/latitude"):
        sb.check_report_location(21.6, 109.2, board, 5000)


def test_rules_file_refuses_unknown_keys_and_bad_values(tmp_path):
    rules = sb.load_signboard_rules()
    assert rules.supervision_phone is None and rules.tolerance_m == 300
    path = tmp_path / "r.toml"
    path.write_text("[reports]\nper_client = 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[reports\] per_client must be an integer from 1"):
        sb.load_signboard_rules(path)
    path.write_text("[office]\nphone = '1'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[office\] unknown key\(s\) phone"):
        sb.load_signboard_rules(path)
    path.write_text("[office]\nsupervision_phone = '0779-1234567'\n", encoding="utf-8")
    assert sb.load_signboard_rules(path).supervision_phone == "0779-1234567"


def test_qr_codes_read_back_to_the_board_page():
    zxingcpp = pytest.importorskip("zxingcpp")
    from io import BytesIO

    from PIL import Image

    url = board_url("https://gis.example/api/", "GSP 001/x")
    assert url == "https://gis.example/api/boards/GSP%20001%2Fx"
    image = Image.open(BytesIO(qr_bytes(url, "png")))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [url]
    svg = qr_bytes(url, "svg", title="<b>")
    assert svg.startswith(b"<?xml") and b"<title>&lt;b&gt;</title>" in svg
    assert safe_file_name("GSP 001/x") == "GSP_001_x"
