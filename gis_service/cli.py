"""``gis-service`` command line: set-up, database, imports, sample data, server."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_accountability import accountability_app
from gis_service.cli_common import engine, fail_cleanly, logged_write, parse_day
from gis_service.cli_maps import map_app
from gis_service.cli_problems import problem_app
from gis_service.cli_users import users_app
from gis_service.config import get_settings, local_today
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
app.add_typer(users_app, name="users")
app.add_typer(map_app, name="map")
app.add_typer(problem_app, name="problem")
app.add_typer(accountability_app, name="accountability")


# -- set-up and serving -------------------------------------------------------------------


@app.command()
@fail_cleanly
def setup(
    sample: Annotated[bool, typer.Option(help="load the sample region")] = True,
    install: Annotated[bool, typer.Option(help="install PostGIS with apt when missing")] = True,
) -> None:
    """Start the database (local cluster unless DATABASE_URL is set), migrate, load the sample."""
    from gis_service.setup import prepare_database

    url = prepare_database(get_settings(), install=install)
    typer.echo(f"database ready: {_hide_password(url)}")
    if sample:
        _load_sample()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int, typer.Option(help="worker processes (one per core)")] = 1,
) -> None:
    """Serve the HTTP API and maps."""
    import uvicorn

    from gis_service.api.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    typer.secho(
        f"河湖长制 GIS service: map portal http://{shown}:{port}/  (API docs: /docs, "
        f"sample summary: /summary)",
        fg=typer.colors.GREEN,
    )
    if workers > 1:  # uvicorn imports the factory in each worker process
        uvicorn.run(
            "gis_service.api.app:create_app", factory=True, host=host, port=port, workers=workers
        )
    else:
        uvicorn.run(create_app(), host=host, port=port)


@app.command()
@fail_cleanly
def summary() -> None:
    """Print what the database holds (regions per level, water bodies, chiefs)."""
    from gis_service.services.summary import database_summary

    with engine().connect() as conn:
        typer.echo(json.dumps(database_summary(conn), ensure_ascii=False, indent=2))


# -- database -----------------------------------------------------------------------------


def _cluster(install: bool = False):
    from gis_service.localdb import local_cluster

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

    migrate.upgrade(database_url(), revision)


@db_app.command("downgrade")
@fail_cleanly
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION ('base' empties the schema)."""
    from gis_service.db import migrate
    from gis_service.db.engine import database_url

    migrate.downgrade(database_url(), revision)


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
    str | None, typer.Option(help="CRS for a file that declares none, e.g. EPSG:4490")
]
RepairOpt = Annotated[
    bool,
    typer.Option(
        help="repair invalid polygons with make_valid (reported) instead of rejecting them"
    ),
]


def _run_import(func, file: Path, mapping, constants, crs, repair) -> None:
    from gis_service.fileio.attributes import parse_pairs

    with engine().connect() as conn:
        report = func(
            conn,
            file,
            mapping=parse_pairs(mapping or [], option="--map"),
            constants=parse_pairs(constants or [], option="--set"),
            crs=crs,
            repair=repair,
        )
        conn.commit()
    typer.echo(report.summary())


@import_app.command("regions")
@logged_write
@fail_cleanly
def import_regions_cmd(
    file: Path, map: MapOpt = None, set: SetOpt = None, crs: CrsOpt = None, repair: RepairOpt = True
) -> None:
    """Import administrative regions: code, name, level, parent_code, kind + polygons."""
    from gis_service.services.importing import import_regions

    _run_import(import_regions, file, map, set, crs, repair)


@import_app.command("water-bodies")
@logged_write
@fail_cleanly
def import_water_cmd(
    file: Path, map: MapOpt = None, set: SetOpt = None, crs: CrsOpt = None, repair: RepairOpt = True
) -> None:
    """Import rivers, canals (lines, source to mouth), lakes, reservoirs, ponds (polygons)."""
    from gis_service.services.importing import import_water_bodies

    _run_import(import_water_bodies, file, map, set, crs, repair)


