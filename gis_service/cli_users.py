"""``gis-service users``: accounts and tokens of the API (admin commands, run on the server)."""

from __future__ import annotations

from typing import Annotated

import typer

from gis_service.cli_common import engine, fail_cleanly, logged_write
from gis_service.domain.vocab import USER_ROLES

users_app = typer.Typer(
    help="API users and tokens: office staff (河长办), chiefs (河湖长), viewers.",
    no_args_is_help=True,
)


@users_app.command("add")
@logged_write
@fail_cleanly
def add(
    name: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(USER_ROLES)}")],
    chief: Annotated[str | None, typer.Option(help="the chief's person id (role chief)")] = None,
) -> None:
    """Create a user."""
    from gis_service.services.users import create_user

    with engine().begin() as conn:
        create_user(conn, name, role, chief)
    typer.echo(f"user {name} ({role}) created")


@users_app.command("token")
@logged_write
@fail_cleanly
def token(
    name: str,
    days: Annotated[int | None, typer.Option(help="expires after this many days")] = None,
    label: Annotated[str | None, typer.Option(help="e.g. the phone it is for")] = None,
) -> None:
    """Issue a token; it is printed once and stored only as a hash."""
    from gis_service.services.users import issue_token

    with engine().begin() as conn:
        secret = issue_token(conn, name, label=label, days=days)
    typer.echo(secret)


@users_app.command("revoke")
@logged_write
@fail_cleanly
def revoke(name: str) -> None:
    """Revoke every token of a user (a lost phone, a chief who left the post)."""
    from gis_service.services.users import revoke_tokens

    with engine().begin() as conn:
        count = revoke_tokens(conn, name)
    typer.echo(f"{count} token(s) revoked")


@users_app.command("list")
@fail_cleanly
def list_cmd() -> None:
    """Users, roles and the chief each chief account speaks for."""
    from gis_service.services.users import list_users

    with engine().connect() as conn:
        for u in list_users(conn):
            state = "" if u["active"] else " (inactive)"
            typer.echo(f"{u['name']}\t{u['role']}\t{u['chief_id'] or '-'}{state}")
