"""One import as the front ends run it: the file, the zoning rebuild and the consistency
report in one transaction (a bad file changes nothing), for the CLI and the HTTP API alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection

from gis_service.db.session import atomic
from gis_service.fileio.archive import ImportLimits
from gis_service.services.consistency import ConsistencyReport, check_and_store
from gis_service.services.importing import import_chiefs, import_regions, import_water_bodies
from gis_service.services.reports import ImportReport

IMPORT_KINDS = ("regions", "water-bodies", "chiefs")


@dataclass
class ImportOutcome:
    report: ImportReport
    zoning: dict
    consistency: ConsistencyReport

    def to_dict(self) -> dict:
        return {
            "import": self.report.to_dict(),
            "summary": self.report.summary(),
            "zoning": self.zoning,
            "consistency": self.consistency.to_dict(),
        }


def run_import(
    conn: Connection,
    kind: str,
    path: Path,
    *,
    day: dt.date,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    crs: str | None = None,
    repair: bool = True,
    derive_parents: bool = False,
    limits: ImportLimits | None = None,
) -> ImportOutcome:
    from gis_service.services.zoning import rebuild_zoning

    with atomic(conn):
        if kind == "chiefs":
            report = import_chiefs(conn, path)
        elif kind == "regions":
            report = import_regions(
                conn,
                path,
                mapping=mapping,
                constants=constants,
                crs=crs,
                repair=repair,
                derive_parents=derive_parents,
                limits=limits,
            )
        elif kind == "water-bodies":
            report = import_water_bodies(
                conn,
                path,
                mapping=mapping,
                constants=constants,
                crs=crs,
                repair=repair,
                limits=limits,
            )
        else:
            raise ValueError(f"unknown import kind {kind!r}")
        zoning = rebuild_zoning(conn, skip_unchanged=True)
        consistency = check_and_store(conn, day, f"import {report.import_id}")
    return ImportOutcome(report, zoning, consistency)
