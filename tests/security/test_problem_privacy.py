"""A problem's description, photo and patrol are for its reporting chief and the office
(issue 16, defect 6): before the fix every chief saw every chief's notes in the problems
collection, and the anonymous coverage map showed descriptions in its popups."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer

NEAR_MAJIANG = (109.643, 21.7779)
A, B = "P0203", "P0145"
# ASCII: map pages write CJK text as \u escapes
SECRET = {A: "A-notes-sand-boat-at-night", B: "B-notes-reporter-phone"}
PERSONAL = {"description", "photo_ref", "patrol_id"}


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture(scope="module")
def reported(api, engine, tokens) -> dict[str, dict]:
    """One problem reported by each chief (B's filed by the office), deleted afterwards."""
    out = {}
    for chief, token, extra in ((A, tokens[A], {}), (B, tokens["office"], {"chief_id": B})):
        body = {
            "lon": NEAR_MAJIANG[0],
            "lat": NEAR_MAJIANG[1],
            "category": "sand_mining",
            "description": SECRET[chief],
            "photo_ref": f"photo-{chief}.jpg",
            "found_at": "2026-11-20T09:30:00+08:00",
            **extra,
        }
        res = api.post("/problems", json=body, headers=bearer(token))
        assert res.status_code == 201, res.text
        out[chief] = res.json()
    yield out
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM problem WHERE id::text = ANY(:i)"),
            {"i": [f["id"] for f in out.values()]},
        )


def _listed(api, headers) -> dict[str, dict]:
    res = api.get("/collections/problems/items", params={"limit": 1000}, headers=headers)
    assert res.status_code == 200, res.text
    return {f["id"]: f["properties"] for f in res.json()["features"]}


def test_a_chief_sees_own_notes_not_another_chiefs(api, tokens, reported):
    seen = _listed(api, bearer(tokens[A]))
    own, other = seen[reported[A]["id"]], seen[reported[B]["id"]]
    assert own["description"] == SECRET[A] and own["photo_ref"] == f"photo-{A}.jpg"
    assert not PERSONAL & set(other), other
    one = api.get(f"/collections/problems/items/{reported[B]['id']}", headers=bearer(tokens[A]))
    assert not PERSONAL & set(one.json()["properties"])


def test_the_office_sees_every_chiefs_notes(api, tokens, reported):
    seen = _listed(api, bearer(tokens["office"]))
    assert {seen[reported[c]["id"]]["description"] for c in (A, B)} == set(SECRET.values())


def test_the_public_sees_no_notes(api, reported):
    seen = _listed(api, {})
    assert all(not PERSONAL & set(seen[reported[c]["id"]]) for c in (A, B))


def test_the_anonymous_coverage_map_shows_no_description(api, tokens, reported):
    region = reported[A]["properties"]["region_code"][:6]  # the county
    params = {"region": region, "period": "2026-Q4", "basemap": "none"}
    public = api.get("/maps/coverage", params=params)
    assert public.status_code == 200, public.text
    assert not any(s in public.text for s in SECRET.values())
    as_chief = api.get("/maps/coverage", params=params, headers=bearer(tokens[A]))
    assert not any(s in as_chief.text for s in SECRET.values())
    office = api.get("/maps/coverage", params=params, headers=bearer(tokens["office"]))
    assert all(s in office.text for s in SECRET.values())
