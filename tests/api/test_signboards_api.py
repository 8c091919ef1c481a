"""Signboards over HTTP: office imports, public board JSON and page (escaped, no phones, the
office's supervision number), the anonymous report route (a problem from the public on the
board's river, its photo kept; JPEG/PNG by their bytes; 413 while streaming; 429 per address
and per board), and anonymity allowed on that route only."""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.config import Settings
from gis_service.services import signboards as svc
from tests.conftest import bearer
from tests.signboard_fixtures import WATER, drop_stream, make_stream

RULES = """
[office]
supervision_phone = "0779-1234567"
name = "测试河长办"
[reports]
per_client = 3
client_window_s = 600
per_board = 5
board_window_s = 3600
max_photo_bytes = 20000
"""
CAP = 20000 + 64_000  # the guard's cap of a report: the photo and the form's fields


def _png(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def stream(engine, sample_loaded) -> Iterator[dict]:
    """The hand-made river with two boards, committed (the app's requests commit)."""
    with engine.begin() as conn:
        info = make_stream(conn)
    try:
        with engine.begin() as conn:
            path = Path(tempfile.mkdtemp()) / "boards.csv"
            deg = info["deg"]
            path.write_text(
                "code,name,lon,lat,water_body_code,printed_on\n"
                f"TB-1,村段牌,{info['x0']},{info['y0'] + 100 * deg:.8f},{WATER},2026-03-01\n"
                f"TB-X,<script>alert(1)</script>牌,{info['x0']},{info['y0'] - 80 * deg:.8f},"
                f"{WATER},2026-03-01\n",
                encoding="utf-8",
            )
            svc.import_signboards(conn, path, today=dt.date(2026, 11, 30), tolerance_m=300)
        yield info
    finally:
        with engine.begin() as conn:
            drop_stream(conn)


def _client(engine, tmp_path_factory) -> TestClient:
    rules = tmp_path_factory.mktemp("rules") / "signboards.toml"
    rules.write_text(RULES, encoding="utf-8")
    settings = Settings(signboard_rules_file=rules, trusted_proxies="testclient")
    return TestClient(create_app(engine, settings))


@pytest.fixture
def api(engine, stream, tmp_path_factory) -> Iterator[TestClient]:
    """A fresh app per test: its rate limits start from zero."""
    with _client(engine, tmp_path_factory) as client:
        yield client


def _report(api, board="TB-1", address="10.0.0.1", files=None, **data):
    return api.post(
        f"/signboards/{board}/reports",
        data={"text": "河边堆了一车建筑垃圾", "category": "dumping", **data},
        files=files,
        headers={"X-Forwarded-For": address, "Accept": "application/json"},
    )


def _problems(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM problem")).scalar_one()


def test_only_the_office_imports_and_reads_the_reprint_list(api, tokens, stream):
    csv = ("b.csv", f"code,lon,lat\nTB-9,{stream['x0']},{stream['y0']}\n".encode(), "text/csv")
    assert api.post("/signboards", files={"file": csv}).status_code == 401
    viewer = bearer(tokens["viewer"])
    assert api.post("/signboards", files={"file": csv}, headers=viewer).status_code == 403
    office = bearer(tokens["office"])
    answer = api.post("/signboards", files={"file": csv}, headers=office)
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1 and "WGS 84" in answer.json()["crs"]
    assert api.get("/signboards/reprint").status_code == 401
    assert api.get("/signboards/reprint", headers=viewer).status_code == 403
    listed = api.get("/signboards/reprint", params={"on": "2026-08-01"}, headers=office).json()
    mine = {b["code"]: b for b in listed if b["code"].startswith("TB-")}
    # printed in March with the first village chief, replaced on 2026-07-01
    assert set(mine) == {"TB-1", "TB-X"}
    assert [c["chief_id"] for c in mine["TB-1"]["no_longer_in_post"]] == ["TSX-V1"]
    assert [c["chief_id"] for c in mine["TB-1"]["not_printed"]] == ["TSX-V2"]


def test_anonymous_writes_only_on_the_report_route(api, stream):
    assert api.post("/problems", json={}).status_code == 401
    assert api.post("/signboards/TB-1/reports/extra", data={"text": "x"}).status_code == 401
    assert api.post("/signboards/TB-1", data={"text": "x"}).status_code == 401
    assert api.put("/signboards/TB-1/reports", data={"text": "x"}).status_code == 401
    assert _report(api).status_code == 201


def test_board_json_and_page_are_public_without_phones(api, stream):
    board = api.get("/signboards/TB-1", params={"on": "2026-08-01"})
    assert board.status_code == 200
    body = board.json()
    assert [c["chief_id"] for c in body["chiefs"]] == ["TSX-C", "TSX-T", "TSX-V2"]
    assert [c["role_label"] for c in body["chiefs"]] == ["河段长"] * 3
    assert [c["level_label"] for c in body["chiefs"]] == ["县级", "乡级", "村级"]
    assert body["needs_reprint"] and body["page"].endswith("/boards/TB-1")
    assert body["level"] == "village" and body["match_distance_m"] == pytest.approx(100, abs=0.2)
    assert "199-7777" not in board.text  # the chiefs' phones (seeded) never appear

    page = api.get("/boards/TB-X", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;牌" in html and "<script>alert" not in html
    assert "村段长丁" in html and "村段长丙" not in html  # today's village chief
    assert "巡河员戊" not in html  # patrol staff are not chiefs
    assert "0779-1234567" in html and "199-7777" not in html
    assert "测试河长办" in html
    # nothing from anywhere else: no external URL, and the browser is told so
    assert not re.search(r"(src|href|action)=\"(https?:)?//", html)
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert api.get("/boards/NOPE").status_code == 404


def test_a_report_becomes_a_public_problem_with_its_photo(api, engine, tokens, stream):
    photo = _png()
    lat = stream["y0"] + 0.001
    answer = _report(
        api,
        files={"photo": ("IMG_0001.png", photo, "image/png")},
        lon=str(stream["x0"]),
        lat=str(lat),
        contact="王先生 138",
    )
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert (out["source_label"], out["status_label"]) == ("群众举报", "已上报")
    pid = out["problem_id"]
    office = bearer(tokens["office"])
    problem = api.get(f"/problems/{pid}", headers=office).json()["properties"]
    assert problem["source"] == "public" and problem["chief_id"] is None
    assert problem["water_body_code"] == WATER and problem["category"] == "dumping"
    assert problem["description"] == "河边堆了一车建筑垃圾"
    assert "公示牌 TB-1" in problem["source_detail"] and "王先生 138" in problem["source_detail"]
    assert problem["photo_ref"] == f"/signboards/reports/{pid}/photo"
    assert problem["events"][0]["user_name"] == "public (board TB-1)"
    # the public does not see the reporter's text or contact
    public = api.get(f"/problems/{pid}").json()["properties"]
    assert "description" not in public and "source_detail" not in public
    # the photo as received, for the office only
    assert api.get(problem["photo_ref"]).status_code == 401
    assert api.get(problem["photo_ref"], headers=bearer(tokens["viewer"])).status_code == 403
    got = api.get(problem["photo_ref"], headers=office)
    assert got.content == photo and got.headers["content-type"] == "image/png"
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT board_code, location_given, photo_type, ST_Y(p.geom) FROM public_report r "
                "JOIN problem p ON p.id = r.problem_id WHERE r.problem_id = :p"
            ),
            {"p": pid},
        ).one()
    assert tuple(row[:3]) == ("TB-1", True, "image/png") and row[3] == pytest.approx(lat)
    # the office hands it over (seed 002 第二十七条): the problem workflow as for any other
    step = api.post(
        f"/problems/{pid}/events",
        json={"action": "hand_over", "handed_to": "城管局", "working_days": 5},
        headers=office,
    )
    assert step.status_code == 200 and step.json()["properties"]["status"] == "handed_over"


def test_without_a_location_the_report_is_at_the_board(api, engine, stream):
    answer = _report(api, address="10.0.0.2")
    assert answer.status_code == 201
    with engine.connect() as conn:
        x, y, given = conn.execute(
            text(
                "SELECT ST_X(p.geom), ST_Y(p.geom), r.location_given FROM problem p "
                "JOIN public_report r ON r.problem_id = p.id WHERE p.id = :p"
            ),
            {"p": answer.json()["problem_id"]},
        ).one()
    assert (x, y) == pytest.approx((stream["x0"], stream["y0"] + 100 * stream["deg"]))
    assert given is False


def test_a_plain_form_post_gets_a_page(api, stream):
    answer = api.post(
        "/signboards/TB-1/reports",
        data={"text": "水面漂浮垃圾"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert answer.status_code == 201 and "举报已受理" in answer.text


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("photo.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/jpeg"),
        ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("photo.jpg", b"\xff\xd8", "image/jpeg"),
    ],
)
def test_a_photo_is_refused_by_its_bytes(api, engine, stream, name, data, kind):
    before = _problems(engine)
    answer = _report(api, files={"photo": (name, data, kind)})
    assert answer.status_code == 400
    assert "only JPEG or PNG" in answer.json()["detail"]
    assert _problems(engine) == before


def test_bad_text_and_locations_are_refused_by_name(api, engine, stream):
    before = _problems(engine)
    cases = [
        ({"text": "  "}, "text: describe the problem"),
        ({"lon": "abc", "lat": "21"}, "lon: 'abc' is not a number"),
        ({"lon": str(stream["x0"])}, "give both or neither"),
        ({"lon": str(stream["x0"]), "lat": str(stream["y0"] + 0.1)}, "km from the board"),
        ({"category": "ufo"}, "category must be one of"),
    ]
    for k, (data, word) in enumerate(cases):
        answer = _report(api, address=f"10.0.1.{k}", **data)
        assert answer.status_code == 400, (data, answer.text)
        assert word in answer.json()["detail"], answer.text
    assert _report(api, board="NOPE", address="10.0.2.1").status_code == 404
    assert _problems(engine) == before


def test_oversize_reports_get_413_while_streaming(api, engine, stream):
    before = _problems(engine)

    def chunks() -> Iterator[bytes]:
        for _ in range(40):  # 40 x 4 KB, no Content-Length: refused once past the cap
            yield b"x" * 4096

    streamed = api.post(
        "/signboards/TB-1/reports",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=zz", "X-Forwarded-For": "10.9.0.1"},
    )
    assert streamed.status_code == 413 and str(CAP) in streamed.json()["detail"]
    declared = api.post(
        "/signboards/TB-1/reports",
        content=b"x" * (CAP + 1),
        headers={"Content-Type": "multipart/form-data; boundary=zz", "X-Forwarded-For": "10.9.0.2"},
    )
    assert declared.status_code == 413
    # within the request's cap, over the photo's: the route names the photo
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * 30_000
    answer = _report(api, address="10.9.0.3", files={"photo": ("big.png", big, "image/png")})
    assert answer.status_code == 413 and "photo" in answer.json()["detail"]
    assert _problems(engine) == before


def test_rate_limits_per_address_and_per_board(api, stream):
    # three per address in 10 minutes (empty reports are refused, but they count)
    for _ in range(3):
        assert _report(api, address="10.1.0.1", text="").status_code == 400
    refused = _report(api, address="10.1.0.1")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    # five per board in an hour: two more from another address, then the board is closed
    assert _report(api, address="10.1.0.2", text="").status_code == 400
    assert _report(api, address="10.1.0.2", text="").status_code == 400
    closed = _report(api, address="10.1.0.3")
    assert closed.status_code == 429 and int(closed.headers["Retry-After"]) <= 3600
    # another board is open to that address
    assert _report(api, board="TB-X", address="10.1.0.3").status_code == 201


def test_a_location_at_sea_is_outside_the_service_area(engine, stream, tmp_path_factory):
    rules = tmp_path_factory.mktemp("far") / "signboards.toml"
    rules.write_text("[reports]\nmax_distance_m = 100000\n", encoding="utf-8")
    settings = Settings(signboard_rules_file=rules)
    before = _problems(engine)
    with TestClient(create_app(engine, settings)) as client:
        # 0.25° (28 km) south of the board: the Beibu Gulf, between the coast and 涠洲岛
        answer = _report(client, lon=str(stream["x0"]), lat=str(stream["y0"] - 0.25))
    assert answer.status_code == 400
    assert "outside_service_area" in answer.json()["detail"]
    assert _problems(engine) == before
