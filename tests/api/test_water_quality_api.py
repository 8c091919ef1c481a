"""Boundary-section water quality over HTTP: role checks, imports, assessment, XLSX, map."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture
def sections(api, tokens, engine):
    """Two sections at township crossings of the sample, imported by the office; removed
    afterwards (the sample database is shared by the session)."""
    office = bearer(tokens["office"])
    proposals = api.get("/water-quality/sections/proposals", headers=office).json()
    township = [p for p in proposals if p["level"] == "township"][:2]
    assert len(township) == 2
    body = "code,name,target_class,joint_section_id\n" + "".join(
        f"WQT-{i},<b>断面{i}</b>,Ⅲ,{p['joint_section_id']}\n" for i, p in enumerate(township)
    )
    answer = api.post(
        "/water-quality/sections",
        files={"file": ("sections.csv", body.encode(), "text/csv")},
        headers=office,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 2
    yield township
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM monitoring_section WHERE code LIKE 'WQT-%'"))


def test_only_the_office_imports_and_proposes(api, tokens):
    csv = ("sections.csv", b"code,name,target_class\n", "text/csv")
    assert api.post("/water-quality/sections", files={"file": csv}).status_code == 401
    viewer = bearer(tokens["viewer"])
    assert (
        api.post("/water-quality/samples", files={"file": csv}, headers=viewer).status_code == 403
    )
    assert api.get("/water-quality/sections/proposals", headers=viewer).status_code == 403


def test_a_bad_samples_file_is_refused_naming_the_line(api, tokens, sections, engine):
    body = "断面编码,采样日期,氨氮,水质类别\nWQT-0,2027-01-05,1.2,Ⅱ\n"
    answer = api.post(
        "/water-quality/samples",
        files={"file": ("s.csv", body.encode(), "text/csv")},
        headers=bearer(tokens["office"]),
    )
    assert answer.status_code == 400
    assert "line 2: class Ⅱ类 stated, but 氨氮 give Ⅳ类" in answer.json()["detail"]
    with engine.connect() as conn:
        stored = "SELECT count(*) FROM water_quality_sample WHERE section_code LIKE 'WQT-%'"
        assert conn.execute(text(stored)).scalar_one() == 0


def test_assessment_json_xlsx_and_map(api, tokens, sections):
    office = bearer(tokens["office"])
    body = (
        "断面编码,采样日期,溶解氧,氨氮,总磷\n"
        "WQT-0,2027-01-05,6.5,0.8,0.15\n"  # Ⅲ (氨氮, 总磷): meets Ⅲ
        "WQT-0,2027-02-05,6.5,1.2,0.15\n"  # Ⅳ (氨氮): fails
        "WQT-1,2027-01-07,4.0,0.4,0.1\n"  # Ⅳ (溶解氧): fails
    )
    answer = api.post(
        "/water-quality/samples",
        files={"file": ("s.csv", body.encode(), "text/csv")},
        headers=office,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 3

    public = api.get("/water-quality/sections").json()
    mine = {s["code"]: s for s in public if s["code"].startswith("WQT-")}
    assert mine["WQT-0"]["target_class_label"] == "Ⅲ类"
    assert mine["WQT-0"]["upstream_region_code"] == sections[0]["upstream_region_code"]

    params = {"first": "2027-01", "last": "2027-02"}  # after the sample's months
    assert api.get("/water-quality/assessment", params=params).status_code == 401
    viewer = bearer(tokens["viewer"])
    assert api.get("/water-quality/assessment", params=params, headers=viewer).status_code == 403
    result = api.get("/water-quality/assessment", params=params, headers=office).json()
    rows = {(s["section_code"], s["month"]): s for s in result["sections"]}
    assert (rows["WQT-0", "2027-01"]["status"], rows["WQT-0", "2027-01"]["amount_yuan"]) == (
        "met",
        100_000,
    )
    assert rows["WQT-0", "2027-02"]["month_class_label"] == "Ⅳ类"
    assert rows["WQT-0", "2027-02"]["amount_yuan"] == -100_000
    assert rows["WQT-1", "2027-01"]["status_label"] == "未达标"
    assert rows["WQT-1", "2027-02"]["status"] == "no_data"
    mine = [s for s in result["sections"] if s["section_code"].startswith("WQT-")]
    assert sum(s["amount_yuan"] for s in mine) == -100_000
    assert result["total_yuan"] == sum(r["amount_yuan"] for r in result["regions"])
    assert result["rule"]["reward_yuan"] == 100_000 and "seed 004" in result["rule"]["source"]
    bad = api.get(
        "/water-quality/assessment", params={"first": "2026-13", "last": "2027-02"}, headers=office
    )
    assert bad.status_code == 400 and "first '2026-13' is not a month" in bad.json()["detail"]
    far = api.get("/maps/water-quality", params={"month": "9999-12"})
    assert far.status_code == 400 and "outside the years 1900-2999" in far.json()["detail"]

    xlsx = api.get("/water-quality/assessment.xlsx", params=params, headers=office)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["区域汇总", "断面逐月", "规则"]
    section_rows = list(book["断面逐月"].iter_rows(min_row=2, values_only=True))
    first = next(r for r in section_rows if r[0] == "WQT-0" and r[5] == "2027-01")
    assert first[6:] == ("Ⅲ类", "Ⅲ类", 1, "达标", 100_000)
    assert sum(r[6] for r in book["区域汇总"].iter_rows(min_row=2, values_only=True)) == -100_000

    page = api.get("/maps/water-quality", params={"month": "2027-01"})
    assert page.status_code == 200
    # the name reaches the page escaped (folium writes the JSON with \\u escapes)
    assert "\\u0026lt;b\\u0026gt;" in page.text and "<b>" not in page.text
    assert "#31a354" in page.text and "#fed976" in page.text  # Ⅲ green, Ⅳ yellow

    # the river map shows its sections with last month's class (January for a February day)
    river = sections[0]["water_body_code"]
    page = api.get(f"/maps/rivers/{river}", params={"date": "2027-02-10"})
    assert page.status_code == 200
    assert "gis-water-quality-section" in page.text and "#31a354" in page.text
