"""The write guard's deadlines, driven through its ASGI interface with a real token lookup
(issue 16, defect 2: a body may not trickle in forever)."""

from __future__ import annotations

import asyncio

from gis_service.api.app import create_app
from gis_service.api.guard import Limits, WriteGuard


def _run(engine, token: str, receive, limits: Limits) -> tuple[list[dict], list[int]]:
    reached: list[int] = []

    async def route(scope, receive, send) -> None:
        reached.append(1)

    sent: list[dict] = []

    async def send(message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/patrols",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "query_string": b"",
        "app": create_app(engine),
    }
    asyncio.run(WriteGuard(route, limits)(scope, receive, send))
    return sent, reached


def test_a_body_pausing_too_long_is_408_and_never_reaches_the_route(engine, tokens):
    async def trickle():
        await asyncio.sleep(2)
        return {"type": "http.request", "body": b"{", "more_body": True}

    sent, reached = _run(
        engine, tokens["P0203"], trickle, Limits(idle_timeout_s=0.2, body_timeout_s=5)
    )
    assert sent[0]["status"] == 408 and not reached
    assert b"pauses under 0.2 s" in sent[1]["body"]


def test_a_body_arriving_too_slowly_overall_is_408(engine, tokens):
    async def steady():
        await asyncio.sleep(0.05)
        return {"type": "http.request", "body": b" ", "more_body": True}

    sent, reached = _run(
        engine, tokens["P0203"], steady, Limits(idle_timeout_s=1, body_timeout_s=0.5)
    )
    assert sent[0]["status"] == 408 and not reached


def test_a_whole_body_reaches_the_route(engine, tokens):
    parts = [b'{"a": ', b"1}"]

    async def whole():
        body = parts.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(parts)}

    sent, reached = _run(engine, tokens["P0203"], whole, Limits())
    assert reached == [1] and sent == []
