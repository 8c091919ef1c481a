"""Parse uploaded patrol GPS tracks (GPX, GeoJSON, CSV, the phone app's JSON batch).

Chiefs record patrols on phones, often offline, and upload them later, so the files come from
many apps. Every format ends in the same :class:`RawTrack`: the points exactly as in the file,
in file order (nothing sorted, deduplicated or dropped: the raw points are evidence), times in
UTC, and for every point a ``ref`` naming its place in the file. Cleaning happens later.

Every failure is an :class:`InputError` naming the file and, where it can, the line or point.

Conventions:

- Times: ISO 8601 with an offset or ``Z`` are converted to UTC; naive times (no offset) are
  local times in ``timezone`` (phones in China write Beijing time); numbers are Unix epoch
  seconds, or milliseconds when larger than 1e11. This also applies to GPX, whose spec says
  UTC: a GPX time without ``Z`` comes from an app that wrote local time.
- GPX accuracy: GPX has no accuracy in metres, only dilution of precision. We use
  ``hdop × 5 m`` (a typical phone GNSS user range error), a rough 1-sigma horizontal error
  that is good enough to tell a 3 m fix from a 50 m one.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import PurePath
from typing import Any
from xml.parsers import expat
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import gpxpy
import gpxpy.gpx
import numpy as np
import orjson
import pandas as pd

from gis_service.domain.periods import DEFAULT_TIMEZONE
from gis_service.domain.tracks import NumberedRefs, RawTrack
from gis_service.errors import InputError
from gis_service.fileio.kml import kml_kind, read_kml

FORMATS = ("gpx", "geojson", "csv", "json", "kml", "kmz")
HDOP_METRES = 5.0
"""Metres of horizontal error per unit of HDOP (see the module docstring)."""
SAME_POINT_LIMIT = 1000
"""More identical points than this, and nothing else, is a broken recorder, not a patrol."""
EPOCH_MS_THRESHOLD = 1e11
"""Epoch numbers above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973)."""

GPX_NAMESPACES = {
    "http://www.topografix.com/GPX/1/0": "1.0",
    "http://www.topografix.com/GPX/1/1": "1.1",
}
_GPX_NUMERIC_CHILDREN = {
    "ele", "magvar", "geoidheight", "hdop", "vdop", "pdop", "ageofdgpsdata", "sat", "dgpsid",
    "speed", "course",
}  # fmt: skip

# Accepted names (lower case) for each field, in CSV headers and JSON/GeoJSON keys.
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "time": ("time", "timestamp", "datetime", "时间"),
    "accuracy": ("accuracy", "精度"),
    "speed": ("speed", "速度"),
}
_GEOJSON_TIME_ARRAYS = ("times", "coordtimes", "timestamps")
_GEOJSON_POINT_TIMES = ("time", "timestamp", "datetime")
_BATCH_META = ("patrol_uuid", "chief_id", "coord_system", "mode")

_OFFSET_RE = re.compile(
    r"[T\s]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2}){0,2})$", re.IGNORECASE
)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SLASH_DATE_RE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})")
_UNIT_SUFFIX_RE = re.compile(r"\s*[(（\[].*[)）\]]\s*$")


@dataclass
class _Context:
    """What every format parser needs: where errors point, the local zone, the limits."""

    source: str | None
    zone: ZoneInfo
    max_points: int

    def error(self, message: str, location: str | None = None) -> InputError:
        return InputError(message, source=self.source, location=location)

    def check_count(self, n: int, *, exact: bool = True) -> None:
        """Refuse oversized tracks before the expensive per-point work."""
        if n > self.max_points:
            count = f" ({n})" if exact else ""
            raise self.error(f"more than {self.max_points} points{count}; split the upload")


def parse_track(
    data: bytes,
    *,
    filename: str | None = None,
    fmt: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    max_points: int = 200_000,
    max_bytes: int = 20_000_000,
) -> RawTrack:
    """Parse one uploaded track file into a :class:`RawTrack` (points in file order, UTC).

    ``fmt`` is one of ``gpx``, ``geojson``, ``csv``, ``json`` (the phone app's batch body); if
    None it comes from the file name's extension, else from the content. ``timezone`` is the
    zone of times written without an offset. Raises :class:`InputError` for anything unusable.
    """
    source = filename
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise InputError("expected the file's bytes", source=source)
    if len(data) > max_bytes:
        raise InputError(
            f"the file is {len(data) / 1e6:.1f} MB, more than the {max_bytes / 1e6:.1f} MB limit",
            source=source,
        )
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(f"unknown time zone {timezone!r}", source=source) from None
    ctx = _Context(source=source, zone=zone, max_points=max_points)

    if not data.lstrip(b" \t\r\n\x00\xef\xbb\xbf").strip(b"\x00"):
        raise ctx.error("the file is empty")
    kml = kml_kind(filename, fmt, data)
    if kml is not None:  # KML/KMZ: their own reader (fileio.kml), then the shared checks
        parsed = read_kml(data, kml, ctx)
        parsed.meta["format"] = kml
        return _finish(parsed, ctx)
    _refuse_binary(data, ctx)
    text = _decode(data, ctx)

    chosen = _choose_format(text, filename, fmt, ctx)
    if chosen == "gpx":
        parsed = _parse_gpx(text, ctx)
    elif chosen == "csv":
        parsed = _parse_csv(text, ctx)
    else:
        # ASCII bytes are their own UTF-8: parsed as they came, the text (the size of the
        # upload) is freed before the document is built beside it
        json_input: str | bytes = data if data.isascii() else text
        del text
        doc = _load_json(json_input, ctx)
        del json_input
        if chosen is None:  # .json or unknown extension: decide on the document itself
            chosen = "geojson" if _is_geojson(doc) else "json"
        if chosen == "geojson":
            parsed = _parse_geojson(doc, ctx)
        else:
            box = [doc]
            del doc  # _parse_batch takes it out of the box: its points are freed once read
            parsed = _parse_batch(box, ctx)
    parsed.meta["format"] = chosen
    return _finish(parsed, ctx)


# ---------------------------------------------------------------------------------------------
# Bytes, text and format detection


def _refuse_binary(data: bytes, ctx: _Context) -> None:
    """Name the usual binary uploads instead of failing later with a confusing parse error."""
    head = data[:8192]
    if head.startswith(b"\x1f\x8b"):
        raise ctx.error("this is a gzip-compressed file; upload the uncompressed track")
    if head.startswith(b"PK\x03\x04"):
        raise ctx.error("this is a ZIP archive (or KMZ/XLSX); upload a GPX, GeoJSON, CSV or JSON")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in head and not utf16:
        raise ctx.error("this is a binary file, not a GPX, GeoJSON, CSV or JSON track")


_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _decode(data: bytes, ctx: _Context) -> str:
    """Text of the upload: UTF-8 (BOM optional); GB18030 as Excel on Chinese Windows saves."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ctx.error("the file is neither UTF-8 nor valid UTF-16 text") from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                line = data.count(b"\n", 0, exc.start) + 1
                raise ctx.error(
                    f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
                    f"line {line}",
                ) from None
    text = text.lstrip("\ufeff")
    sample = text[:8192]
    controls = len(_CONTROL_CHARS.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise ctx.error("this is a binary file, not a GPX, GeoJSON, CSV or JSON track")
    return text


def _choose_format(text: str, filename: str | None, fmt: str | None, ctx: _Context) -> str | None:
    """The format to parse as; None means "JSON, GeoJSON or batch: look at the document"."""
    if fmt is not None:
        chosen = fmt.strip().lower().lstrip(".")
        if chosen not in FORMATS:
            raise ctx.error(f"unknown track format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return chosen
    suffix = PurePath(filename).suffix.lower() if filename else ""
    by_suffix = {".gpx": "gpx", ".geojson": "geojson", ".csv": "csv"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    head = text.lstrip()[:1]
    if suffix == ".json" or head in ("{", "["):
        return None
    if head == "<":
        return "gpx"
    return "csv"


def _load_json(text: str | bytes, ctx: _Context) -> Any:
    """orjson for speed (app batches are big); the standard parser names the error's place."""
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, RecursionError):
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ctx.error(
            f"invalid JSON ({exc.msg})", f"line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ctx.error("invalid JSON (nested too deeply)") from None


def _is_geojson(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature")


# ---------------------------------------------------------------------------------------------
# GPX


def _parse_gpx(text: str, ctx: _Context) -> RawTrack:
    """Track points of all tracks and segments in document order (route points if none)."""
    version = _gpx_version(text, ctx)
    _gpx_count_points(text, ctx)
    try:
        gpx = gpxpy.parse(text, version=version)
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        original = exc.__cause__  # the ElementTree (or lxml) error, which knows the line
        position = getattr(original, "position", None)  # ElementTree: (line, 0-based column)
        line = position[0] if position else getattr(original, "lineno", None)  # lxml
        location = f"line {line}, column {position[1] + 1}" if position else None
        if location is None and line:
            location = f"line {line}"
        reason = re.sub(r":\s*line \d+, column \d+$", "", str(original or exc))
        raise ctx.error(f"malformed or truncated XML ({reason})", location) from None
    except Exception as exc:  # gpxpy raises GPXException, but also bare errors on odd input
        raise _gpx_content_error(text, exc, ctx) from None

    points: list[gpxpy.gpx.GPXTrackPoint | gpxpy.gpx.GPXRoutePoint] = []
    refs: list[str] = []
    untimed = _untimed_tracks(gpx)
    notes = [
        f"track {t} ({gpx.tracks[t - 1].name or 'unnamed'}): {n} points without any time "
        "skipped (a saved, untimed copy beside the timed log)"
        for t, n in untimed.items()
    ]
    for t, track in enumerate(gpx.tracks, 1):
        if t in untimed:
            continue
        for s, segment in enumerate(track.segments, 1):
            points.extend(segment.points)
            refs.extend(
                f"trkpt {i} (track {t}, segment {s})" for i in range(1, len(segment.points) + 1)
            )
    if not points:
        for r, route in enumerate(gpx.routes, 1):
            points.extend(route.points)
            refs.extend(f"rtept {i} (route {r})" for i in range(1, len(route.points) + 1))
    if not points:
        extra = f" ({len(gpx.waypoints)} waypoints are not a track)" if gpx.waypoints else ""
        raise ctx.error(f"the GPX has no track or route points{extra}")
    ctx.check_count(len(points))

    times: list[object] = []
    for i, p in enumerate(points):
        if p.time is None:
            raise _gpx_missing_time(text, refs[i], ctx)
        times.append(p.time)
    return RawTrack(
        lon=np.array([p.longitude for p in points], dtype=np.float64),
        lat=np.array([p.latitude for p in points], dtype=np.float64),
        time=_times_to_utc(times, refs, ctx),
        accuracy=np.array(
            [math.nan if p.horizontal_dilution is None else p.horizontal_dilution for p in points],
            dtype=np.float64,
        )
        * HDOP_METRES,
        speed=np.array([_gpx_speed(p) for p in points], dtype=np.float64),
        ref=refs,
        meta={"gpx_version": version, **({"notes": notes} if notes else {})},
    )


def _gpx_count_points(text: str, ctx: _Context) -> None:
    """Refuse a GPX over the point limit while streaming through it, before gpxpy builds its
    objects (an 18.9 MB file took 30 s and 336 MB that way only to be refused afterwards).
    Malformed XML is left to gpxpy's pass, which names the place."""
    parser = expat.ParserCreate(namespace_separator=" ")
    seen = 0

    class _Over(Exception):
        pass

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal seen
        if name.endswith(("trkpt", "rtept")) and name.rpartition(" ")[2] in ("trkpt", "rtept"):
            seen += 1
            if seen > ctx.max_points:
                raise _Over

    parser.StartElementHandler = start
    try:
        parser.Parse(text, True)
    except _Over:
        # the size for the message: a cheap count of the tags (prefixed tags aside)
        total = text.count("<trkpt") + text.count("<rtept")
        ctx.check_count(total if total > ctx.max_points else seen, exact=total > ctx.max_points)
        ctx.check_count(seen, exact=False)
    except expat.ExpatError:
        pass


def _untimed_tracks(gpx: gpxpy.gpx.GPX) -> dict[int, int]:
    """Tracks (1-based number -> points) without a single time, when another track of the
    file is timed: devices such as Garmin's save an untimed copy of a track beside the timed
    ACTIVE LOG. They are skipped with a note; a file with no timed track stays an error."""
    counts = {
        t: (
            sum(len(s.points) for s in track.segments),
            any(p.time is not None for s in track.segments for p in s.points),
        )
        for t, track in enumerate(gpx.tracks, 1)
    }
    if not any(timed for n, timed in counts.values() if n):
        return {}
    return {t: n for t, (n, timed) in counts.items() if n and not timed}


def _gpx_version(text: str, ctx: _Context) -> str:
    """Check the root element is a GPX 1.0/1.1 ``<gpx>`` and return the version to parse as.

    gpxpy reads any root element and ignores namespaces, so a KML file or a GPX 1.2 guess
    would silently give no points; expat sees the root (and its line) first.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    root: dict[str, Any] = {}

    class _Stop(Exception):
        pass

    def start(name: str, attrs: dict[str, str]) -> None:
        root.update(name=name, attrs=attrs, line=parser.CurrentLineNumber)
        raise _Stop

    def entity(*_args: object) -> None:
        raise ctx.error("XML entity declarations are not allowed in a GPX file")

    parser.StartElementHandler = start
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(text, True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        reason = expat.errors.messages[exc.code]
        raise ctx.error(
            f"malformed or truncated XML ({reason})", f"line {exc.lineno}, column {exc.offset + 1}"
        ) from None
    namespace, _, local = root["name"].rpartition(" ")
    where = f"line {root['line']}"
    if local != "gpx":
        ns = f" (namespace {namespace})" if namespace else ""
        raise ctx.error(f"the root element is <{local}>{ns}, not a GPX <gpx>", where)
    declared = root["attrs"].get("version")
    if namespace:
        if namespace not in GPX_NAMESPACES:
            raise ctx.error(
                f"unknown GPX namespace {namespace!r}; expected GPX 1.0 or 1.1 "
                f"({', '.join(GPX_NAMESPACES)})",
                where,
            )
        return GPX_NAMESPACES[namespace]
    # No namespace: some exporters omit it; trust the version attribute.
    return declared if declared in ("1.0", "1.1") else "1.1"


def _gpx_speed(point: gpxpy.gpx.GPXTrackPoint | gpxpy.gpx.GPXRoutePoint) -> float:
    """GPX 1.0 ``<speed>``; in 1.1 only an extension (e.g. Garmin TrackPointExtension) has one."""
    speed = getattr(point, "speed", None)  # route points have no speed attribute in gpxpy
    if speed is not None:
        return float(speed)
    for ext in point.extensions or ():
        for element in ext.iter():
            if isinstance(element.tag, str) and element.tag.rpartition("}")[2] == "speed":
                try:
                    return float((element.text or "").strip())
                except ValueError:
                    return math.nan
    return math.nan


@dataclass
class _GpxPoint:
    """A ``<trkpt>``/``<rtept>`` as expat saw it: only used to explain a problem."""

    ref: str
    line: int
    attrs: dict[str, str]
    children: dict[str, str] = field(default_factory=dict)


def _gpx_scan(text: str) -> list[_GpxPoint]:
    """Every point with its line, so errors gpxpy reports without a place can be located.

    Only runs when something is wrong, so the common path parses the document once.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    points: list[_GpxPoint] = []
    stack: list[str] = []
    counts = {"trk": 0, "trkseg": 0, "trkpt": 0, "rte": 0, "rtept": 0}
    chars: list[str] = []

    point_depth = 0  # depth of the open point element, 0 outside points

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal point_depth
        local = name.rpartition(" ")[2]
        stack.append(local)
        depth = len(stack)
        if depth == 2 and local in ("trk", "rte"):
            counts[local] += 1
            counts["trkseg"] = counts["trkpt"] = counts["rtept"] = 0
        elif depth == 3 and local == "trkseg" and stack[1] == "trk":
            counts["trkseg"] += 1
            counts["trkpt"] = 0
        elif (depth == 4 and local == "trkpt" and stack[2] == "trkseg") or (
            depth == 3 and local == "rtept" and stack[1] == "rte"
        ):
            counts[local] += 1
            if local == "trkpt":
                ref = f"trkpt {counts['trkpt']} (track {counts['trk']}, segment {counts['trkseg']})"
            else:
                ref = f"rtept {counts['rtept']} (route {counts['rte']})"
            points.append(_GpxPoint(ref, parser.CurrentLineNumber, dict(attrs)))
            point_depth = depth
        chars.clear()

    def end(_name: str) -> None:
        nonlocal point_depth
        local = stack.pop()
        if point_depth and len(stack) == point_depth:  # a direct child of the point
            points[-1].children.setdefault(local, "".join(chars).strip())
        elif len(stack) < point_depth:
            point_depth = 0
        chars.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars.append
    # gpxpy parsed it; whatever expat still dislikes lies beyond the points we need.
    with contextlib.suppress(expat.ExpatError):
        parser.Parse(text, True)
    return points


def _gpx_content_error(text: str, exc: Exception, ctx: _Context) -> InputError:
    """Turn gpxpy's placeless complaint (bad number, missing lat) into one naming the point."""
    for p in _gpx_scan(text):
        where = f"line {p.line}, {p.ref}"
        for name in ("lat", "lon"):
            value = p.attrs.get(name)
            if value is None:
                return ctx.error(f"no {name} attribute", where)
            if not _is_float(value):
                return ctx.error(f"{name} {value!r} is not a number", where)
        for name, value in p.children.items():
            if name in _GPX_NUMERIC_CHILDREN and value and not _is_float(value):
                return ctx.error(f"<{name}> {value!r} is not a number", where)
    reason = str(exc).replace(" in None", "").replace("<None>", "an element")
    return ctx.error(f"invalid GPX content ({reason})")


def _gpx_missing_time(text: str, ref: str, ctx: _Context) -> InputError:
    """``no time``, or the unreadable time text gpxpy silently turned into None."""
    for p in _gpx_scan(text):
        if p.ref == ref:
            raw = p.children.get("time")
            where = f"line {p.line}, {ref}"
            if raw:
                return ctx.error(f"time {raw!r} is not a valid ISO 8601 time", where)
            return ctx.error("no time", where)
    return ctx.error("no time", ref)


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# GeoJSON


def _parse_geojson(doc: Any, ctx: _Context) -> RawTrack:
    """A LineString/MultiLineString with a per-coordinate times array, or timed Point features.

    Features are read in document order and may mix the two layouts; nothing is skipped.
    """
    if not _is_geojson(doc):
        got = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise ctx.error(f"expected a GeoJSON Feature or FeatureCollection, got {got!r}")
    if doc["type"] == "Feature":
        features = [doc]
    else:
        features = doc.get("features")
        if not isinstance(features, list):
            raise ctx.error("the FeatureCollection has no 'features' list")
    if not features:
        raise ctx.error("the GeoJSON has no features, so no points")

    lines = sum(
        1
        for f in features
        if isinstance(f, dict)
        and isinstance(f.get("geometry"), dict)
        and f["geometry"].get("type") in ("LineString", "MultiLineString", "MultiPoint")
    )
    lon: list[object] = []
    lat: list[object] = []
    times: list[object] = []
    acc: list[object] = []
    spd: list[object] = []
    refs: list[str] = []
    for n, feature in enumerate(features, 1):
        fref = f"feature {n}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ctx.error("not a GeoJSON Feature", fref)
        geometry = feature.get("geometry")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise ctx.error("'properties' is not an object", fref)
        if not isinstance(geometry, dict):
            raise ctx.error("no geometry", fref)
        gtype = geometry.get("type")
        coords = geometry.get("coordinates")
        if gtype == "Point":
            x, y = _coordinate(coords, fref, ctx)
            lon.append(x)
            lat.append(y)
            times.append(_lookup(props, _GEOJSON_POINT_TIMES))
            acc.append(_lookup(props, _FIELD_ALIASES["accuracy"]))
            spd.append(_lookup(props, _FIELD_ALIASES["speed"]))
            refs.append(fref)
        elif gtype in ("LineString", "MultiLineString", "MultiPoint"):
            prefix = "" if lines == 1 else f"{fref}, "
            _line_feature(gtype, coords, props, prefix, fref, ctx, (lon, lat, times, acc, spd))
            start = len(refs)
            refs.extend(f"{prefix}coordinate {i}" for i in range(1, len(lon) - start + 1))
        else:
            raise ctx.error(
                f"geometry {gtype!r} is not a track (expected LineString, MultiLineString "
                "or Point features)",
                fref,
            )
        ctx.check_count(len(refs))
    if not refs:
        raise ctx.error("the GeoJSON has no coordinates, so no points")
    return RawTrack(
        lon=_numbers(lon, "lon", refs, ctx, required=True),
        lat=_numbers(lat, "lat", refs, ctx, required=True),
        time=_times_to_utc(times, refs, ctx),
        accuracy=_numbers(acc, "accuracy", refs, ctx, required=False),
        speed=_numbers(spd, "speed", refs, ctx, required=False),
        ref=refs,
    )


def _line_feature(
    gtype: str,
    coords: Any,
    props: dict[str, Any],
    prefix: str,
    fref: str,
    ctx: _Context,
    out: tuple[list[object], ...],
) -> None:
    """Append one line feature's coordinates and their per-coordinate times to ``out``."""
    lon, lat, times, acc, spd = out
    if not isinstance(coords, list):
        raise ctx.error("'coordinates' is not a list", fref)
    parts = coords if gtype == "MultiLineString" else [coords]
    flat: list[Any] = []
    for part in parts:
        if not isinstance(part, list):
            raise ctx.error("'coordinates' is not a list of lines", fref)
        flat.extend(part)
    for i, c in enumerate(flat, 1):
        x, y = _coordinate(c, f"{prefix}coordinate {i}", ctx)
        lon.append(x)
        lat.append(y)

    holder = props
    nested = props.get("coordinateProperties")  # @tmcw/togeojson puts the arrays there
    if _lookup(props, _GEOJSON_TIME_ARRAYS) is None and isinstance(nested, dict):
        holder = nested
    raw_times = _lookup(holder, _GEOJSON_TIME_ARRAYS)
    if raw_times is None:
        raise ctx.error(
            "the line has no per-coordinate times (expected a 'times', 'coordTimes' or "
            "'timestamps' array in its properties)",
            fref,
        )
    times.extend(_per_coordinate(raw_times, "times", len(flat), fref, ctx, scalar=False))
    for key, target in (("accuracy", acc), ("speed", spd)):
        value = _lookup(holder, _FIELD_ALIASES[key])
        if value is None:
            value = _lookup(props, _FIELD_ALIASES[key])
        target.extend(_per_coordinate(value, key, len(flat), fref, ctx, scalar=True))


def _per_coordinate(
    value: Any, name: str, n: int, fref: str, ctx: _Context, *, scalar: bool
) -> list[object]:
    """One value per coordinate: a flat array, MultiLineString-style nested arrays, or a scalar."""
    if value is None:
        return [None] * n
    if not isinstance(value, list):
        if scalar:
            return [value] * n
        raise ctx.error(f"'{name}' is not an array", fref)
    if value and all(isinstance(v, list) for v in value):
        value = [v for part in value for v in part]
    if len(value) != n:
        raise ctx.error(f"'{name}' has {len(value)} values for {n} coordinates", fref)
    return value


def _coordinate(value: Any, ref: str, ctx: _Context) -> tuple[object, object]:
    if not isinstance(value, list) or len(value) < 2:
        raise ctx.error(f"expected a [lon, lat] position, got {_short(value)}", ref)
    return value[0], value[1]


def _lookup(mapping: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first key among ``names`` present, matched case-insensitively."""
    key = _find_key(tuple(mapping), names)
    return None if key is None else mapping[key]


@functools.lru_cache(maxsize=512)
def _find_key(keys: tuple[Any, ...], names: tuple[str, ...]) -> Any:
    """Cached per key set: the points of one upload nearly always share their keys."""
    lowered: dict[str, Any] = {}
    for k in keys:
        lowered.setdefault(str(k).strip().lower(), k)
    return next((lowered[name] for name in names if name in lowered), None)


# ---------------------------------------------------------------------------------------------
# CSV


def _parse_csv(text: str, ctx: _Context) -> RawTrack:
    """A CSV with a header row naming the columns (English or Chinese names)."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = next((d for d in ("\t", ";") if d in first and "," not in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header: list[str] | None = None
        while header is None:
            row = next(reader, None)
            if row is None:
                raise ctx.error("the file is empty")
            if any(cell.strip() for cell in row):
                header = row
        header_line = reader.line_num
        columns = _csv_columns(header, ctx, f"line {header_line}")
        width = len(header)
        lon_i, lat_i = columns["lon"], columns["lat"]
        rows: list[list[str]] = []
        lines: list[int] = []
        for row in reader:
            if len(row) != width or not (row[lon_i] or row[lat_i]):
                if not any(cell.strip() for cell in row):
                    continue  # blank line
                if len(row) < width or any(cell.strip() for cell in row[width:]):
                    raise ctx.error(
                        f"{len(row)} fields, but the header has {width}", f"line {reader.line_num}"
                    )
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) > ctx.max_points:
                ctx.check_count(len(rows), exact=False)  # stop reading: the rest is moot
    except csv.Error as exc:
        raise ctx.error(f"malformed CSV ({exc})", f"line {reader.line_num}") from None
    if not rows:
        raise ctx.error("the CSV has a header but no points")
    refs = [f"line {n}" for n in lines]
    cells = {name: [row[i] for row in rows] for name, i in columns.items()}
    none: list[object] = [None] * len(rows)
    return RawTrack(
        lon=_numbers(cells["lon"], "lon", refs, ctx, required=True),
        lat=_numbers(cells["lat"], "lat", refs, ctx, required=True),
        time=_times_to_utc(cells["time"], refs, ctx),
        accuracy=_numbers(cells.get("accuracy", none), "accuracy", refs, ctx, required=False),
        speed=_numbers(cells.get("speed", none), "speed", refs, ctx, required=False),
        ref=refs,
    )


def _csv_columns(header: list[str], ctx: _Context, where: str) -> dict[str, int]:
    """Our field -> column index; names are case-insensitive and may carry a unit: 精度(m)."""
    normalised = [_UNIT_SUFFIX_RE.sub("", h.strip().strip('"').strip()).lower() for h in header]
    columns: dict[str, int] = {}
    for name, aliases in _FIELD_ALIASES.items():
        found = [i for i, h in enumerate(normalised) if h in aliases]
        if len(found) > 1:
            names = ", ".join(repr(header[i]) for i in found)
            raise ctx.error(f"several {name} columns ({names}); keep one", where)
        if found:
            columns[name] = found[0]
    missing = [name for name in ("lon", "lat", "time") if name not in columns]
    if missing:
        if all(_NUMBER_RE.fullmatch(h.strip()) for h in header if h.strip()):
            raise ctx.error(
                "the first line must be a header naming the columns (lon, lat, time, "
                "optional accuracy and speed)",
                where,
            )
        wanted = "; ".join(f"{m}: one of {', '.join(_FIELD_ALIASES[m])}" for m in missing)
        found_names = ", ".join(repr(h) for h in header[:20])
        raise ctx.error(f"missing columns ({wanted}); the header has {found_names}", where)
    return columns


# ---------------------------------------------------------------------------------------------
# JSON batch (the phone app's upload body)


def _parse_batch(box: list[Any], ctx: _Context) -> RawTrack:
    """``{"patrol_uuid", "chief_id", "coord_system", "mode", "points": [...]}`` or a bare list,
    the only item of ``box``: taken out of it, so the point objects (most of a big upload's
    memory) are freed as soon as their columns are read, before the columns are converted."""
    doc = box.pop()
    meta: dict[str, Any] = {}
    if isinstance(doc, dict):
        if _is_geojson(doc):
            raise ctx.error("this is GeoJSON, not the app's JSON batch; upload it as .geojson")
        points = doc.get("points")
        if not isinstance(points, list):
            raise ctx.error("expected a 'points' list (or a JSON list of point objects)")
        meta = {key: doc[key] for key in _BATCH_META if doc.get(key) is not None}
    elif isinstance(doc, list):
        points = doc
    else:
        raise ctx.error(f"expected a JSON object or list, got {_short(doc)}")
    if not points:
        raise ctx.error("no points")
    ctx.check_count(len(points))

    refs = NumberedRefs("point", len(points))  # names made only when a point is named
    values = _batch_columns(points, refs, ctx)
    del doc, points
    return RawTrack(
        lon=_numbers(values["lon"], "lon", refs, ctx, required=True),
        lat=_numbers(values["lat"], "lat", refs, ctx, required=True),
        time=_times_to_utc(values["time"], refs, ctx),
        accuracy=_numbers(values["accuracy"], "accuracy", refs, ctx, required=False),
        speed=_numbers(values["speed"], "speed", refs, ctx, required=False),
        ref=refs,
        meta=meta,
    )


def _batch_columns(points: list, refs: Sequence[str], ctx: _Context) -> dict[str, list[object]]:
    """Columns of the batch's point objects. Apps send uniform points: when every point has
    the first one's keys, each column is one list comprehension; otherwise point by point."""
    first = points[0]
    if isinstance(first, dict):
        found = {name: _find_key(tuple(first), aliases) for name, aliases in _FIELD_ALIASES.items()}
        with contextlib.suppress(KeyError, TypeError, IndexError):
            # any point that is not an object with the first point's keys falls back below
            return {
                name: list(map(itemgetter(key), points))
                if key is not None
                else [None] * len(points)
                for name, key in found.items()
            }
    values: dict[str, list[object]] = {name: [] for name in _FIELD_ALIASES}
    for ref, point in zip(refs, points, strict=True):
        if not isinstance(point, dict):
            raise ctx.error(f"expected a point object, got {_short(point)}", ref)
        keys = tuple(point)
        for name, aliases in _FIELD_ALIASES.items():
            key = _find_key(keys, aliases)
            values[name].append(None if key is None else point[key])
    return values


# ---------------------------------------------------------------------------------------------
# Values shared by the formats


def _numbers(
    values: Sequence[object], name: str, refs: Sequence[str], ctx: _Context, *, required: bool
) -> np.ndarray:
    """Float array of a column; text, booleans or (if required) blanks name the point.

    One vectorised conversion; only the values it could not read are looked at one by one.
    """
    if not required and all(v is None for v in values):  # the file has no such field
        return np.full(len(values), math.nan)
    if set(map(type, values)) <= {float, int}:  # the common case, checked at C speed
        return np.asarray(values, dtype=np.float64)
    plain = {int, float, str, type(None)}
    if all(type(v) in plain for v in values):
        series = pd.Series(values, dtype=object)
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, copy=True)
        redo: Sequence[int] = np.flatnonzero(np.isnan(out)).tolist()
    else:
        out = np.empty(len(values), dtype=np.float64)
        redo = range(len(values))
    for i in redo:
        v = values[i]
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise ctx.error(f"no {name}", refs[i])
            out[i] = math.nan
        elif isinstance(v, bool) or not isinstance(v, int | float | str):
            raise ctx.error(f"{name} {_short(v)} is not a number", refs[i])
        else:
            try:
                out[i] = float(v)
            except (ValueError, OverflowError):
                raise ctx.error(f"{name} {_short(v)} is not a number", refs[i]) from None
    return out


def _times_to_utc(values: Sequence[object], refs: Sequence[str], ctx: _Context) -> np.ndarray:
    """UTC ``datetime64[ns]`` of ISO 8601 strings, datetimes or epoch seconds/milliseconds.

    Uniform columns (all ISO strings, all datetimes, all integers) take one vectorised call.
    Anything else is sorted into three groups (epoch numbers, strings with an offset, naive
    strings), each converted at once; the per-point loop exists to name the bad point.
    """
    fast = _iso_column(values, ctx.zone)
    if fast is None:
        fast = _datetime_column(values, ctx.zone)
    if fast is None and values and set(map(type, values)) == {int}:
        fast = _epoch_to_ns(values, refs, ctx)  # type: ignore[arg-type]
    if fast is None and values and set(map(type, values)) <= {float, int}:
        fast = _float_epoch_to_ns(np.asarray(values, dtype=np.float64))
    if fast is not None:
        return fast
    out = np.empty(len(values), dtype="datetime64[ns]")
    epoch: tuple[list[int], list[float]] = ([], [])
    aware: tuple[list[int], list[str]] = ([], [])
    naive: tuple[list[int], list[str]] = ([], [])
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ctx.error("no time", refs[i])
        if isinstance(v, bool):
            raise ctx.error(f"time {v!r} is not a time", refs[i])
        if isinstance(v, int | float):
            epoch[0].append(i)
            epoch[1].append(v)
        elif isinstance(v, datetime):
            if v.tzinfo is not None and v.utcoffset() is not None:
                aware[0].append(i)
                aware[1].append(v.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z")
            else:
                naive[0].append(i)
                naive[1].append(v.isoformat())
        elif isinstance(v, str):
            s = v.strip()
            if not s:
                raise ctx.error("no time", refs[i])
            if _NUMBER_RE.fullmatch(s):
                epoch[0].append(i)
                epoch[1].append(int(s) if s.lstrip("+-").isdigit() else float(s))
                continue
            if "/" in s:
                s = _SLASH_DATE_RE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", s)
            group = aware if _OFFSET_RE.search(s) else naive
            group[0].append(i)
            group[1].append(s)
        else:
            raise ctx.error(f"time {_short(v)} is not a time", refs[i])

    if epoch[0]:
        out[epoch[0]] = _epoch_to_ns(epoch[1], [refs[i] for i in epoch[0]], ctx)
    if aware[0]:
        out[aware[0]] = _iso_to_utc(aware[1], [refs[i] for i in aware[0]], ctx, None)
    if naive[0]:
        out[naive[0]] = _iso_to_utc(naive[1], [refs[i] for i in naive[0]], ctx, ctx.zone)
    return out


def _iso_column(values: Sequence[object], zone: ZoneInfo) -> np.ndarray | None:
    """The usual column, ISO strings all naive or all with one offset, in one pandas call.

    None sends anything else (epoch numbers, mixed offsets, blanks, typos) to the general
    path, which also finds the point to blame.
    """
    if not values or not all(type(v) is str for v in values):
        return None
    strings: list[str] = values  # type: ignore[assignment]
    if any(s.strip().isdigit() for s in strings):  # epoch numbers, not ISO basic dates
        return None
    try:
        idx = pd.to_datetime(strings, format="ISO8601")
        if idx.isna().any():
            return None
        ns = idx.as_unit("ns").asi8 if idx.tz is not None else _localize_ns(idx, zone)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    return ns.view("datetime64[ns]")


def _datetime_column(values: Sequence[object], zone: ZoneInfo) -> np.ndarray | None:
    """gpxpy's datetimes (aware or naive) without a slow per-point ``astimezone``."""
    if not values or not all(type(v) is datetime for v in values):
        return None
    stamps: Sequence[datetime] = values  # type: ignore[assignment]
    offsets = [v.utcoffset() for v in stamps]
    try:
        idx = pd.DatetimeIndex([v.replace(tzinfo=None) for v in stamps]).as_unit("ns")
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None  # the general path names the point
    ns = idx.asi8.copy()
    aware = np.array([o is not None for o in offsets])
    if aware.any():
        shift = [o // timedelta(microseconds=1) for o in offsets if o is not None]
        ns[aware] -= np.array(shift, dtype=np.int64) * 1000
    if not aware.all():
        ns[~aware] = _localize_ns(idx[~aware], zone)
    return ns.view("datetime64[ns]")


def _float_epoch_to_ns(values: np.ndarray) -> np.ndarray | None:
    """Vectorised epoch seconds/milliseconds given as floats; None when a value is not finite
    or out of range (the per-point path then names it)."""
    if not np.isfinite(values).all():
        return None
    unit = np.where(np.abs(values) > EPOCH_MS_THRESHOLD, 1_000_000, 1_000_000_000)
    if (np.abs(values) * unit >= 2**62).any():
        return None
    whole = np.floor(values)
    ns = whole.astype(np.int64) * unit + np.round((values - whole) * unit).astype(np.int64)
    return ns.view("datetime64[ns]")


def _epoch_to_ns(values: list[float], refs: Sequence[str], ctx: _Context) -> np.ndarray:
    """Epoch seconds or milliseconds -> ns, exact for integers (float ms would lose ~100 ns)."""
    ints = _small_ints(values)
    if ints is not None:  # the phone app's ms: vectorised
        ms = np.abs(ints) > EPOCH_MS_THRESHOLD
        limit = np.where(ms, (2**63 - 1) // 1_000_000, (2**63 - 1) // 1_000_000_000)
        if (np.abs(ints) <= limit).all():
            return (ints * np.where(ms, 1_000_000, 1_000_000_000)).view("datetime64[ns]")
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if isinstance(v, float) and not math.isfinite(v):
            raise ctx.error(f"time {v!r} is not a finite number", refs[i])
        unit = 1_000_000 if abs(v) > EPOCH_MS_THRESHOLD else 1_000_000_000
        if isinstance(v, int):
            ns = v * unit
        else:
            whole = math.floor(v)
            ns = whole * unit + round((v - whole) * unit)
        if not -(2**63) < ns < 2**63:
            raise ctx.error(f"time {v!r} is out of range", refs[i])
        out[i] = ns
    return out.view("datetime64[ns]")


def _small_ints(values: Sequence[object]) -> np.ndarray | None:
    """The values as int64 when every one is an ``int`` (not a bool) below 2**62 in size."""
    if set(map(type, values)) != {int}:
        return None
    try:
        ints = np.array(values, dtype=np.int64)
    except OverflowError:
        return None
    return ints if ((ints > -(2**62)) & (ints < 2**62)).all() else None


def _iso_to_utc(
    strings: list[str], refs: Sequence[str], ctx: _Context, zone: ZoneInfo | None
) -> np.ndarray:
    """ISO 8601 strings -> UTC; ``zone`` None means they carry offsets, else they are local."""

    def bad(i: int) -> InputError:
        return ctx.error(
            f"time {strings[i]!r} is not a valid time (expected ISO 8601, e.g. "
            "2024-07-01T08:30:00+08:00, or epoch seconds/milliseconds)",
            refs[i],
        )

    try:
        ns = _iso_ns(strings, zone, errors="coerce")
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        for i, s in enumerate(strings):  # slow path: find the culprit
            try:
                _iso_ns([s], zone, errors="raise")
            except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
                raise bad(i) from None
        raise bad(0) from None
    nat = np.flatnonzero(ns == np.iinfo(np.int64).min)
    if nat.size:
        raise bad(int(nat[0]))
    return ns.view("datetime64[ns]")


def _iso_ns(strings: list[str], zone: ZoneInfo | None, *, errors: str) -> np.ndarray:
    """Epoch nanoseconds (int64, NaT as its minimum) of ISO strings, with or without offsets."""
    idx = pd.to_datetime(strings, format="ISO8601", utc=zone is None, errors=errors)
    if zone is None:
        return idx.as_unit("ns").asi8
    if idx.tz is not None:
        raise ValueError("a time with an offset among local times")
    return _localize_ns(idx, zone)


def _localize_ns(idx: pd.DatetimeIndex, zone: ZoneInfo) -> np.ndarray:
    """Naive local times -> UTC epoch ns; DST-ambiguous or skipped times read as ``fold=0``."""
    local = idx.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").as_unit("ns")
    ns = local.asi8.copy()
    for i in np.flatnonzero(local.isna() & ~idx.isna()):
        moment = idx[i].to_pydatetime(warn=False).replace(tzinfo=zone)
        ns[i] = pd.Timestamp(moment).as_unit("ns").value
    return ns


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _finish(p: RawTrack, ctx: _Context) -> RawTrack:
    """Checks every format shares; the points are kept exactly as parsed, in file order."""
    n = len(p.ref)
    if n == 0:
        raise ctx.error("no points")
    ctx.check_count(n)

    def first(mask: np.ndarray) -> int | None:
        hits = np.flatnonzero(mask)
        return int(hits[0]) if hits.size else None

    checks: list[tuple[str, np.ndarray, Callable[[float], str]]] = [
        ("lon", ~np.isfinite(p.lon), lambda v: f"longitude {v!r} is not a finite number"),
        ("lat", ~np.isfinite(p.lat), lambda v: f"latitude {v!r} is not a finite number"),
        ("lat", np.abs(p.lat) > 90, lambda v: f"latitude {v!r} is out of range [-90, 90]"),
        ("lon", np.abs(p.lon) > 180, lambda v: f"longitude {v!r} is out of range [-180, 180]"),
        ("accuracy", np.isinf(p.accuracy), lambda v: f"accuracy {v!r} is not a finite number"),
        ("speed", np.isinf(p.speed), lambda v: f"speed {v!r} is not a finite number"),
    ]
    for name, mask, message in checks:
        i = first(mask)
        if i is not None:
            raise ctx.error(message(float(getattr(p, name)[i])), p.ref[i])

    if (
        n > SAME_POINT_LIMIT
        and np.all(p.lon == p.lon[0])
        and np.all(p.lat == p.lat[0])
        and np.all(p.time == p.time[0])
    ):
        raise ctx.error(f"all {n} points are the same point")
    return p
