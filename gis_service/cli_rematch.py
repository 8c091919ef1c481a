"""``gis-service`` commands for zoning runs and re-matching: runs, prune, rematch, jobs,
and a Dask worker with the project's code and database settings."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings

if TYPE_CHECKING:
    from gis_service.services.zoning import UnitRunner


@fail_cleanly
def runs() -> None:
    """List the zoning runs: from when each applies, what refers to it, which can go."""
    from gis_service.db.zoning_runs import list_runs, prunable

    with engine().connect() as conn:
        listed, gone = list_runs(conn), set(prunable(conn))
    for r in listed:
        flags = [f for f, on in (("newest", r.newest), ("superseded", r.superseded)) if on]
        if r.id in gone:
            flags.append("prunable")
        typer.echo(
            f"run {r.id}  from {r.effective_from}  built {r.created_at:%Y-%m-%d %H:%M}  "
            f"EPSG:{r.metric_epsg}  coverage rows {r.coverage_rows}  patrols {r.patrols}  "
            f"{' '.join(flags)}"
        )


@logged_write
@fail_cleanly
def prune() -> None:
    """Delete the runs that govern no day and to which no stored coverage or patrol refers."""
    from gis_service.db.zoning_runs import prune as prune_runs

    with engine().begin() as conn:
        gone = prune_runs(conn)
    typer.echo(f"pruned runs: {', '.join(map(str, gone))}" if gone else "nothing to prune")


SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler tcp://host:8786 (default GIS_DASK_SCHEDULER; none: see --dask)",
    ),
]


@contextmanager
def zoning_units(
    *, scheduler: str | None = None, dask: bool = False
) -> Iterator[UnitRunner | None]:
    """Where a rebuild computes its per-zone units: this process (None), or Dask (a local
    cluster of the cores with ``dask``, the cluster of ``scheduler``)."""
    if not (scheduler or dask):
        yield None
        return
    from gis_service.services.dask_cluster import dask_client
    from gis_service.services.zoning_dask import on_dask

    with dask_client(scheduler) as client:
        yield on_dask(client)


def run_rematch(*, scheduler: str | None = None, dask: bool = False) -> list[dict]:
    """Plan and run the re-match jobs with a progress bar: in this process, or on Dask (a
    local cluster of the cores, or the scheduler given)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from gis_service.db import rematch_store as store
    from gis_service.db.engine import database_url
    from gis_service.services.patrols import PatrolSettings

    settings = get_settings()
    url = database_url(settings)
    patrol_settings = PatrolSettings(timezone=settings.timezone)
    scheduler = scheduler or settings.dask_scheduler
    with engine().begin() as conn:
        pending = store.plan(conn, settings.timezone)
    total = sum(j.patrols for j in pending)
    if not pending:
        typer.echo("re-match: every stored patrol is measured against the run of its day")
        return []
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task(f"re-matching {len(pending)} partitions", total=total)
        if scheduler or dask:
            from gis_service.services.rematch_dask import run_on_dask

            results = run_on_dask(
                url,
                patrol_settings,
                scheduler=scheduler,
                on_done=lambda r: progress.advance(task, r.get("patrols", 0)),
            )
        else:
            from gis_service.services.rematch import run_job

            results = []
            for job in pending:
                seen = [0]

                def tick(_, done: int, seen=seen) -> None:
                    progress.advance(task, done - seen[0])
                    seen[0] = done

                results.append(run_job(url, job.id, patrol_settings, on_progress=tick))
    done = sum(r.get("patrols", 0) for r in results)
    typer.echo(f"re-match: {done} patrols in {len(results)} partitions")
    return results


@logged_write
@fail_cleanly
def rematch(
    scheduler: SchedulerOpt = None,
    dask: Annotated[bool, typer.Option(help="run on a local Dask cluster of the cores")] = False,
) -> None:
    """Re-match stored patrols measured against another zoning run than the one in force on
    their day, from their raw evidence, one job per GK zone x month (resumable)."""
    run_rematch(scheduler=scheduler, dask=dask)


@fail_cleanly
def jobs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The re-match jobs: partition, status, patrols done, worker, time."""
    from gis_service.db import rematch_store as store

    with engine().connect() as conn:
        listed = store.jobs(conn)
    if as_json:
        typer.echo(json.dumps([j.to_dict() for j in listed], ensure_ascii=False, indent=2))
        return
    if not listed:
        typer.echo("no re-match jobs")
    for j in listed:
        typer.echo(
            f"job {j.id}  run {j.run_id}  EPSG:{j.zone_epsg}  {j.month:%Y-%m}  {j.status:<8} "
            f"{j.done}/{j.patrols}  {j.seconds or 0:.1f} s  {j.worker or ''}"
            + (f"  {j.error}" if j.error else "")
        )


def worker(
    scheduler: Annotated[str, typer.Option(help="tcp://host:8786")],
    nthreads: Annotated[int, typer.Option(help="threads per worker process")] = 1,
) -> None:
    """Start a Dask worker process with this project's code and database settings (the
    tasks connect with DATABASE_URL / the GIS_* settings of this environment)."""
    import asyncio

    from distributed import Worker

    from gis_service.cli_worker import dask_setup

    # the tasks of a real cluster carry no database URL: they use this worker's
    dask_setup()

    async def serve() -> None:
        async with Worker(scheduler, nthreads=nthreads) as w:
            await w.finished()

    asyncio.run(serve())


def register(app: typer.Typer, zoning_app: typer.Typer) -> None:
    zoning_app.command("runs")(runs)
    zoning_app.command("prune")(prune)
    app.command("rematch")(rematch)
    app.command("jobs")(jobs)
    app.command("worker")(worker)
