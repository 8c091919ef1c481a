"""Every sample track, measured against its chief's real assignment: the vectorised coverage
core gives exactly the ranges of the per-target loops it replaced (tests/coverage_reference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gis_service.services import patrols
from tests.coverage_reference import measure_reference
from tests.unit.test_coverage_vectorised import assert_same

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def test_every_sample_track_has_the_same_ranges(sample_loaded, sample_tracks, conn, monkeypatch):
    compared: list[int] = []
    vectorised = patrols.measure

    def both(track, lines, targets, params=None, matcher=None):
        new = vectorised(track, lines, targets, params, matcher)
        assert_same(new, measure_reference(track, lines, targets, params, matcher))
        compared.append(len(targets))
        return new

    monkeypatch.setattr(patrols, "measure", both)
    manifest = pd.read_csv(sample_tracks / "manifest.csv", dtype={"region_code": str})
    for row in manifest.itertuples():
        patrols.ingest_patrol(
            conn,
            (sample_tracks / row.file).read_bytes(),
            filename=row.file,
            chief_id=row.person_id,
            coord_system=row.coord_system,
            now=NOW,
            store=False,
        )
    assert len(compared) >= len(manifest) and max(compared) > 1
