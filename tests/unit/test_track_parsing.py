"""Parsing uploaded patrol tracks: every format, time handling, and helpful errors."""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gis_service.errors import InputError
from gis_service.fileio.tracks import HDOP_METRES, parse_track

SAMPLE_TRACKS = Path(__file__).resolve().parents[2] / "data" / "sample" / "tracks"
SAMPLE_GPX = sorted(SAMPLE_TRACKS.glob("*.gpx"))
TRKPT_RE = re.compile(rb"<trkpt\b[^>]*>(.*?)</trkpt>", re.S)


def utc(*stamps: str) -> np.ndarray:
    return (
        pd.to_datetime(list(stamps), utc=True, format="ISO8601")
        .tz_localize(None)
        .as_unit("ns")
        .to_numpy()
    )


def gpx11(points: str, *, namespace: str = "http://www.topografix.com/GPX/1/1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<gpx version="1.1" creator="test" xmlns="{namespace}">\n'
        f"<trk><trkseg>\n{points}</trkseg></trk>\n</gpx>\n"
    ).encode()


def trkpt(lat: float, lon: float, time: str | None = "2026-07-01T00:00:00Z") -> str:
    inner = f"<time>{time}</time>" if time else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>\n'


def reason(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value)


# --- sample GPX files --------------------------------------------------------------------------


def test_samples_exist() -> None:
    assert len(SAMPLE_GPX) > 100


@pytest.mark.parametrize("path", SAMPLE_GPX, ids=lambda p: p.name)
def test_sample_gpx(path: Path) -> None:
    data = path.read_bytes()
    track = parse_track(data, filename=path.name)
    bodies = TRKPT_RE.findall(data)
    assert len(track) == data.count(b"<trkpt") == len(bodies)
    times = [re.search(rb"<time>(.*?)</time>", b).group(1).decode() for b in bodies]
    assert track.time.dtype == np.dtype("datetime64[ns]")
    np.testing.assert_array_equal(track.time, utc(*times))
    hdop = [re.search(rb"<hdop>(.*?)</hdop>", b) for b in bodies]
    expected = [float(m.group(1)) * HDOP_METRES if m else np.nan for m in hdop]
    np.testing.assert_allclose(track.accuracy, expected)
    assert np.isnan(track.speed).all()
    assert track.ref[0] == "trkpt 1 (track 1, segment 1)"
    assert track.meta == {"format": "gpx", "gpx_version": "1.1"}


