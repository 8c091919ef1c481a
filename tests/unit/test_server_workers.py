"""``serve`` runs one worker process per core unless told otherwise (issue 17)."""

from __future__ import annotations

import pytest

from gis_service.cli import ingest_processes, server_workers
from gis_service.config import Settings


@pytest.mark.parametrize(
    ("given", "configured", "cores", "expected"),
    [
        (None, 0, 2, 2),  # the default: one per core
        (None, 0, 16, 16),
        (None, 0, None, 1),  # cores unknown
        (None, 3, 2, 3),  # GIS_WORKERS
        (1, 3, 2, 1),  # --workers wins
        (0, 0, 4, 4),  # --workers 0: the default again
    ],
)
def test_workers_come_from_the_option_the_setting_or_the_cores(given, configured, cores, expected):
    assert server_workers(given, configured, cores) == expected


def test_gis_workers_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GIS_WORKERS", "5")
    assert Settings().workers == 5
    monkeypatch.setenv("GIS_WORKERS", "-1")
    with pytest.raises(ValueError, match="workers"):
        Settings()


@pytest.mark.parametrize(
    ("given", "configured", "cores", "expected"),
    [
        (None, None, 2, 2),  # the default: one ingest process per core
        (None, None, 1, 0),  # one core: the worker's threads (nothing to spread)
        (None, None, None, 0),
        (None, 0, 8, 0),  # GIS_INGEST_PROCESSES=0: threads
        (None, 3, 2, 3),
        (1, 3, 2, 1),  # --ingest-processes wins
        (0, 3, 2, 0),
    ],
)
def test_ingest_processes_come_from_the_option_the_setting_or_the_cores(
    given, configured, cores, expected
):
    assert ingest_processes(given, configured, cores) == expected
