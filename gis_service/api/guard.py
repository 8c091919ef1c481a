"""The gate in front of every write: who, how many at once, how large, how fast.

Found by attack (issue 16): sixteen uploads sending their bodies one byte every 5 s each held
a pooled database connection while they waited, and every other request failed; a chunked
body was buffered whole before anyone checked the caller's token (1.5 GB for a 401). So a
write request is, in this order:

1. authenticated from its headers alone (no token, a bad token or a viewer: refused before a
   byte of the body is read);
2. counted against its user's concurrent writes (``WRITES_PER_USER``; more: 429);
3. read whole here, against the route's size cap (413) and within a deadline for the whole
   body and for each pause (408); only then does the route run and take a database
   connection, so a slow client ties up nothing but its own socket.

Other methods and paths pass, with a streamed size check (nothing is buffered).

The anonymous write routes are listed here by name (``ANONYMOUS_WRITES``), not left as a
hole: a report from the public through a signboard's page (群众举报, no account). Such a
request is rate-limited per client address and per board before a byte of its body is read
(429 with ``Retry-After``), counted against the client's concurrent writes, and read whole
against its own cap (413 while streaming), with the same deadlines.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis_service.api.deps import app_engine
from gis_service.api.rate_limit import SlidingWindow, retry_after
from gis_service.domain.access import Principal
from gis_service.domain.vocab import WRITER_ROLES
from gis_service.services.users import principal_for

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MB = 1_000_000
# the write routes (path prefixes) and the largest body each takes
ROUTE_CAPS: tuple[tuple[str, int], ...] = (
    ("/patrols/batch", 100 * MB),
    ("/patrols", 20 * MB),
    ("/problems", 1 * MB),
    ("/imports", 100 * MB),
    ("/water-quality", 20 * MB),
    ("/point-sources", 50 * MB),
    ("/plans", 20 * MB),
    ("/signboards", 20 * MB),  # imports (office); a board's public reports: ANONYMOUS_WRITES
)
WRITES_PER_USER = 4
# writes anyone may send without a token: path pattern (with the board's code)
ANONYMOUS_WRITES: tuple[re.Pattern[str], ...] = (
    re.compile(r"/signboards/(?P<board>[^/]{1,64})/reports"),
)
TEXT_ALLOWANCE = 64_000  # a report's form fields around its photo


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 100 * MB  # the service-wide ceiling (GIS_MAX_BODY_BYTES)
    body_timeout_s: float = 120.0  # the whole body
    idle_timeout_s: float = 15.0  # between two pieces of it
    writes_per_user: int = WRITES_PER_USER
    # anonymous reports (rules/signboards.toml): the photo's cap, and the rate limits
    report_photo_bytes: int = 5 * MB
    reports_per_client: tuple[int, float] = (5, 600.0)
    reports_per_board: tuple[int, float] = (30, 3600.0)
    trusted_proxies: frozenset[str] = frozenset()


class _Refused(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        self.status, self.detail, self.headers = status, detail, headers


def route_cap(path: str, ceiling: int) -> int | None:
    """The body cap of a write route, None for paths that are not write routes."""
    for prefix, cap in ROUTE_CAPS:
        if path == prefix or path.startswith(prefix + "/"):
            return min(cap, ceiling)
    return None


def anonymous_route(path: str) -> str | None:
    """The board code of an anonymous write route, None for any other path."""
    for pattern in ANONYMOUS_WRITES:
        match = pattern.fullmatch(path)
        if match:
            return match["board"]
    return None


def client_address(scope: Scope, trusted: frozenset[str]) -> str:
    """The caller's address: the socket's, or behind a trusted proxy the last address of
    ``X-Forwarded-For`` (the one the proxy saw)."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if peer in trusted:
        for name, value in scope.get("headers") or []:
            if name == b"x-forwarded-for":
                hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                if hops:
                    return hops[-1]
    return str(peer)


def credentials(scope: Scope) -> str | None:
    """The bearer token of the header or of ``access_token``; "" for a malformed header."""
    for name, value in scope.get("headers") or []:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else ""
    return QueryParams(scope.get("query_string", b"").decode("latin-1")).get("access_token")


