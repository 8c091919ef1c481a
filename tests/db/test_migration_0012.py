"""Migration 0012 on rows that exist: patrols of two months (one on a month boundary of
Beijing time), their raw uploads, coverage rows and a problem found on one move into their
months' partitions; going back to plain tables and up again keeps every row."""

from __future__ import annotations

import os
import zlib

import pytest
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database

JULY = "00000000-0000-0000-0000-000000000001"
AUGUST = "00000000-0000-0000-0000-000000000002"  # 31 July 16:30 UTC = 1 August in Beijing
STARTS = {JULY: "2026-07-10T08:00Z", AUGUST: "2026-07-31T16:30Z"}
PROBLEM = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture
def url(server_url):
    url = with_database(server_url, f"gis_service_test_m0012_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    yield url
    admin.drop_database(url)


def _old_rows(conn) -> None:
    """What a database at 0009 holds: a run, a chief, two patrols with raw uploads and
    coverage, a problem found on one of them."""
    conn.execute(
        text(
            "INSERT INTO zoning_run (metric_epsg, params, input_sha256, counts, seconds, "
            "effective_from) VALUES (4545, '{}', 'x', '{}', 1, '0001-01-01')"
        )
    )
    conn.execute(text("INSERT INTO chief (id, name) VALUES ('P1', '张三')"))
    for k, (pid, start) in enumerate(STARTS.items()):
        conn.execute(
            text(
                "INSERT INTO patrol (id, chief_id, content_sha256, geometry_fingerprint, "
                "source_format, coord_system, mode, started_at, ended_at, status, "
                "zoning_run_id, track) VALUES (:i, 'P1', :c, 'f', 'gpx', 'wgs84', 'walk', "
                "CAST(:s AS timestamptz), CAST(:s AS timestamptz) + interval '1 hour', "
                "'valid', 1, ST_Multi(ST_GeomFromText('LINESTRING(109 21, 109.1 21)', 4326)))"
            ),
            {"i": pid, "c": f"content{k}", "s": start},
        )
        conn.execute(
            text("INSERT INTO patrol_raw (patrol_id, data, sha256) VALUES (:i, :d, :h)"),
            {"i": pid, "d": zlib.compress(f"<gpx>{k}</gpx>".encode()), "h": f"h{k}"},
        )
        for target in ("R1/county/1", "R1/town/2"):
            conn.execute(
                text(
                    "INSERT INTO patrol_coverage (patrol_id, target_type, target_id, run_id, "
                    "water_body_code, length_m, covered_m, ratio, extension_m) VALUES "
                    "(:i, 'segment', :t, 1, 'R1', 1000, 500, 0.5, 0)"
                ),
                {"i": pid, "t": target},
            )
    conn.execute(
        text(
            "INSERT INTO problem (id, category, source, geom, found_at, chief_id, patrol_id) "
            "VALUES (:p, 'dumping', 'patrol', ST_SetSRID(ST_MakePoint(109, 21), 4326), "
            "'2026-08-01T00:00Z', 'P1', :i)"
        ),
        {"p": PROBLEM, "i": AUGUST},
    )


def _state(conn) -> dict:
    return {
        "patrols": conn.execute(
            text(
                "SELECT id::text, chief_id, content_sha256, started_at, ended_at, status, "
                "zoning_run_id, ST_AsText(track) FROM patrol ORDER BY id"
            )
        ).all(),
        "raw": conn.execute(
            text("SELECT patrol_id::text, data, encoding, sha256 FROM patrol_raw ORDER BY 1")
        ).all(),
        "coverage": conn.execute(
            text(
                "SELECT id, patrol_id::text, target_id, run_id, covered_m FROM patrol_coverage "
                "ORDER BY id"
            )
        ).all(),
        "problem": conn.execute(text("SELECT id::text, patrol_id::text FROM problem")).all(),
    }


def _homes(conn) -> dict[str, set[tuple[str, str]]]:
    """Which partition holds each patrol's rows, per table."""
    return {
        table: set(
            conn.execute(
                text(f"SELECT DISTINCT {key}::text, tableoid::regclass::text FROM {table}")
            ).all()
        )
        for table, key in (
            ("patrol", "id"),
            ("patrol_raw", "patrol_id"),
            ("patrol_coverage", "patrol_id"),
        )
    }


def test_rows_move_into_their_months_partitions_and_back(url):
    migrate.upgrade(url, "0009")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _old_rows(conn)
            before = _state(conn)
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert _state(conn) == before
            homes = _homes(conn)
            problem_start = conn.execute(text("SELECT patrol_started_at FROM problem")).scalar()
            next_id = conn.execute(text("SELECT nextval('patrol_coverage_id_seq')")).scalar()
        assert homes["patrol"] == {(JULY, "patrol_y2026m07"), (AUGUST, "patrol_y2026m08")}
        assert homes["patrol_raw"] == {
            (JULY, "patrol_raw_y2026m07"),
            (AUGUST, "patrol_raw_y2026m08"),
        }
        assert homes["patrol_coverage"] == {
            (JULY, "patrol_coverage_y2026m07"),
            (AUGUST, "patrol_coverage_y2026m08"),
        }
        assert problem_start.isoformat() == "2026-07-31T16:30:00+00:00"
        assert next_id == 5  # the coverage ids go on where they were
        migrate.downgrade(url, "0009")
        with engine.connect() as conn:
            assert _state(conn) == before
            kinds = conn.execute(
                text(
                    "SELECT relname, relkind FROM pg_class WHERE relname IN "
                    "('patrol', 'patrol_raw', 'patrol_coverage') ORDER BY 1"
                )
            ).all()
            leftovers = conn.execute(
                text("SELECT count(*) FROM pg_class WHERE relname LIKE 'patrol%_y2026m%'")
            ).scalar()
        assert {k for _, k in kinds} == {"r"} and len(kinds) == 3 and leftovers == 0
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert _state(conn) == before
            assert _homes(conn) == homes
    finally:
        engine.dispose()


def test_a_problem_keeps_its_patrol_and_loses_it_with_it(url):
    """The problem's reference holds after the move: deleting the patrol clears it (SET NULL
    on both columns), a patrol start that is not the patrol's is refused."""
    migrate.upgrade(url, "0009")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _old_rows(conn)
        migrate.upgrade(url)
        with engine.connect() as conn, conn.begin():
            with pytest.raises(Exception, match="problem_patrol_fkey"), conn.begin_nested():
                conn.execute(
                    text("UPDATE problem SET patrol_started_at = patrol_started_at + '1 second'")
                )
            conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": AUGUST})
            row = conn.execute(text("SELECT patrol_id, patrol_started_at FROM problem")).one()
            assert tuple(row) == (None, None)
            left = conn.execute(text("SELECT count(*) FROM patrol_coverage")).scalar()
            assert left == 2  # the deleted patrol's rows went with it
    finally:
        engine.dispose()