def test_sample_times_match_manifest() -> None:
    with (SAMPLE_TRACKS / "manifest.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:10]
    for row in rows:
        track = parse_track((SAMPLE_TRACKS / row["file"]).read_bytes(), filename=row["file"])
        assert track.time[0] == utc(row["start_time"])[0]
        assert track.time[-1] == utc(row["end_time"])[0]


# --- GPX ---------------------------------------------------------------------------------------

GPX10 = b"""<?xml version="1.0"?>
<gpx version="1.0" creator="old phone" xmlns="http://www.topografix.com/GPX/1/0">
<trk><trkseg>
 <trkpt lat="30.1" lon="120.1"><time>2026-07-01T08:00:00+08:00</time><speed>1.5</speed></trkpt>
 <trkpt lat="30.2" lon="120.2"><time>2026-07-01T00:00:10Z</time><hdop>2</hdop></trkpt>
</trkseg><trkseg>
 <trkpt lat="30.3" lon="120.3"><time>2026-07-01T00:00:05Z</time><speed>0.5</speed></trkpt>
</trkseg></trk>
<trk><trkseg>
 <trkpt lat="30.4" lon="120.4"><time>2026-07-01T00:00:20Z</time></trkpt>
</trkseg></trk>
</gpx>
"""


def test_gpx10_speed_tracks_and_segments_in_document_order() -> None:
    track = parse_track(GPX10, filename="old.gpx")
    np.testing.assert_allclose(track.lat, [30.1, 30.2, 30.3, 30.4])
    np.testing.assert_allclose(track.speed, [1.5, np.nan, 0.5, np.nan])
    np.testing.assert_allclose(track.accuracy, [np.nan, 2 * HDOP_METRES, np.nan, np.nan])
    # Not sorted: the third point is earlier than the second, and stays third.
    np.testing.assert_array_equal(
        track.time,
        utc(
            "2026-07-01T00:00:00Z",
            "2026-07-01T00:00:10Z",
            "2026-07-01T00:00:05Z",
            "2026-07-01T00:00:20Z",
        ),
    )
    assert track.ref == [
        "trkpt 1 (track 1, segment 1)",
        "trkpt 2 (track 1, segment 1)",
        "trkpt 1 (track 1, segment 2)",
        "trkpt 1 (track 2, segment 1)",
    ]
    assert track.meta == {"format": "gpx", "gpx_version": "1.0"}


def test_gpx_route_points_when_no_track_points() -> None:
    data = b"""<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><rte>
<rtept lat="30" lon="120"><time>2026-07-01T00:00:00Z</time></rtept>
<rtept lat="30.001" lon="120"><time>2026-07-01T00:00:05Z</time></rtept></rte></gpx>"""
    track = parse_track(data, filename="route.gpx")
    assert track.ref == ["rtept 1 (route 1)", "rtept 2 (route 1)"]


def test_gpx_naive_time_is_local() -> None:
    track = parse_track(gpx11(trkpt(30, 120, "2026-07-01T08:00:00")), filename="a.gpx")
    assert track.time[0] == utc("2026-07-01T00:00:00Z")[0]


def test_gpx_sniffed_without_filename() -> None:
    track = parse_track(gpx11(trkpt(30, 120)))
    assert track.meta["format"] == "gpx"


def test_truncated_gpx() -> None:
    data = SAMPLE_GPX[0].read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(InputError) as exc:
        parse_track(cut, filename="cut.gpx")
    message = reason(exc)
    assert message.startswith("cut.gpx: line ")
    assert "truncated XML" in message
    last_line = cut.count(b"\n") + 1
    assert exc.value.location and exc.value.location.startswith(f"line {last_line}, column")


def test_malformed_gpx_reports_line() -> None:
    data = gpx11(trkpt(30, 120) + "<trkpt lat='30' lon='120'><time>x</tim></trkpt>\n")
    with pytest.raises(InputError, match=r"bad\.gpx: line 5, column \d+: malformed"):
        parse_track(data, filename="bad.gpx")


def test_gpx_wrong_namespace() -> None:
    data = gpx11(trkpt(30, 120), namespace="http://www.topografix.com/GPX/1/2")
    with pytest.raises(InputError, match=r"w\.gpx: line 2: unknown GPX namespace"):
        parse_track(data, filename="w.gpx")


def test_gpx_wrong_root() -> None:
    data = b'<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'
    with pytest.raises(InputError, match=r"t\.gpx: line 2: the root element is <kml>"):
        parse_track(data, filename="t.gpx")


def test_gpx_without_timestamps() -> None:
    data = gpx11(trkpt(30, 120) + trkpt(30.1, 120) + trkpt(30.2, 120, None))
    with pytest.raises(InputError) as exc:
        parse_track(data, filename="nt.gpx")
    assert reason(exc) == "nt.gpx: line 6, trkpt 3 (track 1, segment 1): no time"


def test_gpx_unreadable_time_is_named() -> None:
    data = gpx11(trkpt(30, 120, "yesterday"))
    with pytest.raises(InputError, match=r"trkpt 1 \(track 1, segment 1\): time 'yesterday'"):
        parse_track(data, filename="t.gpx")


def test_gpx_bad_coordinate_names_point() -> None:
    data = gpx11(trkpt(30, 120) + '<trkpt lat="north" lon="120"></trkpt>\n')
    with pytest.raises(InputError) as exc:
        parse_track(data, filename="c.gpx")
    assert reason(exc) == "c.gpx: line 5, trkpt 2 (track 1, segment 1): lat 'north' is not a number"


def test_gpx_latitude_out_of_range() -> None:
    with pytest.raises(InputError) as exc:
        parse_track(gpx11(trkpt(30, 120) + trkpt(200, 120)), filename="r.gpx")
    assert reason(exc) == (
        "r.gpx: trkpt 2 (track 1, segment 1): latitude 200.0 is out of range [-90, 90]"
    )


def test_gpx_empty_track() -> None:
    with pytest.raises(InputError, match=r"e\.gpx: the GPX has no track or route points"):
        parse_track(gpx11(""), filename="e.gpx")


# --- GeoJSON -----------------------------------------------------------------------------------


def test_geojson_linestring_with_coord_times() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[120, 30, 5], [120.001, 30]]},
                "properties": {
                    "coordTimes": ["2026-07-01T00:00:00Z", "2026-07-01T08:00:05+08:00"],
                    "accuracy": [3, 4],
                },
            }
        ],
    }
    track = parse_track(json.dumps(doc).encode(), filename="line.geojson")
    np.testing.assert_allclose(track.lon, [120, 120.001])
    np.testing.assert_array_equal(track.time, utc("2026-07-01T00:00:00Z", "2026-07-01T00:00:05Z"))
    np.testing.assert_allclose(track.accuracy, [3, 4])
    assert np.isnan(track.speed).all()
    assert track.ref == ["coordinate 1", "coordinate 2"]
    assert track.meta == {"format": "geojson"}


