"""The map portal at ``/``: HTML for browsers, the JSON links for programs (issue 18)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis_service.api.app import create_app
from gis_service.api.negotiate import prefers_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("*/*", False),
        (None, False),
        ("", False),
        ("application/json", False),
        ("text/html, application/json", False),  # a tie keeps JSON
        ("application/json;q=0.5, text/html", True),
        ("text/html;q=0, */*", False),
        ("text/html;q=bad", False),
    ],
)
def test_prefers_html(accept, html):
    assert prefers_html(accept) is html


def test_programs_still_get_the_json_links(client):
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        response = client.get("/", headers=headers)
        assert response.headers["content-type"].startswith("application/json"), headers
        assert {"service-doc", "summary"} <= {link["rel"] for link in response.json()["links"]}
    assert "Accept" in client.get("/").headers["vary"]


def test_browsers_get_the_portal_with_the_region_tree(client):
    response = client.get("/", headers={"Accept": BROWSER})
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    # the sample's tree, down to townships: 1 province, 1 city, 4 counties, 20 townships
    assert page.count("data-region=") == 1 + 1 + 4 + 20
    for name in ("广西壮族自治区", "北海市", "合浦县", "海城区"):
        assert name in page
    assert 'id="region-tree"' in page and 'href="/docs"' in page
    # no region chosen yet: nothing to open
    assert "open-coverage" not in page


def test_portal_for_a_region_and_period(client):
    page = client.get("/?region=450521&period=2026-Q3", headers={"Accept": BROWSER}).text
    assert '<option value="2026-Q3" selected>' in page
    assert "/maps/coverage?region=450521&amp;period=2026-Q3" in page
    assert "/audits?region=450521&amp;period=2026-Q3" in page
    # ancestors as breadcrumbs, and the waters of 合浦县 with their river maps
    assert page.index("广西壮族自治区") < page.index("北海市") < page.index('id="region-name"')
    for code, name in (("R4505-01", "南流江"), ("K4505-01", "洪潮江水库")):
        assert f'href="/maps/rivers/{code}"' in page and name in page
    # downloads for ArcGIS and QGIS of the region's segments (a whole page of them)
    for fmt in ("gpkg", "shp", "kml"):
        assert f"/collections/segments/items?region=450521&amp;limit=10000&amp;f={fmt}" in page
    # the period selector of another period keeps the region
    other = client.get("/?region=450521&period=2026-07&f=html").text
    assert '<option value="2026-07" selected>' in other
    assert "/maps/coverage?region=450521&amp;period=2026-07" in other


def test_portal_refuses_bad_choices(client):
    bad = client.get("/?region=450521&period=2026-Q5&f=html")
    assert bad.status_code == 400 and "2026-Q5" in bad.json()["detail"]
    assert client.get("/?region=459999&f=html").status_code == 404
    # a program asking for JSON with portal choices is told, not silently ignored
    assert client.get("/?region=450521").status_code == 400


def test_maps_leads_to_the_portal(client):
    response = client.get("/maps", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
