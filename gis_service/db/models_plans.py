"""Tables of 一河一策 plans (issue 20 part 4, migration 0011): a plan per water body, its
tasks (category, department, place, deadline, status) and their progress reports. Kept
apart from ``models.py`` like ``models_seeds``; ``models.py`` imports it for Alembic."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from gis_service.db.base import Base, _in
from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.plans import CATEGORIES, PLACE_KINDS, STATUSES


class RiverPlan(Base):
    """一河一策 方案: the office's plan for one river, lake or reservoir."""

    __tablename__ = "river_plan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (UniqueConstraint("water_body_code", "name", name="uq_river_plan_name"),)


class PlanTask(Base):
    """One task of a plan. Its place is a segment or still-water zone of the zoning (the id
    kept as given: zoning is rebuilt, no FK) or a point near the water; ``geom`` is where the
    map shows it (a segment's point on its line)."""

    __tablename__ = "plan_task"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("river_plan.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(Text)
    place_kind: Mapped[str] = mapped_column(String(8))
    place_id: Mapped[str | None] = mapped_column(String(96))
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    deadline: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        UniqueConstraint("plan_id", "code", name="uq_plan_task_code"),
        CheckConstraint(_in("category", CATEGORIES), name="plan_task_category"),
        CheckConstraint(_in("status", STATUSES), name="plan_task_status"),
        CheckConstraint(_in("place_kind", PLACE_KINDS), name="plan_task_place_kind"),
        CheckConstraint(
            "(status = 'done') = (completed_on IS NOT NULL)", name="plan_task_completion"
        ),
        CheckConstraint("(place_kind = 'point') = (place_id IS NULL)", name="plan_task_place_id"),
    )


class TaskProgress(Base):
    """A progress report (进展) on a task: the day, what was done, optionally a percent."""

    __tablename__ = "task_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_task.id", ondelete="CASCADE"), index=True)
    reported_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(SmallInteger)
    reported_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(
            "percent IS NULL OR percent BETWEEN 0 AND 100", name="task_progress_percent"
        ),
    )
