"""The patrol audit (巡河考核) as tables: what ``gis-service audit`` computes, for pandas."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from gis_service.db.layer_store import target_geometries
from gis_service.db.queries import names
from gis_service.domain import crs
from gis_service.domain.audit import BEHIND, MET, MISSED, NOT_REQUIRED, ON_TRACK
from gis_service.domain.periods import parse_day
from gis_service.domain.vocab import LEVEL_LABELS, LEVELS
from gis_service.notebook._connection import Bind, reading, settings
from gis_service.records.audit import AuditReport as AuditRecord
from gis_service.services.audit import configured_rules, gap_stretches, gaps_geojson, run_audit
from gis_service.services.audit_export import write_exports
from gis_service.services.point_sources import configured_point_rules

STATUSES = (MET, ON_TRACK, BEHIND, MISSED, NOT_REQUIRED)


@dataclass
class AuditReport:
    """One audit: ``raw`` is the service's report (what the JSON export holds); the frames
    are views of it, ``targets`` and ``gaps`` with their geometry."""

    raw: AuditRecord
    targets: gpd.GeoDataFrame
    posts: pd.DataFrame
    regions: pd.DataFrame
    due: pd.DataFrame  # 待巡提示: posts behind schedule in an open period
    gaps: gpd.GeoDataFrame
    gaps_geojson: dict

    @property
    def label(self) -> str:
        return f"{self.raw.region.name} {self.raw.period.label}"

    def overview(self) -> pd.Series:
        """The headline figures (what the XLSX's 概要 sheet holds, plus counts)."""
        return pd.Series(
            {
                "region": f"{self.raw.region.name} ({self.raw.region.code})",
                "period": self.raw.period.label,
                "as_of": self.raw.as_of.isoformat(),
                "rules_version": self.raw.rules_version,
                "patrols_in_period": self.raw.patrols_in_period,
                "counted_patrols": self.raw.counted_patrols,
                "posts": len(self.posts),
                "targets": len(self.targets),
                "unassigned_targets": int(self.targets["unassigned"].sum())
                if len(self.targets)
                else 0,
                "behind_schedule": len(self.due),
            }
        )

    def compliance_by_level(self) -> pd.DataFrame:
        """Posts per level and status, with the share met among posts that owed patrols
        (levels top-down)."""
        counts = (
            pd.crosstab(self.posts["level"], self.posts["status"])
            if len(self.posts)
            else pd.DataFrame()
        )
        levels = [lv for lv in LEVELS if lv in counts.index]
        table = counts.reindex(index=levels, columns=list(STATUSES), fill_value=0).astype(int)
        table["posts"] = table.sum(axis=1)
        owing = table["posts"] - table[NOT_REQUIRED]
        table["compliance_rate"] = table[MET] / owing.where(owing > 0)
        table.index = pd.Index([f"{lv} {LEVEL_LABELS[lv]}" for lv in levels], name="level")
        return table


def audit(
    region: str,
    period: str,
    as_of: dt.date | str | None = None,
    *,
    rules: Path | str | None = None,
    engine: Bind | None = None,
) -> AuditReport:
    """Audit ``region`` (and all below it) for ``period`` (2026-Q3, 2026-07, 2026-W27, ...)."""
    day = parse_day(as_of, "as_of")
    own = settings()
    ruleset = configured_rules(rules or own.rules_file)
    point_rules = configured_point_rules(own.point_rules_file)
    with reading(engine) as conn:
        report = run_audit(
            conn,
            region,
            period,
            as_of=day,
            rules=ruleset,
            point_rules=point_rules,
            timezone=own.timezone,
        )
        gaps_frame = gap_stretches(conn, report)
        gaps = gaps_geojson(conn, report)
        geoms = target_geometries(
            conn, [t.target_id for t in report.targets], [t.run_id for t in report.targets]
        )
        water_names = names(conn, "water_body")
    wire = report.wire()  # the frames show what the JSON export holds (dates as ISO text)
    targets = pd.DataFrame(
        wire["targets"],
        columns=[
            "target_id",
            "target_type",
            "water_body_code",
            "level",
            "length_m",
            "covered_m",
            "ratio",
            "gaps",
            "patrols",
            "last_patrol",
            "chiefs",
            "covered_by_chiefs_m",
            "unassigned",
            "regions",
        ],
    )
    targets["water_body_name"] = targets["water_body_code"].map(water_names)
    targets = gpd.GeoDataFrame(
        targets.merge(geoms, on="target_id", how="left"), geometry="geometry", crs=crs.STORAGE_CRS
    )
    rates = pd.DataFrame(wire["regions"])
    if len(rates):  # the report names each region's level: show it beside the code
        rates.insert(1, "level", rates.pop("level"))
    gap_frame = _gap_frame(gaps_frame, targets)
    gap_frame["water_body_name"] = gap_frame["water_body_code"].map(water_names)
    posts = pd.DataFrame(wire["posts"])
    due = pd.DataFrame(
        wire["due"], columns=["chief_id", "post_id", "rule_id", "deadline", "missing"]
    )
    if len(due):
        who = posts[["post_id", "chief_name", "role", "level", "region_name", "water_body_code"]]
        due = due.merge(who, on="post_id", how="left")
    return AuditReport(
        raw=report,
        targets=targets,
        posts=posts,
        regions=rates,
        due=due,
        gaps=gap_frame,
        gaps_geojson=gaps,
    )


def _gap_frame(gaps: gpd.GeoDataFrame, targets: pd.DataFrame) -> gpd.GeoDataFrame:
    columns = ["target_id", "from_m", "to_m", "length_m"]
    frame = gaps.set_crs(crs.STORAGE_CRS, allow_override=True)
    meta = targets[["target_id", "water_body_code", "level", "unassigned"]]
    frame = frame[[*columns, "geometry"]].merge(meta, on="target_id", how="left")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs.STORAGE_CRS)


def export_audit(report: AuditReport, folder: Path | str, *, chinese: bool = True) -> list[Path]:
    """JSON, CSV per table, XLSX (Chinese headers unless ``chinese=False``) and the gap
    GeoJSON, named as the CLI names them."""
    folder = Path(folder)
    files = write_exports(report.raw, folder, chinese=chinese)
    geo = folder / f"audit_{report.raw.region.code}_{report.raw.period.label}_gaps.geojson"
    geo.write_text(json.dumps(report.gaps_geojson, ensure_ascii=False), encoding="utf-8")
    return [*files, geo]
