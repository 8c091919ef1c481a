"""docker-compose.yml's batch services: a Dask scheduler and workers running the app image.

``docker compose config`` is not available on the test machines (no compose plugin), so
the file is parsed here and its commands are checked against the real command lines: the
``dask`` CLI's ``scheduler`` and this project's ``gis-service worker``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gis_service.cli import app

COMPOSE = Path(__file__).parents[2] / "docker-compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_scheduler_worker_and_app_agree_on_the_scheduler_and_the_database():
    services = _services()
    assert {"db", "app", "scheduler", "worker"} <= set(services)
    scheduler = services["scheduler"]["command"]
    assert scheduler[:2] == ["dask", "scheduler"]
    port = scheduler[scheduler.index("--port") + 1]
    address = f"tcp://scheduler:{port}"
    worker = services["worker"]["command"]
    assert worker[:2] == ["gis-service", "worker"]
    assert worker[worker.index("--scheduler") + 1] == address
    assert services["app"]["environment"]["GIS_DASK_SCHEDULER"] == address
    # the workers reach the app's database with their own settings (tasks carry no URL)
    assert (
        services["worker"]["environment"]["DATABASE_URL"]
        == services["app"]["environment"]["DATABASE_URL"]
    )
    # both run the app image (the project's code on the workers)
    assert services["worker"]["build"] == services["app"]["build"] == "."


def test_the_commands_exist_with_the_options_compose_gives_them():
    services = _services()
    worker = services["worker"]["command"]
    shown = CliRunner().invoke(app, [*worker[1:2], "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    for option in (a for a in worker[2:] if a.startswith("--")):
        assert option in shown.output, option
    scheduler = services["scheduler"]["command"]
    dask = Path(sys.executable).with_name("dask")
    helped = subprocess.run(
        [str(dask), scheduler[1], "--help"], capture_output=True, text=True, timeout=120
    )
    assert helped.returncode == 0, helped.stderr
    for option in (a for a in scheduler[2:] if a.startswith("--")):
        assert option in helped.stdout, option
