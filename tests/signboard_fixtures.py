"""A hand-made river for the signboard tests, laid into a sample village: a straight line
1 km long running east-west through the village's inner point, a township and a village
segment on it (the current zoning), a second water on the same line as a boundary stretch
(left bank: a village far away, right bank: this one), and posts whose holders are known.

Distances are worked out by hand: at 21-22°N a metre of latitude is 1/110,7xx of a degree
(``METRES_PER_DEGREE``, the meridian arc at the village's latitude), and the line runs due
east, so a board ``d`` metres north of it is ``d`` metres from it.
"""

from __future__ import annotations

import math

from sqlalchemy import Connection, text

WATER, BOUNDARY_WATER = "TSB-W", "TSB-B"
CHIEF_PREFIX = "TSX-"


def metres_per_degree(lat: float) -> float:
    """The meridian arc of one degree of latitude at ``lat`` (WGS84, the usual series)."""
    phi = math.radians(lat)
    return 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)


def make_stream(conn: Connection) -> dict:
    village, township, county, far, x0, y0 = conn.execute(
        text(
            "SELECT v.code, t.code, c.code, "
            "(SELECT code FROM admin_region WHERE level = 'village' AND parent_code <> t.code "
            " ORDER BY code LIMIT 1), "
            "ST_X(ST_PointOnSurface(v.geom)), ST_Y(ST_PointOnSurface(v.geom)) "
            "FROM admin_region v JOIN admin_region t ON t.code = v.parent_code "
            "JOIN admin_region c ON c.code = t.parent_code "
            "WHERE v.level = 'village' ORDER BY v.code LIMIT 1"
        )
    ).one()
    x0, y0 = round(x0, 6), round(y0, 6)
    line = f"LINESTRING({x0 - 0.005} {y0}, {x0 + 0.005} {y0})"
    for water in (WATER, BOUNDARY_WATER):
        conn.execute(
            text(
                "INSERT INTO water_body (code, name, kind, managing_level, managing_region_code, "
                "geom) VALUES (:c, :n, 'river', 'county', :r, ST_GeomFromText(:g, 4326))"
            ),
            {"c": water, "n": f"测试河{water[-1]}", "r": county, "g": line},
        )
    segments = [
        (f"{WATER}/township/{township}/1", WATER, "township", "inside", township, None, None),
        (f"{WATER}/village/{village}/1", WATER, "village", "inside", village, None, None),
        (f"{BOUNDARY_WATER}/village/left/1", BOUNDARY_WATER, "village", "boundary", None, far,
         village),
    ]  # fmt: skip
    for sid, water, level, kind, region, left, right in segments:
        conn.execute(
            text(
                "INSERT INTO river_segment (id, water_body_code, level, kind, region_code, "
                "left_region_code, right_region_code, ordinal, chainage_from_m, chainage_to_m, "
                "length_m, geom) VALUES (:i, :w, :l, :k, :r, :left, :right, 1, 0, 1030, 1030, "
                "ST_Multi(ST_GeomFromText(:g, 4326)))"
            ),
            {
                "i": sid,
                "w": water,
                "l": level,
                "k": kind,
                "r": region,
                "left": left,
                "right": right,
                "g": line,
            },
        )
    posts = [
        ("C", "县段长甲", "segment_chief", "county", county, WATER, "2026-01-01", None),
        ("T", "乡段长乙", "segment_chief", "township", township, WATER, "2026-01-01", None),
        ("V1", "村段长丙", "segment_chief", "village", village, WATER, "2026-01-01", "2026-06-30"),
        ("V2", "村段长丁", "segment_chief", "village", village, WATER, "2026-07-01", None),
        ("S", "巡河员戊", "patrol_staff", "village", village, WATER, "2026-01-01", None),
        ("B", "界河段长己", "segment_chief", "village", village, BOUNDARY_WATER, "2026-01-01",
         None),
    ]  # fmt: skip
    for key, name, role, level, region, water, start, end in posts:
        conn.execute(
            text("INSERT INTO chief (id, name, phone) VALUES (:i, :n, :p)"),
            {"i": CHIEF_PREFIX + key, "n": name, "p": f"199-7777-00{len(key)}{ord(key[0]) % 10}"},
        )
        conn.execute(
            text(
                "INSERT INTO chief_post (chief_id, role, level, region_code, water_body_code, "
                "valid_from, valid_to) VALUES (:c, :r, :l, :g, :w, :f, :t)"
            ),
            {
                "c": CHIEF_PREFIX + key,
                "r": role,
                "l": level,
                "g": region,
                "w": water,
                "f": start,
                "t": end,
            },
        )
    return {
        "village": village,
        "township": township,
        "county": county,
        "far": far,
        "x0": x0,
        "y0": y0,
        "deg": 1 / metres_per_degree(y0),  # degrees of latitude per metre
        "township_segment": segments[0][0],
        "village_segment": segments[1][0],
        "boundary_segment": segments[2][0],
    }


def drop_stream(conn: Connection) -> None:
    """Everything ``make_stream`` and the tests on it left (for committed fixtures)."""
    conn.execute(
        text(
            "DELETE FROM problem WHERE id IN (SELECT problem_id FROM public_report "
            "WHERE board_code LIKE 'TB-%')"
        )
    )
    conn.execute(text("DELETE FROM public_report WHERE board_code LIKE 'TB-%'"))
    conn.execute(text("DELETE FROM signboard WHERE code LIKE 'TB-%'"))
    conn.execute(text("DELETE FROM river_segment WHERE water_body_code IN ('TSB-W', 'TSB-B')"))
    conn.execute(text("DELETE FROM chief_post WHERE chief_id LIKE 'TSX-%'"))
    conn.execute(text("DELETE FROM chief WHERE id LIKE 'TSX-%'"))
    conn.execute(text("DELETE FROM water_body WHERE code IN ('TSB-W', 'TSB-B')"))
