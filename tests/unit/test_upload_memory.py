"""What a big upload no longer holds: the points' names (made when asked for) and the
track's geometry written straight from its coordinates, the same bytes as before."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gis_service.db.bulk import ewkb_hex, multilinestring_ewkb_hex
from gis_service.domain.tracks import NumberedRefs


def test_numbered_refs_are_the_list_of_names():
    refs = NumberedRefs("point", 4)
    names = ["point 1", "point 2", "point 3", "point 4"]
    assert refs == names and names == refs and list(refs) == names and len(refs) == 4
    assert refs[0] == "point 1" and refs[-1] == "point 4" and refs[1:3] == names[1:3]
    assert refs[::-2] == names[::-2]
    assert refs != names[:3] and refs != ["point 1", "point 2", "point 3", "point 5"]
    assert refs == NumberedRefs("point", 4) and refs != NumberedRefs("line", 4)
    assert [refs[i] for i in np.array([3, 0])] == ["point 4", "point 1"]  # numpy indices
    for bad in (4, -5):
        with pytest.raises(IndexError):
            refs[bad]


def test_a_json_batch_names_its_points_lazily():
    import json

    from gis_service.fileio.tracks import parse_track

    points = [{"lon": 109.1 + k * 1e-4, "lat": 21.5, "time": 1_782_867_600 + k} for k in range(5)]
    track = parse_track(json.dumps({"points": points}).encode(), fmt="json")
    assert isinstance(track.ref, NumberedRefs) and track.ref == [f"point {k}" for k in range(1, 6)]


def _shapely_ewkb(x, y, part):
    lines = shapely.linestrings(
        np.column_stack([x, y]), indices=np.unique(part, return_inverse=True)[1]
    )
    return ewkb_hex(np.array([shapely.multilinestrings(lines)], dtype=object))[0]


def test_the_track_ewkb_by_hand():
    """MULTILINESTRING((1 2, 3 4)) in SRID 4326, byte by byte: little endian (01), type 5 with
    the SRID flag (05000020), SRID 4326 (E6100000), 1 line (01000000); the line: 01, type 2
    (02000000), 2 points (02000000), then the doubles 1.0 (000000000000F03F), 2, 3, 4."""
    got = multilinestring_ewkb_hex(np.array([1.0, 3.0]), np.array([2.0, 4.0]), np.array([0, 0]))
    assert got == (
        "01" "05000020" "e6100000" "01000000"
        "01" "02000000" "02000000"
        "000000000000f03f" "0000000000000040" "0000000000000840" "0000000000001040"
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(5))
def test_the_track_ewkb_is_what_shapely_wrote(seed):
    """Several parts (runs of equal part numbers, not necessarily 0, 1, 2), real lon/lat:
    the same bytes as the shapely lines written by ``ewkb_hex`` (upper-case hex there)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 50, rng.integers(1, 6))
    part = np.repeat(np.sort(rng.choice(100, len(sizes), replace=False)), sizes)
    x = rng.uniform(73, 135, len(part))
    y = rng.uniform(18, 53, len(part))
    got = multilinestring_ewkb_hex(x, y, part)
    assert got.upper() == _shapely_ewkb(x, y, part)
    assert shapely.equals_exact(
        shapely.from_wkb(got), shapely.from_wkb(_shapely_ewkb(x, y, part)), tolerance=0
    )


def test_the_stored_track_is_the_one_the_shapely_path_stored():
    """``patrols._track_ewkb`` against the code it replaced (shapely lines of the kept points,
    a part of one point left out, transformed to WGS84 by ``crs.transform``): same hex."""
    from gis_service.domain import crs
    from gis_service.domain.tracks import clean_track
    from gis_service.services.patrols import _track_ewkb

    rng = np.random.default_rng(3)
    n = 3000
    x = 500_000 + np.cumsum(rng.normal(1.2, 0.5, n))
    y = 2_400_000 + np.cumsum(rng.normal(0.3, 0.5, n))
    t = 1_782_867_600 + np.cumsum(rng.uniform(1, 3, n))
    t[1000:] += 3600  # a silence: a second part
    t[2000] += 3600  # a lone point between two silences: a part of one point
    t[2001:] += 7200
    track = clean_track(x, y, t, np.full(n, 5.0))
    assert set(np.bincount(track.kpart).tolist()) >= {1}  # the lone part is there

    xy = np.column_stack([track.kx, track.ky])
    part = track.kpart
    ok = np.bincount(part)[part] >= 2
    lines = shapely.linestrings(xy[ok], indices=np.unique(part[ok], return_inverse=True)[1])
    geom = crs.transform(shapely.multilinestrings(lines), 4545, crs.STORAGE_CRS)
    before = ewkb_hex(np.array([geom], dtype=object))[0]
    got = _track_ewkb(track, 4545)
    assert got is not None and got.upper() == before
