"""Patrol frequency rules: load, validate and choose the rule for a post.

Rules live in a versioned TOML file (``gis_service/rules/patrol_rules.toml``, shipped with
the package, by default) that an office can copy and edit; loading fails loudly on anything
it does not understand, naming the rule, because a silently ignored rule would make an audit
wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from gis_service.domain.periods import KINDS
from gis_service.domain.vocab import LEVELS, POST_ROLES
from gis_service.packaged import RULES_FILE as DEFAULT_RULES_FILE


@dataclass(frozen=True)
class Counting:
    """What a patrol must reach to count towards a rule (defaults; a rule may override the
    duration and distance).

    The distance is walked *along the post's own water* (its segments or zones, 多走1公里
    extensions included), not anywhere: local rules count per responsible water (每条责任河湖).
    Because a 300 m village stretch can never give 1 km, the minimum for a post is the smaller
    of the rule's distance and ``own_length_share`` of the post's own length.
    ``coverage_tolerance`` (a share) and ``coverage_tolerance_m`` (metres, as a share of the
    own stretch, at most ``coverage_tolerance_max``; the larger of the two applies) absorb GPS
    and chainage rounding in coverage shares: 99.8 % of a stretch is all of it, and so is a
    10 km stretch whose last 80 m run into a river mouth or a canal offtake, where the bank
    of the other water takes the GPS points; a 300 m stretch gets no more than 2 % (99.8 % of a
    stretch is all of it).
    """

    statuses: tuple[str, ...] = ("valid", "partial")
    min_duration_min: float = 10.0
    min_distance_m: float = 1000.0
    own_length_share: float = 0.5
    coverage_tolerance: float = 0.005
    coverage_tolerance_m: float = 100.0
    coverage_tolerance_max: float = 0.02


@dataclass(frozen=True)
class Rule:
    """One frequency rule: ``min_patrols`` per calendar ``period`` for posts with one of
    ``roles`` at ``level`` in ``region`` (and below).

    ``season`` limits the rule to months (first, last; e.g. (3, 12) for March-December):
    outside it nothing is owed and the owed number is pro-rated to the days in season.
    ``min_interval_days``: counted patrols of one post must lie at least that many days
    apart (two walks on one day count once). ``min_duration_min`` / ``min_distance_m``
    override the file's [counting] defaults for this rule.
    """

    id: str
    roles: tuple[str, ...]
    period: str
    min_patrols: int
    level: str | None = None
    region: str | None = None
    coverage_share: float | None = None
    source: str = ""
    season: tuple[int, int] | None = None
    min_interval_days: int = 0
    min_duration_min: float | None = None
    min_distance_m: float | None = None

    def duration_s(self, counting: Counting) -> float:
        minutes = (
            counting.min_duration_min if self.min_duration_min is None else self.min_duration_min
        )
        return 60.0 * minutes

    def distance_m(self, counting: Counting) -> float:
        return counting.min_distance_m if self.min_distance_m is None else self.min_distance_m

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


def audited_role(role: str, water_kind: str | None = None) -> str:
    """The role whose rule a deputy is audited by: 副总河长 as 总河长, 副河长 as the chief of
    their water (河长, 湖长 for a lake, 库长 for a reservoir). Other roles are themselves."""
    if role == "deputy_general_chief":
        return "general_chief"
    if role == "deputy_chief":
        return {"lake": "lake_chief", "reservoir": "reservoir_chief"}.get(
            water_kind or "", "river_chief"
        )
    return role


class RulesError(ValueError):
    """A rules file that cannot be used as it is."""


def _as_tuple(value, name: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RulesError(f"{where}: {name} must be a string or a list of strings")


_COUNTING_KEYS = {
    "statuses",
    "min_duration_min",
    "min_distance_m",
    "own_length_share",
    "coverage_tolerance",
    "coverage_tolerance_m",
    "coverage_tolerance_max",
}
_RULE_KEYS = {
    "id",
    "role",
    "level",
    "region",
    "period",
    "min_patrols",
    "coverage_share",
    "source",
    "season",
    "min_interval_days",
    "min_duration_min",
    "min_distance_m",
}


def _number(value, name: str, where: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RulesError(f"{where}: {name} must be a number >= 0")
    if upper is not None and value > upper:
        raise RulesError(f"{where}: {name} must be at most {upper}")
    return float(value)


def _share(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise RulesError(f"{where}: {name} must be in (0, 1]")
    return float(value)


def _season(value, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in value)
        and value[0] <= value[1]
    ):
        return (value[0], value[1])
    raise RulesError(
        f"{where}: season must be [first month, last month], e.g. [3, 12] for March-December"
    )


def parse_rules(doc: dict, *, source: str = "rules") -> RuleSet:
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        raise RulesError(f"{source}: a rules file needs a `version` string")
    c = doc.get("counting", {})
    counting = Counting(
        statuses=_as_tuple(
            c.get("statuses", ["valid", "partial"]), "statuses", f"{source} [counting]"
        ),
        min_duration_min=_number(
            c.get("min_duration_min", 10), "min_duration_min", f"{source} [counting]"
        ),
        min_distance_m=_number(
            c.get("min_distance_m", 1000), "min_distance_m", f"{source} [counting]"
        ),
        own_length_share=_share(
            c.get("own_length_share", 0.5), "own_length_share", f"{source} [counting]"
        ),
        coverage_tolerance=_number(
            c.get("coverage_tolerance", 0.005),
            "coverage_tolerance",
            f"{source} [counting]",
            upper=0.1,
        ),
        coverage_tolerance_m=_number(
            c.get("coverage_tolerance_m", 100), "coverage_tolerance_m", f"{source} [counting]"
        ),
        coverage_tolerance_max=_number(
            c.get("coverage_tolerance_max", 0.02),
            "coverage_tolerance_max",
            f"{source} [counting]",
            upper=0.1,
        ),
    )
    if unknown := set(c) - _COUNTING_KEYS:
        raise RulesError(f"{source} [counting]: unknown key(s) {', '.join(sorted(unknown))}")
    rules = []
    seen = set()
    known = _RULE_KEYS
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
        if not isinstance(r.get("source"), str) or not r["source"].strip():
            raise RulesError(
                f"{where}: every rule needs a `source` (seed file and article, or 'local practice')"
            )
        interval = r.get("min_interval_days", 0)
        if not isinstance(interval, int) or interval < 0:
            raise RulesError(f"{where}: min_interval_days must be a whole number >= 0")
        rules.append(
            Rule(
                rid,
                roles,
                period,
                minimum,
                level,
                r.get("region"),
                None if share is None else float(share),
                r["source"].strip(),
                _season(r.get("season"), where),
                interval,
                None
                if r.get("min_duration_min") is None
                else _number(r["min_duration_min"], "min_duration_min", where),
                None
                if r.get("min_distance_m") is None
                else _number(r["min_distance_m"], "min_distance_m", where),
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
