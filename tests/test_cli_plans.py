"""``gis-service plans import|list``."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.cli import app

runner = CliRunner()
RIVER = "R4505-01"
SEGMENT = "R4505-01/township/450521105/2"


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
        conn.execute(text("DELETE FROM river_plan WHERE name = '命令行测试方案'"))
        conn.execute(text("DELETE FROM data_import WHERE file_name = 'cli_plan.csv'"))


def test_import_then_list_overdue(cli_db, tmp_path):
    path = tmp_path / "cli_plan.csv"
    path.write_text(
        "水体编码,方案,编号,任务,任务类别,责任单位,河段,完成时限,状态,完成日期\n"
        f"{RIVER},命令行测试方案,C1,河道清淤,水环境治理,合浦县水利局,{SEGMENT},2026-03-31,进行中,\n"
        f"{RIVER},命令行测试方案,C2,岸线整治,水域岸线管理保护,市水利局,{SEGMENT},2026-03-31,"
        "已完成,2026-04-02\n"
        f"{RIVER},命令行测试方案,C3,联合执法,执法监管,市公安局,{SEGMENT},2026-12-31,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plans", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 plan tasks read, 3 inserted, 0 updated" in result.output
    result = runner.invoke(
        app, ["plans", "list", "--water", RIVER, "--overdue", "--as-of", "2026-04-01"]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("C")]
    # as of 04-01 both are one day overdue: C2 was completed only on 04-02
    assert [line.split("\t")[0] for line in lines] == ["C1", "C2"]
    assert "逾期未完成 (1 天)" in lines[0]
    result = runner.invoke(app, ["plans", "list", "--water", RIVER, "--as-of", "2026-04-05"])
    mine = {
        line.split("\t")[0]: line.split("\t")[6]
        for line in result.output.splitlines()
        if line[:2] in ("C1", "C2", "C3")
    }
    assert mine == {"C1": "逾期未完成 (5 天)", "C2": "逾期完成 (2 天)", "C3": "未到期"}


def test_bad_file_and_unknown_water_exit_2_with_the_reason(cli_db, tmp_path):
    path = tmp_path / "cli_plan.csv"
    path.write_text(
        "水体编码,编号,任务,任务类别,责任单位,河段,完成时限\n"
        f"{RIVER},C9,任务,水环境治理,某局,{SEGMENT},2026-02-29\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["plans", "import", str(path)])
    assert result.exit_code == 2
    assert "'2026-02-29' is not a calendar day" in result.output
    result = runner.invoke(app, ["plans", "list", "--water", "R9999-99"])
    assert result.exit_code == 2 and "R9999-99" in result.output
