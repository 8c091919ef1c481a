"""The command line: help lists the commands; a bad file is a one-line error, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from gis_service.cli import app

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("setup", "serve", "summary", "db", "import", "sample"):
        assert command in result.output
    imports = runner.invoke(app, ["import", "--help"])
    for command in ("regions", "water-bodies", "chiefs"):
        assert command in imports.output


def test_console_script_is_installed():
    exe = sys.executable.rsplit("/", 1)[0] + "/gis-service"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "import" in result.stdout


def test_bad_file_gives_message_not_traceback(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("DATABASE_URL", db_url)
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    try:
        result = runner.invoke(app, ["import", "regions", str(bad)])
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 2
    assert "bad.geojson: line 1 column 2: invalid JSON" in result.output
    assert "Traceback" not in result.output


def test_cli_writes_are_in_the_write_log_too(tmp_path, db_url, engine):
    """Who added a user or imported a file from the server's shell, with its exit status."""
    cli = str(Path(sys.executable).parent / "gis-service")
    env = {**os.environ, "DATABASE_URL": db_url}
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    added = subprocess.run([cli, "users", "add", "cli-office", "--role", "office"], env=env)
    failed = subprocess.run([cli, "import", "regions", str(bad)], env=env, capture_output=True)
    assert added.returncode == 0 and failed.returncode == 2
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT role, method, path, status FROM write_log WHERE method = 'CLI' "
                "ORDER BY id DESC LIMIT 2"
            )
        ).all()
        conn.execute(text("DELETE FROM app_user WHERE name = 'cli-office'"))
    (imp, add) = rows
    assert add.role == "cli" and add.status == 0
    assert add.path == "gis-service users add cli-office --role office"
    assert imp.path.startswith("gis-service import regions ") and imp.status == 2


def test_bad_dates_and_rules_fail_before_any_connection(tmp_path, monkeypatch):
    """Options are checked first: no database is needed to be told what is wrong."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:9/none")
    from gis_service.config import get_settings

    get_settings.cache_clear()
    rules = tmp_path / "rules.toml"
    rules.write_text("version = ", encoding="utf-8")
    try:
        bad_rules = runner.invoke(
            app, ["audit", "--region", "450521", "--period", "2026-Q3", "--rules", str(rules)]
        )
        out = str(tmp_path / "map.html")
        bad_day = runner.invoke(
            app,
            [
                "map",
                "coverage",
                "--region",
                "450521",
                "--period",
                "2026-Q3",
                "--as-of",
                "x",
                "-o",
                out,
            ],
            catch_exceptions=False,
        )
    finally:
        get_settings.cache_clear()
    assert bad_rules.exit_code == 2 and "rules.toml" in bad_rules.output
    assert bad_day.exit_code == 2
    assert "--as-of expects YYYY-MM-DD, got 'x'" in bad_day.output


def test_audit_writes_the_office_files_in_english(tmp_path, monkeypatch, db_url, sample_loaded):
    """`gis-service audit --out DIR --english`: JSON, CSV per table, the workbook, the gaps."""
    import openpyxl

    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = runner.invoke(
            app,
            [
                "audit",
                "--region",
                "450521",
                "--period",
                "2026-07",
                "--as-of",
                "2026-10-15",
                "--out",
                str(tmp_path),
                "--english",
            ],
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    stem = tmp_path / "audit_450521_2026-07"
    book = openpyxl.load_workbook(f"{stem}.xlsx")
    assert book.sheetnames == ["summary", "posts", "periods", "targets", "regions", "due"]
    assert book["posts"]["E1"].value == "name"
    for key in ("posts", "periods", "targets", "regions", "due"):
        assert (tmp_path / f"audit_450521_2026-07_{key}.csv").exists(), key
    assert (tmp_path / "audit_450521_2026-07_gaps.geojson").exists()
