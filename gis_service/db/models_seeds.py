"""Tables of issue 20 (migration 0009): boundary monitoring sections with their water-quality
samples (交界断面水质, seeds 001/004) and responsibility points with their posts (塘长, 泵长,
口长, 点长, seed 004). Kept apart from ``models.py`` so the features stay in their modules;
``models.py`` imports this module, so ``Base.metadata`` holds them for Alembic."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import DATERANGE
from sqlalchemy.orm import Mapped, mapped_column

from gis_service.db.base import Base, _in
from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.vocab import POINT_KINDS, POINT_ROLES

_CLASS = "BETWEEN 1 AND 6"  # GB 3838-2002 Ⅰ..Ⅴ, 6 = 劣Ⅴ


class MonitoringSection(Base):
    """交界断面: a monitoring point on a water body at the boundary it measures."""

    __tablename__ = "monitoring_section"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    upstream_region_code: Mapped[str] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    downstream_region_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT")
    )
    target_class: Mapped[int] = mapped_column(SmallInteger)
    # the zoning crossing it was placed at (provenance; joint sections are rebuilt, no FK)
    joint_section_id: Mapped[str | None] = mapped_column(String(96))
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(f"target_class {_CLASS}", name="monitoring_section_target_class"),
        CheckConstraint(
            "downstream_region_code IS NULL OR downstream_region_code <> upstream_region_code",
            name="monitoring_section_two_regions",
        ),
    )


class WaterQualitySample(Base):
    """One measurement of a section on a day: the main parameters (mg/L) and its class."""

    __tablename__ = "water_quality_sample"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_code: Mapped[str] = mapped_column(
        ForeignKey("monitoring_section.code", ondelete="CASCADE"), index=True
    )
    sampled_on: Mapped[dt.date] = mapped_column(Date)
    dissolved_oxygen: Mapped[float | None] = mapped_column(Float)
    permanganate_index: Mapped[float | None] = mapped_column(Float)
    cod: Mapped[float | None] = mapped_column(Float)
    bod5: Mapped[float | None] = mapped_column(Float)
    ammonia_nitrogen: Mapped[float | None] = mapped_column(Float)
    total_phosphorus: Mapped[float | None] = mapped_column(Float)
    stated_class: Mapped[int | None] = mapped_column(SmallInteger)
    quality_class: Mapped[int] = mapped_column(SmallInteger)
    class_basis: Mapped[str] = mapped_column(String(8))
    source_file: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        UniqueConstraint("section_code", "sampled_on", name="uq_water_quality_sample_day"),
        CheckConstraint(f"quality_class {_CLASS}", name="water_quality_sample_class"),
        CheckConstraint(
            f"stated_class IS NULL OR stated_class {_CLASS}", name="water_quality_sample_stated"
        ),
        CheckConstraint("class_basis IN ('computed', 'stated')", name="water_quality_sample_basis"),
    )


class ResponsibilityPoint(Base):
    """A point source or facility with a chief of its own: 塘 (pond), 泵站 (pumping station),
    排污口/入河排污口 (outfall) or another pollution point source (seed 004)."""

    __tablename__ = "responsibility_point"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    water_body_code: Mapped[str | None] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (CheckConstraint(_in("kind", POINT_KINDS), name="responsibility_point_kind"),)


class PointPost(Base):
    """A chief bound to a responsibility point (塘长, 泵长, 口长, 点长) for a period."""

    __tablename__ = "point_post"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chief_id: Mapped[str] = mapped_column(ForeignKey("chief.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    point_code: Mapped[str] = mapped_column(
        ForeignKey("responsibility_point.code", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    validity = mapped_column(
        DATERANGE, Computed("daterange(valid_from, valid_to, '[]')", persisted=True)
    )
    __table_args__ = (
        CheckConstraint(_in("role", POINT_ROLES), name="point_post_role"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="point_post_dates"),
        UniqueConstraint("chief_id", "role", "point_code", "valid_from", name="uq_point_post"),
        Index("ix_point_post_validity", "validity", postgresql_using="gist"),
    )
