"""Work before limits (issue 16, defect 10): a GPX over the point limit is refused while it is
streamed, before gpxpy builds an object per point. Shown without timing: whatever lies past
the limit (here broken XML) is never read, so the answer is the limit, not the XML error.
Before the fix gpxpy parsed the whole file first and reported the broken tail."""

from __future__ import annotations

import pytest

from gis_service.errors import InputError
from gis_service.fileio.tracks import parse_track
from tests.unit.test_track_parsing import gpx11, trkpt


def test_a_gpx_over_the_limit_is_refused_before_the_rest_is_read() -> None:
    points = "".join(trkpt(30, 120 + i / 1e4) for i in range(12))
    data = gpx11(points + '<trkpt lat="30" lon="121"><time>2026-07-01</trkpt>')  # broken tail
    with pytest.raises(InputError, match=r"t\.gpx: more than 10 points \(13\); split"):
        parse_track(data, filename="t.gpx", max_points=10)


def test_namespace_prefixed_points_are_counted_too() -> None:
    points = "".join(
        f'<g:trkpt lat="30" lon="{120 + i / 1e4}"><g:time>2026-07-01T00:00:00Z</g:time></g:trkpt>'
        for i in range(12)
    )
    data = (
        '<?xml version="1.0"?><g:gpx version="1.1" xmlns:g="http://www.topografix.com/GPX/1/1">'
        f"<g:trk><g:trkseg>{points}<broken></g:trkseg></g:trk></g:gpx>"
    ).encode()
    with pytest.raises(InputError, match=r"more than 10 points; split"):
        parse_track(data, filename="t.gpx", max_points=10)


def test_a_gpx_at_the_limit_still_parses() -> None:
    data = gpx11("".join(trkpt(30, 120 + i / 1e4, f"2026-07-01T00:0{i}:00Z") for i in range(10)))
    assert len(parse_track(data, filename="ok.gpx", max_points=10)) == 10
