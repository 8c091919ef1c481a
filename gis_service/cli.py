"""``gis-service`` command line: set-up, database, imports, sample data, server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_accountability import accountability_app
from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.cli_maps import map_app
from gis_service.cli_national import register as register_national
from gis_service.cli_plans import plans_app
from gis_service.cli_point_sources import points_app
from gis_service.cli_problems import problem_app
from gis_service.cli_rematch import SchedulerOpt, run_rematch
from gis_service.cli_rematch import register as register_rematch
from gis_service.cli_retention import patrols_app
from gis_service.cli_signboards import load_sample_boards, signboards_app
from gis_service.cli_users import users_app
from gis_service.cli_water_quality import water_quality_app
from gis_service.config import get_settings, local_today
from gis_service.domain.periods import parse_day
from gis_service.errors import GisServiceError

app = typer.Typer(
    help="河湖长制 GIS service: responsibility zoning, patrol validation, coverage audits, maps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database: local cluster, migrations.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import regions, water bodies and chief rosters.", no_args_is_help=True
)
sample_app = typer.Typer(help="The bundled sample region (北海市).", no_args_is_help=True)
zoning_app = typer.Typer(
    help="Responsibility zoning: segments, zones, joint sections.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(sample_app, name="sample")
app.add_typer(zoning_app, name="zoning")
patrol_app = typer.Typer(help="Patrol tracks: validate or upload.", no_args_is_help=True)
app.add_typer(patrol_app, name="patrol")
app.add_typer(patrols_app, name="patrols")
app.add_typer(users_app, name="users")
app.add_typer(map_app, name="map")
app.add_typer(problem_app, name="problem")
app.add_typer(accountability_app, name="accountability")
register_rematch(app, zoning_app)
register_national(app)
app.add_typer(water_quality_app, name="water-quality")
app.add_typer(points_app, name="points")
app.add_typer(plans_app, name="plans")
app.add_typer(signboards_app, name="signboards")


# -- set-up and serving -------------------------------------------------------------------


@app.command()
@fail_cleanly
def setup(
    sample: Annotated[bool, typer.Option(help="load the sample region")] = True,
    install: Annotated[bool, typer.Option(help="install PostGIS with apt when missing")] = True,
) -> None:
    """Start the database (local cluster unless DATABASE_URL is set), migrate, load the sample."""
    from gis_service.devtools.provision import prepare_database

    url = prepare_database(get_settings(), install=install)
    typer.echo(f"database ready: {_hide_password(url)}")
    if sample:
        _load_sample()


def server_workers(given: int | None, configured: int, cores: int | None) -> int:
    """Worker processes of ``serve``: the option, else GIS_WORKERS, else one per core."""
    if given is not None and given > 0:
        return given
    return configured if configured > 0 else max(1, cores or 1)


def ingest_processes(given: int | None, configured: int | None, cores: int | None) -> int:
    """Ingest processes of each server process (``api.ingest``): the option, else
    GIS_INGEST_PROCESSES, else one per core (0, its threads, on one core: nothing to spread)."""
    if given is not None:
        return given
    if configured is not None:
        return configured
    return cores if cores and cores > 1 else 0


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="worker processes; default GIS_WORKERS, else one per core"),
    ] = None,
    ingest: Annotated[
        int | None,
        typer.Option(
            "--ingest-processes",
            min=0,
            help="processes of each worker that compute uploads; default GIS_INGEST_PROCESSES, "
            "else one per core (0: the worker's threads)",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and maps."""
    import multiprocessing
    import shutil
    import tempfile

    import uvicorn

    from gis_service.api.app import create_app
    from gis_service.api.ingest import warm_shared_assignments
    from gis_service.db.engine import database_url
    from gis_service.services.patrol_assignment import share_refusal
    from gis_service.services.patrols import PatrolSettings

    # the links the app writes (OGC self/next, the portal) name the address it serves on:
    # an option given here overrides GIS_HOST/GIS_PORT for them too, in every worker process;
    # the worker processes read their settings from the environment (uvicorn imports the
    # factory in each), so what is decided here goes there too
    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    ingest = ingest_processes(ingest, settings.ingest_processes, os.cpu_count())
    # the server's processes build a chief's lines once between them, in a folder that lives
    # as long as the server (ids are the database's: a later server may see other lines)
    shared = settings.assignment_share_dir
    made = None
    if shared is None:
        shared = made = Path(tempfile.mkdtemp(prefix="gis-service-assignments-"))
    else:  # a configured folder may hold another server's (or database's) lines
        if (why := share_refusal(shared)) is not None:
            raise typer.BadParameter(
                f"GIS_ASSIGNMENT_SHARE_DIR {shared} {why}", param_hint="GIS_ASSIGNMENT_SHARE_DIR"
            )
        for old in shared.glob("*.pickle"):
            old.unlink(missing_ok=True)
    settings = settings.model_copy(
        update={
            "host": host,
            "port": port,
            "ingest_processes": ingest,
            "assignment_share_dir": shared,
        }
    )
    os.environ["GIS_HOST"], os.environ["GIS_PORT"] = host, str(port)
    os.environ["GIS_INGEST_PROCESSES"] = str(ingest)
    os.environ["GIS_ASSIGNMENT_SHARE_DIR"] = str(shared)
    workers = server_workers(workers, settings.workers, os.cpu_count())
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.secho(
        f"河湖长制 GIS service: map portal http://{shown}:{port}/  (API docs: /docs, "
        f"sample summary: /summary)",
        fg=typer.colors.GREEN,
    )
    # the lines of the chiefs who may upload, built while the server starts (api.ingest)
    warm = multiprocessing.get_context("spawn").Process(
        target=warm_shared_assignments,
        args=(
            database_url(settings),
            str(shared),
            settings.timezone,
            # the routes' settings (api.routes.patrols): the same lines the uploads look up
            PatrolSettings(timezone=settings.timezone).matching.joint_reach_m,
        ),
        daemon=True,
    )
    warm.start()
    try:
        if workers > 1:  # uvicorn imports the factory in each worker process
            uvicorn.run(
                "gis_service.api.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
            )
        else:
            uvicorn.run(create_app(settings=settings), host=host, port=port)
    finally:
        if warm.is_alive():
            warm.terminate()
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


