"""一河一策 plans (seeds 000, 001, 004): import a plan's tasks from XLSX/CSV, create and edit
tasks, append progress reports, and list a water's tasks with what each is on a day
(open, overdue, done, done late: ``domain.plans``).

Every write checks everything first and names each problem; a bad file or request changes
nothing. An import is recorded in the import log (the file kept as evidence, every inserted
or updated row with its former state), so ``gis-service import undo`` can take it back.
A task's place is a segment or still-water zone of the current zoning on the plan's water,
or a point within ``NEAR_WATER_M`` of that water.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from sqlalchemy import Connection

from gis_service.db import plan_store as store
from gis_service.db.session import atomic
from gis_service.domain import plans as dp
from gis_service.errors import ConflictError, InputError, NotFoundError
from gis_service.fileio.attributes import select_fields
from gis_service.fileio.cells import cell_text
from gis_service.fileio.tables import read_table
from gis_service.services import import_log
from gis_service.services.plan_views import TaskDetail, get_task
from gis_service.services.reports import ImportReport, ProblemList

IMPORT_KIND = "plan-tasks"
MAX_PLAN_FILE_BYTES = 20_000_000

TASK_ALIASES: dict[str, tuple[str, ...]] = {
    "water_body_code": ("water_body_code", "水体编码", "河湖编码", "河流编码", "河湖库编码"),
    "plan": ("plan", "方案", "方案名称"),
    "code": ("code", "任务编号", "编号", "序号"),
    "title": ("title", "任务", "任务名称", "任务内容"),
    "category": ("category", "任务类别", "类别"),
    "department": ("department", "责任单位", "牵头单位", "责任部门"),
    "place_id": ("place_id", "segment_id", "河段", "河段编码", "位置编码"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "deadline": ("deadline", "完成时限", "截止日期", "期限"),
    "status": ("status", "状态", "完成状态"),
    "completed_on": ("completed_on", "完成日期"),
    "note": ("note", "备注"),
    "progress_on": ("progress_on", "进展日期", "填报日期"),
    "progress": ("progress", "进展", "进展情况"),
    "percent": ("percent", "完成比例", "完成进度"),
}
REQUIRED = ("water_body_code", "code", "title", "category", "department", "deadline")
OPTIONAL = tuple(k for k in TASK_ALIASES if k not in REQUIRED)


def default_plan_name(water_name: str) -> str:
    return f"{water_name}一河一策实施方案"


# -- places -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceInput:
    water_body_code: str
    place_id: str | None
    lon: float | None
    lat: float | None


@dataclass(frozen=True)
class Place:
    kind: str
    place_id: str | None
    lon: float
    lat: float


def resolve_places(
    conn: Connection, items: list[PlaceInput], waters: dict[str, store.WaterRow]
) -> list[Place | str]:
    """Each item's place, or why it is refused (names the segment, the point, the water)."""
    found = store.places(conn, {i.place_id for i in items if i.place_id})
    out: list[Place | str] = []
    points: list[int] = []
    for n, item in enumerate(items):
        water = waters[item.water_body_code]
        has_point = item.lon is not None or item.lat is not None
        if item.place_id and has_point:
            out.append("give a segment (河段) or a point (经度/纬度), not both")
        elif item.place_id:
            place = found.get(item.place_id)
            if place is None:
                out.append(
                    f"segment {item.place_id!r} is not a segment or zone of the current zoning"
                )
            elif place.water_body_code != water.code:
                out.append(
                    f"segment {item.place_id!r} lies on water {place.water_body_code}, "
                    f"not on {water.code} {water.name}"
                )
            else:
                out.append(Place(place.kind, place.id, place.lon, place.lat))
        elif has_point:
            lon, lat = item.lon, item.lat
            if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
                out.append(f"lon {lon}, lat {lat} is not a WGS84 position (经度/纬度)")
            else:
                out.append(Place("point", None, lon, lat))
                points.append(n)
        else:
            out.append("no place: give a segment id (河段) or a point (经度/纬度)")
    distances = store.distances_to_water(
        conn,
        [items[n].water_body_code for n in points],
        [float(items[n].lon) for n in points],  # type: ignore[arg-type]
        [float(items[n].lat) for n in points],  # type: ignore[arg-type]
    )
    for n, metres in zip(points, distances, strict=True):
        if metres > dp.NEAR_WATER_M:
            water = waters[items[n].water_body_code]
            out[n] = (
                f"point ({items[n].lon}, {items[n].lat}) lies {metres:,.0f} m from "
                f"{water.code} {water.name} (at most {dp.NEAR_WATER_M:,.0f} m)"
            )
    return out


