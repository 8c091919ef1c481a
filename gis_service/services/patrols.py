"""Ingest a patrol upload: parse, clean, match to the chief's assignments, judge, store.

One upload is one transaction. A rejected upload (bad file, unknown chief) raises before
anything is written. The same patrol sent again (same app UUID, or the same points under
another name: offline phones retry) returns the stored patrol and counts once, also when
copies arrive at the same moment: the insert is ``ON CONFLICT DO NOTHING`` on the UUID and
on (chief, content hash), and the loser reads the winner's row.

Every SQL statement is in ``db.patrol_store`` (and ``db.assignment_store``); this module
keeps the pipeline and its typed records: :class:`Upload` as received, :class:`PreparedPatrol`
once parsed and checked, :class:`ComputedPatrol` once measured and judged, and per upload an
outcome (:data:`PatrolOutcome`): a :class:`PatrolResult`, a :class:`Duplicate` of a stored or
earlier patrol, or the domain exception that refused it (the API maps it to an HTTP status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import zoneinfo
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, Engine

from gis_service.db import partitions
from gis_service.db import patrol_store as store_db
from gis_service.db.bulk import ewkb_hex, multilinestring_ewkb_hex
from gis_service.db.patrol_store import (
    ContextQuery,
    CoverageRow,
    PatrolListing,
    PatrolRow,
    StoredPatrol,
    ZoningState,
)
from gis_service.db.session import atomic
from gis_service.domain import crs
from gis_service.domain.chinacoords import COORDINATE_SYSTEMS, to_wgs84
from gis_service.domain.coverage import (
    Coverage,
    MatchParams,
    Target,
    TargetCoverage,
    measure,
    without_credit,
)
from gis_service.domain.linear import LineSet
from gis_service.domain.offsets import OffsetCheck, check_offset
from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.domain.tracks import (
    MODE_MAX_SPEED,
    CleaningParams,
    CleanTrack,
    RawTrack,
    clean_track,
)
from gis_service.domain.verdict import (
    PatrolContext,
    Verdict,
    VerdictRules,
    geometry_fingerprint,
    judge,
)
from gis_service.errors import (
    ConflictError,
    GisServiceError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from gis_service.fileio.tracks import parse_track
from gis_service.services.patrol_assignment import Assignment, assignment_for
from gis_service.services.service_area import ServiceArea, service_area, tested_points


@dataclass(frozen=True)
class PatrolSettings:
    """How patrols are read and judged. Built by the front ends (API app state, CLI,
    notebook) from the office's settings: ``timezone`` (GIS_TIMEZONE) reads naive times and
    makes local dates; nothing below the front ends reads the environment."""

    timezone: str = DEFAULT_TIMEZONE
    cleaning: CleaningParams = field(default_factory=CleaningParams)
    matching: MatchParams = field(default_factory=MatchParams)
    rules: VerdictRules = field(default_factory=VerdictRules)
    # convert a track declared WGS84 that fits only as GCJ-02/BD-09 (recorded in its notes),
    # instead of judging it likely_gcj02/likely_bd09 without coverage credit
    auto_convert_offsets: bool = False


# -- records --------------------------------------------------------------------------------------


@dataclass
class Upload:
    """One patrol as received: the bytes and what the uploader declared."""

    data: bytes
    filename: str | None = None
    chief_id: str | None = None
    coord_system: str | None = None
    mode: str | None = None
    patrol_uuid: str | None = None
    fmt: str | None = None
    owner: str | None = None  # the authenticated chief: they may file only their own patrols


@dataclass
class PreparedPatrol:
    """An upload parsed and checked: whose, in which coordinates, how it moved, its id."""

    upload: Upload
    track: RawTrack
    chief_id: str
    coord_system: str  # may change once: an undeclared GCJ-02/BD-09 track converted
    mode: str
    pid: uuid.UUID | None
    content: str  # SHA-256 of chief, points and times: the same points again are a duplicate
    source: str
    day: dt.date  # the patrol's local date (posts are held by local date)
    lon: np.ndarray  # WGS84, converted from the declared coordinate system
    lat: np.ndarray
    started: dt.datetime
    ended: dt.datetime
    fingerprint: str  # of the points as declared (geometry_fingerprint)
    # the upload's stored form (zlib, SHA-256), prepared on the evidence thread meanwhile
    evidence: Future[store_db.Evidence] | None = None
    # (tested points inside some region, tested points): read by the batch's prefetch
    inside: tuple[int, int] | None = None


@dataclass
class ComputedPatrol:
    """A prepared patrol cleaned, matched and measured; its context and verdict come once the
    whole batch is known."""

    prep: PreparedPatrol
    track: CleanTrack
    coverage: Coverage
    assignment: Assignment
    fingerprint: str
    area: ServiceArea
    started: dt.datetime
    ended: dt.datetime
    epsg: int
    offset: OffsetCheck | None = None  # the undeclared GCJ-02/BD-09 test
    context: PatrolContext | None = None
    patrol_id: uuid.UUID | None = None
    result: PatrolResult | None = None  # once judged


@dataclass(frozen=True)
class PatrolResult:
    """A judged patrol (stored, or only validated): what the uploader is told."""

    id: uuid.UUID
    chief_id: str
    status: str
    reasons: list[dict[str, Any]]
    started_at: str
    ended_at: str
    summary: dict[str, Any]
    dropped: list[list[str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "chief_id": self.chief_id,
            "status": self.status,
            "reasons": self.reasons,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "summary": self.summary,
            "dropped": self.dropped,
            "duplicate": False,
        }


@dataclass(frozen=True)
class Duplicate:
    """The upload repeats a patrol (stored, or earlier in the batch): that patrol, counted
    once."""

    patrol: PatrolResult | StoredPatrol

    def to_json(self) -> dict[str, Any]:
        return {**self.patrol.to_json(), "duplicate": True}


# one per upload of a batch, in order: never an HTTP status (the API maps the exceptions)
PatrolOutcome = PatrolResult | Duplicate | GisServiceError


def _content_hash(chief_id: str, lon: np.ndarray, lat: np.ndarray, t: np.ndarray) -> str:
    digest = hashlib.sha256(chief_id.encode())
    digest.update(np.round(np.column_stack([lon, lat]) * 1e7).astype(np.int64).tobytes())
    digest.update(t.astype("datetime64[s]").astype(np.int64).tobytes())
    return digest.hexdigest()


def prepare_patrol(upload: Upload, settings: PatrolSettings) -> PreparedPatrol:
    """Parse and check what was declared; raises InputError before anything is stored."""
    raw = parse_track(
        upload.data, filename=upload.filename, fmt=upload.fmt, timezone=settings.timezone
    )
    chief_id = upload.chief_id or raw.meta.get("chief_id")
    coord_system = str(upload.coord_system or raw.meta.get("coord_system") or "wgs84")
    coord_system = coord_system.lower().replace("-", "")
    mode = str(upload.mode or raw.meta.get("mode") or "walk").lower()
    patrol_uuid = upload.patrol_uuid or raw.meta.get("patrol_uuid")
    source = upload.filename or "upload"
    declared = raw.meta.get("chief_id")
    if upload.chief_id and declared and str(declared) != str(upload.chief_id):
        raise InputError(
            f"chief_id {upload.chief_id!r} of the request and {declared!r} of the file differ",
            source=source,
        )
    chief_id = chief_id or upload.owner
    if not chief_id:
        raise InputError("no chief given (chief_id)", source=source)
    if upload.owner and str(chief_id) != upload.owner:
        raise PermissionDeniedError(
            f"a chief uploads own patrols only ({upload.owner}), not {chief_id}'s"
        )
    if coord_system not in COORDINATE_SYSTEMS:
        raise InputError(
            f"coord_system must be one of {', '.join(COORDINATE_SYSTEMS)}", source=source
        )
    if mode not in MODE_MAX_SPEED:
        raise InputError(f"mode must be one of {', '.join(MODE_MAX_SPEED)}", source=source)
    try:
        pid = uuid.UUID(str(patrol_uuid)) if patrol_uuid else None
    except ValueError:
        raise InputError(f"patrol_uuid {patrol_uuid!r} is not a UUID", source=source) from None
    content = _content_hash(str(chief_id), raw.lon, raw.lat, raw.time)
    day = _local_day(raw.time, settings.timezone)
    lon, lat = to_wgs84(raw.lon, raw.lat, coord_system)
    t = raw.time.astype("datetime64[ns]").astype(np.int64) / 1e9
    started = dt.datetime.fromtimestamp(float(t.min()), dt.UTC)
    if not partitions.storable(started):  # a broken clock's start beyond any partition
        raise InputError(
            f"the patrol starts {started:%Y-%m-%d %H:%M} UTC: patrols are stored from "
            f"{partitions.FIRST_YEAR} to {partitions.LAST_YEAR} (the device clock is wrong)",
            source=source,
        )
    return PreparedPatrol(
        upload,
        raw,
        str(chief_id),
        coord_system,
        mode,
        pid,
        content,
        source,
        day,
        lon,
        lat,
        started,
        dt.datetime.fromtimestamp(float(t.max()), dt.UTC),
        geometry_fingerprint(lon, lat),
    )


def compute_patrol(
    conn: Connection,
    prep: PreparedPatrol,
    settings: PatrolSettings,
    states: dict[tuple[str, dt.date], ZoningState],
    now: dt.datetime | None = None,
) -> ComputedPatrol:
    """Convert, clean, match and measure one patrol (the verdict comes once the context of
    the whole batch is known). A track declared WGS84 that fits the assigned water only as
    GCJ-02/BD-09 gets no coverage credit, or, with ``auto_convert_offsets``, is converted
    (and says so in its notes). The service-area test uses the prefetch's count when the
    batch was prefetched (:func:`prefetch`), else asks the database."""
    raw = prep.track
    lon, lat = prep.lon, prep.lat
    t = raw.time.astype("datetime64[ns]").astype(np.int64) / 1e9
    started, ended = prep.started, prep.ended
    day = prep.day
    fingerprint = prep.fingerprint
    state = states[(prep.chief_id, day)]
    # measured where it was walked: the track's own GK zone (its UTM zone abroad), never
    # the zone the database's zoning happens to be recorded in
    epsg = crs.local_metric_epsg(float(np.nanmedian(lon)), float(np.nanmedian(lat)))
    to_metric = crs.transformer(crs.STORAGE_CRS, f"EPSG:{epsg}").transform
    area = service_area(conn, lon, lat, prep.inside)
    # a track far from every region covers nothing: its chief's water is not measured in the
    # track's (foreign) zone but looked up in the zoning's, only to know it exists
    outside = area.mostly_outside()
    lines_epsg = int(state.metric_epsg) if outside and state.metric_epsg else epsg
    reach = settings.matching.joint_reach_m
    assignment = assignment_for(conn, prep.chief_id, day, lines_epsg, reach, state)

    def clean_and_measure(lon: np.ndarray, lat: np.ndarray) -> tuple[CleanTrack, Coverage]:
        x, y = to_metric(lon, lat)
        track = clean_track(
            np.asarray(x),
            np.asarray(y),
            t,
            raw.accuracy,
            mode=prep.mode,
            params=settings.cleaning,
            now_s=now.timestamp() if now else None,
        )
        coverage = measure(
            track,
            assignment.lines,
            [] if outside else assignment.targets,
            settings.matching,
            assignment.matcher,
        )
        return track, coverage

    track, coverage = clean_and_measure(lon, lat)
    offset = None
    # most of the points matched: their median lies within the tolerance, no offset to find
    if not outside and coverage.matched_points < 0.5 * coverage.kept_points:
        offset = _offset_check(prep, lon, lat, track, assignment, to_metric, settings)
    if offset is not None and offset.likely:
        if settings.auto_convert_offsets:
            declared = prep.coord_system
            prep.coord_system = offset.likely
            lon, lat = to_wgs84(raw.lon, raw.lat, offset.likely)
            fingerprint = geometry_fingerprint(lon, lat)
            track, coverage = clean_and_measure(lon, lat)
            raw.meta.setdefault("notes", []).append(
                f"declared {declared}, but the points fit the assigned water only as "
                f"{offset.likely} ({offset.declared_m:.0f} m -> "
                f"{offset.converted_m[offset.likely]:.0f} m median): converted from "
                f"{offset.likely} (office setting auto_convert_offsets)"
            )
            offset = None
        else:
            coverage = without_credit(coverage)
    return ComputedPatrol(
        prep,
        track,
        coverage,
        assignment,
        fingerprint,
        area,
        started,
        ended,
        epsg,
        offset,
    )


def _offset_check(
    prep: PreparedPatrol,
    lon: np.ndarray,
    lat: np.ndarray,
    track: CleanTrack,
    assignment: Assignment,
    to_metric: Any,
    settings: PatrolSettings,
) -> OffsetCheck | None:
    """The undeclared GCJ-02/BD-09 test (domain.offsets) of a track declared WGS84/CGCS2000
    with assigned water, on its kept points."""
    if prep.coord_system not in ("wgs84", "cgcs2000") or not assignment.targets:
        return None
    kept = track.order[track.kept]
    if len(kept) == 0:
        return None
    line_ids = sorted({tg.line for tg in assignment.targets})
    tolerance = max(tg.half_width_m for tg in assignment.targets) + settings.matching.gps_margin_m
    return check_offset(
        lon[kept], lat[kept], to_metric, assignment.lines.lines[line_ids], tolerance
    )


def _local_day(time: np.ndarray, timezone: str) -> dt.date:
    """The patrol's date where the chief lives (posts are held by local date)."""
    first = dt.datetime.fromtimestamp(
        float(time.min().astype("datetime64[ns]").astype(np.int64)) / 1e9, dt.UTC
    )
    return first.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def _track_ewkb(track: CleanTrack, epsg: int) -> str | None:
    """The kept points as a WGS84 MultiLineString, one line per part of 2+ points (EWKB
    hex), written from the coordinate arrays (``bulk.multilinestring_ewkb_hex``)."""
    if track.kept.sum() < 2:
        return None
    part = track.kpart
    counts = np.bincount(part)
    ok = counts[part] >= 2
    if ok.sum() < 2:
        return None
    x, y = (track.kx, track.ky) if ok.all() else (track.kx[ok], track.ky[ok])
    # the transformer crs.transform uses, on the same coordinates: the same values
    lon, lat = crs.transformer(str(epsg), str(crs.STORAGE_CRS)).transform(x, y)
    return multilinestring_ewkb_hex(np.asarray(lon), np.asarray(lat), part[ok])


