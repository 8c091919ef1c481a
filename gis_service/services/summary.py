"""What the database holds, in numbers: the first thing a newcomer asks for."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from gis_service.db.models import AdminRegion, Chief, ChiefPost, WaterBody
from gis_service.domain.vocab import LEVEL_RANK, WATER_KINDS
from gis_service.records.summary import DatabaseSummary


def database_summary(conn: Connection) -> DatabaseSummary:
    regions = dict(
        conn.execute(select(AdminRegion.level, func.count()).group_by(AdminRegion.level)).all()
    )
    waters = dict(conn.execute(select(WaterBody.kind, func.count()).group_by(WaterBody.kind)).all())
    posts = dict(conn.execute(select(ChiefPost.role, func.count()).group_by(ChiefPost.role)).all())
    return DatabaseSummary(
        regions_per_level={k: regions[k] for k in sorted(regions, key=LEVEL_RANK.__getitem__)},
        water_bodies_per_kind={k: waters[k] for k in WATER_KINDS if k in waters},
        chiefs=conn.execute(select(func.count()).select_from(Chief)).scalar_one(),
        posts_per_role=dict(sorted(posts.items())),
    )
