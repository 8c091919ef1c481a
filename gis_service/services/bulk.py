"""Bulk patrol upload: a folder of track files (and a manifest saying whose they are) stored
in one process through the batch path, a few dozen uploads per transaction.

Each file gets its own outcome (stored with its patrol id, a duplicate of a stored patrol,
or rejected with the reason); a bad file never stops the others. Files of the folder that the
manifest does not list are not uploaded, and are named in the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from gis_service.errors import GisServiceError
from gis_service.fileio.manifest import Manifest
from gis_service.fileio.tracks import FORMATS
from gis_service.services.patrols import (
    Duplicate,
    PatrolSettings,
    Upload,
    ingest_patrols,
)

TRACK_SUFFIXES = tuple(f".{fmt}" for fmt in FORMATS)  # every format the parser reads


@dataclass(frozen=True)
class BulkItem:
    path: Path
    chief: str | None = None
    coord_system: str | None = None
    mode: str | None = None


@dataclass
class BulkOutcome:
    file: str
    outcome: str  # stored, duplicate, rejected
    patrol_id: str | None = None
    status: str | None = None  # the verdict of a stored patrol
    error: str | None = None


@dataclass
class BulkReport:
    outcomes: list[BulkOutcome] = field(default_factory=list)
    not_listed: list[str] = field(default_factory=list)  # in the folder, not in the manifest

    def count(self, outcome: str) -> int:
        return sum(o.outcome == outcome for o in self.outcomes)

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes:
            if o.status:
                out[o.status] = out.get(o.status, 0) + 1
        return out


def plan(
    folder: Path,
    manifest: Manifest | None,
    *,
    chief: str | None = None,
    coord_system: str | None = None,
    mode: str | None = None,
) -> tuple[list[BulkItem], list[str]]:
    """The uploads of a folder: the manifest's rows (options fill empty cells), or every track
    file of the folder with the options; and the track files the manifest leaves out."""
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TRACK_SUFFIXES
    )
    if manifest is None:
        return [BulkItem(p, chief, coord_system, mode) for p in files], []
    items = [
        BulkItem(
            folder / row.file,
            row.chief or chief,
            row.coord_system or coord_system,
            row.mode or mode,
        )
        for row in manifest.rows
    ]
    listed = {row.file for row in manifest.rows}
    itself = manifest.path.resolve() if manifest.path else None
    return items, [p.name for p in files if p.name not in listed and p.resolve() != itself]


def upload(
    engine: Engine,
    items: list[BulkItem],
    *,
    settings: PatrolSettings,
    batch_size: int = 25,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkReport:
    """Store every item, ``batch_size`` per transaction (ingest_patrols)."""
    report = BulkReport()
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        uploads: list[Upload] = []
        unreadable: dict[int, str] = {}
        for k, item in enumerate(batch):
            try:
                data = item.path.read_bytes()
            except OSError as exc:
                unreadable[k] = f"cannot read: {exc.strerror}"
                data = b""
            uploads.append(Upload(data, item.path.name, item.chief, item.coord_system, item.mode))
        readable = [k for k in range(len(batch)) if k not in unreadable]
        with engine.connect() as conn:
            results = ingest_patrols(
                conn, [uploads[k] for k in readable], now=now, settings=settings
            )
            conn.commit()
        by_k = dict(zip(readable, results, strict=True))
        for k, item in enumerate(batch):
            name = item.path.name
            if k in unreadable:
                report.outcomes.append(BulkOutcome(name, "rejected", error=unreadable[k]))
                continue
            result = by_k[k]
            if isinstance(result, GisServiceError):
                report.outcomes.append(BulkOutcome(name, "rejected", error=str(result)))
            else:
                outcome = "duplicate" if isinstance(result, Duplicate) else "stored"
                patrol = result.patrol if isinstance(result, Duplicate) else result
                report.outcomes.append(BulkOutcome(name, outcome, str(patrol.id), patrol.status))
        if progress:
            progress(len(batch))
    return report