def _stretch_geoms(
    ranges: list[list[tuple[float, float]]], targets: list[Target], lines: LineSet, epsg: int
) -> list[str | None]:
    """One WGS84 MultiLineString (EWKB hex) per target from its chainage ranges.

    A target's ranges are disjoint (coverage merges them), so the parts of their stretches
    together are already their union: collected into one MultiLineString per target in a
    single vectorised call. A union per target (``shapely.union_all`` in a loop over the
    targets) cost about a tenth of a small upload's CPU and gave the same geometry
    (``shapely.equals``, checked on the sample tracks by the tests)."""
    owner = np.array([k for k, rs in enumerate(ranges) for _ in rs], dtype=np.int64)
    if not len(owner):
        return [None] * len(ranges)
    line = np.array([targets[k].line for k in owner])
    start = np.array([targets[k].start + lo for k, rs in enumerate(ranges) for lo, _ in rs])
    end = np.array([targets[k].start + hi for k, rs in enumerate(ranges) for _, hi in rs])
    parts, piece = shapely.get_parts(lines.substrings(line, start, end), return_index=True)
    kept = ~shapely.is_empty(parts)
    metric = np.full(len(ranges), None, dtype=object)
    if kept.any():
        targets_with, which = np.unique(owner[piece[kept]], return_inverse=True)
        metric[targets_with] = shapely.multilinestrings(parts[kept], indices=which)
    return ewkb_hex(crs.transform(metric, epsg, crs.STORAGE_CRS))


