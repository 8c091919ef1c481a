"""Reading real device files (tests/data/real, see SOURCES.md there)."""

from __future__ import annotations

import re
from pathlib import Path

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