def test_geojson_multilinestring_nested_times_and_togeojson_layout() -> None:
    doc = {
        "type": "Feature",
        "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[120, 30], [120, 30.001]], [[120, 30.002]]],
        },
        "properties": {
            "coordinateProperties": {
                "times": [[1782864000000, 1782864005000], [1782864010000]],
            }
        },
    }
    track = parse_track(json.dumps(doc).encode(), filename="t.json")
    assert track.meta["format"] == "geojson"
    np.testing.assert_array_equal(
        track.time,
        utc("2026-07-01T00:00:00Z", "2026-07-01T00:00:05Z", "2026-07-01T00:00:10Z"),
    )


def test_geojson_point_features() -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [120 + i / 1000, 30]},
            "properties": {"timestamp": f"2026-07-01 08:00:0{i}", "speed": 1.2, "Accuracy": 8},
        }
        for i in range(3)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    track = parse_track(data)  # sniffed
    assert track.meta["format"] == "geojson"
    assert track.ref == ["feature 1", "feature 2", "feature 3"]
    assert track.time[0] == utc("2026-07-01T00:00:00Z")[0]
    np.testing.assert_allclose(track.speed, [1.2] * 3)
    np.testing.assert_allclose(track.accuracy, [8] * 3)


def test_geojson_line_without_times() -> None:
    doc = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[120, 30], [120, 31]]},
        "properties": {},
    }
    with pytest.raises(InputError, match=r"g\.geojson: feature 1: the line has no per-coord"):
        parse_track(json.dumps(doc).encode(), filename="g.geojson")


def test_geojson_times_length_mismatch() -> None:
    doc = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[120, 30], [120, 31]]},
        "properties": {"times": ["2026-07-01T00:00:00Z"]},
    }
    with pytest.raises(InputError, match=r"'times' has 1 values for 2 coordinates"):
        parse_track(json.dumps(doc).encode(), filename="g.geojson")