def _in_stored(tc: TargetCoverage, target: Target, assignment: Assignment) -> TargetCoverage:
    """A river target's coverage in the zoning's chainage (the patrol measured in its own
    zone): ranges stay relative to the target's start; shore targets are unchanged."""
    conv = assignment.stored.get(tc.id)
    if conv is None:
        return tc
    here, there, start = conv

    def to_stored(a: float) -> float:
        return float(np.interp(target.start + a, here, there)) - start

    covered = [(to_stored(a), to_stored(b)) for a, b in tc.covered]
    length = to_stored(target.end - target.start)
    covered_m = sum(b - a for a, b in covered)
    scale = length / tc.length_m if tc.length_m > 0 else 1.0
    return replace(
        tc,
        length_m=length,
        covered_m=covered_m,
        ratio=covered_m / length if length > 0 else 0.0,
        covered=covered,
        uncovered=[(to_stored(a), to_stored(b)) for a, b in tc.uncovered],
        extension_m=tc.extension_m * scale,
    )


def _batch_context(items: list[ComputedPatrol]) -> None:
    """Reuse and overlap among patrols of one batch (the database knows only earlier ones)."""
    for k, item in enumerate(items):
        for other in items[:k]:
            if item.context is None:
                continue
            same_chief = other.prep.chief_id == item.prep.chief_id
            other_id = str(other.patrol_id) if other.patrol_id else "?"
            ctx = item.context
            if (
                other.fingerprint == item.fingerprint
                and ctx.reused_from is None
                and (not same_chief or other.prep.day != item.prep.day)
            ):
                item.context = replace(ctx, reused_from=other_id)
            elif same_chief and other.started < item.ended and item.started < other.ended:
                item.context = replace(ctx, overlapping=[*ctx.overlapping, other_id])


