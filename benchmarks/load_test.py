"""Load test on loopback: many phones uploading patrols at once, nothing lost, nothing doubled.

    .venv/bin/python -m benchmarks.load_test [--clients 50] [--seconds 60] [--workers 2]
        [--before REV|none] [--before-first] [--recent]

A scratch database gets the sample region, its zoning and one chief account per client
chief. The real server (``gis-service serve --workers N``) runs in a subprocess. Each client
loops for ``--seconds``: it uploads one of its chief's sample tracks as the phone app's JSON
(a fresh patrol UUID and a time shift, so every patrol is new) with the chief's token, and
one upload in twenty is a retry of an earlier one (an offline phone resending), which must
come back ``200 duplicate`` with the same id. Afterwards the database must hold exactly the
acknowledged patrols. Baseline, same process and server: one client uploading sequentially.
Prints throughput and p50/p95/p99 latency for both, and the ratio. The same runs follow
against a server of git revision ``--before`` (default ``ed445fb``, ``none`` to skip; its
``gis_service`` and ``data`` extracted with ``git archive`` and put first on the server's
PYTHONPATH): today's path and the earlier one side by side, under the same machine load
(printed at the start and the end). Each server has its own scratch database at its own
schema: the earlier revision's is prepared by its own code in a subprocess (its migrations,
sample, zoning, users and tokens: ``benchmarks/path_worker.py``), since its code cannot
write into a database at today's schema. Both get the same uploads; the check (nothing lost,
nothing duplicated) runs on each database; both databases are dropped at the end, also
when a run fails.

Each client's patrols go back in 3-hour steps, the clients 115 days apart: a run spreads over
years, and today's tables, partitioned by month (0012), get new month partitions during it
(each made under a lock on the parent tables; the check prints how many). ``--recent``
gives each chief consecutive 3-hour slots instead, shared by its clients: a run covers a
month or two, as phones uploading recent patrols do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import orjson
import pandas as pd
from sqlalchemy import create_engine, text

from benchmarks.cpu_meter import CpuMeter, CpuSplit
from benchmarks.revision import PathWorker, RevisionError, extract_tree, schema_head
from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.fileio.tracks import parse_track
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks, load_sample
from gis_service.services.users import create_user, issue_token
from gis_service.services.zoning import rebuild_zoning

RETRY_SHARE = 0.05
BEFORE = "ed445fb"  # the upload path before issue 17's second session (schema head 0009)
MIGRATIONS = Path(migrate.__file__).resolve().parents[1] / "migrations" / "versions"


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # perf_counter when each was sent
    created: dict[str, str] = field(default_factory=dict)  # patrol uuid -> id answered
    retries_ok: int = 0
    retries_bad: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: CpuSplit | None = None  # CPU of the server, PostgreSQL and the clients during the run


@dataclass(frozen=True)
class Answer:
    """The server's answer to one upload: status and body."""

    status_code: int
    body: bytes

    def json(self) -> dict:
        return orjson.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Phone:
    """One phone's HTTP/1.1 connection, kept open between its uploads: each request written
    in one piece, each answer read by its Content-Length. httpx's client took 4-5 ms of CPU
    per upload on the same two cores as the server (15 % of the machine at 40 uploads/s);
    real phones bring their own CPUs. It understands what this server sends (a body with a
    Content-Length); anything else, or a dropped connection, is an error of that upload
    (recorded, never retried: a retry is the test's own decision)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        return await asyncio.wait_for(self._post(path, body, headers), self.timeout)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode("latin-1")
            + body
        )
        try:
            status = int((await reader.readline()).split()[1])
            length, close = None, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            if length is None:
                raise ConnectionError(f"an answer without Content-Length (status {status})")
            data = await reader.readexactly(length)
        except (IndexError, ValueError, asyncio.IncompleteReadError) as exc:
            self.close()
            raise ConnectionError(f"the answer could not be read: {exc!r}") from None
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return Answer(status, data)

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, chiefs: int) -> tuple[dict[str, str], dict[str, list[dict]]]:
    """Scratch database, chief tokens, and each chief's good sample tracks as app points."""
    ensure_tracks(SAMPLE_DIR)
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    manifest = pd.read_csv(SAMPLE_DIR / "tracks" / "manifest.csv", dtype={"region_code": str})
    good = manifest[(manifest.kind == "good") & (manifest.coord_system == "wgs84")]
    picked = list(good.person_id.value_counts().index[:chiefs])
    tokens: dict[str, str] = {}
    with engine.begin() as conn:
        load_sample(conn, SAMPLE_DIR)
        rebuild_zoning(conn)
        for chief in picked:
            create_user(conn, f"load-{chief}", "chief", chief)
            tokens[chief] = issue_token(conn, f"load-{chief}")
    engine.dispose()
    tracks: dict[str, list[dict]] = {}
    for row in good[good.person_id.isin(picked)].itertuples():
        raw = parse_track((SAMPLE_DIR / "tracks" / row.file).read_bytes(), filename=row.file)
        epoch = raw.time.astype("datetime64[s]").astype(np.int64)
        tracks.setdefault(row.person_id, []).append(
            {"lon": raw.lon, "lat": raw.lat, "time": epoch, "accuracy": raw.accuracy}
        )
    return tokens, tracks


