"""Monthly partitions of the patrol tables (migration 0012): a patrol of any month is stored
in its month's partitions (made on demand, months of China Standard Time), an impossible
start is refused by name, and the store's queries by period and by chief and day read only
the period's partitions (EXPLAIN)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, text

from gis_service.db import partitions
from gis_service.errors import InputError
from gis_service.services.audit import run_audit
from gis_service.services.patrols import ingest_patrol, list_patrols

TZ = "Asia/Shanghai"
CHIEF = "P0145"


def gpx_at(
    start: dt.datetime, *, points: int = 10, lon: float = 109.2, step: float = 1e-4
) -> bytes:
    """A walk east along 21.6°N in the sample region (P0145's water) starting at ``start``
    (UTC, written with Z), a point every 20 s, ``step`` degrees apart."""
    times = [start + dt.timedelta(seconds=20 * k) for k in range(points)]
    body = "".join(
        f'<trkpt lat="21.6" lon="{lon + step * k:.6f}"><time>'
        f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for k, t in enumerate(times)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f"{body}</trkseg></trk></gpx>"
    ).encode()


def _store(conn, start: dt.datetime, name: str = "t.gpx", **kw) -> dict:
    return ingest_patrol(
        conn,
        gpx_at(start, **kw),
        filename=name,
        chief_id=CHIEF,
        now=start + dt.timedelta(hours=1),
    )


def _home(conn, table: str, column: str, patrol_id: str) -> set[str]:
    rows = conn.execute(
        text(f"SELECT DISTINCT tableoid::regclass::text FROM {table} WHERE {column} = :i"),
        {"i": patrol_id},
    ).scalars()
    return set(rows)


@pytest.mark.parametrize(
    ("start", "month"),
    [
        (dt.datetime(2015, 1, 15, 2, 0, tzinfo=dt.UTC), "y2015m01"),
        (dt.datetime(2020, 2, 29, 12, 0, tzinfo=dt.UTC), "y2020m02"),
        # 16:30 UTC on 30 June is 00:30 on 1 July in Beijing: the July partition
        (dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC), "y2026m07"),
        # 15:30 UTC on 30 June is 23:30 on 30 June in Beijing: still June
        (dt.datetime(2030, 6, 30, 15, 30, tzinfo=dt.UTC), "y2030m06"),
        (dt.datetime(2035, 12, 31, 15, 0, tzinfo=dt.UTC), "y2035m12"),
    ],
)
def test_a_patrol_of_any_month_is_stored_in_its_months_partitions(
    sample_loaded, conn, start, month
):
    result = _store(conn, start)
    assert _home(conn, "patrol", "id", result["id"]) == {f"patrol_{month}"}
    assert _home(conn, "patrol_raw", "patrol_id", result["id"]) == {f"patrol_raw_{month}"}
    assert _home(conn, "patrol_coverage", "patrol_id", result["id"]) <= {f"patrol_coverage_{month}"}
    # the month's partitions exist for all three tables, and a second patrol reuses them
    first = partitions.month_of(start)
    assert all(partitions.is_attached(conn, t, first) for t in partitions.TABLES)
    again = _store(conn, start + dt.timedelta(minutes=10), name="second.gpx", lon=109.21)
    assert _home(conn, "patrol", "id", again["id"]) == {f"patrol_{month}"}


def test_coverage_rows_are_stored_in_the_patrols_month(sample_loaded, conn):
    """A walk on P0145's water in Q3 2026 covers something; its rows are July's."""
    result = _store(conn, dt.datetime(2026, 7, 20, 1, 0, tzinfo=dt.UTC), points=60)
    homes = _home(conn, "patrol_coverage", "patrol_id", result["id"])
    assert homes == {"patrol_coverage_y2026m07"}, result["coverage"]


@pytest.mark.parametrize("year", [1850, 2250])
def test_an_impossible_start_is_refused_by_name(sample_loaded, conn, year):
    start = dt.datetime(year, 5, 1, 2, 0, tzinfo=dt.UTC)
    before = conn.execute(text("SELECT count(*) FROM patrol")).scalar()
    with pytest.raises(InputError) as refused:
        _store(conn, start, name="broken-clock.gpx")
    assert "broken-clock.gpx" in str(refused.value) and str(year) in str(refused.value)
    assert "1900 to 2199" in str(refused.value)
    assert conn.execute(text("SELECT count(*) FROM patrol")).scalar() == before
    assert not partitions.exists(conn, "patrol", dt.date(year, 5, 1))


def test_the_partition_function_refuses_what_python_would(conn):
    """The database's own guard, for writers other than the upload path."""
    with pytest.raises(Exception, match="cannot be stored"), conn.begin_nested():
        partitions.ensure_months(conn, [dt.datetime(2300, 1, 5, tzinfo=dt.UTC)])


def _relations(plan: Any) -> set[str]:
    """Every table an EXPLAIN (FORMAT JSON) plan scans."""
    found: set[str] = set()
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            found.add(plan["Relation Name"])
        for value in plan.values():
            found |= _relations(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= _relations(value)
    return found


class Captured:
    """The statements a piece of code sends on ``conn`` (as the driver gets them)."""

    def __init__(self, conn):
        self.conn = conn
        self.statements: list[tuple[str, Any]] = []

    def _grab(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((statement, parameters))

    def __enter__(self):
        event.listen(self.conn, "before_cursor_execute", self._grab)
        return self

    def __exit__(self, *exc):
        event.remove(self.conn, "before_cursor_execute", self._grab)

    def scanned(self, marker: str, **override: Any) -> list[tuple[set[str], set[str]]]:
        """Per captured statement containing ``marker`` (its parameters with ``override``):
        the tables its plan scans, and the partitions of the months its bounds reach."""
        out = []
        for statement, sent in self.statements:
            if marker not in statement:
                continue
            parameters = {**sent, **override}
            plan = self.conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
            # list_patrols names its bounds f/t (its s is the status), the audit's s/e
            lo, hi = (
                (parameters["f"], parameters["t"])
                if "f" in parameters
                else (
                    parameters.get("s"),
                    parameters.get("e"),
                )
            )
            assert lo is not None and hi is not None, statement
            out.append((_relations(plan.scalar()), _months_between(lo, hi)))
        return out


def _months_between(lo: dt.datetime, hi: dt.datetime) -> set[str]:
    """The partitions (of both tables) of every month in [lo, hi)."""
    month, last = partitions.month_of(lo), partitions.month_of(hi - dt.timedelta(microseconds=1))
    out = set()
    while month <= last:
        out |= {partitions.partition_name(t, month) for t in ("patrol", "patrol_coverage")}
        month = partitions.month_bounds(month)[1].date()
    return out


def test_queries_by_period_and_by_chief_and_day_read_only_their_partitions(sample_loaded, conn):
    """Patrols in 2024, 2025, seven months of 2026 and 2027: every patrol and coverage read
    of the Q3 2026 audit (the patrols of its rule windows, their coverage rows, the point
    posts' patrols) scans only the months of its bounds; a chief's patrols of a day only that
    day's month."""
    months = [(2026, m) for m in range(5, 12)] + [(2024, 3), (2025, 8), (2027, 2)]
    ids = [
        _store(conn, dt.datetime(y, m, 12, 1, 0, tzinfo=dt.UTC), name=f"{y}-{m}.gpx")["id"]
        for y, m in months
    ]

    with Captured(conn) as audit:
        run_audit(conn, "450500", "2026-Q3", timezone=TZ, as_of=dt.date(2026, 10, 15))
    # the coverage read asks for the counting patrols: asked for every patrol stored here
    # (our short walks do not count), it still reads only its bounds' months
    reads = audit.scanned("FROM patrol WHERE") + audit.scanned("FROM patrol_coverage WHERE", p=ids)
    assert len(reads) >= 2 and all(scanned for scanned, _ in reads)
    for scanned, reached in reads:
        assert scanned <= reached, (scanned, reached)
        assert not scanned & {"patrol_y2024m03", "patrol_y2025m08", "patrol_y2027m02"}

    with Captured(conn) as listing:
        listed = list_patrols(
            conn, timezone=TZ, chief=CHIEF, start=dt.date(2026, 8, 12), end=dt.date(2026, 8, 12)
        )
    assert [p.started_at[:10] for p in listed] == ["2026-08-12"]
    ((scanned, _),) = listing.scanned("FROM patrol")
    assert scanned == {"patrol_y2026m08"}


def test_uploads_bringing_the_same_new_month_at_once_both_store(sample_loaded, engine):
    """Four sessions upload patrols of a month without partitions at the same moment: one
    makes the partitions, the others wait for it and use them (no deadlock, no error)."""
    import threading

    month = dt.date(2031, 3, 1)
    barrier = threading.Barrier(4)
    outcomes: list[Any] = [None] * 4

    def upload(k: int) -> None:
        data = gpx_at(dt.datetime(2031, 3, 5, 1, k, tzinfo=dt.UTC), lon=109.2 + 0.01 * k)
        with engine.connect() as conn:
            barrier.wait()
            try:
                outcomes[k] = ingest_patrol(conn, data, filename=f"{k}.gpx", chief_id=CHIEF)
                conn.commit()
            except Exception as exc:  # reported below
                outcomes[k] = exc

    threads = [threading.Thread(target=upload, args=(k,)) for k in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert all(isinstance(o, dict) for o in outcomes), outcomes
        with engine.connect() as conn:
            homes = {
                conn.execute(
                    text("SELECT tableoid::regclass::text FROM patrol WHERE id = :i"),
                    {"i": o["id"]},
                ).scalar()
                for o in outcomes
            }
        assert homes == {"patrol_y2031m03"}
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM patrol WHERE started_at >= :lo AND started_at < :hi"),
                dict(zip(("lo", "hi"), partitions.month_bounds(month), strict=True)),
            )
            if partitions.is_attached(conn, "patrol", month):
                partitions.detach(conn, month)
                partitions.drop(conn, month)


def test_making_a_month_does_not_stop_readers(sample_loaded, engine):
    """While an upload that made a new month's partitions is still open, other sessions read
    the patrols (an audit, a map) without waiting: the partitions are attached, not created
    under an exclusive lock. Its raw uploads keep EXTERNAL storage (no second compression)."""
    month = dt.date(2032, 4, 1)
    with engine.connect() as maker, engine.connect() as reader:
        maker.begin()
        partitions.ensure_months(maker, [dt.datetime(2032, 4, 9, tzinfo=dt.UTC)])
        storage = maker.execute(
            text(
                "SELECT attstorage FROM pg_attribute WHERE attname = 'data' "
                "AND attrelid = to_regclass('patrol_raw_y2032m04')"
            )
        ).scalar()
        assert storage == "e"
        reader.execute(text("SET lock_timeout = '2s'"))
        counted = reader.execute(
            text("SELECT count(*) FROM patrol p JOIN patrol_coverage c ON c.patrol_id = p.id")
        ).scalar()
        assert counted is not None
        reader.rollback()
        maker.rollback()
    with engine.connect() as conn:
        assert not partitions.exists(conn, "patrol", month)


def test_an_upload_owning_its_transaction_holds_no_lock_from_making_its_month(
    sample_loaded, engine
):
    """The API's uploads own their transaction: the month they bring is made and committed
    first, so while the upload is still open (measuring, writing) other uploads are not
    locked out of the patrol tables. Inside it, the lock lasted the whole upload."""
    from gis_service.services.patrols import Upload, ingest_one

    month = dt.date(2033, 5, 1)
    start = dt.datetime(2033, 5, 7, 2, tzinfo=dt.UTC)
    try:
        with engine.connect() as maker, engine.connect() as other:
            upload = Upload(gpx_at(start), "m.gpx", CHIEF)
            ingest_one(maker, upload, now=start + dt.timedelta(hours=1), savepoint=False)
            held = maker.execute(
                text(
                    "SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = "
                    "l.relation WHERE l.pid = pg_backend_pid() AND c.relname = ANY(:t) "
                    "AND l.mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')"
                ),
                {"t": ["patrol_key", *partitions.TABLES, "problem", "patrol_archive"]},
            ).all()
            assert held == []
            # another session writes a patrol of the new month meanwhile, without waiting
            other.execute(text("SET lock_timeout = '2s'"))
            later = Upload(gpx_at(start + dt.timedelta(days=1), lon=109.25), "o.gpx", CHIEF)
            stored = ingest_one(other, later, now=start + dt.timedelta(days=2), savepoint=False)
            assert not isinstance(stored, Exception)
            other.rollback()
            maker.rollback()
    finally:
        with engine.begin() as conn:
            if partitions.is_attached(conn, "patrol", month):
                partitions.detach(conn, month)
                partitions.drop(conn, month)
