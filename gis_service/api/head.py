"""``HEAD`` answered as ``GET`` without the body (RFC 9110 §9.3.2).

FastAPI's routes take only the methods they declare, so a ``HEAD`` of a tile, a map or a
collection answered 405: tile caches, link checkers and ``curl -I`` ask ``HEAD`` first. Every
``GET`` route answers ``HEAD`` with the same status and headers (Content-Length included) and
no body; the route runs as for ``GET`` (a ``HEAD`` costs what the ``GET`` does).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body: nothing of it goes out
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
