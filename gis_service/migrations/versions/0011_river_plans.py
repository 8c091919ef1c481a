"""一河一策 plans: a plan per water body, its tasks (category, department, place, deadline,
status) and their progress reports. Issue 20 part 4, seeds 000, 001 and 004.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_CATEGORIES = (
    "('水资源保护', '水域岸线管理保护', '水污染防治', '水环境治理', '水生态修复', '执法监管')"
)


def _now() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "river_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        _now(),
        sa.ForeignKeyConstraint(["water_body_code"], ["water_body.code"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("water_body_code", "name", name="uq_river_plan_name"),
    )
    op.create_index(op.f("ix_river_plan_water_body_code"), "river_plan", ["water_body_code"])
    op.create_table(
        "plan_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("place_kind", sa.String(length=8), nullable=False),
        sa.Column("place_id", sa.String(length=96), nullable=True),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(place_kind = 'point') = (place_id IS NULL)", name="plan_task_place_id"
        ),
        sa.CheckConstraint(
            "(status = 'done') = (completed_on IS NOT NULL)", name="plan_task_completion"
        ),
        sa.CheckConstraint(f"category IN {_CATEGORIES}", name="plan_task_category"),
        sa.CheckConstraint(
            "place_kind IN ('segment', 'zone', 'point')", name="plan_task_place_kind"
        ),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'done')", name="plan_task_status"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["river_plan.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "code", name="uq_plan_task_code"),
    )
    op.create_index("idx_plan_task_geom", "plan_task", ["geom"], postgresql_using="gist")
    op.create_index(op.f("ix_plan_task_plan_id"), "plan_task", ["plan_id"])
    op.create_table(
        "task_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("percent", sa.SmallInteger(), nullable=True),
        sa.Column("reported_by", sa.Text(), nullable=False),
        _now(),
        sa.CheckConstraint(
            "percent IS NULL OR percent BETWEEN 0 AND 100", name="task_progress_percent"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["plan_task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_task_progress_task_id"), "task_progress", ["task_id"])


def downgrade() -> None:
    op.drop_table("task_progress")
    op.drop_table("plan_task")
    op.drop_table("river_plan")
