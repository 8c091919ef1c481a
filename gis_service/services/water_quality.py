"""Boundary cross-section water quality (交界断面水质, seeds 001 and 004): import sections and
monthly samples from CSV/XLSX, propose sections at the zoning's crossings, and assess each
month per region (reward or deduction by the office's rule file).

Imports read and check the whole file first, listing every problem with its line, and write
only when there is none, in one savepoint: a refused file changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from gis_service.db import water_quality_store as store
from gis_service.db.models_seeds import MonitoringSection, WaterQualitySample
from gis_service.db.session import atomic
from gis_service.domain import water_quality as wq
from gis_service.domain.crs import local_metric_epsg, to_metric
from gis_service.errors import InputError
from gis_service.fileio.attributes import select_fields
from gis_service.fileio.cells import blank, cell_date, cell_text
from gis_service.fileio.tables import read_table
from gis_service.services import import_log
from gis_service.services.reports import ImportReport, ProblemList

# how far a section may lie from its water body's line or polygon (coordinates as surveyed)
MAX_OFFSET_M = 200.0
STILL_WATER_KINDS = ("lake", "reservoir", "pond")

SECTION_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "断面编码", "断面代码", "编码"),
    "name": ("name", "断面名称", "名称"),
    "target_class": ("target_class", "目标水质", "水质目标", "考核目标", "目标类别"),
    "water_body_code": ("water_body_code", "河流编码", "水体编码"),
    "upstream_region_code": ("upstream_region_code", "上游行政区", "上游区划代码", "考核对象"),
    "downstream_region_code": ("downstream_region_code", "下游行政区", "下游区划代码"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "joint_section_id": ("joint_section_id", "交界段", "联合河段"),
}
SAMPLE_ALIASES: dict[str, tuple[str, ...]] = {
    "section_code": ("section_code", "断面编码", "断面代码"),
    "sampled_on": ("sampled_on", "date", "采样日期", "监测日期", "日期"),
    "class": ("class", "水质类别", "类别"),
    "dissolved_oxygen": ("dissolved_oxygen", "do", "溶解氧"),
    "permanganate_index": ("permanganate_index", "codmn", "高锰酸盐指数"),
    "cod": ("cod", "化学需氧量"),
    "bod5": ("bod5", "五日生化需氧量"),
    "ammonia_nitrogen": ("ammonia_nitrogen", "nh3_n", "nh3-n", "氨氮"),
    "total_phosphorus": ("total_phosphorus", "tp", "总磷"),
}


def _float(value: object) -> tuple[float | None, bool]:
    text = cell_text(value)
    if text is None:
        return None, True
    try:
        number = float(text)
    except ValueError:
        return None, False
    return (number, True) if math.isfinite(number) else (None, False)


# -- sections ----------------------------------------------------------------------------------


def propose_sections(conn: Connection) -> list[store.CrossingRecord]:
    """Where the current zoning has a river leave one region for another: candidate boundary
    sections (an office picks, names them and sets the target class, then imports them)."""
    return store.crossings(conn)


def _offsets_m(points: list[shapely.Point], waters: list[shapely.Geometry]) -> np.ndarray:
    """Distance of each point to its water, in the Gauss-Kruger zone of the point itself."""
    out = np.full(len(points), np.inf)
    zones = np.array([local_metric_epsg(p.x, p.y) for p in points], dtype=np.int64)
    for epsg in np.unique(zones):
        rows = np.flatnonzero(zones == epsg)
        pts = to_metric(np.array([points[i] for i in rows], dtype=object), int(epsg))
        wat = to_metric(np.array([waters[i] for i in rows], dtype=object), int(epsg))
        out[rows] = shapely.distance(pts, wat)
    return out


def import_sections(
    conn: Connection, path: Path | str, *, max_offset_m: float = MAX_OFFSET_M
) -> ImportReport:
    """Monitoring sections from CSV/XLSX: a row gives coordinates (WGS84/CGCS2000 lon, lat),
    water body and regions, or ``joint_section_id`` of a zoning crossing (which supplies
    them). Upserts by code."""
    path = Path(path)
    selected = select_fields(
        read_table(path),
        required=("code", "name", "target_class"),
        optional=tuple(k for k in SECTION_ALIASES if k not in ("code", "name", "target_class")),
        aliases=SECTION_ALIASES,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    joint_ids = {j for j in (cell_text(v) for v in attrs["joint_section_id"]) if j}
    joints = {c.joint_section_id: c for c in store.crossings(conn, joint_ids)} if joint_ids else {}
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for i in range(len(attrs)):
        where = f"line {i + 2}"
        row = attrs.iloc[i]
        code, name = cell_text(row["code"]), cell_text(row["name"])
        if not code or not name:
            problems.add(where, "missing code or name (断面编码/断面名称)")
            continue
        if len(code) > 32:
            problems.add(where, f"code {code!r} is longer than 32 characters")
        if code in seen:
            problems.add(where, f"code {code} repeats line {seen[code]}")
        seen[code] = i + 2
        target = wq.parse_class(row["target_class"])
        if target is None:
            problems.add(where, f"target_class {row['target_class']!r} is not a class Ⅰ..Ⅴ or 劣Ⅴ")
        record: dict[str, Any] = {
            "code": code,
            "name": name,
            "target_class": target,
            "water_body_code": cell_text(row["water_body_code"]),
            "upstream_region_code": cell_text(row["upstream_region_code"]),
            "downstream_region_code": cell_text(row["downstream_region_code"]),
            "joint_section_id": cell_text(row["joint_section_id"]),
            "lon": None,
            "lat": None,
            "line": where,
        }
        lon, ok_lon = _float(row["lon"])
        lat, ok_lat = _float(row["lat"])
        joint_id = record["joint_section_id"]
        if joint_id is not None:
            crossing = joints.get(joint_id)
            if crossing is None:
                problems.add(where, f"joint_section_id {joint_id} is not a crossing of the zoning")
                continue
            if lon is not None or lat is not None:
                problems.add(where, "give coordinates or joint_section_id, not both")
                continue
            for key, value in (
                ("water_body_code", crossing.water_body_code),
                ("upstream_region_code", crossing.upstream_region_code),
                ("downstream_region_code", crossing.downstream_region_code),
            ):
                if record[key] is not None and record[key] != value:
                    problems.add(
                        where, f"{key} {record[key]} contradicts crossing {joint_id} ({value})"
                    )
                record[key] = value
            record["lon"], record["lat"] = crossing.lon, crossing.lat
        elif not (ok_lon and ok_lat) or lon is None or lat is None:
            problems.add(where, "lon/lat (经度/纬度) must be numbers, or give joint_section_id")
            continue
        elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.add(where, f"lon {lon}, lat {lat} is not a WGS84 position")
            continue
        else:
            record["lon"], record["lat"] = lon, lat
        if record["water_body_code"] is None or record["upstream_region_code"] is None:
            problems.add(where, "water_body_code and upstream_region_code are required")
            continue
        if record["upstream_region_code"] == record["downstream_region_code"]:
            problems.add(where, "upstream and downstream region are the same")
        rows.append(record)

    regions = store.region_levels(
        conn,
        {r[k] for r in rows for k in ("upstream_region_code", "downstream_region_code") if r[k]},
    )
    waters = store.water_geometries(conn, {r["water_body_code"] for r in rows})
    placed = []
    for r in rows:
        for key in ("upstream_region_code", "downstream_region_code"):
            if r[key] is not None and r[key] not in regions:
                problems.add(r["line"], f"{key} {r[key]} is not in the database")
        if r["water_body_code"] not in waters:
            problems.add(r["line"], f"water body {r['water_body_code']} is not in the database")
        else:
            placed.append(r)
    if placed:
        offsets = _offsets_m(
            [shapely.Point(r["lon"], r["lat"]) for r in placed],
            [waters[r["water_body_code"]][1] for r in placed],
        )
        for r, off in zip(placed, offsets, strict=True):
            if off > max_offset_m:
                problems.add(
                    r["line"],
                    f"({r['lon']}, {r['lat']}) lies {off:,.0f} m from {r['water_body_code']}, "
                    f"over {max_offset_m:,.0f} m: not a section of that water",
                )
    problems.raise_if_any()
    report = ImportReport(
        "sections",
        path.name,
        len(rows),
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
    )
    with atomic(conn):
        import_id = import_log.begin_file_import(conn, "sections", path)
        report.inserted, report.updated = import_log.logged_upsert(
            conn,
            import_id,
            MonitoringSection,
            store.section_values([{k: v for k, v in r.items() if k != "line"} for r in rows]),
            conflict=("code",),
            touch="updated_at",
        )
        import_log.finish_report(conn, import_id, report)
    return report


def list_sections(conn: Connection, *, region: str | None = None) -> list[store.SectionRecord]:
    return store.load_sections(conn, region=region)


# -- samples ----------------------------------------------------------------------------------


def import_samples(conn: Connection, path: Path | str) -> ImportReport:
    """Monthly measurements from CSV/XLSX: section, date, the main parameters (mg/L) and/or
    the class. With parameters the class is computed by GB 3838-2002 Table 1 (single-factor);
    a stated class worse than that is kept (the laboratory classed more items), a better one
    is refused. Upserts by (section, date)."""
    path = Path(path)
    optional = ("class", *wq.PARAMETER_NAMES)
    selected = select_fields(
        read_table(path),
        required=("section_code", "sampled_on"),
        optional=optional,
        aliases=SAMPLE_ALIASES,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    kinds = store.section_water_kinds(conn, {c for c in map(cell_text, attrs["section_code"]) if c})
    n = len(attrs)
    values = pd.DataFrame(np.nan, index=range(n), columns=list(wq.PARAMETER_NAMES))
    stated: list[int | None] = [None] * n
    days: list[dt.date | None] = [None] * n
    seen: dict[tuple[str, dt.date], int] = {}
    for i in range(n):
        where = f"line {i + 2}"
        row = attrs.iloc[i]
        section = cell_text(row["section_code"])
        if section not in kinds:
            problems.add(
                where, f"section {section!r} is not in the database (import sections first)"
            )
        try:
            days[i] = cell_date(row["sampled_on"], time_of_day=True)
        except ValueError as exc:
            problems.add(where, f"sampled_on: {exc}")
        if blank(row["sampled_on"]):
            problems.add(where, "sampled_on is required (YYYY-MM-DD)")
        day = days[i]
        if section and day is not None:
            if (section, day) in seen:
                problems.add(where, f"section {section} on {day} repeats line {seen[section, day]}")
            seen[section, day] = i + 2
        for p in wq.PARAMETERS:
            number, ok = _float(row[p.name])
            if not ok or (number is not None and number < 0):
                problems.add(where, f"{p.name} ({p.label}) {row[p.name]!r} is not a number >= 0")
            elif number is not None:
                values.loc[i, p.name] = number
        if cell_text(row["class"]) is not None:
            stated[i] = wq.parse_class(row["class"])
            if stated[i] is None:
                problems.add(where, f"class {row['class']!r} is not a class Ⅰ..Ⅴ or 劣Ⅴ")
    still = np.array(
        [kinds.get(cell_text(c) or "") in STILL_WATER_KINDS for c in attrs["section_code"]], bool
    )
    computed = wq.computed_classes(values, still)
    limiting = wq.limiting_parameters(values, still)
    rows: list[dict] = []
    for i in range(n):
        where = f"line {i + 2}"
        comp = None if pd.isna(computed[i]) else int(computed[i])
        quality, basis = wq.reconcile_class(stated[i], comp)
        if quality is None and comp is None and stated[i] is None:
            if cell_text(attrs.iloc[i]["class"]) is None:
                problems.add(where, "neither a class nor any parameter is given")
            continue
        if quality is None:
            problems.add(
                where,
                f"class {wq.class_label(stated[i])} stated, but {limiting[i]} give "
                f"{wq.class_label(comp)} by {wq.STANDARD}: a class cannot be better than "
                "its parameters",
            )
            continue
        rows.append(
            {
                "section_code": cell_text(attrs.iloc[i]["section_code"]),
                "sampled_on": days[i],
                **{
                    p: (None if pd.isna(values.loc[i, p]) else float(values.loc[i, p]))
                    for p in wq.PARAMETER_NAMES
                },
                "stated_class": stated[i],
                "quality_class": quality,
                "class_basis": basis,
                "source_file": path.name,
            }
        )
    problems.raise_if_any()
    report = ImportReport(
        "water_quality",
        path.name,
        len(rows),
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
    )
    n_stated = sum(r["class_basis"] == "stated" for r in rows)
    report.derived.append(
        f"{len(rows) - n_stated} class(es) computed from the parameters by {wq.STANDARD} "
        f"(single-factor), {n_stated} as stated in the file"
    )
    with atomic(conn):
        import_id = import_log.begin_file_import(conn, "water_quality", path)
        report.inserted, report.updated = import_log.logged_upsert(
            conn,
            import_id,
            WaterQualitySample,
            rows,
            conflict=("section_code", "sampled_on"),
            set_columns=tuple(c for c in rows[0] if c not in ("section_code", "sampled_on"))
            if rows
            else None,
            touch="imported_at",
        )
        import_log.finish_report(conn, import_id, report)
    return report


# -- the monthly assessment --------------------------------------------------------------------


@dataclass(frozen=True)
class SectionMonth:
    section_code: str
    section_name: str
    water_body_name: str
    upstream_region_code: str
    upstream_region_name: str
    downstream_region_name: str | None
    month: str  # YYYY-MM
    target_class: int
    month_class: int | None
    samples: int
    status: str  # met, failed, no_data
    amount_yuan: float


@dataclass(frozen=True)
class RegionMonth:
    region_code: str
    region_name: str
    month: str
    met: int
    failed: int
    no_data: int
    amount_yuan: float


@dataclass
class Assessment:
    """The assessment of a span of months: per section and month, and per region and month."""

    first_month: str
    last_month: str
    rule: wq.AssessmentRule
    sections: list[SectionMonth] = field(default_factory=list)
    regions: list[RegionMonth] = field(default_factory=list)

    @property
    def total_yuan(self) -> float:
        return float(sum(r.amount_yuan for r in self.regions))


def parse_month(value: str, *, option: str = "month") -> dt.date:
    """'2026-03' -> 2026-03-01; refuses anything else, naming the option."""
    try:
        month = dt.date.fromisoformat(f"{value.strip()}-01")
    except ValueError:
        raise InputError(f"{option} {value!r} is not a month YYYY-MM") from None
    if not 1900 <= month.year <= 2999:
        raise InputError(f"{option} {value!r} is outside the years 1900-2999")
    return month


def assess(
    conn: Connection,
    first: dt.date,
    last: dt.date,
    *,
    rule: wq.AssessmentRule,
    region: str | None = None,
) -> Assessment:
    """Every section (of ``region``, if given) in every month from ``first`` to ``last``."""
    months = wq.months_between(first, last)
    if not months:
        raise InputError(f"the last month {last:%Y-%m} is before the first {first:%Y-%m}")
    if len(months) > 120:
        raise InputError(f"{len(months)} months asked; at most 120 (ten years) at once")
    sections = store.load_sections(conn, region=region)
    last_day = months[-1].replace(day=calendar.monthrange(months[-1].year, months[-1].month)[1])
    samples = store.load_samples(conn, [s.code for s in sections], months[0], last_day)
    frame = pd.DataFrame(
        {
            "code": [s.code for s in sections],
            "target_class": [s.target_class for s in sections],
            "upstream_region_code": [s.upstream_region_code for s in sections],
        }
    )
    rows = wq.assess_months(frame, samples, months, rule)
    totals = wq.region_totals(rows)
    by_code = {s.code: s for s in sections}
    out = Assessment(f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}", rule)
    for r in rows.itertuples(index=False):
        s = by_code[r.section_code]
        out.sections.append(
            SectionMonth(
                s.code,
                s.name,
                s.water_body_name,
                s.upstream_region_code,
                s.upstream_region_name,
                s.downstream_region_name,
                f"{r.month:%Y-%m}",
                s.target_class,
                None if pd.isna(r.month_class) else int(r.month_class),
                int(r.samples),
                str(r.status),
                float(r.amount_yuan),
            )
        )
    names = {s.upstream_region_code: s.upstream_region_name for s in sections}
    for t in totals.itertuples(index=False):
        out.regions.append(
            RegionMonth(
                t.upstream_region_code,
                names[t.upstream_region_code],
                f"{t.month:%Y-%m}",
                int(t.met),
                int(t.failed),
                int(t.no_data),
                float(t.amount_yuan),
            )
        )
    return out


# -- the map ----------------------------------------------------------------------------------


def section_map_frame(
    conn: Connection,
    month: dt.date,
    *,
    rule: wq.AssessmentRule,
    region: str | None = None,
    water_body: str | None = None,
) -> gpd.GeoDataFrame:
    """Sections (of a region or one water) with their class and result in ``month``, as a
    WGS84 point frame for ``maps.water_quality``."""
    result = assess(conn, month, month, rule=rule, region=region)
    by_code = {s.code: s for s in store.load_sections(conn, region=region)}
    rows = [
        (r, by_code[r.section_code])
        for r in result.sections
        if water_body is None or by_code[r.section_code].water_body_code == water_body
    ]
    return gpd.GeoDataFrame(
        {
            "code": [s.code for _, s in rows],
            "name": [s.name for _, s in rows],
            "water": [s.water_body_name for _, s in rows],
            "upstream": [s.upstream_region_name for _, s in rows],
            "downstream": [s.downstream_region_name for _, s in rows],
            "target_class": [s.target_class for _, s in rows],
            "month_class": [r.month_class for r, _ in rows],
            "status": [r.status for r, _ in rows],
        },
        geometry=shapely.points([(s.lon, s.lat) for _, s in rows]) if rows else [],
        crs=4326,
    )


def configured_assessment_rule(path: Path | str | None = None) -> wq.AssessmentRule:
    """The reward/deduction rule of ``path`` (the front end's GIS_WATER_QUALITY_RULES_FILE
    or option), else the bundled one; a file that cannot be read or used is bad input,
    named, not a crash."""
    try:
        return wq.load_assessment_rule(path)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def river_sections(
    conn: Connection, water_body: str, day: dt.date, *, rule: wq.AssessmentRule | None = None
) -> gpd.GeoDataFrame:
    """The sections of one water for its river map: the class of the last complete month
    before ``day`` (the month an office assesses), by ``rule`` (the office's, passed in by
    the front end), else the bundled one."""
    month = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    rule = rule or configured_assessment_rule()
    return section_map_frame(conn, month, rule=rule, water_body=water_body)
