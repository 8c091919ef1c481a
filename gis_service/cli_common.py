"""Helpers shared by the command groups of ``gis-service`` (``parse_day`` lives in
``domain.periods``: the notebook API reads dates the same way without importing typer)."""

from __future__ import annotations

import getpass
import shlex
import socket
import sys
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


def logged_write(func: Callable) -> Callable:
    """Record the command in the write log (who: the OS user, what: the command line, status:
    its exit code), like every HTTP write; a database that cannot take it is not an error."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        status = 1
        try:
            result = func(*args, **kwargs)
            status = 0
            return result
        except typer.Exit as exc:
            status = exc.exit_code
            raise
        finally:
            _log_command(status)

    return wrapper


def _log_command(status: int) -> None:
    from gis_service.domain.access import Principal
    from gis_service.services.users import log_write

    who = Principal(role="cli", name=f"{getpass.getuser()}@{socket.gethostname()}")
    command = " ".join(["gis-service", *(shlex.quote(a) for a in sys.argv[1:])])
    try:
        with engine().connect() as conn:
            log_write(conn, who, "CLI", command, status, None)
    except Exception as exc:  # the write log must never turn a success into a failure
        typer.secho(f"note: not recorded in the write log ({exc})", err=True)


def engine():
    """The configured database's engine (imported late: ``--help`` stays fast)."""
    from gis_service.config import get_settings
    from gis_service.db.engine import database_url, get_engine

    return get_engine(database_url(get_settings()))
