"""Coverage maps are rendered once per (region, period, as-of, role, options, data version)
(issue 16, defect 10: each cost about 1.6 s of CPU, and 30 anonymous ones froze the
service). Folium names every element with a random id, so two renders of the same map
differ: an identical page is a cached one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer

MAP = {"region": "450521", "period": "2026-Q4", "as_of": "2026-11-25", "basemap": "none"}


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


def test_the_same_map_is_served_from_the_cache_until_the_data_change(api, engine, tokens):
    office = bearer(tokens["office"])
    first = api.get("/maps/coverage", params=MAP, headers=office)
    again = api.get("/maps/coverage", params=MAP, headers=office)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text  # not rendered again
    public = api.get("/maps/coverage", params=MAP)
    assert public.text != first.text  # another role, another page
    res = api.post(
        "/problems",
        json={
            "lon": 109.643,
            "lat": 21.7779,
            "category": "dumping",
            "description": "cache-check-new-problem",
            "found_at": "2026-11-20T09:30:00+08:00",
        },
        headers=bearer(tokens["P0203"]),
    )
    assert res.status_code == 201, res.text
    try:
        changed = api.get("/maps/coverage", params=MAP, headers=office)
        assert "cache-check-new-problem" in changed.text
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM problem WHERE id = :i"), {"i": res.json()["id"]})
    after = api.get("/maps/coverage", params=MAP, headers=office)
    assert "cache-check-new-problem" not in after.text
