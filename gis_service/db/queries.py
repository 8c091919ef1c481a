"""Read queries shared by services, API and notebooks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Date, and_, literal, select

from gis_service.db.models import Chief, ChiefPost


def posts_on(
    conn: Connection,
    day: dt.date,
    *,
    region_code: str | None = None,
    water_body_code: str | None = None,
    role: str | None = None,
) -> list[dict]:
    """Who held which post on ``day`` (an indexed range lookup on ``validity``)."""
    stmt = (
        select(
            ChiefPost.id,
            ChiefPost.role,
            ChiefPost.level,
            ChiefPost.region_code,
            ChiefPost.water_body_code,
            ChiefPost.valid_from,
            ChiefPost.valid_to,
            Chief.id.label("chief_id"),
            Chief.name.label("chief_name"),
            Chief.title,
        )
        .join(Chief, Chief.id == ChiefPost.chief_id)
        .where(ChiefPost.validity.op("@>")(literal(day, Date)))
        .order_by(ChiefPost.level, ChiefPost.region_code, ChiefPost.role, Chief.id)
    )
    filters = []
    if region_code is not None:
        filters.append(ChiefPost.region_code == region_code)
    if water_body_code is not None:
        filters.append(ChiefPost.water_body_code == water_body_code)
    if role is not None:
        filters.append(ChiefPost.role == role)
    if filters:
        stmt = stmt.where(and_(*filters))
    return [dict(r._mapping) for r in conn.execute(stmt)]
