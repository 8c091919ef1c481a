"""Public signboards (公示牌) tied to responsibility segments, and the public's reports made
through them (群众举报) with their photos. Issue 20 part 3, seeds 001 and 002.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_LEVELS = "level IN ('province', 'city', 'county', 'township', 'village')"


def upgrade() -> None:
    op.create_table(
        "signboard",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("segment_id", sa.String(length=96), nullable=False),
        sa.Column("zoning_run_id", sa.Integer(), nullable=True),
        sa.Column("matched_by", sa.String(length=8), nullable=False),
        sa.Column("match_distance_m", sa.Float(), nullable=False),
        sa.Column("printed_on", sa.Date(), nullable=False),
        sa.Column("printed_chiefs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(_LEVELS, name="signboard_level"),
        sa.CheckConstraint("matched_by IN ('given', 'nearest')", name="signboard_matched_by"),
        sa.ForeignKeyConstraint(["water_body_code"], ["water_body.code"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["region_code"], ["admin_region.code"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["zoning_run_id"], ["zoning_run.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("idx_signboard_geom", "signboard", ["geom"], postgresql_using="gist")
    op.create_index(op.f("ix_signboard_water_body_code"), "signboard", ["water_body_code"])
    op.create_index(op.f("ix_signboard_region_code"), "signboard", ["region_code"])
    op.create_table(
        "public_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.UUID(), nullable=False),
        sa.Column("board_code", sa.String(length=32), nullable=False),
        sa.Column("segment_id", sa.String(length=96), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("location_given", sa.Boolean(), nullable=False),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=16), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "photo_type IS NULL OR photo_type IN ('image/jpeg', 'image/png')",
            name="public_report_photo_type",
        ),
        sa.CheckConstraint("(photo IS NULL) = (photo_type IS NULL)", name="public_report_photo"),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["board_code"], ["signboard.code"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("problem_id"),
    )
    op.create_index(op.f("ix_public_report_board_code"), "public_report", ["board_code"])
    op.create_index(op.f("ix_public_report_received_at"), "public_report", ["received_at"])


def downgrade() -> None:
    op.drop_table("public_report")
    op.drop_table("signboard")
