"""The CRS decisions of an import, without a database (hand-made cases)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import CRS

from gis_service.domain.chinacoords import wgs84_to_gcj02
from gis_service.errors import InputError
from gis_service.fileio.crs_input import (
    looks_like_datav,
    parse_crs_option,
    resolve_source_crs,
    to_storage,
)


def test_options_are_parsed_or_refused():
    assert parse_crs_option(None) is None
    assert parse_crs_option("gcj02").offset == "gcj02"
    assert parse_crs_option("BD-09").offset == "bd09"
    assert parse_crs_option("cgcs2000").crs.to_epsg() == 4490
    assert parse_crs_option("EPSG:4545").crs.to_epsg() == 4545
    for bad in ("EPSG:99999", "NONSENSE", "EPSG:4978"):  # 4978: geocentric
        with pytest.raises(InputError, match=bad):
            parse_crs_option(bad)


def test_declaration_and_option_are_reconciled():
    gk = CRS.from_epsg(4545)
    wgs = CRS.from_epsg(4326)
    assert resolve_source_crs(gk, None, source="f", default_wgs84=False).origin == "declared"
    same = resolve_source_crs(gk, parse_crs_option("EPSG:4545"), source="f", default_wgs84=False)
    assert same.origin == "declared"
    with pytest.raises(InputError, match=r"EPSG:4545.*EPSG:4490"):
        resolve_source_crs(gk, parse_crs_option("EPSG:4490"), source="f", default_wgs84=False)
    gcj = resolve_source_crs(wgs, parse_crs_option("gcj02"), source="f", default_wgs84=False)
    assert (gcj.origin, gcj.offset) == ("declared+option", "gcj02")
    assert resolve_source_crs(None, None, source="f", default_wgs84=True).origin == "assumed"
    with pytest.raises(InputError, match="declares no CRS"):
        resolve_source_crs(None, None, source="f", default_wgs84=False)


def test_gcj02_offset_is_removed_to_centimetres():
    lon, lat = 109.12, 21.48  # Beihai
    glon, glat = wgs84_to_gcj02(lon, lat)
    source = resolve_source_crs(None, parse_crs_option("gcj02"), source="f", default_wgs84=True)
    out = to_storage(np.array([shapely.Point(glon, glat)]), source, source="f")
    assert abs(out[0].x - lon) < 1e-7 and abs(out[0].y - lat) < 1e-7  # ~1 cm


def test_projected_numbers_and_places_outside_china_are_refused():
    assumed = resolve_source_crs(None, None, source="f", default_wgs84=True)
    with pytest.raises(InputError, match=r"x=627873.*--crs"):
        to_storage(np.array([shapely.Point(627873, 2400690)]), assumed, source="f")
    with pytest.raises(InputError, match="outside China"):
        to_storage(np.array([shapely.Point(14.5, 46.05)]), assumed, source="f")  # Ljubljana


def test_datav_is_recognised_by_its_members():
    assert looks_like_datav(["adcode", "name", "parent", "acroutes"])
    assert not looks_like_datav(["code", "name", "parent"])
