"""Bearer-token authentication: the token names a user, the user a role (see domain.access)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from gis_service.api.deps import app_engine, app_settings_of
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
) -> AsyncIterator[Principal]:
    """The caller; anonymous callers read public information when ``public_read`` is on.

    A browser following a link cannot send a header, so the token may also come as the
    ``access_token`` query parameter (RFC 6750, 2.3); the write log never records it.
    Async: an anonymous caller costs no worker thread; a write was already authenticated by
    the write guard (``api.guard``), whose answer is reused. A token is checked on the
    connection the route then uses (``api.deps.get_connection``): one pooled connection per
    request, not two; it goes back to the pool when the request is done."""
    known = getattr(request.state, "principal", None)
    if known is not None:
        yield known
        return
    if credentials is None and (query_token := request.query_params.get("access_token")):
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=query_token)
    if credentials is None:
        if request.headers.get("authorization"):
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        if not app_settings_of(request.app).public_read:
            raise AuthenticationError("this service needs a token (Authorization: Bearer …)")
        who = ANONYMOUS
    else:
        conn = await run_in_threadpool(app_engine(request.app).connect)
        try:
            found = await run_in_threadpool(_lookup, conn, credentials.credentials)
            if found is None:
                raise AuthenticationError("the token is unknown, expired or revoked")
            request.state.principal = found
            request.state.connection = conn
            yield found
        finally:
            request.state.connection = None
            await run_in_threadpool(conn.close)
        return
    request.state.principal = who
    yield who


def _lookup(conn: Connection, token: str) -> Principal | None:
    """The token's principal; the read's transaction ends here (the route begins its own)."""
    try:
        return principal_for(conn, token)
    finally:
        conn.rollback()


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