@import_app.command("chiefs")
@logged_write
@fail_cleanly
def import_chiefs_cmd(file: Path) -> None:
    """Import a roster CSV of chief posts (person_id, name, role, level, region_code, ...)."""
    from gis_service.services.importing import import_chiefs

    with engine().connect() as conn:
        report = import_chiefs(conn, file)
        conn.commit()
    typer.echo(report.summary())


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


@sample_app.command("load")
@logged_write
@fail_cleanly
def sample_load() -> None:
    """Import the sample region into the database (skips files already imported)."""
    _load_sample()


def _load_sample() -> None:
    from gis_service.services.sample import ensure_tracks, load_sample

    ensure_tracks()
    with engine().connect() as conn:
        reports = load_sample(conn)
        conn.commit()
    for report in reports:
        typer.echo(report.summary())
    _rebuild_zoning(skip_unchanged=True)


def _rebuild_zoning(*, skip_unchanged: bool) -> dict:
    from gis_service.services.zoning import rebuild_zoning

    with engine().connect() as conn:
        result = rebuild_zoning(conn, skip_unchanged=skip_unchanged)
        conn.commit()
    typer.echo(f"zoning: {json.dumps(result, ensure_ascii=False)}")
    return result


# -- zoning -------------------------------------------------------------------------------

DateOpt = Annotated[str | None, typer.Option(help="date YYYY-MM-DD (default: today)")]


def _day(value: str | None):

    return parse_day(value) or local_today()


@zoning_app.command("rebuild")
@logged_write
@fail_cleanly
def zoning_rebuild() -> None:
    """Recompute segments, zones, joint sections, confluences and conveners."""
    _rebuild_zoning(skip_unchanged=False)


@zoning_app.command("report")
@fail_cleanly
def zoning_report(
    river: Annotated[str, typer.Argument(help="water body code, e.g. R4505-01")],
    date: DateOpt = None,
    html: Annotated[Path | None, typer.Option(help="also write a printable HTML page")] = None,
) -> None:
    """Coordination report of one river: stretches, chiefs, joint sections, convener."""
    from gis_service.reports.html import river_report_html
    from gis_service.services.zoning_queries import coordination_report

    with engine().connect() as conn:
        report = coordination_report(conn, river, _day(date))
    if html:
        html.write_text(river_report_html(report), encoding="utf-8")
        typer.echo(f"wrote {html}")
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
    files: list[Path],
    chief: Annotated[str | None, typer.Option(help="chief (person) id")] = None,
    coord_system: CoordOpt = None,
    mode: ModeOpt = None,
) -> None:
    """Store patrols (each file its own transaction; re-uploads count once)."""
    for file in files:
        with engine().connect() as conn:
            result = _ingest(conn, file, chief, coord_system, mode)
            conn.commit()
        _print_patrol(result)


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
    english: Annotated[bool, typer.Option(help="English column headers")] = False,
) -> None:
    """Patrol coverage and frequency audit (巡河考核) of a region for a period."""
    from gis_service.services.audit import (
        configured_rules,
        gaps_geojson,
        run_audit,
        write_exports,
    )

    ruleset = configured_rules(rules)
    with engine().connect() as conn:
        report = run_audit(
            conn,
            region,
            period,
            as_of=parse_day(as_of),
            rules=ruleset,
            timezone=get_settings().timezone,
        )
        gaps = gaps_geojson(conn, report)
    files = write_exports(report, out, chinese=not english)
    geo = out / f"audit_{region}_{report['period']['label']}_gaps.geojson"
    geo.write_text(json.dumps(gaps, ensure_ascii=False), encoding="utf-8")
    statuses: dict[str, int] = {}
    for post in report["posts"]:
        statuses[post["status"]] = statuses.get(post["status"], 0) + 1
    typer.echo(
        f"{report['region']['name']} {report['period']['label']} (rules "
        f"{report['rules_version']}): {len(report['posts'])} posts {statuses}, "
        f"{sum(t['unassigned'] for t in report['targets'])} unassigned targets, "
        f"{len(report['due'])} behind schedule (待巡提示)"
    )
    for path in [*files, geo]:
        typer.echo(f"  wrote {path}")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
