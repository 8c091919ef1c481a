"""Bulk upload of the sample tracks: one command against one call per file, side by side.

    .venv/bin/python -m benchmarks.bulk_upload_bench [--baseline-files 20]

In a scratch database holding the sample region (and nothing else):
A. baseline: ``gis-service patrol upload FILE --chief C --coord-system S``, one process per
   file, as an office without the bulk command would script it, on the first
   ``--baseline-files`` files of the sample manifest (per-file time, projected to them all);
B. ``gis-service patrol upload data/sample/tracks --manifest data/sample/tracks/manifest.csv``:
   every sample track in one process (the batch path), after the baseline's patrols are
   deleted, so both store the same files into the same state.
Both run the installed console script as a user would; the ratio is A per file / B per file.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from gis_service.config import get_settings
from gis_service.db import admin, migrate
from gis_service.db.engine import database_url, with_database
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks

CLI = str(Path(sys.executable).parent / "gis-service")


def _scratch_database() -> str:
    from gis_service.services.sample import load_sample
    from gis_service.services.zoning import rebuild_zoning

    url = with_database(database_url(get_settings()), f"gis_service_bulkbench_{os.getpid()}")
    admin.ensure_database(url, fresh=True)
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        load_sample(conn)
        rebuild_zoning(conn)
        conn.commit()
    engine.dispose()
    return url


def _run(args: list[str], url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "160"}
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, check=False)


def _patrols(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM patrol")).scalar()
    engine.dispose()
    return int(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-files", type=int, default=20)
    args = parser.parse_args()
    ensure_tracks()
    folder = SAMPLE_DIR / "tracks"
    manifest = folder / "manifest.csv"
    with manifest.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    url = _scratch_database()
    try:
        some = rows[: args.baseline_files]
        started = time.perf_counter()
        for row in some:
            done = _run(
                [
                    "patrol",
                    "upload",
                    str(folder / row["file"]),
                    "--chief",
                    row["person_id"],
                    "--coord-system",
                    row["coord_system"],
                ],
                url,
            )
            if done.returncode not in (0, 1):
                raise SystemExit(f"baseline call failed: {done.stderr or done.stdout}")
        per_call = (time.perf_counter() - started) / len(some)
        baseline_stored = _patrols(url)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM patrol"))
        engine.dispose()
        started = time.perf_counter()
        done = _run(["patrol", "upload", str(folder), "--manifest", str(manifest)], url)
        bulk = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"bulk upload failed: {done.stderr or done.stdout}")
        stored = _patrols(url)
        summary = done.stdout[done.stdout.rfind("summary") :]
        print(
            f"A. one call per file: {len(some)} files in {per_call * len(some):.1f} s, "
            f"{per_call:.2f} s per file ({baseline_stored} stored) -> all {len(rows)} files "
            f"about {per_call * len(rows):.0f} s"
        )
        print(
            f"B. one bulk command: {len(rows)} files in {bulk:.1f} s, "
            f"{bulk / len(rows):.3f} s per file ({stored} stored)"
        )
        print(f"   ratio (per file): {per_call / (bulk / len(rows)):.1f}x")
        print(summary)
    finally:
        admin.drop_database(url)


if __name__ == "__main__":
    main()
