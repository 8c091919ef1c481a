"""The batch jobs of a whole country on Dask: per-zone zoning and the national audit.

Dask runs in this process here (worker threads of an in-process cluster: the same tasks,
scheduler and result transfer, no process start-up); the real scheduler + worker processes
are exercised by ``test_rematch_dask``. Each result must equal the single-process one.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
import shapely
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database
from gis_service.db.queries import local_day_bounds, region_ancestors
from gis_service.domain.zoning import Zoning
from gis_service.errors import InputError, NotFoundError
from gis_service.services import rematch
from gis_service.services.audit import configured_rules, period_patrol_counts, run_audit
from gis_service.services.audit_national import (
    AuditOptions,
    audit_partition,
    children,
    national_audit,
    subtree,
)
from gis_service.services.dask_cluster import dask_client
from gis_service.services.patrols import PatrolSettings, Upload, ingest_patrols
from gis_service.services.point_sources import configured_point_rules
from gis_service.services.sample import load_sample
from gis_service.services.zoning import compute, load_inputs, rebuild_zoning
from gis_service.services.zoning_dask import on_dask
from tests.db.test_zoning_versions_db import _version_rows
from tests.unit.test_zones import PLACES, _frames

TZ = "Asia/Shanghai"
NOW = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
CITY = "450500"


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, processes=False) as c:
        yield c


@pytest.fixture(scope="module")
def patrolled_db(server_url, sample_tracks):
    """A database of this module (the tasks connect on their own, so the data is
    committed): the sample, its zoning, and the sample's good tracks uploaded."""
    url = with_database(server_url, f"gis_service_test_batch_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    good = manifest[manifest.kind == "good"]
    uploads = [
        Upload((sample_tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
        for r in good.itertuples()
    ]
    with engine.begin() as conn:
        load_sample(conn)
        rebuild_zoning(conn)
    settings = PatrolSettings(timezone=TZ)
    for k in range(0, len(uploads), 50):
        with engine.begin() as conn:
            ingest_patrols(conn, uploads[k : k + 50], now=NOW, settings=settings)
    yield url, engine
    engine.dispose()
    admin.drop_database(url)


def _rows(zoning: Zoning) -> dict[str, pd.DataFrame]:
    """Every table of a zoning with geometries as WKB (comparable row for row)."""
    out = {}
    for name in ("segments", "still_zones", "joint_sections", "confluences", "conveners"):
        frame = getattr(zoning, name).copy()
        for column in frame.columns:
            values = frame[column].to_numpy(dtype=object)
            if len(values) and any(isinstance(v, shapely.Geometry) for v in values):
                frame[column] = shapely.to_wkb(values)
        out[name] = frame.reset_index(drop=True)
    return out


def _same(a: Zoning, b: Zoning) -> None:
    left, right = _rows(a), _rows(b)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=True, obj=name)


def test_zoning_units_on_dask_equal_the_single_process_run(client, sample_loaded, conn):
    regions, waters = load_inputs(conn)
    here, epsg = compute(regions, waters)
    there, epsg_there = compute(regions, waters, run_units=on_dask(client))
    assert epsg == epsg_there == 4545
    assert len(here.segments) > 100
    _same(here, there)


def test_a_multi_zone_country_on_dask_equals_the_single_process_run(client):
    """Three places at 75, 105 and 134 E: three units in three zones, each a task."""
    regions, waters = _frames(PLACES)
    here, _ = compute(regions, waters)
    seen: list[int] = []

    def counting(work):
        seen.extend(unit[2] for unit in work)
        return on_dask(client)(work)

    there, _ = compute(regions, waters, run_units=counting)
    assert sorted(seen) == [4534, 4544, 4554]
    assert set(there.segments["water_body_code"]) >= {"X75-R1", "X105-R1", "X134-R1"}
    _same(here, there)


def _stored(conn) -> list[tuple]:
    return conn.execute(
        text(
            "SELECT id, level, kind, region_code, chainage_from_m, chainage_to_m, length_m, "
            "ST_AsEWKB(geom), ST_AsEWKB(zone_geom) FROM river_segment ORDER BY id"
        )
    ).all()


def test_the_rebuild_command_on_dask_writes_the_same_run(patrolled_db, client, monkeypatch):
    """``zoning rebuild --scheduler`` (the cluster: this process's, reached by its address)
    writes the run as the single-process rebuild does, and re-matches on the cluster."""
    from typer.testing import CliRunner

    from gis_service.cli import app
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    url, engine = patrolled_db
    with engine.connect() as conn:
        before = _stored(conn)
        runs = conn.execute(text("SELECT count(*) FROM zoning_run")).scalar_one()
    monkeypatch.setenv("DATABASE_URL", url)
    # the in-process workers' "own settings" (restored after the test)
    monkeypatch.setattr(rematch, "_WORKER_DATABASE", [url])
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        done = CliRunner().invoke(
            app, ["zoning", "rebuild", "--scheduler", client.scheduler.address]
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert done.exit_code == 0, done.output
    assert "re-match:" in done.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM zoning_run")).scalar_one() == runs + 1
        assert _stored(conn) == before
        # the run's kept rows (segments, zones, joint sections, confluences, conveners) are
        # those the single-process rebuild of the fixture kept for its run
        first, dask_run = conn.execute(text("SELECT min(id), max(id) FROM zoning_run")).one()
        assert first != dask_run
        here, there = _version_rows(conn, first), _version_rows(conn, dask_run)
        for table, rows in here.items():
            assert rows and rows == there[table], table
        stale = conn.execute(
            text(
                "SELECT count(*) FROM patrol WHERE zoning_run_id <> "
                "(SELECT max(id) FROM zoning_run)"
            )
        ).scalar_one()
    assert stale == 0


def _options() -> AuditOptions:
    return AuditOptions(
        timezone=TZ,
        as_of=dt.date(2026, 10, 20),
        rules=configured_rules(),
        point_rules=configured_point_rules(),
    )


def test_national_audit_on_dask_equals_the_single_process_audits(patrolled_db, client):
    url, engine = patrolled_db
    with engine.connect() as conn:
        counties = children(conn, CITY)
        whole = run_audit(
            conn,
            CITY,
            "2026-Q3",
            timezone=TZ,
            as_of=dt.date(2026, 10, 20),
            rules=configured_rules(),
            point_rules=configured_point_rules(),
        )
        from gis_service.db.queries import region_ancestors

        ancestors = region_ancestors(conn)
    assert len(counties) >= 3
    here = national_audit(url, counties, "2026-Q3", _options())
    there = national_audit(url, counties, "2026-Q3", _options(), client=client)
    assert there == here
    assert [p.code for p in there.partitions] == sorted(counties)
    assert there.counted_patrols > 100 and there.totals.covered_m > 0
    # every region inside a county: the figures of the city's own single-process audit
    inside = set().union(*(subtree(c, ancestors) for c in counties))
    of_city = {r.region_code: r for r in whole.regions if r.region_code in inside}
    combined = {r.region_code: r for r in there.regions}
    assert set(combined) == set(of_city)
    for code, row in combined.items():
        city_row = of_city[code]
        assert (row.posts, row.met) == (city_row.posts, city_row.met), code
        assert row.length_m == pytest.approx(city_row.length_m, abs=1e-6), code
        assert row.covered_m == pytest.approx(city_row.covered_m, abs=1e-6), code
    # totals: the city audit's posts and targets of the counties, each once
    posts = [p for p in whole.posts if p.region_code in inside and p.status != "not_required"]
    targets = {t.target_id: t for t in whole.targets if inside.intersection(t.regions)}
    assert there.totals.posts == len(posts)
    assert there.totals.met == sum(p.status == "met" for p in posts)
    assert there.totals.targets == len(targets)
    assert there.totals.length_m == pytest.approx(sum(t.length_m for t in targets.values()))
    assert there.totals.covered_m == pytest.approx(sum(t.covered_m for t in targets.values()))
    assert there.counted_patrols == whole.counted_patrols


def _region_audit(conn, region):
    return run_audit(
        conn,
        region,
        "2026-Q3",
        timezone=TZ,
        as_of=dt.date(2026, 10, 20),
        rules=configured_rules(),
        point_rules=configured_point_rules(),
    )


def test_national_audit_tasks_read_only_their_own_patrols(patrolled_db):
    """A partition's task reads the patrols with coverage on its own targets, not the
    period's (it used to read every patrol of the period in every task); its figures are
    those of the region's own audit, and the period-wide counts come from one query."""
    url, engine = patrolled_db
    with engine.connect() as conn:
        counties = children(conn, CITY)
        period = period_patrol_counts(conn, "2026-Q3", timezone=TZ, rules=configured_rules())
        whole = _region_audit(conn, CITY)
        own = {code: _region_audit(conn, code) for code in counties}
        ancestors = region_ancestors(conn)
    assert (period.counted_patrols, period.patrols_in_period, period.patrols_not_rematched) == (
        whole.counted_patrols,
        whole.patrols_in_period,
        whole.patrols_not_rematched,
    )
    lo, hi = local_day_bounds(dt.date(2026, 7, 1), dt.date(2026, 9, 30), TZ)
    read = {}
    for code in counties:
        part = audit_partition(url, code, "2026-Q3", _options())
        # the task's figures are those of the region's single-process audit
        inside = subtree(code, ancestors)
        assert part.rows == [r for r in own[code].regions if r.region_code in inside], code
        targets = [t.target_id for t in own[code].targets]
        with engine.connect() as conn:
            on_targets = conn.execute(
                text(
                    "SELECT count(DISTINCT p.id) FROM patrol p JOIN patrol_coverage c "
                    "ON c.patrol_id = p.id AND c.started_at = p.started_at "
                    "WHERE c.target_id = ANY(:t) AND p.started_at >= :s AND p.started_at < :e"
                ),
                {"t": targets, "s": lo, "e": hi},
            ).scalar_one()
        # the patrols the task read: exactly those on its targets
        assert part.report.patrols_in_period == on_targets, code
        read[code] = on_targets
    assert all(n < period.patrols_in_period for n in read.values()), read
    assert sum(n > 0 for n in read.values()) >= 2, read


def test_period_patrol_counts_equal_the_audits_with_stale_patrols(patrolled_db):
    """The coordinator's one-query counts equal ``run_audit``'s, also with patrols awaiting
    a re-match and ones that do not count (changes rolled back)."""
    _, engine = patrolled_db
    with engine.connect() as conn, conn.begin():
        conn.execute(
            text(
                "UPDATE patrol SET zoning_run_id = NULL WHERE id IN "
                "(SELECT id FROM patrol ORDER BY started_at, id LIMIT 25)"
            )
        )
        conn.execute(
            text(
                "UPDATE patrol SET summary = jsonb_set(summary, '{duration_s}', '60') WHERE id IN "
                "(SELECT id FROM patrol ORDER BY started_at DESC, id LIMIT 7)"
            )
        )
        counts = period_patrol_counts(conn, "2026-Q3", timezone=TZ, rules=configured_rules())
        whole = _region_audit(conn, CITY)
        conn.rollback()
    assert counts.patrols_not_rematched >= 25
    assert (counts.counted_patrols, counts.patrols_in_period, counts.patrols_not_rematched) == (
        whole.counted_patrols,
        whole.patrols_in_period,
        whole.patrols_not_rematched,
    )


def test_national_audit_refuses_overlapping_or_unknown_partitions(patrolled_db):
    url, _ = patrolled_db
    with pytest.raises(InputError, match="450521"):
        national_audit(url, [CITY, "450521"], "2026-Q3", _options())
    with pytest.raises(NotFoundError, match="999999"):
        national_audit(url, ["999999"], "2026-Q3", _options())
