"""The built wheel works without the checkout: installed into a fresh venv (no system site
packages, dependencies pinned by constraints.txt, from pip's cache where it can), its command
line runs, its migrations bring a scratch database to head and its rules load from the
installed package. One wheel build and one venv for the whole module (~1-2 min)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database
from gis_service.domain.rules import load_rules

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str | Path], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, **kwargs
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a clean copy of this checkout (once per module): a build in the
    checkout would pack whatever an earlier build left in its build/ folder."""
    tmp = tmp_path_factory.mktemp("build")
    source = tmp / "source"
    shutil.copytree(
        ROOT / "gis_service",
        source / "gis_service",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source])
    (built,) = dist.glob("gis_service-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a fresh venv holding the wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    venv.create(tmp / "venv", with_pip=True, system_site_packages=False)
    bin_dir = tmp / "venv" / "bin"
    _run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel],
        cwd=tmp,
    )
    yield bin_dir


def test_every_file_of_the_package_is_in_the_wheel(wheel: Path):
    """Package data is declared file family by file family in pyproject.toml: a new kind of
    file (a template, an asset, a rules file) left out of it would be missing from installs."""
    package = ROOT / "gis_service"
    source = {
        p.relative_to(ROOT).as_posix()
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("gis_service/")}
    assert source - shipped == set()


def _outside_checkout(tmp_path: Path, **env: str) -> dict:
    """Run from a folder outside the checkout with nothing of it on the path."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    clean.update(env, HOME=str(tmp_path))
    return {"cwd": tmp_path, "env": clean}


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path):
    where = _run(
        [installed / "python", "-c", "import gis_service; print(gis_service.__file__)"],
        **_outside_checkout(tmp_path),
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.parent), where
    assert not Path(where).is_relative_to(ROOT), where


def test_the_command_line_runs(installed: Path, tmp_path: Path):
    out = _run([installed / "gis-service", "--help"], **_outside_checkout(tmp_path)).stdout
    for command in ("setup", "serve", "db", "patrol", "sample"):
        assert command in out


def test_the_rules_and_calendar_load_from_the_installed_package(installed: Path, tmp_path: Path):
    script = (
        "from gis_service.domain.rules import load_rules, DEFAULT_RULES_FILE\n"
        "from gis_service.domain.workdays import load_calendar, DEFAULT_CALENDAR_FILE\n"
        "from gis_service.config import Settings\n"
        "s = Settings()\n"
        "assert s.rules_file == DEFAULT_RULES_FILE\n"
        "assert s.work_calendar_file == DEFAULT_CALENDAR_FILE\n"
        "r = load_rules(s.rules_file); c = load_calendar(s.work_calendar_file)\n"
        "print(DEFAULT_RULES_FILE); print(r.version, len(r.rules), len(c.holidays))\n"
    )
    path, figures = _run(
        [installed / "python", "-c", script], **_outside_checkout(tmp_path)
    ).stdout.split("\n")[:2]
    assert Path(path).is_relative_to(installed.parent), path
    shipped = load_rules()  # the checkout's copy: the wheel must carry the same rules
    version, count, holidays = figures.split()
    assert (version, int(count)) == (shipped.version, len(shipped.rules))
    assert int(holidays) > 0


def test_the_installed_migrations_bring_a_scratch_database_to_head(
    installed: Path, tmp_path: Path, server_url: str
):
    url = with_database(server_url, f"gis_service_test_wheel_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    try:
        _run(
            [installed / "gis-service", "db", "upgrade"],
            **_outside_checkout(tmp_path, DATABASE_URL=url),
        )
        engine = create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = conn.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
        engine.dispose()
    finally:
        admin.drop_database(url)
    head = ScriptDirectory.from_config(migrate.alembic_config(url)).get_current_head()
    assert version == head
    assert tables > 10


def test_sample_commands_name_the_missing_sample_folder(installed: Path, tmp_path: Path):
    done = subprocess.run(
        [installed / "gis-service", "sample", "generate", "--out", tmp_path / "s"],
        capture_output=True,
        text=True,
        timeout=120,
        **_outside_checkout(tmp_path),
    )
    assert done.returncode == 2, done.stderr
    assert "data/realdata" in done.stderr and "checkout" in done.stderr
