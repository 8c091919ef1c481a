"""Every sample track, measured against its chief's real assignment: the vectorised coverage
core gives exactly the ranges of the per-target loops it replaced (tests/coverage_reference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from gis_service.errors import GisServiceError
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
    uploaded = _upload_every_sample(conn, sample_tracks, store=False)
    assert len(compared) >= uploaded and max(compared) > 1


def _upload_every_sample(conn, folder, *, store: bool) -> int:
    """Each sample track through the upload path, as its manifest declares it; how many.
    A refused sample (its kind says so) raises only when stored, and stores nothing."""
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    for row in manifest.itertuples():
        try:
            patrols.ingest_patrol(
                conn,
                (folder / row.file).read_bytes(),
                filename=row.file,
                chief_id=row.person_id,
                coord_system=row.coord_system,
                now=NOW,
                store=store,
            )
        except GisServiceError:
            if not store:
                raise
    return len(manifest)


def test_every_sample_tracks_stretches_are_the_union_of_their_pieces(
    sample_loaded, sample_tracks, conn, monkeypatch
):
    """The covered and missed stretches stored per target, collected from their pieces in
    one call, are the same geometry as a union per target (tests/coverage_reference)."""
    import shapely

    from tests.coverage_reference import stretch_geoms_reference

    compared = {"targets": 0, "stretches": 0, "multi_part": 0}
    collected = patrols._stretch_geoms

    def both(ranges, targets, lines, epsg):
        new = collected(ranges, targets, lines, epsg)
        old = stretch_geoms_reference(ranges, targets, lines, epsg)
        assert len(new) == len(old) == len(ranges)
        for a, b in zip(new, old, strict=True):
            assert (a is None) == (b is None)
            if a is None:
                continue
            ga, gb = shapely.from_wkb(a), shapely.from_wkb(b)
            assert ga.geom_type == gb.geom_type == "MultiLineString"
            assert shapely.equals(ga, gb)
            assert abs(ga.length - gb.length) <= 1e-9 * max(gb.length, 1.0)
            compared["stretches"] += 1
            compared["multi_part"] += shapely.get_num_geometries(ga) > 1
        compared["targets"] += len(ranges)
        return new

    monkeypatch.setattr(patrols, "_stretch_geoms", both)
    _upload_every_sample(conn, sample_tracks, store=True)
    assert compared["stretches"] > 500 and compared["multi_part"] > 50, compared
