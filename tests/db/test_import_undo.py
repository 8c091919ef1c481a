"""Issue 14: every import has an id and can be undone exactly; undo refuses to orphan
data entered since. And the consistency report after imports (issue 14, 'What to build')."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from gis_service.errors import ConflictError, NotFoundError
from gis_service.services.consistency import check_consistency, latest_consistency
from gis_service.services.import_log import list_imports, undo_import
from gis_service.services.import_run import run_import
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.patrols import ingest_patrol
from tests.db.builders import regions_frame, rivers_frame, write
from tests.db.snapshots import snapshot

DATA_TABLES = ("admin_region", "water_body", "chief", "chief_post")
DAY = dt.date(2026, 7, 1)


def _data(conn) -> dict:
    """Checksums of the data tables (data_import keeps the undone import as evidence)."""
    return {t: v for t, v in snapshot(conn).items() if t in DATA_TABLES}


def _roster(tmp_path, rows: list[str]):
    path = tmp_path / "roster.csv"
    header = "person_id,name,phone,title,role,level,region_code,water_body_code,valid_from,valid_to"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_undo_restores_every_table_to_its_checksum(conn, tmp_path):
    import_regions(conn, write(regions_frame(), tmp_path / "a.gpkg"))
    import_water_bodies(conn, write(rivers_frame(), tmp_path / "w.gpkg"))
    before = _data(conn)
    frame = regions_frame()
    frame.loc[frame.code == "990102", "name"] = "东县(改)"
    extra = frame[frame.code == "990101001"].assign(code="990101002", name="西县二镇")
    changed = write(pd.concat([frame, extra], ignore_index=True), tmp_path / "b.gpkg")
    report = import_regions(conn, changed)
    assert (report.inserted, report.updated) == (1, 4)
    raw = conn.execute(
        text("SELECT raw FROM data_import WHERE id = :i"), {"i": report.import_id}
    ).scalar_one()
    assert bytes(raw) == changed.read_bytes()  # the file as received, kept as evidence
    assert _data(conn) != before
    result = undo_import(conn, report.import_id)
    assert result.deleted == {"admin_region": 1} and result.restored == {"admin_region": 4}
    assert _data(conn) == before
    entry = next(e for e in list_imports(conn) if e.id == report.import_id)
    assert entry.status == "undone" and entry.undone_at
    with pytest.raises(ConflictError, match="already undone"):
        undo_import(conn, report.import_id)
    with pytest.raises(NotFoundError):
        undo_import(conn, 10**9)


def test_undo_of_a_roster_restores_posts_and_chiefs(conn, tmp_path, sample_loaded):
    before = _data(conn)
    path = _roster(
        tmp_path,
        ["Z001,试验人,,,general_chief,county,450521,,2026-01-01,"],
    )
    report = import_chiefs(conn, path)
    assert report.inserted == 1
    undo_import(conn, report.import_id)
    assert _data(conn) == before


def test_undo_refuses_to_orphan_water_bodies_and_posts(conn, tmp_path):
    regions = import_regions(conn, write(regions_frame(), tmp_path / "a.gpkg"))
    import_water_bodies(conn, write(rivers_frame(), tmp_path / "w.gpkg"))
    import_chiefs(
        conn, _roster(tmp_path, ["Z002,试验人,,,general_chief,county,990101,,2026-01-01,"])
    )
    before = _data(conn)
    with pytest.raises(ConflictError) as info:
        undo_import(conn, regions.import_id)
    message = str(info.value)
    assert "water bodies managed by removed regions: T-K1, T-R1, T-R1-1" in message
    assert "chief posts on removed regions" in message
    assert _data(conn) == before


def test_undo_refuses_when_a_later_import_changed_the_same_rows(conn, tmp_path):
    first = import_regions(conn, write(regions_frame(), tmp_path / "a.gpkg"))
    second = import_regions(conn, write(regions_frame(), tmp_path / "b.gpkg"))
    with pytest.raises(ConflictError, match=f"later import\\(s\\) {second.import_id}"):
        undo_import(conn, first.import_id)
    undo_import(conn, second.import_id)
    undo_import(conn, first.import_id)  # now possible
    assert (
        conn.execute(text("SELECT count(*) FROM admin_region WHERE code LIKE '99%'")).scalar() == 0
    )


def test_undo_refuses_naming_patrols_of_removed_chiefs(conn, tmp_path, sample_loaded):
    """Patrols are evidence: a roster import whose chief has patrols cannot be undone."""
    report = import_chiefs(
        conn, _roster(tmp_path, ["Z003,试验人,,,general_chief,county,450521,,2026-01-01,"])
    )
    points = "\n".join(
        f"{109.2 + i * 1e-4:.4f},21.7,2026-07-01T08:{i:02d}:00+08:00" for i in range(30)
    )
    ingest_patrol(
        conn,
        f"lon,lat,time\n{points}\n".encode(),
        filename="walk.csv",
        chief_id="Z003",
        now=dt.datetime(2026, 7, 2, tzinfo=dt.UTC),
    )
    before = _data(conn)
    with pytest.raises(ConflictError, match="patrols of removed chiefs or posts"):
        undo_import(conn, report.import_id)
    assert _data(conn) == before


def test_consistency_report_lists_what_an_import_left_inconsistent(conn, tmp_path):
    frame = regions_frame()
    frame.loc[frame.code == "990102", "parent_code"] = None  # a county without its city
    rivers = rivers_frame()
    far = rivers.iloc[[0]].assign(code="T-R9", name="远河", managing_region_code=None)
    far = far.set_geometry(far.geometry.translate(xoff=300_000))  # 300 km east, no region
    outcome_regions = run_import(conn, "regions", write(frame, tmp_path / "a.gpkg"), day=DAY)
    assert "990102 东县 (county)" in outcome_regions.consistency.regions_without_parent
    water = pd.concat([rivers, far], ignore_index=True)
    outcome = run_import(conn, "water-bodies", write(water, tmp_path / "w.gpkg"), day=DAY)
    report = outcome.consistency
    assert report.water_bodies_outside_regions == ["T-R9 远河"]
    assert report.counts["segments_without_chief"] > 0  # no roster yet
    assert report.problem_count >= 3
    stored = latest_consistency(conn)
    assert stored["trigger"] == f"import {outcome.report.import_id}"
    assert stored["water_bodies_outside_regions"] == ["T-R9 远河"]
    assert check_consistency(conn, DAY).to_dict() == {
        k: v for k, v in stored.items() if k not in ("id", "checked_at", "trigger")
    }
