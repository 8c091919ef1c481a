"""The import log: every import has an id, the file as received and the rows it changed
(with each updated row as it was before), so it can be listed and undone.

Undo removes the rows the import inserted and restores the rows it updated, in one
transaction with the zoning rebuild. It refuses, naming them, when that would orphan
data entered since (posts, patrols, problems, water bodies on a removed region), or when a
later import changed the same rows (undo that one first): an undo never destroys newer work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from gis_service.db.models import (
    AdminRegion,
    Base,
    Chief,
    ChiefPost,
    DataImport,
    DataImportChange,
    WaterBody,
)
from gis_service.db.models_plans import PlanTask, RiverPlan, TaskProgress
from gis_service.db.models_seeds import (
    MonitoringSection,
    PointPost,
    ResponsibilityPoint,
    WaterQualitySample,
)
from gis_service.db.session import atomic
from gis_service.errors import ConflictError, InputError, NotFoundError
from gis_service.fileio.archive import ImportLimits
from gis_service.services.reports import ImportReport


def _table(model: type[Base]) -> Table:
    """A mapped class's Table (SQLAlchemy types ``__table__`` as any FROM clause)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


# table -> (table, key column); undo deletes in this order (dependents first)
TRACKED: dict[str, tuple[Table, str]] = {
    "water_quality_sample": (_table(WaterQualitySample), "id"),
    "point_post": (_table(PointPost), "id"),
    "task_progress": (_table(TaskProgress), "id"),  # 一河一策 (services.plans)
    "plan_task": (_table(PlanTask), "id"),
    "river_plan": (_table(RiverPlan), "id"),
    "chief_post": (_table(ChiefPost), "id"),
    "chief": (_table(Chief), "id"),
    "monitoring_section": (_table(MonitoringSection), "code"),
    "responsibility_point": (_table(ResponsibilityPoint), "code"),
    "water_body": (_table(WaterBody), "code"),
    "admin_region": (_table(AdminRegion), "code"),
}
# what the zoning is built from: undoing an import of anything else leaves the zoning as it is
ZONING_INPUTS = frozenset({"chief_post", "water_body", "admin_region"})
_MAX_NAMED = 10


@dataclass(frozen=True)
class ImportEntry:
    """One line of ``gis-service import list`` / ``GET /imports``."""

    id: int
    kind: str
    file: str
    sha256: str
    features: int
    imported_at: str
    status: str
    undone_at: str | None
    inserted: int
    updated: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class UndoResult:
    import_id: int
    deleted: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    zoning: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def summary(self) -> str:
        def fmt(d: dict[str, int]) -> str:
            return ", ".join(f"{n} {t}" for t, n in d.items() if n) or "nothing"

        return (
            f"import {self.import_id} undone: removed {fmt(self.deleted)}; "
            f"restored {fmt(self.restored)}"
        )


def begin_import(
    conn: Connection, *, kind: str, file_name: str, sha: str, raw: bytes | None, options: dict
) -> int:
    """The log row, written first: its id tags every change of the import."""
    return conn.execute(
        pg_insert(DataImport)
        .values(
            kind=kind, file_name=file_name, sha256=sha, feature_count=0, raw=raw, options=options
        )
        .returning(DataImport.id)
    ).scalar_one()


def read_evidence(path: Path, limits: ImportLimits | None = None) -> tuple[bytes, str]:
    """The file as received (kept as evidence with the import) and its SHA-256."""
    limits = limits or ImportLimits()
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    size = path.stat().st_size
    if size > limits.max_unpacked_bytes:
        raise InputError(
            f"{size:,} bytes, over the limit of {limits.max_unpacked_bytes:,} (max_unpacked_bytes)",
            source=path.name,
        )
    data = path.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def begin_file_import(conn: Connection, kind: str, path: Path, options: dict | None = None) -> int:
    """The log row of an import of ``path``, with the file itself as evidence."""
    raw, sha = read_evidence(path)
    return begin_import(
        conn, kind=kind, file_name=path.name, sha=sha, raw=raw, options=options or {}
    )


def finish_report(conn: Connection, import_id: int, report: ImportReport) -> None:
    """Tag ``report`` with its import id and store it with the log row."""
    report.import_id = import_id
    finish_import(conn, import_id, features=report.features, report=report.to_dict())


def applied_hashes(conn: Connection, kind: str) -> set[str]:
    """SHA-256 of the files of ``kind`` whose import stands (not undone)."""
    rows = conn.execute(
        select(DataImport.sha256).where(DataImport.kind == kind, DataImport.status == "applied")
    )
    return set(rows.scalars())


def finish_import(conn: Connection, import_id: int, *, features: int, report: dict) -> None:
    conn.execute(
        update(DataImport)
        .where(DataImport.id == import_id)
        .values(feature_count=features, report=report)
    )


