"""Point, point-post, section and sample imports are in the import log like the others: the
file is kept as evidence, the import can be undone (inserted rows removed, updated ones put
back), an undo that would orphan another import's rows is refused naming them, and undoing
them leaves the zoning as it is (it is not built from them)."""

from __future__ import annotations

from sqlalchemy import text

from gis_service.errors import ConflictError
from gis_service.services import point_sources as points_svc
from gis_service.services import water_quality as wq_svc
from gis_service.services.import_log import list_imports, undo_import
from tests.db.snapshots import snapshot
from tests.db.test_point_sources_db import _csv as _points_csv
from tests.db.test_point_sources_db import _points, patrol  # noqa: F401 (fixture)
from tests.db.test_water_quality_db import SAMPLE_HEADER, _csv, _sections, waters  # noqa: F401


def _raw(conn, import_id: int) -> bytes:
    return bytes(
        conn.execute(text("SELECT raw FROM data_import WHERE id = :i"), {"i": import_id}).scalar()
    )


def _runs(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM zoning_run")).scalar_one()


def test_points_and_posts_imports_are_logged_kept_and_undone(conn, tmp_path, patrol):  # noqa: F811
    before = snapshot(conn)
    runs = _runs(conn)
    points = _points(conn, tmp_path, patrol)
    assert points.import_id is not None and points.inserted == 3
    listed = {e.id: e for e in list_imports(conn)}
    assert listed[points.import_id].kind == "points"
    assert _raw(conn, points.import_id).startswith("编码,名称,类型".encode())

    posts_file = _points_csv(
        tmp_path,
        "posts.csv",
        "person_id,name,role,point_code,valid_from,valid_to\n"
        "NEW1,新人,塘长,PT-POND,2026-01-01,\n"
        "NEW1,新人,口长,PT-OUT,2026-01-01,\n",
    )
    posts = points_svc.import_point_posts(conn, posts_file)
    assert posts.inserted == 2 and "1 new chief(s) added" in posts.derived
    # the points cannot go while another import's posts stand on them
    try:
        undo_import(conn, points.import_id)
    except ConflictError as exc:
        assert "point posts on removed points or chiefs" in str(exc)
    else:
        raise AssertionError("undo of the points was not refused")

    # a second posts import ends one post: its undo puts the end date back to none
    ended = points_svc.import_point_posts(
        conn,
        _points_csv(
            tmp_path,
            "ended.csv",
            "person_id,name,role,point_code,valid_from,valid_to\n"
            "NEW1,新人,塘长,PT-POND,2026-01-01,2026-06-30\n",
        ),
    )
    assert (ended.inserted, ended.updated) == (0, 1)
    undone = undo_import(conn, ended.import_id)
    assert undone.restored == {"point_post": 1}
    valid_to = conn.execute(
        text("SELECT upper(validity) IS NULL FROM point_post WHERE point_code = 'PT-POND'")
    ).scalar()
    assert valid_to is True
    assert "skipped" in undone.zoning  # nothing the zoning is built from changed

    undone = undo_import(conn, posts.import_id)
    assert undone.deleted == {"point_post": 2, "chief": 1}
    undone = undo_import(conn, points.import_id)
    assert undone.deleted == {"responsibility_point": 3}
    assert _runs(conn) == runs
    after = snapshot(conn)
    for table in ("responsibility_point", "point_post", "chief"):
        assert after[table] == before[table], table


def test_sections_and_samples_imports_are_logged_and_undone(waters, tmp_path):  # noqa: F811
    conn = waters
    before = snapshot(conn)
    sections = _sections(conn, tmp_path)
    samples = wq_svc.import_samples(
        conn,
        _csv(
            tmp_path, "samples.csv", SAMPLE_HEADER, "S1,2026-01-10,6.5,,,,Ⅱ", "S2,2026-01-10,,,,,Ⅲ"
        ),
    )
    kinds = {e.id: e.kind for e in list_imports(conn)}
    assert kinds[sections.import_id] == "sections" and kinds[samples.import_id] == "water_quality"
    assert b"S1,2026-01-10" in _raw(conn, samples.import_id)
    try:
        undo_import(conn, sections.import_id)
    except ConflictError as exc:
        assert "water-quality samples of removed sections: S1 2026-01-10, S2 2026-01-10" in str(exc)
    else:
        raise AssertionError("undo of the sections was not refused")
    assert undo_import(conn, samples.import_id).deleted == {"water_quality_sample": 2}
    assert undo_import(conn, sections.import_id).deleted == {"monitoring_section": 2}
    after = snapshot(conn)
    for table in ("monitoring_section", "water_quality_sample"):
        assert after[table] == before[table], table
