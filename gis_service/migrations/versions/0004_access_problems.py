"""Access (users, hashed tokens), problems found on patrol with their events, the write log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "write_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("client", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_write_log_at"), "write_log", ["at"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("chief_id", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("(role = 'chief') = (chief_id IS NOT NULL)", name="app_user_chief"),
        sa.CheckConstraint("role IN ('office', 'chief', 'viewer')", name="app_user_role"),
        sa.ForeignKeyConstraint(["chief_id"], ["chief.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_geospatial_table(
        "problem",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("photo_ref", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=False,
        ),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("chief_id", sa.String(length=32), nullable=False),
        sa.Column("patrol_id", sa.UUID(), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("water_body_code", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="reported", nullable=False),
        sa.Column("handed_to", sa.Text(), nullable=True),
        sa.Column("handed_over_on", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            (
                "category IN ('sand_mining', 'encroachment', 'dumping', 'sewage_outfall', "
                "'illegal_fishing', 'illegal_construction', 'water_pollution', "
                "'facility_damage', 'other')"
            ),
            name="problem_category",
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'handed_over', 'answered', 'closed')", name="problem_status"
        ),
        sa.ForeignKeyConstraint(["chief_id"], ["chief.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrol.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["region_code"], ["admin_region.code"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["water_body_code"], ["water_body.code"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_problem_geom",
        "problem",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_problem_chief_id"), "problem", ["chief_id"], unique=False)
    op.create_index(op.f("ix_problem_region_code"), "problem", ["region_code"], unique=False)
    op.create_table(
        "problem_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.UUID(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_problem_event_problem_id"), "problem_event", ["problem_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_problem_event_problem_id"), table_name="problem_event")
    op.drop_table("problem_event")
    op.drop_index(op.f("ix_problem_region_code"), table_name="problem")
    op.drop_index(op.f("ix_problem_chief_id"), table_name="problem")
    op.drop_geospatial_index(
        "idx_problem_geom", table_name="problem", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("problem")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("app_user")
    op.drop_index(op.f("ix_write_log_at"), table_name="write_log")
    op.drop_table("write_log")
