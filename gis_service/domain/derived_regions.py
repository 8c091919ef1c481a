"""Parents built from their children: a prefecture dissolved from its counties.

A file of counties (a DataV download of one prefecture, say) names a parent that is
neither in the file nor in the database. With ``--derive-parents`` the importer builds that
parent as the union of its children, one level up, and says so in the report; the parent's
own parent is guessed from the GB/T 2260 code prefix (450521 -> 450500 -> 450000) and used
only when that region exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from gis_service.domain.admin_codes import code_problem
from gis_service.domain.vocab import LEVEL_RANK, LEVELS


@dataclass
class DerivedRegion:
    code: str
    level: str
    name: str
    parent_code: str | None
    geometry: shapely.MultiPolygon
    children: list[str]

    def describe(self) -> str:
        return (
            f"{self.code} ({self.level}) built from its {len(self.children)} children "
            f"{', '.join(self.children[:10])}{' ...' if len(self.children) > 10 else ''}"
        )


def code_ancestor(code: str, level: str) -> str | None:
    """The code of the region one level up, by GB/T 2260 prefix (None above a province)."""
    if level == "village":
        return code[:9]
    if level == "township":
        return code[:6]
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def derive_missing_parents(
    codes: Sequence[str | None],
    levels: Sequence[str | None],
    parents: Sequence[str | None],
    geometries: Sequence[shapely.Geometry | None] | NDArray[np.object_],
    known: Mapping[str, str],
) -> tuple[list[DerivedRegion], list[tuple[str, str]]]:
    """Derived parents, and problems as (where, reason) for those that cannot be built."""
    groups: dict[str, list[int]] = {}
    for i, parent in enumerate(parents):
        if parent and parent not in known:
            groups.setdefault(parent, []).append(i)
    derived: list[DerivedRegion] = []
    problems: list[tuple[str, str]] = []
    for parent, members in sorted(groups.items()):
        child_levels = {levels[i] for i in members}
        where = f"parent {parent}"
        child_level = next(iter(child_levels)) if len(child_levels) == 1 else None
        if child_level is None:
            problems.append((where, f"children of mixed levels {sorted(map(str, child_levels))}"))
            continue
        if LEVEL_RANK[child_level] == 0:
            problems.append((where, "a province has no parent to build"))
            continue
        level = LEVELS[LEVEL_RANK[child_level] - 1]
        if problem := code_problem(parent, level):
            problems.append((where, f"cannot be a {level}: {problem}"))
            continue
        parts = [geometries[i] for i in members if geometries[i] is not None]
        if len(parts) != len(members):
            continue  # a child's geometry was rejected: reported on the child
        union = shapely.make_valid(shapely.union_all(parts))
        polygons = [
            g for g in shapely.get_parts(union) if g.geom_type == "Polygon" and not g.is_empty
        ]
        children = sorted(str(codes[i]) for i in members)
        derived.append(
            DerivedRegion(
                code=parent,
                level=level,
                name=f"{parent} (由下级合并)",
                parent_code=code_ancestor(parent, level),
                geometry=shapely.MultiPolygon(polygons),
                children=children,
            )
        )
    return derived, problems
