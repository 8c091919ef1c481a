"""The command line: help lists the commands; a bad file is a one-line error, exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text
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


def test_cli_reads_naive_times_in_the_offices_time_zone(tmp_path, db_url, engine, sample_loaded):
    """GIS_TIMEZONE=UTC: the CLI reads a naive 23:30 as 23:30 UTC, not Beijing time."""
    cli = str(Path(sys.executable).parent / "gis-service")
    gpx = tmp_path / "naive.gpx"
    gpx.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        + "".join(
            f'<trkpt lat="21.6" lon="{109.2 + 1e-4 * k}"><time>2026-07-20T23:30:{k:02d}</time>'
            "</trkpt>"
            for k in range(0, 20, 2)
        )
        + "</trkseg></trk></gpx>",
        encoding="utf-8",
    )
    started = {}
    for zone in ("UTC", "Asia/Shanghai"):
        env = {**os.environ, "DATABASE_URL": db_url, "GIS_TIMEZONE": zone}
        done = subprocess.run(
            [cli, "patrol", "upload", str(gpx), "--chief", "P0145"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        with engine.begin() as conn:
            started[zone] = conn.execute(
                text(
                    "DELETE FROM patrol WHERE chief_id = 'P0145' AND file_name = 'naive.gpx' "
                    "RETURNING to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI')"
                )
            ).scalar_one()
    assert started == {"UTC": "23:30", "Asia/Shanghai": "15:30"}


def test_bulk_upload_of_a_folder_with_a_manifest(tmp_path, monkeypatch, db_url, sample_loaded):
    """One command: stored (with their patrol ids), a duplicate, a rejected file with its
    reason, and a file the manifest does not list (named, not uploaded)."""
    import pandas as pd

    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine
    from gis_service.services.sample import SAMPLE_DIR

    tracks = SAMPLE_DIR / "tracks"
    sample = pd.read_csv(tracks / "manifest.csv")
    rows = sample[sample.kind == "good"].head(3)
    for r in rows.itertuples():
        (tmp_path / r.file).write_bytes((tracks / r.file).read_bytes())
    first = rows.iloc[0]
    (tmp_path / "copy.gpx").write_bytes((tracks / first.file).read_bytes())
    (tmp_path / "broken.gpx").write_text("<gpx", encoding="utf-8")
    (tmp_path / "stray.gpx").write_bytes((tracks / first.file).read_bytes())
    lines = ["file,chief,coord_system,mode"]
    lines += [f"{r.file},{r.person_id},{r.coord_system},walk" for r in rows.itertuples()]
    lines += [f"copy.gpx,{first.person_id},wgs84,", f"broken.gpx,{first.person_id},,"]
    (tmp_path / "list.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = runner.invoke(
            app,
            ["patrol", "upload", str(tmp_path), "--manifest", str(tmp_path / "list.csv")],
            env={"COLUMNS": "200"},
        )
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = dict(
                conn.execute(
                    text("SELECT file_name, id::text FROM patrol WHERE file_name = ANY(:f)"),
                    {"f": list(rows.file)},
                ).all()
            )
        assert result.exit_code == 1, result.output  # one file was rejected
        assert len(stored) == 3
        for name, pid in stored.items():
            assert pid in result.output and name in result.output
        assert "broken.gpx" in result.output and "malformed or truncated XML" in result.output
        assert "not in the manifest, not uploaded (1): stray.gpx" in result.output
        summary = result.output[result.output.index("summary") :]
        for label, n in (("stored", 3), ("duplicate", 1), ("rejected", 1)):
            assert re.search(rf"│ {label}\s*│\s*{n} │", summary), summary
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM patrol WHERE file_name = ANY(:f)"), {"f": list(rows.file)}
            )
        engine.dispose()


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
    assert book.sheetnames == [
        "summary", "posts", "periods", "targets", "regions", "due", "point_posts",
    ]  # fmt: skip
    assert book["posts"]["E1"].value == "name"
    for key in ("posts", "periods", "targets", "regions", "due"):
        assert (tmp_path / f"audit_450521_2026-07_{key}.csv").exists(), key
    assert (tmp_path / "audit_450521_2026-07_gaps.geojson").exists()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_port_option_is_the_port_its_links_name(db_url):
    """``serve --port N`` with GIS_PORT unset: the OGC links must say N, not the default."""
    import time
    import urllib.request

    port = _free_port()
    cli = str(Path(sys.executable).parent / "gis-service")
    env = {k: v for k, v in os.environ.items() if k not in ("GIS_PORT", "GIS_HOST")}
    env |= {"DATABASE_URL": db_url, "GIS_BASE_URL": ""}
    server = subprocess.Popen(
        [cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline, body = time.monotonic() + 60, None
        while body is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/collections?f=json") as r:
                    body = r.read().decode()
            except OSError:
                time.sleep(0.3)
        assert body is not None, "the server did not answer"
        hrefs = re.findall(r'"href":"(http[^"]+)"', body)
        assert hrefs and all(h.startswith(f"http://127.0.0.1:{port}/") for h in hrefs), hrefs[:3]
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_serve_refuses_a_share_folder_others_may_write(tmp_path, monkeypatch):
    """The shared assignments are pickles: a configured folder others may write is refused
    by name before the server starts (it used to be silently not used)."""
    from gis_service.config import get_settings

    open_folder = tmp_path / "shared"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    monkeypatch.setenv("GIS_ASSIGNMENT_SHARE_DIR", str(open_folder))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:9/none")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["serve", "--port", "9"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "GIS_ASSIGNMENT_SHARE_DIR" in result.output and "mode 777" in result.output
