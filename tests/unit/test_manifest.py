"""The bulk upload manifest: columns by name (the sample's person_id too), clear errors."""

from __future__ import annotations

import pytest

from gis_service.errors import InputError
from gis_service.fileio.manifest import ManifestRow, read_manifest


def test_columns_by_name_and_empty_cells(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "\ufeffkind,person_id,file,坐标系\ngood,P1,a.gpx,gcj02\n,,b.gpx,\n\n", encoding="utf-8"
    )
    manifest = read_manifest(path)
    assert manifest.rows == [
        ManifestRow("a.gpx", "P1", "gcj02", None, 2),
        ManifestRow("b.gpx", None, None, None, 3),
    ]
    assert manifest.ignored_columns == ["kind"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chief,mode\nP1,walk\n", "line 1: the manifest has no 'file' column"),
        ("file,chief\na.gpx,P1\na.gpx,P2\n", "line 3: a.gpx is listed twice"),
        ("file,chief\n,P1\n", "line 2: no file name"),
    ],
)
def test_bad_manifests_name_the_line(tmp_path, text, message):
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_manifest(path)
