"""One upload path in its own process, driven over a pipe: today's, or an earlier revision's.

Run as a script (``python benchmarks/path_worker.py``), never as ``-m``: the interpreter then
puts this folder first on ``sys.path``, not the checkout, so ``gis_service`` is found on
``PYTHONPATH`` (a tree extracted with ``git archive``) before the installed package. An
earlier revision's code thus runs whole, its own migrations, sample loading, zoning and
upload path, against a database at its own schema: mixing its modules with today's cannot
work once the schema moved (migration 0012 partitioned the patrol tables, and revisions
before it write rows today's tables no longer take).

The protocol is pickled frames, each an 8-byte big-endian length then the payload: the
parent sends ``(command, args)``, the worker answers ``("ok", value)`` or ``("error",
traceback)``. Only the standard library is imported at the top (the parent imports the
framing functions from here); ``gis_service`` is imported by the commands, from whichever
tree the process was started with.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO

_HEADER = struct.Struct(">Q")


def write_frame(stream: BinaryIO, obj: object) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """The next object, or EOFError when the other side closed the pipe (a frame cut short
    is an error too: the other process died while writing)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the pipe closed")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError(f"the pipe closed {len(data)} bytes into a frame of {size}")
    return pickle.loads(data)


# -- commands (gis_service imported here: the tree this process runs) ---------------------------


class _State:
    engine: Any = None
    conn: Any = None


def hello() -> dict[str, str]:
    """Where ``gis_service`` came from: the parent checks it is the tree it asked for."""
    import gis_service

    return {"gis_service": os.path.dirname(os.path.abspath(gis_service.__file__))}


def prepare(url: str, chiefs: list[str]) -> dict[str, Any]:
    """A fresh scratch database at this tree's schema head, with this tree's sample region,
    zoning, and one chief account and token per chief; ``{"tokens", "schema"}``."""
    from sqlalchemy import create_engine, text

    from gis_service.db import admin, migrate
    from gis_service.services.sample import load_sample
    from gis_service.services.users import create_user, issue_token
    from gis_service.services.zoning import rebuild_zoning

    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    tokens: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            load_sample(conn)
            rebuild_zoning(conn)
            conn.commit()
        with engine.begin() as conn:
            for chief in chiefs:
                create_user(conn, f"load-{chief}", "chief", chief)
                tokens[chief] = issue_token(conn, f"load-{chief}")
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    return {"tokens": tokens, "schema": schema}


def connect(url: str) -> None:
    from sqlalchemy import create_engine

    _State.engine = create_engine(url)
    _State.conn = _State.engine.connect()


def ingest(body: bytes, now: dt.datetime) -> float:
    """One upload through this tree's ``ingest_patrol``, parse to commit: seconds."""
    from gis_service.services import patrols

    started = time.perf_counter()
    try:
        patrols.ingest_patrol(_State.conn, body, fmt="json", now=now)
        _State.conn.commit()
    except Exception:
        _State.conn.rollback()
        raise
    return time.perf_counter() - started


def clear_assignments() -> None:
    """Empty the assignment cache of this tree's upload path (a chief's next upload builds
    its assignment again): the module-level cache, wherever this revision keeps it."""
    from gis_service.services import patrol_assignment, patrols

    getattr(patrols, "ASSIGNMENTS", patrol_assignment.ASSIGNMENTS).clear()


def big_upload(warm: bytes, body: bytes, now: dt.datetime) -> tuple[float, float]:
    """One warm-up upload, then ``body``: (seconds, extra MiB of resident memory while it
    ran, sampled from /proc every millisecond). Meant for a fresh process."""
    import gc
    import threading

    ingest(warm, now)
    gc.collect()
    start = peak = _rss()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.001):
            peak = max(peak, _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        seconds = ingest(body, now)
    finally:
        stop.set()
        sampler.join()
    peak = max(peak, _rss())
    return seconds, (peak - start) / 2**20


def close() -> None:
    if _State.conn is not None:
        _State.conn.close()
        _State.engine.dispose()
        _State.conn = _State.engine = None


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


COMMANDS = {
    f.__name__: f for f in (hello, prepare, connect, ingest, clear_assignments, big_upload, close)
}


def serve() -> None:
    """Answer frames until the parent closes the pipe. The protocol keeps the real stdout;
    anything else printed (Alembic's log, warnings) goes to stderr."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    source = sys.stdin.buffer
    while True:
        try:
            name, args = read_frame(source)
        except EOFError:
            break
        try:
            answer = ("ok", COMMANDS[name](*args))
        except Exception:  # the parent reports it, naming the revision that raised it
            answer = ("error", traceback.format_exc())
        write_frame(out, answer)
    close()


if __name__ == "__main__":
    serve()
