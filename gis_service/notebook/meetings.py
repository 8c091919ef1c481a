"""Upstream/downstream coordination (联防联控): neighbours of a segment and a river's report
for a joint meeting (联席会议), as tables with geometry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from gis_service.db.layer_store import region_table, segment_geometries
from gis_service.db.queries import region_ancestors
from gis_service.db.zoning_runs import NO_RUN
from gis_service.domain import crs
from gis_service.domain.periods import local_today, parse_day
from gis_service.domain.vocab import LEVEL_LABELS, LEVELS, POST_ROLE_LABELS
from gis_service.notebook._connection import Bind, reading, settings
from gis_service.services.zoning_queries import coordination_report, zoning_of_day
from gis_service.services.zoning_queries import neighbours as _walk

# what a meeting reads about a stretch: the by-region tables show these with the level label
_STRETCH_FACTS = [
    "kind",
    "region_name",
    "left_bank",
    "right_bank",
    "chainage_from_km",
    "chainage_to_km",
    "length_m",
    "chiefs",
]
STRETCH_COLUMNS = ["level", "level_label", "id", "ordinal", *_STRETCH_FACTS, "region_codes"]


def _chief_text(chiefs: list[dict]) -> str:
    out = []
    for c in chiefs:
        bank = f", {c['bank']} bank" if c.get("bank") else ""
        out.append(f"{c['name']} ({c['role_label']}{bank})")
    return "; ".join(out)


def neighbours(
    segment_id: str,
    direction: str = "both",
    *,
    distance_m: float | None = None,
    on: dt.date | str | None = None,
    engine: Bind | None = None,
) -> gpd.GeoDataFrame:
    """Segments upstream and/or downstream of a segment (through tributaries), nearest first,
    with the chiefs met on the way on a date (default today)."""
    if direction not in ("both", "upstream", "downstream"):
        raise ValueError("direction must be 'both', 'upstream' or 'downstream'")
    ways = ("upstream", "downstream") if direction == "both" else (direction,)
    day = parse_day(on, "on") or local_today(settings().timezone)
    rows = []
    with reading(engine) as conn:
        for way in ways:
            for n in _walk(
                conn,
                segment_id,
                direction=way,
                max_distance_m=float("inf") if distance_m is None else distance_m,
                day=day,
            ):
                rows.append({"direction": way, **n.wire(), "chief_names": _chief_text(n["chiefs"])})
        # the stretches of the zoning in force on the day, as the walk's
        _, run_id = zoning_of_day(conn, day)
        geoms = segment_geometries(conn, sorted({r["segment_id"] for r in rows}), run_id=run_id)
    frame = pd.DataFrame(
        rows,
        columns=[
            "direction",
            "segment_id",
            "water_body_code",
            "level",
            "kind",
            "region_code",
            "left_region_code",
            "right_region_code",
            "distance_m",
            "via",
            "chiefs",
            "chief_names",
        ],
    )
    frame = frame.merge(geoms.rename(columns={"id": "segment_id"}), on="segment_id", how="left")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs.STORAGE_CRS)


def _name(region: dict | None) -> str | None:
    return None if region is None else region["name"]


@dataclass
class CoordinationReport:
    """Everything a joint meeting on one river needs; ``raw`` is the service's report (the
    JSON of ``GET /rivers/{code}/report``), the rest are tables of it."""

    raw: dict
    stretches: gpd.GeoDataFrame
    river_chiefs: pd.DataFrame
    convener_lengths: pd.DataFrame
    joint_sections: gpd.GeoDataFrame
    tributaries: pd.DataFrame
    zones: pd.DataFrame
    unassigned: pd.DataFrame
    region_table: pd.DataFrame = field(repr=False)  # code, name, level, chain (self + above)

    @property
    def river(self) -> dict:
        return self.raw["river"]

    @property
    def convener(self) -> dict | None:
        return self.raw["convener"]

    def stretches_per_level(self) -> pd.DataFrame:
        """How many stretches and how many km each level splits the river into."""
        s = self.stretches[self.stretches["kind"] != "outside"]
        table = s.groupby("level").agg(
            stretches=("id", "size"),
            boundary=("kind", lambda k: int((k == "boundary").sum())),
            km=("length_m", lambda m: round(m.sum() / 1000, 2)),
            without_chief=("chiefs", lambda c: int((c == "").sum())),
        )
        return table.reindex([lv for lv in LEVELS if lv in table.index])

    def by_region(self, level: str = "county") -> dict[str, pd.DataFrame]:
        """One table per region of ``level`` the river touches: every stretch (of that level
        and below) inside it, or along its boundary, with its chiefs."""
        at_level = dict(
            zip(self.region_table["code"], self.region_table["level"] == level, strict=True)
        )
        chains = dict(zip(self.region_table["code"], self.region_table["chain"], strict=True))
        region_names = dict(zip(self.region_table["code"], self.region_table["name"], strict=True))
        tables: dict[str, list[int]] = {}
        for i, codes in enumerate(self.stretches["region_codes"]):
            owners = {c for code in codes for c in chains.get(code, ()) if at_level.get(c)}
            for owner in owners:
                tables.setdefault(owner, []).append(i)
        columns = ["level_label", *_STRETCH_FACTS]
        return {
            f"{region_names[code]} ({code})": self.stretches.iloc[rows][columns].reset_index(
                drop=True
            )
            for code, rows in sorted(tables.items())
        }


def coordination(
    water_body_code: str, day: dt.date | str | None = None, *, engine: Bind | None = None
) -> CoordinationReport:
    """The coordination report of one river on a date (default today)."""
    on = parse_day(day, "day") or local_today(settings().timezone)
    with reading(engine) as conn:
        raw = coordination_report(conn, water_body_code, on).to_dict()
        ids = [s["id"] for stretches in raw["levels"].values() for s in stretches]
        run = raw["zoning_run"]
        geoms = segment_geometries(conn, ids, run_id=NO_RUN if run is None else run["id"])
        ancestors = region_ancestors(conn)
        regions = region_table(conn)
    regions["chain"] = [(c, *ancestors.get(c, ())) for c in regions["code"]]
    rows = []
    for level, stretches in raw["levels"].items():
        for s in stretches:
            rows.append(
                {
                    "level": level,
                    "level_label": LEVEL_LABELS.get(level, level),
                    "id": s["id"],
                    "ordinal": s["ordinal"],
                    "kind": s["kind"],
                    "region_name": _name(s["region"]),
                    "left_bank": _name(s["left_bank"]),
                    "right_bank": _name(s["right_bank"]),
                    "chainage_from_km": s["chainage_from_km"],
                    "chainage_to_km": s["chainage_to_km"],
                    "length_m": s["length_m"],
                    "chiefs": _chief_text(s["chiefs"]),
                    "region_codes": [
                        r["code"] for r in (s["region"], s["left_bank"], s["right_bank"]) if r
                    ],
                }
            )
    stretches = pd.DataFrame(rows, columns=STRETCH_COLUMNS).merge(geoms, on="id", how="left")
    joint = pd.DataFrame(raw["joint_sections"])
    if len(joint):
        joint["upstream"] = joint["upstream"].map(_name)
        joint["downstream"] = joint["downstream"].map(_name)
        points = shapely.points(list(joint.pop("crossing_point")))
    else:
        points = []
    tributaries = pd.DataFrame(
        raw["tributaries"], columns=["code", "name", "confluence_km", "chiefs"]
    )
    tributaries["chiefs"] = tributaries["chiefs"].map(
        lambda cs: "; ".join(
            f"{c['name']} ({POST_ROLE_LABELS.get(c['role'], c['role'])}, "
            f"{LEVEL_LABELS.get(c['level'], c['level'])})"
            for c in cs
        )
    )
    convener = raw["convener"]
    return CoordinationReport(
        raw=raw,
        stretches=gpd.GeoDataFrame(stretches, geometry="geometry", crs=crs.STORAGE_CRS),
        river_chiefs=pd.DataFrame(
            raw["river_chiefs"],
            columns=["chief_id", "name", "title", "role", "role_label", "level", "region"],
        ).assign(region=lambda f: f["region"].map(_name)),
        convener_lengths=pd.DataFrame(convener["counties"] if convener else []),
        joint_sections=gpd.GeoDataFrame(joint, geometry=points, crs=crs.STORAGE_CRS),
        tributaries=tributaries,
        zones=pd.DataFrame(raw["zones"]),
        unassigned=pd.DataFrame(raw["unassigned"]),
        region_table=regions,
    )
