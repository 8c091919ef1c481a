"""The names of the notebook API, in one place.

``gis_service`` exports them lazily (so ``import gis_service`` and the CLI never import
pandas) and ``gis_service.notebook`` defines them; both read this list. Pure Python: it is
imported with the package itself.
"""

from __future__ import annotations

NOTEBOOK_API: tuple[str, ...] = (
    "LEVELS",
    "LEVEL_LABELS",
    "POST_ROLE_LABELS",
    "WATER_KIND_LABELS",
    "AuditReport",
    "CoordinationReport",
    "GisServiceError",
    "audit",
    "chiefs",
    "connect",
    "coordination",
    "coverage_map",
    "create_database",
    "current_engine",
    "drop_database",
    "export_audit",
    "import_chiefs",
    "import_regions",
    "import_water_bodies",
    "joint_sections",
    "metric_crs",
    "neighbours",
    "patrol_map",
    "patrols",
    "rebuild_zoning",
    "regions",
    "river_map",
    "save_map",
    "sample_dir",
    "segments",
    "summary",
    "to_metric",
    "unassigned",
    "upload_tracks",
    "use_chinese_font",
    "water_bodies",
    "zones",
)
