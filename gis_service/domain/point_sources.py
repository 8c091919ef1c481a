"""Responsibility points (塘长, 泵长, 口长, 点长; seed 004): ponds, pumping stations, outfalls
and other pollution point sources, each bound to a chief. A patrol counts for such a post
when it passes within a tolerance of the point (the tolerance per role, from the rules file)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

POINT_KIND_LABELS: dict[str, str] = {
    "pond": "塘",
    "pump_station": "泵站",
    "outfall": "入河排污口",
    "point_source": "污染点源",
}
POINT_KINDS: tuple[str, ...] = tuple(POINT_KIND_LABELS)

POINT_ROLE_LABELS: dict[str, str] = {
    "pond_chief": "塘长",
    "pump_chief": "泵长",
    "outfall_chief": "口长",
    "point_chief": "点长",
}
POINT_ROLES: tuple[str, ...] = tuple(POINT_ROLE_LABELS)

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "rules" / "point_posts.toml"


@dataclass(frozen=True)
class PointRule:
    """How near a patrol must pass to count for a post of ``role`` (metres), and how often."""

    role: str
    tolerance_m: float
    period: str
    min_patrols: int
    source: str = ""


def load_point_rules(path: Path | str | None = None) -> dict[str, PointRule]:
    """``[roles.<role>]`` tables of the point-post rules file; every role needs one, unknown
    keys or roles are refused, naming them."""
    path = Path(path) if path else DEFAULT_RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read the point-post rules: {exc}") from None
    roles = data.get("roles")
    if not isinstance(roles, dict):
        raise ValueError(f"{path.name}: missing tables [roles.<role>]")
    unknown = set(roles) - set(POINT_ROLES)
    if unknown:
        raise ValueError(
            f"{path.name}: unknown role(s) {', '.join(sorted(unknown))}; "
            f"roles are {', '.join(POINT_ROLES)}"
        )
    missing = set(POINT_ROLES) - set(roles)
    if missing:
        raise ValueError(f"{path.name}: no rule for role(s) {', '.join(sorted(missing))}")
    out: dict[str, PointRule] = {}
    keys = {"tolerance_m", "period", "min_patrols", "source"}
    for role, table in roles.items():
        extra = set(table) - keys
        if extra:
            raise ValueError(
                f"{path.name}: [roles.{role}] unknown key(s) {', '.join(sorted(extra))}"
            )
        tol, period, count = table.get("tolerance_m"), table.get("period"), table.get("min_patrols")
        if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not 0 < tol <= 5000:
            raise ValueError(f"{path.name}: [roles.{role}] tolerance_m must be in (0, 5000]")
        if period not in ("month", "quarter", "half_year", "year"):
            raise ValueError(
                f"{path.name}: [roles.{role}] period must be month, quarter, half_year or year"
            )
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"{path.name}: [roles.{role}] min_patrols must be an integer >= 1")
        out[role] = PointRule(role, float(tol), period, count, str(table.get("source", "")))
    return out


def passes_within(
    tracks: NDArray[np.object_], points: NDArray[np.object_], tolerance_m: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Pairwise: does track *i* pass within ``tolerance_m[i]`` of point *i*? Both in one
    metric CRS (vectorised; a missing or empty track never passes)."""
    distance = shapely.distance(tracks, points)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.nan_to_num(distance, nan=np.inf) <= tolerance_m, dtype=bool)
