"""``gis-service map ...``: the maps as standalone HTML files (the coverage map as PDF/PNG too).

A standalone file embeds its data (never vector tiles: there is no server behind it) and,
by default, every script and stylesheet too, so it opens in any browser on an intranet
without internet; ``--online`` links the CDNs instead (a smaller file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly
from gis_service.config import get_settings, local_today
from gis_service.domain.periods import parse_day

if TYPE_CHECKING:  # imported late at run time: ``--help`` stays fast
    import folium
    from sqlalchemy import Connection

    from gis_service.maps.base import MapOptions

map_app = typer.Typer(
    help="Maps as standalone HTML: coverage, one patrol, one river.", no_args_is_help=True
)

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="HTML file to write")]
LangOpt = Annotated[str, typer.Option(help="label language: zh or en")]
BasemapOpt = Annotated[
    str | None, typer.Option(help="osm, tianditu or none (default: the configured one)")
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline/--online", help="inline all JS/CSS (default) or link CDNs")
]


def _export(
    build: Callable[[Connection, MapOptions], folium.Map],
    out: Path,
    *,
    lang: str,
    basemap: str | None,
    offline: bool,
    include_tracks: bool = False,
) -> None:
    """Build a map with the options the command line chose and write it as one HTML file."""
    from gis_service.services import maps as svc

    options = svc.options_from_settings(
        get_settings(), lang=lang, basemap=basemap, include_tracks=include_tracks
    )
    with engine().connect() as conn:
        m = build(conn, options)
    html = svc.render(m, svc.export_mode(offline))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    typer.echo(f"{out} ({len(html.encode()) / 1e6:.2f} MB)")


@map_app.command("coverage")
@fail_cleanly
def coverage(
    region: Annotated[str, typer.Option(help="region code, e.g. 450521")],
    period: Annotated[str, typer.Option(help="2026-Q3, 2026-07, 2026-W27, ...")],
    out: OutOpt,
    as_of: Annotated[str | None, typer.Option(help="audit as of this date (YYYY-MM-DD)")] = None,
    lang: LangOpt = "zh",
    basemap: BasemapOpt = None,
    tracks: Annotated[bool, typer.Option(help="add the patrol tracks layer")] = False,
    offline: OfflineOpt = True,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="one landscape PDF page (print layout, Chromium)")
    ] = False,
    png: Annotated[
        bool, typer.Option("--png", help="a PNG of the print layout (Chromium)")
    ] = False,
    paper: Annotated[str, typer.Option(help="paper of --pdf/--png: a4 or a3")] = "a4",
) -> None:
    """Coverage map of a region and period (巡河覆盖图): HTML, or PDF/PNG for a meeting."""
    from gis_service.services import maps as svc
    from gis_service.services.audit import configured_rules

    day = parse_day(as_of, "--as-of")  # a bad date fails before any connection
    if pdf or png:
        _print(region, period, out, day, lang, basemap, paper, pdf=pdf, png=png, tracks=tracks)
        return
    settings = get_settings()
    rules = configured_rules(settings.rules_file)
    _export(
        lambda conn, options: svc.coverage_map(
            conn,
            region,
            period,
            timezone=settings.timezone,
            options=options,
            as_of=day,
            rules=rules,
        ),
        out,
        lang=lang,
        basemap=basemap,
        offline=offline,
        include_tracks=tracks,
    )


def _print(region, period, out, day, lang, basemap, paper, *, pdf, png, tracks) -> None:
    """The coverage map's print layout through Chromium (``--pdf`` or ``--png``)."""
    from gis_service.errors import InputError
    from gis_service.maps.print_layout import PAPER_MM
    from gis_service.services import maps as svc
    from gis_service.services.audit import configured_rules
    from gis_service.services.map_print import coverage_print

    if pdf and png:
        raise InputError("--pdf and --png: choose one")
    if tracks:
        raise InputError("--tracks: the printed map has no tracks layer (personal data)")
    if paper not in PAPER_MM:
        raise InputError(f"--paper {paper!r}: use one of {', '.join(PAPER_MM)}")
    settings = get_settings()
    options = svc.options_from_settings(settings, lang=lang, basemap=basemap)
    with engine().connect() as conn:
        body = coverage_print(
            conn,
            region,
            period,
            fmt="pdf" if pdf else "png",
            options=options,
            timezone=settings.timezone,
            rules=configured_rules(settings.rules_file),
            as_of=day,
            paper=paper,
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    typer.echo(f"{out} ({len(body) / 1e6:.2f} MB)")


@map_app.command("patrol")
@fail_cleanly
def patrol(
    patrol_id: Annotated[str, typer.Argument(help="patrol id (UUID)")],
    out: OutOpt,
    lang: LangOpt = "zh",
    basemap: BasemapOpt = None,
    offline: OfflineOpt = True,
) -> None:
    """One patrol: playback, covered and missed stretches, dropped points."""
    from gis_service.services import maps as svc

    _export(
        lambda conn, options: svc.patrol_map(
            conn, patrol_id, timezone=get_settings().timezone, options=options
        ),
        out,
        lang=lang,
        basemap=basemap,
        offline=offline,
    )


@map_app.command("river")
@fail_cleanly
def river(
    code: Annotated[str, typer.Argument(help="water body code, e.g. R4505-01")],
    out: OutOpt,
    date: Annotated[str | None, typer.Option(help="date (YYYY-MM-DD, default today)")] = None,
    lang: LangOpt = "zh",
    basemap: BasemapOpt = None,
    offline: OfflineOpt = True,
) -> None:
    """One river for a coordination meeting: stretches by region and level, neighbours."""
    from gis_service.services import maps as svc
    from gis_service.services.water_quality import configured_assessment_rule

    settings = get_settings()
    day = parse_day(date) or local_today(settings.timezone)
    rule = configured_assessment_rule(settings.water_quality_rules_file)
    _export(
        lambda conn, options: svc.river_map(
            conn, code, day=day, options=options, section_rule=rule
        ),
        out,
        lang=lang,
        basemap=basemap,
        offline=offline,
    )
