"""Import log for undo (changes with before-images, raw files, status) and consistency checks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "data_import",
        sa.Column("status", sa.String(length=16), server_default="applied", nullable=False),
    )
    op.add_column("data_import", sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "data_import",
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("data_import", sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.create_check_constraint(
        "data_import_status", "data_import", "status IN ('applied', 'undone')"
    )
    op.create_table(
        "data_import_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("action IN ('insert', 'update')", name="data_import_change_action"),
        sa.ForeignKeyConstraint(["import_id"], ["data_import.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_data_import_change_import_id"), "data_import_change", ["import_id"], unique=False
    )
    op.create_index(
        "ix_data_import_change_row", "data_import_change", ["table_name", "row_key"], unique=False
    )
    op.create_table(
        "consistency_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "checked_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("trigger", sa.Text(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("consistency_check")
    op.drop_index("ix_data_import_change_row", table_name="data_import_change")
    op.drop_index(op.f("ix_data_import_change_import_id"), table_name="data_import_change")
    op.drop_table("data_import_change")
    op.drop_constraint("data_import_status", "data_import", type_="check")
    op.drop_column("data_import", "raw")
    op.drop_column("data_import", "options")
    op.drop_column("data_import", "undone_at")
    op.drop_column("data_import", "status")