def _image_sql(table: Table, key: str) -> str:
    """Rows as JSON, geometries as hex EWKB (exact, and what a geometry's text input reads)."""
    geoms = [c.name for c in table.columns if type(c.type).__name__ == "Geometry"]
    extra = ", ".join(f"'{g}', encode(ST_AsEWKB(t.{g}), 'hex')" for g in geoms)
    image = f"to_jsonb(t) || jsonb_build_object({extra})" if extra else "to_jsonb(t)"
    return f"SELECT t.{key}::text AS k, {image} AS image FROM {table.name} t"


def before_images(conn: Connection, table_name: str, keys: list) -> dict[str, dict]:
    """The rows with these keys as they are now (before an upsert touches them)."""
    table, key = TRACKED[table_name]
    if not keys:
        return {}
    stmt = text(_image_sql(table, key) + f" WHERE t.{key}::text = ANY(:keys)")
    rows = conn.execute(stmt, {"keys": [str(k) for k in keys]})
    return {r.k: r.image for r in rows}


def record_changes(
    conn: Connection,
    import_id: int,
    table_name: str,
    changes: list[tuple[str, bool]],
    before: dict[str, dict],
) -> None:
    """``changes``: (key, inserted?) as returned by the upsert."""
    if not changes:
        return
    conn.execute(
        pg_insert(DataImportChange),
        [
            {
                "import_id": import_id,
                "table_name": table_name,
                "row_key": str(k),
                "action": "insert" if inserted else "update",
                "before": None if inserted else before.get(str(k)),
            }
            for k, inserted in changes
        ],
    )


def logged_upsert(
    conn: Connection,
    import_id: int,
    model: type[Base],
    rows: list[dict],
    *,
    conflict: tuple[str, ...],
    set_columns: tuple[str, ...] | None = None,
    touch: str | None = None,
    new_only: bool = False,
) -> tuple[int, int]:
    """Insert or update ``rows`` on their natural key ``conflict`` and log each row, with its
    state before for an update, under ``import_id``: every import the office can undo writes
    through here. ``set_columns``: the columns an existing row takes (default: all given but the
    key); ``touch``: a timestamp column set to now(); ``new_only``: existing rows are left as
    they are (and not logged). Returns (inserted, updated)."""
    if not rows:
        return 0, 0
    table = _table(model)
    table_name = table.name
    key = TRACKED[table_name][1]
    natural = tuple_(*(table.c[c] for c in conflict))
    existing = conn.execute(
        select(table.c[key]).where(natural.in_([tuple(r[c] for c in conflict) for r in rows]))
    ).scalars()
    before = {} if new_only else before_images(conn, table_name, [str(k) for k in existing])
    stmt = pg_insert(model).values(rows)
    if new_only:
        upsert = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    else:
        columns: dict[str, ColumnElement[Any]] = {
            c: stmt.excluded[c] for c in (set_columns or [c for c in rows[0] if c not in conflict])
        }
        if touch:
            columns[touch] = func.now()
        upsert = stmt.on_conflict_do_update(index_elements=list(conflict), set_=columns)
    changes = [
        (str(row[0]), bool(row.inserted))
        for row in conn.execute(upsert.returning(table.c[key], text("(xmax = 0) AS inserted")))
    ]
    record_changes(conn, import_id, table_name, changes, before)
    inserted = sum(flag for _, flag in changes)
    return inserted, len(changes) - inserted


def list_imports(conn: Connection, *, limit: int = 200) -> list[ImportEntry]:
    rows = conn.execute(
        text(
            "SELECT d.id, d.kind, d.file_name, d.sha256, d.feature_count, d.imported_at, "
            "d.status, d.undone_at, "
            "count(*) FILTER (WHERE c.action = 'insert') AS inserted, "
            "count(*) FILTER (WHERE c.action = 'update') AS updated "
            "FROM data_import d LEFT JOIN data_import_change c ON c.import_id = d.id "
            "GROUP BY d.id ORDER BY d.id DESC LIMIT :limit"
        ),
        {"limit": limit},
    )
    return [
        ImportEntry(
            id=r.id,
            kind=r.kind,
            file=r.file_name,
            sha256=r.sha256,
            features=r.feature_count,
            imported_at=r.imported_at.isoformat(),
            status=r.status,
            undone_at=r.undone_at.isoformat() if r.undone_at else None,
            inserted=r.inserted,
            updated=r.updated,
        )
        for r in rows
    ]


def _names(rows, what: str) -> list[str]:
    items = [str(r[0]) for r in rows]
    if not items:
        return []
    shown = ", ".join(items[:_MAX_NAMED]) + (
        f" and {len(items) - _MAX_NAMED} more" if len(items) > _MAX_NAMED else ""
    )
    return [f"{what}: {shown}"]