@app.command()
@fail_cleanly
def summary() -> None:
    """Print what the database holds (regions per level, water bodies, chiefs)."""
    from gis_service.services.summary import database_summary

    with engine().connect() as conn:
        typer.echo(json.dumps(database_summary(conn).wire(), ensure_ascii=False, indent=2))


# -- database -----------------------------------------------------------------------------


def _cluster(install: bool = False):
    from gis_service.devtools.localdb import local_cluster

    s = get_settings()
    if s.database_url:
        raise GisServiceError("DATABASE_URL is set: the local cluster is not in use")
    return local_cluster(s.home, port=s.local_db_port, db_user=s.local_db_user, install=install)


@db_app.command("start")
@fail_cleanly
def db_start() -> None:
    """Start the project-local PostgreSQL cluster (initialising it the first time)."""
    _cluster(install=True).start()


@db_app.command("stop")
@fail_cleanly
def db_stop() -> None:
    """Stop the project-local cluster."""
    _cluster().stop()


@db_app.command("status")
@fail_cleanly
def db_status() -> None:
    """Say whether the local cluster runs, and where."""
    cluster = _cluster()
    state = "running" if cluster.is_running() else "stopped"
    typer.echo(f"{state}: 127.0.0.1:{cluster.port}, data in {cluster.data_dir}")


