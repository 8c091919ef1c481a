"""Patrol frequency rules: load, validate and choose the rule for a post.

Rules live in a versioned TOML file (``data/rules/patrol_rules.toml`` by default) that an
office can copy and edit; loading fails loudly on anything it does not understand, naming
the rule, because a silently ignored rule would make an audit wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gis_service.domain.periods import KINDS
from gis_service.domain.vocab import LEVELS, POST_ROLES

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "rules" / "patrol_rules.toml"


@dataclass(frozen=True)
class Counting:
    """What a patrol must reach to count towards a rule."""

    statuses: tuple[str, ...] = ("valid", "partial")
    min_duration_min: float = 10.0
    min_distance_m: float = 1000.0


@dataclass(frozen=True)
class Rule:
    id: str
    roles: tuple[str, ...]
    period: str
    min_patrols: int
    level: str | None = None
    region: str | None = None
    coverage_share: float | None = None
    source: str = ""

    def applies_to(
        self, role: str, level: str, region_code: str, ancestors: tuple[str, ...]
    ) -> bool:
        return (
            role in self.roles
            and (self.level is None or self.level == level)
            and (self.region is None or self.region == region_code or self.region in ancestors)
        )

    def specificity(self, region_depth: dict[str, int]) -> tuple[int, int, int]:
        return (
            self.region is not None,
            region_depth.get(self.region or "", 0),
            self.level is not None,
        )


@dataclass(frozen=True)
class RuleSet:
    version: str
    title: str
    counting: Counting
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def rule_for(
        self, role: str, level: str, region_code: str, ancestors: tuple[str, ...] = ()
    ) -> Rule | None:
        """The most specific rule for a post: deeper region first, then level, then order.

        ``ancestors`` are the codes above ``region_code`` (nearest first), so a rule for a
        county applies to the townships and villages inside it.
        """
        depth = {code: len(ancestors) - k for k, code in enumerate(ancestors)}
        depth[region_code] = len(ancestors) + 1
        matching = [
            (r.specificity(depth), -k, r)
            for k, r in enumerate(self.rules)
            if r.applies_to(role, level, region_code, ancestors)
        ]
        return max(matching, key=lambda m: (m[0], m[1]))[2] if matching else None


class RulesError(ValueError):
    """A rules file that cannot be used as it is."""


def _as_tuple(value, name: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RulesError(f"{where}: {name} must be a string or a list of strings")


def parse_rules(doc: dict, *, source: str = "rules") -> RuleSet:
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        raise RulesError(f"{source}: a rules file needs a `version` string")
    c = doc.get("counting", {})
    counting = Counting(
        statuses=_as_tuple(
            c.get("statuses", ["valid", "partial"]), "statuses", f"{source} [counting]"
        ),
        min_duration_min=float(c.get("min_duration_min", 10)),
        min_distance_m=float(c.get("min_distance_m", 1000)),
    )
    rules = []
    seen = set()
    known = {"id", "role", "level", "region", "period", "min_patrols", "coverage_share", "source"}
    for k, r in enumerate(doc.get("rule", []), start=1):
        where = f"{source} rule {k} ({r.get('id', 'no id')})"
        unknown = set(r) - known
        if unknown:
            raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        rid = r.get("id")
        if not rid or rid in seen:
            raise RulesError(f"{where}: every rule needs a unique id")
        seen.add(rid)
        roles = _as_tuple(r.get("role"), "role", where)
        if bad := [x for x in roles if x not in POST_ROLES]:
            raise RulesError(f"{where}: unknown role(s) {', '.join(bad)}")
        level = r.get("level")
        if level is not None and level not in LEVELS:
            raise RulesError(f"{where}: level must be one of {', '.join(LEVELS)}")
        period = r.get("period")
        if period not in KINDS:
            raise RulesError(f"{where}: period must be one of {', '.join(KINDS)}")
        minimum = r.get("min_patrols")
        if not isinstance(minimum, int) or minimum < 0:
            raise RulesError(f"{where}: min_patrols must be a whole number >= 0")
        share = r.get("coverage_share")
        if share is not None and not (isinstance(share, int | float) and 0 < share <= 1):
            raise RulesError(f"{where}: coverage_share must be in (0, 1]")
        rules.append(
            Rule(
                rid,
                roles,
                period,
                minimum,
                level,
                r.get("region"),
                None if share is None else float(share),
                r.get("source", ""),
            )
        )
    if not rules:
        raise RulesError(f"{source}: no [[rule]] entries")
    return RuleSet(version, doc.get("title", ""), counting, tuple(rules))


def load_rules(path: Path | str | None = None) -> RuleSet:
    path = Path(path or DEFAULT_RULES_FILE)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path.name}: {exc}") from None
    return parse_rules(doc, source=path.name)
