"""Point-source chiefs over HTTP: office imports, public roster without phones, the audit
(on its own and inside /audits), the clustered map with escaped popups."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer

REGION = "450521"  # a county of the sample


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture
def points(api, tokens, engine):
    office = bearer(tokens["office"])
    body = (
        "code,name,kind,region_code,lon,lat\n"
        f"APT-1,<script>x</script>塘,pond,{REGION},109.20,21.70\n"
        f"APT-2,排污口甲,outfall,{REGION},109.21,21.71\n"
    )
    answer = api.post(
        "/point-sources/points",
        files={"file": ("p.csv", body.encode(), "text/csv")},
        headers=office,
    )
    assert answer.status_code == 200, answer.text
    posts = (
        "person_id,name,phone,title,role,point_code,valid_from,valid_to\n"
        "APX-1,塘长甲,199-1111-2222,村委委员,塘长,APT-1,2026-01-01,\n"
        "APX-2,口长乙,199-3333-4444,,口长,APT-2,2026-01-01,2026-02-28\n"
    )
    answer = api.post(
        "/point-sources/posts",
        files={"file": ("posts.csv", posts.encode(), "text/csv")},
        headers=office,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 2
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM responsibility_point WHERE code LIKE 'APT-%'"))
        conn.execute(text("DELETE FROM chief WHERE id LIKE 'APX-%'"))


def test_only_the_office_imports(api, tokens):
    csv = ("p.csv", b"code,name,kind,region_code,lon,lat\n", "text/csv")
    assert api.post("/point-sources/points", files={"file": csv}).status_code == 401
    viewer = bearer(tokens["viewer"])
    assert api.post("/point-sources/posts", files={"file": csv}, headers=viewer).status_code == 403


def test_roster_audit_and_map(api, tokens, points):
    public = api.get("/point-sources/posts", params={"on": "2026-02-01", "region": REGION}).json()
    mine = {p["point_code"]: p for p in public if p["point_code"].startswith("APT-")}
    assert mine["APT-1"]["role_label"] == "塘长" and mine["APT-1"]["chief_name"] == "塘长甲"
    assert all(p["phone"] is None for p in public)
    office = bearer(tokens["office"])
    listed = api.get(
        "/point-sources/posts", params={"on": "2026-02-01", "region": REGION}, headers=office
    ).json()
    assert {p["phone"] for p in listed if p["point_code"] == "APT-1"} == {"199-1111-2222"}
    march = api.get("/point-sources/posts", params={"on": "2026-03-01", "region": REGION}).json()
    assert "APT-2" not in {p["point_code"] for p in march}  # the 口长's post ended in February

    params = {"region": REGION, "period": "2026-Q1", "as_of": "2026-04-01"}
    assert api.get("/audits/point-posts", params=params).status_code == 401
    viewer = bearer(tokens["viewer"])
    assert api.get("/audits/point-posts", params=params, headers=viewer).status_code == 403
    audit = api.get("/audits/point-posts", params=params, headers=office).json()
    rows = {(r["point_code"], r["period"]): r for r in audit["rows"]}
    # no patrols by these people: every month owed is missed; the 口长 owes nothing in March
    assert [rows["APT-1", m]["status"] for m in ("2026-01", "2026-02", "2026-03")] == [
        "missed",
        "missed",
        "missed",
    ]
    assert rows["APT-2", "2026-03"]["status"] == "not_required"
    assert rows["APT-2", "2026-01"]["tolerance_m"] == 50

    report = api.get("/audits", params=params, headers=office).json()
    # the patrol audit's report carries the point posts too
    assert {r["point_code"] for r in report["point_posts"]} >= {"APT-1", "APT-2"}

    page = api.get("/maps/point-sources", params={"region": REGION, "on": "2026-02-01"})
    assert page.status_code == 200
    assert "gis-point-source" in page.text  # the cluster's marker class
    assert "APT-1" in page.text and "<script>x</script>" not in page.text
    # the popup's HTML reaches the page escaped (then JSON-encoded with \\u escapes)
    assert "\\u0026lt;script\\u0026gt;x\\u0026lt;/script\\u0026gt;" in page.text
