"""Sessions of the service's database plan without JIT (migration 0013): with the patrol
tables partitioned by month, an upload's prefetch was estimated above ``jit_above_cost`` and
compiled for 4.9 s to run for 0.4 s (re-match benchmark, 100,000 patrols, 40 months)."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def test_a_new_session_of_the_migrated_database_has_jit_off(db_url):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW jit")).scalar() == "off"
            # the setting is the database's own, not this session's
            source = conn.execute(
                text("SELECT source FROM pg_settings WHERE name = 'jit'")
            ).scalar()
            assert source == "database"
    finally:
        engine.dispose()
