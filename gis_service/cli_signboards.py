"""``gis-service signboards``: public signboards (公示牌; seeds 001, 002): import the boards,
write their printable QR codes, list the boards to reprint."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings, local_today
from gis_service.domain.periods import parse_day
from gis_service.errors import InputError

signboards_app = typer.Typer(
    help="Public signboards (公示牌): import, QR codes, boards to reprint.",
    no_args_is_help=True,
)


@signboards_app.command("import")
@logged_write
@fail_cleanly
def import_cmd(
    file: Path,
    crs: Annotated[
        str | None,
        typer.Option(help="wgs84 (default), cgcs2000, gcj02, bd09, or EPSG:… of the file"),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(help="metres from a board to its segment (default: the rules file's)"),
    ] = None,
) -> None:
    """Boards from CSV/XLSX (code, lon, lat; name, segment_id, water_body_code, printed_on,
    chiefs optional) or GeoJSON/GeoPackage/zipped Shapefile, each tied to the nearest segment
    of the current zoning (or the one given)."""
    from gis_service.services.signboards import configured_signboard_rules, import_signboards

    settings = get_settings()
    rules = configured_signboard_rules(settings.signboard_rules_file)
    with engine().begin() as conn:
        report = import_signboards(
            conn,
            file,
            today=local_today(settings.timezone),
            tolerance_m=tolerance or rules.tolerance_m,
            crs=crs,
        )
    typer.echo(report.summary())


@signboards_app.command("qr")
@fail_cleanly
def qr_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the QR codes")],
    fmt: Annotated[str, typer.Option("--format", help="png or svg")] = "png",
    base_url: Annotated[
        str | None,
        typer.Option(help="the service's public address (default: GIS_BASE_URL)"),
    ] = None,
    water: Annotated[str | None, typer.Option(help="only the boards on this water")] = None,
) -> None:
    """One printable QR code per board, opening its public page, and index.csv."""
    from rich.progress import track

    from gis_service.db.signboard_store import boards
    from gis_service.reports.signboard_qr import FORMATS, BoardLink, board_url, write_qr_codes

    if fmt not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}")
    base = base_url or get_settings().base_url
    if not base:
        raise InputError(
            "a printed QR code needs the service's public address: pass --base-url "
            "https://… or set GIS_BASE_URL (a loopback address would be useless on a board)"
        )
    if not base.startswith(("http://", "https://")):
        raise InputError(f"--base-url {base!r} must start with http:// or https://")
    with engine().connect() as conn:
        found = boards(conn, water=water)
    links = [BoardLink(b.code, b.name, board_url(base, b.code)) for b in found]
    written = write_qr_codes(track(links, description="QR codes"), out, fmt)
    typer.echo(f"{len(written)} QR code(s) ({fmt}) in {out}, list in {out / 'index.csv'}")


@signboards_app.command("reprint")
@fail_cleanly
def reprint_cmd(
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Boards whose printed chiefs are not the chiefs of their stretch (to reprint)."""
    from gis_service.db.queries import names
    from gis_service.services.signboards import chief_line, reprint_list

    day = parse_day(on, "--on") or local_today(get_settings().timezone)
    with engine().connect() as conn:
        views = reprint_list(conn, day)
        regions = names(conn, "admin_region")
    for v in views:
        b = v.board
        typer.echo(f"{b.code}\t{b.name}\t{b.water_name}\tprinted {b.printed_on}")
        for c in v.check.gone:
            typer.echo(f"  已不在任 no longer in post: {chief_line(c, regions)}")
        for c in v.check.missing:
            typer.echo(f"  未列入 not printed: {chief_line(c, regions)}")
    typer.echo(f"{len(views)} board(s) to reprint on {day}")


@signboards_app.command("list")
@fail_cleanly
def list_cmd(
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    water: Annotated[str | None, typer.Option(help="only the boards on this water")] = None,
) -> None:
    """Every board with its stretch and the current chiefs."""
    from gis_service.services.signboards import board_frame, board_views

    day = parse_day(on, "--on") or local_today(get_settings().timezone)
    with engine().connect() as conn:
        frame = board_frame(board_views(conn, day, water=water))
    for r in frame.itertuples(index=False):
        flag = "  [重印 reprint]" if r.needs_reprint else ""
        typer.echo(f"{r.code}\t{r.name}\t{r.water} {r.region}\t{r.chiefs}{flag}")
    typer.echo(f"{len(frame)} board(s), {int(frame['needs_reprint'].sum())} to reprint")


def load_sample_boards() -> None:
    """The sample's boards (``data/sample/signboards.csv``), once the zoning exists."""
    from gis_service.sample.signboards import load_boards
    from gis_service.services.sample import SAMPLE_DIR

    with engine().begin() as conn:
        report = load_boards(conn, SAMPLE_DIR, local_today(get_settings().timezone))
    if report is not None:
        typer.echo(report.summary())
