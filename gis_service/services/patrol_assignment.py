"""A chief's assignment on a day as the matcher needs it: metric lines (rivers, and the shore
of still-water zones) and chainage targets on them, cached per zoning run and posts.

Which segments and zones a chief holds is decided by ``domain.assignments`` (the rules the
audit and the roster use too); this module turns them into lines in the patrol's metric zone
and maps the patrol's chainage back to the zoning's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import stat
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import Connection

from gis_service.db.assignment_store import (
    chiefs_with_tokens,
    load_post_targets,
    stored_river_lengths,
    water_lines,
    zoning_metric_zones,
)
from gis_service.db.patrol_store import ZoningState, zoning_states
from gis_service.domain import crs
from gis_service.domain.assignments import assignments
from gis_service.domain.coverage import LineMatcher, Target
from gis_service.domain.linear import LineSet, orient
from gis_service.domain.vocab import REGION_ROLES

SHORE_MATCH_HALF_WIDTH_M = 100.0


@dataclass(frozen=True)
class TargetMeta:
    """What a target is, beyond its chainage: reported with its coverage and stored."""

    target_type: str  # segment, joint (a neighbour's segment, credit only) or zone
    water_body_code: str
    line: int  # index into the assignment's lines
    walked_only: bool  # a general chief's region target: stored only where walked


@dataclass
class Assignment:
    """The lines and targets of a chief's patrols on a day, and a matcher built once."""

    lines: LineSet
    targets: list[Target]
    meta: dict[str, TargetMeta]
    matcher: LineMatcher | None = None  # built once, reused by every patrol of the chief
    # river target id -> (patrol chainage, stored chainage) at the river's vertices and the
    # target's stored start: what is reported is in the zoning's chainage
    stored: dict[str, tuple[np.ndarray, np.ndarray, float]] = field(default_factory=dict)
    run_id: int | None = None  # the zoning run the targets are of (in force on the day)


class AssignmentCache:
    """Assignments change only with the zoning or the posts: cached by both (per process),
    so a batch of uploads does not rebuild the same lines again and again.

    Uploads run on threadpool threads: the LRU bookkeeping is done under a lock. The build
    itself runs outside it (two threads may build the same key once each; the second result
    replaces the first, both are equal), so a slow build never blocks other chiefs."""

    # files one process writes into a shared folder at most (56 KiB each on average in the
    # re-match benchmark): a run over a province's chiefs keeps its folder bounded
    SHARED_MAX = 4096

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Assignment] = OrderedDict()
        self._lock = threading.Lock()
        self._shared: Path | None = None
        self._written = 0

    def share(self, folder: Path | None) -> None:
        """Also keep built assignments as files in ``folder`` and read those found there, or
        stop (None). A re-match run gives its tasks one new folder (``rematch_dask``): its
        worker processes on one machine then build a chief's lines once between them, where
        each used to build every chief it met again (two workers built 1,025 assignments for
        the benchmark's 536 chiefs, one worker 641). The folder lives as long as the run, so
        what is read is what this process's own cache would hold; a folder not owned by this
        user, or that others may write or read, or a symbolic link, is not used (the files
        are pickles). ``SHARED_MAX`` counts this process's files per folder."""
        if folder is not None and share_refusal(folder) is not None:
            folder = None
        with self._lock:
            if folder != self._shared:
                self._written = 0
            self._shared = folder

    def _file(self, key: Hashable) -> Path | None:
        folder = self._shared
        if folder is None:
            return None
        return folder / (hashlib.sha256(repr(key).encode()).hexdigest() + ".pickle")

    def _load(self, key: Hashable) -> Assignment | None:
        path = self._file(key)
        if path is None:
            return None
        try:
            value = pickle.loads(path.read_bytes())
        except Exception:
            return None
        return value if isinstance(value, Assignment) else None

    def _keep(self, key: Hashable, value: Assignment) -> None:
        path = self._file(key)
        if path is None or self._written >= self.SHARED_MAX:
            return
        part = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
        try:
            part.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(part, path)  # readers see a whole file or none
            self._written += 1
        except OSError:
            part.unlink(missing_ok=True)

    def get(self, key: Hashable, build: Callable[[], Assignment]) -> Assignment:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        value = self._load(key)
        if value is None:
            value = build()
            self._keep(key, value)
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


ASSIGNMENTS = AssignmentCache()


def share_refusal(folder: Path) -> str | None:
    """Why ``folder`` cannot hold shared assignments (made if missing), or None: the files
    are pickles, so only a folder of this user's that nobody else may read or write, and not
    a symbolic link."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.lstat()
    except OSError as exc:
        return f"cannot be made or read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if st.st_uid != os.getuid():
        return "is owned by another user"
    if st.st_mode & 0o077:
        return f"may be read or written by others (mode {stat.S_IMODE(st.st_mode):o}; use 700)"
    return None


def database_key(conn: Connection) -> str:
    """Which database a connection is of (server, port, name; no password): part of the
    assignment cache's key."""
    url = conn.engine.url
    return f"{url.host}:{url.port}/{url.database}"


