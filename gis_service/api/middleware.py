"""The write log, as ASGI middleware around every route (the body limits: ``api.guard``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis_service.api.deps import app_engine, app_settings_of
from gis_service.config import get_settings
from gis_service.domain.access import ANONYMOUS, Principal
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
            app = scope["app"]
            engine = app_engine(app)
            home = app_settings_of(app).local_dir
            try:
                await run_in_threadpool(
                    _log, engine, home, who, scope["method"], path, status, client
                )
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


_spill_lock = threading.Lock()


def spill_path(engine, local_dir: Path | None = None) -> Path:
    """Where write-log lines wait while the database is away (one JSON object a line), in
    ``local_dir`` (the app's settings' ``.gis-local``); one file per database, so lines go
    back only where they belong."""
    where = engine.url.render_as_string(hide_password=True)
    key = hashlib.sha256(where.encode()).hexdigest()[:16]
    return (local_dir or get_settings().local_dir) / f"write-log-spill-{key}.jsonl"


def _log(engine, local_dir: Path, who, method, path, status, client) -> None:
    """Store the line; when the database refuses, keep it in the spill file (a write refused
    during an outage is still accounted for) and store it with the next line that gets in."""
    try:
        with engine.connect() as conn:
            log_write(conn, who, method, path, status, client)
    except Exception:
        _spill(engine, local_dir, who, method, path, status, client)
        raise
    _flush_spill(engine, local_dir)


def _spill(
    engine,
    local_dir: Path,
    who: Principal,
    method: str,
    path: str,
    status: int,
    client: str | None,
) -> None:
    line = {
        "at": dt.datetime.now(dt.UTC).isoformat(),
        "who": [who.role, who.user_id, who.name, who.chief_id],
        "method": method,
        "path": path,
        "status": status,
        "client": client,
    }
    target = spill_path(engine, local_dir)
    with _spill_lock:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def _flush_spill(engine, local_dir: Path) -> None:
    target = spill_path(engine, local_dir)
    if not target.exists():
        return
    with _spill_lock:
        if not target.exists():
            return
        lines = [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines() if x]
        with engine.connect() as conn, conn.begin():
            for x in lines:
                role, user_id, name, chief_id = x["who"]
                who = Principal(role=role, user_id=user_id, name=name, chief_id=chief_id)
                log_write(
                    conn,
                    who,
                    x["method"],
                    x["path"],
                    x["status"],
                    x["client"],
                    at=dt.datetime.fromisoformat(x["at"]),
                )
        target.unlink()
