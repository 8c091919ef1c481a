"""Fingerprints of tables, to prove a failed import changed nothing."""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLES = (
    "admin_region",
    "water_body",
    "chief",
    "chief_post",
    "data_import",
    "data_import_change",
    "responsibility_point",
    "point_post",
    "monitoring_section",
    "water_quality_sample",
)


def snapshot(conn: Connection) -> dict[str, tuple[int, str]]:
    out = {}
    for table in TABLES:
        row = conn.execute(
            text(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f"FROM {table} t"
            )
        ).one()
        out[table] = (row[0], row[1])
    return out