@db_app.command("upgrade")
@fail_cleanly
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION."""
    from gis_service.db import migrate
    from gis_service.db.engine import database_url

    migrate.upgrade(database_url(get_settings()), revision)


@db_app.command("downgrade")
@fail_cleanly
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    from gis_service.db import migrate
    from gis_service.db.engine import database_url

    migrate.downgrade(database_url(get_settings()), revision)


# -- imports ------------------------------------------------------------------------------

MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="FIELD=COLUMN: read FIELD from the file's COLUMN (repeatable)"),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="FIELD=VALUE: use VALUE for every feature (repeatable)"),
]
CrsOpt = Annotated[
    str | None,
    typer.Option(
        help="CRS of a file that declares none: EPSG:4490, EPSG:4545, ..., or gcj02 / bd09 "
        "(AMap/Tencent/DataV, Baidu: converted to WGS84)"
    ),
]
RepairOpt = Annotated[
    bool,
    typer.Option(
        help="repair invalid polygons with make_valid (reported) instead of rejecting them"
    ),
]
StrictOpt = Annotated[
    bool, typer.Option(help="exit with status 3 when the consistency report lists problems")
]
STRICT_EXIT = 3


def _run_import(kind: str, file: Path, mapping=None, constants=None, **options) -> None:
    from gis_service.fileio.attributes import parse_pairs
    from gis_service.services.import_run import run_import

    strict = options.pop("strict", False)
    with engine().connect() as conn:
        outcome = run_import(
            conn,
            kind,
            file,
            day=local_today(),
            mapping=parse_pairs(mapping or [], option="--map"),
            constants=parse_pairs(constants or [], option="--set"),
            **options,
        )
        conn.commit()
    typer.echo(outcome.report.summary())
    typer.echo(f"zoning: {json.dumps(outcome.zoning, ensure_ascii=False)}")
    if isinstance(outcome.zoning, dict) and "run_id" in outcome.zoning:
        run_rematch()  # the new run applies to every day: stored patrols measured again
    _echo_consistency(outcome.consistency, strict)


def _echo_consistency(report, strict: bool) -> None:
    typer.echo(report.summary())
    if strict and report.problem_count:
        typer.secho("strict: the consistency report lists problems", fg=typer.colors.RED, err=True)
        raise typer.Exit(STRICT_EXIT)


@import_app.command("regions")
@logged_write
@fail_cleanly
def import_regions_cmd(
    file: Path,
    map: MapOpt = None,
    set: SetOpt = None,
    crs: CrsOpt = None,
    repair: RepairOpt = True,
    derive_parents: Annotated[
        bool,
        typer.Option(
            help="build a parent missing from file and database by dissolving its children "
            "(a prefecture from its counties)"
        ),
    ] = False,
    strict: StrictOpt = False,
) -> None:
    """Import administrative regions: code, name, level, parent_code, kind + polygons."""
    _run_import(
        "regions",
        file,
        map,
        set,
        crs=crs,
        repair=repair,
        derive_parents=derive_parents,
        strict=strict,
    )


@import_app.command("water-bodies")
@logged_write
@fail_cleanly
def import_water_cmd(
    file: Path,
    map: MapOpt = None,
    set: SetOpt = None,
    crs: CrsOpt = None,
    repair: RepairOpt = True,
    strict: StrictOpt = False,
) -> None:
    """Import rivers, canals (lines, source to mouth), lakes, reservoirs, ponds (polygons)."""
    _run_import("water-bodies", file, map, set, crs=crs, repair=repair, strict=strict)


@import_app.command("chiefs")
@logged_write
@fail_cleanly
def import_chiefs_cmd(file: Path, strict: StrictOpt = False) -> None:
    """Import a roster CSV of chief posts (person_id, name, role, level, region_code, ...)."""
    _run_import("chiefs", file, strict=strict)


@import_app.command("list")
@fail_cleanly
def import_list_cmd() -> None:
    """Every import with its id, file, counts and status (applied or undone)."""
    from gis_service.services.import_log import list_imports

    with engine().connect() as conn:
        entries = list_imports(conn)
    if not entries:
        typer.echo("no imports")
    for e in entries:
        typer.echo(
            f"{e.id:>5}  {e.imported_at[:19]}  {e.kind:<12} {e.file}  {e.features} read, "
            f"{e.inserted} inserted, {e.updated} updated  [{e.status}]"
        )


@import_app.command("undo")
@logged_write
@fail_cleanly
def import_undo_cmd(
    import_id: Annotated[int, typer.Argument(help="the import's id (gis-service import list)")],
    strict: StrictOpt = False,
) -> None:
    """Remove what an import inserted and restore what it updated (one transaction, zoning
    rebuilt); refused, naming them, when patrols, posts or other data depend on it."""
    from gis_service.services.consistency import check_and_store
    from gis_service.services.import_log import undo_import

    with engine().connect() as conn:
        result = undo_import(conn, import_id)
        consistency = check_and_store(conn, local_today(), f"undo {import_id}")
        conn.commit()
    typer.echo(result.summary())
    _echo_consistency(consistency, strict)


# -- sample -------------------------------------------------------------------------------


@sample_app.command("generate")
@fail_cleanly
def sample_generate(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("data/sample"),
    tracks: Annotated[bool, typer.Option(help="also write the GPX patrol tracks")] = True,
) -> None:
    """Regenerate the sample region deterministically."""
    from gis_service.sample.generate import generate

    counts = generate(out, with_tracks=tracks)
    typer.echo(json.dumps(counts, ensure_ascii=False, indent=2, default=str))


@sample_app.command("extras")
@fail_cleanly
def sample_extras(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("data/sample"),
) -> None:
    """Derive the issue-20 sample files (boundary sections, their monthly samples, points and
    point posts) from the loaded sample and its zoning, deterministically."""
    from gis_service.sample.river_plan import write_plan
    from gis_service.sample.seeds_extras import write_all

    with engine().connect() as conn:
        counts = {**write_all(conn, out), **write_plan(conn, out)}
    typer.echo(json.dumps(counts, ensure_ascii=False))


@sample_app.command("load")
@logged_write
@fail_cleanly
def sample_load(
    with_tracks: Annotated[
        bool, typer.Option(help="also upload the sample patrol tracks (coverage maps)")
    ] = False,
) -> None:
    """Import the sample region into the database (skips files already imported); with
    ``--with-tracks`` also its patrol tracks, so the coverage maps are not empty."""
    _load_sample()
    if with_tracks:
        from gis_service.fileio.manifest import read_manifest
        from gis_service.services.bulk import plan
        from gis_service.services.sample import SAMPLE_DIR

        folder = SAMPLE_DIR / "tracks"
        items, _ = plan(folder, read_manifest(folder / "manifest.csv"))
        report = _bulk_upload(items, batch=25)
        typer.echo(
            f"sample tracks: {report.count('stored')} stored, {report.count('duplicate')} "
            f"already stored, {report.count('rejected')} rejected"
        )
        if report.count("rejected"):
            _print_bulk(report)
            raise typer.Exit(1)


def _load_sample() -> None:
    from gis_service.domain.problems import load_calendar
    from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample

    ensure_tracks()
    calendar = load_calendar(get_settings().work_calendar_file)
    with engine().connect() as conn:
        reports = load_sample(conn, SAMPLE_DIR, calendar)
        conn.commit()
    for report in reports:
        typer.echo(report.summary())
    _rebuild_zoning(skip_unchanged=True)
    from gis_service.services.sample_extras import load_plan

    with engine().connect() as conn:  # 一河一策: its places are segments of the zoning
        typer.echo(load_plan(conn, SAMPLE_DIR).summary())
        conn.commit()
    load_sample_boards()  # boards are tied to the zoning's segments: after it


def _rebuild_zoning(
    *,
    skip_unchanged: bool,
    strict: bool = False,
    effective=None,
    rematch: bool = True,
    scheduler: str | None = None,
    dask: bool = False,
) -> dict:
    from gis_service.cli_rematch import zoning_units
    from gis_service.services.consistency import check_and_store
    from gis_service.services.zoning import rebuild_zoning

    with zoning_units(scheduler=scheduler, dask=dask) as run_units, engine().connect() as conn:
        result = rebuild_zoning(
            conn, skip_unchanged=skip_unchanged, effective=effective, run_units=run_units
        )
        consistency = check_and_store(conn, local_today(), "zoning rebuild")
        conn.commit()
    typer.echo(f"zoning: {json.dumps(result, ensure_ascii=False)}")
    if rematch and "run_id" in result:
        # stored patrols of the days the new run governs are measured against it again
        run_rematch(scheduler=scheduler, dask=dask)
    _echo_consistency(consistency, strict)
    return result


# -- zoning -------------------------------------------------------------------------------

DateOpt = Annotated[str | None, typer.Option(help="date YYYY-MM-DD (default: today)")]


def _day(value: str | None):

    return parse_day(value) or local_today()


@zoning_app.command("rebuild")
@logged_write
@fail_cleanly
def zoning_rebuild(
    strict: StrictOpt = False,
    effective: Annotated[
        str | None,
        typer.Option(help="first day YYYY-MM-DD the new zoning applies to (default: all days)"),
    ] = None,
    rematch: Annotated[
        bool, typer.Option(help="re-match the stored patrols of the days it governs")
    ] = True,
    scheduler: SchedulerOpt = None,
    dask: Annotated[
        bool, typer.Option(help="compute the per-zone units on a local Dask cluster of the cores")
    ] = False,
) -> None:
    """Recompute segments, zones, joint sections, confluences and conveners as a new zoning
    run, re-match the stored patrols it concerns; print the consistency report. With
    --dask or a scheduler (--scheduler, GIS_DASK_SCHEDULER) the per-zone units and the
    re-match run on Dask; the run is written in one transaction either way."""
    _rebuild_zoning(
        skip_unchanged=False,
        strict=strict,
        effective=parse_day(effective, "--effective"),
        rematch=rematch,
        scheduler=scheduler or get_settings().dask_scheduler,
        dask=dask,
    )


@zoning_app.command("report")
@fail_cleanly
def zoning_report(
    river: Annotated[str, typer.Argument(help="water body code, e.g. R4505-01")],
    date: DateOpt = None,
    html: Annotated[Path | None, typer.Option(help="also write a printable HTML page")] = None,
) -> None:
    """Coordination report of one river: stretches, chiefs, joint sections, convener, of the
    zoning run in force on the date (named in the report: ``zoning_run``)."""
    from gis_service.reports.html import river_report_html
    from gis_service.services.zoning_queries import coordination_report

    with engine().connect() as conn:
        report = coordination_report(conn, river, _day(date)).to_dict()
    if html:
        html.write_text(river_report_html(report), encoding="utf-8")
        run = report["zoning_run"]
        typer.echo(
            f"wrote {html} (zoning run {run['id']}, in force from {run['effective_from']})"
            if run
            else f"wrote {html} (no zoning run in force on {report['date']})"
        )
    else:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))


@zoning_app.command("unassigned")
@fail_cleanly
def zoning_unassigned(date: DateOpt = None) -> None:
    """List segments and zones without a chief on a date."""
    from gis_service.services.zoning_queries import unassigned_on

    with engine().connect() as conn:
        gaps = unassigned_on(conn, _day(date))
    typer.echo(gaps.to_string(index=False) if len(gaps) else "every segment and zone has a chief")


# -- patrols -----------------------------------------------------------------------------

CoordOpt = Annotated[
    str | None,
    typer.Option("--coord-system", help="wgs84, cgcs2000, gcj02 (AMap/Tencent) or bd09 (Baidu)"),
]
ModeOpt = Annotated[str | None, typer.Option(help="walk, bike, boat or vehicle")]


@patrol_app.command("validate")
@fail_cleanly
def patrol_validate(
    file: Path,
    chief: Annotated[str | None, typer.Option(help="chief (person) id")] = None,
    coord_system: CoordOpt = None,
    mode: ModeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the full result")] = False,
) -> None:
    """Validate a track against the chief's assignments without storing it."""
    with engine().connect() as conn:
        result = _ingest(conn, file, chief, coord_system, mode, store=False)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
        return
    _print_patrol(result)