# compressing a big upload's bytes (zlib and hashlib release the GIL) overlaps with its
# measuring: a 100,000-point upload's evidence costs ~70 ms of zlib, now off its path
_EVIDENCE_THREADS = ThreadPoolExecutor(2, thread_name_prefix="evidence")
EVIDENCE_ASYNC_BYTES = 200_000  # below this, compressing inline is cheaper than a hand-off


def _start_evidence(prep: PreparedPatrol) -> None:
    if len(prep.upload.data) >= EVIDENCE_ASYNC_BYTES:
        prep.evidence = _EVIDENCE_THREADS.submit(store_db.evidence, prep.upload.data)


def _evidence_of(prep: PreparedPatrol) -> store_db.Evidence:
    if prep.evidence is not None:
        return prep.evidence.result()
    return store_db.evidence(prep.upload.data)


def _uuid_taken(pid: uuid.UUID | None) -> str:
    return f"patrol_uuid {pid} is already used by another chief's patrol"


def prefetch(
    conn: Connection, preps: list[PreparedPatrol], timezone: str
) -> tuple[store_db.Prefetch, dict[int, store_db.StoredContext]]:
    """Chiefs, stored copies, zoning states, stored contexts and service-area counts of a
    batch, in one round trip; the contexts keyed by ``id(prep)`` (what
    :func:`read_contexts` takes)."""
    pre = store_db.prefetch(
        conn,
        [(p.chief_id, p.pid, p.content) for p in preps],
        sorted({(p.chief_id, p.day) for p in preps}),
        [ContextQuery(p.chief_id, p.fingerprint, p.started, p.ended, p.pid) for p in preps],
        timezone,
        [tested_points(p.lon, p.lat) for p in preps],
    )
    for p, counted in zip(preps, pre.inside, strict=True):
        p.inside = counted
    return pre, {id(p): c for p, c in zip(preps, pre.contexts, strict=True)}


