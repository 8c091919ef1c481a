"""The notebook API: the service's data as (Geo)DataFrames, for GIS staff in Jupyter.

>>> import gis_service as gis                              # doctest: +SKIP
>>> gis.connect()                    # the configured database (or a URL / database name)
>>> segs = gis.segments(region="450521", level="village")   # GeoDataFrame, EPSG:4326
>>> gis.to_metric(segs).length.sum()                        # metres (CGCS2000 GK zone)

Reads use the same SQL and services as the HTTP API and the CLI; every write is one
transaction. Functions take ``engine=`` (an Engine, or a Connection whose transaction the
caller manages) to talk to another database than the default one.
"""

# The imports below are the API: its names are listed once, in gis_service._notebook_names,
# which ``gis_service`` reads without importing this package (and pandas).
# ruff: noqa: F401

from __future__ import annotations

from gis_service._notebook_names import NOTEBOOK_API as _NOTEBOOK_API
from gis_service.domain.vocab import LEVEL_LABELS, LEVELS, POST_ROLE_LABELS, WATER_KIND_LABELS
from gis_service.errors import GisServiceError
from gis_service.notebook._connection import (
    connect,
    create_database,
    current_engine,
    drop_database,
)
from gis_service.notebook.audits import AuditReport, audit, export_audit
from gis_service.notebook.layers import (
    chiefs,
    joint_sections,
    metric_crs,
    patrols,
    regions,
    segments,
    summary,
    to_metric,
    unassigned,
    water_bodies,
    zones,
)
from gis_service.notebook.loading import (
    import_chiefs,
    import_regions,
    import_water_bodies,
    rebuild_zoning,
    sample_dir,
    upload_tracks,
)
from gis_service.notebook.maps import coverage_map, patrol_map, river_map, save_map
from gis_service.notebook.meetings import CoordinationReport, coordination, neighbours
from gis_service.notebook.plotting import use_chinese_font

__all__ = list(_NOTEBOOK_API)