def body(chief: str, track: dict, shift_s: int) -> dict:
    acc = np.nan_to_num(track["accuracy"], nan=5.0)
    return {
        "patrol_uuid": str(uuid.uuid4()),
        "chief_id": chief,
        "coord_system": "wgs84",
        "mode": "walk",
        "points": [
            {"lon": float(x), "lat": float(y), "time": int(t - shift_s), "accuracy": float(a)}
            for x, y, t, a in zip(track["lon"], track["lat"], track["time"], acc, strict=True)
        ],
    }


def new_payload(chief: str, tracks: list[dict], slot: int, shift: int) -> tuple[bytes, str]:
    """A new patrol of the chief as the app's JSON, and its UUID."""
    item = body(chief, tracks[slot % len(tracks)], shift)
    return orjson.dumps(item), item["patrol_uuid"]


def made_before(
    tracks: dict,
    chiefs: list[str],
    clients: int,
    shift0: int,
    slots: Counter[str] | None,
    count: int,
) -> dict[tuple[str, int], tuple[bytes, str]]:
    """The uploads the clients will send, made before the clock starts (each client's
    next ``count``, or with ``slots`` each chief's): building a phone's JSON is the phone's
    work, and done in the load generator during the run it took the server's cores (about
    1.6 ms a patrol, 8 % of the machine at 100 uploads/s). Beyond ``count`` the clients make
    them as they go."""
    out: dict[tuple[str, int], tuple[bytes, str]] = {}
    if slots is None:
        keys = [
            (chiefs[c % len(chiefs)], shift0 + c * 10_000_000, j)
            for c in range(clients)
            for j in range(count)
        ]
    else:
        used = dict.fromkeys(chiefs[c % len(chiefs)] for c in range(clients))
        keys = [(ch, shift0, slots[ch] + j) for ch in used for j in range(count)]
    for chief, base, slot in keys:
        shift = base + 3 * 3600 * slot
        out[(chief, shift)] = new_payload(chief, tracks[chief], slot, shift)
    return out