def assignment_for(
    conn: Connection, chief_id: str, day: dt.date, epsg: int, reach: float, state: ZoningState
) -> Assignment:
    """The chief's assignment under ``state`` (the zoning run in force on ``day`` and the
    posts held then), as lines in zone ``epsg``: from the cache, else built and kept."""
    return ASSIGNMENTS.get(
        # run and post ids are a database's own: two databases in one process (notebooks
        # comparing them, tests) must not share lines
        (database_key(conn), state.run_id, epsg, reach, chief_id, state.post_ids),
        lambda: build_assignment(conn, chief_id, day, epsg, reach, state.run_id),
    )


def warm_assignments(
    conn: Connection,
    day: dt.date,
    reach: float,
    limit: int,
) -> int:
    """Build the assignments of chiefs whose phones may upload (a live token), for ``day``,
    in every zone their water lies in (a track is measured in its own zone, and its lines
    are looked up in it): their first upload then finds its lines built. How many chiefs
    were looked at.

    The first zone is their posts' regions' (a county may straddle two zones); the lines
    built there tell the zones the water itself lies in, each built too."""
    places = chiefs_with_tokens(conn, day, limit)
    states = zoning_states(conn, [(p.chief_id, day) for p in places])
    for place in places:
        state = states[(place.chief_id, day)]
        first = crs.local_metric_epsg(place.lon, place.lat)
        lines = assignment_for(conn, place.chief_id, day, first, reach, state).lines
        for epsg in sorted(_zones_of_lines(lines, first) - {first}):
            assignment_for(conn, place.chief_id, day, epsg, reach, state)
    return len(places)


def _zones_of_lines(lines: LineSet, epsg: int) -> set[int]:
    """The metric zones the vertices of ``lines`` (in zone ``epsg``) lie in."""
    if len(lines.seg_xy0) == 0:
        return set()
    lon, lat = crs.transformer(f"EPSG:{epsg}", crs.STORAGE_CRS).transform(
        lines.seg_xy0[:, 0], lines.seg_xy0[:, 1]
    )
    return {int(z) for z in np.unique(crs.zones_of(shapely.points(lon, lat)))}


def build_assignment(
    conn: Connection, chief_id: str, day: dt.date, epsg: int, reach: float, run_id: int | None
) -> Assignment:
    """The chief's segments and zones on ``day`` as lines and chainage targets, of zoning run
    ``run_id`` (the one in force that day)."""
    posts, segs, zones, ancestors, kinds = load_post_targets(conn, chief_id, day, run_id)
    held = assignments(segs, zones, posts, day, ancestors=ancestors, water_kinds=kinds)
    region_posts = set(posts.loc[posts["role"].isin(REGION_ROLES), "post_id"])
    by_region = set(held.loc[held["post_id"].isin(region_posts), "target_id"])
    by_water = set(held.loc[~held["post_id"].isin(region_posts), "target_id"])
    seg_ids = set(held.loc[held["target_type"] == "segment", "target_id"])
    mine = segs[segs["id"].isin(seg_ids)]
    zones = zones[zones["id"].isin(set(held.loc[held["target_type"] == "zone", "target_id"]))]
    # neighbours' segments within the joint reach of a water post's own segments: walking into
    # them is credited to them too (patrols on joint sections count for both sides)
    own = mine[mine["id"].isin(by_water)]
    near = np.zeros(len(segs), dtype=bool)
    for r in own.itertuples():
        near |= (
            (segs.water_body_code == r.water_body_code)
            & (segs.level == r.level)
            & (segs.chainage_to_m > r.chainage_from_m - reach)
            & (segs.chainage_from_m < r.chainage_to_m + reach)
        ).to_numpy()
    neighbours = segs[near & ~segs.id.isin(mine.id).to_numpy()] if len(segs) else segs
    waters = sorted(set(mine.water_body_code) | set(neighbours.water_body_code))
    rivers = water_lines(conn, waters)
    lonlat = np.array(
        [orient(shapely.from_wkb(w.wkb), reversed_flow=w.flow_reversed) for w in rivers],
        dtype=object,
    )
    river_geoms = list(crs.transform(lonlat, crs.STORAGE_CRS, epsg)) if rivers else []
    line_of = {w.code: i for i, w in enumerate(rivers)}
    shore_geoms = [_shore_line(bytes(z.zone), bytes(z.water), epsg) for z in zones.itertuples()]
    lines = LineSet.from_lines(np.array(river_geoms + shore_geoms, dtype=object))
    here = _chainage_maps(conn, run_id, [w.code for w in rivers], lonlat, lines, epsg)
    targets: list[Target] = []
    meta: dict[str, TargetMeta] = {}
    stored: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
    # own segments get joint-section credit beyond their ends; neighbours' segments are
    # measured only to credit what the patrol walked on them; a general chief's region
    # targets are stored only where walked (a city has hundreds)
    for frame, kind, extend in ((mine, "segment", reach), (neighbours, "joint", 0.0)):
        for r in frame.itertuples():
            line = line_of[str(r.water_body_code)]
            region_only = kind == "segment" and r.id in by_region and r.id not in by_water
            targets.append(
                Target(
                    str(r.id),
                    line,
                    float(np.interp(r.chainage_from_m, *here[line])),
                    float(np.interp(r.chainage_to_m, *here[line])),
                    float(r.buffer_width_m or 50.0),
                    0.0 if region_only else extend,
                    credit_only=kind == "joint",
                )
            )
            meta[str(r.id)] = TargetMeta(
                "segment" if kind == "segment" else "joint",
                str(r.water_body_code),
                line,
                bool(region_only),
            )
            stored[str(r.id)] = (here[line][1], here[line][0], float(r.chainage_from_m))
    for k, z in enumerate(zones.itertuples()):
        line = len(river_geoms) + k
        length = float(lines.lengths[line])
        if length <= 0:
            continue
        targets.append(
            Target(
                str(z.id),
                line,
                0.0,
                length,
                min(float(z.buffer_width_m or 200.0), SHORE_MATCH_HALF_WIDTH_M),
            )
        )
        meta[str(z.id)] = TargetMeta(
            "zone",
            str(z.water_body_code),
            line,
            z.id in by_region and z.id not in by_water,
        )
    return Assignment(lines, targets, meta, LineMatcher(lines), stored, run_id)


