"""Roles over HTTP: what anonymous callers, viewers, chiefs and the office may and may not do,
and that every write is logged with who and when."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.services.users import create_user, issue_token, revoke_tokens
from tests.api.bodies import app_body
from tests.conftest import bearer

OWN, OTHER = "P0203", "P0145"


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture
def created(engine):
    """Patrol and problem ids a test created, deleted afterwards."""
    ids: dict[str, list[str]] = {"patrol": [], "problem": []}
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM problem WHERE id::text = ANY(:i)"), {"i": ids["problem"]})
        conn.execute(text("DELETE FROM patrol WHERE id::text = ANY(:i)"), {"i": ids["patrol"]})


def _upload(api, token: str | None, body: dict, created) -> object:
    headers = bearer(token) if token else {}
    res = api.post("/patrols", json=body, headers=headers)
    if res.status_code in (200, 201):
        created["patrol"].append(res.json()["id"])
    return res


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/segments?level=county"),
        ("get", "/collections"),
        ("get", "/collections/segments/items?limit=5"),
        ("get", "/summary"),
        ("get", "/rivers/R4505-01/report"),
    ],
)
def test_public_information_needs_no_token(api, method, path):
    assert getattr(api, method)(path).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/patrols"),
        ("post", "/patrols/batch"),
        ("get", "/patrols"),
        ("get", "/audits?region=450521&period=2026-Q3"),
        ("post", "/problems"),
    ],
)
def test_anonymous_gets_401_and_viewer_403_for_protected_actions(api, tokens, method, path):
    anonymous = getattr(api, method)(path)
    assert anonymous.status_code == 401 and "token" in anonymous.json()["detail"]
    assert anonymous.headers["www-authenticate"] == "Bearer"
    viewer = getattr(api, method)(path, headers=bearer(tokens["viewer"]))
    assert viewer.status_code == 403 and viewer.json()["detail"], viewer.text


def test_bad_expired_and_revoked_tokens_are_401(api, engine, tokens):
    assert api.get("/summary", headers=bearer("hz_not-a-token")).status_code == 401
    assert api.get("/summary", headers={"Authorization": "Basic abc"}).status_code == 401
    with engine.begin() as conn:
        create_user(conn, "expiring", "office")
        token = issue_token(conn, "expiring", days=1)
        conn.execute(
            text(
                "UPDATE api_token SET expires_at = now() - interval '1 s' WHERE user_id = "
                "(SELECT id FROM app_user WHERE name = 'expiring')"
            )
        )
        create_user(conn, "revoked", "office")
        revoked = issue_token(conn, "revoked")
    assert api.get("/audits?region=450521&period=2026-Q3", headers=bearer(token)).status_code == 401
    ok = api.get("/patrols", headers=bearer(revoked))
    assert ok.status_code == 200
    with engine.begin() as conn:
        assert revoke_tokens(conn, "revoked") == 1
    assert api.get("/patrols", headers=bearer(revoked)).status_code == 401


def test_tokens_are_stored_hashed(engine, tokens):
    token = tokens["office"]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_sha256 FROM api_token")).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_chief_uploads_and_reads_only_own_patrols(api, tokens, created):
    own = _upload(api, tokens[OWN], app_body(str(uuid.uuid4()), OWN), created)
    assert own.status_code == 201, own.text
    # the chief id may be left out: the token says who it is
    body = app_body(str(uuid.uuid4()), OWN, shift_s=86_400)
    body.pop("chief_id")
    implicit = _upload(api, tokens[OWN], body, created)
    assert implicit.status_code == 201 and implicit.json()["chief_id"] == OWN
    forged = _upload(api, tokens[OWN], app_body(str(uuid.uuid4()), OTHER, shift_s=7200), created)
    assert forged.status_code == 403 and OTHER in forged.json()["detail"]
    form = api.post(
        "/patrols",
        files={"file": ("x.json", b"{}")},
        data={"chief_id": OTHER},
        headers=bearer(tokens[OWN]),
    )
    assert form.status_code == 403
    theirs = _upload(api, tokens["office"], app_body(str(uuid.uuid4()), OTHER), created)
    assert theirs.status_code == 201, theirs.text
    assert api.get(f"/patrols/{own.json()['id']}", headers=bearer(tokens[OWN])).status_code == 200
    denied = api.get(f"/patrols/{theirs.json()['id']}", headers=bearer(tokens[OWN]))
    assert denied.status_code == 403
    listed = api.get("/patrols", headers=bearer(tokens[OWN])).json()
    assert listed and {p["chief_id"] for p in listed} == {OWN}
    assert api.get(f"/patrols?chief={OTHER}", headers=bearer(tokens[OWN])).status_code == 403
    assert (
        api.get(f"/patrols/{own.json()['id']}", headers=bearer(tokens["viewer"])).status_code == 403
    )
    office = api.get(f"/patrols/{own.json()['id']}", headers=bearer(tokens["office"]))
    assert office.status_code == 200 and office.json()["track"]


def test_chief_batch_refuses_other_chiefs_items_only(api, tokens, created):
    items = [
        app_body(str(uuid.uuid4()), OWN, shift_s=3 * 86_400),
        app_body(str(uuid.uuid4()), OTHER, shift_s=4 * 86_400),
    ]
    res = api.post("/patrols/batch", json={"patrols": items}, headers=bearer(tokens[OWN]))
    assert res.status_code == 200, res.text
    first, second = res.json()["results"]
    created["patrol"].append(first["id"])
    assert first["chief_id"] == OWN and second["status"] == 403


def test_patrol_uuid_of_another_chief_is_a_conflict(api, tokens, created):
    pid = str(uuid.uuid4())
    assert (
        _upload(api, tokens["office"], app_body(pid, OTHER, shift_s=9000), created).status_code
        == 201
    )
    clash = _upload(api, tokens[OWN], app_body(pid, OWN, shift_s=5 * 86_400), created)
    assert clash.status_code == 409 and "another chief" in clash.json()["detail"]


def test_audits_are_for_the_office(api, tokens):
    params = {"region": "450521", "period": "2026-07", "as_of": "2026-08-01"}
    assert api.get("/audits", params=params, headers=bearer(tokens[OWN])).status_code == 403
    office = api.get("/audits", params=params, headers=bearer(tokens["office"]))
    assert office.status_code == 200
    assert office.json()["region"]["code"] == "450521" and office.json()["as_of"] == "2026-08-01"


def test_no_phone_number_leaves_the_service_for_viewers(api):
    for path in (
        "/rivers/R4505-01/report",
        "/collections/problems/items",
        "/summary",
        "/segments?level=village",
    ):
        assert "199-0000" not in api.get(path).text, path


def test_every_write_is_logged_with_who_and_when(api, engine, tokens, created):
    before = dt.datetime.now(dt.UTC)
    _upload(api, tokens[OWN], app_body(str(uuid.uuid4()), OTHER, shift_s=6 * 86_400), created)
    _upload(api, None, app_body(str(uuid.uuid4()), OWN), created)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT user_name, role, method, path, status FROM write_log "
                "WHERE at >= :t ORDER BY id"
            ),
            {"t": before},
        ).all()
    assert ("test-P0203", "chief", "POST", "/patrols", 403) in rows
    assert ("anonymous", "viewer", "POST", "/patrols", 401) in rows
