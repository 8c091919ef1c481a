"""Tokens in logs and links, and the Host header (issue 16, defect 7).

Before the fix ``?access_token=`` was written in full to the access log and copied into the
collections' ``self``/``next`` links, and the request's ``Host`` header made the links'
base (``http://evil.example/collections/regions``)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from fastapi.testclient import TestClient

from gis_service.api.app import create_app
from gis_service.config import get_settings


def _get(url: str, headers: dict[str, str] | None = None) -> dict:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def test_a_token_in_the_address_reaches_neither_the_log_nor_the_links(live_server, tokens):
    token = tokens["office"]
    body = _get(f"{live_server.url}/collections/regions/items?limit=2&access_token={token}")
    hrefs = [link["href"] for link in body["links"]]
    assert {link["rel"] for link in body["links"]} >= {"self", "next"}
    assert not any(token in h or "access_token" in h for h in hrefs), hrefs
    log = live_server.log_text()
    assert "/collections/regions/items" in log  # the access log is on and was written
    assert token not in log
    assert "access_token=[redacted]" in log


def test_the_host_header_does_not_make_the_links(live_server):
    body = _get(
        f"{live_server.url}/collections/regions/items?limit=2",
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    hrefs = [link["href"] for link in body["links"]]
    assert all(h.startswith(f"http://127.0.0.1:{live_server.port}/") for h in hrefs), hrefs
    described = _get(f"{live_server.url}/collections", headers={"Host": "evil.example"})
    assert "evil.example" not in json.dumps(described)


@pytest.fixture
def configured(engine, sample_loaded, monkeypatch):
    def make(**env: str) -> TestClient:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return TestClient(create_app(engine))

    yield make
    get_settings.cache_clear()


def test_links_use_the_configured_base_url(configured):
    with configured(GIS_BASE_URL="https://gis.example.gov.cn/api/") as api:
        body = api.get("/collections/regions/items?limit=2&offset=2").json()
    hrefs = {link["rel"]: link["href"] for link in body["links"]}
    base = "https://gis.example.gov.cn/api/collections/regions/items"
    assert hrefs["self"] == f"{base}?limit=2&offset=2"
    assert hrefs["next"].startswith(f"{base}?")


def test_forwarded_host_only_from_a_trusted_proxy(configured):
    forwarded = {"X-Forwarded-Host": "gis.example.gov.cn", "X-Forwarded-Proto": "https"}
    # the test client's address is "testclient"
    with configured(GIS_TRUSTED_PROXIES="testclient") as api:
        trusted = api.get("/collections", headers=forwarded).json()
    with configured(GIS_TRUSTED_PROXIES="10.0.0.1") as api:
        untrusted = api.get("/collections", headers=forwarded).json()
    assert trusted["links"][0]["href"] == "https://gis.example.gov.cn/collections"
    assert "gis.example.gov.cn" not in json.dumps(untrusted)


def test_a_token_is_checked_on_the_requests_own_connection(engine, sample_loaded, tokens):
    """One pooled connection per authenticated read: the token check and the route share it
    (a second checkout per request halved the pool under load); a bad token still fails."""
    from sqlalchemy import event

    from tests.conftest import bearer

    checkouts: list[int] = []
    office_token = tokens["office"]  # made on first use: before the counting starts

    def count(*_args) -> None:
        checkouts.append(1)

    with TestClient(create_app(engine)) as client:
        event.listen(engine, "checkout", count)
        try:
            office = client.get("/posts", headers=bearer(office_token))
            with_token = len(checkouts)
            anonymous = client.get("/posts")
            bad = client.get("/posts", headers=bearer("no-such-token"))
        finally:
            event.remove(engine, "checkout", count)
    assert office.status_code == 200 and anonymous.status_code == 200
    assert "phone" in office.json()[0] and "phone" not in anonymous.json()[0]
    assert with_token == 1
    assert len(checkouts) == 3  # the anonymous read: one; the bad token: one, then 401
    assert bad.status_code == 401
