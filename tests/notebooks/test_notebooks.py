"""Execute every notebook (nbclient, the ``python3`` kernel of this interpreter) against a
database of its own: the sample, its zoning and all sample tracks, dropped afterwards.

Notebooks read ``GIS_NOTEBOOK_DATABASE_URL`` (the database to explore),
``GIS_NOTEBOOK_SCRATCH_URL`` (the one notebook 04 may empty) and ``GIS_NOTEBOOK_OUTPUT_DIR``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient
from sqlalchemy import create_engine, text

from gis_service.db import admin, migrate
from gis_service.db.engine import with_database

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
CELL_TIMEOUT_S = 120
PARALLEL_KERNELS = 2


def test_notebooks_are_stored_without_outputs():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.fixture(scope="module")
def notebook_db(server_url: str, sample_dir: Path, sample_tracks: Path) -> Iterator[str]:
    """A database holding the sample region, its zoning and every sample track."""
    from gis_service.services.patrols import Upload, ingest_patrols
    from gis_service.services.sample import load_sample
    from gis_service.services.zoning import rebuild_zoning

    url = with_database(server_url, f"gis_service_test_nb_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    engine = create_engine(url)
    try:
        migrate.upgrade(url)
        with engine.connect() as conn:
            load_sample(conn, sample_dir)
            rebuild_zoning(conn)
            conn.commit()
        manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype=str)
        uploads = [
            Upload((sample_tracks / r.file).read_bytes(), r.file, r.person_id, r.coord_system)
            for r in manifest.itertuples()
        ]
        with engine.begin() as conn:
            for k in range(0, len(uploads), 50):
                ingest_patrols(conn, uploads[k : k + 50], now=NOW)
        yield url
    finally:
        engine.dispose()
        admin.drop_database(url)


@pytest.fixture(scope="module")
def scratch_url(server_url: str) -> Iterator[str]:
    url = with_database(server_url, f"gis_service_test_nbscratch_{os.getpid()}")
    yield url
    admin.drop_database(url)


async def _run(path: Path, env: dict[str, str], cwd: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # which Python runs the kernel: it must be this one (the venv's), not one on PATH
    nb.cells.insert(0, nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3")
    await client.async_execute(env=env, cwd=str(cwd))
    return nb


@pytest.fixture(scope="module")
def executed(notebook_db, scratch_url, tmp_path_factory) -> dict[str, tuple]:
    """Every notebook run, two kernels at a time (the start-up imports dominate):
    name -> (executed notebook or None, exception or None, its output folder)."""

    async def run_all() -> list[tuple]:
        slots = asyncio.Semaphore(PARALLEL_KERNELS)

        async def one(path: Path) -> tuple:
            out = tmp_path_factory.mktemp(path.stem)
            env = {
                **os.environ,
                "GIS_NOTEBOOK_DATABASE_URL": notebook_db,
                "GIS_NOTEBOOK_SCRATCH_URL": scratch_url,
                "GIS_NOTEBOOK_OUTPUT_DIR": str(out),
            }
            async with slots:
                try:
                    return await _run(path, env, out), None, out
                except Exception as exc:  # reported by the notebook's own test
                    return None, exc, out

        return await asyncio.gather(*(one(p) for p in NOTEBOOKS))

    return dict(zip([p.stem for p in NOTEBOOKS], asyncio.run(run_all()), strict=True))


def _outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [
        o["data"][mime]
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if mime in o.get("data", {})
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, executed, scratch_url):
    nb, error, out = executed[path.stem]
    if error is not None:
        raise error
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix
    assert _outputs(nb, "image/png")  # the static plots were drawn
    number = path.name[:2]
    if number in ("01", "02", "03"):
        assert any("leaflet" in html.lower() for html in _outputs(nb, "text/html"))
    if number == "02":
        assert list((out / "audit").glob("audit_450500_2026-Q3*.xlsx"))
    if number == "03":
        assert list(out.glob("meeting_R4505-04-02_*.xlsx"))
    if number == "04":
        engine = create_engine(scratch_url)
        try:
            with engine.connect() as conn:
                regions = conn.execute(text("SELECT count(*) FROM admin_region")).scalar()
                patrols = conn.execute(text("SELECT count(*) FROM patrol")).scalar()
                segments = conn.execute(text("SELECT count(*) FROM river_segment")).scalar()
        finally:
            engine.dispose()
        assert regions == 174 and segments > 0 and patrols > 0