class WriteGuard:
    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.active: Counter[str] = Counter()
        self.per_client = SlidingWindow(*self.limits.reports_per_client)
        self.per_board = SlidingWindow(*self.limits.reports_per_board)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        board = anonymous_route(scope["path"])
        if board is not None and scope["method"] == "POST":
            await self._anonymous(scope, receive, send, board)
            return
        cap = route_cap(scope["path"], self.limits.max_body_bytes)
        try:
            self._declared(scope, cap or self.limits.max_body_bytes)
            if cap is None:  # not a write route (404/405 follow): stream, count, never buffer
                await self.app(scope, self._counting(receive), send)
                return
            who = await self._authenticate(scope)
            if self.active[who.name] >= self.limits.writes_per_user:
                raise _Refused(
                    429,
                    f"at most {self.limits.writes_per_user} writes at once per user",
                    {"Retry-After": "5"},
                )
            self.active[who.name] += 1
            try:
                body = await self._read(receive, cap)
                await self.app(scope, _replay(body, receive), send)
            finally:
                self.active[who.name] -= 1
                if not self.active[who.name]:
                    del self.active[who.name]
        except _Refused as refused:
            headers = refused.headers or {}
            if refused.status == 401:
                headers = {**headers, "WWW-Authenticate": "Bearer"}
            await JSONResponse(
                {"detail": refused.detail}, status_code=refused.status, headers=headers
            )(scope, receive, send)

    async def _anonymous(self, scope: Scope, receive: Receive, send: Send, board: str) -> None:
        """A report from the public: limited by address and board, then read whole."""
        cap = min(self.limits.report_photo_bytes + TEXT_ALLOWANCE, self.limits.max_body_bytes)
        who = "anonymous:" + client_address(scope, self.limits.trusted_proxies)
        try:
            self._declared(scope, cap)
            wait = max(self.per_client.wait(who), self.per_board.wait(board))
            if wait > 0:
                raise _Refused(
                    429,
                    "too many reports from this address or for this board; try again later",
                    {"Retry-After": retry_after(wait)},
                )
            if self.active[who] >= self.limits.writes_per_user:
                raise _Refused(
                    429,
                    f"at most {self.limits.writes_per_user} writes at once per address",
                    {"Retry-After": "5"},
                )
            self.per_client.record(who)
            self.per_board.record(board)
            self.active[who] += 1
            try:
                body = await self._read(receive, cap)
                await self.app(scope, _replay(body, receive), send)
            finally:
                self.active[who] -= 1
                if not self.active[who]:
                    del self.active[who]
        except _Refused as refused:
            await JSONResponse(
                {"detail": refused.detail}, status_code=refused.status, headers=refused.headers
            )(scope, receive, send)

    def _declared(self, scope: Scope, cap: int) -> None:
        for name, value in scope.get("headers") or []:
            if name == b"content-length" and (not value.isdigit() or int(value) > cap):
                raise _Refused(413, f"upload larger than {cap} bytes (request body limit)")

    async def _authenticate(self, scope: Scope) -> Principal:
        token = credentials(scope)
        if token == "":
            raise _Refused(401, "the Authorization header must be 'Bearer <token>'")
        if token is None:
            raise _Refused(401, "this request needs a token (Authorization: Bearer …)")
        engine = app_engine(scope["app"])
        try:
            who = await run_in_threadpool(_lookup, engine, token)
        except (OperationalError, InterfaceError, PoolTimeout):  # outside the app's handlers
            raise _Refused(
                503, "the database is unavailable; try again shortly", {"Retry-After": "5"}
            ) from None
        if who is None:
            raise _Refused(401, "the token is unknown, expired or revoked")
        scope.setdefault("state", {})["principal"] = who
        if who.role not in WRITER_ROLES:
            raise _Refused(403, f"a {who.role} may not {scope['method']} {scope['path']}")
        return who

    async def _read(self, receive: Receive, cap: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.limits.body_timeout_s
        while True:
            wait = min(self.limits.idle_timeout_s, deadline - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0.001))
            except TimeoutError:
                raise _Refused(
                    408,
                    f"the request body did not arrive in time (whole body within "
                    f"{self.limits.body_timeout_s:g} s, pauses under "
                    f"{self.limits.idle_timeout_s:g} s)",
                ) from None
            if message["type"] == "http.disconnect":
                raise _Refused(400, "the client disconnected before sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise _Refused(413, f"upload larger than {cap} bytes (request body limit)")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _counting(self, receive: Receive) -> Receive:
        size = 0
        ceiling = self.limits.max_body_bytes

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > ceiling:
                return {"type": "http.disconnect"}
            return message

        return counted


def _lookup(engine, token: str) -> Principal | None:
    with engine.connect() as conn:
        return principal_for(conn, token)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