def _chainage_maps(
    conn: Connection,
    run_id: int | None,
    codes: list[str],
    lonlat: np.ndarray,
    lines: LineSet,
    epsg: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per river, (stored chainage, this patrol's chainage) at every vertex.

    The zoning measured each river in the zone of its unit of work, the patrol measures in
    the zone where it was walked. The river's zoning zone is the one of the last run whose
    length of the river equals its stored length; the stored chainage is then carried
    over vertex by vertex (identity when the zones agree)."""
    totals = stored_river_lengths(conn, codes, run_id)
    stored = np.array([float(totals.get(c) or 0.0) for c in codes])
    n = len(codes)
    best_err = np.abs(lines.lengths[:n] - stored)
    chosen = np.zeros(n, dtype=object)
    chosen[:] = [lines] * n
    for zone in zoning_metric_zones(conn, run_id):
        if zone == epsg or n == 0:
            continue
        other = LineSet.from_lines(crs.transform(lonlat, crs.STORAGE_CRS, zone))
        err = np.abs(other.lengths - stored)
        better = err < best_err
        chosen[better] = other
        best_err = np.where(better, err, best_err)
    out = []
    for k in range(n):
        zoned = chosen[k]
        a, b = zoned.line_seg_start[k], zoned.line_seg_start[k + 1]
        c, d = lines.line_seg_start[k], lines.line_seg_start[k + 1]
        if zoned is lines or b - a != d - c or stored[k] <= 0:
            # same zone, or no vertex-wise match: in proportion of the lengths
            total = stored[k] if stored[k] > 0 else lines.lengths[k]
            out.append((np.array([0.0, total]), np.array([0.0, lines.lengths[k]])))
            continue
        out.append(
            (
                np.append(zoned.seg_c0[a:b], zoned.lengths[k]),
                np.append(lines.seg_c0[c:d], lines.lengths[k]),
            )
        )
    return out


def _shore_line(zone_wkb: bytes, water_wkb: bytes, epsg: int) -> shapely.Geometry:
    """The water's edge along a zone (a shoreline piece, or the whole water area), metric:
    area zones are patrolled along their shore and measured by its length."""
    zone, water = (
        crs.transform(shapely.from_wkb(w), crs.STORAGE_CRS, epsg) for w in (zone_wkb, water_wkb)
    )
    edge = shapely.intersection(shapely.boundary(water), shapely.buffer(zone, 1.0))
    parts = [p for p in shapely.get_parts(shapely.line_merge(edge)) if p.geom_type == "LineString"]
    return shapely.multilinestrings(parts) if parts else shapely.LineString()


def warm_transformers(zones: list[int]) -> None:
    """Build this thread's PROJ transformers (WGS84 to each zone and back, 0.1-0.2 s each;
    pyproj keeps them per thread) before the thread's first upload waits for them."""
    for zone in zones:
        crs.transformer(crs.STORAGE_CRS, f"EPSG:{zone}")
        crs.transformer(f"EPSG:{zone}", crs.STORAGE_CRS)