def test_geojson_point_without_time() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [120, 30]}}],
    }
    with pytest.raises(InputError, match=r"g\.geojson: feature 1: no time"):
        parse_track(json.dumps(doc).encode(), filename="g.geojson")


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_chinese_headers_bom_and_local_times() -> None:
    text = (
        "经度,纬度,时间,精度,速度\n"
        "120.1,30.1,2026-07-01 08:00:00,5,1.1\n"
        "120.2,30.2,2026/7/1 08:00:10,,\n"
        "120.3,30.3,2026-07-01T00:00:20Z,7.5,0\n"
    )
    track = parse_track(text.encode("utf-8-sig"), filename="巡河.csv")
    np.testing.assert_array_equal(
        track.time,
        utc("2026-07-01T00:00:00Z", "2026-07-01T00:00:10Z", "2026-07-01T00:00:20Z"),
    )
    np.testing.assert_allclose(track.lon, [120.1, 120.2, 120.3])
    np.testing.assert_allclose(track.accuracy, [5, np.nan, 7.5])
    np.testing.assert_allclose(track.speed, [1.1, np.nan, 0])
    assert track.ref == ["line 2", "line 3", "line 4"]
    assert track.meta == {"format": "csv"}


def test_csv_english_headers_any_case_other_zone() -> None:
    text = "Longitude,LATITUDE,Timestamp\n120,30,2026-07-01T10:00:00\n"
    track = parse_track(text.encode(), filename="a.csv", timezone="Europe/Berlin")
    assert track.time[0] == utc("2026-07-01T08:00:00Z")[0]


def test_csv_text_in_lon_column() -> None:
    text = "lon,lat,time\n" + "120,30,2026-07-01T00:00:00Z\n" * 3 + "abc,30,2026-07-01T00:00:00Z\n"
    with pytest.raises(InputError) as exc:
        parse_track(text.encode(), filename="bad.csv")
    assert reason(exc) == "bad.csv: line 5: lon 'abc' is not a number"
    assert exc.value.location == "line 5"


def test_csv_latitude_200() -> None:
    text = "lng,lat,datetime\n120,30,2026-07-01T00:00:00Z\n120,200,2026-07-01T00:00:05Z\n"
    with pytest.raises(InputError) as exc:
        parse_track(text.encode(), filename="r.csv")
    assert reason(exc) == "r.csv: line 3: latitude 200.0 is out of range [-90, 90]"


def test_csv_missing_time_column() -> None:
    with pytest.raises(InputError, match=r"m\.csv: line 1: missing columns \(time: one of"):
        parse_track(b"lon,lat\n120,30\n", filename="m.csv")


def test_csv_without_header() -> None:
    with pytest.raises(InputError, match=r"line 1: the first line must be a header"):
        parse_track(b"120,30,1782864000\n", filename="h.csv")


def test_csv_blank_time_and_non_finite() -> None:
    with pytest.raises(InputError, match=r"line 2: no time"):
        parse_track(b"lon,lat,time\n120,30,\n", filename="t.csv")
    with pytest.raises(InputError, match=r"line 2: longitude inf is not a finite number"):
        parse_track(b"lon,lat,time\ninf,30,1782864000\n", filename="t.csv")


def test_csv_header_only_is_empty_track() -> None:
    with pytest.raises(InputError, match=r"e\.csv: the CSV has a header but no points"):
        parse_track(b"lon,lat,time\n", filename="e.csv")


# --- JSON batch and epoch times ---------------------------------------------------------------


def test_json_batch_with_meta_and_epoch_ms() -> None:
    body = {
        "patrol_uuid": "6f1c0b8e-0000-4000-8000-000000000001",
        "chief_id": "P0022",
        "coord_system": "gcj02",
        "mode": "walk",
        "points": [
            {"lon": 120.0, "lat": 30.0, "time": 1782864000123, "accuracy": 4.5, "speed": 1.2},
            {"lon": 120.001, "lat": 30.0, "time": 1782864005, "accuracy": None},
            {"lon": "120.002", "lat": "30.0", "time": "1782864010500"},
        ],
    }
    track = parse_track(json.dumps(body).encode(), filename="batch.json")
    assert track.meta == {
        "format": "json",
        "patrol_uuid": body["patrol_uuid"],
        "chief_id": "P0022",
        "coord_system": "gcj02",
        "mode": "walk",
    }
    np.testing.assert_array_equal(
        track.time,
        utc("2026-07-01T00:00:00.123Z", "2026-07-01T00:00:05Z", "2026-07-01T00:00:10.5Z"),
    )
    np.testing.assert_allclose(track.accuracy, [4.5, np.nan, np.nan])
    np.testing.assert_allclose(track.speed, [1.2, np.nan, np.nan])
    assert track.ref == ["point 1", "point 2", "point 3"]


