"""``gis-service accountability``: 提醒, 约谈, 通报批评 and 提请问责 against chiefs, and the
written answers due within 15 working days (seed 000). Office commands, run on the server."""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import uuid
from typing import TYPE_CHECKING, Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.domain.periods import parse_day
from gis_service.domain.vocab import ACCOUNTABILITY_KINDS, ACCOUNTABILITY_STATUSES
from gis_service.errors import InputError

if TYPE_CHECKING:  # imported lazily at run time: the CLI starts fast
    from gis_service.domain.workdays import WorkCalendar

accountability_app = typer.Typer(
    help="Accountability (问责): 提醒, 约谈, 通报批评, 提请问责 and the written answers.",
    no_args_is_help=True,
)


def _context() -> tuple[dt.date, WorkCalendar]:
    """Today's local date and the work calendar, from the settings (the CLI is a front end)."""
    from gis_service.config import get_settings, local_today
    from gis_service.domain.workdays import load_calendar

    settings = get_settings()
    return local_today(settings.timezone), load_calendar(settings.work_calendar_file)


def _user() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def _print(view: dict) -> None:
    deadline = view["deadline"] or "-"
    typer.echo(
        f"{view['id']}\t{view['issued_on']}\t{view['kind_label']}\t{view['chief_id']} "
        f"{view['chief_name']}\t答复期限 {deadline}\t{view['status_label']}\t{view['reason']}"
    )


@accountability_app.command("add")
@logged_write
@fail_cleanly
def add(
    chief: Annotated[str, typer.Option(help="the chief's person id")],
    kind: Annotated[str, typer.Option(help=f"one of {', '.join(ACCOUNTABILITY_KINDS)}")],
    reason: Annotated[str, typer.Option(help="the grounds, e.g. 2026-Q3 patrols missed")],
    issued_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
    issuer: Annotated[str | None, typer.Option(help="e.g. 北海市河长办")] = None,
    reference: Annotated[str | None, typer.Option(help="document number (文号)")] = None,
    post: Annotated[int | None, typer.Option(help="the post concerned (id)")] = None,
    period: Annotated[str | None, typer.Option(help="the audit period, e.g. 2026-Q3")] = None,
    problem: Annotated[str | None, typer.Option(help="the problem concerned (id)")] = None,
    follows: Annotated[int | None, typer.Option(help="the earlier step this escalates")] = None,
) -> None:
    """Issue a step; 提醒/约谈/通报批评 get their answer deadline (15 working days)."""
    from gis_service.services.accountability import NewRecord, issue_record

    today, calendar = _context()
    try:
        problem_id = uuid.UUID(problem) if problem else None
    except ValueError:
        raise InputError(f"--problem: {problem!r} is not a problem id (UUID)") from None
    new = NewRecord(
        kind=kind,
        chief_id=chief,
        reason=reason,
        issued_on=parse_day(issued_on, "--issued-on") or today,
        issuer=issuer,
        reference=reference,
        post_id=post,
        period=period,
        problem_id=problem_id,
        follows_id=follows,
    )
    with engine().begin() as conn:
        record = issue_record(conn, new, user=_user(), today=today, calendar=calendar)
    _print(record.view(today))


@accountability_app.command("feedback")
@logged_write
@fail_cleanly
def feedback(
    record_id: Annotated[int, typer.Argument(help="the record's id")],
    text: Annotated[str, typer.Option(help="the written answer (书面反馈)")],
    received_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default: today)")] = None,
) -> None:
    """Record the written answer to a 提醒, 约谈 or 通报批评."""
    from gis_service.services.accountability import record_feedback

    today, _ = _context()
    with engine().begin() as conn:
        record = record_feedback(
            conn,
            record_id,
            text,
            received_on=parse_day(received_on, "--received-on") or today,
            user=_user(),
            today=today,
        )
    _print(record.view(today))


@accountability_app.command("list")
@fail_cleanly
def list_cmd(
    chief: Annotated[str | None, typer.Option(help="one chief's person id")] = None,
    kind: Annotated[
        str | None, typer.Option(help=f"one of {', '.join(ACCOUNTABILITY_KINDS)}")
    ] = None,
    status: Annotated[
        str | None, typer.Option(help=f"one of {', '.join(ACCOUNTABILITY_STATUSES)}")
    ] = None,
    region: Annotated[str | None, typer.Option(help="chiefs with a post in this region")] = None,
    period: Annotated[str | None, typer.Option(help="e.g. 2026-Q3")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="overdue as of YYYY-MM-DD (default: today)")
    ] = None,
) -> None:
    """Records with their state; overdue answers (逾期未反馈) as of today or ``--as-of``."""
    from gis_service.services.accountability import RecordQuery, list_records

    today = parse_day(as_of, "--as-of") or _context()[0]
    query = RecordQuery(chief_id=chief, kind=kind, status=status, region=region, period=period)
    with engine().connect() as conn:
        records = list_records(conn, query, today=today)
    for record in records:
        _print(record.view(today))
    overdue = sum(r.status(today) == "overdue" for r in records)
    typer.echo(f"{len(records)} record(s), {overdue} overdue as of {today}")
