"""Public signboards (公示牌; seeds 001, 002): import the boards (each tied to the nearest
responsibility segment of the current zoning, or the one given), the chiefs a board lists
now and as printed, and the boards to reprint.

Imports read and check the whole file first, list every problem with its line (or feature),
and write only when there is none, in one savepoint. The public's reports through a board
are in ``services.public_reports``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from gis_service.db import signboard_store as store
from gis_service.db.session import atomic
from gis_service.db.zoning_runs import current_run
from gis_service.domain import signboards as sb
from gis_service.domain.crs import local_metric_epsg, to_metric
from gis_service.domain.vocab import LEVEL_LABELS, LEVEL_RANK, POST_ROLE_LABELS
from gis_service.errors import InputError, NotFoundError
from gis_service.fileio.attributes import select_fields
from gis_service.fileio.cells import cell_date, cell_text
from gis_service.fileio.crs_input import parse_crs_option, resolve_source_crs, to_storage
from gis_service.fileio.tables import TABLE_SUFFIXES, read_table
from gis_service.fileio.vector import read_vector
from gis_service.services.reports import ImportReport, ProblemList

BOARD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "公示牌编码", "牌号"),
    "name": ("name", "名称", "公示牌名称"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "segment_id": ("segment_id", "河段编码", "河段"),
    "water_body_code": ("water_body_code", "河流编码", "所在水体"),
    "printed_on": ("printed_on", "制作日期", "印制日期"),
    "chiefs": ("chiefs", "公示河长", "所列河长"),
}


def configured_signboard_rules(path: Path | str | None = None) -> sb.SignboardRules:
    """The rules of ``path`` (the front end's GIS_SIGNBOARD_RULES_FILE), else the bundled
    ones; a file that cannot be used is bad input, named, not a crash."""
    try:
        return sb.load_signboard_rules(path)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _read(path: Path, crs: str | None) -> tuple[pd.DataFrame, np.ndarray, list[str], str]:
    """Attributes, WGS84 points (None where a table row has no usable numbers) and the CRS
    description. Tables: lon/lat columns in WGS84/CGCS2000 or, with ``crs``, GCJ-02/BD-09 or a
    projected CRS (x in lon, y in lat); vector files: their declared CRS or ``crs``."""
    if path.suffix.lower() not in TABLE_SUFFIXES:
        vector = read_vector(path, crs=crs)
        return vector.attributes, vector.geometries, vector.warnings, vector.source_crs.describe()
    frame = read_table(path)
    option = parse_crs_option(crs)
    described = (
        f"{option.describe()} (given with --crs)"
        if option is not None
        else "EPSG:4326 (WGS 84) lon/lat, a table's default (CGCS2000 alike)"
    )
    return frame, np.array([], dtype=object), [], described


def _table_points(
    attrs: pd.DataFrame, crs: str | None, problems: ProblemList, source: str
) -> np.ndarray:
    """The lon/lat cells as WGS84 points (None and a named problem where not numbers)."""
    out = np.array([None] * len(attrs), dtype=object)
    good = []
    for i, (lon, lat) in enumerate(zip(attrs["lon"].tolist(), attrs["lat"].tolist(), strict=True)):
        try:
            x, y = float(lon), float(lat)
        except (TypeError, ValueError):
            problems.add(f"line {i + 2}", "lon/lat (经度/纬度) must be numbers")
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            problems.add(f"line {i + 2}", "lon/lat (经度/纬度) must be finite numbers")
            continue
        good.append((i, x, y))
    if good:
        rows = np.array([g[0] for g in good])
        points = shapely.points(np.array([[g[1], g[2]] for g in good]))
        source_crs = resolve_source_crs(None, parse_crs_option(crs), source=source,
                                        default_wgs84=True)  # fmt: skip
        out[rows] = to_storage(points, source_crs, source=source)
    return out


@dataclass
class _Match:
    segment: int  # row of the candidate frame, -1 for none
    distance_m: float


def _match(
    points: np.ndarray,
    waters: list[str | None],
    given: list[str | None],
    candidates: pd.DataFrame,
    tolerance_m: float,
) -> list[_Match]:
    """Each board's segment: the given one (its distance measured), else the nearest within
    the tolerance (on the given water, when one is given), in the Gauss-Kruger zone of the
    board."""
    out = [_Match(-1, math.nan) for _ in points]
    if len(points) == 0 or candidates.empty:
        return out
    xy = shapely.get_coordinates(points)
    zones = np.array([local_metric_epsg(x, y) for x, y in xy])
    ranks = candidates["level"].map(LEVEL_RANK).to_numpy(np.int64)
    ids = candidates["id"].to_numpy()
    seg_water = candidates["water_body_code"].to_numpy()
    for epsg in np.unique(zones):
        lines = to_metric(candidates["geom"].to_numpy(dtype=object), int(epsg))
        in_zone = np.flatnonzero(zones == epsg)
        pts = to_metric(points[in_zone], int(epsg))
        keys = {(waters[i], given[i]) for i in in_zone}
        for water, seg in keys:
            rows = np.array(
                [k for k, i in enumerate(in_zone) if (waters[i], given[i]) == (water, seg)]
            )
            if seg is not None:
                pick = np.flatnonzero(ids == seg)
                if len(pick) == 0:
                    continue
                d = shapely.distance(pts[rows], lines[pick[0]])
                for r, dist in zip(rows, d, strict=True):
                    out[in_zone[r]] = _Match(int(pick[0]), float(dist))
                continue
            allowed = np.flatnonzero(seg_water == water) if water else np.arange(len(ids))
            index, dist = sb.nearest_segments(
                pts[rows], lines[allowed], ranks[allowed], tolerance_m
            )
            for r, j, d in zip(rows, index, dist, strict=True):
                out[in_zone[r]] = _Match(int(allowed[j]) if j >= 0 else -1, float(d))
    return out


def import_signboards(
    conn: Connection,
    path: Path | str,
    *,
    today: dt.date,
    tolerance_m: float,
    crs: str | None = None,
) -> ImportReport:
    """Boards from CSV/XLSX (code, lon, lat; name, segment_id, water_body_code, printed_on,
    chiefs optional) or a GeoJSON/GeoPackage/zipped Shapefile of points. Each board belongs
    to ``segment_id`` when given (within ``tolerance_m``), else to the nearest segment of the
    current zoning within ``tolerance_m`` (finest level). Its printed chiefs are the chiefs of
    that stretch on ``printed_on`` (default ``today``), or those of them the ``chiefs`` cell
    names (ids or names). Upserts by code."""
    path = Path(path)
    table = path.suffix.lower() in TABLE_SUFFIXES
    attributes, geoms, warnings, crs_text = _read(path, crs)
    optional = ["name", "segment_id", "water_body_code", "printed_on", "chiefs"]
    selected = select_fields(
        attributes,
        required=("code", *(("lon", "lat") if table else ())),
        optional=optional,
        aliases=BOARD_ALIASES,
        source=path.name,
    )
    attrs = selected.frame
    problems = ProblemList(path.name)
    label, offset = ("line", 2) if table else ("feature", 1)
    points = _table_points(attrs, crs, problems, path.name) if table else geoms
    run = current_run(conn)
    if run is None:
        raise InputError("no zoning yet: run `gis-service zoning rebuild` before importing boards")

    codes = [cell_text(v) for v in attrs["code"]]
    waters = [cell_text(v) for v in attrs["water_body_code"]]
    given = [cell_text(v) for v in attrs["segment_id"]]
    printed_raw = [cell_text(v) for v in attrs["printed_on"]]
    listed_raw = [cell_text(v) for v in attrs["chiefs"]]
    names_raw = [cell_text(v) for v in attrs["name"]]
    seen: dict[str, int] = {}
    printed: list[dt.date] = []
    usable = np.zeros(len(attrs), dtype=bool)
    for i in range(len(attrs)):
        where = f"{label} {i + offset}"
        code = codes[i]
        if not code:
            problems.add(where, "missing code (编码)")
        elif len(code) > 32:
            problems.add(where, f"code {code!r} is longer than 32 characters")
        elif any(ch in "/\\" or ord(ch) < 32 for ch in code):
            # the code is part of the board's page address (its QR code)
            problems.add(where, f"code {code!r}: no slash, backslash or control character")
        elif code in seen:
            problems.add(where, f"code {code} repeats {label} {seen[code]}")
        else:
            seen[code] = i + offset
        day_text = printed_raw[i]
        day = today
        if day_text is not None:
            try:
                day = cell_date(day_text) or today  # not cut at 10 characters: refused
            except ValueError:
                problems.add(where, f"printed_on {day_text!r} is not a date (YYYY-MM-DD)")
            else:
                if day > today:
                    problems.add(where, f"printed_on {day} is after today ({today})")
        printed.append(day)
        point = points[i] if i < len(points) else None
        if point is None:
            continue  # a table's bad numbers are already named
        if point.is_empty or point.geom_type != "Point":
            problems.add(where, f"expected a point, got {point.geom_type}")
            continue
        usable[i] = True

    xy = [
        tuple(float(v) for v in shapely.get_coordinates(p)[0]) if usable[i] else (0.0, 0.0)
        for i, p in enumerate(points)
    ]
    lon = [float(p[0]) for k, p in enumerate(xy) if usable[k]]
    lat = [float(p[1]) for k, p in enumerate(xy) if usable[k]]
    candidates = store.segments_near(conn, lon, lat, tolerance_m)
    missing_given = {g for g in given if g} - set(candidates["id"])
    if missing_given:
        extra = store.segments_by_id(conn, missing_given)
        candidates = pd.concat([candidates, extra], ignore_index=True)
    rows_used = np.flatnonzero(usable)
    matches = _match(
        np.array([points[i] for i in rows_used], dtype=object),
        [waters[i] for i in rows_used],
        [given[i] for i in rows_used],
        candidates,
        tolerance_m,
    )
    known_segments = set(candidates["id"])
    records = candidates.drop(columns="geom").to_dict("records")
    chosen: dict[int, tuple[dict, float]] = {}
    for i, m in zip(rows_used.tolist(), matches, strict=True):
        where = f"{label} {i + offset}"
        x, y = xy[i]
        at = f"({x:.6f}, {y:.6f})"
        seg = given[i]
        if seg is not None and seg not in known_segments:
            problems.add(where, f"segment {seg} is not in the current zoning (run {run})")
            continue
        if m.segment < 0:
            on = f" on water {waters[i]}" if waters[i] else ""
            problems.add(
                where,
                f"no river segment{on} within {tolerance_m:g} m of the board at {at}; give "
                "segment_id, or check the position and its CRS",
            )
            continue
        row = records[m.segment]
        if seg is not None and m.distance_m > tolerance_m:
            problems.add(
                where,
                f"segment {seg} is {m.distance_m:,.0f} m from the board at {at}; the "
                f"tolerance is {tolerance_m:g} m",
            )
            continue
        if waters[i] is not None and row["water_body_code"] != waters[i]:
            problems.add(
                where, f"segment {seg} lies on {row['water_body_code']}, not on {waters[i]}"
            )
            continue
        chosen[int(i)] = (row, m.distance_m)

    # the bank of boundary stretches: the region the board stands in (or the nearer one)
    bank_codes = [
        [c for c in (r["left_region_code"], r["right_region_code"]) if isinstance(c, str)]
        if r["kind"] == "boundary"
        else []
        for r, _ in chosen.values()
    ]
    keys = list(chosen)
    distances = store.region_distances(
        conn, [xy[i][0] for i in keys], [xy[i][1] for i in keys], bank_codes
    )
    regions: dict[int, str] = {}
    for k, i in enumerate(keys):
        row = chosen[i][0]
        if row["kind"] == "boundary":
            code = sb.bank_region(
                row["left_region_code"] if isinstance(row["left_region_code"], str) else None,
                row["right_region_code"] if isinstance(row["right_region_code"], str) else None,
                distances.get((k, row["left_region_code"])),
                distances.get((k, row["right_region_code"])),
            )
        else:
            code = row["region_code"]
        if code is None:
            problems.add(f"{label} {i + offset}", f"segment {row['id']} has no region")
            continue
        regions[i] = code

    ancestors = store.ancestors_of(conn, set(regions.values()))
    chiefs_on = {
        day: _StretchChiefs(
            store.posts_on(conn, day, {chosen[i][0]["water_body_code"] for i in regions}),
            ancestors,
        )
        for day in {printed[i] for i in regions}
    }
    out_rows: list[dict] = []
    empty: list[str] = []
    for i, region in regions.items():
        where = f"{label} {i + offset}"
        row, distance = chosen[i]
        water, level = row["water_body_code"], row["level"]
        chiefs = chiefs_on[printed[i]](water, level, region)
        tokens = sb.split_names(listed_raw[i])
        if tokens:
            chiefs, bad = sb.pick_listed(tokens, chiefs)
            if bad:
                problems.add(
                    where,
                    f"chiefs {', '.join(bad)}: not (or not one) chief of this stretch "
                    f"({water}, {LEVEL_LABELS[level]} {region}) on {printed[i]}",
                )
                continue
        if not chiefs:
            empty.append(str(codes[i]))
        name = names_raw[i] or f"{codes[i]} 河湖长公示牌"
        out_rows.append(
            {
                "code": codes[i],
                "name": name,
                "geom": shapely.Point(*xy[i]),
                "water_body_code": water,
                "level": level,
                "region_code": region,
                "segment_id": row["id"],
                "zoning_run_id": run,
                "matched_by": "given" if given[i] else "nearest",
                "match_distance_m": round(float(distance), 1),
                "printed_on": printed[i],
                "printed_chiefs": [c.as_dict() for c in chiefs],
            }
        )
    problems.raise_if_any()
    if empty:
        warnings.append(f"{len(empty)} board(s) list no chief: {', '.join(empty[:10])}")
    report = ImportReport(
        "signboards",
        path.name,
        len(out_rows),
        crs=crs_text,
        columns=dict(selected.used),
        unused_columns=list(selected.unused),
        warnings=list(warnings),
    )
    report.derived.append(
        f"{sum(r['matched_by'] == 'nearest' for r in out_rows)} matched to the nearest "
        f"segment within {tolerance_m:g} m (zoning run {run})"
    )
    with atomic(conn):
        report.inserted, report.updated = store.upsert_boards(conn, out_rows)
    return report


# -- the chiefs of a board, now and as printed ------------------------------------------------


class _StretchChiefs:
    """``domain.signboards.stretch_chiefs`` once per stretch (many boards share one) on the
    posts of the stretch's water only."""

    def __init__(self, posts: pd.DataFrame, ancestors: dict[str, tuple[str, ...]]) -> None:
        self.by_water = {str(w): part for w, part in posts.groupby("water_body_code")}
        self.empty = posts.iloc[0:0]
        self.ancestors = ancestors
        self.known: dict[tuple[str, str, str], list[sb.ListedChief]] = {}

    def __call__(self, water: str, level: str, region: str) -> list[sb.ListedChief]:
        key = (water, level, region)
        if key not in self.known:
            self.known[key] = sb.stretch_chiefs(
                self.by_water.get(water, self.empty),
                water=water,
                level=level,
                regions=self.ancestors[region],
            )
        return self.known[key]


@dataclass(frozen=True)
class BoardView:
    """A board with the chiefs of its stretch on a day and what changed since printing."""

    board: store.BoardRecord
    day: dt.date
    current: list[sb.ListedChief]
    printed: list[sb.ListedChief]
    check: sb.ListingCheck


def _listed(entries: list[dict]) -> list[sb.ListedChief]:
    return [
        sb.ListedChief(e["level"], e["role"], e["region_code"], e["chief_id"], e["name"])
        for e in entries
    ]


def board_views(
    conn: Connection, day: dt.date, *, codes: list[str] | None = None, water: str | None = None
) -> list[BoardView]:
    """Boards (all, these codes, or on one water) with their stretch's chiefs on ``day``."""
    boards = store.boards(conn, codes=codes, water=water)
    if not boards:
        return []
    chiefs_of = _StretchChiefs(
        store.posts_on(conn, day, {b.water_body_code for b in boards}),
        store.ancestors_of(conn, {b.region_code for b in boards}),
    )
    out = []
    for b in boards:
        current = chiefs_of(b.water_body_code, b.level, b.region_code)
        printed = _listed(b.printed_chiefs)
        out.append(BoardView(b, day, current, printed, sb.compare_listing(printed, current)))
    return out


def board_view(conn: Connection, code: str, day: dt.date) -> BoardView:
    views = board_views(conn, day, codes=[code])
    if not views:
        raise NotFoundError(f"signboard {code!r} not found")
    return views[0]


def reprint_list(conn: Connection, day: dt.date) -> list[BoardView]:
    """Boards whose printed chiefs are not the chiefs of their stretch on ``day``."""
    return [v for v in board_views(conn, day) if v.check.needs_reprint]


def chief_line(c: sb.ListedChief, region_names: dict[str, str]) -> str:
    """``"县级河段长 张三 (合浦县)"``: how a board prints a chief."""
    where = region_names.get(c.region_code, c.region_code)
    return f"{LEVEL_LABELS[c.level]}{POST_ROLE_LABELS[c.role]} {c.name} ({where})"


def board_frame(views: list[BoardView]) -> pd.DataFrame:
    """Boards for a map layer: code, name, water, region, chiefs (text), reprint flag,
    lon, lat."""
    columns = ["code", "name", "water", "region", "chiefs", "needs_reprint", "changes", "lon",
               "lat"]  # fmt: skip
    rows = []
    for v in views:
        b = v.board
        changes = [f"已不在任: {c.name}" for c in v.check.gone] + [
            f"未列入: {c.name}" for c in v.check.missing
        ]
        rows.append(
            (
                b.code,
                b.name,
                b.water_name,
                b.region_name,
                "、".join(
                    f"{c.name}({LEVEL_LABELS[c.level]}{POST_ROLE_LABELS[c.role]})"
                    for c in v.current
                ),
                v.check.needs_reprint,
                "；".join(changes),
                b.lon,
                b.lat,
            )
        )
    return pd.DataFrame(rows, columns=columns)


def river_boards(conn: Connection, water: str, day: dt.date) -> gpd.GeoDataFrame | None:
    """The boards on ``water`` as points for the river map (None without any)."""
    frame = board_frame(board_views(conn, day, water=water))
    if frame.empty:
        return None
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    )