async def client(
    base: str,
    chief: str,
    token: str,
    tracks: list[dict],
    stop_at: float,
    shift0: int,
    tally: Tally,
    rng: random.Random,
    slots: Counter[str] | None = None,
    ready: dict[tuple[str, int], tuple[bytes, str]] | None = None,
) -> None:
    sent: list[tuple[bytes, str]] = []
    ready = {} if ready is None else ready
    k = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    address = httpx.URL(base)
    phone = Phone(address.host, address.port or 80)
    try:
        while time.monotonic() < stop_at:
            retry = bool(sent) and rng.random() < RETRY_SHARE
            if retry:
                payload, pid = rng.choice(sent)
            else:
                # a new patrol: three hours earlier than the previous one of this client, or
                # (``slots``) than the previous one of its chief, whichever client sent it
                slot = k if slots is None else slots[chief]
                if slots is not None:
                    slots[chief] += 1
                shift = shift0 + 3 * 3600 * slot
                k += 1
                made = ready.pop((chief, shift), None)
                payload, pid = made or new_payload(chief, tracks, slot, shift)
            t0 = time.perf_counter()
            try:
                res = await phone.post("/patrols", payload, headers)
            except (OSError, TimeoutError) as exc:  # ConnectionError is an OSError
                tally.errors.append(f"{pid}: {exc!r}")
                continue
            tally.latencies.append(time.perf_counter() - t0)
            tally.sent_at.append(t0)
            if retry:
                ok = res.status_code == 200 and res.json().get("id") == tally.created.get(pid)
                tally.retries_ok += ok
                if not ok:
                    tally.retries_bad.append(f"{pid}: {res.status_code} {res.text[:200]}")
            elif res.status_code == 201:
                tally.created[pid] = res.json()["id"]
                sent.append((payload, pid))
            else:
                tally.errors.append(f"{pid}: {res.status_code} {res.text[:200]}")
    finally:
        phone.close()


