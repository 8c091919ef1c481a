"""The type gate: mypy (pinned in the dev extra, configured in pyproject.toml) finds no error
in gis_service/. Modules still being reworked on other branches are listed in pyproject's
[[tool.mypy.overrides]] with ``ignore_errors`` until they are merged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_error_in_the_package():
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "gis_service"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
