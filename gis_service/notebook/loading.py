"""Writes from a notebook: imports, patrol uploads, zoning rebuild. Each call is one
transaction, so a failing file leaves the database as it was (as the CLI does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from gis_service.domain.zoning import ZoningConfig
from gis_service.errors import GisServiceError
from gis_service.fileio.tracks import FORMATS
from gis_service.notebook._connection import Bind, settings, writing
from gis_service.services import importing, patrols, zoning
from gis_service.services.reports import ImportReport
from gis_service.services.sample import SAMPLE_DIR, ensure_tracks

TRACK_SUFFIXES = tuple(f".{fmt}" for fmt in FORMATS)  # every format the parser reads

PerFile = str | Mapping[str, str] | Callable[[Path], str | None] | None


def sample_dir(*, tracks: bool = False) -> Path:
    """The bundled sample region's folder (北海市); ``tracks``: make sure its GPX exist."""
    if tracks:
        ensure_tracks(SAMPLE_DIR)
    return SAMPLE_DIR


def import_regions(
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    crs: str | None = None,
    repair: bool = True,
    derive_parents: bool = False,
    engine: Bind | None = None,
) -> ImportReport:
    """Import regions from GeoJSON/GeoPackage/Shapefile (``mapping``: field -> column;
    ``crs``: for a file that declares none, also ``gcj02``/``bd09``; ``derive_parents``:
    build missing parents from their children)."""
    with writing(engine) as conn:
        return importing.import_regions(
            conn,
            path,
            mapping=mapping,
            constants=constants,
            crs=crs,
            repair=repair,
            derive_parents=derive_parents,
        )


def import_water_bodies(
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    crs: str | None = None,
    repair: bool = True,
    engine: Bind | None = None,
) -> ImportReport:
    """Import rivers/canals (lines, source to mouth) and lakes/reservoirs/ponds (polygons)."""
    with writing(engine) as conn:
        return importing.import_water_bodies(
            conn, path, mapping=mapping, constants=constants, crs=crs, repair=repair
        )


def import_chiefs(path: Path | str, *, engine: Bind | None = None) -> ImportReport:
    """Import a roster CSV of chief posts (see the README for its columns)."""
    with writing(engine) as conn:
        return importing.import_chiefs(conn, path)


def _per_file(value: PerFile, path: Path) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return value.get(path.name)
    return value(path)


def _track_files(source: Path | str | Iterable[Path | str]) -> list[Path]:
    if isinstance(source, str | Path) and Path(source).is_dir():
        return sorted(p for p in Path(source).iterdir() if p.suffix.lower() in TRACK_SUFFIXES)
    if isinstance(source, str | Path):
        return [Path(source)]
    return [Path(p) for p in source]


def upload_tracks(
    files: Path | str | Iterable[Path | str],
    *,
    chief_id: PerFile = None,
    coord_system: PerFile = None,
    mode: PerFile = None,
    batch_size: int = 50,
    now: dt.datetime | None = None,
    engine: Bind | None = None,
) -> pd.DataFrame:
    """Store patrol tracks (a folder or files): one row per file with its verdict.

    ``chief_id``/``coord_system``/``mode`` are one value for all files, a mapping by file
    name, or a function of the path. A file that cannot be read is reported in ``error``
    and stores nothing; re-uploads are recognised (``duplicate``) and count once.
    """
    paths = _track_files(files)
    uploads = [
        patrols.Upload(
            p.read_bytes(),
            p.name,
            _per_file(chief_id, p),
            _per_file(coord_system, p),
            _per_file(mode, p),
        )
        for p in paths
    ]
    results: list[dict] = []
    with writing(engine) as conn:
        for k in range(0, len(uploads), batch_size):
            results += [
                {"error": str(o)} if isinstance(o, GisServiceError) else o.to_json()
                for o in patrols.ingest_patrols(
                    conn,
                    uploads[k : k + batch_size],
                    now=now,
                    settings=patrols.PatrolSettings(timezone=settings().timezone),
                )
            ]
    rows = [
        {
            "file": p.name,
            "patrol_id": r.get("id"),
            "chief_id": r.get("chief_id"),
            "status": r.get("status") if "error" not in r else "rejected",
            "duplicate": r.get("duplicate"),
            "reasons": ", ".join(x["code"] for x in r.get("reasons", [])),
            "started_at": r.get("started_at"),
            "distance_m": (r.get("summary") or {}).get("distance_m"),
            "error": r.get("error"),
        }
        for p, r in zip(paths, results, strict=True)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "file",
            "patrol_id",
            "chief_id",
            "status",
            "duplicate",
            "reasons",
            "started_at",
            "distance_m",
            "error",
        ],
    )


def rebuild_zoning(config: ZoningConfig | None = None, *, engine: Bind | None = None) -> dict:
    """Recompute segments, zones, joint sections, confluences, conveners (after imports)."""
    with writing(engine) as conn:
        return zoning.rebuild_zoning(conn, config)
