"""Foundation: administrative regions, water bodies, chiefs and their posts, import log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SRID = 4326
LEVELS = "('province', 'city', 'county', 'township', 'village')"


def upgrade() -> None:
    # PostGIS stays installed on downgrade: other schemas of the database may use it.
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "admin_region",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column(
            "parent_code",
            sa.String(12),
            sa.ForeignKey("admin_region.code", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("kind", sa.String(16), nullable=False, server_default="government"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(f"level IN {LEVELS}", name="admin_region_level"),
        sa.CheckConstraint("kind IN ('government', 'corps')", name="admin_region_kind"),
        sa.CheckConstraint("code ~ '^[0-9]{6}([0-9]{3}){0,2}$'", name="admin_region_code_digits"),
    )
    op.create_index("ix_admin_region_parent_code", "admin_region", ["parent_code"])
    op.create_index("ix_admin_region_level", "admin_region", ["level"])
    op.create_index("idx_admin_region_geom", "admin_region", ["geom"], postgresql_using="gist")

    op.create_table(
        "water_body",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "parent_code",
            sa.String(32),
            sa.ForeignKey("water_body.code", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("managing_level", sa.String(16), nullable=True),
        sa.Column(
            "managing_region_code",
            sa.String(12),
            sa.ForeignKey("admin_region.code", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("flow_reversed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("buffer_width_m", sa.Float, nullable=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("geom", Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=False),
        sa.Column(
            "management_range",
            Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False),
            nullable=True,
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint(
            "kind IN ('river', 'canal', 'lake', 'reservoir', 'pond')", name="water_body_kind"
        ),
        sa.CheckConstraint(
            f"managing_level IS NULL OR managing_level IN {LEVELS}",
            name="water_body_managing_level",
        ),
        sa.CheckConstraint(
            "(kind IN ('river', 'canal')) = "
            "(GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING'))",
            name="water_body_geometry_matches_kind",
        ),
        sa.CheckConstraint(
            "buffer_width_m IS NULL OR buffer_width_m > 0", name="water_body_buffer_positive"
        ),
    )
    op.create_index("ix_water_body_parent_code", "water_body", ["parent_code"])
    op.create_index("ix_water_body_managing_region_code", "water_body", ["managing_region_code"])
    op.create_index("idx_water_body_geom", "water_body", ["geom"], postgresql_using="gist")
    op.create_index(
        "idx_water_body_management_range",
        "water_body",
        ["management_range"],
        postgresql_using="gist",
    )

    op.create_table(
        "chief",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=True),
        sa.Column("title", sa.Text, nullable=True),
    )

    op.create_table(
        "chief_post",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "chief_id", sa.String(32), sa.ForeignKey("chief.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column(
            "region_code",
            sa.String(12),
            sa.ForeignKey("admin_region.code", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column(
            "water_body_code",
            sa.String(32),
            sa.ForeignKey("water_body.code", ondelete="RESTRICT"),
            nullable=True,
        ),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column(
            "validity",
            postgresql.DATERANGE,
            sa.Computed("daterange(valid_from, valid_to, '[]')", persisted=True),
        ),
        sa.CheckConstraint(
            "role IN ('general_chief', 'river_chief', 'lake_chief', 'deputy_chief', "
            "'reservoir_chief', 'segment_chief', 'joint_chief')",
            name="chief_post_role",
        ),
        sa.CheckConstraint(f"level IN {LEVELS}", name="chief_post_level"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="chief_post_dates"),
        sa.CheckConstraint(
            "(role = 'general_chief') = (water_body_code IS NULL)", name="chief_post_target"
        ),
    )
    op.create_index("ix_chief_post_chief_id", "chief_post", ["chief_id"])
    op.create_index("ix_chief_post_region_code", "chief_post", ["region_code"])
    op.create_index("ix_chief_post_water_body_code", "chief_post", ["water_body_code"])
    op.create_index("ix_chief_post_validity", "chief_post", ["validity"], postgresql_using="gist")
    op.create_index(
        "uq_chief_post_natural",
        "chief_post",
        ["chief_id", "role", "region_code", sa.text("coalesce(water_body_code, '')"), "valid_from"],
        unique=True,
    )

    op.create_table(
        "data_import",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("feature_count", sa.Integer, nullable=False),
        sa.Column("report", postgresql.JSONB, nullable=True),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_data_import_sha256", "data_import", ["sha256"])


def downgrade() -> None:
    for table in ("data_import", "chief_post", "chief", "water_body", "admin_region"):
        op.drop_table(table)
