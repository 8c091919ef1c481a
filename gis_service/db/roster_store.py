"""Reads of the roster (河湖长名单) the routes need beyond ``db.queries.posts_on``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text


def chief_phones(conn: Connection, chief_ids: Iterable[str]) -> dict[str, str | None]:
    """chief id -> phone number (None when not recorded) of these chiefs; personal data:
    callers show it to the office only."""
    ids = sorted(set(chief_ids))
    if not ids:
        return {}
    rows = conn.execute(text("SELECT id, phone FROM chief WHERE id = ANY(:i)"), {"i": ids})
    return {chief_id: phone for chief_id, phone in rows.all()}
