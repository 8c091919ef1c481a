"""An anonymous caller cannot tell whether a patrol exists (issue 16, minor): before the fix
``/patrols/{id}`` answered 401 for a stored patrol and 404 for an unknown one."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.conftest import bearer


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


def test_stored_and_unknown_patrols_get_the_same_refusal(api, engine, tokens):
    from tests.api.bodies import app_body

    pid = str(uuid.uuid4())
    res = api.post("/patrols", json=app_body(pid, "P0203"), headers=bearer(tokens["P0203"]))
    assert res.status_code == 201, res.text
    try:
        unknown = str(uuid.uuid4())
        for path in ("/patrols/{}", "/maps/patrols/{}"):
            for headers, status in (({}, 401), (bearer(tokens["viewer"]), 403)):
                stored = api.get(path.format(pid), headers=headers)
                missing = api.get(path.format(unknown), headers=headers)
                assert stored.status_code == missing.status_code == status, (path, headers)
                same = stored.json()["detail"].replace(pid, "ID")
                assert same == missing.json()["detail"].replace(unknown, "ID")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})
