"""Tables of the service (SQLAlchemy 2 declarative + GeoAlchemy2).

Storage SRID is 4326 (see ``gis_service.domain.crs``). Natural keys are used where the domain
has them: administrative codes (GB/T 2260 style), water-body codes, chiefs' person ids; they
are what offices type and what stays stable across re-imports.
"""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DATERANGE, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from gis_service.db.base import Base as Base  # the tables' base, imported from here too
from gis_service.db.base import _in
from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.vocab import (
    ACCOUNTABILITY_KINDS,
    LEVELS,
    POST_ROLES,
    PROBLEM_CATEGORIES,
    PROBLEM_SOURCES,
    PROBLEM_STATUSES,
    REGION_KINDS,
    REGION_ROLES,
    USER_ROLES,
    WATER_KINDS,
)


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
            f"({_in('role', REGION_ROLES)}) = (water_body_code IS NULL)",
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
    # migration 0005: undo (applied -> undone), the options used, the file as received
    status: Mapped[str] = mapped_column(String(16), server_default="applied")
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    options = mapped_column(JSONB, nullable=True)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    __table_args__ = (
        CheckConstraint("status IN ('applied', 'undone')", name="data_import_status"),
    )


class DataImportChange(Base):
    """One row an import inserted or updated, with the row as it was before (for undo).

    ``before`` is the row as JSON with geometries as hex EWKB, so a restore is exact.
    """

    __tablename__ = "data_import_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("data_import.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(String(32))
    row_key: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(8))
    before = mapped_column(JSONB, nullable=True)
    __table_args__ = (
        CheckConstraint("action IN ('insert', 'update')", name="data_import_change_action"),
        Index("ix_data_import_change_row", "table_name", "row_key"),
    )


class ConsistencyCheck(Base):
    """The consistency report stored after every import, undo and zoning rebuild."""

    __tablename__ = "consistency_check"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    trigger: Mapped[str] = mapped_column(Text)
    problem_count: Mapped[int] = mapped_column(Integer)
    report = mapped_column(JSONB)


# -- zoning results (migration 0002): rebuilt as a whole by `gis-service zoning rebuild` ------


class ZoningRun(Base):
    """One rebuild: when, with which parameters, from which input (reproducibility)."""

    __tablename__ = "zoning_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    metric_epsg: Mapped[int] = mapped_column(Integer)
    params = mapped_column(JSONB)
    input_sha256: Mapped[str] = mapped_column(String(64))
    counts = mapped_column(JSONB)
    seconds: Mapped[float] = mapped_column(Float)
    # migration 0008: the first local day the run applies to (patrols of a day are measured
    # against the run in force that day: the newest run whose date is not after it)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    __table_args__ = (Index("ix_zoning_run_effective", "effective_from", "id"),)


class RiverSegmentVersion(Base):
    """A run's river segments (coverage targets), kept while coverage or reports refer to the
    run: ``river_segment`` holds only the newest run, for maps and lists."""

    __tablename__ = "river_segment_version"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    left_region_code: Mapped[str | None] = mapped_column(String(12))
    right_region_code: Mapped[str | None] = mapped_column(String(12))
    ordinal: Mapped[int] = mapped_column(Integer)
    chainage_from_m: Mapped[float] = mapped_column(Float)
    chainage_to_m: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    parent_id: Mapped[str | None] = mapped_column(String(96))
    geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    __table_args__ = (Index("ix_river_segment_version_water", "run_id", "water_body_code"),)


class StillWaterZoneVersion(Base):
    """A run's still-water zones (coverage targets), like ``RiverSegmentVersion``."""

    __tablename__ = "still_water_zone_version"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    region_codes = mapped_column(JSONB)
    area_m2: Mapped[float] = mapped_column(Float)
    shore_length_m: Mapped[float | None] = mapped_column(Float)
    share: Mapped[float | None] = mapped_column(Float)
    initiates_coordination: Mapped[bool | None] = mapped_column(Boolean)
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    # migration 0015: a coordination report reads one water's zones of a run
    __table_args__ = (Index("ix_still_water_zone_version_water", "run_id", "water_body_code"),)


