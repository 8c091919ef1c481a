"""Transaction helpers shared by the services."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, TextClause, text


@contextmanager
def atomic(conn: Connection) -> Iterator[Connection]:
    """All or nothing: a savepoint inside a caller's transaction, else a transaction."""
    if conn.in_transaction():
        with conn.begin_nested():
            yield conn
    else:
        with conn.begin():
            yield conn


@functools.lru_cache(maxsize=256)
def statement(sql: str) -> TextClause:
    """``text(sql)``, made once per SQL text in the process. ``text()`` parses its bind
    names with a regular expression and its cache key is generated again for every new
    object: on an upload's statements (prefetch, insert, months; 20-30 bind names each)
    that was about 7 % of the ingest thread's Python time (py-spy --gil). For the hot
    statements whose text is fixed, or one of a few."""
    return text(sql)
