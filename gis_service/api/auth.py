"""Bearer-token authentication: the token names a user, the user a role (see domain.access)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gis_service.config import get_settings
from gis_service.db.engine import get_engine
from gis_service.domain.access import (
    ANONYMOUS,
    Principal,
    require_chief_or_office,
    require_office,
)
from gis_service.errors import AuthenticationError
from gis_service.services.users import principal_for

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `gis-service users token NAME`; without one you are a viewer.",
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller; anonymous callers read public information when ``public_read`` is on.

    A browser following a link cannot send a header, so the token may also come as the
    ``access_token`` query parameter (RFC 6750, 2.3); the write log never records it.
    Async: an anonymous caller costs no worker thread; a write was already authenticated by
    the write guard (``api.guard``), whose answer is reused."""
    known = getattr(request.state, "principal", None)
    if known is not None:
        return known
    if credentials is None and (query_token := request.query_params.get("access_token")):
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=query_token)
    if credentials is None:
        if request.headers.get("authorization"):
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        if not get_settings().public_read:
            raise AuthenticationError("this service needs a token (Authorization: Bearer …)")
        who = ANONYMOUS
    else:
        engine = request.app.state.engine or get_engine()
        found = await run_in_threadpool(_lookup, engine, credentials.credentials)
        if found is None:
            raise AuthenticationError("the token is unknown, expired or revoked")
        who = found
    request.state.principal = who
    return who


def _lookup(engine, token: str) -> Principal | None:
    with engine.connect() as conn:
        return principal_for(conn, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _chief_or_office(request: Request, who: PrincipalDep) -> Principal:
    require_chief_or_office(who, f"{request.method} {request.url.path}")
    return who


def _office(request: Request, who: PrincipalDep) -> Principal:
    require_office(who, f"{request.method} {request.url.path}")
    return who


# role checks as dependencies run before the body is validated: 401/403 come first
ChiefOrOfficeDep = Annotated[Principal, Depends(_chief_or_office)]
OfficeDep = Annotated[Principal, Depends(_office)]
