"""Migration 0015 on rows that exist: the stored joint sections, confluences and conveners
become the newest run's; going back and up again keeps the working rows."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database

LINE = "ST_GeomFromText('LINESTRING(109 21, 109.1 21)', 4326)"
TABLES = {"joint_section_version", "confluence_version", "river_convener_version"}


@pytest.fixture
def url(server_url):
    url = with_database(server_url, f"gis_service_test_m0015_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    yield url
    admin.drop_database(url)


def _old_rows(conn) -> None:
    """Two runs (the stored zoning is the second's), a joint section, a confluence and a
    convener: what a database before 0015 holds."""
    conn.execute(
        text(
            "INSERT INTO water_body (code, name, kind, parent_code, geom) VALUES "
            f"('R1', '河', 'river', NULL, {LINE}), ('R1-1', '支', 'river', 'R1', {LINE})"
        )
    )
    for _ in range(2):
        conn.execute(
            text(
                "INSERT INTO zoning_run (metric_epsg, params, input_sha256, counts, seconds, "
                "effective_from) VALUES (4545, '{}', 'x', '{}', 1, '0001-01-01')"
            )
        )
    conn.execute(
        text(
            "INSERT INTO joint_section (id, water_body_code, level, crossing_chainage_m, "
            "chainage_from_m, chainage_to_m, upstream_region_code, downstream_region_code, "
            "along_boundary, crossing_point, geom) VALUES ('R1/county/1', 'R1', 'county', "
            "5000, 4000, 6000, '450521', '450512', false, "
            f"ST_GeomFromText('POINT(109.05 21)', 4326), ST_Multi({LINE}))"
        )
    )
    conn.execute(
        text(
            "INSERT INTO confluence (tributary_code, main_code, chainage_on_main_m, gap_m, geom) "
            "VALUES ('R1-1', 'R1', 7000, 0, ST_GeomFromText('POINT(109.07 21)', 4326))"
        )
    )
    conn.execute(
        text(
            "INSERT INTO river_convener (water_body_code, convener_region_code, lengths_m) "
            """VALUES ('R1', '450521', '{"450521": 6000, "450512": 4000}')"""
        )
    )


def _state(conn) -> dict:
    return {
        "joint": conn.execute(
            text(
                "SELECT run_id, id, crossing_chainage_m, ST_AsText(crossing_point) "
                "FROM joint_section_version ORDER BY 1, 2"
            )
        ).all(),
        "confluence": conn.execute(
            text(
                "SELECT run_id, tributary_code, main_code, chainage_on_main_m "
                "FROM confluence_version ORDER BY 1, 2"
            )
        ).all(),
        "convener": conn.execute(
            text(
                "SELECT run_id, water_body_code, convener_region_code, lengths_m "
                "FROM river_convener_version ORDER BY 1, 2"
            )
        ).all(),
    }


def _before(url: str) -> str:
    """The revision 0015 follows (read from the script: robust to a re-chained history)."""
    from alembic.script import ScriptDirectory

    down = ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision("0015")
    assert down is not None and isinstance(down.down_revision, str)
    return down.down_revision


def test_stored_coordination_rows_become_the_newest_runs(url):
    before = _before(url)
    migrate.upgrade(url, before)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _old_rows(conn)
        migrate.upgrade(url, "0015")
        with engine.connect() as conn:
            state = _state(conn)
        assert [tuple(r) for r in state["joint"]] == [
            (2, "R1/county/1", 5000.0, "POINT(109.05 21)")
        ]
        assert [tuple(r) for r in state["confluence"]] == [(2, "R1-1", "R1", 7000.0)]
        assert [tuple(r) for r in state["convener"]] == [
            (2, "R1", "450521", {"450521": 6000, "450512": 4000})
        ]
        migrate.downgrade(url, before)
        assert not TABLES & set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            kept = [
                conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("joint_section", "confluence", "river_convener")
            ]
        assert kept == [1, 1, 1]
        migrate.upgrade(url, "0015")
        with engine.connect() as conn:
            assert _state(conn) == state
        # a run deleted takes its kept rows with it
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM zoning_run WHERE id = 2"))
            assert _state(conn) == {"joint": [], "confluence": [], "convener": []}
    finally:
        engine.dispose()
