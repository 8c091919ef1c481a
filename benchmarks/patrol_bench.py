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
   today's path side by side with the path of ``--before`` (default ``ed445fb``), interleaved
   upload by upload so both see the same machine load. Each path runs whole in its own
   process (``benchmarks/path_worker.py``; the earlier one from its tree extracted with ``git
   archive``) against its own scratch database at its own schema, prepared by its own
   migrations, sample and zoning: the earlier code cannot write into today's schema (0012
   partitioned the patrol tables). Part A runs ``--before``'s coverage core in this process
   (pure code, no database).
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
    old_core = load_before_core(before)
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


BEFORE = "ed445fb"  # the upload path before issue 17's second session (schema head 0009)


def load_before_core(revision: str):
    """The coverage core (``domain/coverage.py``) of ``revision`` as a module, next to
    today's (its imports, ``domain/linear.py`` and ``domain/tracks.py``, are today's): pure
    code, no database, so it runs in this process whatever the schema."""
    import importlib.util
    import subprocess
    import sys
    import tempfile

    path = "gis_service/domain/coverage.py"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout
    found = subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=root, capture_output=True, text=True
    )
    if found.returncode:
        raise SystemExit(f"cannot read {path} of revision {revision!r}: {found.stderr.strip()}")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(found.stdout)
    alias = f"_before_{revision}_coverage"
    spec = importlib.util.spec_from_file_location(alias, f.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    os.unlink(f.name)
    return module


def bench_upload(n_uploads: int, before: str) -> None:
    """Each path in its own process (``benchmarks/path_worker.py``) with its own scratch
    database at its own schema: today's code at today's head, ``before``'s code (its tree
    extracted with ``git archive`` and first on the worker's PYTHONPATH) at its head, each
    prepared by its own migrations, sample and zoning. The same uploads go to both, one
    path after the other, the order alternating; each worker times parse to commit."""
    import shutil
    import tempfile
    from pathlib import Path

    from benchmarks.revision import PathWorker, extract_tree

    base = database_url(get_settings())
    urls = {
        "today": with_database(base, f"gis_service_bench_{os.getpid()}_today"),
        before: with_database(base, f"gis_service_bench_{os.getpid()}_before"),
    }
    scratch = Path(tempfile.mkdtemp(prefix="gis-before-"))
    workers: dict[str, PathWorker] = {}
    try:
        trees = {"today": None, before: extract_tree(before, scratch / "tree")}
        for label, tree in trees.items():
            started = time.perf_counter()
            workers[label] = PathWorker(label, tree)
            schema = workers[label].call("prepare", urls[label], [])["schema"]
            workers[label].call("connect", urls[label])
            print(
                f"   [{label}] own scratch database at schema {schema}, prepared by its code in "
                f"{time.perf_counter() - started:.1f} s"
            )
        _compare_uploads(n_uploads, before, urls, trees, workers)
    finally:  # also on failure: no worker, scratch database or tree left behind
        for worker in workers.values():
            worker.close()
        for url in urls.values():
            admin.drop_database(url)
        shutil.rmtree(scratch, ignore_errors=True)


def _compare_uploads(n_uploads, before, urls, trees, workers) -> None:
    from benchmarks.revision import PathWorker

    segments = _segments(urls["today"])
    bodies = [_batch(*segments[s % len(segments)], 5000 + s, n=5000) for s in range(n_uploads)]
    paths = list(workers.items())
    cold: dict[str, list[float]] = {"today": [], before: []}
    runs: dict[str, list[float]] = {"today": [], before: []}
    # a chief's first upload in a process: its assignment is built (the caches emptied
    # before each path's round, the PROJ transformers already warm)
    warm = _batch(*segments[0], 899, n=5000)
    for _, worker in paths:
        worker.call("ingest", warm, NOW)
    for round_ in range(2):
        for label, worker in paths if round_ % 2 else paths[::-1]:
            worker.call("clear_assignments")
            for k in range(len(segments)):
                body = _batch(*segments[k], 900 + 100 * round_ + k, n=5000)
                cold[label].append(worker.call("ingest", body, NOW))
    for k in range(n_uploads):
        for label, worker in paths if k % 2 else paths[::-1]:
            runs[label].append(worker.call("ingest", bodies[k], NOW))
    for worker in workers.values():
        worker.call("close")
    # the 100,000-point upload in fresh processes, one path each (memory a process already
    # grew for the other path's upload would hide this one's), twice, alternating; each
    # body goes to both paths, each warm-up body is new to its database
    big = [_batch(*segments[0], 7000 + k, n=100_000) for k in range(2)]
    large: dict[str, list[tuple[float, float]]] = {"today": [], before: []}
    for k in range(4):
        label = ("today", before)[k % 2 if k < 2 else 1 - k % 2]
        with PathWorker(label, trees[label]) as fresh:
            fresh.call("connect", urls[label])
            warm = _batch(*segments[0], 6990 + k, n=5000)
            large[label].append(fresh.call("big_upload", warm, big[k // 2], NOW))
    big_new, rss_new = min(large["today"])
    big_old, rss_old = min(large[before])
    new_ms = statistics.median(runs["today"]) * 1000
    old_ms = statistics.median(runs[before]) * 1000
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
        from benchmarks.revision import RevisionError

        try:
            bench_upload(args.uploads, args.before)
        except RevisionError as exc:  # the earlier revision could not be extracted or run
            raise SystemExit(f"C. FAIL: {exc}") from None
    print(f"machine load (1, 5, 15 min) at the end: {_load()}")


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
