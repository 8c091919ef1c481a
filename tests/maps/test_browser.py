"""The maps in a real browser: Debian's Chromium, headless, driven over the DevTools protocol.

The app runs in a thread (uvicorn, a free port, the test database) and serves the maps in
offline mode; the browser must draw the expected features, show the legend and the layer
control, log no error and send no request anywhere but to the app. Screenshots go to
``test-output/``. A tiny WebSocket client (RFC 6455, stdlib only) speaks CDP.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
import uvicorn
from sqlalchemy import Connection, text

from gis_service.api.app import create_app
from gis_service.api.deps import get_connection
from gis_service.services.audit import gaps_geojson, run_audit
from tests.maps.test_maps_api import AS_OF, ingest_tracks, patrol_with_dropped_points

OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
REGION = "450521"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--mute-audio",
]


def _chromium() -> str | None:
    """Debian's chromium; installed here when missing and we may (root with apt-get)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        return shutil.which("chromium")
    return None


# -- a minimal CDP client ------------------------------------------------------------------------


class CDP:
    """Chrome DevTools Protocol over one WebSocket; events are kept in ``events``."""

    def __init__(self, ws_url: str) -> None:
        url = urlsplit(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(4096)
        head, self._buf = buf.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self._id = 0
        self.events: list[dict] = []

    def _send(self, opcode: int, data: bytes) -> None:
        header = bytearray([0x80 | opcode])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(bytes(header) + mask + masked)

    def _exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _receive(self) -> dict:
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            payload = self._exact(n)
            opcode = b0 & 0x0F
            if opcode == 0x9:  # ping
                self._send(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the connection")
            message += payload
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self._send(0x1, json.dumps({"id": self._id, "method": method, "params": params}).encode())
        while True:
            msg = self._receive()
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(expression)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _chromium()
    if path is None:
        pytest.skip(
            "chromium is not installed and cannot be installed here (not root or no apt-get): "
            "sudo apt-get install chromium fonts-noto-cjk"
        )
    return path


@pytest.fixture(scope="module")
def app_server(engine, sample_loaded, sample_tracks) -> Iterator[tuple[str, Connection]]:
    """The app on a free port, reading the test database through one connection (in a
    transaction holding one township's patrols, rolled back afterwards)."""
    with engine.connect() as conn:
        transaction = conn.begin()
        ingest_tracks(conn, sample_tracks, "450521107")
        lock = threading.Lock()

        def shared() -> Iterator[Connection]:
            with lock:
                yield conn

        app = create_app(engine)
        app.dependency_overrides[get_connection] = shared
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
        yield f"http://127.0.0.1:{port}", conn
        server.should_exit = True
        thread.join(10)
        transaction.rollback()


@pytest.fixture
def browser(chromium) -> Iterator[CDP]:
    profile = tempfile.mkdtemp(prefix="chromium-")
    proc = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1400,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        stderr = proc.stderr
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = stderr.readline()
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
            elif not line and proc.poll() is not None:
                break
        assert port, "chromium did not open its DevTools port"
        threading.Thread(target=stderr.read, daemon=True).start()  # keep the pipe drained
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [p for p in json.load(r) if p["type"] == "page"]
        cdp = CDP(pages[0]["webSocketDebuggerUrl"])
        for domain in ("Page", "Network", "Runtime", "Log"):
            cdp.call(f"{domain}.enable")
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield cdp
        cdp.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _open(cdp: CDP, url: str) -> None:
    cdp.events.clear()
    cdp.call("Page.navigate", url=url)
    cdp.wait_for("document.readyState === 'complete' && typeof L !== 'undefined'")


def _problems(cdp: CDP, origin: str) -> tuple[list[str], list[str]]:
    """Requests that left the app, and errors (console, exceptions, log, failed loads)."""
    cdp.evaluate("1")  # a round trip: the events sent before it are read
    requests = [
        e["params"]["request"]["url"]
        for e in cdp.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    remote = [u for u in requests if not u.startswith((origin, "data:", "about:", "blob:"))]
    errors = []
    for e in cdp.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            errors.append(json.dumps(params["args"], ensure_ascii=False)[:300])
        elif method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params["exceptionDetails"], ensure_ascii=False)[:300])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            if not params["entry"].get("url", "").endswith("/favicon.ico"):
                errors.append(params["entry"]["text"])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            errors.append(f"load failed: {params.get('errorText')}")
    return remote, errors


def _screenshot(cdp: CDP, name: str) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    data = cdp.call("Page.captureScreenshot", format="png")["data"]
    path = OUTPUT / name
    path.write_bytes(base64.b64decode(data))
    return path


def test_coverage_map_in_chromium(app_server, browser):
    origin, conn = app_server
    report = run_audit(conn, REGION, "2026-Q3", as_of=AS_OF, timezone="Asia/Shanghai")
    village = [
        t for t in report["targets"] if t["target_type"] == "segment" and t["level"] == "village"
    ]
    gap_count = sum(len(t["gaps"]) for t in village)
    url = f"{origin}/maps/coverage?region={REGION}&period=2026-Q3&as_of=2026-10-15"
    _open(browser, url + "&basemap=none&offline=true")
    drawn = browser.wait_for(
        "(function () { var n = document.querySelectorAll('path.gis-segment').length;"
        " return n > 0 ? n : null; })()"
    )
    assert drawn == len(village) > 0
    assert browser.evaluate("document.querySelectorAll('path.gis-gap').length") == gap_count > 0
    # the same, counted by walking the Leaflet map's layers in the page
    walked = browser.evaluate(
        "(function () {"
        "  var map = Object.keys(window).filter(function (k) { return /^map_/.test(k); })"
        "    .map(function (k) { return window[k]; })"
        "    .filter(function (v) { return v instanceof L.Map; })[0];"
        "  var n = 0;"
        "  map.eachLayer(function (l) {"
        "    if (l.options && /gis-segment/.test(l.options.className || '')) { n++; } });"
        "  return n; })()"
    )
    assert walked == len(village)
    legend = browser.evaluate("document.querySelector('.gis-legend').innerText")
    assert "河段覆盖率" in legend and "未巡河段" in legend
    overlays = browser.evaluate(
        "document.querySelectorAll('.leaflet-control-layers-overlays label').length"
    )
    assert overlays >= 5
    assert browser.evaluate("document.querySelector('.leaflet-control-search') !== null")
    assert browser.evaluate("document.querySelector('.leaflet-control-measure') !== null")
    _screenshot(browser, "coverage_map.png")
    # a popup names the chief, the level and the coverage
    browser.evaluate(
        "(function () { var p = document.querySelector('path.gis-segment');"
        " p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 1, clientY: 1})); })()"
    )
    popup = browser.wait_for(
        "(function () { var p = document.querySelector('.leaflet-popup-content');"
        " return p ? p.innerText : null; })()"
    )
    assert "河长" in popup and "层级" in popup and "覆盖率" in popup
    remote, errors = _problems(browser, origin)
    assert remote == [], remote
    assert errors == [], errors


def test_coverage_map_vector_tiles_in_chromium(app_server, browser):
    origin, _ = app_server
    url = f"{origin}/maps/coverage?region={REGION}&period=2026-Q3&as_of=2026-10-15"
    _open(browser, url + "&basemap=none&offline=true&tiles=true")
    # VectorGrid draws each tile as an SVG; wait until some segments are on the map
    browser.wait_for(
        "document.querySelectorAll('.leaflet-tile-container svg path, "
        ".leaflet-pane svg.leaflet-tile path').length > 0"
    )
    time.sleep(0.5)
    # leaflet-search's index of the segments is on the map but draws nothing: no pin images
    # (the problems layer's markers and clusters are <div> icons)
    assert browser.evaluate("document.querySelectorAll('img.leaflet-marker-icon').length") == 0
    tile_responses = [
        e["params"]["response"]
        for e in browser.events
        if e.get("method") == "Network.responseReceived"
        and "/tiles/" in e["params"]["response"]["url"]
    ]
    assert tile_responses and all(r["status"] == 200 for r in tile_responses)
    assert all(r["mimeType"] == "application/vnd.mapbox-vector-tile" for r in tile_responses)
    _screenshot(browser, "coverage_map_tiles.png")
    remote, errors = _problems(browser, origin)
    assert remote == [] and errors == [], (remote, errors)


def test_patrol_playback_in_chromium(app_server, browser, tokens):
    origin, conn = app_server
    patrol_id, dropped = patrol_with_dropped_points(conn)
    # tracks are personal data: the office's token, as a link would carry it
    token = tokens["office"]
    _open(
        browser,
        f"{origin}/maps/patrols/{patrol_id}?basemap=none&offline=true&access_token={token}",
    )
    assert browser.wait_for("document.querySelectorAll('path.gis-dropped').length") == dropped
    assert browser.evaluate("document.querySelector('.leaflet-control-timecontrol') !== null")
    # step the playback to the end: the head of the track moves with the time
    moved = browser.evaluate(
        "(function () {"
        "  var map = Object.keys(window).map(function (k) { return window[k]; })"
        "    .filter(function (v) { return v instanceof L.Map; })[0];"
        "  var td = map.timeDimension, times = td.getAvailableTimes();"
        "  td.setCurrentTime(times[times.length - 1]);"
        "  return times.length; })()"
    )
    assert moved > 10
    _screenshot(browser, "patrol_map.png")
    remote, errors = _problems(browser, origin)
    assert remote == [] and errors == [], (remote, errors)


# a region, river and chief name an intruder could import: each of its parts runs script
# when a page puts it into HTML unescaped (an image's error handler, a closed <script>)
HOSTILE = (
    '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
    "</script><script>window.__xss=(window.__xss||0)+1</script>"
)
# every feature's popup and tooltip opened, and leaflet-search's list filled
_OPEN_EVERYTHING = """
(function () {
  var map = Object.keys(window).map(function (k) { return window[k]; })
    .filter(function (v) { return v instanceof L.Map; })[0];
  var n = 0;
  map.eachLayer(function (l) {
    if (!l.feature) { return; }
    var at = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
    l.fire('click', {latlng: at, layer: l}, true);
    l.fire('mouseover', {latlng: at, layer: l}, true);
    n++;
  });
  var input = document.querySelector('.leaflet-control-search input');
  if (input) {
    input.value = '<img';
    input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, keyCode: 71}));
  }
  return n;
})()
"""


def test_hostile_names_run_no_script_in_any_map(app_server, browser, tokens):
    """Stored XSS (issue 16, defect 5): names are escaped in popups, tooltips and titles."""
    origin, conn = app_server
    patrol_id, _ = patrol_with_dropped_points(conn)
    savepoint = conn.begin_nested()
    try:
        conn.execute(text("UPDATE admin_region SET name = :h || name"), {"h": HOSTILE})
        conn.execute(text("UPDATE water_body SET name = :h || name"), {"h": HOSTILE})
        conn.execute(text("UPDATE chief SET name = :h || name"), {"h": HOSTILE})
        token = tokens["office"]
        pages = {
            "coverage": f"/maps/coverage?region={REGION}&period=2026-Q3&as_of=2026-10-15",
            "river": "/maps/rivers/R4505-01?",
            "patrol": f"/maps/patrols/{patrol_id}?access_token={token}",
        }
        for name, path in pages.items():
            _open(browser, f"{origin}{path}&basemap=none&offline=true")
            opened = browser.evaluate(_OPEN_EVERYTHING)
            assert opened > 0, name
            time.sleep(1.0)  # image errors fire asynchronously
            assert browser.evaluate("window.__xss || 0") == 0, f"script ran in the {name} map"
            # the name is shown as text, not lost
            shown = browser.evaluate("document.body.innerText")
            assert "<img src=x" in shown, name
            _screenshot(browser, f"hostile_{name}_map.png")
            # a link's token is gone from the address bar before any script of the page runs
            assert "access_token" not in browser.evaluate("window.location.href"), name
    finally:
        savepoint.rollback()


def test_patrol_walked_in_europe_renders_in_chromium(app_server, browser, tokens):
    """Issue 14: a patrol outside the service area (Slovenia) is stored with its verdict and
    its map renders (it answered 500 when measured in a Chinese zone)."""
    import json as _json
    import uuid as _uuid

    from gis_service.services.patrols import ingest_patrol
    from tests.api.test_service_area_api import _slovenian_walk

    origin, conn = app_server
    body = _slovenian_walk(str(_uuid.uuid4()))
    stored = ingest_patrol(conn, _json.dumps(body).encode(), fmt="json", chief_id=body["chief_id"])
    assert "outside_service_area" in [r["code"] for r in stored["reasons"]]
    token = tokens["office"]
    url = f"{origin}/maps/patrols/{stored['id']}?basemap=none&offline=true&access_token={token}"
    with urllib.request.urlopen(url, timeout=30) as res:
        assert res.status == 200
    _open(browser, url)
    assert browser.wait_for("document.querySelectorAll('path.leaflet-interactive').length") > 0
    _screenshot(browser, "patrol_map_europe.png")


def _goto(cdp: CDP, url: str, ready: str, timeout: float = 30.0):
    """Open ``url`` and wait until the page's own ``ready`` expression is truthy."""
    cdp.events.clear()
    cdp.call("Page.navigate", url=url)
    cdp.wait_for("document.readyState === 'complete'")
    return cdp.wait_for(ready, timeout)


@pytest.mark.parametrize(
    ("path", "ready", "shot"),
    [
        ("/docs", "document.querySelectorAll('.swagger-ui .opblock').length", "docs.png"),
        ("/redoc", "document.querySelectorAll('.api-content h2').length", "redoc.png"),
    ],
)
def test_api_docs_render_offline_in_chromium(app_server, browser, path, ready, shot):
    """Swagger UI and ReDoc draw the operations from the app's own files: nothing else."""
    origin, _ = app_server
    operations = _goto(browser, origin + path, ready)
    assert operations > 10
    _screenshot(browser, shot)
    remote, errors = _problems(browser, origin)
    assert remote == [], remote
    assert errors == [], errors


def _click(cdp: CDP, selector: str) -> None:
    """A real click (mouse events at the element's centre), as a user would."""
    box = cdp.evaluate(
        "(function () { var e = document.querySelector(" + json.dumps(selector) + ");"
        " e.scrollIntoView({block: 'center'}); var r = e.getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    cdp.call("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
    for kind in ("mousePressed", "mouseReleased"):
        cdp.call(
            "Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1
        )
    time.sleep(0.2)  # a person does not click twice within a double-click interval


def _hidden(cdp: CDP, selector: str) -> bool:
    return cdp.evaluate(
        "(function () { var e = document.querySelector(" + json.dumps(selector) + ");"
        " return e !== null && getComputedStyle(e).display === 'none'; })()"
    )


def test_portal_to_a_gap_and_its_chief_in_chromium(app_server, browser, monkeypatch):
    """Issue 18's walk: portal, region, period, coverage map, a gap's chief, a chief found by
    a middle part of the name, the print layout without controls. Nothing off localhost."""
    from gis_service.config import get_settings, local_today

    monkeypatch.setenv("GIS_BASEMAP", "none")  # an intranet without a tile server
    get_settings.cache_clear()
    try:
        origin, conn = app_server
        _goto(
            browser, origin + "/", "document.querySelectorAll('#region-tree a[data-region]').length"
        )
        _screenshot(browser, "portal.png")
        _click(browser, '#region-tree a[data-region="450521"]')
        browser.wait_for(
            "document.readyState === 'complete' && document.querySelector('#period') !== null"
        )
        assert "合浦县" in browser.evaluate("document.querySelector('#region-name').innerText")
        browser.evaluate(
            "(function () { window.gisOldPage = true; var s = document.querySelector('#period');"
            " s.value = '2026-Q3'; s.dispatchEvent(new Event('change')); })()"
        )
        browser.wait_for(
            "!window.gisOldPage && document.readyState === 'complete'"
            " && document.querySelector('#period') !== null"
        )
        assert browser.evaluate("document.querySelector('#period').value") == "2026-Q3"
        _screenshot(browser, "portal_region.png")
        _click(browser, "#open-coverage")
        browser.wait_for(
            "/\\/maps\\/coverage/.test(location.pathname) && document.readyState === 'complete'"
            " && typeof L !== 'undefined'"
            " && document.querySelectorAll('path.gis-gap').length > 0"
        )
        # the map's own period selector shows the period, the portal link keeps the region
        assert browser.evaluate("document.querySelector('#gis-period').value") == "2026-Q3"
        assert "region=450521" in browser.evaluate(
            "document.querySelector('#gis-portal-link').href"
        )
        report = run_audit(
            conn, REGION, "2026-Q3", as_of=local_today("Asia/Shanghai"), timezone="Asia/Shanghai"
        )
        gap_chiefs = {n for t in report["targets"] if t["gaps"] for n in t["chief_names"]}
        assert gap_chiefs
        # click a gap: its popup names the responsible chiefs and their region
        browser.evaluate(
            "(function () { var p = document.querySelector('path.gis-gap');"
            " p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 5, clientY: 5}));"
            " })()"
        )
        popup = browser.wait_for(
            "(function () { var p = document.querySelector('.leaflet-popup-content');"
            " return p ? p.innerText : null; })()"
        )
        assert "未巡长度" in popup and "行政区" in popup, popup
        assert any(name in popup for name in gap_chiefs), popup
        _screenshot(browser, "coverage_gap_popup.png")
        browser.evaluate(
            "(function () { var c = document.querySelector('.leaflet-popup-close-button');"
            " if (c) { c.click(); } })()"
        )
        # search a chief by a middle part of the name (not its start), at every level
        name = max(gap_chiefs, key=len)
        middle = name[1:-1] if len(name) >= 3 else name[1:]
        browser.evaluate("document.querySelector('.leaflet-control-search input').focus()")
        browser.call("Input.insertText", text=middle)
        browser.call(
            "Input.dispatchKeyEvent", type="keyUp", key="a", code="KeyA", windowsVirtualKeyCode=65
        )
        tips = browser.wait_for(
            "(function () { var t = Array.prototype.map.call("
            " document.querySelectorAll('.search-tooltip .search-tip'),"
            " function (e) { return e.innerText; }); return t.length ? t : null; })()"
        )
        assert any(name in tip for tip in tips), (middle, tips[:5])
        _screenshot(browser, "coverage_search.png")
        # problem clusters in the problems' colour, not markercluster's green (the ramp's)
        cluster = browser.evaluate(
            "(function () { var c = document.querySelector('.marker-cluster div');"
            " return c ? getComputedStyle(c).backgroundColor : null; })()"
        )
        assert cluster == "rgb(204, 121, 167)", cluster
        browser.evaluate("document.querySelector('.leaflet-control-search .search-cancel').click()")
        # the gap table beside the map, sorted by missing metres (largest first)
        browser.evaluate("document.querySelector('.gis-gap-table button.toggle').click()")
        assert browser.wait_for("document.querySelector('.gis-gap-table.open') !== null")
        metres = browser.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('.gis-gap-table tbody tr'),"
            " function (r) { return Number(r.cells[3].textContent); })"
        )
        # one row per gap stretch the audit draws (every level, not only the one shown)
        gap_count = len(gaps_geojson(conn, report)["features"])
        assert len(metres) == gap_count > 0 and metres == sorted(metres, reverse=True)
        _screenshot(browser, "coverage_gap_table.png")
        # the print layout: controls hidden, legend, scale, north arrow and source shown
        browser.wait_for("document.querySelector('a.gis-print-link').href.indexOf('#') < 0")
        _click(browser, "a.gis-print-link[data-paper='a4']")
        browser.wait_for(
            "/layout=print/.test(location.search) && document.readyState === 'complete'"
            " && document.body.classList.contains('gis-print')"
        )
        for selector in (
            ".leaflet-control-zoom",
            ".leaflet-control-layers",
            ".leaflet-control-search",
            ".leaflet-control-measure",
            ".gis-nav",
            ".gis-gap-table",
        ):
            assert _hidden(browser, selector), selector
        for selector in (".gis-legend", ".gis-title", ".leaflet-control-scale", ".gis-north"):
            assert not _hidden(browser, selector), selector
        assert "数据来源" in browser.evaluate("document.querySelector('.gis-source').innerText")
        _screenshot(browser, "coverage_print.png")
        # the same rules on paper, from the ordinary page
        browser.call("Emulation.setEmulatedMedia", media="print")
        assert _hidden(browser, ".leaflet-control-layers")
        browser.call("Emulation.setEmulatedMedia", media="")
        remote, errors = _problems(browser, origin)
        assert remote == [], remote
        assert errors == [], errors
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_patrol_playback_clock_in_the_configured_zone(app_server, browser, tokens):
    """The slider shows the offices' time (Asia/Shanghai), not the browser's (UTC here)."""
    import datetime as dt
    import zoneinfo

    origin, conn = app_server
    patrol_id, _ = patrol_with_dropped_points(conn)
    token = tokens["office"]
    _open(browser, f"{origin}/maps/patrols/{patrol_id}?basemap=none&access_token={token}")
    browser.wait_for("document.querySelector('.timecontrol-date') !== null")
    last = browser.evaluate(
        "(function () {"
        "  var map = Object.keys(window).map(function (k) { return window[k]; })"
        "    .filter(function (v) { return v instanceof L.Map; })[0];"
        "  var td = map.timeDimension, times = td.getAvailableTimes();"
        "  td.setCurrentTime(times[times.length - 1]);"
        "  return times[times.length - 1]; })()"
    )
    local = dt.datetime.fromtimestamp(last / 1000, dt.UTC).astimezone(
        zoneinfo.ZoneInfo("Asia/Shanghai")
    )
    shown = browser.wait_for(
        "(function () { var t = document.querySelector('.timecontrol-date').innerText;"
        " return /\\d\\d:\\d\\d:\\d\\d/.test(t) ? t : null; })()"
    )
    assert local.strftime("%Y-%m-%d %H:%M:%S") in shown and "Asia/Shanghai" in shown, shown
    # at the start the slider reads the minute the title gives, in the same zone (issue 18)
    browser.evaluate(
        "(function () {"
        "  var map = Object.keys(window).map(function (k) { return window[k]; })"
        "    .filter(function (v) { return v instanceof L.Map; })[0];"
        "  var td = map.timeDimension; td.setCurrentTime(td.getAvailableTimes()[0]); })()"
    )
    first = browser.wait_for(
        "(function () { var t = document.querySelector('.timecontrol-date').innerText;"
        " return t.indexOf("
        + json.dumps(shown[:10])
        + ") >= 0 && t !== "
        + json.dumps(shown)
        + " ? t : null; })()"
    )
    title = browser.evaluate("document.querySelector('.gis-title').innerText")
    assert f"{first.strip()[:16]} (Asia/Shanghai)" in title, (first, title)
    remote, errors = _problems(browser, origin)
    assert remote == [] and errors == [], (remote, errors)


def test_river_map_without_tiles_in_chromium(app_server, browser):
    """No tile service: region boundaries, their names and water polygons are the base."""
    origin, _ = app_server
    _open(browser, f"{origin}/maps/rivers/R4505-01?basemap=none")
    assert browser.wait_for("document.querySelectorAll('path.gis-base-region').length") > 0
    assert browser.evaluate("document.querySelectorAll('.gis-region-label').length") > 0
    _screenshot(browser, "river_map_no_tiles.png")
    remote, errors = _problems(browser, origin)
    assert remote == [] and errors == [], (remote, errors)


def _suspicious_patrol(conn, sample_tracks) -> str:
    """A planted ``jumps`` track of the sample, ingested: a suspicious patrol with a reason."""
    from gis_service.services.patrols import ingest_patrol

    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    row = next(manifest[manifest["kind"] == "jumps"].itertuples())
    stored = ingest_patrol(
        conn,
        (sample_tracks / row.file).read_bytes(),
        filename=row.file,
        chief_id=row.person_id,
        coord_system=row.coord_system,
    )
    assert stored["status"] == "suspicious", stored["reasons"]
    return str(stored["id"])


def _print_layout_hides_the_controls(cdp: CDP) -> None:
    cdp.wait_for("document.querySelector('a.gis-print-link').href.indexOf('#') < 0")
    _click(cdp, "a.gis-print-link[data-paper='a4']")
    cdp.wait_for(
        "/layout=print/.test(location.search) && document.readyState === 'complete'"
        " && document.body.classList.contains('gis-print')"
    )
    for selector in (".leaflet-control-zoom", ".leaflet-control-layers", ".gis-nav"):
        assert _hidden(cdp, selector), selector
    for selector in (".gis-legend", ".gis-title", ".gis-north"):
        assert not _hidden(cdp, selector), selector
    assert "数据来源" in cdp.evaluate("document.querySelector('.gis-source').innerText")


def test_river_and_patrol_maps_carry_the_portal_bar_and_print(
    app_server, browser, tokens, sample_tracks
):
    """Issue 18: the portal bar (links between the maps) and the print layout on the river
    map and the patrol map too; a suspicious patrol says why, in Chinese."""
    origin, conn = app_server
    # the river map: back to the portal, on to the coverage map of a county it runs through
    _open(browser, f"{origin}/maps/rivers/R4505-01?basemap=none&date=2026-08-20")
    browser.wait_for("document.querySelector('#gis-portal-link') !== null")
    links = browser.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('.gis-nav a.gis-map-link'),"
        " function (a) { return [a.innerText, a.getAttribute('href')]; })"
    )
    assert any(
        text.startswith("覆盖图") and "region=450521" in href and "period=2026-Q3" in href
        for text, href in links
    ), links
    assert "period=2026-Q3" in browser.evaluate("document.querySelector('#gis-portal-link').href")
    _screenshot(browser, "river_map_portal_bar.png")
    _print_layout_hides_the_controls(browser)
    _screenshot(browser, "river_map_print.png")
    remote, errors = _problems(browser, origin)
    assert remote == [] and errors == [], (remote, errors)
    # the coverage map the link names opens
    href = next(h for t, h in links if "region=450521" in h)
    _open(browser, origin + href + "&basemap=none")
    browser.wait_for("document.querySelectorAll('path.gis-segment').length > 0")

    savepoint = conn.begin_nested()
    try:
        patrol_id = _suspicious_patrol(conn, sample_tracks)
        token = tokens["office"]
        _open(browser, f"{origin}/maps/patrols/{patrol_id}?basemap=none&access_token={token}")
        title = browser.wait_for(
            "(function () { var t = document.querySelector('.gis-title');"
            " return t ? t.innerText : null; })()"
        )
        # the status with its reasons, in Chinese, with the figure the verdict measured
        assert "存疑" in title and "原因：" in title and "轨迹跳点" in title, title
        assert re.search(r"轨迹跳点\(\d+ 个点\)", title), title
        assert "Asia/Shanghai" in title, title
        links = browser.evaluate(
            "Array.prototype.map.call(document.querySelectorAll('.gis-nav a.gis-map-link'),"
            " function (a) { return a.getAttribute('href'); })"
        )
        assert links and all(h.startswith("/maps/rivers/") for h in links), links
        _screenshot(browser, "patrol_map_reasons.png")
        _print_layout_hides_the_controls(browser)
        assert _hidden(browser, ".leaflet-control-timecontrol")
        # the reasons stay on paper: they are the title's
        assert "轨迹跳点" in browser.evaluate("document.querySelector('.gis-title').innerText")
        _screenshot(browser, "patrol_map_print.png")
        remote, errors = _problems(browser, origin)
        assert remote == [] and errors == [], (remote, errors)
    finally:
        savepoint.rollback()


