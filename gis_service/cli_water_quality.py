"""``gis-service water-quality``: boundary cross-sections (交界断面) and their monthly water
quality (seeds 001 and 004): propose sites at the zoning's crossings, import sections and
samples (CSV/XLSX), assess a span of months (JSON on screen, XLSX file), draw the map."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.config import get_settings

if TYPE_CHECKING:
    from gis_service.domain.water_quality import AssessmentRule

water_quality_app = typer.Typer(
    help="Boundary cross-section water quality (交界断面水质): sections, samples, assessment.",
    no_args_is_help=True,
)

RulesOpt = Annotated[
    Path | None,
    typer.Option(help="reward/deduction rule (TOML; default GIS_WATER_QUALITY_RULES_FILE)"),
]


def _rule(path: Path | None) -> AssessmentRule:
    from gis_service.services.water_quality import configured_assessment_rule

    return configured_assessment_rule(path or get_settings().water_quality_rules_file)


@water_quality_app.command("propose")
@fail_cleanly
def propose(
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV to write (then edit, import)")],
    level: Annotated[str | None, typer.Option(help="only crossings of this level")] = None,
) -> None:
    """Write the zoning's crossings as a sections CSV to complete (name, target class)."""
    from gis_service.services.water_quality import propose_sections

    with engine().connect() as conn:
        crossings = [c for c in propose_sections(conn) if level is None or c.level == level]
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "code",
                "name",
                "target_class",
                "joint_section_id",
                "water_body",
                "upstream",
                "downstream",
            ]
        )
        for c in crossings:
            writer.writerow(
                [
                    "",
                    "",
                    "",
                    c.joint_section_id,
                    c.water_body_name,
                    c.upstream_region_name or "",
                    c.downstream_region_name or "",
                ]
            )
    typer.echo(f"{out}: {len(crossings)} crossing(s); fill code, name and target_class")


@water_quality_app.command("import-sections")
@logged_write
@fail_cleanly
def import_sections_cmd(file: Path) -> None:
    """Import sections (CSV/XLSX): code, name, target_class and lon/lat or joint_section_id."""
    from gis_service.services.water_quality import import_sections

    with engine().begin() as conn:
        typer.echo(import_sections(conn, file).summary())


@water_quality_app.command("import-samples")
@logged_write
@fail_cleanly
def import_samples_cmd(file: Path) -> None:
    """Import samples (CSV/XLSX): section_code, sampled_on, parameters (mg/L) and/or class."""
    from gis_service.services.water_quality import import_samples

    with engine().begin() as conn:
        typer.echo(import_samples(conn, file).summary())


@water_quality_app.command("assess")
@fail_cleanly
def assess_cmd(
    first: Annotated[str, typer.Option("--from", help="first month YYYY-MM")],
    last: Annotated[str, typer.Option("--to", help="last month YYYY-MM")],
    region: Annotated[str | None, typer.Option(help="region code (and below)")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="also write the XLSX workbook here")] = None,
    rules: RulesOpt = None,
) -> None:
    """Per region and month: sections met / failed / without data and the reward or deduction."""
    from gis_service.services.water_quality import assess, parse_month
    from gis_service.services.water_quality_export import assessment_workbook

    rule = _rule(rules)
    start, end = parse_month(first, option="--from"), parse_month(last, option="--to")
    with engine().connect() as conn:
        result = assess(conn, start, end, rule=rule, region=region)
    typer.echo("区域\t月份\t达标\t未达标\t无数据\t奖惩(元)")
    for r in result.regions:
        typer.echo(
            f"{r.region_code} {r.region_name}\t{r.month}\t{r.met}\t{r.failed}\t{r.no_data}\t"
            f"{r.amount_yuan:+,.0f}"
        )
    typer.echo(f"合计 {result.total_yuan:+,.0f} 元 ({len(result.sections)} section-months)")
    if xlsx is not None:
        xlsx.parent.mkdir(parents=True, exist_ok=True)
        xlsx.write_bytes(assessment_workbook(result))
        typer.echo(f"{xlsx}")


@water_quality_app.command("map")
@fail_cleanly
def map_cmd(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write")],
    region: Annotated[str | None, typer.Option(help="region code (and below)")] = None,
    lang: Annotated[str, typer.Option(help="label language: zh or en")] = "zh",
    basemap: Annotated[str | None, typer.Option(help="osm, tianditu or none")] = None,
    rules: RulesOpt = None,
) -> None:
    """The sections of a month coloured by class, as a standalone HTML file (offline)."""
    from gis_service.domain.water_quality import STANDARD
    from gis_service.maps.water_quality import SectionMapData, build_section_map
    from gis_service.services import maps as map_svc
    from gis_service.services.water_quality import parse_month, section_map_frame

    chosen = parse_month(month, option="--month")
    options = map_svc.options_from_settings(get_settings(), lang=lang, basemap=basemap)
    with engine().connect() as conn:
        frame = section_map_frame(conn, chosen, rule=_rule(rules), region=region)
    m = build_section_map(SectionMapData(f"{chosen:%Y-%m}", frame, STANDARD), options)
    html = map_svc.render(m, map_svc.export_mode(True))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    typer.echo(f"{out} ({len(frame)} section(s))")
