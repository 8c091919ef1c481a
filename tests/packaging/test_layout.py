"""What the package carries and where it looks, checked from the source tree (no build):
runtime files are found through the package, migrations are not left in the old folder, dev
tooling stays out of the runtime layers, and the sample commands name a missing folder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gis_service
from gis_service import packaged
from gis_service.errors import SetupError
from gis_service.services.sample import ensure_tracks, load_sample, require_sample_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(gis_service.__file__).parent


def test_runtime_files_are_found_inside_the_package():
    for path in (packaged.RULES_FILE, packaged.WORK_CALENDAR_FILE, packaged.ALEMBIC_INI):
        assert path.is_file() and path.is_relative_to(PACKAGE), path
    assert sorted((packaged.MIGRATIONS_DIR / "versions").glob("0001_*.py"))


def test_no_migration_is_left_in_the_old_top_level_folder():
    """migrations/ only points to gis_service/migrations/: a revision added there would be
    silently never run."""
    stray = [p for p in (ROOT / "migrations").rglob("*") if p.is_file() and p.name != "README.md"]
    assert stray == []
    assert [p.name for p in (ROOT / "data" / "rules").iterdir()] == ["README.md"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", ["api", "services", "domain", "db", "maps", "fileio", "web"])
def test_runtime_layers_do_not_import_the_dev_tooling(layer: str):
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / layer).rglob("*.py")
        if any(name.startswith("gis_service.devtools") for name in _imports(path))
    ]
    assert offenders == []


def test_a_missing_sample_folder_is_named(tmp_path: Path):
    missing = tmp_path / "data" / "sample"
    with pytest.raises(SetupError, match=str(missing)):
        require_sample_dir(missing)
    with pytest.raises(SetupError, match=str(missing)):
        ensure_tracks(missing)
    with pytest.raises(SetupError, match=str(missing)):
        load_sample(None, missing)  # type: ignore[arg-type]  # refused before any query
