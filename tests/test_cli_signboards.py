"""``gis-service signboards import|list|reprint|qr``."""

from __future__ import annotations

import csv
import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from gis_service.cli import app
from tests.signboard_fixtures import WATER, drop_stream, make_stream

runner = CliRunner()


@pytest.fixture
def cli_db(monkeypatch, db_url, engine, sample_loaded):
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("GIS_BASE_URL", raising=False)
    get_settings.cache_clear()
    get_engine.cache_clear()
    with engine.begin() as conn:
        info = make_stream(conn)
    yield info
    get_settings.cache_clear()
    get_engine.cache_clear()
    with engine.begin() as conn:
        drop_stream(conn)


def test_import_list_reprint_and_qr(cli_db, tmp_path):
    s = cli_db
    boards = tmp_path / "boards.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {
                "code": code,
                "name": name,
                "water_body_code": WATER,
                "printed_on": "2026-03-01",
            },
            "geometry": {"type": "Point", "coordinates": [s["x0"] + dx, s["y0"] + dy * s["deg"]]},
        }
        for code, name, dx, dy in (("TB-Q1", "一号牌", 0.0, 60), ("TB-Q 2", "二号牌", 0.002, -40))
    ]
    boards.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    result = runner.invoke(app, ["signboards", "import", str(boards)])
    assert result.exit_code == 0, result.output
    assert "2 signboards read, 2 inserted" in result.output
    assert "2 matched to the nearest segment within 300 m" in result.output

    listed = runner.invoke(app, ["signboards", "list", "--on", "2026-08-01", "--water", WATER])
    assert listed.exit_code == 0, listed.output
    assert "2 board(s), 2 to reprint" in listed.output and "村段长丁" in listed.output

    reprint = runner.invoke(app, ["signboards", "reprint", "--on", "2026-08-01"])
    assert reprint.exit_code == 0, reprint.output
    assert "已不在任 no longer in post: 村级河段长 村段长丙" in reprint.output
    assert "未列入 not printed: 村级河段长 村段长丁" in reprint.output
    early = runner.invoke(app, ["signboards", "reprint", "--on", "2026-05-01"])
    assert "TB-Q1" not in early.output

    # QR codes: refused without a public address, then written and read back
    out = tmp_path / "qr"
    refused = runner.invoke(app, ["signboards", "qr", "--out", str(out)])
    assert refused.exit_code != 0 and "--base-url" in refused.output
    bad = runner.invoke(app, ["signboards", "qr", "--out", str(out), "--format", "gif",
                              "--base-url", "https://gis.example"])  # fmt: skip
    assert bad.exit_code != 0 and "png, svg" in bad.output
    result = runner.invoke(
        app,
        ["signboards", "qr", "--out", str(out), "--base-url", "https://gis.example/hz/",
         "--water", WATER],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 QR code(s) (png)" in result.output
    with (out / "index.csv").open(encoding="utf-8-sig") as handle:
        rows = {r["code"]: r for r in csv.DictReader(handle)}
    assert rows["TB-Q 2"]["url"] == "https://gis.example/hz/boards/TB-Q%202"
    assert rows["TB-Q 2"]["file"] == "TB-Q_2.png"
    zxingcpp = pytest.importorskip("zxingcpp")
    decoded = zxingcpp.read_barcodes(Image.open(out / "TB-Q_2.png"))
    assert [d.text for d in decoded] == ["https://gis.example/hz/boards/TB-Q%202"]
    svg_args = ["--out", str(tmp_path / "svg"), "--format", "svg", "--water", WATER]
    svg = runner.invoke(app, ["signboards", "qr", *svg_args, "--base-url", "https://gis.example"])
    assert svg.exit_code == 0, svg.output
    assert (tmp_path / "svg" / "TB-Q1.svg").read_text("utf-8").startswith("<?xml")


def test_import_refusal_is_named(cli_db, tmp_path):
    s = cli_db
    path = tmp_path / "b.csv"
    path.write_text(f"code,lon,lat,water_body_code\nTB-F,{s['x0']},{s['y0'] + 0.01},{WATER}\n")
    result = runner.invoke(app, ["signboards", "import", str(path), "--tolerance", "200"])
    assert result.exit_code != 0
    assert "line 2: no river segment on water TSB-W within 200 m" in result.output
