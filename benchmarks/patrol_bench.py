"""Patrol validation benchmark: the pure pipeline, and batch ingest with database writes.

    .venv/bin/python -m benchmarks.patrol_bench [--patrols 400] [--workers 2]

A. clean + match + gaps of a 5,000-point track against a 10 km assignment (median of 50
   runs), points per second on one core, a 20,000-point track; baseline: a Python loop
   projecting each point on the line with shapely (the obvious per-point code).
B. ingest of app JSON batches of 2,000 points each, with every database read and write, in
   ``--workers`` processes against a scratch database holding the sample region; baseline:
   one PostGIS query per point (ST_DWithin + ST_LineLocatePoint), measured on one patrol.
C. one 5,000-point upload end to end (parse to commit), median over ``--uploads``, and one
   100,000-point upload, with the first upload of a chief (its assignment built) apart:
   today's path side by side with the path of ``--before`` (default ``ed445fb``: its upload
   modules, ``BEFORE_MODULES``, loaded from git into this process), interleaved upload by
   upload so both see the same machine load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import multiprocessing as mp
import os
import statistics
import time
import uuid

import numpy as np
import shapely
from sqlalchemy import create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.domain.coverage import Target, measure
from gis_service.domain.linear import LineSet
from gis_service.domain.tracks import clean_track

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


# -- A: the pure pipeline ---------------------------------------------------------------------


def river(length_m: float = 10_000.0) -> shapely.LineString:
    s = np.linspace(0, length_m, 400)
    return shapely.LineString(np.column_stack([s, 300 * np.sin(s / 900)]))


def walk_along(line: shapely.LineString, n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    s = np.linspace(0, line.length, n)
    pts = shapely.line_interpolate_point(line, s)
    xy = shapely.get_coordinates(pts) + rng.normal(0, 5, (n, 2)) + [0, 12]
    t = 1_782_867_600 + np.cumsum(rng.uniform(1, 3, n))
    return xy[:, 0], xy[:, 1], t, np.full(n, 6.0)


def pipeline(x, y, t, acc, lines: LineSet) -> float:
    track = clean_track(x, y, t, acc)
    cov = measure(track, lines, [Target("s", 0, 0.0, float(lines.lengths[0]), 50.0, 1000.0)])
    return cov.targets[0].ratio


def naive(x, y, line: shapely.LineString, tol: float = 70.0) -> float:
    covered = []
    for px, py in zip(x, y, strict=True):
        p = shapely.Point(px, py)
        if line.distance(p) <= tol:
            covered.append(line.project(p))
    return len(covered)


def bench_core(before: str) -> None:
    """The coverage core alone, today's against ``before``'s, interleaved: one target (a
    village chief) and 300 targets on the line (a general chief's region)."""
    _, old_core = load_before(before)
    line = river()
    lines = LineSet.from_lines([line])
    x, y, t, acc = walk_along(line, 5000)
    track = clean_track(x, y, t, acc)
    length = float(lines.lengths[0])
    edges = np.linspace(0, length, 301)
    cases = {
        "1 target": [Target("s", 0, 0.0, length, 50.0, 1000.0)],
        "300 targets": [
            Target(f"s{k}", 0, float(a), float(b), 50.0, 1000.0)
            for k, (a, b) in enumerate(itertools.pairwise(edges))
        ],
    }
    for name, targets in cases.items():
        runs: dict[str, list[float]] = {"today": [], before: []}
        cpu: dict[str, list[float]] = {"today": [], before: []}
        for k in range(60):
            for label, core in (("today", measure), (before, old_core.measure))[:: 1 - 2 * (k % 2)]:
                started, started_cpu = time.perf_counter(), time.thread_time()
                core(track, lines, targets)
                runs[label].append(time.perf_counter() - started)
                cpu[label].append(time.thread_time() - started_cpu)
        new_ms = statistics.median(runs["today"]) * 1000
        old_ms = statistics.median(runs[before]) * 1000
        new_cpu, old_cpu = (statistics.median(cpu[k]) * 1000 for k in ("today", before))
        print(
            f"   core only, 5,000 points, {name}: today {new_ms:.2f} ms, {before} {old_ms:.2f} ms"
            f" -> {old_ms / new_ms:.2f}x (CPU time of the thread: {new_cpu:.2f} against "
            f"{old_cpu:.2f} ms, {old_cpu / new_cpu:.2f}x)"
        )


def bench_pure() -> None:
    line = river()
    lines = LineSet.from_lines([line])
    x, y, t, acc = walk_along(line, 5000)
    runs = []
    for _ in range(50):
        started = time.perf_counter()
        ratio = pipeline(x, y, t, acc, lines)
        runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    started = time.perf_counter()
    naive(x, y, line)
    naive_s = time.perf_counter() - started
    x2, y2, t2, a2 = walk_along(line, 20_000, seed=2)
    started = time.perf_counter()
    pipeline(x2, y2, t2, a2, lines)
    big = time.perf_counter() - started
    print(
        f"A. 5,000 points vs 10 km: median {median * 1000:.1f} ms (goal < 20 ms), "
        f"{5000 / median:,.0f} points/s on one core (goal >= 250,000), coverage {ratio:.3f}"
    )
    print(f"   20,000 points: {big * 1000:.0f} ms (goal < 1 s)")
    print(
        f"   baseline per-point shapely loop (match + project only): {naive_s * 1000:.0f} ms "
        f"-> ratio {naive_s / median:.1f}x"
    )


# -- B: batch ingest with the database --------------------------------------------------------


def _scratch_database() -> str:
    from gis_service.services.sample import load_sample
    from gis_service.services.zoning import rebuild_zoning

    url = with_database(database_url(get_settings()), f"gis_service_bench_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        load_sample(conn)
        rebuild_zoning(conn)
        conn.commit()
    engine.dispose()
    return url


def _segments(url: str, n: int = 10) -> list[tuple[str, np.ndarray]]:
    """Chiefs and lon/lat lines of the longest village segments that have a chief: uploads
    come from many chiefs, not one chief patrolling ten times a day."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (s.id) p.chief_id, ST_AsBinary(s.geom), s.length_m "
                "FROM river_segment s JOIN chief_post p ON p.water_body_code = s.water_body_code "
                "AND p.level = s.level AND p.region_code = s.region_code WHERE s.kind = 'inside' "
                "AND s.level = 'village' AND p.valid_to IS NULL AND s.length_m > 2000 "
                "ORDER BY s.id"
            ),
            {},
        ).all()
    engine.dispose()
    rows = sorted(rows, key=lambda r: -r[2])[:n]
    return [
        (r[0], shapely.get_coordinates(shapely.line_merge(shapely.from_wkb(bytes(r[1])))))
        for r in rows
    ]


def _batch(chief: str, coords: np.ndarray, seed: int, n: int = 2000) -> bytes:
    rng = np.random.default_rng(seed)
    line = shapely.LineString(coords)
    s = np.linspace(0, line.length * 0.9, n) + rng.uniform(0, line.length * 0.05)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    xy += rng.normal(0, 4e-5, xy.shape)
    # each chief (seed % 10) patrols once a day in one of 8 three-hour slots: no overlaps
    day = dt.datetime(2026, 7, 1, tzinfo=dt.UTC) + dt.timedelta(
        days=int((seed // 10) % 90), hours=int((seed // 900) % 8) * 3
    )
    t0 = day.timestamp()
    times = t0 + np.arange(n) * 2.0
    return json.dumps(
        {
            "patrol_uuid": str(uuid.uuid4()),
            "chief_id": chief,
            "coord_system": "wgs84",
            "mode": "walk",
            "points": [
                {"lon": float(a), "lat": float(b), "time": float(c), "accuracy": 6.0}
                for (a, b), c in zip(xy, times, strict=True)
            ],
        }
    ).encode()


def _worker(args) -> tuple[int, float]:
    url, bodies, batch = args
    from gis_service.services.patrols import Upload, ingest_patrol, ingest_patrols

    engine = create_engine(url)
    with engine.connect() as conn:
        ingest_patrol(conn, bodies[0], now=NOW)  # warm-up (CRS transformers, caches)
        conn.rollback()
        started = time.perf_counter()
        rest = bodies[1:]
        for k in range(0, len(rest), batch):
            if batch == 1:
                ingest_patrol(conn, rest[k], now=NOW)
            else:
                ingest_patrols(conn, [Upload(b, fmt="json") for b in rest[k : k + batch]], now=NOW)
            conn.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return len(rest), elapsed


def _run(url: str, bodies: list[bytes], workers: int, batch: int) -> tuple[int, float, float]:
    chunks = [bodies[k::workers] for k in range(workers)]
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_worker, [(url, chunk, batch) for chunk in chunks])
    wall = time.perf_counter() - started
    return sum(r[0] for r in results), max(r[1] for r in results), wall


def bench_db(n_patrols: int, workers: int, batch: int) -> None:
    url = _scratch_database()
    segments = _segments(url)
    bodies = [
        _batch(*segments[seed % len(segments)], seed) for seed in range(2 * (n_patrols + workers))
    ]
    one_done, one_busy, _ = _run(url, bodies[: n_patrols + workers], workers, 1)
    done, busy, wall = _run(url, bodies[n_patrols + workers :], workers, batch)
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM patrol")).scalar()
        statuses: dict[str, int] = dict(
            conn.execute(text("SELECT status, count(*) FROM patrol GROUP BY 1")).all()
        )
        line_wkt = shapely.LineString(segments[0][1]).wkt
        body = json.loads(bodies[0])
        started = time.perf_counter()
        for p in body["points"]:
            conn.execute(
                text(
                    "SELECT ST_LineLocatePoint(l, pt) FROM (SELECT ST_GeomFromText(:w, 4326) AS l, "
                    "ST_SetSRID(ST_MakePoint(:x, :y), 4326) AS pt) q "
                    "WHERE ST_DWithin(l::geography, pt::geography, 70)"
                ),
                {"w": line_wkt, "x": p["lon"], "y": p["lat"]},
            )
        per_point_patrol = time.perf_counter() - started
    engine.dispose()
    admin.drop_database(url)
    rate = done / busy
    print(
        f"B. ingest with database writes, one patrol per call: {one_done} patrols of 2,000 "
        f"points by {workers} workers -> {one_done / one_busy:.0f} patrols/s"
    )
    print(
        f"   batches of {batch} (offline sync, POST /patrols/batch): {done} patrols in "
        f"{busy:.1f} s -> {rate:.0f} patrols/s (goal >= 100); wall incl. start {wall:.1f} s;"
        f" stored {stored} (statuses {statuses})"
    )
    print(
        f"   baseline one PostGIS query per point: {per_point_patrol:.2f} s per patrol "
        f"-> {1 / per_point_patrol:.1f} patrols/s; ratio {rate * per_point_patrol:.0f}x"
    )


# -- C: one upload end to end, today's path against an earlier revision's -----------------------


BEFORE = "ed445fb"  # the upload path before issue 17's second session (same schema as today)
# the modules the speed work changed, in import order: loaded from git under their own names
# while loading, so each old module imports the old versions of the others
BEFORE_MODULES = (
    "gis_service/domain/coverage.py",
    "gis_service/domain/assignments.py",
    "gis_service/fileio/tracks.py",
    "gis_service/db/assignment_store.py",
    "gis_service/db/patrol_store.py",
    "gis_service/services/patrol_assignment.py",
    "gis_service/services/patrols.py",
)


def load_before(revision: str):
    """The patrol service of ``revision`` as a module (its coverage core, assignment build,
    parser and store with it), next to today's; the rest of the package is today's. Returns
    (patrols, coverage) of ``revision``."""
    import importlib
    import importlib.util
    import subprocess
    import sys
    import tempfile

    loaded = {}
    saved = {}
    try:
        for path in BEFORE_MODULES:
            name = path.removesuffix(".py").replace("/", ".")
            found = subprocess.run(
                ["git", "show", f"{revision}:{path}"], capture_output=True, text=True
            )
            if found.returncode:  # not in that revision: today's is the same
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
                f.write(found.stdout)
            alias = f"_before_{revision}_{name.rsplit('.', 1)[1]}"
            spec = importlib.util.spec_from_file_location(alias, f.name)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[alias] = module
            saved.setdefault(name, sys.modules.get(name))
            # what the next old modules import: ``import a.b`` reads sys.modules,
            # ``from a import b`` the package's attribute
            sys.modules[name] = module
            package, child = name.rsplit(".", 1)
            setattr(importlib.import_module(package), child, module)
            spec.loader.exec_module(module)
            loaded[name] = module
    finally:
        for name, module in saved.items():
            package, child = name.rsplit(".", 1)
            if module is None:
                sys.modules.pop(name, None)
                delattr(importlib.import_module(package), child)
            else:
                sys.modules[name] = module
                setattr(importlib.import_module(package), child, module)
    return loaded["gis_service.services.patrols"], loaded["gis_service.domain.coverage"]


def _timed(conn, ingest, body: bytes) -> float:
    started = time.perf_counter()
    ingest(conn, body, fmt="json", now=NOW)
    conn.commit()
    return time.perf_counter() - started


class PeakRss:
    """The largest resident set of this process while the block runs, above its start
    (sampled from /proc every millisecond by a thread): the extra memory of one upload."""

    def __enter__(self) -> PeakRss:
        import threading

        self.start = self.peak = _rss()
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.wait(0.001):
                self.peak = max(self.peak, _rss())

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def extra_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_upload(n_uploads: int, before: str) -> None:
    from gis_service.services import patrol_assignment, patrols

    old, _ = load_before(before)
    url = _scratch_database()
    segments = _segments(url)
    bodies = [_batch(*segments[s % len(segments)], 5000 + s, n=5000) for s in range(2 * n_uploads)]
    engine = create_engine(url)
    new_s: list[float] = []
    old_s: list[float] = []
    cold: dict[str, list[float]] = {"today": [], before: []}
    paths = [("today", patrols), (before, old)]
    with engine.connect() as conn:
        # a chief's first upload in a process: its assignment is built (the caches emptied
        # before each path's round, the PROJ transformers already warm)
        _timed(conn, patrols.ingest_patrol, _batch(*segments[0], 899, n=5000))
        _timed(conn, old.ingest_patrol, _batch(*segments[0], 949, n=5000))
        for round_ in range(2):
            for label, path in paths if round_ % 2 else paths[::-1]:
                sys_modules_cache(path, patrol_assignment).clear()
                for k in range(len(segments)):
                    body = _batch(
                        *segments[k], 900 + 100 * round_ + (label == before) * 50 + k, n=5000
                    )
                    cold[label].append(_timed(conn, path.ingest_patrol, body))
        for k in range(n_uploads):
            pair = [(patrols.ingest_patrol, new_s), (old.ingest_patrol, old_s)]
            for ingest, out in pair if k % 2 else pair[::-1]:
                out.append(_timed(conn, ingest, bodies[2 * k + (out is old_s)]))
    engine.dispose()
    # the 100,000-point upload in fresh processes, one path each (memory a process already
    # grew for the other path's upload would hide this one's), twice, alternating
    big = [_batch(*segments[0], 7000 + k, n=100_000) for k in range(4)]
    warm = _batch(*segments[0], 6999, n=5000)
    runs: dict[str, list[tuple[float, float]]] = {"today": [], before: []}
    with mp.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        for k in range(4):
            label = ("today", before)[k % 2 if k < 2 else 1 - k % 2]
            rev = None if label == "today" else before
            runs[label].append(pool.apply(_big_upload, (url, rev, warm, big[k])))
    admin.drop_database(url)
    big_new, rss_new = min(runs["today"])
    big_old, rss_old = min(runs[before])
    new_ms = statistics.median(new_s) * 1000
    old_ms = statistics.median(old_s) * 1000
    print(
        f"C. one 5,000-point upload, parse to commit, median of {n_uploads}: today {new_ms:.1f} ms"
        f" (goal <= 25 ms), {before} {old_ms:.1f} ms -> {old_ms / new_ms:.2f}x"
    )
    new_c, old_c = (statistics.median(cold[k]) * 1000 for k in ("today", before))
    print(
        f"   a chief's first upload (assignment built), median of {len(cold['today'])}: today "
        f"{new_c:.1f} ms, {before} {old_c:.1f} ms -> {old_c / new_c:.2f}x"
    )
    print(
        f"   100,000-point upload (best of 2, each in a fresh process): today "
        f"{big_new * 1000:.0f} ms, +{rss_new:.0f} MiB RSS (goals <= 300 ms, <= 60 MiB), "
        f"{before} {big_old * 1000:.0f} ms, +{rss_old:.0f} MiB -> {big_old / big_new:.2f}x"
    )


def _big_upload(url: str, revision: str | None, warm: bytes, body: bytes) -> tuple[float, float]:
    """In a fresh process: one warm-up upload, then ``body``; (seconds, extra MiB of RSS)."""
    import gc

    from gis_service.services import patrols

    path = load_before(revision)[0] if revision else patrols
    engine = create_engine(url)
    with engine.connect() as conn:
        _timed(conn, path.ingest_patrol, warm)
        gc.collect()
        with PeakRss() as rss:
            seconds = _timed(conn, path.ingest_patrol, body)
    engine.dispose()
    return seconds, rss.extra_mib


def sys_modules_cache(path, patrol_assignment):
    """The assignment cache a patrol path uses (today's, or the one its revision built)."""
    return getattr(path, "ASSIGNMENTS", patrol_assignment.ASSIGNMENTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patrols", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--skip-db", action="store_true")
    parser.add_argument("--uploads", type=int, default=60)
    parser.add_argument("--before", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--only", choices=["A", "B", "C"], help="run one part only")
    args = parser.parse_args()
    print(f"machine load (1, 5, 15 min) at the start: {_load()}")
    if args.only in (None, "A"):
        bench_pure()
        bench_core(args.before)
    if args.skip_db:
        return
    if args.only in (None, "B"):
        bench_db(args.patrols, args.workers, args.batch)
    if args.only in (None, "C"):
        bench_upload(args.uploads, args.before)
    print(f"machine load (1, 5, 15 min) at the end: {_load()}")


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
