"""Every sample track, measured against its chief's real assignment: the vectorised coverage
core gives exactly the ranges of the per-target loops it replaced, and the stretches the same
geometry as the per-target unions (tests/coverage_reference)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import shapely

from gis_service.services import patrols
from tests.coverage_reference import measure_reference, stretch_geoms_reference
from tests.unit.test_coverage_vectorised import assert_same

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def test_every_sample_track_has_the_same_ranges(sample_loaded, sample_tracks, conn, monkeypatch):
    """The same ranges as the reference core, and the same covered and missed stretches
    (the geometries stored per target) collected in one call as a union per target gave."""
    compared: list[int] = []
    stretches = {"compared": 0, "multi_part": 0}
    vectorised = patrols.measure

    def both(track, lines, targets, params=None, matcher=None):
        new = vectorised(track, lines, targets, params, matcher)
        assert_same(new, measure_reference(track, lines, targets, params, matcher))
        compared.append(len(targets))
        _same_stretches(new, targets, lines, stretches)
        return new

    monkeypatch.setattr(patrols, "measure", both)
    uploaded = _upload_every_sample(conn, sample_tracks, store=False)
    assert len(compared) >= uploaded and max(compared) > 1
    assert stretches["compared"] > 500 and stretches["multi_part"] > 50, stretches


def _same_stretches(coverage, targets, lines, counts: dict[str, int]) -> None:
    """``patrols._stretch_geoms`` against the per-target union it replaced
    (tests/coverage_reference), for the covered and the missed ranges of every target: the
    same geometry (``shapely.equals``) and length. The zone only names the lon/lat
    transform, the same on both sides."""
    by_id = {t.id: t for t in targets}
    kept = [(tc, by_id[tc.id]) for tc in coverage.targets]
    if not kept:
        return
    chosen = [t for _, t in kept]
    for ranges in ([tc.covered for tc, _ in kept], [tc.uncovered for tc, _ in kept]):
        new = patrols._stretch_geoms(ranges, chosen, lines, 4545)
        old = stretch_geoms_reference(ranges, chosen, lines, 4545)
        assert len(new) == len(old) == len(ranges)
        for a, b in zip(new, old, strict=True):
            assert (a is None) == (b is None)
            if a is None:
                continue
            ga, gb = shapely.from_wkb(a), shapely.from_wkb(b)
            assert ga.geom_type == gb.geom_type == "MultiLineString"
            assert shapely.equals(ga, gb)
            assert abs(ga.length - gb.length) <= 1e-9 * max(gb.length, 1.0)
            counts["compared"] += 1
            counts["multi_part"] += shapely.get_num_geometries(ga) > 1


def _upload_every_sample(conn, folder, *, store: bool) -> int:
    """Each sample track through the upload path, as its manifest declares it; how many."""
    manifest = pd.read_csv(folder / "manifest.csv", dtype={"region_code": str})
    for row in manifest.itertuples():
        patrols.ingest_patrol(
            conn,
            (folder / row.file).read_bytes(),
            filename=row.file,
            chief_id=row.person_id,
            coord_system=row.coord_system,
            now=NOW,
            store=store,
        )
    return len(manifest)
