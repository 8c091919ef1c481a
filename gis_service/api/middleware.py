"""The write log, as ASGI middleware around every route (the body limits: ``api.guard``)."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis_service.db.engine import get_engine
from gis_service.domain.access import ANONYMOUS
from gis_service.services.users import log_write

log = logging.getLogger(__name__)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WriteLog:
    """Every write request is logged with who, when, what and its status, rejected ones too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            request = Request(scope)
            who = getattr(request.state, "principal", ANONYMOUS)
            client = request.client.host if request.client else None
            path = _logged_path(scope)
            engine = scope["app"].state.engine or get_engine()
            try:
                await run_in_threadpool(_log, engine, who, scope["method"], path, status, client)
            except Exception as exc:  # the database may be down: never hide the answer
                log.warning(
                    "write log not stored (%s %s by %s): %s", scope["method"], path, who.name, exc
                )


def _logged_path(scope: Scope) -> str:
    """Path and query, with any ``access_token`` left out (tokens never reach the log)."""
    query = [
        (k, v)
        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), True)
        if k != "access_token"
    ]
    return scope["path"] + (f"?{urlencode(query)}" if query else "")


def _log(engine, who, method, path, status, client) -> None:
    with engine.connect() as conn:
        log_write(conn, who, method, path, status, client)