@patrol_app.command("upload")
@logged_write
@fail_cleanly
def patrol_upload(
    paths: Annotated[list[Path], typer.Argument(help="track files, or a folder of them")],
    chief: Annotated[str | None, typer.Option(help="chief (person) id")] = None,
    coord_system: CoordOpt = None,
    mode: ModeOpt = None,
    manifest: Annotated[
        Path | None,
        typer.Option(help="CSV: file, chief, coord_system, mode per track (of the folder)"),
    ] = None,
    batch: Annotated[int, typer.Option(help="uploads per transaction")] = 25,
    auto_convert: Annotated[
        bool,
        typer.Option(help="convert tracks that fit only as GCJ-02/BD-09 (recorded in notes)"),
    ] = False,
) -> None:
    """Store patrols in one process through the batch path: files, or a folder with
    ``--manifest``. Prints a summary (stored, duplicates, rejected with reasons) and the patrol
    ids (open them at /maps/patrols/{id}). Re-uploads count once; a bad file never stops the
    others (exit status 1 when any was rejected)."""
    from gis_service.services.bulk import plan

    items, not_listed = _bulk_items(paths, manifest, chief, coord_system, mode, plan)
    report = _bulk_upload(items, batch=batch, auto_convert=auto_convert)
    report.not_listed = not_listed
    _print_bulk(report)
    if report.count("rejected"):
        raise typer.Exit(1)


