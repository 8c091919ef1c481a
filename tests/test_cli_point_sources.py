"""``gis-service points import-points|import-posts|roster|audit|map``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.cli import app

runner = CliRunner()
REGION = "450521"


@pytest.fixture
def cli_db(monkeypatch, db_url, engine, sample_loaded):
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM responsibility_point WHERE code LIKE 'CPT-%'"))
        conn.execute(text("DELETE FROM chief WHERE id LIKE 'CPX-%'"))


def test_geojson_points_posts_roster_audit_map(cli_db, tmp_path):
    points = tmp_path / "points.geojson"
    points.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "编码": "CPT-1",
                            "名称": "一号泵站",
                            "类型": "泵站",
                            "所属行政区": REGION,
                        },
                        "geometry": {"type": "Point", "coordinates": [109.2, 21.7]},
                    },
                    {
                        "type": "Feature",
                        "properties": {
                            "编码": "CPT-2",
                            "名称": "线",
                            "类型": "点源",
                            "所属行政区": REGION,
                        },
                        "geometry": {"type": "LineString", "coordinates": [[109, 21], [109.1, 21]]},
                    },
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["points", "import-points", str(points)])
    assert refused.exit_code == 2
    assert "feature 2: expected a point, got LineString" in refused.output
    data = json.loads(points.read_text(encoding="utf-8"))
    data["features"].pop()
    points.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = runner.invoke(app, ["points", "import-points", str(points)])
    assert done.exit_code == 0, done.output
    assert "1 inserted" in done.output

    posts = tmp_path / "posts.csv"
    posts.write_text(
        "人员编号,姓名,职责,点位编码,起始日期\nCPX-1,泵长丙,泵长,CPT-1,2026-01-01\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["points", "import-posts", str(posts)])
    assert done.exit_code == 0, done.output

    roster = runner.invoke(app, ["points", "roster", "--on", "2026-06-01", "--region", REGION])
    assert "CPT-1\t一号泵站\t泵站\t泵长\tCPX-1 泵长丙" in roster.output

    audit = runner.invoke(
        app,
        ["points", "audit", "--region", REGION, "--period", "2026-05", "--as-of", "2026-06-01"],
    )
    assert audit.exit_code == 0, audit.output
    assert "2026-05\tCPT-1 一号泵站\tCPX-1 泵长丙\t0/1\t未达标" in audit.output

    page = tmp_path / "points.html"
    done = runner.invoke(
        app, ["points", "map", "--out", str(page), "--region", REGION, "--basemap", "none"]
    )
    assert done.exit_code == 0, done.output
    assert "gis-point-source" in page.read_text(encoding="utf-8")