# -- the import ---------------------------------------------------------------------------------


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


@dataclass
class _Row:
    where: str
    water: str
    plan: str | None
    code: str
    title: str
    category: str | None
    department: str
    place: PlaceInput
    deadline: dt.date | None
    status: str | None
    completed_on: dt.date | None
    note: str | None
    progress: dict | None
    problems: list[str] = field(default_factory=list)
    resolved: Place | None = None


def _convert(where: str, row, today: dt.date) -> _Row | str:
    """One line's cells converted (problems collected on the row), or why it is unusable."""
    values = {k: cell_text(row[k]) for k in (*REQUIRED, *OPTIONAL)}
    missing = [k for k in REQUIRED if values[k] is None]
    if missing:
        return f"missing {', '.join(missing)}"
    problems: list[str] = []

    def day(key: str, label: str) -> dt.date | None:
        if values[key] is None:
            return None
        try:
            return dp.parse_date(values[key])  # type: ignore[arg-type]
        except ValueError as exc:
            problems.append(f"{key} ({label}): {exc}")
            return None

    code = values["code"] or ""
    if len(code) > 32:
        problems.append(f"code {code!r} is longer than 32 characters")
    category = dp.category_of(values["category"] or "")
    if category is None:
        problems.append(f"category {values['category']!r} is not one of {', '.join(dp.CATEGORIES)}")
    status = dp.status_of(values["status"]) if values["status"] else "not_started"
    if status is None:
        problems.append(
            f"status {values['status']!r} is not one of "
            f"{', '.join(dp.STATUS_LABELS.values())} ({', '.join(dp.STATUSES)})"
        )
    deadline = day("deadline", "完成时限")
    completed = day("completed_on", "完成日期")
    if status is not None and not (values["completed_on"] and completed is None):
        why = dp.check_completion(status, completed)
        if why:
            problems.append(why)
    if completed is not None and completed > today:
        problems.append(f"completed_on {completed} is after today ({today})")
    lon, lat = _number(values["lon"]), _number(values["lat"])
    if (lon is not None and math.isnan(lon)) or (lat is not None and math.isnan(lat)):
        problems.append(f"lon/lat (经度/纬度) {values['lon']!r}, {values['lat']!r} are not numbers")
        lon = lat = None
    progress = None
    if values["progress_on"] or values["progress"] or values["percent"]:
        reported = day("progress_on", "进展日期")
        percent = None
        if values["percent"]:
            try:
                percent = dp.parse_percent(values["percent"])
            except ValueError as exc:
                problems.append(f"percent (完成比例): {exc}")
        if not values["progress"] or not values["progress_on"]:
            problems.append("a progress report needs both 进展情况 (progress) and 进展日期")
        elif reported is not None and reported > today:
            problems.append(f"progress_on {reported} is after today ({today})")
        progress = {"reported_on": reported, "text": values["progress"], "percent": percent}
    return _Row(
        where=where,
        water=values["water_body_code"] or "",
        plan=values["plan"],
        code=code,
        title=values["title"] or "",
        category=category,
        department=values["department"] or "",
        place=PlaceInput(values["water_body_code"] or "", values["place_id"], lon, lat),
        deadline=deadline,
        status=status,
        completed_on=completed,
        note=values["note"],
        progress=progress,
        problems=problems,
    )


