"""``gis-service map ...``: the maps as standalone HTML files.

A standalone file embeds its data (never vector tiles: there is no server behind it) and,
by default, every script and stylesheet too, so it opens in any browser on an intranet
without internet; ``--online`` links the CDNs instead (a smaller file).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly
from gis_service.config import get_settings

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


def _write(m, out: Path, offline: bool) -> None:
    from gis_service.services import maps as svc

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
) -> None:
    """Coverage map of a region and period (巡河覆盖图)."""
    from gis_service.domain.rules import load_rules
    from gis_service.services import maps as svc

    settings = get_settings()
    options = svc.options_from_settings(settings, lang=lang, basemap=basemap, include_tracks=tracks)
    with engine().connect() as conn:
        m = svc.coverage_map(
            conn,
            region,
            period,
            options=options,
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            rules=load_rules(settings.rules_file),
        )
    _write(m, out, offline)


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

    options = svc.options_from_settings(get_settings(), lang=lang, basemap=basemap)
    with engine().connect() as conn:
        m = svc.patrol_map(conn, patrol_id, options=options)
    _write(m, out, offline)


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

    options = svc.options_from_settings(get_settings(), lang=lang, basemap=basemap)
    with engine().connect() as conn:
        m = svc.river_map(
            conn,
            code,
            day=dt.date.fromisoformat(date) if date else None,
            options=options,
        )
    _write(m, out, offline)