def _dependents(conn: Connection, inserted: dict[str, list[str]], import_id: int) -> list[str]:
    """What would be orphaned by deleting the inserted rows (data not of this import), and
    plan tasks edited since the import (restoring them would drop those edits)."""
    p = {
        "i": import_id,
        "pl": [int(k) for k in inserted.get("river_plan", [])],
        "t": [int(k) for k in inserted.get("plan_task", [])],
        "g": [int(k) for k in inserted.get("task_progress", [])],
        "r": inserted.get("admin_region", []),
        "w": inserted.get("water_body", []),
        "c": inserted.get("chief", []),
        "p": [int(k) for k in inserted.get("chief_post", [])],
        "pt": inserted.get("responsibility_point", []),
        "pp": [int(k) for k in inserted.get("point_post", [])],
        "s": inserted.get("monitoring_section", []),
        "q": [int(k) for k in inserted.get("water_quality_sample", [])],
    }
    checks = [
        (
            "point posts on removed points or chiefs",
            "SELECT id FROM point_post WHERE (point_code = ANY(:pt) OR chief_id = ANY(:c)) "
            "AND NOT id = ANY(:pp) ORDER BY id",
        ),
        (
            "responsibility points on removed regions or water bodies",
            "SELECT code FROM responsibility_point "
            "WHERE (region_code = ANY(:r) OR water_body_code = ANY(:w)) AND NOT code = ANY(:pt) "
            "ORDER BY code",
        ),
        (
            "water-quality samples of removed sections",
            "SELECT section_code || ' ' || sampled_on FROM water_quality_sample "
            "WHERE section_code = ANY(:s) AND NOT id = ANY(:q) ORDER BY 1",
        ),
        (
            "monitoring sections on removed regions or water bodies",
            "SELECT code FROM monitoring_section WHERE (water_body_code = ANY(:w) "
            "OR upstream_region_code = ANY(:r) OR downstream_region_code = ANY(:r)) "
            "AND NOT code = ANY(:s) ORDER BY code",
        ),
        (
            "一河一策 plans on removed water bodies",
            "SELECT id FROM river_plan WHERE water_body_code = ANY(:w) AND NOT id = ANY(:pl) "
            "ORDER BY id",
        ),
        (
            "tasks on removed plans",
            "SELECT id FROM plan_task WHERE plan_id = ANY(:pl) AND NOT id = ANY(:t) ORDER BY id",
        ),
        (
            "progress reports on removed tasks",
            "SELECT id FROM task_progress WHERE task_id = ANY(:t) AND NOT id = ANY(:g) ORDER BY id",
        ),
        (
            "plan tasks edited since the import",
            "SELECT t.id FROM plan_task t JOIN data_import_change c ON c.import_id = :i "
            "AND c.table_name = 'plan_task' AND c.row_key = t.id::text "
            "JOIN data_import d ON d.id = :i WHERE t.updated_at > d.imported_at ORDER BY t.id",
        ),
        (
            "regions under removed regions",
            "SELECT code FROM admin_region "
            "WHERE parent_code = ANY(:r) AND NOT code = ANY(:r) ORDER BY code",
        ),
        (
            "water bodies managed by removed regions",
            "SELECT code FROM water_body "
            "WHERE managing_region_code = ANY(:r) AND NOT code = ANY(:w) ORDER BY code",
        ),
        (
            "tributaries of removed water bodies",
            "SELECT code FROM water_body "
            "WHERE parent_code = ANY(:w) AND NOT code = ANY(:w) ORDER BY code",
        ),
        (
            "chief posts on removed regions or water bodies",
            "SELECT id FROM chief_post "
            "WHERE (region_code = ANY(:r) OR water_body_code = ANY(:w) OR chief_id = ANY(:c)) "
            "AND NOT id = ANY(:p) ORDER BY id",
        ),
        (
            "patrols of removed chiefs or posts",
            "SELECT DISTINCT pa.id::text FROM patrol pa "
            "LEFT JOIN chief_post cp ON cp.chief_id = pa.chief_id AND cp.id = ANY(:p) "
            "AND (pa.started_at AT TIME ZONE 'UTC')::date <@ cp.validity "
            "WHERE pa.chief_id = ANY(:c) OR cp.id IS NOT NULL ORDER BY 1",
        ),
        (
            "problems on removed regions, water bodies or chiefs",
            "SELECT id::text FROM problem "
            "WHERE region_code = ANY(:r) OR water_body_code = ANY(:w) OR chief_id = ANY(:c) "
            "ORDER BY 1",
        ),
        (
            "users linked to removed chiefs",
            "SELECT name FROM app_user WHERE chief_id = ANY(:c) ORDER BY name",
        ),
    ]
    found: list[str] = []
    for what, sql in checks:
        found += _names(conn.execute(text(sql), p), what)
    return found


