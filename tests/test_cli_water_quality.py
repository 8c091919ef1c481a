"""``gis-service water-quality propose|import-sections|import-samples|assess|map``."""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.cli import app

runner = CliRunner()


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
        conn.execute(text("DELETE FROM monitoring_section WHERE code LIKE 'CLI-%'"))


def test_propose_import_assess_and_map(cli_db, tmp_path):
    proposed = tmp_path / "proposed.csv"
    result = runner.invoke(
        app, ["water-quality", "propose", "--out", str(proposed), "--level", "township"]
    )
    assert result.exit_code == 0, result.output
    with proposed.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["joint_section_id"] for r in rows)
    rows[0].update(code="CLI-1", name="镇界断面", target_class="Ⅲ")
    sections = tmp_path / "sections.csv"
    with sections.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(rows[0])
    result = runner.invoke(app, ["water-quality", "import-sections", str(sections)])
    assert result.exit_code == 0, result.output
    assert "1 inserted" in result.output
    assert "columns not used: water_body, upstream, downstream" in result.output

    samples = tmp_path / "samples.csv"
    samples.write_text(
        "断面编码,采样日期,氨氮\nCLI-1,2027-03-03,0.9\nCLI-1,2027-04-03,1.6\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["water-quality", "import-samples", str(samples)])
    assert result.exit_code == 0, result.output
    assert "2 class(es) computed" in result.output

    book = tmp_path / "wq.xlsx"
    result = runner.invoke(
        app,
        ["water-quality", "assess", "--from", "2027-03", "--to", "2027-04", "--xlsx", str(book)],
    )
    assert result.exit_code == 0, result.output
    # 0.9 mg/L 氨氮 is Ⅲ (meets, +100,000); 1.6 is Ⅴ (fails, -100,000)
    # (the sample's own sections of the same township have no 2027 data: no_data, 0 yuan)
    assert re.search(r"\t2027-03\t1\t0\t\d+\t\+100,000", result.output), result.output
    assert re.search(r"\t2027-04\t0\t1\t\d+\t-100,000", result.output), result.output
    assert load_workbook(book).sheetnames == ["区域汇总", "断面逐月", "规则"]

    page = tmp_path / "wq.html"
    result = runner.invoke(
        app, ["water-quality", "map", "--month", "2027-04", "--out", str(page), "--basemap", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "#fd8d3c" in page.read_text(encoding="utf-8")  # Ⅴ orange


def test_a_bad_month_is_a_clean_error(cli_db):
    result = runner.invoke(app, ["water-quality", "assess", "--from", "2026-3", "--to", "2026-04"])
    assert result.exit_code == 2
    assert "--from '2026-3' is not a month YYYY-MM" in result.output