def import_plan_tasks(
    conn: Connection,
    path: Path | str,
    *,
    today: dt.date,
    reported_by: str = "import",
    skip_unchanged: bool = False,
) -> ImportReport:
    """Tasks from XLSX/CSV, one per line: water body code, task code, title, category,
    department, deadline (required); plan name, segment id or lon/lat (one of them), status,
    completion date, note, and a progress report (date, text, percent) optional.

    Upserts by (plan, task code); a plan named for the first time is created. A progress
    report already stored (same task, day and text) is not added twice. A column the
    importer does not know is refused, naming it: a misspelt 状态 would otherwise leave
    every task 未开始 without a word. ``today``: the office's day (no completion or
    progress report may lie after it). ``skip_unchanged``: a file whose import stands
    (same SHA-256, not undone) is not imported again (the sample's loader)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=str(path))
    raw = path.read_bytes()
    if len(raw) > MAX_PLAN_FILE_BYTES:
        raise InputError(f"larger than {MAX_PLAN_FILE_BYTES:,} bytes", source=path.name)
    sha = hashlib.sha256(raw).hexdigest()
    if skip_unchanged and sha in import_log.applied_hashes(conn, IMPORT_KIND):
        return ImportReport("plan tasks", path.name, 0, skipped_unchanged=True)
    selected = select_fields(
        read_table(path),
        required=REQUIRED,
        optional=OPTIONAL,
        aliases=TASK_ALIASES,
        source=path.name,
    )
    if selected.unused:
        known = ", ".join(f"{k} ({'/'.join(v[1:])})" for k, v in TASK_ALIASES.items())
        raise InputError(
            f"unknown column(s) {', '.join(map(repr, selected.unused))}; the columns are {known}",
            source=path.name,
        )
    attrs = selected.frame
    problems = ProblemList(path.name)
    rows: list[_Row] = []
    for i in range(len(attrs)):
        converted = _convert(f"line {i + 2}", attrs.iloc[i], today)
        if isinstance(converted, str):
            problems.add(f"line {i + 2}", converted)
        else:
            rows.append(converted)
    waters = store.waters(conn, {r.water for r in rows})
    seen: dict[tuple[str, str], str] = {}
    placed = [r for r in rows if r.water in waters]
    for r in rows:
        if r.water not in waters:
            r.problems.append(f"water body {r.water} is not in the database")
        r.plan = r.plan or (default_plan_name(waters[r.water].name) if r.water in waters else "")
        key = (f"{r.water}/{r.plan}", r.code)
        if key in seen:
            r.problems.append(f"task {r.code} of {r.plan} repeats {seen[key]}")
        seen.setdefault(key, r.where)
    for r, place in zip(
        placed, resolve_places(conn, [r.place for r in placed], waters), strict=True
    ):
        if isinstance(place, str):
            r.problems.append(place)
        else:
            r.resolved = place
    for r in rows:
        for p in r.problems:
            problems.add(r.where, p)
    problems.raise_if_any()

    report = ImportReport(
        "plan tasks",
        path.name,
        len(rows),
        columns=dict(selected.used),
    )
    defaulted = sum(cell_text(s) is None for s in attrs["status"])
    if defaulted:
        report.derived.append(f"{defaulted} task(s) without 状态 (status): 未开始 (not_started)")
    with atomic(conn):
        import_id = import_log.begin_import(
            conn,
            kind=IMPORT_KIND,
            file_name=path.name,
            sha=sha,
            raw=raw,
            options={},
        )
        plan_keys = {(r.water, r.plan or "") for r in rows}
        plans = store.plan_ids(conn, plan_keys)
        new_plans = []
        for water, name in sorted(plan_keys - set(plans)):
            plans[(water, name)] = store.insert_plan(conn, water, name)
            new_plans.append((str(plans[(water, name)]), True))
        import_log.record_changes(conn, import_id, "river_plan", new_plans, {})
        if new_plans:
            report.derived.append(f"{len(new_plans)} new plan(s)")
        task_rows: list[dict] = []
        for r in rows:
            spot = r.resolved
            assert spot is not None  # every row without a place was refused above
            task_rows.append(
                {
                    "plan_id": plans[(r.water, r.plan or "")],
                    "code": r.code,
                    "title": r.title,
                    "category": r.category,
                    "department": r.department,
                    "place_kind": spot.kind,
                    "place_id": spot.place_id,
                    "lon": spot.lon,
                    "lat": spot.lat,
                    "deadline": r.deadline,
                    "status": r.status,
                    "completed_on": r.completed_on,
                    "note": r.note,
                }
            )
        stored_ids = store.task_ids(conn, {(t["plan_id"], t["code"]) for t in task_rows})
        before = import_log.before_images(conn, "plan_task", list(stored_ids.values()))
        changes = store.upsert_tasks(conn, task_rows)
        import_log.record_changes(
            conn, import_id, "plan_task", [(str(i), new) for i, new in changes], before
        )
        report.inserted = sum(new for _, new in changes)
        report.updated = len(changes) - report.inserted
        wanted = [
            {**r.progress, "task_id": task_id, "reported_by": reported_by}
            for r, (task_id, _) in zip(rows, changes, strict=True)
            if r.progress is not None
        ]
        stored = store.progress_keys(conn, {p["task_id"] for p in wanted})
        fresh = [p for p in wanted if (p["task_id"], p["reported_on"], p["text"]) not in stored]
        ids = store.insert_progress(conn, fresh)
        import_log.record_changes(
            conn, import_id, "task_progress", [(str(i), True) for i in ids], {}
        )
        if wanted:
            report.derived.append(
                f"{len(ids)} progress report(s) added, {len(wanted) - len(ids)} already stored"
            )
        report.import_id = import_id
        import_log.finish_import(conn, import_id, features=len(rows), report=report.to_dict())
    return report


# -- edits through the API ----------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFields:
    """A task as a request gives it; on an edit, None means "leave as it is"."""

    code: str | None = None
    title: str | None = None
    category: str | None = None
    department: str | None = None
    place_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    deadline: dt.date | None = None
    status: str | None = None
    completed_on: dt.date | None = None
    note: str | None = None


def create_plan(conn: Connection, water_body_code: str, name: str | None) -> store.PlanRow:
    waters = store.waters(conn, {water_body_code})
    if not waters:
        raise NotFoundError(f"water body {water_body_code!r} not found")
    name = (name or "").strip() or default_plan_name(waters[water_body_code].name)
    with atomic(conn):
        if store.plan_ids(conn, {(water_body_code, name)}):
            raise ConflictError(f"{water_body_code} already has a plan named {name!r}")
        plan_id = store.insert_plan(conn, water_body_code, name)
    row = store.plan(conn, plan_id)
    assert row is not None
    return row


def _checked(
    conn: Connection, water: store.WaterRow, merged: TaskFields, touched_place: bool, today: dt.date
) -> tuple[dict, list[str]]:
    """The columns of a task from ``merged`` (category and status words converted), and the
    problems, each naming its field."""
    problems: list[str] = []
    out: dict = {}
    for name in ("code", "title", "department"):
        value = (getattr(merged, name) or "").strip()
        if not value:
            problems.append(f"{name} must not be empty")
        out[name] = value
    if len(out["code"]) > 32:
        problems.append(f"code {out['code']!r} is longer than 32 characters")
    category = dp.category_of(merged.category or "")
    if category is None:
        problems.append(f"category {merged.category!r} is not one of {', '.join(dp.CATEGORIES)}")
    status = dp.status_of(merged.status or "")
    if status is None:
        problems.append(
            f"status {merged.status!r} is not one of {', '.join(dp.STATUSES)} "
            f"({', '.join(dp.STATUS_LABELS.values())})"
        )
    completed = merged.completed_on
    if status == "done" and completed is None:
        completed = today  # marked done now: completed today (the office's day)
    if status is not None and (why := dp.check_completion(status, completed)):
        problems.append(why)
    if completed is not None and completed > today:
        problems.append(f"completed_on {completed} is after today ({today})")
    if merged.deadline is None:
        problems.append("deadline is required")
    out.update(
        category=category,
        status=status,
        completed_on=completed,
        deadline=merged.deadline,
        note=(merged.note or "").strip() or None,
    )
    if touched_place:
        place = resolve_places(
            conn,
            [PlaceInput(water.code, merged.place_id or None, merged.lon, merged.lat)],
            {water.code: water},
        )[0]
        if isinstance(place, str):
            problems.append(place)
        else:
            out.update(place_kind=place.kind, place_id=place.place_id, lon=place.lon, lat=place.lat)
    return out, problems


def create_task(conn: Connection, plan_id: int, given: TaskFields, *, today: dt.date) -> TaskDetail:
    plan = store.plan(conn, plan_id)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} not found")
    water = store.waters(conn, {plan.water_body_code})[plan.water_body_code]
    merged = replace(given, status=given.status or "not_started")
    values, problems = _checked(conn, water, merged, True, today)
    if problems:
        raise InputError("; ".join(problems))
    with atomic(conn):
        if store.task_ids(conn, {(plan_id, values["code"])}):
            raise ConflictError(f"plan {plan_id} already has a task {values['code']!r}")
        task_id = store.insert_task(conn, {**values, "plan_id": plan_id})
    return get_task(conn, task_id, today)


def edit_task(conn: Connection, task_id: int, changes: TaskFields, *, today: dt.date) -> TaskDetail:
    """Change the given fields; the place is checked again when any of segment, lon, lat is
    given (a segment replaces a point and the other way round)."""
    rows = store.tasks(conn, task_id=task_id)
    if not rows:
        raise NotFoundError(f"task {task_id} not found")
    current = rows[0]
    given = {f.name: getattr(changes, f.name) for f in fields(changes)}
    touched_place = any(given[k] is not None for k in ("place_id", "lon", "lat"))
    merged = TaskFields(
        **{
            k: v
            if v is not None
            else (None if k in ("place_id", "lon", "lat", "completed_on") else getattr(current, k))
            for k, v in given.items()
        }
    )
    # an unchanged completion date stays while the task stays done; a new status other
    # than done clears it (a date given with such a status is refused in _checked)
    if given["completed_on"] is None and dp.status_of(merged.status or "") == "done":
        merged = replace(merged, completed_on=current.completed_on)
    water = store.waters(conn, {current.water_body_code})[current.water_body_code]
    values, problems = _checked(conn, water, merged, touched_place, today)
    if problems:
        raise InputError("; ".join(problems))
    with atomic(conn):
        if values["code"] != current.code and store.task_ids(
            conn, {(current.plan_id, values["code"])}
        ):
            raise ConflictError(f"plan {current.plan_id} already has a task {values['code']!r}")
        store.update_task(conn, task_id, values)
    return get_task(conn, task_id, today)


def add_progress(
    conn: Connection,
    task_id: int,
    *,
    reported_on: dt.date,
    text: str,
    percent: int | None,
    reported_by: str,
    today: dt.date,
) -> TaskDetail:
    """Append a progress report (never edits earlier ones: they are the record)."""
    if not store.tasks(conn, task_id=task_id):
        raise NotFoundError(f"task {task_id} not found")
    problems = []
    if not text.strip():
        problems.append("text must not be empty")
    if reported_on > today:
        problems.append(f"reported_on {reported_on} is after today ({today})")
    if percent is not None and not 0 <= percent <= 100:
        problems.append(f"percent {percent} is not from 0 to 100")
    if problems:
        raise InputError("; ".join(problems))
    with atomic(conn):
        store.insert_progress(
            conn,
            [
                {
                    "task_id": task_id,
                    "reported_on": reported_on,
                    "text": text.strip(),
                    "percent": percent,
                    "reported_by": reported_by,
                }
            ],
        )
    return get_task(conn, task_id, today)
