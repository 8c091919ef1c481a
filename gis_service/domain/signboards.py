"""Public signboards (公示牌) and the public's reports through them (群众举报); seeds 001, 002.

Seed 001 asks for signboards "在江河湖库岸边显著位置" publishing the chiefs so the public can
supervise them; seed 002 第十五条 has the office publish river chief information, 第二十七条
hand the public's reports over and record the result. A board stands on a bank: it belongs
to the nearest responsibility segment (the finest level there), and lists the chiefs of that
stretch at every level above it, as printed on a day. It needs reprinting when the chiefs
printed are no longer the chiefs of the stretch.

Pure functions: no database, no files but the rules file read by ``load_signboard_rules``.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from gis_service.domain.vocab import LEVEL_RANK, POST_ROLES, REGION_ROLES
from gis_service.packaged import SIGNBOARD_RULES_FILE as DEFAULT_RULES_FILE

# posts a board lists: the chiefs on the water (general chiefs hold regions, not stretches;
# patrol staff 巡河员/保洁员 are not chiefs)
LISTED_ROLES: tuple[str, ...] = tuple(
    r for r in POST_ROLES if r not in (*REGION_ROLES, "patrol_staff", "cleaner")
)
ROLE_ORDER: dict[str, int] = {r: i for i, r in enumerate(LISTED_ROLES)}
# segments of several levels overlap at a point (a village's stretch is part of its
# township's): distances within this many metres are one distance, the finest level wins
TIE_M = 0.5
JPEG, PNG = "image/jpeg", "image/png"
_MAGIC: tuple[tuple[bytes, str], ...] = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_SEPARATORS = re.compile(r"[;；、,，|\s]+")


@dataclass(frozen=True)
class SignboardRules:
    """The office's settings for boards and public reports (``rules/signboards.toml``)."""

    version: str
    supervision_phone: str | None
    office_name: str
    tolerance_m: float
    per_client: int
    client_window_s: int
    per_board: int
    board_window_s: int
    max_photo_bytes: int
    max_text_chars: int
    max_distance_m: float


# the values a rules file may leave out (the same as the bundled file)
DEFAULTS: dict[str, dict[str, float | int | str]] = {
    "office": {"supervision_phone": "", "name": "河长制办公室"},
    "match": {"tolerance_m": 300.0},
    "reports": {
        "per_client": 5,
        "client_window_s": 600,
        "per_board": 30,
        "board_window_s": 3600,
        "max_photo_bytes": 5_000_000,
        "max_text_chars": 2000,
        "max_distance_m": 5000.0,
    },
}


def _number(
    name: str, tables: dict, table: str, key: str, low: float, high: float, *, integer: bool
) -> float:
    value = tables[table].get(key, DEFAULTS[table][key])
    kinds = (int,) if integer else (int, float)
    if not isinstance(value, kinds) or isinstance(value, bool) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name}: [{table}] {key} must be {kind} from {low:g} to {high:g}")
    return value


