"""Migration 0005 on rows that exist: problems so far all came from patrols; a problem closed
after an answer was accepted and closed in one step (verified on its closing day); going back
maps 'verified' to 'answered' and refuses rows the old schema cannot hold."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database

ROWS = [  # id suffix, status, answered_on, closed_on
    ("1", "closed", "2026-07-12", "2026-07-15"),
    ("2", "closed", None, "2026-07-03"),  # solved on the spot
    ("3", "answered", "2026-07-12", None),
    ("4", "reported", None, None),
]


@pytest.fixture
def url(server_url):
    url = with_database(server_url, f"gis_service_test_m0005_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    yield url
    admin.drop_database(url)


def _uuid(suffix: str) -> str:
    return f"00000000-0000-0000-0000-00000000000{suffix}"


def test_existing_problems_map_and_downgrade_is_guarded(url):
    migrate.upgrade(url, "0004")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO chief (id, name) VALUES ('P1', '张三')"))
            for suffix, status, answered, closed in ROWS:
                conn.execute(
                    text(
                        "INSERT INTO problem (id, category, geom, found_at, chief_id, status, "
                        "answered_on, closed_on) VALUES (:i, 'dumping', "
                        "ST_SetSRID(ST_MakePoint(109.1, 21.5), 4326), now(), 'P1', :s, :a, :c)"
                    ),
                    {"i": _uuid(suffix), "s": status, "a": answered, "c": closed},
                )
        migrate.upgrade(url)
        with engine.connect() as conn:
            got = conn.execute(
                text("SELECT id::text, source, status, verified_on::text FROM problem ORDER BY id")
            ).all()
        assert [tuple(r) for r in got] == [
            (_uuid("1"), "patrol", "closed", "2026-07-15"),
            (_uuid("2"), "patrol", "closed", None),
            (_uuid("3"), "patrol", "answered", None),
            (_uuid("4"), "patrol", "reported", None),
        ]
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE problem SET status = 'verified', verified_on = '2026-07-14' "
                     "WHERE id = :i"), {"i": _uuid("3")},
            )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO problem (id, category, source, geom, found_at) VALUES "
                    "(:i, 'soil_taking', 'public', ST_SetSRID(ST_MakePoint(109.1, 21.5), 4326), "
                    "now())"
                ),
                {"i": _uuid("5")},
            )
        with pytest.raises(RuntimeError, match="1 problem\\(s\\) have no chief"):
            migrate.downgrade(url, "0004")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM problem WHERE id = :i"), {"i": _uuid("5")})
        migrate.downgrade(url, "0004")
        with engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM problem WHERE id = :i"), {"i": _uuid("3")}
            ).scalar_one()
        assert status == "answered"
    finally:
        engine.dispose()