def _months_made(conn: Connection, starts: list[dt.datetime]) -> set[dt.date]:
    """The months' partitions (``partitions.ensure_months``); the archived months returned.

    Making a month locks the parent tables against writers until the transaction ends. On a
    connection with no transaction open (the API's uploads own theirs) the months are made
    and committed in a transaction of their own, so the lock lasts a few milliseconds;
    inside the upload's transaction it lasted the whole upload, and every other upload
    waited (measured: a quarter of the ingest threads' time in the load test). An upload refused
    afterwards leaves its month's partitions empty, as any quiet month's are: structure, no
    data. Inside a caller's transaction (imports, scripts) they stay in it, as before."""
    if conn.in_transaction():
        return partitions.ensure_months(conn, starts)
    with conn.begin():
        return partitions.ensure_months(conn, starts)


def ingest_patrols(
    conn: Connection,
    uploads: list[Upload],
    *,
    now: dt.datetime | None = None,
    settings: PatrolSettings | None = None,
    store: bool = True,
    savepoint: bool = True,
) -> list[PatrolOutcome]:
    """Validate (and store) many patrols in one transaction: what an app sends when it comes
    back online. Each upload gets its own outcome, in order: a bad one gets the exception
    that refused it and stores nothing, the others are unaffected. Duplicates (same UUID or
    same points, in the database or earlier in the batch) return that patrol, counted once.

    The batch is written by one statement inside a savepoint, so a failed write leaves the
    caller's transaction usable; a caller that owns the transaction and discards it on any
    error (the API's upload routes) passes ``savepoint=False`` and saves two round trips."""
    settings = settings or PatrolSettings()
    now = now or dt.datetime.now(dt.UTC)
    outcomes: list[PatrolOutcome | None] = [None] * len(uploads)
    same_as: dict[int, int] = {}  # a copy of an earlier upload of the batch: its index
    prepared: dict[int, PreparedPatrol] = {}
    for i, upload in enumerate(uploads):
        try:
            prepared[i] = prepare_patrol(upload, settings)
        except (InputError, PermissionDeniedError) as exc:
            outcomes[i] = exc
    if store:  # the months' partitions, before this transaction touches the patrol tables
        archived = _months_made(conn, [p.started for p in prepared.values()])
        for i, prep in list(prepared.items()):
            if partitions.month_of(prep.started) in archived:
                month = partitions.month_label(partitions.month_of(prep.started))
                outcomes[i] = ConflictError(
                    f"{prep.source}: patrols of {month} are archived; restore the month "
                    "(gis-service patrols restore) before storing patrols in it"
                )
                del prepared[i]
    preps = list(prepared.values())
    pre, context_of = prefetch(conn, preps, settings.timezone)
    stored = pre.lookup
    todo: list[int] = []
    seen: dict[tuple[str, str] | uuid.UUID, int] = {}
    for i, prep in prepared.items():
        if prep.chief_id not in stored.chiefs:
            outcomes[i] = NotFoundError(f"chief {prep.chief_id!r} not found")
            continue
        found = stored.match(prep.pid, prep.chief_id, prep.content)
        if store and found and found.chief_id != prep.chief_id:
            outcomes[i] = ConflictError(_uuid_taken(prep.pid))
            continue
        if store and found:
            outcomes[i] = Duplicate(store_db.read_patrol(conn, found.patrol_id))
            continue
        key = (prep.chief_id, prep.content)
        first = seen.get(prep.pid) if prep.pid is not None else None
        if store and first is not None and prepared[first].chief_id != prep.chief_id:
            outcomes[i] = ConflictError(
                f"patrol_uuid {prep.pid} is used twice in the batch by different chiefs"
            )
            continue
        if store and key in seen:
            same_as[i] = seen[key]
            continue
        if store and prep.pid is not None and prep.pid in seen:
            same_as[i] = seen[prep.pid]
            continue
        seen[key] = i
        if prep.pid is not None:
            seen[prep.pid] = i
        if store:
            _start_evidence(prep)
        todo.append(i)
    computed = [(i, compute_patrol(conn, prepared[i], settings, pre.states, now)) for i in todo]
    items = [item for _, item in computed]
    read_contexts(conn, items, context_of, now, settings.timezone)
    for item in items:
        item.patrol_id = item.prep.pid or uuid.uuid4()
    _batch_context(items)
    for i, item in computed:
        assert item.context is not None  # read_contexts gave every item one
        item.context = replace(item.context, offset=item.offset)
        item.result = patrol_result(
            item, judge(item.track, item.coverage, item.context, settings.rules)
        )
        outcomes[i] = item.result
    if store and items:
        lost = _write(conn, items, savepoint)
        for k, (i, _) in enumerate(computed):
            if k in lost:
                outcomes[i] = lost[k]
    for i, first in same_as.items():  # the same patrol twice in one batch: count it once
        earlier = outcomes[first]
        if isinstance(earlier, Duplicate):
            outcomes[i] = earlier
        elif isinstance(earlier, PatrolResult):
            outcomes[i] = Duplicate(earlier)
        else:
            outcomes[i] = earlier
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def ingest_one(
    conn: Connection,
    upload: Upload,
    *,
    now: dt.datetime | None = None,
    settings: PatrolSettings | None = None,
    store: bool = True,
    savepoint: bool = True,
) -> PatrolResult | Duplicate:
    """Validate (and, with ``store``, save) one patrol; a refusal raises (nothing stored).
    ``savepoint``: as for :func:`ingest_patrols`."""
    outcome = ingest_patrols(
        conn, [upload], now=now, settings=settings, store=store, savepoint=savepoint
    )[0]
    if isinstance(outcome, GisServiceError):
        raise outcome
    return outcome