def load_signboard_rules(path: Path | str | None = None) -> SignboardRules:
    """The rules file (default: the bundled one; a key left out takes its value from
    ``DEFAULTS``); unknown tables or keys and values out of range are refused, naming them
    (an option is never silently ignored)."""
    path = Path(path) if path else DEFAULT_RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read the signboard rules: {exc}") from None
    unknown = set(data) - {"version", *DEFAULTS}
    if unknown:
        raise ValueError(f"{path.name}: unknown table(s) {', '.join(sorted(unknown))}")
    tables: dict[str, dict] = {}
    for table, defaults in DEFAULTS.items():
        part = data.get(table, {})
        if not isinstance(part, dict):
            raise ValueError(f"{path.name}: [{table}] must be a table")
        extra = set(part) - set(defaults)
        if extra:
            raise ValueError(f"{path.name}: [{table}] unknown key(s) {', '.join(sorted(extra))}")
        tables[table] = part
    office = tables["office"]
    phone = office.get("supervision_phone", "")
    name = office.get("name", DEFAULTS["office"]["name"])
    if not isinstance(phone, str) or len(phone) > 40:
        raise ValueError(f"{path.name}: [office] supervision_phone must be text (≤ 40 characters)")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path.name}: [office] name must be non-empty text")
    n, t = path.name, tables
    return SignboardRules(
        version=str(data.get("version", "")),
        supervision_phone=phone.strip() or None,
        office_name=name.strip(),
        tolerance_m=float(_number(n, t, "match", "tolerance_m", 1, 5000, integer=False)),
        per_client=int(_number(n, t, "reports", "per_client", 1, 10_000, integer=True)),
        client_window_s=int(_number(n, t, "reports", "client_window_s", 1, 86_400, integer=True)),
        per_board=int(_number(n, t, "reports", "per_board", 1, 100_000, integer=True)),
        board_window_s=int(_number(n, t, "reports", "board_window_s", 1, 86_400, integer=True)),
        max_photo_bytes=int(
            _number(n, t, "reports", "max_photo_bytes", 1_000, 20_000_000, integer=True)
        ),
        max_text_chars=int(_number(n, t, "reports", "max_text_chars", 10, 4000, integer=True)),
        max_distance_m=float(
            _number(n, t, "reports", "max_distance_m", 10, 100_000, integer=False)
        ),
    )


# -- which segment a board stands by ----------------------------------------------------------


def nearest_segments(
    points: NDArray[np.object_],
    lines: NDArray[np.object_],
    ranks: NDArray[np.int64],
    tolerance_m: float,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """For each point, the index of its segment in ``lines`` (-1 when none lies within
    ``tolerance_m``) and the distance to it. All in one metric CRS. Among segments at the
    nearest distance (within ``TIE_M``), the finest level (highest ``ranks``) wins, then
    the nearer, then the first."""
    index = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.nan)
    if len(points) == 0 or len(lines) == 0:
        return index, distance
    tree = shapely.STRtree(lines)
    i, j = tree.query(points, predicate="dwithin", distance=tolerance_m)
    if len(i) == 0:
        return index, distance
    d = shapely.distance(points[i], lines[j])
    best = np.full(len(points), np.inf)
    np.minimum.at(best, i, d)
    near = d <= best[i] + TIE_M
    i, j, d = i[near], j[near], d[near]
    # per point: highest rank first, then distance, then index: the first row of each point
    order = np.lexsort((j, d, -ranks[j], i))
    i, j, d = i[order], j[order], d[order]
    first = np.r_[True, i[1:] != i[:-1]]
    index[i[first]] = j[first]
    distance[i[first]] = d[first]
    return index, distance


def bank_region(
    left: str | None, right: str | None, left_m: float | None, right_m: float | None
) -> str | None:
    """The bank a board on a boundary stretch stands on: the region nearer to it (0 m:
    inside), the left on a tie; None when neither bank has a region."""
    options = [(m, k, c) for k, (c, m) in enumerate(((left, left_m), (right, right_m))) if c]
    if not options:
        return None
    return min(options, key=lambda o: (np.inf if o[0] is None else o[0], o[1]))[2]


