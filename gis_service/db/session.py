"""Transaction helpers shared by the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection


@contextmanager
def atomic(conn: Connection) -> Iterator[Connection]:
    """All or nothing: a savepoint inside a caller's transaction, else a transaction."""
    if conn.in_transaction():
        with conn.begin_nested():
            yield conn
    else:
        with conn.begin():
            yield conn