# the API's uploads take their database connection only here, in their turn for an ingest
# slot (``api.ingest``): a waiting or slowly sending upload holds none. The transaction is the
# upload's own, committed whole or (any error) rolled back when the connection closes: the
# write needs no savepoint inside it
def ingest_committed(
    engine: Engine, upload: Upload, settings: PatrolSettings
) -> PatrolResult | Duplicate:
    """:func:`ingest_one` in a transaction of its own, committed."""
    with engine.connect() as conn:
        result = ingest_one(conn, upload, settings=settings, savepoint=False)
        conn.commit()
    return result


def ingest_batch_committed(
    engine: Engine, uploads: list[Upload], settings: PatrolSettings
) -> list[PatrolOutcome]:
    """:func:`ingest_patrols` in a transaction of its own, committed."""
    with engine.connect() as conn:
        results = ingest_patrols(conn, uploads, settings=settings, savepoint=False)
        conn.commit()
    return results


def ingest_patrol(
    conn: Connection,
    data: bytes,
    *,
    filename: str | None = None,
    chief_id: str | None = None,
    coord_system: str | None = None,
    mode: str | None = None,
    patrol_uuid: str | None = None,
    fmt: str | None = None,
    owner: str | None = None,
    now: dt.datetime | None = None,
    settings: PatrolSettings | None = None,
    store: bool = True,
) -> dict[str, Any]:
    """:func:`ingest_one` with the upload's fields as arguments, answering the JSON the API
    sends (scripts, the CLI and tests read it); errors raise (nothing stored)."""
    upload = Upload(data, filename, chief_id, coord_system, mode, patrol_uuid, fmt, owner)
    return ingest_one(conn, upload, now=now, settings=settings, store=store).to_json()


