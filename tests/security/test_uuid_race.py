"""Two chiefs sending the same patrol UUID at once (found by attack, issue 16, defect 1).

Before the fix the loser of the insert race looked the stored patrol up by id without its
owner: it was told ``duplicate`` with the other chief's patrol (track included) and its own
patrol was never stored. Now the loser always gets a conflict, in every interleaving."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import orjson
from sqlalchemy import Engine, create_engine, text

from gis_service.api.routes.patrols import outcome_json
from gis_service.errors import ConflictError
from gis_service.services.patrols import PatrolResult, Upload, ingest_patrol, ingest_patrols

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
ROUNDS = 50


def _app_body(chief: str, shift: float) -> bytes:
    """A small patrol as the phone app sends it (a walk of 60 points, 10 s apart)."""
    t0 = 1_784_000_000
    points = [
        {"lon": 109.1 + shift + k * 1e-4, "lat": 21.6, "time": t0 + 10 * k, "accuracy": 5}
        for k in range(60)
    ]
    return orjson.dumps({"chief_id": chief, "points": points})


def _race(engine: Engine, uploads: list[tuple[bytes, str]], pid: str) -> dict[str, object]:
    """Both uploads released at once by a barrier; each chief's result or exception."""
    barrier = threading.Barrier(len(uploads), timeout=60)
    outcome: dict[str, object] = {}

    def client(data: bytes, chief: str) -> None:
        try:
            with engine.connect() as c:
                barrier.wait()
                result = ingest_patrol(c, data, fmt="json", owner=chief, patrol_uuid=pid, now=NOW)
                c.commit()
                outcome[chief] = result
        except BaseException as exc:
            outcome[chief] = exc

    threads = [threading.Thread(target=client, args=u) for u in uploads]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return outcome


def test_same_uuid_from_two_chiefs_at_once_is_a_conflict_every_round(sample_loaded, db_url):
    uploads = [(_app_body("P0145", 0.0), "P0145"), (_app_body("P0203", 0.01), "P0203")]
    engine = create_engine(db_url, pool_size=2)  # one connection per client, kept across rounds
    leaks = losses = 0
    try:
        for _ in range(ROUNDS):
            pid = str(uuid.uuid4())
            outcome = _race(engine, uploads, pid)
            with engine.begin() as c:
                stored = c.execute(
                    text("SELECT chief_id FROM patrol WHERE id = :i"), {"i": pid}
                ).scalar()
                c.execute(text("DELETE FROM patrol WHERE id = :i"), {"i": pid})
            assert stored in outcome, f"nothing stored for {pid}: {outcome}"
            winner = outcome[stored]
            assert isinstance(winner, dict) and not winner["duplicate"], winner
            (loser,) = [v for k, v in outcome.items() if k != stored]
            if isinstance(loser, dict):
                # the loser was told its patrol is stored: either a leak of the other
                # chief's patrol or a lost patrol (the app never resends a duplicate)
                leaks += loser.get("chief_id") == stored
                losses += 1
            else:
                assert isinstance(loser, ConflictError), repr(loser)
                assert "already used by another chief" in str(loser)
        assert (leaks, losses) == (0, 0), f"{leaks} leaks, {losses} losses in {ROUNDS} rounds"
    finally:
        engine.dispose()


def test_a_conflict_in_a_batch_is_reported_for_that_patrol_only(sample_loaded, conn):
    """The sequential path: a patrol whose UUID another chief holds gets 409, not theirs."""
    pid = str(uuid.uuid4())
    a, b = _app_body("P0145", 0.0), _app_body("P0203", 0.01)
    first = ingest_patrols(conn, [Upload(a, fmt="json", owner="P0145", patrol_uuid=pid)], now=NOW)
    assert isinstance(first[0], PatrolResult) and str(first[0].id) == pid
    second = ingest_patrols(conn, [Upload(b, fmt="json", owner="P0203", patrol_uuid=pid)], now=NOW)
    assert len(second) == 1 and isinstance(second[0], ConflictError)
    assert str(second[0]) == f"patrol_uuid {pid} is already used by another chief's patrol"
    # the API answers it with 409 (the one table of api.errors)
    assert outcome_json(second[0]) == {
        "error": f"patrol_uuid {pid} is already used by another chief's patrol",
        "status": 409,
    }
