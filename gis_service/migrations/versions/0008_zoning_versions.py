"""Zoning versions: runs with an effective date, run-keyed segments and zones, coverage rows
naming their run, and the re-match job table.

The working zoning tables (``river_segment`` …) keep the newest run for maps and lists; the
run-keyed copies keep every run's coverage targets, so that an audit of a past period uses
the stretches in force then. Existing coverage was measured against the stored zoning: it is
tied to the newest run, which is taken to apply from the beginning (0001-01-01).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SRID = 4326
NEWEST = "(SELECT max(id) FROM zoning_run)"


def upgrade() -> None:
    op.add_column(
        "zoning_run",
        sa.Column("effective_from", sa.Date(), server_default="0001-01-01", nullable=False),
    )
    op.alter_column("zoning_run", "effective_from", server_default=None)
    op.create_index("ix_zoning_run_effective", "zoning_run", ["effective_from", "id"])
    op.create_table(
        "river_segment_version",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("left_region_code", sa.String(length=12), nullable=True),
        sa.Column("right_region_code", sa.String(length=12), nullable=True),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("chainage_from_m", sa.Float(), nullable=False),
        sa.Column("chainage_to_m", sa.Float(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("parent_id", sa.String(length=96), nullable=True),
        sa.Column(
            "geom", Geometry("MULTILINESTRING", srid=SRID, spatial_index=False), nullable=False
        ),
        sa.ForeignKeyConstraint(["run_id"], ["zoning_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "id"),
    )
    op.create_index(
        "ix_river_segment_version_water",
        "river_segment_version",
        ["run_id", "water_body_code"],
    )
    op.create_table(
        "still_water_zone_version",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("region_codes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("shore_length_m", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("initiates_coordination", sa.Boolean(), nullable=True),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["zoning_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "id"),
    )
    op.execute(
        "INSERT INTO river_segment_version SELECT r.id, s.id, s.water_body_code, s.level, "
        "s.kind, s.region_code, s.left_region_code, s.right_region_code, s.ordinal, "
        "s.chainage_from_m, s.chainage_to_m, s.length_m, s.parent_id, s.geom "
        f"FROM river_segment s JOIN zoning_run r ON r.id = {NEWEST}"
    )
    op.execute(
        "INSERT INTO still_water_zone_version SELECT r.id, z.id, z.water_body_code, z.kind, "
        "z.level, z.region_code, z.region_codes, z.area_m2, z.shore_length_m, z.share, "
        "z.initiates_coordination, z.geom "
        f"FROM still_water_zone z JOIN zoning_run r ON r.id = {NEWEST}"
    )
    op.add_column("patrol_coverage", sa.Column("run_id", sa.Integer(), nullable=True))
    op.execute(f"UPDATE patrol_coverage SET run_id = {NEWEST}")
    op.alter_column("patrol_coverage", "run_id", nullable=False)
    op.create_foreign_key(
        "patrol_coverage_run_id_fkey",
        "patrol_coverage",
        "zoning_run",
        ["run_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_patrol_coverage_run_id", "patrol_coverage", ["run_id"])
    op.add_column("patrol", sa.Column("zoning_run_id", sa.Integer(), nullable=True))
    op.execute(
        f"UPDATE patrol SET zoning_run_id = {NEWEST} WHERE EXISTS (SELECT 1 FROM zoning_run)"
    )
    op.create_foreign_key(
        "patrol_zoning_run_id_fkey",
        "patrol",
        "zoning_run",
        ["zoning_run_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_index("ix_patrol_zoning_run_id", "patrol", ["zoning_run_id"])
    op.create_table(
        "rematch_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("zone_epsg", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("patrols", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("worker", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name="rematch_job_status"
        ),
        sa.ForeignKeyConstraint(["run_id"], ["zoning_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "zone_epsg", "month", name="uq_rematch_job_partition"),
    )


def downgrade() -> None:
    op.drop_table("rematch_job")
    op.drop_index("ix_patrol_zoning_run_id", table_name="patrol")
    op.drop_constraint("patrol_zoning_run_id_fkey", "patrol", type_="foreignkey")
    op.drop_column("patrol", "zoning_run_id")
    op.drop_index("ix_patrol_coverage_run_id", table_name="patrol_coverage")
    op.drop_constraint("patrol_coverage_run_id_fkey", "patrol_coverage", type_="foreignkey")
    op.drop_column("patrol_coverage", "run_id")
    op.drop_table("still_water_zone_version")
    op.drop_index("ix_river_segment_version_water", table_name="river_segment_version")
    op.drop_table("river_segment_version")
    op.drop_index("ix_zoning_run_effective", table_name="zoning_run")
    op.drop_column("zoning_run", "effective_from")
