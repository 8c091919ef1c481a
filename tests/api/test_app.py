"""The HTTP app against the real test database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis_service.api.app import create_app


@pytest.fixture(scope="module")
def client(engine):
    with TestClient(create_app(engine)) as c:
        yield c


def test_root_links_to_docs_and_summary(client):
    body = client.get("/").json()
    rels = {link["rel"] for link in body["links"]}
    assert {"service-doc", "summary", "health"} <= rels


def test_health_reports_postgis(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")


def test_openapi_document_is_served(client):
    assert client.get("/openapi.json").json()["info"]["title"].startswith("河湖长制")
