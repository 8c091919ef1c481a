"""Tables of the service (SQLAlchemy 2 declarative + GeoAlchemy2).

Storage SRID is 4326 (see ``gis_service.domain.crs``). Natural keys are used where the domain
has them: administrative codes (GB/T 2260 style), water-body codes, chiefs' person ids; they
are what offices type and what stays stable across re-imports.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.vocab import (
    LEVELS,
    POST_ROLES,
    REGION_KINDS,
    WATER_KINDS,
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class AdminRegion(Base):
    """行政区划: province, city, county, township, village (or a Corps unit)."""

    __tablename__ = "admin_region"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), server_default="government")
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(_in("level", LEVELS), name="admin_region_level"),
        CheckConstraint(_in("kind", REGION_KINDS), name="admin_region_kind"),
        CheckConstraint("code ~ '^[0-9]{6}([0-9]{3}){0,2}$'", name="admin_region_code_digits"),
        Index("ix_admin_region_level", "level"),
    )


class WaterBody(Base):
    """河流/湖泊/水库/渠道/塘坝. Rivers and canals are centre lines; the rest water polygons."""

    __tablename__ = "water_body"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    managing_level: Mapped[str | None] = mapped_column(String(16))
    managing_region_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    flow_reversed: Mapped[bool] = mapped_column(Boolean, server_default="false")
    buffer_width_m: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(
        Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    management_range = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=True
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(_in("kind", WATER_KINDS), name="water_body_kind"),
        CheckConstraint(
            f"managing_level IS NULL OR {_in('managing_level', LEVELS)}",
            name="water_body_managing_level",
        ),
        CheckConstraint(
            "(kind IN ('river', 'canal')) = "
            "(GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING'))",
            name="water_body_geometry_matches_kind",
        ),
        CheckConstraint(
            "buffer_width_m IS NULL OR buffer_width_m > 0", name="water_body_buffer_positive"
        ),
    )


class Chief(Base):
    """A person holding one or more chief posts. Phone numbers are not public."""

    __tablename__ = "chief"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)


class ChiefPost(Base):
    """One post: who is responsible for what, at which level, from when to when.

    A general chief's post targets a region; a river/lake/reservoir chief's a water body; a
    segment chief's the pair (water body, region): at one level the segments partition the
    river by region, so the pair names the segment and the zoning can change without
    orphaning posts. ``validity`` makes "who was responsible on date D" an indexed query.
    """

    __tablename__ = "chief_post"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chief_id: Mapped[str] = mapped_column(ForeignKey("chief.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    level: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    water_body_code: Mapped[str | None] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    validity = mapped_column(
        DATERANGE, Computed("daterange(valid_from, valid_to, '[]')", persisted=True)
    )
    __table_args__ = (
        CheckConstraint(_in("role", POST_ROLES), name="chief_post_role"),
        CheckConstraint(_in("level", LEVELS), name="chief_post_level"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="chief_post_dates"),
        CheckConstraint(
            "(role = 'general_chief') = (water_body_code IS NULL)",
            name="chief_post_target",
        ),
        Index("ix_chief_post_validity", "validity", postgresql_using="gist"),
        Index(
            "uq_chief_post_natural",
            "chief_id",
            "role",
            "region_code",
            text("coalesce(water_body_code, '')"),
            "valid_from",
            unique=True,
        ),
    )


class DataImport(Base):
    """One imported file: what, when, its hash and the importer's report (evidence)."""

    __tablename__ = "data_import"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    feature_count: Mapped[int] = mapped_column(Integer)
    report = mapped_column(JSONB)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
