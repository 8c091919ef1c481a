"""Point-source and facility chiefs (塘长, 泵长, 口长, 点长; seed 004): import the points and
their posts, the point roster, and the audit of point posts (a patrol counts when it passes
within the role's tolerance of the point; rules file ``gis_service/rules/point_posts.toml``).

Imports read and check the whole file first, list every problem with its line (or feature),
and write only when there is none, in one savepoint.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from gis_service.db import point_store as store
from gis_service.db.models import Chief
from gis_service.db.models_seeds import PointPost, ResponsibilityPoint
from gis_service.db.queries import local_day_bounds
from gis_service.db.session import atomic
from gis_service.domain import point_sources as ps
from gis_service.domain.admin_codes import normalise_code
from gis_service.domain.crs import local_metric_epsg, to_metric
from gis_service.domain.periods import parse_period
from gis_service.domain.vocab import (
    POINT_KIND_LABELS,
    POINT_KINDS,
    POINT_ROLE_KINDS,
    POINT_ROLE_LABELS,
    POINT_ROLES,
)
from gis_service.errors import InputError, NotFoundError
from gis_service.fileio.attributes import select_fields
from gis_service.fileio.cells import cell_text, read_validity
from gis_service.fileio.tables import TABLE_SUFFIXES, read_table
from gis_service.fileio.vector import read_vector
from gis_service.records.audit import PointPostAuditRecord
from gis_service.services import import_log
from gis_service.services.reports import ImportReport, ProblemList

POINT_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "点位编码", "排污口编码", "代码"),
    "name": ("name", "名称", "点位名称"),
    "kind": ("kind", "类型", "点位类型"),
    "region_code": ("region_code", "所属行政区", "行政区划代码", "区划代码"),
    "water_body_code": ("water_body_code", "所在水体", "河流编码", "受纳水体"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
}
POST_ALIASES: dict[str, tuple[str, ...]] = {
    "person_id": ("person_id", "人员编号", "身份编号"),
    "name": ("name", "姓名"),
    "phone": ("phone", "电话", "联系电话"),
    "title": ("title", "职务"),
    "role": ("role", "职责", "岗位"),
    "point_code": ("point_code", "点位编码", "编码"),
    "valid_from": ("valid_from", "起始日期", "任职日期"),
    "valid_to": ("valid_to", "截止日期", "离任日期"),
}
_KIND_WORDS = {
    **{v: k for k, v in POINT_KIND_LABELS.items()},
    "排污口": "outfall",
    "点源": "point_source",
    "池塘": "pond",
    "泵": "pump_station",
}
_ROLE_WORDS = {v: k for k, v in POINT_ROLE_LABELS.items()}


def _word(value: object, words: dict[str, str], known: tuple[str, ...]) -> str | None:
    text = cell_text(value)
    if text is None:
        return None
    return text.lower() if text.lower() in known else words.get(text)


def _read_points(path: Path, crs: str | None) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Attributes and WGS84 points of a CSV/XLSX (lon/lat columns) or a vector file."""
    if path.suffix.lower() in TABLE_SUFFIXES:
        if crs:
            raise InputError("--crs applies to vector files; a table's lon/lat are WGS84")
        frame = read_table(path)
        return frame, np.array([None] * len(frame), dtype=object), []
    vector = read_vector(path, crs=crs)
    return vector.attributes, vector.geometries, vector.warnings


