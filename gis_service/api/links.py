"""Absolute links in answers (OGC ``self``, ``next``, ``prev``), from configuration only.

A request's ``Host`` header is the client's to choose: copied into links it lets anyone make
the service hand out ``http://evil.example/...``. The base is ``GIS_BASE_URL``, else the
forwarded scheme and host of a configured trusted proxy, else where the service listens.
A link never carries ``access_token`` (it would leak the caller's token into shared links).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from starlette.requests import Request

from gis_service.api.deps import app_settings_of
from gis_service.config import Settings

SECRET_PARAMS = frozenset({"access_token"})
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def base_url(request: Request, settings: Settings | None = None) -> str:
    settings = settings or app_settings_of(request.app)  # the app's own, e.g. serve --port
    if settings.base_url:
        return settings.base_url.rstrip("/")
    trusted = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}
    client = request.client.host if request.client else None
    if client in trusted:
        proto = request.headers.get("x-forwarded-proto", "http").split(",")[0].strip()
        host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
        if proto in ("http", "https") and _HOST.match(host):
            return f"{proto}://{host}{request.scope.get('root_path', '')}".rstrip("/")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}{request.scope.get('root_path', '')}".rstrip("/")


def link(request: Request, path: str, **replace: object) -> str:
    """``path`` on the configured base with the request's query, secrets left out and
    ``replace`` applied."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in SECRET_PARAMS]
    query = [(k, v) for k, v in query if k not in replace]
    query += [(k, str(v)) for k, v in replace.items()]
    tail = f"?{urlencode(query)}" if query else ""
    return f"{base_url(request)}{path}{tail}"


def redact(text: str) -> str:
    """A request line or URL with every ``access_token`` value replaced (for the logs)."""
    return _TOKEN.sub(r"\1[redacted]", text)


_TOKEN = re.compile(r"((?:^|[?&;])access_token=)[^&\s#]*")


class RedactTokens(logging.Filter):
    """Removes ``access_token`` values from log records (uvicorn's access log writes the
    request line with its query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "access_token=" in record.msg:
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access and error loggers (once)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
