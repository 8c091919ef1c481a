"""Reading real device files (tests/data/real, see SOURCES.md there)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gis_service.errors import InputError
from gis_service.fileio.tracks import parse_track

REAL = Path(__file__).parents[1] / "data" / "real"


def test_an_untimed_saved_track_beside_the_timed_log_is_skipped_with_a_note():
    """korita-zbevnica.gpx: Garmin's untimed "03-OCT-10 #2" (358 points) beside the timed
    ACTIVE LOGs (176 + 337 points); the whole file used to be refused for "no time"."""
    raw = parse_track((REAL / "korita-zbevnica.gpx").read_bytes(), filename="korita.gpx")
    assert len(raw) == 176 + 337
    assert raw.ref[0] == "trkpt 1 (track 3, segment 1)"
    (note,) = raw.meta["notes"]
    assert "track 2 (03-OCT-10 #2): 358 points without any time skipped" in note


def test_a_file_without_any_timed_track_is_still_refused():
    """The same walk as cerknicko-jezero.gpx with every time removed (gpxpy's own copy)."""
    data = (REAL / "cerknicko-jezero.gpx").read_text()
    untimed = re.sub(r"<time>[^<]*</time>", "", data)
    with pytest.raises(InputError, match="no time"):
        parse_track(untimed.encode(), filename="untimed.gpx")


def test_a_track_with_some_times_missing_is_refused_naming_the_point():
    data = (REAL / "cerknicko-jezero.gpx").read_text()
    k = data.index("<time>", data.index("ACTIVE LOG #3"))
    broken = data[:k] + data[data.index("</time>", k) + len("</time>") :]
    with pytest.raises(InputError, match=r"trkpt 1 \(track 3, segment 1\): no time"):
        parse_track(broken.encode(), filename="broken.gpx")


# -- KML / KMZ: the real walk of cerknicko-jezero.gpx written the way apps export it ---------

KML_NS = 'xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2"'


def real_walk():
    raw = parse_track((REAL / "cerknicko-jezero.gpx").read_bytes(), filename="c.gpx")
    when = np.datetime_as_string(raw.time.astype("datetime64[s]"), unit="s")
    return raw, [f"{w}Z" for w in when]


def gx_track_kml(raw, when, *, untimed_line: bool = False) -> bytes:
    """Google Earth / 六只脚 layout: a Placemark with gx:MultiTrack > gx:Track (when, gx:coord
    pairs), optionally a planned route as an untimed LineString beside it."""
    track = "".join(f"<when>{w}</when>" for w in when) + "".join(
        f"<gx:coord>{a} {b} 550</gx:coord>" for a, b in zip(raw.lon, raw.lat, strict=True)
    )
    route = (
        "<Placemark><name>计划路线</name><LineString><coordinates>"
        + " ".join(f"{a},{b},0" for a, b in zip(raw.lon[::10], raw.lat[::10], strict=True))
        + "</coordinates></LineString></Placemark>"
        if untimed_line
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><kml {KML_NS}><Document><name>巡河</name>'
        f"<Placemark><name>轨迹</name><gx:MultiTrack><gx:Track>{track}</gx:Track>"
        f"</gx:MultiTrack></Placemark>{route}</Document></kml>"
    ).encode()


def test_kml_gx_track_reads_every_point_with_its_time():
    raw, when = real_walk()
    parsed = parse_track(gx_track_kml(raw, when), filename="walk.kml")
    assert parsed.meta["format"] == "kml"
    assert np.array_equal(parsed.lon, raw.lon) and np.array_equal(parsed.lat, raw.lat)
    assert np.array_equal(parsed.time, raw.time.astype("datetime64[s]").astype(parsed.time.dtype))
    assert parsed.ref[0] == "track 1 (轨迹), gx:coord 1"


def test_kmz_is_read_member_by_member_and_untimed_lines_are_noted():
    raw, when = real_walk()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", gx_track_kml(raw, when, untimed_line=True))
        archive.writestr("files/icon.png", b"\x89PNG not read")
    parsed = parse_track(buffer.getvalue(), filename="walk.kmz")
    assert parsed.meta["format"] == "kmz" and len(parsed) == len(raw)
    assert parsed.ref[0] == "doc.kml: track 1 (轨迹), gx:coord 1"
    (note,) = parsed.meta["notes"]
    assert "计划路线" in note and "without times skipped" in note
    # recognised by its content too (an app that names the upload "export")
    assert parse_track(buffer.getvalue(), filename="export").meta["format"] == "kmz"


def test_kml_linestring_with_per_point_times_in_extended_data():
    raw, when = real_walk()
    coords = " ".join(f"{a},{b},0" for a, b in zip(raw.lon, raw.lat, strict=True))
    doc = (
        f'<?xml version="1.0"?><kml {KML_NS}><Placemark><name>两步路轨迹</name><ExtendedData>'
        f'<Data name="coordTimes"><value>{" ".join(when)}</value></Data></ExtendedData>'
        f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark></kml>"
    ).encode()
    parsed = parse_track(doc, filename="two.kml")
    assert len(parsed) == len(raw) and parsed.ref[-1].endswith(f"coordinate {len(raw)}")


def test_untimed_kml_is_a_clear_error():
    raw, _ = real_walk()
    coords = " ".join(f"{a},{b},0" for a, b in zip(raw.lon, raw.lat, strict=True))
    doc = (
        f'<?xml version="1.0"?><kml {KML_NS}><Placemark><name>route</name>'
        f"<LineString><coordinates>{coords}</coordinates></LineString></Placemark></kml>"
    ).encode()
    with pytest.raises(InputError, match="no timed track") as info:
        parse_track(doc, filename="route.kml")
    assert "route.kml" in str(info.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "b">]><kml/>', "entity"),
        (b'<?xml version="1.0"?><kml><Placemark><gx:Track', "malformed"),
        (b"PK\x03\x04broken", "not a valid KMZ"),
    ],
)
def test_hostile_or_broken_kml_is_refused(body, message):
    name = "x.kmz" if body.startswith(b"PK") else "x.kml"
    with pytest.raises(InputError, match=message):
        parse_track(body, filename=name)
