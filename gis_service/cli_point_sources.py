"""``gis-service points``: point-source and facility chiefs (塘长, 泵长, 口长, 点长; seed 004):
import the points and their posts, print the point roster and the audit, draw the map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings, local_today
from gis_service.domain.periods import parse_day

points_app = typer.Typer(
    help="Point-source chiefs (塘长, 泵长, 口长, 点长): points, posts, roster, audit, map.",
    no_args_is_help=True,
)


@points_app.command("import-points")
@logged_write
@fail_cleanly
def import_points_cmd(
    file: Path,
    crs: Annotated[str | None, typer.Option(help="vector files: EPSG:4545, gcj02, ...")] = None,
) -> None:
    """Points from CSV/XLSX (lon/lat WGS84) or GeoJSON/GeoPackage/zipped Shapefile."""
    from gis_service.services.point_sources import import_points

    with engine().begin() as conn:
        typer.echo(import_points(conn, file, crs=crs).summary())


@points_app.command("import-posts")
@logged_write
@fail_cleanly
def import_posts_cmd(file: Path) -> None:
    """Posts from CSV/XLSX: person_id, name, role (塘长/泵长/口长/点长), point_code, dates."""
    from gis_service.services.point_sources import import_point_posts

    with engine().begin() as conn:
        typer.echo(import_point_posts(conn, file).summary())


@points_app.command("roster")
@fail_cleanly
def roster_cmd(
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    region: Annotated[str | None, typer.Option(help="region code (and below)")] = None,
) -> None:
    """Who holds which point on a date."""
    from gis_service.domain.vocab import POINT_KIND_LABELS, POINT_ROLE_LABELS
    from gis_service.services.point_sources import roster

    day = parse_day(on, "--on") or local_today(get_settings().timezone)
    with engine().connect() as conn:
        rows = roster(conn, day, region=region)
    for r in rows:
        typer.echo(
            f"{r.point_code}\t{r.point_name}\t{POINT_KIND_LABELS[r.point_kind]}\t"
            f"{POINT_ROLE_LABELS[r.role]}\t{r.chief_id} {r.chief_name}\t{r.region_name}"
        )
    typer.echo(f"{len(rows)} post(s) on {day}")


@points_app.command("audit")
@fail_cleanly
def audit_cmd(
    region: Annotated[str, typer.Option(help="region code")],
    period: Annotated[str, typer.Option(help="2026-Q1, 2026-03, 2026, ...")],
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Per point post and rule period: patrols owed and counted (within the role's tolerance)."""
    from gis_service.services.audit import configured_rules
    from gis_service.services.point_sources import audit_points, configured_point_rules

    settings = get_settings()
    day = parse_day(as_of, "--as-of") or local_today(settings.timezone)
    # the patrol statuses that count are the patrol rules' (as in the patrol audit)
    statuses = configured_rules(settings.rules_file).counting.statuses
    with engine().connect() as conn:
        result = audit_points(
            conn,
            region,
            period,
            timezone=settings.timezone,
            as_of=day,
            rules=configured_point_rules(settings.point_rules_file),
            statuses=statuses,
        )
    labels = {"met": "达标", "missed": "未达标", "on_track": "进行中", "not_required": "不作要求"}
    for r in result.rows:
        typer.echo(
            f"{r.period}\t{r.point_code} {r.point_name}\t{r.chief_id} {r.chief_name}\t"
            f"{r.counted}/{r.required}\t{labels[r.status]}"
        )
    missed = sum(r.status == "missed" for r in result.rows)
    typer.echo(f"{len(result.rows)} post-period(s), {missed} missed, as of {day}")


@points_app.command("map")
@fail_cleanly
def map_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write")],
    region: Annotated[str | None, typer.Option(help="region code (and below)")] = None,
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    basemap: Annotated[str | None, typer.Option(help="osm, tianditu or none")] = None,
) -> None:
    """The points and their chiefs, clustered, as a standalone HTML file (offline)."""
    from gis_service.maps.point_sources import build_point_map
    from gis_service.services import maps as map_svc
    from gis_service.services.point_sources import point_map_data

    day = parse_day(on, "--on") or local_today(get_settings().timezone)
    options = map_svc.options_from_settings(get_settings(), basemap=basemap)
    with engine().connect() as conn:
        points, chiefs = point_map_data(conn, day, region=region)
    m = build_point_map(
        points,
        chiefs,
        title="塘长·泵长·口长·点长 责任点位",
        subtitle=day.isoformat(),
        options=options,
    )
    html = map_svc.render(m, map_svc.export_mode(True))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    typer.echo(f"{out} ({len(points)} point(s))")
