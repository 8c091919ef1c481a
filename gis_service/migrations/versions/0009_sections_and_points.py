"""Boundary monitoring sections with water-quality samples; responsibility points (塘, 泵站,
排污口, 点源) with their posts (塘长, 泵长, 口长, 点长). Issue 20, seeds 001 and 004.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CLASS = "BETWEEN 1 AND 6"


def _point() -> Geometry:
    return Geometry("POINT", srid=4326, spatial_index=False)


def upgrade() -> None:
    op.create_table(
        "monitoring_section",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=False),
        sa.Column("upstream_region_code", sa.String(length=12), nullable=False),
        sa.Column("downstream_region_code", sa.String(length=12), nullable=True),
        sa.Column("target_class", sa.SmallInteger(), nullable=False),
        sa.Column("joint_section_id", sa.String(length=96), nullable=True),
        sa.Column("geom", _point(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(f"target_class {_CLASS}", name="monitoring_section_target_class"),
        sa.CheckConstraint(
            "downstream_region_code IS NULL OR downstream_region_code <> upstream_region_code",
            name="monitoring_section_two_regions",
        ),
        sa.ForeignKeyConstraint(["water_body_code"], ["water_body.code"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["upstream_region_code"], ["admin_region.code"], ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["downstream_region_code"], ["admin_region.code"], ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(
        "idx_monitoring_section_geom", "monitoring_section", ["geom"], postgresql_using="gist"
    )
    op.create_index(
        op.f("ix_monitoring_section_water_body_code"), "monitoring_section", ["water_body_code"]
    )
    op.create_index(
        op.f("ix_monitoring_section_upstream_region_code"),
        "monitoring_section",
        ["upstream_region_code"],
    )
    op.create_table(
        "water_quality_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_code", sa.String(length=32), nullable=False),
        sa.Column("sampled_on", sa.Date(), nullable=False),
        sa.Column("dissolved_oxygen", sa.Float(), nullable=True),
        sa.Column("permanganate_index", sa.Float(), nullable=True),
        sa.Column("cod", sa.Float(), nullable=True),
        sa.Column("bod5", sa.Float(), nullable=True),
        sa.Column("ammonia_nitrogen", sa.Float(), nullable=True),
        sa.Column("total_phosphorus", sa.Float(), nullable=True),
        sa.Column("stated_class", sa.SmallInteger(), nullable=True),
        sa.Column("quality_class", sa.SmallInteger(), nullable=False),
        sa.Column("class_basis", sa.String(length=8), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(f"quality_class {_CLASS}", name="water_quality_sample_class"),
        sa.CheckConstraint(
            f"stated_class IS NULL OR stated_class {_CLASS}", name="water_quality_sample_stated"
        ),
        sa.CheckConstraint(
            "class_basis IN ('computed', 'stated')", name="water_quality_sample_basis"
        ),
        sa.ForeignKeyConstraint(["section_code"], ["monitoring_section.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("section_code", "sampled_on", name="uq_water_quality_sample_day"),
    )
    op.create_index(
        op.f("ix_water_quality_sample_section_code"), "water_quality_sample", ["section_code"]
    )
    op.create_table(
        "responsibility_point",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("water_body_code", sa.String(length=32), nullable=True),
        sa.Column("geom", _point(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('pond', 'pump_station', 'outfall', 'point_source')",
            name="responsibility_point_kind",
        ),
        sa.ForeignKeyConstraint(["region_code"], ["admin_region.code"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["water_body_code"], ["water_body.code"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(
        "idx_responsibility_point_geom", "responsibility_point", ["geom"], postgresql_using="gist"
    )
    op.create_index(
        op.f("ix_responsibility_point_region_code"), "responsibility_point", ["region_code"]
    )
    op.create_index(
        op.f("ix_responsibility_point_water_body_code"),
        "responsibility_point",
        ["water_body_code"],
    )
    op.create_table(
        "point_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chief_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("point_code", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "validity",
            postgresql.DATERANGE(),
            sa.Computed("daterange(valid_from, valid_to, '[]')", persisted=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "role IN ('pond_chief', 'pump_chief', 'outfall_chief', 'point_chief')",
            name="point_post_role",
        ),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="point_post_dates"),
        sa.ForeignKeyConstraint(["chief_id"], ["chief.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["point_code"], ["responsibility_point.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chief_id", "role", "point_code", "valid_from", name="uq_point_post"),
    )
    op.create_index(op.f("ix_point_post_chief_id"), "point_post", ["chief_id"])
    op.create_index(op.f("ix_point_post_point_code"), "point_post", ["point_code"])
    op.create_index("ix_point_post_validity", "point_post", ["validity"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_table("point_post")
    op.drop_table("responsibility_point")
    op.drop_table("water_quality_sample")
    op.drop_table("monitoring_section")
