"""``gis-service plans``: 一河一策 plans: import tasks from XLSX/CSV, list a water's tasks
(open, overdue as of the office's day, done, done late)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings, local_today
from gis_service.domain.periods import parse_day

plans_app = typer.Typer(
    help="一河一策 plans: import tasks, list a water's tasks and the overdue ones.",
    no_args_is_help=True,
)


@plans_app.command("import")
@logged_write
@fail_cleanly
def import_cmd(file: Path) -> None:
    """Tasks from XLSX/CSV: 水体编码, 编号, 任务, 任务类别, 责任单位, 完成时限; optional 方案,
    河段 or 经度/纬度, 状态, 完成日期, 备注, 进展日期/进展情况/完成比例. One transaction,
    recorded in the import log (``gis-service import undo ID`` takes it back)."""
    import getpass

    from gis_service.services.plans import import_plan_tasks

    today = local_today(get_settings().timezone)
    with engine().begin() as conn:
        report = import_plan_tasks(conn, file, today=today, reported_by=getpass.getuser())
    typer.echo(report.summary())


@plans_app.command("list")
@fail_cleanly
def list_cmd(
    water: Annotated[str, typer.Option(help="water body code, e.g. R4505-01")],
    overdue: Annotated[bool, typer.Option(help="only open tasks past their deadline")] = False,
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """A water's tasks with their state as of a day (the office's time zone)."""
    from gis_service.services.plan_views import list_tasks

    day = parse_day(as_of, "--as-of") or local_today(get_settings().timezone)
    with engine().connect() as conn:
        tasks = list_tasks(conn, water, day, overdue_only=overdue)
    for t in tasks:
        late = f" ({t.days_late} 天)" if t.days_late else ""
        typer.echo(
            f"{t.code}\t{t.title}\t{t.category}\t{t.department}\t{t.deadline}\t"
            f"{t.status_label}\t{t.state_label}{late}\t{t.place_id or f'{t.lon:.5f},{t.lat:.5f}'}"
        )
    overdue_count = sum(t.state == "overdue" for t in tasks)
    typer.echo(f"{len(tasks)} task(s), {overdue_count} overdue, as of {day}")