def patrol_row(item: ComputedPatrol) -> PatrolRow:
    """The ``patrol`` row of a judged patrol (an upload inserts it, a re-match overwrites
    its verdict columns with it)."""
    assert item.patrol_id is not None and item.result is not None
    return PatrolRow(
        id=item.patrol_id,
        chief_id=item.prep.chief_id,
        content_sha256=item.prep.content,
        geometry_fingerprint=item.fingerprint,
        source_format=item.prep.track.meta.get("format", "?"),
        file_name=item.prep.upload.filename,
        coord_system=item.prep.coord_system,
        mode=item.prep.mode,
        started_at=item.started,
        ended_at=item.ended,
        status=item.result.status,
        reasons=item.result.reasons,
        summary=item.result.summary,
        dropped=item.result.dropped,
        track=_track_ewkb(item.track, item.epsg),
        zoning_run_id=item.assignment.run_id,
    )


def _write(
    conn: Connection, items: list[ComputedPatrol], savepoint: bool = True
) -> dict[int, PatrolOutcome]:
    """Insert the batch in one statement; copies that lost a race become duplicates (or
    conflicts): their outcomes by index into ``items``."""
    lost: dict[int, PatrolOutcome] = {}
    with atomic(conn) if savepoint or not conn.in_transaction() else nullcontext(conn):
        rows = [patrol_row(item) for item in items]
        # a patrol is stored with its upload and coverage rows, or (lost a race) not at all
        inserted = store_db.insert_patrols(
            conn,
            rows,
            [(item.patrol_id, _evidence_of(item.prep)) for item in items if item.patrol_id],
            [row for item in items for row in coverage_rows(item)],
        )
        for k, item in enumerate(items):
            if item.patrol_id in inserted:
                continue
            # a concurrent copy won: count it once
            winner = store_db.existing(
                conn,
                patrol_id=item.prep.pid,
                chief_id=item.prep.chief_id,
                content=item.prep.content,
            )
            if winner is None or winner.chief_id != item.prep.chief_id:
                # another chief's patrol took this UUID meanwhile: never hand it out as
                # a "duplicate" (a leak, and the loser's patrol would never be resent)
                lost[k] = ConflictError(_uuid_taken(item.prep.pid))
                continue
            lost[k] = Duplicate(store_db.read_patrol(conn, winner.patrol_id))
    return lost


def read_contexts(
    conn: Connection,
    items: list[ComputedPatrol],
    prefetched: dict[int, store_db.StoredContext],
    now: dt.datetime,
    timezone: str,
) -> None:
    """Post periods, an earlier upload of the same geometry and overlapping patrols of every
    item, from the database (the batch's own overlaps: ``_batch_context``). Prefetched with
    the points as declared; a track converted from GCJ-02/BD-09 has other points, so its
    context is read again."""
    again = [it for it in items if it.fingerprint != it.prep.fingerprint]
    reread = store_db.contexts(
        conn,
        [
            ContextQuery(it.prep.chief_id, it.fingerprint, it.started, it.ended, it.prep.pid)
            for it in again
        ],
        timezone,
    )
    fresh = {id(it): c for it, c in zip(again, reread, strict=True)}
    for item in items:
        found = fresh.get(id(item)) or prefetched[id(item.prep)]
        item.context = PatrolContext(
            now=now,
            post_periods=found.post_periods,
            reused_from=found.reused_from,
            overlapping=found.overlapping,
            has_assignment=bool(item.assignment.targets),
            timezone=timezone,
            outside_service_area_m=(
                (item.area.distance_m if item.area.distance_m is not None else -1.0)
                if item.area.mostly_outside()
                else None
            ),
        )