def _bulk_items(paths, manifest, chief, coord_system, mode, plan):
    from gis_service.errors import InputError
    from gis_service.fileio.manifest import read_manifest
    from gis_service.services.bulk import BulkItem

    listing = read_manifest(manifest) if manifest else None
    folders = [p for p in paths if p.is_dir()]
    if folders and len(paths) > 1:
        raise InputError("give one folder, or track files, not both")
    if folders:
        return plan(folders[0], listing, chief=chief, coord_system=coord_system, mode=mode)
    if listing is not None:
        raise InputError("--manifest needs the folder its files are in")
    return [BulkItem(p, chief, coord_system, mode) for p in paths], []


def _bulk_upload(items, *, batch: int, auto_convert: bool = False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from gis_service.services.bulk import upload
    from gis_service.services.patrols import PatrolSettings

    settings = PatrolSettings(timezone=get_settings().timezone, auto_convert_offsets=auto_convert)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=not sys.stderr.isatty(),
    ) as progress:
        task = progress.add_task("uploading patrols", total=len(items))
        return upload(
            engine(),
            items,
            settings=settings,
            batch_size=max(batch, 1),
            progress=lambda n: progress.advance(task, n),
        )


def _print_bulk(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    ids = Table(title="patrols")
    for column in ("file", "outcome", "verdict", "patrol id / reason"):
        ids.add_column(column)
    for o in report.outcomes:
        ids.add_row(o.file, o.outcome, o.status or "", o.patrol_id or (o.error or ""))
    console.print(ids)
    summary = Table(title="summary")
    summary.add_column("")
    summary.add_column("files", justify="right")
    for outcome in ("stored", "duplicate", "rejected"):
        summary.add_row(outcome, str(report.count(outcome)))
    for status, n in sorted(report.statuses().items()):
        summary.add_row(f"  verdict {status}", str(n))
    console.print(summary)
    if report.not_listed:
        console.print(
            f"not in the manifest, not uploaded ({len(report.not_listed)}): "
            + ", ".join(report.not_listed)
        )


def _ingest(conn, file: Path, chief, coord_system, mode, *, store: bool = True) -> dict:
    """One track file through the patrol pipeline (stored unless ``store`` is False)."""
    from gis_service.errors import InputError
    from gis_service.services.patrols import PatrolSettings, ingest_patrol

    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(file)) from None
    return ingest_patrol(
        conn,
        data,
        filename=file.name,
        chief_id=chief,
        coord_system=coord_system,
        mode=mode,
        store=store,
        settings=PatrolSettings(timezone=get_settings().timezone),
    )