def import_points(conn: Connection, path: Path | str, *, crs: str | None = None) -> ImportReport:
    """Responsibility points from CSV/XLSX (lon/lat, WGS84) or GeoJSON/GeoPackage/zipped
    Shapefile (point geometries, CRS as the file says or ``crs``). Upserts by code."""
    path = Path(path)
    attributes, geoms, warnings = _read_points(path, crs)
    table = path.suffix.lower() in TABLE_SUFFIXES
    optional = ["water_body_code", *(["lon", "lat"] if table else [])]
    selected = select_fields(
        attributes,
        required=("code", "name", "kind", "region_code"),
        optional=optional,
        aliases=POINT_ALIASES,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    label = "line" if table else "feature"
    offset = 2 if table else 1
    regions = store.existing(
        conn, "admin_region", "code", {c for c in map(normalise_code, attrs["region_code"]) if c}
    )
    waters = store.existing(
        conn, "water_body", "code", {w for w in map(cell_text, attrs["water_body_code"]) if w}
    )
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for i in range(len(attrs)):
        where = f"{label} {i + offset}"
        row = attrs.iloc[i]
        code, name = cell_text(row["code"]), cell_text(row["name"])
        if not code or not name:
            problems.add(where, "missing code or name")
            continue
        if len(code) > 32:
            problems.add(where, f"code {code!r} is longer than 32 characters")
        if code in seen:
            problems.add(where, f"code {code} repeats {label} {seen[code]}")
        seen[code] = i + offset
        kind = _word(row["kind"], _KIND_WORDS, POINT_KINDS)
        if kind is None:
            problems.add(
                where,
                f"kind {row['kind']!r} is not one of {', '.join(POINT_KINDS)} "
                f"({'/'.join(POINT_KIND_LABELS.values())})",
            )
        region = normalise_code(row["region_code"])
        if region not in regions:
            problems.add(where, f"region {row['region_code']} is not in the database")
        water = cell_text(row["water_body_code"])
        if water is not None and water not in waters:
            problems.add(where, f"water body {water} is not in the database")
        if table:
            try:
                lon, lat = float(row["lon"]), float(row["lat"])
            except (TypeError, ValueError):
                problems.add(where, "lon/lat (经度/纬度) must be numbers")
                continue
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                problems.add(where, f"lon {lon}, lat {lat} is not a WGS84 position")
                continue
            point = shapely.Point(lon, lat)
        else:
            point = geoms[i]
            if point is None or point.is_empty or point.geom_type != "Point":
                kind_of = "no geometry" if point is None else point.geom_type
                problems.add(where, f"expected a point, got {kind_of}")
                continue
        rows.append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "region_code": region,
                "water_body_code": water,
                "geom": point,
            }
        )
    problems.raise_if_any()
    report = ImportReport(
        "points",
        path.name,
        len(rows),
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
        warnings=list(warnings),
    )
    with atomic(conn):
        import_id = import_log.begin_file_import(conn, "points", path, {"crs": crs} if crs else {})
        report.inserted, report.updated = import_log.logged_upsert(
            conn,
            import_id,
            ResponsibilityPoint,
            store.point_values(rows),
            conflict=("code",),
            touch="updated_at",
        )
        import_log.finish_report(conn, import_id, report)
    return report


