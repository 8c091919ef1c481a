"""``region_ancestors`` of some regions (an upload's assignment build) equals the whole
table's answer restricted to them, read without loading every region."""

from __future__ import annotations

from sqlalchemy import text

from gis_service.db.queries import region_ancestors


def test_ancestors_of_some_regions_equal_the_whole_tables(sample_loaded, conn):
    whole = region_ancestors(conn)
    assert any(len(chain) >= 3 for chain in whole.values())  # villages: town, county, city…
    codes = [*sorted(whole)[::5], "no-such-region"]
    assert region_ancestors(conn, codes) == {c: whole[c] for c in codes if c in whole}
    assert region_ancestors(conn, []) == {}


def test_a_cycle_in_the_parents_ends(sample_loaded, conn):
    """A cycle (bad data) cannot hang an upload: chains stop after 16 levels."""
    a, b = conn.execute(text("SELECT code FROM admin_region ORDER BY code LIMIT 2")).scalars()
    conn.execute(text("UPDATE admin_region SET parent_code = :b WHERE code = :a"), {"a": a, "b": b})
    conn.execute(text("UPDATE admin_region SET parent_code = :a WHERE code = :b"), {"a": a, "b": b})
    assert len(region_ancestors(conn, [a])[a]) == 16
    assert len(region_ancestors(conn)[a]) == 16
