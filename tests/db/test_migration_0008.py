"""Migration 0008 on rows that exist: the stored zoning becomes the newest run's version, in
force from the beginning; coverage rows and patrols name it; going back and up again keeps
the rows."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database

PATROL = "00000000-0000-0000-0000-000000000001"


@pytest.fixture
def url(server_url):
    url = with_database(server_url, f"gis_service_test_m0008_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    yield url
    admin.drop_database(url)


def _old_rows(conn) -> None:
    """Two runs (the stored zoning is the second's), a segment, a still-water zone, a patrol
    with a coverage row: what a database at 0007 holds."""
    conn.execute(
        text(
            "INSERT INTO water_body (code, name, kind, geom) VALUES "
            "('R1', '河', 'river', ST_GeomFromText('LINESTRING(109 21, 109.1 21)', 4326)), "
            "('K1', '库', 'reservoir', ST_GeomFromText("
            "'POLYGON((109 21, 109.01 21, 109.01 21.01, 109 21))', 4326))"
        )
    )
    for _ in range(2):
        conn.execute(
            text(
                "INSERT INTO zoning_run (metric_epsg, params, input_sha256, counts, seconds) "
                "VALUES (4545, '{}', 'x', '{}', 1)"
            )
        )
    conn.execute(
        text(
            "INSERT INTO river_segment (id, water_body_code, level, kind, region_code, ordinal, "
            "chainage_from_m, chainage_to_m, length_m, geom) VALUES ('R1/county/450521/1', "
            "'R1', 'county', 'inside', '450521', 1, 0, 10000, 10000, "
            "ST_Multi(ST_GeomFromText('LINESTRING(109 21, 109.1 21)', 4326)))"
        )
    )
    conn.execute(
        text(
            "INSERT INTO still_water_zone (id, water_body_code, kind, area_m2, geom) VALUES "
            "('K1/water_area', 'K1', 'water_area', 1000, ST_Multi(ST_GeomFromText("
            "'POLYGON((109 21, 109.01 21, 109.01 21.01, 109 21))', 4326)))"
        )
    )
    conn.execute(text("INSERT INTO chief (id, name) VALUES ('P1', '张三')"))
    conn.execute(
        text(
            "INSERT INTO patrol (id, chief_id, content_sha256, geometry_fingerprint, "
            "source_format, coord_system, mode, started_at, ended_at, status) VALUES "
            "(:i, 'P1', 'c', 'f', 'gpx', 'wgs84', 'walk', '2026-07-01T08:00Z', "
            "'2026-07-01T09:00Z', 'valid')"
        ),
        {"i": PATROL},
    )
    conn.execute(
        text(
            "INSERT INTO patrol_coverage (patrol_id, target_type, target_id, water_body_code, "
            "length_m, covered_m, ratio, extension_m) VALUES "
            "(:i, 'segment', 'R1/county/450521/1', 'R1', 10000, 5000, 0.5, 0)"
        ),
        {"i": PATROL},
    )


def _state(conn) -> dict:
    return {
        "runs": conn.execute(
            text("SELECT id, effective_from::text FROM zoning_run ORDER BY id")
        ).all(),
        "segments": conn.execute(
            text("SELECT run_id, id, length_m FROM river_segment_version ORDER BY 1, 2")
        ).all(),
        "zones": conn.execute(
            text("SELECT run_id, id FROM still_water_zone_version ORDER BY 1, 2")
        ).all(),
        "coverage": conn.execute(
            text("SELECT run_id, target_id FROM patrol_coverage ORDER BY 1")
        ).all(),
        "patrols": conn.execute(text("SELECT id::text, zoning_run_id FROM patrol")).all(),
    }


def test_existing_zoning_becomes_the_newest_run_in_force_from_the_beginning(url):
    migrate.upgrade(url, "0007")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _old_rows(conn)
        migrate.upgrade(url)
        with engine.connect() as conn:
            state = _state(conn)
        assert [tuple(r) for r in state["runs"]] == [(1, "0001-01-01"), (2, "0001-01-01")]
        assert [tuple(r) for r in state["segments"]] == [(2, "R1/county/450521/1", 10000.0)]
        assert [tuple(r) for r in state["zones"]] == [(2, "K1/water_area")]
        assert [tuple(r) for r in state["coverage"]] == [(2, "R1/county/450521/1")]
        assert [tuple(r) for r in state["patrols"]] == [(PATROL, 2)]
        migrate.downgrade(url, "0007")
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT count(*) FROM patrol_coverage")).scalar_one()
            segments = conn.execute(text("SELECT count(*) FROM river_segment")).scalar_one()
        assert (kept, segments) == (1, 1)
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert _state(conn) == state
    finally:
        engine.dispose()
