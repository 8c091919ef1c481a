"""Zoning versions of what a joint meeting reads: each run's joint sections, confluences and
conveners.

Migration 0008 kept every run's coverage targets (segments, still-water zones), but the
joint sections (交界断面), the confluences (tributaries) and the conveners (联席会议 召集) were
kept for the newest run only: a coordination report of a day before the newest run's date
named that day's chiefs beside the newest run's crossings and convener. Now they are kept
by run, like the segments; the stored ones become the newest run's (as 0008 did).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SRID = 4326
NEWEST = "(SELECT max(id) FROM zoning_run)"


def _run_id() -> sa.Column:
    return sa.Column("run_id", sa.Integer(), nullable=False)


def _run_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["run_id"], ["zoning_run.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "joint_section_version",
        _run_id(),
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("crossing_chainage_m", sa.Float(), nullable=False),
        sa.Column("chainage_from_m", sa.Float(), nullable=False),
        sa.Column("chainage_to_m", sa.Float(), nullable=False),
        sa.Column("upstream_region_code", sa.String(length=12), nullable=True),
        sa.Column("downstream_region_code", sa.String(length=12), nullable=True),
        sa.Column("along_boundary", sa.Boolean(), nullable=False),
        sa.Column(
            "crossing_point", Geometry("POINT", srid=SRID, spatial_index=False), nullable=False
        ),
        sa.Column(
            "geom", Geometry("MULTILINESTRING", srid=SRID, spatial_index=False), nullable=False
        ),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "id"),
    )
    op.create_index(
        "ix_joint_section_version_water", "joint_section_version", ["run_id", "water_body_code"]
    )
    # a report reads one water's zones of a run (0008 indexed only the segments so)
    op.create_index(
        "ix_still_water_zone_version_water",
        "still_water_zone_version",
        ["run_id", "water_body_code"],
    )
    op.create_table(
        "confluence_version",
        _run_id(),
        sa.Column("tributary_code", sa.String(length=32), nullable=False),
        sa.Column("main_code", sa.String(length=32), nullable=False),
        sa.Column("chainage_on_main_m", sa.Float(), nullable=False),
        sa.Column("gap_m", sa.Float(), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=SRID, spatial_index=False), nullable=False),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "tributary_code"),
    )
    op.create_index("ix_confluence_version_main", "confluence_version", ["run_id", "main_code"])
    op.create_table(
        "river_convener_version",
        _run_id(),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("convener_region_code", sa.String(length=12), nullable=False),
        sa.Column("lengths_m", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _run_fk(),
        sa.PrimaryKeyConstraint("run_id", "water_body_code"),
    )
    op.execute(
        "INSERT INTO joint_section_version SELECT r.id, j.id, j.water_body_code, j.level, "
        "j.crossing_chainage_m, j.chainage_from_m, j.chainage_to_m, j.upstream_region_code, "
        "j.downstream_region_code, j.along_boundary, j.crossing_point, j.geom "
        f"FROM joint_section j JOIN zoning_run r ON r.id = {NEWEST}"
    )
    op.execute(
        "INSERT INTO confluence_version SELECT r.id, c.tributary_code, c.main_code, "
        "c.chainage_on_main_m, c.gap_m, c.geom "
        f"FROM confluence c JOIN zoning_run r ON r.id = {NEWEST}"
    )
    op.execute(
        "INSERT INTO river_convener_version SELECT r.id, v.water_body_code, "
        "v.convener_region_code, v.lengths_m "
        f"FROM river_convener v JOIN zoning_run r ON r.id = {NEWEST}"
    )


def downgrade() -> None:
    op.drop_table("river_convener_version")
    op.drop_index("ix_confluence_version_main", table_name="confluence_version")
    op.drop_table("confluence_version")
    op.drop_index("ix_joint_section_version_water", table_name="joint_section_version")
    op.drop_table("joint_section_version")
    op.drop_index("ix_still_water_zone_version_water", table_name="still_water_zone_version")
