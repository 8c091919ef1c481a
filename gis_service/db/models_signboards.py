"""Tables of issue 20 part 3 (migration 0010): public signboards (公示牌, seed 001) tied to
responsibility segments, and the public's reports made through them (群众举报, seed 002
第二十七条), each a problem in the problem workflow with its photo kept as evidence.
``models.py`` imports this module, so ``Base.metadata`` holds them for Alembic."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from gis_service.db.base import Base, _in
from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.vocab import LEVELS


class Signboard(Base):
    """A board at the water side: where it stands, the stretch it belongs to (the segment of
    the zoning run it was matched against, and the stable (water, level, region) naming that
    stretch across zoning runs), and the chiefs it lists as printed."""

    __tablename__ = "signboard"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    segment_id: Mapped[str] = mapped_column(String(96))
    zoning_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="SET NULL")
    )
    matched_by: Mapped[str] = mapped_column(String(8))
    match_distance_m: Mapped[float] = mapped_column(Float)
    printed_on: Mapped[dt.date] = mapped_column(Date)
    printed_chiefs = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(_in("level", LEVELS), name="signboard_level"),
        CheckConstraint("matched_by IN ('given', 'nearest')", name="signboard_matched_by"),
    )


class PublicReport(Base):
    """A report from the public through a board's page: the problem it became, the board and
    segment, and the photo as received (evidence; only JPEG or PNG are accepted)."""

    __tablename__ = "public_report"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("problem.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )
    board_code: Mapped[str] = mapped_column(
        ForeignKey("signboard.code", ondelete="RESTRICT"), index=True
    )
    segment_id: Mapped[str] = mapped_column(String(96))
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    location_given: Mapped[bool] = mapped_column(Boolean)
    photo = mapped_column(LargeBinary, nullable=True)
    photo_type: Mapped[str | None] = mapped_column(String(16))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        CheckConstraint(
            "photo_type IS NULL OR photo_type IN ('image/jpeg', 'image/png')",
            name="public_report_photo_type",
        ),
        CheckConstraint("(photo IS NULL) = (photo_type IS NULL)", name="public_report_photo"),
    )
