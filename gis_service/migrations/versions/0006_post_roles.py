"""Post roles for the audit: 副总河长 (deputy_general_chief) on a region like 总河长, and
patrol staff (巡河员 patrol_staff, 保洁员 cleaner) who patrol a stretch without being chiefs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_ROLES = (
    "general_chief",
    "river_chief",
    "lake_chief",
    "deputy_chief",
    "reservoir_chief",
    "segment_chief",
    "joint_chief",
)
_NEW_ROLES = (*_OLD_ROLES, "deputy_general_chief", "patrol_staff", "cleaner")


def _roles(values: tuple[str, ...]) -> str:
    return f"role IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.drop_constraint("chief_post_role", "chief_post", type_="check")
    op.drop_constraint("chief_post_target", "chief_post", type_="check")
    op.create_check_constraint("chief_post_role", "chief_post", _roles(_NEW_ROLES))
    op.create_check_constraint(
        "chief_post_target",
        "chief_post",
        "(role IN ('general_chief', 'deputy_general_chief')) = (water_body_code IS NULL)",
    )


def downgrade() -> None:
    op.drop_constraint("chief_post_role", "chief_post", type_="check")
    op.drop_constraint("chief_post_target", "chief_post", type_="check")
    op.create_check_constraint("chief_post_role", "chief_post", _roles(_OLD_ROLES))
    op.create_check_constraint(
        "chief_post_target", "chief_post", "(role = 'general_chief') = (water_body_code IS NULL)"
    )
