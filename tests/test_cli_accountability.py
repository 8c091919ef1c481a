"""``gis-service accountability add|feedback|list`` against the test database."""

from __future__ import annotations

import pytest
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
        conn.execute(text("DELETE FROM accountability_record WHERE reference = 'CLI-TEST-1'"))


def test_add_feedback_list(cli_db):
    added = runner.invoke(
        app,
        ["accountability", "add", "--chief", "P0203", "--kind", "reminder",
         "--reason", "2026年第三季度巡河次数不足", "--issued-on", "2026-09-30",
         "--period", "2026-Q3", "--reference", "CLI-TEST-1"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    record_id, issued, kind, *_ = added.output.split("\t")
    assert issued == "2026-09-30" and kind == "提醒"
    assert "答复期限 2026-10-27" in added.output and "逾期未反馈" in added.output
    listed = runner.invoke(
        app, ["accountability", "list", "--chief", "P0203", "--as-of", "2026-10-27"]
    )
    assert listed.exit_code == 0 and "待书面反馈" in listed.output
    assert "0 overdue as of 2026-10-27" in listed.output
    overdue = runner.invoke(
        app, ["accountability", "list", "--status", "overdue", "--as-of", "2026-10-28"]
    )
    assert f"{record_id}\t2026-09-30" in overdue.output
    answered = runner.invoke(
        app, ["accountability", "feedback", record_id, "--text", "已补巡", "--received-on",
              "2026-10-26"],
    )  # fmt: skip
    assert answered.exit_code == 0, answered.output
    assert "已书面反馈" in answered.output


def test_bad_input_is_a_one_line_error(cli_db):
    for args, message in [
        (["add", "--chief", "P0203", "--kind", "warning", "--reason", "x"], "kind must be one of"),
        (["add", "--chief", "P0203", "--kind", "reminder", "--reason", "x", "--issued-on",
          "30/09/2026"], "--issued-on"),
        (["add", "--chief", "P0203", "--kind", "reminder", "--reason", "x", "--problem", "zz"],
         "--problem"),
        (["list", "--status", "late"], "status must be one of"),
        (["feedback", "2000000000", "--text", "x"], "not found"),
    ]:  # fmt: skip
        result = runner.invoke(app, ["accountability", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_problem_from_the_public_reported_and_handed_over(cli_db, engine):
    reported = runner.invoke(
        app,
        ["problem", "report", "--lon", "109.643", "--lat", "21.7779", "--category",
         "soil_taking", "--source", "public", "--detail", "市民来电（12345热线）"],
    )  # fmt: skip
    assert reported.exit_code == 0, reported.output
    pid = reported.output.split("\t")[0]
    try:
        assert "群众举报\t取土\t已上报" in reported.output
        handed = runner.invoke(
            app,
            ["problem", "step", pid, "hand_over", "--handed-to", "镇政府", "--deadline",
             "2099-01-31"],
        )  # fmt: skip
        assert handed.exit_code == 0, handed.output
        assert "已交办\t期限 2099-01-31" in handed.output
        closing = runner.invoke(app, ["problem", "step", pid, "close"])
        assert closing.exit_code == 2 and "allowed from: reported, verified" in closing.output
        no_chief = runner.invoke(
            app, ["problem", "report", "--lon", "109.643", "--lat", "21.7779", "--category",
                  "dumping"],
        )  # fmt: skip
        assert no_chief.exit_code == 2 and "names the chief who found it" in no_chief.output
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM problem WHERE id = CAST(:i AS uuid)"), {"i": pid})