def _print_patrol(result: dict) -> None:
    summary = result["summary"]
    colour = {"valid": typer.colors.GREEN, "partial": typer.colors.YELLOW}.get(
        result["status"], typer.colors.RED
    )
    dup = "  (already stored: counted once)" if result.get("duplicate") else ""
    typer.secho(f"{summary.get('source', '')}: {result['status'].upper()}{dup}", fg=colour)
    for reason in result["reasons"]:
        typer.echo(f"  - {reason['code']}: {reason['message']}")
    typer.echo(
        f"  {summary['points']} points, {summary['kept_points']} kept "
        f"{summary['dropped'] or ''}; {summary['duration_s'] / 60:.1f} min, "
        f"{summary['distance_m']:.0f} m ({summary['on_assignment_distance_m']:.0f} m "
        "on the assigned water)"
    )
    for target in summary["targets"]:
        typer.echo(
            f"  {target['target_id']}: {target['ratio'] * 100:.1f}% of "
            f"{target['length_m']:.0f} m covered, +{target['extension_m']:.0f} m "
            "beyond the ends"
        )


# -- audit ------------------------------------------------------------------------------


@app.command()
@fail_cleanly
def audit(
    region: Annotated[str, typer.Option(help="region code, e.g. 450500 (and all below it)")],
    period: Annotated[str, typer.Option(help="2026, 2026-H2, 2026-Q3, 2026-07, 2026-W27")],
    as_of: DateOpt = None,
    out: Annotated[Path, typer.Option(help="folder for JSON, CSV, XLSX, GeoJSON")] = Path(
        "audit-output"
    ),
    rules: Annotated[Path | None, typer.Option(help="rules file (TOML)")] = None,
    english: Annotated[bool, typer.Option(help="English labels, headers and sheet names")] = False,
) -> None:
    """Patrol coverage and frequency audit (巡河考核) of a region for a period."""
    from gis_service.services.audit import configured_rules, gaps_geojson, run_audit
    from gis_service.services.audit_export import write_exports
    from gis_service.services.point_sources import configured_point_rules

    ruleset = configured_rules(rules or get_settings().rules_file)
    point_rules = configured_point_rules(get_settings().point_rules_file)
    with engine().connect() as conn:
        report = run_audit(
            conn,
            region,
            period,
            as_of=parse_day(as_of),
            rules=ruleset,
            point_rules=point_rules,
            timezone=get_settings().timezone,
        )
        gaps = gaps_geojson(conn, report)
    files = write_exports(report, out, chinese=not english)
    geo = out / f"audit_{region}_{report.period.label}_gaps.geojson"
    geo.write_text(json.dumps(gaps, ensure_ascii=False), encoding="utf-8")
    statuses: dict[str, int] = {}
    for post in report.posts:
        statuses[post.status] = statuses.get(post.status, 0) + 1
    typer.echo(
        f"{report.region.name} {report.period.label} (rules "
        f"{report.rules_version}): {len(report.posts)} posts {statuses}, "
        f"{sum(t.unassigned for t in report.targets)} unassigned targets, "
        f"{len(report.due)} behind schedule (待巡提示)"
    )
    for path in [*files, geo]:
        typer.echo(f"  wrote {path}")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
