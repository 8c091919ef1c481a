"""Import administrative regions, water bodies and chief rosters: one transaction per file.

Each function reads and validates the whole file first, collecting every problem with its
feature number (or CSV line), and writes only when there is none; the write itself runs in a
savepoint, so a failure leaves the database exactly as it was. Re-importing a file updates
the rows with the same codes (upsert), which keeps imports repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_service.db.models import AdminRegion, Chief, ChiefPost, DataImport, WaterBody
from gis_service.db.session import atomic
from gis_service.domain.admin_codes import code_problem, normalise_code, normalise_level
from gis_service.domain.crs import STORAGE_SRID
from gis_service.domain.derived_regions import DerivedRegion, derive_missing_parents
from gis_service.domain.geometry_checks import Family, check_geometries
from gis_service.domain.vocab import (
    LEVEL_RANK,
    LEVELS,
    LINEAR_WATER_KINDS,
    POST_ROLE_LABELS,
    POST_ROLES,
    REGION_KIND_LABELS,
    REGION_KINDS,
    REGION_ROLES,
    WATER_KIND_LABELS,
    WATER_KINDS,
)
from gis_service.errors import InputError
from gis_service.fileio.archive import ImportLimits
from gis_service.fileio.attributes import REGION_ALIASES, WATER_ALIASES, select_fields
from gis_service.fileio.cells import blank, cell_text, read_validity
from gis_service.fileio.vector import read_vector
from gis_service.services import import_log
from gis_service.services.reports import ImportReport, ProblemList

_TRUE = {"true", "1", "yes", "y", "t", "是"}
_FALSE = {"false", "0", "no", "n", "f", "否", ""}


def _raw(path: Path, limits: ImportLimits) -> tuple[bytes, str]:
    return import_log.read_evidence(path, limits)


def _vocab(value: object, labels: Mapping[str, str]) -> str | None:
    """Accept the English term or its Chinese label (水库 -> reservoir)."""
    text_value = cell_text(value)
    if text_value is None:
        return None
    lowered = text_value.lower()
    if lowered in labels:
        return lowered
    by_label = {label: key for key, label in labels.items()}
    return by_label.get(text_value)


def _already_imported(conn: Connection, kind: str, sha: str) -> bool:
    stmt = select(DataImport.id).where(
        DataImport.kind == kind, DataImport.sha256 == sha, DataImport.status == "applied"
    )
    return conn.execute(stmt.limit(1)).first() is not None


def _upsert(conn: Connection, model, rows: list[dict], key: str, import_id: int) -> tuple[int, int]:
    """Insert or update by natural key, logging each row (and its state before) for undo;
    return (inserted, updated)."""
    touch = "updated_at" if "updated_at" in model.__table__.c else None
    return import_log.logged_upsert(conn, import_id, model, rows, conflict=(key,), touch=touch)


def _begin(conn: Connection, kind: str, path: Path, raw: bytes, sha: str, options: dict) -> int:
    return import_log.begin_import(
        conn, kind=kind, file_name=path.name, sha=sha, raw=raw, options=options
    )


def _finish(conn: Connection, import_id: int, report: ImportReport) -> None:
    import_log.finish_report(conn, import_id, report)


def _existing(conn: Connection, column, values: set[str]) -> dict[str, str]:
    """Code -> level (regions) or kind (waters) of the stored rows among ``values``."""
    if not values:
        return {}
    table = column.table
    other = table.c.level if "level" in table.c else table.c.kind
    rows = conn.execute(select(column, other).where(column.in_(sorted(values))))
    return {r[0]: r[1] for r in rows}


# -- administrative regions ---------------------------------------------------------------


def import_regions(
    conn: Connection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    crs: str | None = None,
    repair: bool = True,
    skip_unchanged: bool = False,
    derive_parents: bool = False,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Import administrative regions (code, name, level, parent_code, kind, polygons).

    A parent that is neither in the file nor in the database is an error, or with
    ``derive_parents`` it is built by dissolving its children (a prefecture from its
    counties) and listed in the report.
    """
    path = Path(path)
    limits = limits or ImportLimits()
    raw, sha = _raw(path, limits)
    if skip_unchanged and _already_imported(conn, "regions", sha):
        return ImportReport("regions", path.name, 0, skipped_unchanged=True)
    vector = read_vector(path, crs=crs, limits=limits)
    selected = select_fields(
        vector.attributes,
        required=("code", "name", "level"),
        optional=("parent_code", "kind"),
        aliases=REGION_ALIASES,
        mapping=mapping,
        constants=constants,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    check = check_geometries(vector.geometries, "polygon", repair=repair)
    codes = [normalise_code(v) for v in attrs["code"]]
    levels = [normalise_level(v) for v in attrs["level"]]
    parents = [normalise_code(v) for v in attrs["parent_code"]]
    kinds = [
        _vocab(v, REGION_KIND_LABELS) or ("government" if blank(v) else None) for v in attrs["kind"]
    ]
    duplicated = pd.Series(codes).duplicated(keep=False).to_numpy()

    in_file = {c: lv for c, lv in zip(codes, levels, strict=True) if c and lv}
    outside = {p for p in parents if p and p not in in_file}
    known = {**_existing(conn, AdminRegion.code, outside), **in_file}
    derived: list[DerivedRegion] = []
    if derive_parents:
        derived, derive_problems = derive_missing_parents(
            codes, levels, parents, check.geometries, known
        )
        for where, reason in derive_problems:
            problems.add(where, reason)
        known.update({d.code: d.level for d in derived})
        grandparents = {d.parent_code for d in derived if d.parent_code}
        known.update(_existing(conn, AdminRegion.code, grandparents - set(known)))
        for d in derived:
            if d.parent_code not in known:
                d.parent_code = None

    rows: list[dict] = []
    for i in range(len(vector)):
        where = f"feature {i + 1}" + (f" (code {codes[i]})" if codes[i] else "")
        level = levels[i]
        if level is None:
            problems.add(
                where, f"level {attrs['level'].iloc[i]!r} is not one of {', '.join(LEVELS)}"
            )
        elif problem := code_problem(codes[i], level):
            problems.add(where, problem)
        if duplicated[i]:
            problems.add(where, "code appears more than once in the file")
        if blank(attrs["name"].iloc[i]):
            problems.add(where, "missing name")
        if kinds[i] is None:
            problems.add(
                where, f"kind {attrs['kind'].iloc[i]!r} is not one of {', '.join(REGION_KINDS)}"
            )
        parent = parents[i]
        if parent is not None and level is not None:
            parent_level = known.get(parent)
            if parent_level is None:
                problems.add(
                    where,
                    f"parent {parent} is neither in the file nor in the database (import it "
                    "first, or build it from its children with --derive-parents)",
                )
            elif LEVEL_RANK[parent_level] >= LEVEL_RANK[level]:
                problems.add(where, f"parent {parent} is a {parent_level}, not above a {level}")
        if i in check.rejected:
            problems.add(where, check.rejected[i])
        rows.append(
            {
                "code": codes[i],
                "name": cell_text(attrs["name"].iloc[i]),
                "level": level,
                "parent_code": parent,
                "kind": kinds[i],
                "geom": None
                if check.geometries[i] is None
                else from_shape(check.geometries[i], srid=STORAGE_SRID),
            }
        )
    problems.raise_if_any()
    for d in derived:
        rows.append(
            {
                "code": d.code,
                "name": d.name,
                "level": d.level,
                "parent_code": d.parent_code,
                "kind": "government",
                "geom": from_shape(d.geometry, srid=STORAGE_SRID),
            }
        )

    report = ImportReport(
        "regions",
        path.name,
        len(vector),
        repaired=[
            f"feature {i + 1} (code {codes[i]}): repaired {reason}"
            for i, reason in check.repaired.items()
        ],
        **_file_notes(vector, selected),
        derived=[d.describe() for d in derived],
    )
    options = _options(mapping, constants, crs, repair, derive_parents=derive_parents)
    with atomic(conn):
        import_id = _begin(conn, "regions", path, raw, sha, options)
        for level in LEVELS:  # parents before children
            batch = [r for r in rows if r["level"] == level]
            ins, upd = _upsert(conn, AdminRegion, batch, "code", import_id)
            report.inserted += ins
            report.updated += upd
        _finish(conn, import_id, report)
    return report


def _file_notes(vector, selected) -> dict:
    """What the report says about how the file was read: CRS, columns, warnings."""
    return {
        "crs": vector.source_crs.describe(),
        "columns": dict(selected.used),
        "unused_columns": list(selected.unused),
        "warnings": list(vector.warnings),
    }


def _options(mapping, constants, crs, repair, **extra) -> dict:
    return {
        "map": dict(mapping or {}),
        "set": dict(constants or {}),
        "crs": crs,
        "repair": repair,
        **extra,
    }


# -- water bodies ---------------------------------------------------------------------------


def _parse_bool(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text_value = str(value).strip().lower()
    if text_value in _TRUE:
        return True
    if text_value in _FALSE:
        return False
    return None


def _parse_positive(value: Any) -> tuple[float | None, bool]:
    """(number or None, ok) of an attribute cell (whatever type the file reader gave)."""
    if blank(value):
        return None, True
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, False
    return (number, True) if number > 0 and math.isfinite(number) else (None, False)


def import_water_bodies(
    conn: Connection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    crs: str | None = None,
    repair: bool = True,
    skip_unchanged: bool = False,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Import rivers and canals (centre lines, source -> mouth) and water polygons."""
    path = Path(path)
    limits = limits or ImportLimits()
    raw, sha = _raw(path, limits)
    if skip_unchanged and _already_imported(conn, "water_bodies", sha):
        return ImportReport("water_bodies", path.name, 0, skipped_unchanged=True)
    vector = read_vector(path, crs=crs, limits=limits)
    selected = select_fields(
        vector.attributes,
        required=("code", "name", "kind"),
        optional=(
            "parent_code",
            "managing_level",
            "managing_region_code",
            "flow_reversed",
            "buffer_width_m",
            "source",
        ),
        aliases=WATER_ALIASES,
        mapping=mapping,
        constants=constants,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    codes = [cell_text(v) for v in attrs["code"]]
    kinds = [_vocab(v, WATER_KIND_LABELS) for v in attrs["kind"]]
    parents = [cell_text(v) for v in attrs["parent_code"]]
    regions = [normalise_code(v) for v in attrs["managing_region_code"]]
    duplicated = pd.Series(codes).duplicated(keep=False).to_numpy()

    linear = np.array([k in LINEAR_WATER_KINDS for k in kinds])
    geoms = np.empty(len(vector), dtype=object)
    rejected: dict[int, str] = {}
    repaired: dict[int, str] = {}
    families: tuple[tuple[Family, np.ndarray], ...] = (("line", linear), ("polygon", ~linear))
    for family, mask in families:
        idx = np.flatnonzero(mask)
        if len(idx):
            check = check_geometries(vector.geometries[idx], family, repair=repair)
            geoms[idx] = check.geometries
            rejected.update({int(idx[k]): v for k, v in check.rejected.items()})
            repaired.update({int(idx[k]): v for k, v in check.repaired.items()})

    file_kinds = {c: k for c, k in zip(codes, kinds, strict=True) if c}
    outside = {p for p in parents if p and p not in file_kinds}
    known_water = {**_existing(conn, WaterBody.code, outside), **file_kinds}
    region_levels = _existing(conn, AdminRegion.code, {r for r in regions if r})

    rows: list[dict] = []
    for i in range(len(vector)):
        where = f"feature {i + 1}" + (f" (code {codes[i]})" if codes[i] else "")
        if not codes[i]:
            problems.add(where, "missing code")
        if duplicated[i] and codes[i]:
            problems.add(where, "code appears more than once in the file")
        if blank(attrs["name"].iloc[i]):
            problems.add(where, "missing name")
        if kinds[i] is None:
            problems.add(
                where, f"kind {attrs['kind'].iloc[i]!r} is not one of {', '.join(WATER_KINDS)}"
            )
        parent = parents[i]
        if parent is not None:
            if parent == codes[i]:
                problems.add(where, "a water body cannot be its own main stem")
            elif parent not in known_water:
                problems.add(
                    where, f"main stem {parent} is neither in the file nor in the database"
                )
            elif known_water[parent] not in LINEAR_WATER_KINDS:
                problems.add(where, f"main stem {parent} is a {known_water[parent]}, not a river")
        level = normalise_level(attrs["managing_level"].iloc[i])
        region = regions[i]
        if region is not None:
            if region not in region_levels:
                problems.add(
                    where, f"managing region {region} is not in the database (import regions first)"
                )
            elif level is None:
                level = region_levels[region]
        if level is None and not blank(attrs["managing_level"].iloc[i]):
            problems.add(
                where,
                f"managing_level {attrs['managing_level'].iloc[i]!r} is not one "
                f"of {', '.join(LEVELS)}",
            )
        reversed_flag = _parse_bool(attrs["flow_reversed"].iloc[i])
        if reversed_flag is None:
            problems.add(
                where, f"flow_reversed {attrs['flow_reversed'].iloc[i]!r} is not a boolean"
            )
        width, ok = _parse_positive(attrs["buffer_width_m"].iloc[i])
        if not ok:
            problems.add(
                where,
                f"buffer_width_m {attrs['buffer_width_m'].iloc[i]!r} is not a "
                "positive number of metres",
            )
        if i in rejected:
            problems.add(where, rejected[i])
        rows.append(
            {
                "code": codes[i],
                "name": cell_text(attrs["name"].iloc[i]),
                "kind": kinds[i],
                "parent_code": parent,
                "managing_level": level,
                "managing_region_code": region,
                "flow_reversed": bool(reversed_flag),
                "buffer_width_m": width,
                "source": cell_text(attrs["source"].iloc[i]),
                "geom": None if geoms[i] is None else from_shape(geoms[i], srid=STORAGE_SRID),
            }
        )
    problems.raise_if_any()

    report = ImportReport(
        "water_bodies",
        path.name,
        len(rows),
        repaired=[
            f"feature {i + 1} (code {codes[i]}): repaired {reason}"
            for i, reason in repaired.items()
        ],
        **_file_notes(vector, selected),
    )
    by_code = {r["code"]: r for r in rows}

    def depth(code: str | None) -> int:
        d, seen = 0, {code}
        while (p := by_code.get(code, {}).get("parent_code")) in by_code and p not in seen:
            seen.add(p)
            code, d = p, d + 1
        return d

    options = _options(mapping, constants, crs, repair)
    with atomic(conn):
        import_id = _begin(conn, "water_bodies", path, raw, sha, options)
        for d in sorted({depth(c) for c in by_code}):  # main stems before tributaries
            batch = [r for r in rows if depth(r["code"]) == d]
            ins, upd = _upsert(conn, WaterBody, batch, "code", import_id)
            report.inserted += ins
            report.updated += upd
        _finish(conn, import_id, report)
    return report


# -- chiefs and posts ------------------------------------------------------------------------

CHIEF_COLUMNS_REQUIRED = ("person_id", "name", "role", "level", "region_code", "valid_from")
CHIEF_COLUMNS_OPTIONAL = ("phone", "title", "water_body_code", "valid_to")


def import_chiefs(
    conn: Connection, path: Path | str, *, skip_unchanged: bool = False
) -> ImportReport:
    """Import a roster CSV: one row per post, people repeated by ``person_id``."""
    path = Path(path)
    raw, sha = _raw(path, ImportLimits())
    if skip_unchanged and _already_imported(conn, "chiefs", sha):
        return ImportReport("chiefs", path.name, 0, skipped_unchanged=True)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read CSV: {exc}", source=path.name) from None
    selected = select_fields(
        frame, required=CHIEF_COLUMNS_REQUIRED, optional=CHIEF_COLUMNS_OPTIONAL, source=path.name
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    regions = _existing(
        conn,
        AdminRegion.code,
        {c for v in attrs["region_code"] if (c := normalise_code(v)) is not None},
    )
    waters = _existing(
        conn,
        WaterBody.code,
        {t for v in attrs["water_body_code"] if (t := cell_text(v)) is not None},
    )

    people: dict[str, dict] = {}
    posts: list[dict] = []
    for i in range(len(attrs)):
        where = f"line {i + 2}"
        row = attrs.iloc[i]
        person = cell_text(row["person_id"])
        name = cell_text(row["name"])
        if not person or not name:
            problems.add(where, "missing person_id or name")
        elif person in people and people[person]["name"] != name:
            problems.add(
                where,
                f"person {person} is named {people[person]['name']!r} on an "
                f"earlier line and {name!r} here",
            )
        else:
            people[person] = {
                "id": person,
                "name": name,
                "phone": cell_text(row["phone"]),
                "title": cell_text(row["title"]),
            }
        role = _vocab(row["role"], POST_ROLE_LABELS)
        if role is None:
            problems.add(where, f"role {row['role']!r} is not one of {', '.join(POST_ROLES)}")
        level = normalise_level(row["level"])
        if level is None:
            problems.add(where, f"level {row['level']!r} is not one of {', '.join(LEVELS)}")
        region = normalise_code(row["region_code"])
        if region not in regions:
            problems.add(where, f"region {region} is not in the database")
        elif level is not None and regions[region] != level:
            problems.add(where, f"region {region} is a {regions[region]}, the post is {level}")
        water = cell_text(row["water_body_code"])
        if water is not None and water not in waters:
            problems.add(where, f"water body {water} is not in the database")
        if role in REGION_ROLES and water is not None:
            problems.add(where, "a general chief (总河长/副总河长) has a region, not a water")
        if role is not None and role not in REGION_ROLES and water is None:
            problems.add(where, f"a {role} post needs a water_body_code")
        validity = read_validity(row["valid_from"], row["valid_to"])
        if validity.problem:
            problems.add(where, validity.problem)
        valid_from, valid_to = validity.valid_from, validity.valid_to
        posts.append(
            {
                "chief_id": person,
                "role": role,
                "level": level,
                "region_code": region,
                "water_body_code": water,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    problems.raise_if_any()

    report = ImportReport(
        "chiefs",
        path.name,
        len(posts),
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
    )
    with atomic(conn):
        import_id = _begin(conn, "chiefs", path, raw, sha, {})
        _upsert(conn, Chief, list(people.values()), "id", import_id)
        before = _post_images(conn, posts)
        new_posts = pg_insert(ChiefPost).values(posts)
        stmt = new_posts.on_conflict_do_update(
            index_elements=[
                "chief_id",
                "role",
                "region_code",
                text("coalesce(water_body_code, '')"),
                "valid_from",
            ],
            set_={"level": new_posts.excluded.level, "valid_to": new_posts.excluded.valid_to},
        ).returning(ChiefPost.id, text("(xmax = 0) AS inserted"))
        changes = [(str(r.id), bool(r.inserted)) for r in conn.execute(stmt)]
        import_log.record_changes(conn, import_id, "chief_post", changes, before)
        report.inserted = sum(flag for _, flag in changes)
        report.updated = len(changes) - report.inserted
        _finish(conn, import_id, report)
    return report


def _post_images(conn: Connection, posts: list[dict]) -> dict[str, dict]:
    """Before-images of the posts an upsert of ``posts`` may update (same natural key)."""
    chiefs = sorted({p["chief_id"] for p in posts})
    ids = conn.execute(select(ChiefPost.id).where(ChiefPost.chief_id.in_(chiefs))).scalars().all()
    return import_log.before_images(conn, "chief_post", list(ids))