def test_json_bare_list_sniffed() -> None:
    data = b'[{"lng": 120, "latitude": 30, "time": "2026-07-01T08:00:00+08:00"}]'
    track = parse_track(data)
    assert track.meta == {"format": "json"}
    assert track.time[0] == utc("2026-07-01T00:00:00Z")[0]


def test_json_errors_name_the_point() -> None:
    with pytest.raises(InputError, match=r"b\.json: point 2: no lat"):
        parse_track(
            b'[{"lon":120,"lat":30,"time":1782864000},{"lon":120,"time":1782864001}]',
            filename="b.json",
        )
    with pytest.raises(InputError, match=r"point 1: lon True is not a number"):
        parse_track(b'[{"lon":true,"lat":30,"time":1782864000}]', filename="b.json")
    with pytest.raises(InputError, match=r"b\.json: no points"):
        parse_track(b'{"patrol_uuid": "x", "points": []}', filename="b.json")
    with pytest.raises(InputError, match=r"b\.json: line 2 column \d+: invalid JSON"):
        parse_track(b'{"points": [\n{"lon": 1,,}]}', filename="b.json")


# --- limits and degenerate uploads -------------------------------------------------------------


def test_ten_megabytes_of_one_repeated_point() -> None:
    data = b"lon,lat,time\n" + b"120.123456,30.123456,2026-07-01T08:00:00+08:00\n" * 300_000
    assert len(data) > 10_000_000
    with pytest.raises(InputError, match=r"big\.csv: the file is 14\.1 MB, more than the 10\.0 MB"):
        parse_track(data, filename="big.csv", max_bytes=10_000_000)
    with pytest.raises(InputError, match=r"big\.csv: more than 200000 points; split"):
        parse_track(data, filename="big.csv")
    with pytest.raises(InputError, match=r"big\.csv: all 300000 points are the same point"):
        parse_track(data, filename="big.csv", max_points=400_000)


def test_identical_points_rule() -> None:
    point = {"lon": 120, "lat": 30, "time": 1782864000}
    with pytest.raises(InputError, match=r"same\.json: all 2000 points are the same point"):
        parse_track(json.dumps([point] * 2000).encode(), filename="same.json")
    # A phone left on a table for a few minutes is still a (short) track.
    assert len(parse_track(json.dumps([point] * 1000).encode(), filename="ok.json")) == 1000


def test_max_points() -> None:
    data = gpx11("".join(trkpt(30, 120 + i / 1e4) for i in range(11)))
    with pytest.raises(InputError, match=r"more than 10 points \(11\)"):
        parse_track(data, filename="m.gpx", max_points=10)