class JointSectionVersion(Base):
    """A run's joint sections (migration 0015): a coordination report of a day reads the run
    in force that day, like the audit's targets; ``joint_section`` holds the newest run."""

    __tablename__ = "joint_section_version"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    crossing_chainage_m: Mapped[float] = mapped_column(Float)
    chainage_from_m: Mapped[float] = mapped_column(Float)
    chainage_to_m: Mapped[float] = mapped_column(Float)
    upstream_region_code: Mapped[str | None] = mapped_column(String(12))
    downstream_region_code: Mapped[str | None] = mapped_column(String(12))
    along_boundary: Mapped[bool] = mapped_column(Boolean)
    crossing_point = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    __table_args__ = (Index("ix_joint_section_version_water", "run_id", "water_body_code"),)


class ConfluenceVersion(Base):
    """A run's confluences (migration 0015), like ``JointSectionVersion``."""

    __tablename__ = "confluence_version"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="CASCADE"), primary_key=True
    )
    tributary_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    main_code: Mapped[str] = mapped_column(String(32))
    chainage_on_main_m: Mapped[float] = mapped_column(Float)
    gap_m: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False)
    __table_args__ = (Index("ix_confluence_version_main", "run_id", "main_code"),)


class RiverConvenerVersion(Base):
    """A run's conveners (migration 0015), like ``JointSectionVersion``."""

    __tablename__ = "river_convener_version"
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="CASCADE"), primary_key=True
    )
    water_body_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    convener_region_code: Mapped[str] = mapped_column(String(12))
    lengths_m = mapped_column(JSONB)


class RematchJob(Base):
    """One partition (Gauss-Kruger zone of the tracks x local month) of re-matching stored
    patrols against a zoning run: done partitions are skipped when a job is resumed."""

    __tablename__ = "rematch_job"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("zoning_run.id", ondelete="CASCADE"))
    zone_epsg: Mapped[int] = mapped_column(Integer)  # 0: patrols without a kept track
    month: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    patrols: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, server_default="0")
    worker: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')", name="rematch_job_status"
        ),
        UniqueConstraint("run_id", "zone_epsg", "month", name="uq_rematch_job_partition"),
    )


class RiverSegment(Base):
    """A responsibility segment (河段) of a river or canal at one level.

    ``kind``: inside (one region), boundary (the river runs along a boundary: left and right
    bank regions, relative to the flow), outside (outside every region of the data; nobody's
    segment, kept so that chainage is continuous). Ids are deterministic:
    ``{water}/{level}/{region or left|right}/{n}``, n counting that label along the river.
    """

    __tablename__ = "river_segment"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    left_region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    right_region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    chainage_from_m: Mapped[float] = mapped_column(Float)
    chainage_to_m: Mapped[float] = mapped_column(Float)
    length_m: Mapped[float] = mapped_column(Float)
    parent_id: Mapped[str | None] = mapped_column(String(96))
    geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    zone_geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=True
    )
    __table_args__ = (
        CheckConstraint("kind IN ('inside', 'boundary', 'outside')", name="river_segment_kind"),
        CheckConstraint(_in("level", LEVELS), name="river_segment_level"),
        CheckConstraint("chainage_to_m >= chainage_from_m", name="river_segment_chainage"),
        Index("ix_river_segment_water_level", "water_body_code", "level", "chainage_from_m"),
    )


class StillWaterZone(Base):
    """Zones of lakes, reservoirs and ponds: the water area (水域, the 库长's), the shoreline
    pieces (库区沿岸) split by village, and each region's share of a shared water area."""

    __tablename__ = "still_water_zone"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    region_codes = mapped_column(JSONB)  # the region's own and its ancestors' codes per level
    area_m2: Mapped[float] = mapped_column(Float)
    shore_length_m: Mapped[float | None] = mapped_column(Float)
    share: Mapped[float | None] = mapped_column(Float)
    initiates_coordination: Mapped[bool | None] = mapped_column(Boolean)
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    __table_args__ = (
        CheckConstraint(
            "kind IN ('water_area', 'shoreline', 'water_share')", name="still_water_zone_kind"
        ),
    )


