"""``gis-service patrols``: the storage of patrols by month — the partitions, and moving a
month older than the retention period to GeoParquet and back (``services.retention``)."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings, local_today

patrols_app = typer.Typer(
    help="Patrol storage by month: partitions, archive to GeoParquet, restore.",
    no_args_is_help=True,
)


@patrols_app.command("partitions")
@fail_cleanly
def list_partitions() -> None:
    """The months with partitions in the database, and the archived months."""
    from gis_service.db import archive_store, partitions

    with engine().connect() as conn:
        attached = partitions.attached_months(conn)
        archived = archive_store.archived(conn)
    for m in attached:
        typer.echo(f"{partitions.month_label(m.month)}  in the database  ({', '.join(m.tables)})")
    for a in archived:
        state = "dropped" if a.dropped else "detached (tables kept)"
        typer.echo(
            f"{partitions.month_label(a.month)}  archived {a.archived_at:%Y-%m-%d} to "
            f"{a.directory}  {state}"
        )


@patrols_app.command("archive")
@logged_write
@fail_cleanly
def archive(
    month: Annotated[str, typer.Option("--month", help="the month, YYYY-MM")],
    to: Annotated[Path, typer.Option("--to", help="folder of the GeoParquet datasets")],
    drop: Annotated[
        bool, typer.Option("--drop", help="drop the detached partitions (else kept as tables)")
    ] = False,
) -> None:
    """Export a month's patrols, raw uploads and coverage to GeoParquet, verify the files,
    then detach (with --drop, drop) its partitions. Refused inside the retention period
    (GIS_PATROL_RETENTION_YEARS) and while an audit, a problem or a re-match refers to it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn

    from gis_service.services.retention import archive_month, parse_month

    settings = get_settings()
    first = parse_month(month)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def shown(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done)

        with engine().begin() as conn:
            result = archive_month(
                conn,
                first,
                to,
                today=local_today(settings.timezone),
                retention_years=settings.patrol_retention_years,
                drop=drop,
                by=getpass.getuser(),
                progress=shown,
            )
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@patrols_app.command("restore")
@logged_write
@fail_cleanly
def restore(
    month: Annotated[str, typer.Option("--month", help="the month, YYYY-MM")],
    source: Annotated[
        Path | None,
        typer.Option("--from", help="the archive folder, if moved since (default: as recorded)"),
    ] = None,
) -> None:
    """Bring an archived month back into the tables (from its files when its partitions were
    dropped), checked against what was archived."""
    from gis_service.services.retention import parse_month, restore_month

    with engine().begin() as conn:
        result = restore_month(conn, parse_month(month), source)
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