# -- the chiefs a board lists -----------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ListedChief:
    """One chief on a board: who, which post, at which level, for which region."""

    level: str
    role: str
    region_code: str
    chief_id: str
    name: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What makes two entries the same line on a board (the name follows the person)."""
        return (self.chief_id, self.role, self.level, self.region_code)

    def as_dict(self) -> dict[str, str]:
        return {
            "chief_id": self.chief_id,
            "name": self.name,
            "role": self.role,
            "level": self.level,
            "region_code": self.region_code,
        }


def stretch_chiefs(
    posts: pd.DataFrame, *, water: str, level: str, regions: tuple[str, ...]
) -> list[ListedChief]:
    """The chiefs of a board's stretch among ``posts`` (the posts held on the day:
    chief_id, chief_name, role, level, region_code, water_body_code): posts on ``water``
    at the board's level or above, in the board's region or a region containing it
    (``regions``: the region and its ancestors), chiefs' roles only. Ordered from the top
    level down, as a board prints them."""
    if posts.empty:
        return []
    rank = LEVEL_RANK[level]
    keep = (
        (posts["water_body_code"] == water)
        & posts["role"].isin(LISTED_ROLES)
        & posts["region_code"].isin(regions)
        & (posts["level"].map(LEVEL_RANK).fillna(99) <= rank)
    )
    rows = posts[keep]
    out = {
        ListedChief(r.level, r.role, r.region_code, r.chief_id, r.chief_name)
        for r in rows.itertuples(index=False)
    }
    return sorted(out, key=lambda c: (LEVEL_RANK[c.level], ROLE_ORDER[c.role], c.chief_id))


def pick_listed(
    tokens: list[str], chiefs: list[ListedChief]
) -> tuple[list[ListedChief], list[str]]:
    """The chiefs a board's file names (person ids or names) among the stretch's ``chiefs``
    on the printing day; returns them and the tokens that name none of them, or several."""
    picked: list[ListedChief] = []
    bad: list[str] = []
    for token in tokens:
        hits = [c for c in chiefs if token in (c.chief_id, c.name)]
        if not hits or len({c.chief_id for c in hits}) > 1:
            bad.append(token)
        else:
            picked += [c for c in hits if c not in picked]
    return picked, bad


def split_names(text: str | None) -> list[str]:
    """``"张三；李四、P0001"`` -> the names or ids printed on a board."""
    return [t for t in _SEPARATORS.split(text or "") if t]


@dataclass(frozen=True)
class ListingCheck:
    """What changed since a board was printed: chiefs printed who no longer hold that post
    on the stretch (``gone``), chiefs of the stretch not printed (``missing``)."""

    gone: tuple[ListedChief, ...]
    missing: tuple[ListedChief, ...]

    @property
    def needs_reprint(self) -> bool:
        return bool(self.gone or self.missing)


def compare_listing(printed: list[ListedChief], current: list[ListedChief]) -> ListingCheck:
    """Printed against current, line by line (person, post, level, region)."""
    now = {c.key for c in current}
    then = {c.key for c in printed}
    return ListingCheck(
        gone=tuple(c for c in printed if c.key not in now),
        missing=tuple(c for c in current if c.key not in then),
    )


# -- the public's reports ---------------------------------------------------------------------


def photo_type(head: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` by the file's first bytes (its name and declared type
    prove nothing), else None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


_GEOD = Geod(ellps="WGS84")


def check_report_text(text: str | None, max_chars: int) -> str:
    """The report's text, stripped; refused when empty, too long or holding control
    characters other than line breaks and tabs."""
    body = (text or "").strip()
    if not body:
        raise ValueError("text: describe the problem (问题描述 is required)")
    if len(body) > max_chars:
        raise ValueError(f"text: {len(body)} characters, at most {max_chars}")
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in body):
        raise ValueError("text: holds control characters")
    return body


def check_report_location(
    lon: float | None, lat: float | None, board: tuple[float, float], max_distance_m: float
) -> tuple[float, float] | None:
    """A report's optional location: both numbers or neither, a real lon/lat, and near the
    board (a report through a board is about its river; further away is implausible)."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise ValueError("lon, lat: give both or neither (经度和纬度)")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"lon, lat: ({lon}, {lat}) is not a longitude/latitude")
    _, _, distance = _GEOD.inv(board[0], board[1], lon, lat)
    if distance > max_distance_m:
        raise ValueError(
            f"lon, lat: ({lon:.6f}, {lat:.6f}) is {distance / 1000:.1f} km from the board; "
            f"reports through a board are about its river (at most {max_distance_m / 1000:g} km)"
        )
    return lon, lat
