"""The consistency report, after every import, undo and zoning rebuild.

An import can be accepted row by row and still leave the whole inconsistent: counties
without their prefecture (every township segment then falls outside), a river outside
every region, segments nobody answers for, posts naming a stretch that does not exist.
These are listed (printed by the CLI, stored in ``consistency_check``, served at
``GET /consistency``); ``--strict`` turns any of them into a non-zero exit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_service.db.models import ConsistencyCheck
from gis_service.domain.vocab import LEVELS
from gis_service.records.consistency import StoredConsistency

_MAX_LISTED = 50
_RANK = "array_position(ARRAY[" + ", ".join(f"'{lv}'" for lv in LEVELS) + "]::text[], {}::text)"


@dataclass
class ConsistencyReport:
    checked_on: str
    regions_without_parent: list[str] = field(default_factory=list)
    water_bodies_outside_regions: list[str] = field(default_factory=list)
    segments_without_chief: list[str] = field(default_factory=list)
    posts_without_target: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problem_count(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        return {**asdict(self), "problem_count": self.problem_count}

    def summary(self) -> str:
        if not self.problem_count:
            return f"consistency ({self.checked_on}): no problems"
        lines = [f"consistency ({self.checked_on}): {self.problem_count} problem(s)"]
        for name, key in _KEYS.items():
            count, items = self.counts.get(key, 0), getattr(self, key)
            if count:
                more = f" (first {len(items)})" if count > len(items) else ""
                lines.append(f"  {count} {name}{more}: " + ", ".join(items))
        return "\n".join(lines)


_KEYS = {
    "regions without a parent while a higher level exists": "regions_without_parent",
    "water bodies outside every region": "water_bodies_outside_regions",
    "segments and zones without a chief": "segments_without_chief",
    "posts without a target": "posts_without_target",
}


def _listed(conn: Connection, sql: str, params: dict) -> tuple[int, list[str]]:
    rows = [r[0] for r in conn.execute(text(sql), params)]
    return len(rows), rows[:_MAX_LISTED]


def check_consistency(conn: Connection, day: dt.date) -> ConsistencyReport:
    """Compute the report for the database as it is (one read-only pass)."""
    from gis_service.services.zoning_queries import unassigned_on

    report = ConsistencyReport(checked_on=day.isoformat())
    rank_r, rank_h = _RANK.format("r.level"), _RANK.format("h.level")
    n, report.regions_without_parent = _listed(
        conn,
        f"SELECT r.code || ' ' || r.name || ' (' || r.level || ')' FROM admin_region r "
        f"WHERE r.parent_code IS NULL AND EXISTS "
        f"(SELECT 1 FROM admin_region h WHERE {rank_h} < {rank_r}) ORDER BY r.code",
        {},
    )
    report.counts["regions_without_parent"] = n
    n, report.water_bodies_outside_regions = _listed(
        conn,
        "SELECT w.code || ' ' || w.name FROM water_body w "
        "WHERE EXISTS (SELECT 1 FROM admin_region) AND NOT EXISTS "
        "(SELECT 1 FROM admin_region r WHERE ST_Intersects(r.geom, w.geom)) ORDER BY w.code",
        {},
    )
    report.counts["water_bodies_outside_regions"] = n
    gaps = unassigned_on(conn, day)
    report.counts["segments_without_chief"] = len(gaps)
    report.segments_without_chief = [
        str(t) + (f" ({b} bank)" if isinstance(b, str) and b else "")
        for t, b in zip(gaps["target_id"][:_MAX_LISTED], gaps["bank"][:_MAX_LISTED], strict=True)
    ]
    n, report.posts_without_target = _listed(
        conn,
        "SELECT 'post ' || p.id || ' ' || p.chief_id || ' ' || p.role || ' ' || p.level || ' ' "
        "|| p.region_code || ' ' || p.water_body_code FROM chief_post p "
        "JOIN water_body w ON w.code = p.water_body_code "
        "WHERE p.validity @> CAST(:day AS date) AND w.kind <> 'pond' "
        "AND EXISTS (SELECT 1 FROM zoning_run) "
        "AND NOT EXISTS (SELECT 1 FROM river_segment s WHERE s.water_body_code = p.water_body_code "
        "  AND s.level = p.level AND p.region_code IN (s.region_code, s.left_region_code, "
        "  s.right_region_code)) "
        "AND NOT EXISTS (SELECT 1 FROM still_water_zone z "
        "  WHERE z.water_body_code = p.water_body_code AND (z.region_code = p.region_code "
        "  OR z.region_codes::text LIKE '%\"' || p.region_code || '\"%' "
        "  OR (z.kind = 'water_area' AND p.role IN ('reservoir_chief', 'lake_chief')))) "
        "ORDER BY p.id",
        {"day": day},
    )
    report.counts["posts_without_target"] = n
    return report


def store_consistency(conn: Connection, report: ConsistencyReport, trigger: str) -> int:
    return conn.execute(
        pg_insert(ConsistencyCheck)
        .values(trigger=trigger, problem_count=report.problem_count, report=report.to_dict())
        .returning(ConsistencyCheck.id)
    ).scalar_one()


def check_and_store(conn: Connection, day: dt.date, trigger: str) -> ConsistencyReport:
    report = check_consistency(conn, day)
    store_consistency(conn, report, trigger)
    return report


def latest_consistency(conn: Connection) -> StoredConsistency | None:
    row = conn.execute(
        text(
            "SELECT id, checked_at, trigger, report FROM consistency_check ORDER BY id DESC LIMIT 1"
        )
    ).first()
    if row is None:
        return None
    return StoredConsistency(
        id=row.id, checked_at=row.checked_at, trigger=row.trigger, **row.report
    )
