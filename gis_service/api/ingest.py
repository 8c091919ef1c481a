"""Where a server process computes its uploads: its own threads, or processes of its own.

An upload is CPU-bound Python (parse, clean, match, measure: 7-10 ms of CPU for the load
test's tracks) and a server process runs Python on one core at a time (the GIL). The kernel
hands each client connection to one server process for the connection's life, so the
processes' shares follow the connections, not the work: with 10 phones on kept-alive
connections, all ten landed on one of the two processes in about half of the runs, whose one
core then served 65-72 uploads/s while the other core idled (42-44 % of the machine; one
process alone: 72/s). Computed in ingest processes of its own (``GIS_INGEST_PROCESSES``,
``serve``'s default: one per core), every server process's uploads can use every core, however
the connections fell.

An ingest process keeps what a thread kept: its PROJ transformers (built at its start for the
zoning's zones) and its assignment cache, and its own connection pool to the same database.
The upload's transaction is the ingest process's: it commits or rolls back there, and only
the answer (or the refusal) comes back. A process that dies (killed, out of memory) breaks
its pool: the uploads it held get 503 (the phone sends again; the same patrol counts once)
and a new pool takes the next ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

from gis_service.api.deps import app_engine
from gis_service.db.assignment_store import newest_metric_zones
from gis_service.db.engine import make_engine
from gis_service.errors import WorkerLostError
from gis_service.services.patrol_assignment import ASSIGNMENTS, warm_transformers

log = logging.getLogger(__name__)
T = TypeVar("T")

THREADS_PER_PROCESS = 2  # one computing while the other waits for PostGIS
START_TIMEOUT_S = 120.0  # an ingest process imports the whole stack: seconds, not minutes
PARENT_CHECK_S = 1.0  # how often an ingest process looks whether its server process lives


class Ingest:
    """Runs ``func(engine, *args)`` for the routes, a few at a time and first come, first
    served (asyncio's semaphore is FIFO): under load the latency stays even instead of every
    upload slowing down together, and the event loop keeps serving reads."""

    slots: int

    def __init__(self) -> None:
        self._slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def slot(self) -> asyncio.Semaphore:
        """This event loop's semaphore (tests run one app on several loops)."""
        loop = asyncio.get_running_loop()
        if loop not in self._slots:
            self._slots[loop] = asyncio.Semaphore(self.slots)
        return self._slots[loop]

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        raise NotImplementedError

    async def start(self) -> None:
        """Warm what the first upload would otherwise wait for."""

    async def close(self) -> None:
        """Stop what was started."""


# the ingest threads: as many as ingest slots, so each keeps its PROJ transformers (built
# per thread, ~0.1 s each per zone and direction) and assignment matchers warm; on the
# 40 threads of the shared threadpool every upload could land on a cold thread
INGEST_THREADS = ThreadPoolExecutor(THREADS_PER_PROCESS, thread_name_prefix="ingest")


class ThreadIngest(Ingest):
    """In this process's ingest threads (an app built without ``GIS_INGEST_PROCESSES``:
    tests, notebooks, ``uvicorn --factory`` without it)."""

    slots = THREADS_PER_PROCESS

    def __init__(self, engine: Engine, shared: Path | None = None) -> None:
        super().__init__()
        self.engine = engine
        self._shared = shared

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            INGEST_THREADS, functools.partial(func, self.engine, *args)
        )

    async def start(self) -> None:
        """Every ingest thread builds its PROJ transformers for the zoning's zones. Measured
        cold, each thread's first upload waited 0.2-0.3 s for them, and with 50 phones at once
        the first seconds' queue held the slowest uploads of a whole run. A database that is
        not there yet only skips the warm-up."""
        if self._shared:
            ASSIGNMENTS.share(self._shared)
        loop = asyncio.get_running_loop()
        try:
            zones = await loop.run_in_executor(None, _zones, self.engine)
        except Exception as exc:
            log.warning("ingest threads not warmed (%s): transformers are built on first use", exc)
            return
        if not zones:
            return
        # a barrier: each task waits for the others, so every thread of the pool takes one
        meet = threading.Barrier(THREADS_PER_PROCESS, timeout=60)

        def warm() -> None:
            # a thread busy elsewhere breaks the barrier: warm this one anyway
            with contextlib.suppress(threading.BrokenBarrierError):
                meet.wait()
            warm_transformers(zones)

        try:
            await asyncio.gather(
                *(loop.run_in_executor(INGEST_THREADS, warm) for _ in range(THREADS_PER_PROCESS))
            )
        except Exception as exc:
            log.warning("ingest threads not warmed (%s): transformers are built on first use", exc)

    async def close(self) -> None:
        if self._shared:
            ASSIGNMENTS.share(None)


