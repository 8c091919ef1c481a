"""``gis-service national-audit``: the audits of many regions for one period, as partitions
on Dask (or in this process), combined."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly
from gis_service.cli_rematch import SchedulerOpt
from gis_service.config import get_settings
from gis_service.domain.periods import parse_day


@fail_cleanly
def national_audit(
    period: Annotated[str, typer.Option(help="2026, 2026-H2, 2026-Q3, 2026-07, 2026-W27")],
    regions: Annotated[
        str | None,
        typer.Option(help="comma-separated region codes, the partitions (not overlapping)"),
    ] = None,
    parent: Annotated[
        str | None,
        typer.Option(help="partition by the regions directly below this one (default: top)"),
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    scheduler: SchedulerOpt = None,
    dask: Annotated[bool, typer.Option(help="run on a local Dask cluster of the cores")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """National audit re-aggregation (全国汇总): one partition per region, combined."""
    from gis_service.config import local_today
    from gis_service.db.engine import database_url
    from gis_service.services.audit import configured_rules
    from gis_service.services.audit_national import AuditOptions, children, national_audit
    from gis_service.services.dask_cluster import dask_client
    from gis_service.services.point_sources import configured_point_rules

    settings = get_settings()
    if regions:
        codes = [c.strip() for c in regions.split(",") if c.strip()]
    else:
        with engine().connect() as conn:
            codes = children(conn, parent)
    options = AuditOptions(
        timezone=settings.timezone,
        as_of=parse_day(as_of, "--as-of") or local_today(),
        rules=configured_rules(settings.rules_file),
        point_rules=configured_point_rules(settings.point_rules_file),
    )
    url = database_url(settings)
    scheduler = scheduler or settings.dask_scheduler
    if scheduler or dask:
        with dask_client(scheduler) as client:
            report = national_audit(
                url, codes, period, options, client=client, send_url=not scheduler
            )
    else:
        report = national_audit(url, codes, period, options)
    if as_json:
        typer.echo(json.dumps(report.wire(), ensure_ascii=False, indent=2))
        return
    t = report.totals
    typer.echo(
        f"{report.period.label}: {len(report.partitions)} partitions, {t.posts} posts "
        f"({t.met} met, {t.due} behind), {t.targets} targets, "
        f"{t.covered_m / 1000:.1f} of {t.length_m / 1000:.1f} km covered; "
        f"{report.counted_patrols} counted patrols, "
        f"{report.patrols_not_rematched} awaiting re-match"
    )
    for r in report.regions:
        if r.region_code in {p.code for p in report.partitions}:
            rate = "-" if r.compliance_rate is None else f"{100 * r.compliance_rate:.0f} %"
            cov = "-" if r.coverage_rate is None else f"{100 * r.coverage_rate:.0f} %"
            typer.echo(f"  {r.region_code} {r.region_name or ''}: posts met {rate}, covered {cov}")


def register(app: typer.Typer) -> None:
    app.command("national-audit")(national_audit)
