"""Helpers shared by the command groups of ``gis-service``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import typer

from gis_service.errors import GisServiceError


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
