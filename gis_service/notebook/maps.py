"""The service's own maps in a notebook: the same builders as ``/maps/...`` and
``gis-service map``, displayed inline by Jupyter (a folium Map renders itself)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import folium

from gis_service.domain.periods import local_today, parse_day
from gis_service.notebook._connection import Bind, reading, settings
from gis_service.services import maps as svc
from gis_service.services.audit import configured_rules
from gis_service.services.water_quality import configured_assessment_rule


def _options(lang: str, basemap: str | None, include_tracks: bool = False):
    return svc.options_from_settings(
        settings(), lang=lang, basemap=basemap, include_tracks=include_tracks
    )


def coverage_map(
    region: str,
    period: str,
    as_of: dt.date | str | None = None,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    tracks: bool = False,
    engine: Bind | None = None,
) -> folium.Map:
    """巡河覆盖图 of ``region`` for ``period``: segments by coverage, gaps, zones, joint
    sections, problems (and the patrol tracks with ``tracks=True``)."""
    with reading(engine) as conn:
        own = settings()
        return svc.coverage_map(
            conn,
            region,
            period,
            timezone=own.timezone,
            options=_options(lang, basemap, tracks),
            as_of=parse_day(as_of, "as_of"),
            rules=configured_rules(own.rules_file),
        )


def river_map(
    river: str,
    day: dt.date | str | None = None,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    engine: Bind | None = None,
) -> folium.Map:
    """One river for a coordination meeting: stretches by region and level, joint sections,
    neighbours up- and downstream."""
    own = settings()
    rule = configured_assessment_rule(own.water_quality_rules_file)
    with reading(engine) as conn:
        on = parse_day(day, "day") or local_today(own.timezone)
        return svc.river_map(
            conn, river, day=on, options=_options(lang, basemap), section_rule=rule
        )


def patrol_map(
    patrol_id: str | uuid.UUID,
    *,
    lang: str = "zh",
    basemap: str | None = None,
    engine: Bind | None = None,
) -> folium.Map:
    """One patrol: playback, covered and missed stretches, dropped points with reasons."""
    with reading(engine) as conn:
        return svc.patrol_map(
            conn,
            uuid.UUID(str(patrol_id)),
            timezone=settings().timezone,
            options=_options(lang, basemap),
        )


def save_map(m: folium.Map, path: Path | str, *, offline: bool = True) -> Path:
    """A standalone HTML file; ``offline`` inlines every script and style (intranets)."""
    path = Path(path)
    path.write_text(svc.render(m, svc.export_mode(offline)), encoding="utf-8")
    return path