@pytest.mark.parametrize("data", [b"", b"  \n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    with pytest.raises(InputError) as exc:
        parse_track(data, filename="empty.gpx")
    assert reason(exc) == "empty.gpx: the file is empty"


@pytest.mark.parametrize("name", ["junk.gpx", "junk.csv", "junk.json", None])
def test_binary_garbage(name: str | None) -> None:
    rng = random.Random(7)
    with_nul = bytes(rng.randrange(256) for _ in range(4096))
    without_nul = bytes(rng.randrange(1, 256) for _ in range(4096))
    for data in (with_nul, without_nul, b"\x1f\x8b\x08\x00" + with_nul):
        with pytest.raises(InputError) as exc:
            parse_track(data, filename=name)
        assert exc.value.source == name


def test_unknown_format_and_zone() -> None:
    with pytest.raises(InputError, match=r"unknown track format 'fit'"):
        parse_track(b"x", filename="a.fit", fmt="fit")
    with pytest.raises(InputError, match=r"unknown time zone 'Mars/Olympus'"):
        parse_track(b"lon,lat,time\n", timezone="Mars/Olympus")


def test_explicit_format_overrides_extension() -> None:
    data = b"lon,lat,time\n120,30,1782864000\n"
    track = parse_track(data, filename="upload.txt", fmt="csv")
    assert track.meta["format"] == "csv"
    with pytest.raises(InputError):
        parse_track(data, filename="upload.csv", fmt="gpx")


def test_csv_saved_by_chinese_excel_as_gb18030() -> None:
    text = "经度,纬度,时间\n120.1,30.1,2026-07-01 08:00:00\n"
    track = parse_track(text.encode("gb18030"), filename="excel.csv")
    assert track.time[0] == utc("2026-07-01T00:00:00Z")[0]


def test_geojson_polygon_is_not_a_track() -> None:
    doc = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [120, 31]]]},
        "properties": {},
    }
    with pytest.raises(InputError, match=r"p\.geojson: feature 1: geometry 'Polygon' is not"):
        parse_track(json.dumps(doc).encode(), filename="p.geojson")


def test_errors_are_input_errors_not_library_exceptions() -> None:
    bad_inputs = [
        b"<gpx",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><gpx/>",
        b'{"type": "FeatureCollection", "features": "no"}',
        b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [1]}}',
        b"[1, 2, 3]",
        b'"just a string"',
        b"lon,lat,time\n1,2,3,4,5\n",
        b'lon,lat,time\n1,2,"unterminated\n',
        b"lon,lat,time\n1,2,2026-13-45T99:00:00\n",
        b"lon,lat,time\n1,2,1e400\n",
        b'[{"lon": 1, "lat": 2, "time": {"a": 1}}]',
    ]
    for data in bad_inputs:
        with pytest.raises(InputError) as exc:
            parse_track(data, filename="x.bin")
        assert str(exc.value).startswith("x.bin: "), data


@pytest.mark.parametrize(
    ("time", "message"),
    [
        (True, "point 2: time True is not a time"),
        (2**63, "point 2: time 9223372036854775808 is out of range"),
        (-(2**63), "point 2: time -9223372036854775808 is out of range"),
        (2**62 + 5, "point 2: time 4611686018427387909 is out of range"),
    ],
)
def test_integer_epochs_checked_at_c_speed_still_name_the_bad_point(time, message):
    """Integer epoch times are converted in one numpy call; a bool, or an integer too large
    for nanoseconds, still goes to the per-point path that names it."""
    body = {
        "points": [{"lon": 109.1, "lat": 21.5, "time": 1_782_867_600_000 + k} for k in range(3)]
    }
    body["points"][1]["time"] = time
    with pytest.raises(InputError) as exc:
        parse_track(json.dumps(body).encode(), fmt="json")
    assert str(exc.value).endswith(message)


def test_a_big_app_upload_is_read_column_by_column_exactly():
    """The column fast path (itemgetter per key) reads what the point objects say."""
    rng = np.random.default_rng(3)
    n = 20_000
    lon, lat = 109 + rng.uniform(0, 0.1, n), 21 + rng.uniform(0, 0.1, n)
    ms = 1_782_867_600_000 + np.arange(n) * 1500
    points = [
        {"lng": a, "latitude": b, "timestamp": int(t), "accuracy": 4.5}
        for a, b, t in zip(lon.tolist(), lat.tolist(), ms.tolist(), strict=True)
    ]
    track = parse_track(json.dumps({"points": points}).encode(), fmt="json")
    assert np.array_equal(track.lon, lon) and np.array_equal(track.lat, lat)
    assert np.array_equal(track.time.astype(np.int64), ms * 1_000_000)
    assert np.all(track.accuracy == 4.5) and np.all(np.isnan(track.speed))
    assert track.ref[0] == "point 1" and track.ref[-1] == f"point {n}"
