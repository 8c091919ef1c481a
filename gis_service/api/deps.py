"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from gis_service.config import Settings, get_settings
from gis_service.db.engine import database_url, get_engine
from gis_service.domain.periods import local_today
from gis_service.domain.point_sources import PointRule
from gis_service.domain.rules import RuleSet
from gis_service.domain.water_quality import AssessmentRule
from gis_service.services.audit import configured_rules
from gis_service.services.point_sources import configured_point_rules
from gis_service.services.water_quality import configured_assessment_rule


def app_engine(app) -> Engine:
    """The app's engine: the one it was built with, else the configured database's, looked
    up on first use and kept (the one place the API looks it up)."""
    if app.state.engine is None:
        app.state.engine = get_engine(database_url(app_settings_of(app)))
    return app.state.engine


def app_settings_of(app) -> Settings:
    """The app's settings: the object it was built with, else the environment's (read once
    and cached by ``get_settings``; tests that change the environment clear that cache)."""
    return getattr(app.state, "settings", None) or get_settings()


def get_connection(request: Request) -> Iterator[Connection]:
    """One connection per request, from the app's engine: the one the token was checked on
    (``api.auth.get_principal`` holds and returns it), else a fresh one."""
    held = getattr(request.state, "connection", None)
    if held is not None:
        yield held
        return
    with app_engine(request.app).connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_connection)]


def app_settings(request: Request) -> Settings:
    """The settings every route passes down (services never read the environment)."""
    return app_settings_of(request.app)


SettingsDep = Annotated[Settings, Depends(app_settings)]


def app_timezone(settings: SettingsDep) -> str:
    """The offices' time zone (GIS_TIMEZONE): every local date and naive time is read in it."""
    return settings.timezone


TimezoneDep = Annotated[str, Depends(app_timezone)]


def office_today(tz: TimezoneDep) -> dt.date:
    """Today in the offices' time zone (not the server clock's)."""
    return local_today(tz)


TodayDep = Annotated[dt.date, Depends(office_today)]


def office_rules(settings: SettingsDep) -> RuleSet:
    """The office's frequency rules (GIS_RULES_FILE, else the bundled ones), read per request:
    a file changed on disk counts from the next audit on; a broken one is a named 400."""
    return configured_rules(settings.rules_file)


RulesDep = Annotated[RuleSet, Depends(office_rules)]


def office_point_rules(settings: SettingsDep) -> dict[str, PointRule]:
    """The office's point-post rules (GIS_POINT_RULES_FILE, else the bundled ones), read per
    request like the frequency rules; a broken file is a named 400."""
    return configured_point_rules(settings.point_rules_file)


PointRulesDep = Annotated[dict[str, PointRule], Depends(office_point_rules)]


def office_section_rule(settings: SettingsDep) -> AssessmentRule:
    """The office's boundary-section reward/deduction rule (GIS_WATER_QUALITY_RULES_FILE,
    else the bundled one), read per request; a broken file is a named 400."""
    return configured_assessment_rule(settings.water_quality_rules_file)


SectionRuleDep = Annotated[AssessmentRule, Depends(office_section_rule)]
