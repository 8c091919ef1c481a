"""Render report data to self-contained, printable HTML (no external assets)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(
    loader=PackageLoader("gis_service.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def river_report_html(report: dict) -> str:
    """The coordination report of one river for a joint meeting (联席会议), A4-printable."""
    return _env.get_template("river_report.html").render(r=report)
