"""A signboard's public page in Chromium: it opens from the app alone (no request leaves
it), a member of the public fills in the report form with a photo and sends it, and the
office finds the report in its problem list as a report from the public (群众举报).

Uses the Chromium harness of ``test_browser`` (Debian's chromium over the DevTools
protocol); the app runs in a thread on a free port against the test database."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from PIL import Image

from gis_service.api.app import create_app
from gis_service.services import signboards as svc
from tests.maps import test_browser as harness
from tests.maps.test_browser import CDP, _problems, _screenshot
from tests.signboard_fixtures import WATER, drop_stream, make_stream

# the harness's fixtures: Debian's chromium, one browser per test
chromium = harness.chromium
browser = harness.browser


@pytest.fixture(scope="module")
def board_server(engine, sample_loaded) -> Iterator[tuple[str, dict]]:
    with engine.begin() as conn:
        info = make_stream(conn)
        path = Path(tempfile.mkdtemp()) / "boards.csv"
        path.write_text(
            "code,name,lon,lat,water_body_code\n"
            f"TB-W1,测试河村段公示牌,{info['x0']},{info['y0'] + 60 * info['deg']:.8f},{WATER}\n",
            encoding="utf-8",
        )
        svc.import_signboards(conn, path, today=dt.date(2026, 11, 30), tolerance_m=300)
    try:
        app = create_app(engine)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}", info
        server.should_exit = True
        thread.join(10)
    finally:
        with engine.begin() as conn:
            drop_stream(conn)


def _node(cdp: CDP, selector: str) -> int:
    root = cdp.call("DOM.getDocument")["root"]["nodeId"]
    return cdp.call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]


def test_report_a_problem_from_a_board_page(board_server, browser, tokens, tmp_path):
    origin, info = board_server
    cdp = browser
    cdp.call("DOM.enable")
    cdp.events.clear()
    cdp.call("Page.navigate", url=f"{origin}/boards/TB-W1")
    cdp.wait_for("document.readyState === 'complete' && !!document.getElementById('report-form')")
    assert "村段长丁" in cdp.evaluate("document.getElementById('chiefs').innerText")
    assert "测试河W" in cdp.evaluate("document.getElementById('stretch').innerText")

    photo = tmp_path / "river.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    cdp.call("DOM.setFileInputFiles", files=[str(photo)], nodeId=_node(cdp, "#photo"))
    lat = info["y0"] + 0.0005
    cdp.evaluate(
        "(function () { var f = document.getElementById('report-form');"
        "f.text.value = '桥下有人倾倒建筑垃圾'; f.category.value = 'dumping';"
        f"f.lon.value = '{info['x0']}'; f.lat.value = '{lat:.6f}';"
        "document.getElementById('submit').click(); })()"
    )
    cdp.wait_for("document.getElementById('result').className === 'ok'")
    message = cdp.evaluate("document.getElementById('result').innerText")
    assert message.startswith("举报已受理")
    _screenshot(cdp, "signboard-report.png")
    remote, errors = _problems(cdp, origin)
    assert remote == [], remote  # the page asked nothing of anyone but the app
    assert errors == [], errors

    # the office's problem list: a report from the public on the board's river
    request = urllib.request.Request(
        f"{origin}/collections/problems/items?water_body={WATER}&limit=50",
        headers={"Authorization": f"Bearer {tokens['office']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        features = json.load(answer)["features"]
    public = [f for f in features if f["properties"]["source"] == "public"]
    assert len(public) == 1
    props = public[0]["properties"]
    assert props["source_label"] == "群众举报" and props["category"] == "dumping"
    assert props["description"] == "桥下有人倾倒建筑垃圾"
    assert message.split("编号 ")[1][:8] == public[0]["id"][:8]
    assert public[0]["geometry"]["coordinates"][1] == pytest.approx(lat, abs=1e-6)
    # the photo as the browser sent it (a JPEG), kept with the report
    photo_request = urllib.request.Request(
        f"{origin}{props['photo_ref']}",
        headers={"Authorization": f"Bearer {tokens['office']}"},
    )
    with urllib.request.urlopen(photo_request, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "image/jpeg"
        assert answer.read() == photo.read_bytes()
