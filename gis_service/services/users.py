"""API users and their bearer tokens (only hashes are stored), and the write log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Connection, insert, select, update

from gis_service.db.models import ApiToken, AppUser, Chief, WriteLog
from gis_service.db.session import atomic
from gis_service.domain.access import Principal
from gis_service.domain.vocab import USER_ROLES
from gis_service.errors import ConflictError, InputError, NotFoundError

TOKEN_PREFIX = "hz_"  # 河长: makes a leaked token recognisable to secret scanners


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(conn: Connection, name: str, role: str, chief_id: str | None = None) -> int:
    """A new user; a chief's account names the chief (person id) it speaks for."""
    name = name.strip()
    if not name:
        raise InputError("a user needs a name")
    if role not in USER_ROLES:
        raise InputError(f"role must be one of {', '.join(USER_ROLES)}")
    if (role == "chief") != (chief_id is not None):
        raise InputError("a chief account needs --chief (and only a chief account has one)")
    with atomic(conn):
        if chief_id and conn.execute(select(Chief.id).where(Chief.id == chief_id)).first() is None:
            raise NotFoundError(f"chief {chief_id!r} not found")
        if conn.execute(select(AppUser.id).where(AppUser.name == name)).first() is not None:
            raise ConflictError(f"user {name!r} exists already")
        return conn.execute(
            insert(AppUser).values(name=name, role=role, chief_id=chief_id).returning(AppUser.id)
        ).scalar_one()


def issue_token(
    conn: Connection, user: str, *, label: str | None = None, days: int | None = None
) -> str:
    """A new random token for ``user``; it is shown once, only its hash is kept."""
    user_id = conn.execute(select(AppUser.id).where(AppUser.name == user)).scalar()
    if user_id is None:
        raise NotFoundError(f"user {user!r} not found")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
    with atomic(conn):
        conn.execute(
            insert(ApiToken).values(
                user_id=user_id, token_sha256=token_hash(token), label=label, expires_at=expires
            )
        )
    return token


def revoke_tokens(conn: Connection, user: str) -> int:
    """Revoke every live token of ``user`` (a lost phone); returns how many."""
    with atomic(conn):
        result = conn.execute(
            update(ApiToken)
            .where(
                ApiToken.user_id.in_(select(AppUser.id).where(AppUser.name == user)),
                ApiToken.revoked_at.is_(None),
            )
            .values(revoked_at=dt.datetime.now(dt.UTC))
        )
    return result.rowcount


def principal_for(conn: Connection, token: str) -> Principal | None:
    """The active user behind a live token, or None."""
    now = dt.datetime.now(dt.UTC)
    row = conn.execute(
        select(AppUser.id, AppUser.name, AppUser.role, AppUser.chief_id)
        .join(ApiToken, ApiToken.user_id == AppUser.id)
        .where(
            ApiToken.token_sha256 == token_hash(token),
            ApiToken.revoked_at.is_(None),
            (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now),
            AppUser.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    return Principal(role=row.role, user_id=row.id, name=row.name, chief_id=row.chief_id)


def list_users(conn: Connection) -> list[dict]:
    rows = conn.execute(
        select(
            AppUser.name, AppUser.role, AppUser.chief_id, AppUser.active, AppUser.created_at
        ).order_by(AppUser.name)
    ).mappings()
    return [dict(r) for r in rows]


def log_write(
    conn: Connection,
    who: Principal,
    method: str,
    path: str,
    status: int,
    client: str | None,
    *,
    at: dt.datetime | None = None,
) -> None:
    """One line of the write log (its own transaction: a rejected write is logged too);
    ``at`` for lines kept while the database was away (default: now)."""
    when = {"at": at} if at is not None else {}
    with atomic(conn):
        conn.execute(
            insert(WriteLog).values(
                user_id=who.user_id,
                user_name=who.name,
                role=who.role,
                method=method,
                path=path[:2000],
                status=status,
                client=client,
                **when,
            )
        )