class ProcessIngest(Ingest):
    """In ``processes`` ingest processes of this server process (spawned: a fork of a process
    running an event loop and threads may copy a held lock)."""

    def __init__(self, engine: Engine, processes: int, shared: Path | None = None) -> None:
        super().__init__()
        self.slots = processes
        self.processes = processes
        # the children connect to the same database with the same credentials; the URL
        # reaches them through the spawn pipe, never a command line
        self._url = engine.url.render_as_string(hide_password=False)
        self._shared = str(shared) if shared else None
        self._context = multiprocessing.get_context("spawn")
        self._pool = self._new_pool(None)

    def _new_pool(self, meet: Any) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=_child_start,
            initargs=(self._url, self._shared, meet),
        )

    async def start(self) -> None:
        """Start every ingest process now (imports, engine, transformers: 1-3 s each) and
        wait until all of them are ready: one task per process, held at a barrier."""
        meet = self._context.Barrier(self.processes)
        old, self._pool = self._pool, self._new_pool(meet)
        old.shutdown(wait=False)
        loop = asyncio.get_running_loop()
        ready = [loop.run_in_executor(self._pool, _child_ready) for _ in range(self.processes)]
        try:
            pids = await asyncio.wait_for(asyncio.gather(*ready), START_TIMEOUT_S)
        except Exception as exc:
            log.warning("ingest processes not all started (%s): they start on first use", exc)
            return
        log.info("%d ingest processes ready: %s", len(set(pids)), sorted(set(pids)))

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        pool = self._pool
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _child_call, func, args)
        except BrokenProcessPool:
            self._renew(pool)
            raise WorkerLostError(
                "the process computing this upload stopped; send it again (a patrol sent "
                "twice is counted once)"
            ) from None

    def _renew(self, broken: Executor) -> None:
        """A new pool for the next uploads (once per broken pool: the loop's one thread)."""
        if self._pool is broken:
            log.error("an ingest process stopped: starting a new pool")
            self._pool = self._new_pool(None)
            broken.shutdown(wait=False, cancel_futures=True)
            for _ in range(self.processes):  # each task finding no idle process starts one
                self._pool.submit(_child_ready)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(self._pool.shutdown, wait=True, cancel_futures=True)
        )


def ingest_for(engine: Engine, processes: int | None, shared: Path | None) -> Ingest:
    """The app's runner: ``processes`` > 0 ingest processes, else this process's threads."""
    if processes:
        return ProcessIngest(engine, processes, shared)
    return ThreadIngest(engine, shared)


def app_ingest(app: Any) -> Ingest:
    """The app's runner, made at start-up (``api.app``); an app used without its start-up
    (a test client outside ``with``) gets its threads on first use."""
    runner = getattr(app.state, "ingest", None)
    if runner is None:
        runner = app.state.ingest = ThreadIngest(app_engine(app))
    return runner


def _zones(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return newest_metric_zones(conn)


# -- the server's warm-up -------------------------------------------------------------------

WARM_CHIEFS = 512  # the assignment cache's size per process: more would push out the first


def warm_shared_assignments(url: str, shared: str, timezone: str, reach: float) -> None:
    """A process of ``serve``'s, at a low priority, while the server starts: the lines of
    every chief holding a live token (up to ``WARM_CHIEFS``), for today, built once into the
    server's shared folder. Without it each chief's first upload after a start waited for
    its lines (40-60 ms of CPU each), and 50 phones at once queued behind 50 builds (the
    50-client load test's slowest seconds). Not warmed, nothing is wrong: an upload builds
    what it does not find."""

    from gis_service.domain.periods import local_today
    from gis_service.services.patrol_assignment import warm_assignments

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    with contextlib.suppress(OSError):
        os.nice(10)  # the uploads first
    started = time.monotonic()
    ASSIGNMENTS.share(Path(shared))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            n = warm_assignments(conn, local_today(timezone), reach, WARM_CHIEFS)
    except Exception as exc:
        log.warning("chiefs' lines not built at start-up (%s): built on first upload", exc)
        return
    finally:
        engine.dispose()
    log.info("the lines of %d chiefs with a token built in %.1f s", n, time.monotonic() - started)


# -- inside an ingest process -----------------------------------------------------------------

_ENGINE: Engine | None = None
_MEET: Any = None


def _child_start(url: str, shared: str | None, meet: Any) -> None:
    """An ingest process's start: its engine, the server's shared assignment folder and its
    PROJ transformers. Ctrl-C reaches the whole process group: the server process stops its
    ingest processes itself, after the uploads they hold."""
    global _ENGINE, _MEET
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch"
    ).start()
    _ENGINE = make_engine(url)
    _MEET = meet
    if shared:
        ASSIGNMENTS.share(Path(shared))
    try:
        warm_transformers(_zones(_ENGINE))
    except Exception as exc:
        log.warning("ingest process not warmed (%s): transformers are built on first use", exc)


def _watch_parent(parent: int) -> None:
    """Exit when the server process is gone. Killed (no shutdown), it leaves its ingest
    processes waiting on their task queue for ever, each holding its database connections:
    the queue never ends, as each end of it is held on both sides. An upload in flight dies
    with the process; its transaction is rolled back, and the phone sends it again."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _child_ready() -> int:
    if _MEET is not None:
        with contextlib.suppress(threading.BrokenBarrierError):
            _MEET.wait(START_TIMEOUT_S)
    return os.getpid()


def _child_call(func: Callable[..., T], args: tuple[Any, ...]) -> T:
    assert _ENGINE is not None, "an ingest process runs its initializer first"
    try:
        return func(_ENGINE, *args)
    except Exception as exc:
        raise _portable(exc) from None


def _portable(exc: Exception) -> Exception:
    """The exception itself when it survives the trip back (the API maps it to its status:
    a refusal, a database away), else a plain error naming it: an exception the server
    process cannot unpickle would break the whole pool."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        log.exception("ingest process error")
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
