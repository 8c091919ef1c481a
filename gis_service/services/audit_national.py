"""National audit re-aggregation: the audits of many regions (provinces, or any regions that
do not overlap) for one period, one partition each, on Dask or in this process, combined.

Each partition is ``run_audit`` of its region on a connection of its own (a task of a
worker, or this process), reduced to what the combination needs: the rate rows of the
regions inside the partition (exactly those of the partition's own audit), the status of
its posts and the length and covered length of its targets (so that totals count a
boundary stretch audited from both sides once). Posts and targets of levels above the
partitions (a national chief's) belong to no partition and are not counted.

A task reads only its own patrols: those with coverage rows on its region's targets
(``run_audit(own_patrols_only=True)``), so a province's task costs the province's patrols,
not the country's. The report's patrol counts (counted, in the period, not re-matched) are
the period's, whatever the region: they cannot be summed from the partitions (a patrol on a
boundary stretch is read by both sides, one that walked no partition's target by none), so
the coordinator counts them once, in the database (``period_patrol_counts``), before and
after the tasks (a difference means the patrols changed during the run).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from sqlalchemy import Connection, create_engine, text

from gis_service.db.queries import region_ancestors
from gis_service.domain.audit import BEHIND, MET, NOT_REQUIRED
from gis_service.domain.point_sources import PointRule
from gis_service.domain.rules import RuleSet
from gis_service.errors import InputError, NotFoundError
from gis_service.records.audit import AuditReport, RegionRateRecord, RegionRef
from gis_service.records.national_audit import AuditTotals, NationalAuditReport
from gis_service.services.audit import PeriodPatrolCounts, period_patrol_counts, run_audit
from gis_service.services.rematch import worker_database


@dataclass(frozen=True)
class AuditOptions:
    """What every partition's audit is run with (the front end's settings, passed in)."""

    timezone: str
    as_of: dt.date
    rules: RuleSet
    point_rules: dict[str, PointRule]


@dataclass(frozen=True)
class PartitionAudit:
    """One partition's audit, reduced to what the combination adds up."""

    region: RegionRef
    # without its targets, posts and due lists (they are reduced below); its patrol counts
    # are those of the patrols the task read (on the partition's targets), not the period's
    report: AuditReport
    rows: list[RegionRateRecord]  # the regions inside the partition
    post_status: dict[int, str]  # posts of regions inside the partition that owed patrols
    targets: dict[str, tuple[float, float]]  # target id: length, covered (inside the partition)


def subtree(region: str, ancestors: dict[str, tuple[str, ...]]) -> set[str]:
    """The region and every region below it."""
    return {region} | {code for code, up in ancestors.items() if region in up}


def reduce_report(report: AuditReport, ancestors: dict[str, tuple[str, ...]]) -> PartitionAudit:
    """What of a region's audit the national combination needs (pure)."""
    inside = subtree(report.region.code, ancestors)
    posts = {
        p.post_id: p.status
        for p in report.posts
        if p.region_code in inside and p.status != NOT_REQUIRED
    }
    targets = {
        t.target_id: (t.length_m, t.covered_m)
        for t in report.targets
        if inside.intersection(t.regions)
    }
    return PartitionAudit(
        region=report.region,
        report=report.model_copy(update={"targets": [], "posts": [], "due": []}),
        rows=[r for r in report.regions if r.region_code in inside],
        post_status=posts,
        targets=targets,
    )


def audit_partition(
    db_url: str | None,
    region: str,
    period: str,
    options: AuditOptions,
) -> PartitionAudit:
    """One partition on its own connection (a Dask task; ``db_url`` None: the worker's own
    database settings, as for the re-match tasks)."""
    engine = create_engine(db_url or worker_database())
    try:
        with engine.connect() as conn:
            report = run_audit(
                conn,
                region,
                period,
                timezone=options.timezone,
                as_of=options.as_of,
                rules=options.rules,
                point_rules=options.point_rules,
                own_patrols_only=True,
            )
            return reduce_report(report, region_ancestors(conn))
    finally:
        engine.dispose()


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


_CHANGED = "(data changed during the run): run it again"


