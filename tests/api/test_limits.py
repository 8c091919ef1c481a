"""Request body limits: declared and streamed (chunked) bodies over the limit get 413 JSON
before any route runs; the JSON error shape holds for unknown routes and methods too."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from gis_service.api.app import create_app
from gis_service.config import get_settings
from tests.conftest import bearer


@pytest.fixture
def small_limit_api(engine, sample_loaded, monkeypatch):
    monkeypatch.setenv("GIS_MAX_BODY_BYTES", "2000")
    get_settings.cache_clear()
    with TestClient(create_app(engine)) as c:
        yield c
    get_settings.cache_clear()


def test_declared_length_over_the_limit_is_413(small_limit_api):
    res = small_limit_api.post(
        "/problems", content=b"x" * 5000, headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 413 and "2000 bytes" in res.json()["detail"]


def test_streamed_body_over_the_limit_is_413(small_limit_api, tokens):
    def chunks():
        for _ in range(10):
            yield b"y" * 500

    res = small_limit_api.post(
        "/patrols",
        content=chunks(),
        headers={"Content-Type": "application/json", **bearer(tokens["office"])},
    )
    assert res.status_code == 413 and "2000 bytes" in res.json()["detail"]


def test_an_anonymous_streamed_body_is_401_before_it_is_read(small_limit_api):
    """Issue 16, defect 8: a write's caller is checked before its body is read."""
    sent = []

    def chunks():
        for _ in range(10):
            sent.append(1)
            yield b"y" * 500

    res = small_limit_api.post(
        "/patrols", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 401 and "token" in res.json()["detail"]


def test_streamed_body_under_the_limit_reaches_the_route(small_limit_api, tokens):
    def chunks():
        yield b'{"lon": 109.1, '
        yield b'"lat": 21.5, "category": "dumping"}'

    res = small_limit_api.post(
        "/problems",
        content=chunks(),
        headers={"Content-Type": "application/json", **bearer(tokens["office"])},
    )
    # the body arrived whole and was parsed: the office must still say which chief found it
    assert res.status_code == 400 and "chief_id" in res.json()["detail"]


def test_unknown_routes_and_methods_answer_json(small_limit_api):
    for res in (small_limit_api.get("/nope"), small_limit_api.delete("/segments")):
        assert res.status_code in (404, 405) and res.json()["detail"]


def test_nul_characters_are_bad_input_not_a_crash(small_limit_api, tokens):
    """Found by the fuzzer: PostgreSQL text cannot hold NUL, psycopg2 refuses it."""
    office = bearer(tokens["office"])
    listed = small_limit_api.get("/patrols", params={"chief": "\x00"}, headers=office)
    assert listed.status_code == 400 and "NUL" in listed.json()["detail"]
    body = {
        "lon": 109.1,
        "lat": 21.5,
        "category": "dumping",
        "chief_id": "P0203",
        "description": "a\u0000b",
    }
    reported = small_limit_api.post("/problems", json=body, headers=office)
    assert reported.status_code == 400 and "NUL" in reported.json()["detail"]