def _reported(item: ComputedPatrol) -> list[tuple[TargetCoverage, Target]]:
    """The targets a patrol reports and stores, in the zoning's chainage: every own target;
    a neighbour's segment or a general chief's region target only where it was walked."""
    coverage, assignment = item.coverage, item.assignment
    out = []
    # measured against all the targets, or none (far from every region)
    for tc, target in zip(coverage.targets, assignment.targets, strict=False):
        if tc.covered_m > 0 or not (tc.credit_only or assignment.meta[tc.id].walked_only):
            out.append((tc, target))
    return out


def coverage_rows(item: ComputedPatrol) -> list[CoverageRow]:
    assignment = item.assignment
    assert item.patrol_id is not None
    reported = _reported(item)
    if not reported:
        return []
    kept_targets = [t for _, t in reported]
    covered = _stretch_geoms(
        [tc.covered for tc, _ in reported], kept_targets, assignment.lines, item.epsg
    )
    uncovered = _stretch_geoms(
        [tc.uncovered for tc, _ in reported], kept_targets, assignment.lines, item.epsg
    )
    kept = [_in_stored(tc, t, assignment) for tc, t in reported]
    return [
        CoverageRow(
            patrol_id=item.patrol_id,
            target_type=assignment.meta[tc.id].target_type,
            target_id=tc.id,
            run_id=assignment.run_id,
            water_body_code=assignment.meta[tc.id].water_body_code,
            length_m=tc.length_m,
            covered_m=tc.covered_m,
            ratio=tc.ratio,
            extension_m=tc.extension_m,
            covered=tc.covered,
            uncovered=tc.uncovered,
            covered_geom=covered[k],
            uncovered_geom=uncovered[k],
        )
        for k, tc in enumerate(kept)
    ]


def patrol_result(item: ComputedPatrol, verdict: Verdict) -> PatrolResult:
    prep, track, coverage, assignment = item.prep, item.track, item.coverage, item.assignment
    raw = prep.track
    assert item.patrol_id is not None
    dropped_idx = track.order[~track.kept]
    return PatrolResult(
        id=item.patrol_id,
        chief_id=prep.chief_id,
        status=verdict.status,
        reasons=[r.to_dict() for r in verdict.reasons],
        started_at=item.started.isoformat(),
        ended_at=item.ended.isoformat(),
        summary={
            "points": len(raw),
            "kept_points": int(track.kept.sum()),
            "dropped": track.dropped(),
            "parts": int(track.kpart.max() + 1) if track.kept.any() else 0,
            "duration_s": round(coverage.total_time_s, 1),
            "distance_m": round(coverage.total_distance_m, 1),
            "on_assignment_distance_m": round(coverage.on_distance_m, 1),
            "off_assignment_distance_m": round(coverage.off_distance_m, 1),
            "on_assignment_time_s": round(coverage.on_time_s, 1),
            "off_assignment_time_s": round(coverage.off_time_s, 1),
            "coord_system": prep.coord_system,
            "mode": prep.mode,
            "metric_epsg": item.epsg,
            "source": prep.source,
            "notes": list(raw.meta.get("notes", [])),
            "targets": [
                {
                    "target_id": tc.id,
                    "target_type": assignment.meta[tc.id].target_type,
                    "water_body_code": assignment.meta[tc.id].water_body_code,
                    "length_m": round(tc.length_m, 1),
                    "covered_m": round(tc.covered_m, 1),
                    "ratio": round(tc.ratio, 4),
                    "extension_m": round(tc.extension_m, 1),
                    "uncovered": [[round(a, 1), round(b, 1)] for a, b in tc.uncovered],
                }
                for tc in (_in_stored(c, t, assignment) for c, t in _reported(item))
            ],
        },
        dropped=[
            [raw.ref[int(i)], str(r)]
            for i, r in zip(dropped_idx, track.reason[~track.kept], strict=True)
        ],
    )


# -- reads ------------------------------------------------------------------------------------


raw_upload = store_db.raw_upload
patrol_owner = store_db.patrol_owner
stored_patrol = store_db.read_patrol


def get_patrol(conn: Connection, patrol_id: uuid.UUID | str) -> dict[str, Any]:
    """A stored patrol as the API's JSON (the maps read it)."""
    return store_db.read_patrol(conn, patrol_id).to_json()


def list_patrols(
    conn: Connection,
    *,
    timezone: str,
    chief: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PatrolListing]:
    """Stored patrols started between two local dates (inclusive, in ``timezone``)."""
    return store_db.list_patrols(
        conn,
        timezone=timezone,
        chief=chief,
        start=start,
        end=end,
        status=status,
        limit=limit,
        offset=offset,
    )