def combine(parts: Sequence[PartitionAudit], counts: PeriodPatrolCounts) -> NationalAuditReport:
    """The national report of the partitions' audits and the period's patrol counts
    (``period_patrol_counts``; pure; the order of ``parts`` does not matter)."""
    if not parts:
        raise InputError("a national audit needs at least one region")
    parts = sorted(parts, key=lambda p: p.region.code)
    first = parts[0].report
    for p in parts[1:]:
        r = p.report
        # every partition reads the same runs: a difference means the data changed while
        # the partitions ran
        if (r.period, r.rules_version, r.zoning_runs) != (
            first.period,
            first.rules_version,
            first.zoning_runs,
        ):
            raise InputError(
                f"the audits of {first.region.code} and {p.region.code} saw different "
                f"zoning runs {_CHANGED}"
            )
    posts: dict[int, str] = {}
    targets: dict[str, tuple[float, float]] = {}
    for p in parts:
        posts.update(p.post_status)
        targets.update(p.targets)
    rows = [row for p in parts for row in p.rows]
    rows.sort(
        key=lambda r: (
            r.compliance_rate is None,
            -(r.compliance_rate or 0.0),
            r.coverage_rate is None,
            -(r.coverage_rate or 0.0),
            r.region_code,
        )
    )
    met = sum(s == MET for s in posts.values())
    length = sum(v[0] for v in targets.values())
    covered = sum(v[1] for v in targets.values())
    return NationalAuditReport(
        period=first.period,
        as_of=first.as_of,
        timezone=first.timezone,
        rules_version=first.rules_version,
        partitions=[p.region for p in parts],
        regions=rows,
        totals=AuditTotals(
            posts=len(posts),
            met=met,
            length_m=length,
            covered_m=covered,
            compliance_rate=_rate(met, len(posts)),
            coverage_rate=_rate(covered, length),
            targets=len(targets),
            due=sum(s == BEHIND for s in posts.values()),
        ),
        counted_patrols=counts.counted_patrols,
        patrols_in_period=counts.patrols_in_period,
        patrols_not_rematched=counts.patrols_not_rematched,
        zoning_runs=first.zoning_runs,
    )


def check_partitions(conn: Connection, regions: Sequence[str]) -> list[str]:
    """The partitions' region codes, known and not overlapping (a region inside another
    would be counted twice); refused with the codes named otherwise."""
    codes = list(dict.fromkeys(regions))
    if not codes:
        raise InputError("a national audit needs at least one region")
    known = set(
        conn.execute(
            text("SELECT code FROM admin_region WHERE code = ANY(:c)"), {"c": codes}
        ).scalars()
    )
    missing = [c for c in codes if c not in known]
    if missing:
        raise NotFoundError(f"regions not found: {', '.join(missing)}")
    ancestors = region_ancestors(conn)
    nested = [c for c in codes if any(up in codes for up in ancestors.get(c, ()))]
    if nested:
        raise InputError(
            f"regions {', '.join(nested)} lie inside other regions of the list: partitions "
            "must not overlap"
        )
    return codes


def children(conn: Connection, parent: str | None) -> list[str]:
    """The regions directly below ``parent`` (None: the top regions), the natural
    partitions of a national audit (the provinces)."""
    return list(
        conn.execute(
            text(
                "SELECT code FROM admin_region WHERE parent_code IS NOT DISTINCT FROM :p "
                "OR (CAST(:p AS text) IS NULL AND parent_code NOT IN (SELECT code FROM "
                "admin_region)) ORDER BY code"
            ),
            {"p": parent},
        ).scalars()
    )


def national_audit(
    db_url: str,
    regions: Sequence[str],
    period: str,
    options: AuditOptions,
    *,
    client: Any = None,
    send_url: bool = True,
) -> NationalAuditReport:
    """The audits of ``regions`` for ``period``, combined. With a ``distributed.Client``
    each region is a task on its workers (``send_url`` False: a real cluster's workers use
    their own database settings); without one they run here one after another. The result
    is the same either way."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            codes = check_partitions(conn, regions)
            before = _counts(conn, period, options)
        if client is None:
            parts = [audit_partition(db_url, c, period, options) for c in codes]
        else:
            tag = uuid4().hex[:8]
            url = db_url if send_url else None
            futures = [
                client.submit(
                    audit_partition,
                    url,
                    code,
                    period,
                    options,
                    key=f"audit-{code}-{tag}",
                    retries=2,
                )
                for code in codes
            ]
            parts = client.gather(futures)
        with engine.connect() as conn:
            if _counts(conn, period, options) != before:
                raise InputError(
                    f"the period's patrols changed while the partitions ran {_CHANGED}"
                )
    finally:
        engine.dispose()
    return combine(parts, before)


def _counts(conn: Connection, period: str, options: AuditOptions) -> PeriodPatrolCounts:
    return period_patrol_counts(conn, period, timezone=options.timezone, rules=options.rules)
