"""Accountability records (问责: 提醒, 约谈, 通报批评, 提请问责); problems from the public, the
media and superiors (source), four more categories, and the verification step (核查) before
closing (销号).

Existing rows: every problem so far came from a chief's patrol (source 'patrol'). A problem
closed after an answer was, in the old model, accepted and closed by the office in one step:
it stays 'closed' and its verification date is its closing date. A problem closed without an
answer (solved on the spot) stays 'closed' without verification. Downgrading maps 'verified'
back to 'answered' (the old model's state before closing) and refuses while problems exist
that the old schema cannot hold (no chief, another source, a new category): delete or
re-categorise them first.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_CATEGORIES = (
    "sand_mining", "encroachment", "dumping", "sewage_outfall", "illegal_fishing",
    "illegal_construction", "water_pollution", "facility_damage", "other",
)  # fmt: skip
NEW_CATEGORIES = (*OLD_CATEGORIES[:-1], "illegal_water_intake", "obstruction", "aquaculture",
                  "soil_taking", "other")  # fmt: skip
OLD_STATUSES = ("reported", "handed_over", "answered", "closed")
NEW_STATUSES = ("reported", "handed_over", "answered", "verified", "closed")
SOURCES = ("patrol", "public", "media", "superior")
KINDS = ("reminder", "interview", "notice", "referral")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.add_column(
        "problem",
        sa.Column("source", sa.String(length=16), server_default="patrol", nullable=False),
    )
    op.add_column("problem", sa.Column("source_detail", sa.Text(), nullable=True))
    op.add_column("problem", sa.Column("verified_on", sa.Date(), nullable=True))
    op.alter_column("problem", "chief_id", existing_type=sa.String(length=32), nullable=True)
    op.drop_constraint("problem_category", "problem", type_="check")
    op.drop_constraint("problem_status", "problem", type_="check")
    op.create_check_constraint("problem_category", "problem", _in("category", NEW_CATEGORIES))
    op.create_check_constraint("problem_status", "problem", _in("status", NEW_STATUSES))
    op.create_check_constraint("problem_source", "problem", _in("source", SOURCES))
    op.create_check_constraint(
        "problem_patrol_chief", "problem", "source <> 'patrol' OR chief_id IS NOT NULL"
    )
    op.execute(
        "UPDATE problem SET verified_on = closed_on "
        "WHERE status = 'closed' AND answered_on IS NOT NULL"
    )
    op.create_table(
        "accountability_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("chief_id", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("problem_id", sa.UUID(), nullable=True),
        sa.Column("follows_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("feedback_on", sa.Date(), nullable=True),
        sa.Column("feedback_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(_in("kind", KINDS), name="accountability_kind"),
        sa.CheckConstraint(
            "(kind = 'referral') = (deadline IS NULL)", name="accountability_deadline"
        ),
        sa.CheckConstraint(
            "(feedback IS NULL) = (feedback_on IS NULL)", name="accountability_feedback"
        ),
        sa.CheckConstraint(
            "kind <> 'referral' OR feedback IS NULL", name="accountability_referral"
        ),
        sa.ForeignKeyConstraint(["chief_id"], ["chief.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["post_id"], ["chief_post.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["follows_id"], ["accountability_record.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_accountability_record_chief_id"),
        "accountability_record",
        ["chief_id"],
        unique=False,
    )


def downgrade() -> None:
    conn = op.get_bind()
    blocking = conn.execute(
        sa.text(
            "SELECT count(*) FROM problem WHERE chief_id IS NULL OR source <> 'patrol' "
            f"OR NOT ({_in('category', OLD_CATEGORIES)})"
        )
    ).scalar_one()
    if blocking:
        raise RuntimeError(
            f"{blocking} problem(s) have no chief, a source other than a patrol or a category "
            "revision 0004 does not know: delete or re-categorise them before downgrading"
        )
    op.drop_index(op.f("ix_accountability_record_chief_id"), table_name="accountability_record")
    op.drop_table("accountability_record")
    op.execute("UPDATE problem SET status = 'answered' WHERE status = 'verified'")
    op.drop_constraint("problem_patrol_chief", "problem", type_="check")
    op.drop_constraint("problem_source", "problem", type_="check")
    op.drop_constraint("problem_status", "problem", type_="check")
    op.drop_constraint("problem_category", "problem", type_="check")
    op.create_check_constraint("problem_status", "problem", _in("status", OLD_STATUSES))
    op.create_check_constraint("problem_category", "problem", _in("category", OLD_CATEGORIES))
    op.alter_column("problem", "chief_id", existing_type=sa.String(length=32), nullable=False)
    op.drop_column("problem", "verified_on")
    op.drop_column("problem", "source_detail")
    op.drop_column("problem", "source")