class JointSection(Base):
    """Cross-boundary joint section (联防联控): 1 km up and down from a boundary crossing."""

    __tablename__ = "joint_section"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    crossing_chainage_m: Mapped[float] = mapped_column(Float)
    chainage_from_m: Mapped[float] = mapped_column(Float)
    chainage_to_m: Mapped[float] = mapped_column(Float)
    upstream_region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    downstream_region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    along_boundary: Mapped[bool] = mapped_column(Boolean)
    crossing_point = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
    geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )


class Confluence(Base):
    """Where a tributary joins its main stem (chainage on the main stem)."""

    __tablename__ = "confluence"
    tributary_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), primary_key=True
    )
    main_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), index=True
    )
    chainage_on_main_m: Mapped[float] = mapped_column(Float)
    gap_m: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)


class RiverConvener(Base):
    """Convener county of a cross-county river's joint meeting (联席会议, seed 001)."""

    __tablename__ = "river_convener"
    water_body_code: Mapped[str] = mapped_column(
        ForeignKey("water_body.code", ondelete="CASCADE"), primary_key=True
    )
    convener_region_code: Mapped[str] = mapped_column(String(12))
    lengths_m = mapped_column(JSONB)


# -- patrols (migration 0003) ----------------------------------------------------------------


class PatrolKey(Base):
    """One row per patrol ever stored, outside the month partitions (migration 0014).

    A key of the partitioned ``patrol`` must hold its start, so only this table can say that
    an id is taken in every month and that a chief's same points count once; and an upload's
    look-ups (same UUID, same points, same geometry filed before, the chief's patrols at the
    same time) read it alone instead of every month partition. Rows of archived months stay.
    Kept exact by the database: ``patrol.id`` references it, and triggers delete and update
    it with the patrol (see the migration).
    """

    __tablename__ = "patrol_key"
    id = mapped_column(UUID(as_uuid=True), primary_key=True)
    chief_id: Mapped[str] = mapped_column(String)
    content_sha256: Mapped[str] = mapped_column(String(64))
    geometry_fingerprint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("chief_id", "content_sha256", name="uq_patrol_key_chief_content"),
        Index("ix_patrol_key_fingerprint", "geometry_fingerprint", "started_at"),
        Index("ix_patrol_key_chief_ended", "chief_id", "ended_at"),
    )


class Patrol(Base):
    """One uploaded patrol (巡河记录): its verdict, what it covered, where it went.

    ``id`` is the app's patrol UUID (or one we assign); ``content_sha256`` hashes the points,
    so the same patrol sent twice by an offline phone counts once whatever its file name.

    Partitioned by month of ``started_at`` (migration 0012, with ``patrol_raw`` and
    ``patrol_coverage``: a month is one partition of each, months in China Standard Time;
    ``db.partitions``). A key of a partitioned table holds the partition key: the primary key
    is (id, started_at); that an id is taken in every month, and that a chief's same points
    count once, is :class:`PatrolKey`'s (0014), which every patrol references.
    """

    __tablename__ = "patrol"
    # migration 0014: every patrol has its key (an id unique across months)
    id = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("patrol_key.id", name="patrol_id_key_fkey"),
        primary_key=True,
    )
    chief_id: Mapped[str] = mapped_column(ForeignKey("chief.id", ondelete="RESTRICT"))
    content_sha256: Mapped[str] = mapped_column(String(64))
    geometry_fingerprint: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str | None] = mapped_column(Text)
    coord_system: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    uploaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    status: Mapped[str] = mapped_column(String(16))
    reasons = mapped_column(JSONB)
    summary = mapped_column(JSONB)
    dropped = mapped_column(JSONB)
    track = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=True), nullable=True
    )
    # migration 0008: the zoning run it was last measured against (None: no zoning then)
    zoning_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="RESTRICT"), index=True
    )
    __table_args__ = (
        CheckConstraint(
            "status IN ('valid', 'partial', 'invalid', 'suspicious')", name="patrol_status"
        ),
        CheckConstraint("ended_at >= started_at", name="patrol_times"),
        Index("ix_patrol_chief_started", "chief_id", "started_at"),
        Index("ix_patrol_period", text("tstzrange(started_at, ended_at)"), postgresql_using="gist"),
        {"postgresql_partition_by": "RANGE (started_at)"},
    )


