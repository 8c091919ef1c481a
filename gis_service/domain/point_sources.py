"""Responsibility points (塘长, 泵长, 口长, 点长; seed 004): ponds, pumping stations, outfalls
and other pollution point sources, each bound to a chief. A patrol counts for such a post
when it passes within a tolerance of the point (the tolerance per role, from the rules file)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from gis_service.domain.periods import Period, split
from gis_service.domain.vocab import POINT_ROLES
from gis_service.packaged import POINT_RULES_FILE as DEFAULT_RULES_FILE


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


def audit_point_posts(
    posts: pd.DataFrame,
    passes: pd.DataFrame,
    rules: dict[str, PointRule],
    period: Period,
    as_of: dt.date,
) -> pd.DataFrame:
    """One row per point post and rule period inside ``period`` (a 塘长's months of a quarter).

    ``posts``: post_id, role, valid_from, valid_to. ``passes``: post_id, day (local date) of
    each counting patrol of the post's chief that passed within the role's tolerance.
    A rule period asks ``min_patrols`` on distinct days (two walks on one day count once)
    when the post was held for at least half of its days (this project's choice: the seeds
    give no rule; a post taken over on the 25th owes nothing that month); passes count only
    on days the post was held. Status: met, missed (period over, too few), on_track (period
    still running on ``as_of``), not_required.
    """
    columns = ["post_id", "period", "start", "end", "required", "counted", "status"]
    if posts.empty:
        return pd.DataFrame(columns=columns)
    parts = []
    for kind in sorted({rules[r].period for r in posts["role"]}):
        subs = pd.DataFrame(
            [(p.label, p.start, p.end) for p in split(period, kind)],
            columns=["period", "start", "end"],
        )
        of_kind = posts[[rules[r].period == kind for r in posts["role"]]]
        parts.append(of_kind.merge(subs, how="cross"))
    grid = pd.concat(parts, ignore_index=True)
    start = pd.to_datetime(grid["start"]).to_numpy()
    end = pd.to_datetime(grid["end"]).to_numpy()
    held_from = np.maximum(pd.to_datetime(grid["valid_from"]).to_numpy(), start)
    valid_to = pd.to_datetime(grid["valid_to"]).fillna(pd.Timestamp.max.normalize())
    held_to = np.minimum(valid_to.to_numpy(), end)
    day = np.timedelta64(1, "D")
    held_days = np.maximum((held_to - held_from) // day + 1, 0)
    period_days = (end - start) // day + 1
    minimum = np.array([rules[r].min_patrols for r in grid["role"]])
    grid["required"] = np.where(2 * held_days >= period_days, minimum, 0)
    grid["held_from"], grid["held_to"] = held_from, held_to
    if len(passes):
        hits = grid[["post_id", "period", "held_from", "held_to"]].merge(
            passes.assign(day=pd.to_datetime(passes["day"])), on="post_id"
        )
        hits = hits[(hits["day"] >= hits["held_from"]) & (hits["day"] <= hits["held_to"])]
        counted = hits.groupby(["post_id", "period"])["day"].nunique().rename("counted")
        grid = grid.merge(counted, on=["post_id", "period"], how="left")
    else:
        grid["counted"] = 0
    grid["counted"] = grid["counted"].fillna(0).astype(int)
    over = end < np.datetime64(as_of)
    grid["status"] = np.select(
        [grid["required"] == 0, grid["counted"] >= grid["required"], over],
        ["not_required", "met", "missed"],
        default="on_track",
    )
    return grid[columns].sort_values(["post_id", "start"], ignore_index=True)


def rule_window(period: Period, rules: dict[str, PointRule]) -> tuple[dt.date, dt.date]:
    """The days whose patrols the audit of ``period`` needs: every rule period overlapping it
    (a quarterly 点长 rule audited for one month needs the whole quarter)."""
    subs = [p for kind in sorted({r.period for r in rules.values()}) for p in split(period, kind)]
    return min(p.start for p in subs), max(p.end for p in subs)
