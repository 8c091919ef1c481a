"""Helpers shared by the command groups of ``gis-service``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps

import typer

from gis_service.errors import GisServiceError, InputError


def fail_cleanly(func: Callable) -> Callable:
    """Domain errors become a one-line message and exit code 2, not a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GisServiceError as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
            raise typer.Exit(2) from None

    return wrapper


def engine():
    """The configured database's engine (imported late: ``--help`` stays fast)."""
    from gis_service.db.engine import get_engine

    return get_engine()


def parse_day(value: str | None, option: str = "--date") -> dt.date | None:
    """A YYYY-MM-DD option, or None when not given; a bad value is a clean error."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} expects YYYY-MM-DD, got {value!r}") from None
