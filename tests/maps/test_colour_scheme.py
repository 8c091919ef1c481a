"""The coverage map's colours stay apart for colour-blind readers (issue 18).

Each colour is simulated for full deuteranomaly, protanomaly and tritanomaly (Machado et al.
2009, via colorspacious) and compared in CAM02-UCS, where a distance of about 10 is clearly
visible side by side. The scheme before issue 18 (RdYlGn, magenta gaps, dark-blue joint
sections, orange problems) put 80-99 % and 1-49 % 3.3 apart for deuteranomalous readers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from colorspacious import cspace_convert

from gis_service.maps import style

MIN_DISTANCE = 10.0
DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def _seen(colour: str, deficiency: str | None) -> np.ndarray:
    rgb = _rgb(colour)
    if deficiency:
        space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        rgb = np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return cspace_convert(rgb, "sRGB1", "CAM02-UCS")


def _scheme() -> dict[str, str]:
    colours = {b.label: b.colour for b in style.COVERAGE_BINS}
    colours |= {
        "gaps": style.GAP_COLOUR,
        "joint sections": style.JOINT_COLOUR,
        "problems": style.PROBLEM_COLOUR,
        "nobody's": style.UNASSIGNED_COLOUR,
    }
    return colours


def test_distance_is_zero_for_the_same_colour_and_large_for_black_and_white():
    assert np.linalg.norm(_seen("#123456", None) - _seen("#123456", None)) == 0
    assert np.linalg.norm(_seen("#000000", None) - _seen("#ffffff", None)) > 90


@pytest.mark.parametrize("deficiency", [None, *DEFICIENCIES])
def test_every_pair_of_map_colours_stays_apart(deficiency):
    colours = _scheme()
    assert len(set(colours.values())) == len(colours)
    close = [
        (a, b, round(float(np.linalg.norm(_seen(ca, deficiency) - _seen(cb, deficiency))), 1))
        for (a, ca), (b, cb) in itertools.combinations(colours.items(), 2)
    ]
    too_close = [c for c in close if c[2] < MIN_DISTANCE]
    assert too_close == [], (deficiency, too_close)


def test_the_scheme_is_in_the_legend():
    rows = style.coverage_legend("zh")
    drawn = {colour for _, colour, _ in rows}
    assert set(_scheme().values()) - {style.PROBLEM_COLOUR} <= drawn
