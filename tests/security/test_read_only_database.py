"""A read-only database is a 503, and its read-only sessions are not kept (issue 16, defect 9).

Before the fix a write while the database was read-only gave 500, and the pooled
connections opened meanwhile stayed read-only after the database was writable again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gis_service.api.app import create_app
from gis_service.db.engine import make_engine
from tests.conftest import bearer

PROBLEM = {
    "lon": 109.643,
    "lat": 21.7779,
    "category": "dumping",
    "found_at": "2026-11-20T09:30:00+08:00",
}


@pytest.fixture
def read_only_switch(db_url) -> Iterator:
    """Switch the test database read-only for new sessions, and back (always)."""
    name = make_url(db_url).database
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    conn = admin.connect()  # opened while writable: it can switch back

    def switch(on: bool) -> None:
        value = "on" if on else "off"
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {value}'))

    try:
        yield switch
    finally:
        switch(False)
        conn.close()
        admin.dispose()


def test_writes_to_a_read_only_database_are_503_then_recover(
    db_url, sample_loaded, tokens, read_only_switch
):
    token = tokens["P0203"]
    engine = make_engine(db_url)  # the service's own engine and pool settings
    created: list[str] = []
    try:
        with TestClient(create_app(engine)) as api:
            read_only_switch(True)
            engine.dispose()  # new sessions from here: read-only
            refused = api.post("/problems", json=PROBLEM, headers=bearer(token))
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] and "database" in refused.json()["detail"]
            read_only_switch(False)
            stored = api.post("/problems", json=PROBLEM, headers=bearer(token))
            assert stored.status_code == 201, stored.text
            created.append(stored.json()["id"])
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM problem WHERE id::text = ANY(:i)"), {"i": created})
        engine.dispose()
