"""``patrol_key`` (migration 0014): a patrol id is unique across month partitions, the
database keeps the key with its patrol, and an upload's look-ups read no month partition.

Before 0014 the key of the partitioned ``patrol`` was (id, started_at): two racing uploads
of one UUID starting in different months were both stored."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import Engine, create_engine, text

from gis_service.db import partitions
from gis_service.db import patrol_store as store
from gis_service.services.patrols import ingest_patrol
from tests.db.test_partitions_db import gpx_at

CHIEF = "P0145"
JULY = dt.datetime(2026, 7, 10, 1, 0, tzinfo=dt.UTC)
SEPTEMBER = dt.datetime(2026, 9, 12, 1, 0, tzinfo=dt.UTC)


def _race(engine: Engine, pid: str, starts: list[dt.datetime]) -> list[object]:
    """One upload per start, all with the UUID ``pid``, released at once."""
    barrier = threading.Barrier(len(starts), timeout=60)
    out: list[object] = [None] * len(starts)

    def client(k: int, start: dt.datetime) -> None:
        try:
            with engine.connect() as c:
                body = gpx_at(start, lon=109.2 + 0.01 * k)
                barrier.wait()
                out[k] = ingest_patrol(
                    c,
                    body,
                    filename=f"{k}.gpx",
                    chief_id=CHIEF,
                    patrol_uuid=pid,
                    now=start + dt.timedelta(hours=1),
                )
                c.commit()
        except BaseException as exc:
            out[k] = exc

    threads = [threading.Thread(target=client, args=(k, s)) for k, s in enumerate(starts)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return out


def test_one_uuid_racing_into_two_months_is_stored_once(sample_loaded, db_url):
    engine = create_engine(db_url, pool_size=2)
    with engine.begin() as c:  # both months exist: the race is on the insert, not on DDL
        partitions.ensure_months(c, [JULY, SEPTEMBER])
    try:
        for _ in range(8):
            pid = str(uuid.uuid4())
            outcome = _race(engine, pid, [JULY, SEPTEMBER])
            assert not [o for o in outcome if isinstance(o, BaseException)], outcome
            with engine.begin() as c:
                stored = c.execute(
                    text("SELECT count(*) FROM patrol WHERE id = :i"), {"i": pid}
                ).scalar()
                keys = c.execute(
                    text("SELECT count(*) FROM patrol_key WHERE id = :i"), {"i": pid}
                ).scalar()
                assert (stored, keys) == (1, 1), outcome
                # one stored, the other told it is the stored one (same chief, same UUID)
                flags = sorted(o["duplicate"] for o in outcome)  # type: ignore[index]
                assert flags == [False, True], outcome
                assert {o["id"] for o in outcome} == {pid}  # type: ignore[index]
                c.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})
    finally:
        engine.dispose()


def test_the_key_follows_its_patrol(sample_loaded, conn):
    result = ingest_patrol(
        conn, gpx_at(JULY), filename="k.gpx", chief_id=CHIEF, now=JULY + dt.timedelta(hours=1)
    )
    pid = result["id"]

    def key() -> tuple | None:
        row = conn.execute(
            text(
                "SELECT chief_id, content_sha256, geometry_fingerprint, started_at, ended_at "
                "FROM patrol_key WHERE id = :i"
            ),
            {"i": pid},
        ).first()
        return None if row is None else tuple(row)

    def patrol() -> tuple:
        return tuple(
            conn.execute(
                text(
                    "SELECT chief_id, content_sha256, geometry_fingerprint, started_at, "
                    "ended_at FROM patrol WHERE id = :i"
                ),
                {"i": pid},
            ).one()
        )

    assert key() == patrol()
    conn.execute(
        text(
            "UPDATE patrol SET ended_at = ended_at + interval '1 hour', status = 'partial' "
            "WHERE id = :i"
        ),
        {"i": pid},
    )
    assert key() == patrol()
    assert store.start_of(conn, pid) == JULY
    conn.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})
    assert key() is None
    # a patrol row cannot exist without its key
    with pytest.raises(Exception, match="patrol_id_key_fkey"), conn.begin_nested():
        conn.execute(
            text(
                "INSERT INTO patrol (id, chief_id, content_sha256, geometry_fingerprint, "
                "source_format, coord_system, mode, started_at, ended_at, status) VALUES "
                "(:i, :c, 'x', 'f', 'gpx', 'wgs84', 'walk', :s, :s, 'valid')"
            ),
            {"i": pid, "c": CHIEF, "s": JULY},
        )


def test_an_uploads_look_ups_plan_no_month_partition(sample_loaded, conn):
    """The prefetch's patrol look-ups read patrol_key only, however many months exist."""
    partitions.ensure_months(
        conn, [dt.datetime(2024 + m // 12, m % 12 + 1, 5, tzinfo=dt.UTC) for m in range(30)]
    )
    pid = uuid.uuid4()
    query = store.ContextQuery(CHIEF, "f" * 64, JULY, JULY + dt.timedelta(hours=1), pid)
    for sql, params in (
        (store._LOOKUP_SQL, store._lookup_params([(CHIEF, pid, "h" * 64)])),
        (store._CONTEXTS_SQL, store._contexts_params([query], "Asia/Shanghai")),
    ):
        plan = "\n".join(conn.execute(text("EXPLAIN " + sql), params).scalars())
        assert "patrol_key" in plan
        assert "patrol_y" not in plan, plan


def test_a_patrol_moved_to_another_month_keeps_its_key(sample_loaded, conn):
    """An update of the start across a month edge is a delete and an insert to PostgreSQL:
    the key stays, with the new start."""
    pid = ingest_patrol(
        conn, gpx_at(JULY), filename="m.gpx", chief_id=CHIEF, now=JULY + dt.timedelta(hours=1)
    )["id"]
    partitions.ensure_months(conn, [SEPTEMBER])
    for table in ("patrol_raw", "patrol_coverage"):  # they refer to (id, start)
        conn.execute(text(f"DELETE FROM {table} WHERE patrol_id = :i"), {"i": pid})
    conn.execute(
        text("UPDATE patrol SET started_at = :s, ended_at = :s + interval '1 hour' WHERE id = :i"),
        {"s": SEPTEMBER, "i": pid},
    )
    assert store.start_of(conn, pid) == SEPTEMBER
    assert (
        conn.execute(text("SELECT count(*) FROM patrol_key WHERE id = :i"), {"i": pid}).scalar()
        == 1
    )
