"""``gis-service problem``: the office records a problem (from a patrol, the public, the media
or a superior) and moves it on: 交办 (with its deadline), 答复, 核查, 销号, reopen."""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import uuid
from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.domain.periods import parse_day
from gis_service.domain.problems import TRANSITIONS
from gis_service.domain.vocab import PROBLEM_CATEGORIES, PROBLEM_SOURCES
from gis_service.errors import InputError
from gis_service.records.problems import ProblemRecord

problem_app = typer.Typer(
    help="Problems (河湖问题): report, hand over (交办), answer, verify (核查), close (销号).",
    no_args_is_help=True,
)


def _user() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _print(problem: ProblemRecord) -> None:
    deadline = problem.deadline.isoformat() if problem.deadline else "-"
    typer.echo(
        f"{problem.id}\t{problem.source_label}\t{problem.category_label}\t"
        f"{problem.status_label}\t期限 {deadline}"
        f"{' (逾期)' if problem.overdue else ''}\t{problem.region_code or '-'}"
    )


@problem_app.command("report")
@logged_write
@fail_cleanly
def report(
    lon: Annotated[float, typer.Option(help="longitude")],
    lat: Annotated[float, typer.Option(help="latitude")],
    category: Annotated[str, typer.Option(help=f"one of {', '.join(PROBLEM_CATEGORIES)}")],
    source: Annotated[str, typer.Option(help=f"one of {', '.join(PROBLEM_SOURCES)}")] = "patrol",
    detail: Annotated[
        str | None, typer.Option(help="who reported it: name and contact, outlet, document")
    ] = None,
    chief: Annotated[
        str | None, typer.Option(help="the reporting chief (patrol: required)")
    ] = None,
    description: Annotated[str | None, typer.Option(help="what was found")] = None,
    found_at: Annotated[
        str | None, typer.Option(help="ISO time (naive: GIS_TIMEZONE); default now")
    ] = None,
    coord_system: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
) -> None:
    """Record a problem; one from the public, the media or a superior needs no chief."""
    from gis_service.config import get_settings
    from gis_service.services.problems import report_problem

    try:
        found = dt.datetime.fromisoformat(found_at) if found_at else None
    except ValueError:
        raise InputError(f"--found-at: {found_at!r} is not an ISO time") from None
    with engine().begin() as conn:
        problem = report_problem(
            conn,
            chief_id=chief,
            lon=lon,
            lat=lat,
            category=category,
            description=description,
            found_at=found,
            coord_system=coord_system,
            reported_by=_user(),
            source=source,
            source_detail=detail,
            timezone=get_settings().timezone,
        )
    _print(problem)


@problem_app.command("step")
@logged_write
@fail_cleanly
def step(
    problem_id: Annotated[str, typer.Argument(help="the problem's id")],
    action: Annotated[str, typer.Argument(help=f"one of {', '.join(TRANSITIONS)}")],
    handed_to: Annotated[str | None, typer.Option(help="hand_over: who must answer")] = None,
    deadline: Annotated[str | None, typer.Option(help="hand_over: due date YYYY-MM-DD")] = None,
    working_days: Annotated[
        int | None, typer.Option(help="hand_over: working days (default GIS_HANDOVER_WORKING_DAYS)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="the answer's text, or a remark")] = None,
) -> None:
    """One step of the handling, dated today (local)."""
    from gis_service.config import get_settings, local_today
    from gis_service.domain.workdays import load_calendar
    from gis_service.services.problems import advance_problem

    try:
        pid = uuid.UUID(problem_id)
    except ValueError:
        raise InputError(f"{problem_id!r} is not a problem id (UUID)") from None
    due = parse_day(deadline, "--deadline")
    settings = get_settings()
    with engine().begin() as conn:
        problem = advance_problem(
            conn,
            pid,
            action,
            user=_user(),
            today=local_today(settings.timezone),
            calendar=load_calendar(settings.work_calendar_file),
            handed_to=handed_to,
            note=note,
            deadline=due,
            working_days=working_days,
            default_working_days=settings.handover_working_days,
        )
    _print(problem)
