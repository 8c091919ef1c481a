"""KML and KMZ patrol tracks, as Chinese outdoor and patrol apps (两步路, 六只脚, ...) and
Google Earth export them.

Read: ``gx:Track`` (``<when>`` and ``<gx:coord>`` pairs, also inside ``gx:MultiTrack``), and
``LineString`` whose per-point times are given in the placemark's ``ExtendedData`` (a
``Data``/``SimpleData`` named ``times``, ``coordTimes``, ``timestamps`` or ``when``, one time per
coordinate). A LineString without per-point times has no evidence of when it was walked: a
file with no timed track is refused, one with timed tracks beside untimed lines skips those
with a note. A KMZ is a ZIP archive: only its ``.kml`` members are read (nothing else is
opened), each checked for its unpacked size first.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import PurePath

import numpy as np

from gis_service.domain.tracks import RawTrack

KML_FORMATS = ("kml", "kmz")
_TIME_NAMES = ("times", "coordtimes", "timestamps", "when")
_KML_ROOT = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<kml[\s>]", re.DOTALL)


def kml_kind(filename: str | None, fmt: str | None, data: bytes) -> str | None:
    """``kml`` or ``kmz`` when the upload is one (declared, by extension or by content)."""
    if fmt is not None:
        chosen = fmt.strip().lower().lstrip(".")
        return chosen if chosen in KML_FORMATS else None
    suffix = PurePath(filename).suffix.lower().lstrip(".") if filename else ""
    if suffix in KML_FORMATS:
        return suffix
    if suffix in ("gpx", "geojson", "csv", "json"):  # named as another format: parsed as that
        return None
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if any(n.lower().endswith(".kml") for n in archive.namelist()):
                    return "kmz"
        except zipfile.BadZipFile:
            return None
        return None
    head = data[:2048].decode("utf-8", "ignore").lstrip("\ufeff")
    return "kml" if _KML_ROOT.match(head) else None


def read_kml(data: bytes, kind: str, ctx) -> RawTrack:
    """Points of every timed track of a KML/KMZ upload, in document order.

    ``ctx`` is the track parser's context (source name, zone of naive times, limits).
    """
    from gis_service.fileio.tracks import _times_to_utc

    texts = _kmz_members(data, ctx) if kind == "kmz" else [("", _text(data, ctx))]
    lon: list[float] = []
    lat: list[float] = []
    times: list[str] = []
    refs: list[str] = []
    notes: list[str] = []
    for member, text in texts:
        root = _xml(text, member, ctx)
        prefix = f"{member}: " if member else ""
        for t, (kind_, coords, when, name) in enumerate(_tracks(root), 1):
            label = f"{prefix}track {t}" + (f" ({name})" if name else "")
            if not coords:
                continue
            if when is None:
                notes.append(f"{label}: a LineString of {len(coords)} points without times skipped")
                continue
            if len(when) != len(coords):
                raise ctx.error(f"{len(when)} times for {len(coords)} coordinates", label)
            for i, (c, w) in enumerate(zip(coords, when, strict=True), 1):
                ref = f"{label}, {kind_} {i}"
                parts = c.replace(",", " ").split()
                if len(parts) < 2:
                    raise ctx.error(f"coordinate {c!r} is not 'lon lat'", ref)
                try:
                    lon.append(float(parts[0]))
                    lat.append(float(parts[1]))
                except ValueError:
                    raise ctx.error(f"coordinate {c!r} is not 'lon lat'", ref) from None
                times.append(w)
                refs.append(ref)
            ctx.check_count(len(refs))
    if not refs:
        detail = f" ({'; '.join(notes)})" if notes else ""
        raise ctx.error(
            "the KML has no timed track: export the track with times (gx:Track) — a line "
            f"without times is no evidence of a patrol{detail}"
        )
    n = len(refs)
    return RawTrack(
        lon=np.array(lon),
        lat=np.array(lat),
        time=_times_to_utc(times, refs, ctx),
        accuracy=np.full(n, np.nan),
        speed=np.full(n, np.nan),
        ref=refs,
        meta={"notes": notes} if notes else {},
    )


def _kmz_members(data: bytes, ctx) -> list[tuple[str, str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ctx.error("this is not a valid KMZ (ZIP) archive") from None
    with archive:
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".kml")]
        if not members:
            raise ctx.error("the KMZ holds no .kml document")
        out = []
        budget = 50 * len(data) + 20_000_000  # refuse zip bombs before unpacking
        for info in members:
            if info.file_size > budget:
                raise ctx.error(f"{info.filename} unpacks to {info.file_size} bytes", None)
            budget -= info.file_size
            with archive.open(info) as fh:
                out.append((info.filename, _text(fh.read(info.file_size + 1), ctx)))
        return out


def _text(data: bytes, ctx) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ctx.error("the KML is not UTF-8 text") from None


def _xml(text: str, member: str, ctx) -> ET.Element:
    if re.search(r"<!(DOCTYPE|ENTITY)", text):
        raise ctx.error("XML document type and entity declarations are not allowed in KML")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        where = f"{member + ', ' if member else ''}line {line}, column {column + 1}"
        raise ctx.error("malformed or truncated XML", where) from None
    if _local(root.tag) != "kml":
        raise ctx.error(f"the root element is <{_local(root.tag)}>, not <kml>")
    return root


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _tracks(root: ET.Element):
    """(point kind, coordinate strings, time strings or None, placemark name) per track."""
    for placemark in (e for e in root.iter() if _local(e.tag) == "Placemark"):
        name = (
            next((c.text or "").strip() for c in placemark if _local(c.tag) == "name")
            if any(_local(c.tag) == "name" for c in placemark)
            else ""
        )
        times = _extended_times(placemark)
        for element in placemark.iter():
            tag = _local(element.tag)
            if tag == "Track":
                when = [(c.text or "").strip() for c in element if _local(c.tag) == "when"]
                coords = [(c.text or "").strip() for c in element if _local(c.tag) == "coord"]
                yield "gx:coord", coords, when, name
            elif tag == "LineString":
                text = next((c.text or "" for c in element if _local(c.tag) == "coordinates"), "")
                coords = text.split()
                yield "coordinate", coords, times, name


def _extended_times(placemark: ET.Element) -> list[str] | None:
    for element in placemark.iter():
        tag = _local(element.tag)
        if tag in ("Data", "SimpleData") and element.get("name", "").lower() in _TIME_NAMES:
            if tag == "Data":
                value = next((c.text or "" for c in element if _local(c.tag) == "value"), "")
            else:
                value = element.text or ""
            return value.replace(",", " ").split()
    return None