def import_point_posts(conn: Connection, path: Path | str) -> ImportReport:
    """Point posts from CSV/XLSX: one row per post (person_id, name, role, point_code,
    valid_from; phone, title, valid_to optional). New people are added as chiefs; a known
    person id under another name is refused (never renamed silently)."""
    path = Path(path)
    selected = select_fields(
        read_table(path),
        required=("person_id", "name", "role", "point_code", "valid_from"),
        optional=("phone", "title", "valid_to"),
        aliases=POST_ALIASES,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    points = store.existing(
        conn, "responsibility_point", "code", {c for c in map(cell_text, attrs["point_code"]) if c}
    )
    known = store.existing(
        conn, "chief", "id", {c for c in map(cell_text, attrs["person_id"]) if c}
    )
    people: dict[str, dict] = {}
    rows: list[dict] = []
    for i in range(len(attrs)):
        where = f"line {i + 2}"
        row = attrs.iloc[i]
        person, name = cell_text(row["person_id"]), cell_text(row["name"])
        if not person or not name:
            problems.add(where, "missing person_id or name")
            continue
        stored = known.get(person, {}).get("name") or people.get(person, {}).get("name")
        if stored is not None and stored != name:
            problems.add(where, f"person {person} is {stored!r}, not {name!r}")
        elif person not in known:
            people[person] = {
                "id": person,
                "name": name,
                "phone": cell_text(row["phone"]),
                "title": cell_text(row["title"]),
            }
        role = _word(row["role"], _ROLE_WORDS, POINT_ROLES)
        if role is None:
            problems.add(
                where,
                f"role {row['role']!r} is not one of {', '.join(POINT_ROLES)} "
                f"({'/'.join(POINT_ROLE_LABELS.values())})",
            )
        point = cell_text(row["point_code"])
        if point not in points:
            problems.add(where, f"point {point} is not in the database (import points first)")
        elif role is not None and points[point]["kind"] not in POINT_ROLE_KINDS[role]:
            problems.add(
                where,
                f"a {POINT_ROLE_LABELS[role]} holds a "
                f"{'/'.join(POINT_KIND_LABELS[k] for k in POINT_ROLE_KINDS[role])}, point {point} "
                f"is a {POINT_KIND_LABELS[points[point]['kind']]}",
            )
        validity = read_validity(row["valid_from"], row["valid_to"])
        if validity.problem:
            problems.add(where, validity.problem)
        valid_from, valid_to = validity.valid_from, validity.valid_to
        rows.append(
            {
                "chief_id": person,
                "role": role,
                "point_code": point,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    problems.raise_if_any()
    report = ImportReport(
        "point_posts",
        path.name,
        len(rows),
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
    )
    with atomic(conn):
        import_id = import_log.begin_file_import(conn, "point_posts", path)
        added, _ = import_log.logged_upsert(
            conn, import_id, Chief, list(people.values()), conflict=("id",), new_only=True
        )
        if added:
            report.derived.append(f"{added} new chief(s) added")
        report.inserted, report.updated = import_log.logged_upsert(
            conn,
            import_id,
            PointPost,
            rows,
            conflict=("chief_id", "role", "point_code", "valid_from"),
            set_columns=("valid_to",),
        )
        import_log.finish_report(conn, import_id, report)
    return report


def roster(
    conn: Connection, day: dt.date, *, region: str | None = None, with_phone: bool = False
) -> list[store.PointPostRecord]:
    return store.posts_on(conn, day, region=region, with_phone=with_phone)


# -- the audit ---------------------------------------------------------------------------------


@dataclass
class PointAudit:
    region: str
    period: str
    as_of: dt.date
    rows: list[PointPostAuditRecord] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The audit as JSON (dates as ISO text)."""
        return {
            "region": self.region,
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "rows": [r.wire() for r in self.rows],
        }


def passing_days(
    posts: pd.DataFrame,
    patrols: pd.DataFrame,
    rules: dict[str, ps.PointRule],
    timezone: str,
) -> pd.DataFrame:
    """(post_id, day) for every patrol of a post's chief that passed within the role's
    tolerance of the point, measured in the Gauss-Kruger zone of the point."""
    if posts.empty or patrols.empty:  # (empty frames may disagree on dtypes: no merge)
        return pd.DataFrame(columns=["post_id", "day"])
    pairs = posts[["post_id", "chief_id", "role", "lon", "lat"]].merge(patrols, on="chief_id")
    if pairs.empty:
        return pd.DataFrame(columns=["post_id", "day"])
    zones = np.array(
        [local_metric_epsg(x, y) for x, y in zip(pairs["lon"], pairs["lat"], strict=True)]
    )
    points = shapely.points(pairs[["lon", "lat"]].to_numpy(dtype=float))
    tracks = pairs["track"].to_numpy(dtype=object)
    tolerance = np.array([rules[r].tolerance_m for r in pairs["role"]])
    passed = np.zeros(len(pairs), dtype=bool)
    for epsg in np.unique(zones):
        rows = np.flatnonzero(zones == epsg)
        passed[rows] = ps.passes_within(
            to_metric(tracks[rows], int(epsg)), to_metric(points[rows], int(epsg)), tolerance[rows]
        )
    tz = zoneinfo.ZoneInfo(timezone)
    hits = pairs[passed]
    return pd.DataFrame(
        {
            "post_id": hits["post_id"].to_numpy(),
            "day": [t.astimezone(tz).date() for t in hits["started_at"]],
        }
    )


def audit_points(
    conn: Connection,
    region: str,
    period_label: str,
    *,
    timezone: str,
    as_of: dt.date,
    rules: dict[str, ps.PointRule],
    statuses: tuple[str, ...] = ("valid", "partial"),
) -> PointAudit:
    """The point posts of ``region`` (and below) in ``period_label``, per rule period."""
    try:
        period = parse_period(period_label)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if not store.existing(conn, "admin_region", "code", {region}):
        raise NotFoundError(f"region {region!r} not found")
    try:
        first, last = ps.rule_window(period, rules)
        start, end = local_day_bounds(first, last, timezone)
    except OverflowError:
        raise InputError(f"period {period_label!r} is outside the calendar") from None
    posts = store.posts_in_window(conn, region, first, last)
    assert start is not None and end is not None  # both days are given
    patrols = store.patrol_tracks(conn, sorted(set(posts["chief_id"])), start, end, statuses)
    passes = passing_days(posts, patrols, rules, timezone)
    table = ps.audit_point_posts(posts, passes, rules, period, as_of)
    meta = posts.set_index("post_id")
    out = PointAudit(region, period.label, as_of)
    for r in table.itertuples(index=False):
        p = meta.loc[r.post_id]
        out.rows.append(
            PointPostAuditRecord(
                post_id=int(r.post_id),
                chief_id=p.chief_id,
                chief_name=p.chief_name,
                role=p.role,
                point_code=p.point_code,
                point_name=p.point_name,
                point_kind=p.point_kind,
                region_code=p.region_code,
                region_name=p.region_name,
                period=str(r.period),
                required=int(r.required),
                counted=int(r.counted),
                status=str(r.status),
                tolerance_m=rules[p.role].tolerance_m,
            )
        )
    return out


def configured_point_rules(path: Path | str | None = None) -> dict[str, ps.PointRule]:
    """The point-post rules of ``path`` (the front end's GIS_POINT_RULES_FILE), else the
    bundled ones; a file that cannot be read or used is bad input, named, not a crash."""
    try:
        return ps.load_point_rules(path)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def point_map_data(
    conn: Connection, day: dt.date, *, region: str | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Points (of ``region`` and below) and, per point, its chiefs on ``day`` as text
    (names and roles: public, like the notice boards; never phone numbers)."""
    points = store.points_in(conn, region)
    chiefs: dict[str, list[str]] = {}
    for p in store.posts_on(conn, day, region=region):
        chiefs.setdefault(p.point_code, []).append(f"{p.chief_name}({POINT_ROLE_LABELS[p.role]})")
    return points, {k: "、".join(v) for k, v in chiefs.items()}
