"""Patrol uploads over HTTP: files and the app's JSON body, idempotency, clear 4xx errors."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from tests.api.bodies import app_body
from tests.conftest import bearer


@pytest.fixture(scope="module")
def client(engine, sample_loaded, tokens):
    """The office's client: it may upload for any chief (role rules: tests/api/test_access)."""
    with TestClient(create_app(engine), headers=bearer(tokens["office"])) as c:
        yield c


@pytest.fixture
def cleanup(engine):
    ids: list[str] = []
    yield ids
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patrol WHERE id::text = ANY(:i)"), {"i": ids})


_batch = app_body


def test_upload_a_gpx_file_then_read_and_list_it(client, sample_tracks, cleanup):
    path = sample_tracks / "P0145_0001.gpx"
    res = client.post(
        "/patrols", files={"file": (path.name, path.read_bytes())}, data={"chief_id": "P0145"}
    )
    assert res.status_code == 201, res.text
    body = res.json()
    cleanup.append(body["id"])
    assert body["status"] == "valid" and body["duplicate"] is False
    again = client.post(
        "/patrols", files={"file": ("renamed.gpx", path.read_bytes())}, data={"chief_id": "P0145"}
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    one = client.get(f"/patrols/{body['id']}").json()
    assert one["track"]["type"] == "MultiLineString"
    assert one["coverage"] and one["coverage"][0]["target_id"].startswith("R4505-01/")
    listed = client.get(
        "/patrols", params={"chief": "P0145", "from": "2026-07-01", "to": "2026-09-30"}
    ).json()
    assert body["id"] in {p["id"] for p in listed}


def test_json_batch_from_the_app_is_idempotent_by_uuid(client, cleanup):
    pid = str(uuid.uuid4())
    cleanup.append(pid)
    first = client.post("/patrols", json=_batch(pid))
    assert first.status_code == 201, first.text
    assert first.json()["id"] == pid
    second = client.post("/patrols", json=_batch(pid))
    assert second.status_code == 200 and second.json()["duplicate"] is True


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"lon,lat,time\nabc,21.6,2026-07-01T08:00:00\n", 400, "line 2: lon 'abc'"),
        (b'{"chief_id": "P0145", "points": []}', 400, "no points"),
        (b"lon,lat,time\n109.2,21.6,2026-07-01T08:00:00\n", 400, "no chief"),
    ],
    ids=["text-in-lon", "empty", "no-chief"],
)
def test_bad_uploads_are_4xx_with_a_message(client, body, status, message):
    res = client.post("/patrols", files={"file": ("t.csv" if b"lon," in body else "t.json", body)})
    assert res.status_code == status
    assert message in res.json()["detail"]


def test_unknown_chief_and_patrol_are_404(client):
    batch = _batch(str(uuid.uuid4())) | {"chief_id": "NOBODY"}
    assert client.post("/patrols", json=batch).status_code == 404
    assert client.get(f"/patrols/{uuid.uuid4()}").status_code == 404
    assert client.get("/patrols/not-a-uuid").status_code == 400


def test_oversized_upload_is_413(client):
    res = client.post("/patrols", content=b"x" * 20_000_001, headers={"content-type": "text/csv"})
    assert res.status_code == 413
    assert json.loads(res.text)["detail"].startswith("upload larger")


def test_offline_sync_batch_keeps_good_patrols_and_reports_bad_ones(client, cleanup):
    pid = str(uuid.uuid4())
    cleanup.append(pid)
    good = _batch(pid)
    bad = _batch(str(uuid.uuid4())) | {"points": [{"lon": "abc", "lat": 21.8, "time": 1}]}
    res = client.post("/patrols/batch", json={"patrols": [good, bad, good]})
    assert res.status_code == 200, res.text
    first, second, third = res.json()["results"]
    assert first["id"] == pid and first["duplicate"] is False
    assert second["status"] == 400 and "lon 'abc'" in second["error"]
    assert third["id"] == pid and third["duplicate"] is True  # the same patrol twice: once
    assert client.get(f"/patrols/{pid}").status_code == 200
    assert client.post("/patrols/batch", json={"patrols": []}).status_code == 400


def _kmz_of(gpx: bytes, *, timed: bool = True) -> bytes:
    """A sample track (generated) as a KMZ the way 六只脚/Google Earth export one: doc.kml
    with a gx:Track (or, untimed, a LineString), beside an icon that is never read."""
    import io
    import zipfile

    import numpy as np

    from gis_service.fileio.tracks import parse_track

    raw = parse_track(gpx, filename="t.gpx")
    when = np.datetime_as_string(raw.time.astype("datetime64[s]"), unit="s")
    pairs = list(zip(raw.lon.tolist(), raw.lat.tolist(), strict=True))
    if timed:
        body = (
            "<gx:Track>"
            + "".join(f"<when>{w}Z</when>" for w in when)
            + "".join(f"<gx:coord>{a} {b} 0</gx:coord>" for a, b in pairs)
            + "</gx:Track>"
        )
    else:
        coords = " ".join(f"{a},{b},0" for a, b in pairs)
        body = f"<LineString><coordinates>{coords}</coordinates></LineString>"
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2" '
        'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><Placemark><name>巡河</name>'
        f"{body}</Placemark></Document></kml>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", doc)
        archive.writestr("files/icon.png", b"\x89PNG")
    return buffer.getvalue()


def test_kmz_upload_gets_the_same_verdict_as_its_gpx_and_untimed_is_a_400(
    client, sample_tracks, cleanup
):
    gpx = (sample_tracks / "P0145_0001.gpx").read_bytes()
    res = client.post(
        "/patrols", files={"file": ("巡河.kmz", _kmz_of(gpx))}, data={"chief_id": "P0145"}
    )
    assert res.status_code == 201, res.text
    body = res.json()
    cleanup.append(body["id"])
    # every point of the GPX read from the KMZ (P0145 walks his short stretch: ~75 points)
    assert body["status"] == "valid" and body["summary"]["points"] == gpx.count(b"<trkpt ") > 50
    untimed = client.post(
        "/patrols",
        files={"file": ("route.kmz", _kmz_of(gpx, timed=False))},
        data={"chief_id": "P0145"},
    )
    assert untimed.status_code == 400
    assert "route.kmz" in untimed.text and "no timed track" in untimed.text