async def run(
    base: str,
    tokens: dict,
    tracks: dict,
    clients: int,
    seconds: float,
    shift0: int,
    seed: int,
    slots: Counter[str] | None = None,
    rate_bound: float = 200.0,
    server_pid: int | None = None,
) -> tuple[Tally, float]:
    """``clients`` clients for ``seconds``. Without ``slots`` each client's patrols start
    115 days after the previous client's (the run spreads over years: many months);
    with ``slots`` (``--recent``) each chief's patrols take consecutive 3-hour slots back
    from ``shift0``, shared by the chief's clients (a run covers a month or two). With
    ``server_pid``, the CPU each group of processes used while the clients ran (the uploads
    made beforehand not counted) is kept in the tally."""
    tally = Tally()
    chiefs = sorted(tokens)
    keys = clients if slots is None else min(clients, len(chiefs))
    ready = made_before(
        tracks, chiefs, clients, shift0, slots, int(rate_bound * seconds / keys) + 2
    )
    meter = CpuMeter(server_pid) if server_pid is not None else None
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(
            client(
                base,
                chiefs[c % len(chiefs)],
                tokens[chiefs[c % len(chiefs)]],
                tracks[chiefs[c % len(chiefs)]],
                stop_at,
                shift0 + (c * 10_000_000 if slots is None else 0),
                tally,
                random.Random(seed + c),
                slots,
                ready,
            )
            for c in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    tally.cpu = meter.split() if meter is not None else None
    return tally, elapsed


def report(name: str, tally: Tally, elapsed: float) -> float:
    lat = sorted(tally.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    rate = len(lat) / elapsed
    print(
        f"{name}: {len(lat)} requests in {elapsed:.1f} s = {rate:.1f} req/s; "
        f"new patrols {len(tally.created)}, retries {tally.retries_ok} ok / "
        f"{len(tally.retries_bad)} wrong, errors {len(tally.errors)}; latency p50 "
        f"{q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms"
    )
    slow = [(t, x) for t, x in zip(tally.sent_at, tally.latencies, strict=True) if x > q[94]]
    if slow:
        # where the slowest 5 % fall in the run: spread evenly means queueing, bunched
        # means a stall (a lock, a checkpoint, a cold cache)
        t0 = min(tally.sent_at)
        buckets = Counter(int((t - t0) // 5) * 5 for t, _ in slow)
        print(
            "  slowest 5 % by second of the run sent: "
            + ", ".join(f"{k}s: {v}" for k, v in sorted(buckets.items()))
        )
        # the first seconds hold each server process's one-time work (every chief's lines
        # built once per process): the same percentiles without them, shown beside
        later = sorted(
            x for t, x in zip(tally.sent_at, tally.latencies, strict=True) if t - t0 >= 5
        )
        if len(later) > 100:
            w = statistics.quantiles(later, n=100)
            print(
                f"  sent after the first 5 s ({len(later)} requests): p50 {w[49] * 1000:.0f} ms, "
                f"p95 {w[94] * 1000:.0f} ms, p99 {w[98] * 1000:.0f} ms"
            )
    return rate


def check_database(url: str, tallies: list[Tally], label: str) -> bool:
    """Every patrol acknowledged by ``label``'s server stored exactly once in its database,
    nothing else stored."""
    acknowledged = {v for t in tallies for v in t.created.values()}
    engine = create_engine(url)
    with engine.connect() as conn:
        rows, distinct = conn.execute(text("SELECT count(*), count(DISTINCT id) FROM patrol")).one()
        stored = {str(i) for i in conn.execute(text("SELECT id FROM patrol")).scalars()}
        raws = conn.execute(text("SELECT count(*) FROM patrol_raw")).scalar_one()
        # partitioned by month since 0012: each new month an upload brings makes partitions
        # under a lock on the parent tables (clients spread their patrols over years)
        months = conn.execute(
            text("SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('patrol')")
        ).scalar_one()
    engine.dispose()
    lost = acknowledged - stored
    extra = stored - acknowledged
    print(
        f"[{label}] database: {rows} patrols ({distinct} distinct), {raws} raw uploads kept; "
        f"acknowledged {len(acknowledged)}; lost {len(lost)}, unacknowledged extra {len(extra)}"
        + (f"; {months} month partitions of patrol" if months else "")
    )
    return not lost and not extra and rows == distinct == raws == len(acknowledged)


@dataclass
class Run:
    """One server's run: its code (``env``: today's, or an earlier tree on PYTHONPATH), its
    own scratch database at its own schema, its chiefs' tokens there, what it answered."""

    label: str
    url: str
    tokens: dict[str, str]
    env: dict[str, str]
    tallies: list[Tally] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def prepare_before(revision: str, tree: Path, url: str, chiefs: list[str]) -> dict[str, str]:
    """The earlier revision's scratch database, prepared by its own code in a subprocess
    (its migrations, sample, zoning, users): the same chiefs' tokens there."""
    t0 = time.perf_counter()
    with PathWorker(revision, tree) as worker:
        prepared = worker.call("prepare", url, chiefs)
    print(
        f"[{revision}] prepared its own scratch database at its schema {prepared['schema']} "
        f"(today's: {schema_head(MIGRATIONS)}), {len(prepared['tokens'])} chief accounts in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return prepared["tokens"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chiefs", type=int, default=10)
    parser.add_argument(
        "--before",
        default=BEFORE,
        help=f"git revision to run side by side (default {BEFORE}; 'none': today's only)",
    )
    parser.add_argument("--before-first", action="store_true", help="run REV's server first")
    parser.add_argument(
        "--recent",
        action="store_true",
        help="each chief's patrols in consecutive 3-hour slots (a run covers a month or two, "
        "as phones uploading recent patrols); default: clients spread over years, so today's "
        "partitioned tables get many new months during the run",
    )
    args = parser.parse_args()
    if args.before.lower() == "none":
        args.before = None
    print(f"machine load (1, 5, 15 min) at the start: {_load()}")

    base_url = database_url(get_settings())
    url = with_database(base_url, f"gis_service_load_{os.getpid()}")
    before_url = with_database(base_url, f"gis_service_load_{os.getpid()}_before")
    scratch = Path(tempfile.mkdtemp(prefix="gis-before-"))
    try:
        return _compare(args, url, before_url, scratch)
    except RevisionError as exc:  # the earlier revision could not be extracted or run
        print(f"FAIL: {exc}", file=sys.stderr)
        return 2
    finally:  # also on failure: no scratch database or tree left behind
        for name in (url, before_url):
            admin.drop_database(name)
        shutil.rmtree(scratch, ignore_errors=True)


def _compare(args: argparse.Namespace, url: str, before_url: str, scratch: Path) -> int:
    tree = extract_tree(args.before, scratch / "tree") if args.before else None  # fails first
    t0 = time.perf_counter()
    tokens, tracks = prepare(url, args.chiefs)
    print(
        f"[today] prepared scratch database, {len(tokens)} chief accounts in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    runs = [Run("today", url, tokens, {})]
    if tree is not None:
        old_tokens = prepare_before(args.before, tree, before_url, sorted(tokens))
        runs.append(Run(args.before, before_url, old_tokens, {"PYTHONPATH": str(tree)}))
        if args.before_first:  # the order, to tell the code from the machine's drift
            runs.reverse()
    figures = {run.label: serve_and_load(run, tracks, args) for run in runs}
    if tree is not None:
        today, before = figures["today"], figures[args.before]
        print(
            f"today against {args.before}: throughput {today[0] / before[0]:.2f}x, "
            f"p95 {before[1] * 1000:.0f} -> {today[1] * 1000:.0f} ms, "
            f"p99 {before[2] * 1000:.0f} -> {today[2] * 1000:.0f} ms"
        )
    print(f"machine load (1, 5, 15 min) at the end: {_load()}")
    ok = True
    for run in runs:  # each run's own database holds exactly what its server acknowledged
        ok = check_database(run.url, run.tallies, run.label) and ok
        for line in run.errors[:10]:
            print(f"   [{run.label}]", line)
        ok = ok and not run.errors
    print("PASS: nothing lost, nothing duplicated" if ok else "FAIL")
    return 0 if ok else 1


def serve_and_load(
    run_: Run, tracks: dict[str, list[dict]], args: argparse.Namespace
) -> tuple[float, float, float]:
    """Start a server, run the sequential baseline and the concurrent clients against it;
    (throughput, p95, p99) of the concurrent run."""
    port = _free_port()
    label, tokens = run_.label, run_.tokens
    env = {**os.environ, "DATABASE_URL": run_.url, **run_.env}
    # the server's log, read when it fails to start (a pipe nobody reads fills and blocks it)
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gis-service"),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            else:
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                raise SystemExit(f"[{label}] the server did not start:\n" + "\n".join(tail))
            shift = 0  # each server has its own database: both get the same uploads
            slots: Counter[str] | None = Counter() if args.recent else None
            baseline, b_elapsed = asyncio.run(
                run(base, tokens, tracks, 1, args.baseline_seconds, shift, 1, slots, 40.0)
            )
            b_rate = report(f"[{label}] baseline, 1 sequential client", baseline, b_elapsed)
            tally, elapsed = asyncio.run(
                run(
                    base,
                    tokens,
                    tracks,
                    args.clients,
                    args.seconds,
                    shift + (5_000_000 if slots is None else 0),  # slots go on from the baseline
                    2,
                    slots,
                    server_pid=server.pid,
                )
            )
            rate = report(f"[{label}] {args.clients} concurrent clients", tally, elapsed)
            if tally.cpu is not None:
                print(f"  {tally.cpu.line(len(tally.latencies))}")
            print(
                f"throughput ratio concurrent / sequential: {rate / b_rate:.2f}x "
                f"({args.workers} server workers on {os.cpu_count()} cores, client in-process; "
                f"ingest processes per worker: {os.environ.get('GIS_INGEST_PROCESSES', 'serve')}"
                "'s default where the revision has them)"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    run_.tallies += [baseline, tally]
    run_.errors += baseline.errors + baseline.retries_bad + tally.errors + tally.retries_bad
    lat = sorted(tally.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    return rate, q[94], q[98]


if __name__ == "__main__":
    sys.exit(main())