def test_unreachable_tile_server_falls_back_to_the_own_base(app_server, browser, monkeypatch):
    """A configured tile URL that does not answer (a closed port on this machine): the river
    map removes it, draws region boundaries, their names and the waters, and says so."""
    from gis_service.config import get_settings

    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    tiles = f"http://127.0.0.1:{closed}/{{z}}/{{x}}/{{y}}.png"
    monkeypatch.setenv("GIS_BASEMAP", tiles)
    get_settings.cache_clear()
    try:
        origin, _ = app_server
        _open(browser, f"{origin}/maps/rivers/R4505-01")
        notice = browser.wait_for(
            "(function () { var n = document.querySelector('.gis-basemap-notice');"
            " return n ? n.innerText : null; })()"
        )
        assert "底图服务无法访问" in notice
        assert browser.evaluate("document.querySelectorAll('path.gis-base-region').length") > 0
        assert browser.evaluate("document.querySelectorAll('path.gis-base-water').length") > 0
        assert browser.evaluate("document.querySelectorAll('.gis-region-label').length") > 0
        # the failed tile layer is gone: no grey tiles left under the base
        assert browser.evaluate("document.querySelectorAll('img.leaflet-tile').length") == 0
        _screenshot(browser, "river_map_tile_fallback.png")
        remote, errors = _problems(browser, origin)
        # the only requests off the app went to the dead tile server, and failed
        assert remote and all(u.startswith(f"http://127.0.0.1:{closed}/") for u in remote)
        assert errors and all("ERR_CONNECTION_REFUSED" in e for e in errors), errors
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
