"""Deterministic sample region for Beihai (北海市): regions, waters, chiefs and patrol tracks.

Real county boundaries (DataV.GeoAtlas, GCJ-02 converted to WGS84) and the real Nanliu line
(GSHHG) anchor the sample in a real place; everything finer (townships, villages, the other
rivers, reservoirs, people, tracks) is synthetic so that it can be published and regenerated
byte for byte. Geometry is built in metres (CGCS2000 GK CM108E, EPSG:4545) and written in
WGS84 (EPSG:4326).
"""

from __future__ import annotations

import os
from pathlib import Path

from gis_service.domain.crs import STORAGE_CRS as STORAGE_CRS  # re-exported for the sample
from gis_service.errors import SetupError

METRIC_CRS = "EPSG:4545"
CITY_CODE = "450500"

# Data of the checkout, not of the package (a wheel does not carry data/realdata).
_DEFAULT_REALDATA = Path(__file__).resolve().parents[2] / "data" / "realdata"


def realdata_dir() -> Path:
    """Where the real boundary files live: $GIS_SAMPLE_REALDATA, else the checkout's
    data/realdata (absent when the package is installed from a wheel)."""
    candidate = Path(os.environ.get("GIS_SAMPLE_REALDATA") or _DEFAULT_REALDATA)
    if (candidate / "450500_full.json").exists():
        return candidate
    raise SetupError(
        f"real boundary data not found in {candidate} (it ships with the source checkout, "
        "not with the installed package): set GIS_SAMPLE_REALDATA to the folder holding "
        "450000_full.json, 450500_full.json and nanliu_river_gshhg.geojson"
    )