def _restore(conn: Connection, table_name: str, key_value: str, before: dict) -> None:
    table, key = TRACKED[table_name]
    columns = [c.name for c in table.columns if c.computed is None and c.name != key]
    stmt = text(
        f"UPDATE {table.name} AS t SET ({', '.join(columns)}) = "
        f"(SELECT {', '.join('r.' + c for c in columns)} "
        f"FROM jsonb_populate_record(NULL::{table.name}, :before) r) "
        f"WHERE t.{key}::text = :key"
    ).bindparams(bindparam("before", type_=JSONB))
    conn.execute(stmt, {"before": before, "key": key_value})


def undo_import(conn: Connection, import_id: int) -> UndoResult:
    """Remove what the import inserted and restore what it updated (see the module doc)."""
    from gis_service.services.zoning import rebuild_zoning

    entry = conn.execute(
        select(DataImport.id, DataImport.status).where(DataImport.id == import_id)
    ).first()
    if entry is None:
        raise NotFoundError(f"import {import_id} not found")
    if entry.status == "undone":
        raise ConflictError(f"import {import_id} was already undone")
    changes = conn.execute(
        select(
            DataImportChange.table_name,
            DataImportChange.row_key,
            DataImportChange.action,
            DataImportChange.before,
        )
        .where(DataImportChange.import_id == import_id)
        .order_by(DataImportChange.id)
    ).all()
    later = (
        conn.execute(
            text(
                "SELECT DISTINCT c.import_id FROM data_import_change c "
                "JOIN data_import d ON d.id = c.import_id AND d.status = 'applied' "
                "JOIN data_import_change mine ON mine.import_id = :id "
                "AND mine.table_name = c.table_name AND mine.row_key = c.row_key "
                "WHERE c.import_id > :id ORDER BY 1"
            ),
            {"id": import_id},
        )
        .scalars()
        .all()
    )
    if later:
        raise ConflictError(
            f"cannot undo import {import_id}: later import(s) {', '.join(map(str, later))} "
            "changed the same rows; undo those first"
        )
    inserted: dict[str, list[str]] = {}
    for c in changes:
        if c.action == "insert":
            inserted.setdefault(c.table_name, []).append(c.row_key)
    orphans = _dependents(conn, inserted, import_id)
    if orphans:
        raise ConflictError(
            f"cannot undo import {import_id}: removing its rows would orphan " + "; ".join(orphans)
        )
    result = UndoResult(import_id)
    with atomic(conn):
        for c in changes:  # restore first: an updated row may point at an inserted one
            if c.action == "update":
                _restore(conn, c.table_name, c.row_key, c.before)
                result.restored[c.table_name] = result.restored.get(c.table_name, 0) + 1
        for table_name, (_, key) in TRACKED.items():
            keys = inserted.get(table_name, [])
            if not keys:
                continue
            if table_name == "admin_region":  # children before parents
                _delete_tree(conn, "admin_region", "parent_code", keys)
            elif table_name == "water_body":  # tributaries before main stems
                _delete_tree(conn, "water_body", "parent_code", keys)
            else:
                conn.execute(
                    text(f"DELETE FROM {table_name} WHERE {key}::text = ANY(:k)"), {"k": keys}
                )
            result.deleted[table_name] = len(keys)
        conn.execute(
            update(DataImport)
            .where(DataImport.id == import_id)
            .values(status="undone", undone_at=dt.datetime.now(dt.UTC))
        )
        touched = {c.table_name for c in changes}
        if touched & ZONING_INPUTS:
            result.zoning = rebuild_zoning(conn, skip_unchanged=False)
        else:  # points, sections, samples: the zoning is not built from them
            result.zoning = {"skipped": "the import changed nothing the zoning is built from"}
    return result


def _delete_tree(conn: Connection, table: str, parent: str, keys: list[str]) -> None:
    """Delete rows that reference each other: leaves (no child left in the set) first."""
    remaining = set(keys)
    while remaining:
        leaves = (
            conn.execute(
                text(
                    f"SELECT code FROM {table} t WHERE code = ANY(:k) AND NOT EXISTS "
                    f"(SELECT 1 FROM {table} c WHERE c.{parent} = t.code AND c.code = ANY(:k))"
                ),
                {"k": sorted(remaining)},
            )
            .scalars()
            .all()
        )
        if not leaves:
            leaves = sorted(remaining)  # a cycle cannot be stored; let the database say so
        conn.execute(text(f"DELETE FROM {table} WHERE code = ANY(:k)"), {"k": leaves})
        remaining -= set(leaves)