class PatrolRaw(Base):
    """The upload exactly as received: evidence, never altered.

    Stored zlib-compressed (lossless; ``sha256`` is of the original bytes): GPS uploads shrink
    about four-fold, which halves the cost of shipping them to the database on every upload.
    ``gis_service.services.patrols.raw_upload`` gives the original bytes back.
    """

    __tablename__ = "patrol_raw"
    patrol_id = mapped_column(UUID(as_uuid=True), primary_key=True)
    # the patrol's start: the partition key (migration 0012)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    data = mapped_column(LargeBinary, nullable=False)
    encoding: Mapped[str] = mapped_column(String(8), server_default="zlib")
    sha256: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        ForeignKeyConstraint(
            ["patrol_id", "started_at"],
            ["patrol.id", "patrol.started_at"],
            ondelete="CASCADE",
            name="patrol_raw_patrol_fkey",
        ),
        {"postgresql_partition_by": "RANGE (started_at)"},
    )


class PatrolCoverage(Base):
    """What one patrol covered of one assigned segment or zone (for period audits)."""

    __tablename__ = "patrol_coverage"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # the patrol's start: the partition key (migration 0012)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    patrol_id = mapped_column(UUID(as_uuid=True), index=True, nullable=False)
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(96), index=True)
    # migration 0008: the zoning run whose target this is
    run_id: Mapped[int] = mapped_column(
        ForeignKey("zoning_run.id", ondelete="RESTRICT"), index=True
    )
    water_body_code: Mapped[str] = mapped_column(String(32))
    length_m: Mapped[float] = mapped_column(Float)
    covered_m: Mapped[float] = mapped_column(Float)
    ratio: Mapped[float] = mapped_column(Float)
    extension_m: Mapped[float] = mapped_column(Float)
    covered = mapped_column(JSONB)  # chainage ranges relative to the target's start
    uncovered = mapped_column(JSONB)
    covered_geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )
    uncovered_geom = mapped_column(
        Geometry("MULTILINESTRING", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )
    __table_args__ = (
        ForeignKeyConstraint(
            ["patrol_id", "started_at"],
            ["patrol.id", "patrol.started_at"],
            ondelete="CASCADE",
            name="patrol_coverage_patrol_fkey",
        ),
        {"postgresql_partition_by": "RANGE (started_at)"},
    )


class PatrolArchive(Base):
    """A month of patrols exported to GeoParquet and detached (``gis-service patrols
    archive``): where the files are, what they hold (rows and SHA-256 per table), and whether
    the detached partitions were dropped. Uploads into an archived month are refused until
    it is restored (migration 0012)."""

    __tablename__ = "patrol_archive"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    directory: Mapped[str] = mapped_column(Text)
    files = mapped_column(JSONB, nullable=False)  # table -> {file, rows, sha256}
    dropped: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    archived_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    archived_by: Mapped[str | None] = mapped_column(Text)


# -- access, problems, write log (migration 0004) ---------------------------------------------


class AppUser(Base):
    """A user of the API. A chief's account is tied to the chief (person id) it speaks for."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    role: Mapped[str] = mapped_column(String(16))
    chief_id: Mapped[str | None] = mapped_column(ForeignKey("chief.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="app_user_role"),
        CheckConstraint("(role = 'chief') = (chief_id IS NOT NULL)", name="app_user_chief"),
    )


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are 256-bit random, so a fast hash
    cannot be brute-forced, and a leaked table leaks no usable token)."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Problem(Base):
    """A problem (河湖问题) found on patrol, reported by the public or the media, or handed down
    by a superior, and where its handling stands (交办, 答复, 核查, 销号)."""

    __tablename__ = "problem"
    id = mapped_column(UUID(as_uuid=True), primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16), server_default="patrol")
    source_detail: Mapped[str | None] = mapped_column(Text)  # who reported it: personal data
    description: Mapped[str | None] = mapped_column(Text)
    photo_ref: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    found_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # the chief who reported it: required for a patrol's problem, else optional
    chief_id: Mapped[str | None] = mapped_column(
        ForeignKey("chief.id", ondelete="RESTRICT"), index=True
    )
    patrol_id = mapped_column(UUID(as_uuid=True), nullable=True)
    # the patrol's start, with its id the key of the partitioned patrol (migration 0012)
    patrol_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    region_code: Mapped[str | None] = mapped_column(
        ForeignKey("admin_region.code", ondelete="RESTRICT"), index=True
    )
    water_body_code: Mapped[str | None] = mapped_column(
        ForeignKey("water_body.code", ondelete="RESTRICT")
    )
    status: Mapped[str] = mapped_column(String(16), server_default="reported")
    handed_to: Mapped[str | None] = mapped_column(Text)
    handed_over_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        CheckConstraint(_in("category", PROBLEM_CATEGORIES), name="problem_category"),
        CheckConstraint(_in("status", PROBLEM_STATUSES), name="problem_status"),
        CheckConstraint(_in("source", PROBLEM_SOURCES), name="problem_source"),
        CheckConstraint("source <> 'patrol' OR chief_id IS NOT NULL", name="problem_patrol_chief"),
        CheckConstraint(
            "(patrol_id IS NULL) = (patrol_started_at IS NULL)", name="problem_patrol_key"
        ),
        ForeignKeyConstraint(
            ["patrol_id", "patrol_started_at"],
            ["patrol.id", "patrol.started_at"],
            ondelete="SET NULL",
            name="problem_patrol_fkey",
        ),
    )


class ProblemEvent(Base):
    """One step of a problem's handling: who did what, when (the paper trail of 交办/督办)."""

    __tablename__ = "problem_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    problem_id = mapped_column(
        UUID(as_uuid=True), ForeignKey("problem.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    user_name: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class AccountabilityRecord(Base):
    """One step of the accountability ladder (提醒, 约谈, 通报批评, 提请问责) against a chief,
    with the written answer due within 15 working days (seed 000) once it is received."""

    __tablename__ = "accountability_record"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    chief_id: Mapped[str] = mapped_column(ForeignKey("chief.id", ondelete="RESTRICT"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("chief_post.id", ondelete="RESTRICT"))
    period: Mapped[str | None] = mapped_column(String(16))  # the audit period, e.g. 2026-Q3
    problem_id = mapped_column(
        UUID(as_uuid=True), ForeignKey("problem.id", ondelete="RESTRICT"), nullable=True
    )
    follows_id: Mapped[int | None] = mapped_column(
        ForeignKey("accountability_record.id", ondelete="RESTRICT")
    )
    reason: Mapped[str] = mapped_column(Text)
    reference: Mapped[str | None] = mapped_column(Text)  # the document number (文号)
    issuer: Mapped[str | None] = mapped_column(Text)  # e.g. 北海市河长办, 上级河湖长
    issued_by: Mapped[str] = mapped_column(Text)  # the account that recorded it
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_on: Mapped[dt.date | None] = mapped_column(Date)
    feedback_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNTABILITY_KINDS), name="accountability_kind"),
        CheckConstraint("(kind = 'referral') = (deadline IS NULL)", name="accountability_deadline"),
        CheckConstraint(
            "(feedback IS NULL) = (feedback_on IS NULL)", name="accountability_feedback"
        ),
        CheckConstraint("kind <> 'referral' OR feedback IS NULL", name="accountability_referral"),
    )


class WriteLog(Base):
    """Every request that writes: who, when, what, and how it ended."""

    __tablename__ = "write_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(Text)


# issue 20's tables live in their own module; imported here so Base.metadata holds them
from gis_service.db import models_plans as _models_plans  # noqa: E402,F401
from gis_service.db import models_seeds as _models_seeds  # noqa: E402,F401
from gis_service.db import models_signboards as _models_signboards  # noqa: E402,F401
