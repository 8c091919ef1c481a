"""Water quality at boundary cross-sections (交界断面水质): classes by GB 3838-2002 and the
monthly reward/deduction assessment of seed 004.

Classes are numbered 1..6 (Ⅰ..Ⅴ, 6 = 劣Ⅴ, worse than Ⅴ). A measured sample gets its class
by the *single-factor* method (单因子评价): every parameter is classed on its own against
the limits of GB 3838-2002 《地表水环境质量标准》 Table 1 (基本项目标准限值), and the sample takes
the worst of them. Only the main parameters of Table 1 are known here (溶解氧, 高锰酸盐指数,
化学需氧量, 五日生化需氧量, 氨氮, 总磷); a laboratory that classed a sample on more items may
state a *worse* class than these give, never a better one (see :func:`reconcile_class`).

Limits (mg/L) as quoted from Table 1, e.g. https://www.qqmaoyi.com/tech_news/detail-396824.html
and https://g230.com/9327769.html (both reproduce the table of GB 3838-2002):

==============  ===  =====  =====  =====  =====  ==========
item            cmp  Ⅰ      Ⅱ      Ⅲ      Ⅳ      Ⅴ
==============  ===  =====  =====  =====  =====  ==========
溶解氧 DO        ≥   7.5*   6      5      3      2
高锰酸盐指数     ≤   2      4      6      10     15
化学需氧量 COD   ≤   15     15     20     30     40
五日生化需氧量   ≤   3      3      4      6      10
氨氮 NH3-N       ≤   0.15   0.5    1.0    1.5    2.0
总磷 (河流)      ≤   0.02   0.1    0.2    0.3    0.4
总磷 (湖、库)    ≤   0.01   0.025  0.05   0.1    0.2
==============  ===  =====  =====  =====  =====  ==========

\\* Class Ⅰ DO is "饱和率90%（或7.5）": without the saturation this uses 7.5 mg/L.
A value equal to a limit meets that class (≤ / ≥ as in the table).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from gis_service.packaged import WATER_QUALITY_RULES_FILE as DEFAULT_RULES_FILE

CLASS_LABELS: dict[int, str] = {1: "Ⅰ类", 2: "Ⅱ类", 3: "Ⅲ类", 4: "Ⅳ类", 5: "Ⅴ类", 6: "劣Ⅴ类"}
WORSE_THAN_V = 6
STANDARD = "GB 3838-2002 表1"


@dataclass(frozen=True)
class Parameter:
    """One item of Table 1: its column name, Chinese label, limits for classes Ⅰ..Ⅴ and
    whether larger is better (溶解氧) or worse (everything else)."""

    name: str
    label: str
    limits: tuple[float, float, float, float, float]
    higher_is_better: bool = False
    still_water_limits: tuple[float, float, float, float, float] | None = None


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("dissolved_oxygen", "溶解氧", (7.5, 6.0, 5.0, 3.0, 2.0), higher_is_better=True),
    Parameter("permanganate_index", "高锰酸盐指数", (2.0, 4.0, 6.0, 10.0, 15.0)),
    Parameter("cod", "化学需氧量", (15.0, 15.0, 20.0, 30.0, 40.0)),
    Parameter("bod5", "五日生化需氧量", (3.0, 3.0, 4.0, 6.0, 10.0)),
    Parameter("ammonia_nitrogen", "氨氮", (0.15, 0.5, 1.0, 1.5, 2.0)),
    Parameter(
        "total_phosphorus",
        "总磷",
        (0.02, 0.1, 0.2, 0.3, 0.4),
        still_water_limits=(0.01, 0.025, 0.05, 0.1, 0.2),
    ),
)
PARAMETER_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMETERS)
PARAMETER_LABELS: dict[str, str] = {p.name: p.label for p in PARAMETERS}


def class_label(value: int | None) -> str:
    return "-" if value is None else CLASS_LABELS[int(value)]


def parse_class(value: object) -> int | None:
    """'Ⅲ', 'III', '3', 'Ⅲ类', '劣Ⅴ', '劣V', 'V+' -> 1..6; None if not a class."""
    text = str(value).strip().upper().removesuffix("类").strip()
    text = text.replace("Ⅰ", "I").replace("Ⅱ", "II").replace("Ⅲ", "III").replace("Ⅳ", "IV")
    text = text.replace("Ⅴ", "V")
    if text in {"劣V", "V+", "6"}:
        return WORSE_THAN_V
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
    if text in roman:
        return roman[text]
    if text in {"1", "2", "3", "4", "5"}:
        return int(text)
    return None


def parameter_classes(values: pd.DataFrame, still_water: NDArray[np.bool_]) -> pd.DataFrame:
    """Per sample (row) and parameter (column of ``PARAMETER_NAMES``), the class 1..6 the
    value meets; NaN where the value is missing. ``still_water`` marks samples of lakes and
    reservoirs (their own 总磷 limits)."""
    out = pd.DataFrame(index=values.index)
    still = np.asarray(still_water, dtype=bool)
    for p in PARAMETERS:
        v = values[p.name].to_numpy(dtype=float)
        limits = np.broadcast_to(np.asarray(p.limits), (len(v), 5))
        if p.still_water_limits is not None:
            limits = np.where(still[:, None], np.asarray(p.still_water_limits), limits)
        with np.errstate(invalid="ignore"):
            ok = v[:, None] >= limits if p.higher_is_better else v[:, None] <= limits
        # first class whose limit the value meets; none met -> 劣Ⅴ
        first = np.where(ok.any(axis=1), ok.argmax(axis=1) + 1, WORSE_THAN_V).astype(float)
        first[np.isnan(v)] = np.nan
        out[p.name] = first
    return out


def computed_classes(values: pd.DataFrame, still_water: NDArray[np.bool_]) -> pd.Series:
    """Single-factor class of each sample (the worst parameter); NaN without any value."""
    return parameter_classes(values, still_water).max(axis=1, skipna=True)


def limiting_parameters(values: pd.DataFrame, still_water: NDArray[np.bool_]) -> pd.Series:
    """The parameters that set each sample's class (定类因子), e.g. '氨氮, 总磷'."""
    classes = parameter_classes(values, still_water)
    worst = classes.max(axis=1, skipna=True)
    hits = classes.eq(worst, axis=0) & worst.notna().to_numpy()[:, None]
    labels = np.array([PARAMETER_LABELS[c] for c in classes.columns], dtype=object)
    return pd.Series(
        [", ".join(labels[row]) for row in hits.to_numpy()], index=values.index, dtype=object
    )


def reconcile_class(stated: int | None, computed: int | None) -> tuple[int | None, str | None]:
    """The class a sample gets and its basis ('computed' or 'stated'); None when neither is
    known. A stated class *better* than the parameters give contradicts the standard: the
    caller refuses it (returns ``(None, None)`` here for that case)."""
    if computed is None:
        return (stated, "stated") if stated is not None else (None, None)
    if stated is None or stated == computed:
        return computed, "computed"
    if stated > computed:  # worse, on items not given here: the laboratory's word stands
        return stated, "stated"
    return None, None


# -- the monthly assessment (seed 004) ----------------------------------------------------


@dataclass(frozen=True)
class AssessmentRule:
    """The office's reward/deduction rule for boundary sections, from the rules file."""

    reward_yuan: float
    deduction_yuan: float
    source: str
    month_class: str = "worst"  # how several samples of one month make the month's class


def load_assessment_rule(path: Path | str | None = None) -> AssessmentRule:
    """Read ``[boundary_sections]`` of the water-quality rules file; refuse unknown keys."""
    path = Path(path) if path else DEFAULT_RULES_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read the water-quality rules: {exc}") from None
    section = data.get("boundary_sections")
    if not isinstance(section, dict):
        raise ValueError(f"{path.name}: missing table [boundary_sections]")
    known = {"reward_yuan", "deduction_yuan", "source", "month_class"}
    unknown = set(section) - known
    if unknown:
        raise ValueError(
            f"{path.name}: [boundary_sections] has unknown key(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    for key in ("reward_yuan", "deduction_yuan"):
        value = section.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{path.name}: [boundary_sections] {key} must be a number >= 0")
    if section.get("month_class", "worst") != "worst":
        raise ValueError(f"{path.name}: [boundary_sections] month_class must be 'worst'")
    return AssessmentRule(
        reward_yuan=float(section["reward_yuan"]),
        deduction_yuan=float(section["deduction_yuan"]),
        source=str(section.get("source", "")),
    )


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first``'s month to ``last``'s, inclusive."""
    start = first.year * 12 + first.month - 1
    end = last.year * 12 + last.month - 1
    return [dt.date(m // 12, m % 12 + 1, 1) for m in range(start, end + 1)]


def assess_months(
    sections: pd.DataFrame,
    samples: pd.DataFrame,
    months: list[dt.date],
    rule: AssessmentRule,
) -> pd.DataFrame:
    """One row per section and month: the month's class, whether it met the target and the
    amount (+reward / -deduction) for the assessed (upstream) region.

    ``sections``: code, target_class, upstream_region_code. ``samples``: section_code,
    sampled_on, class. A month's class is the worst sample of that month (a section meets
    its target only if every sample does); a month without a sample is ``no_data`` and
    moves no money: it is listed, never guessed.
    """
    columns = [
        "section_code",
        "month",
        "month_class",
        "samples",
        "target_class",
        "upstream_region_code",
        "status",
        "amount_yuan",
    ]
    if sections.empty or not months:
        return pd.DataFrame(columns=columns)
    samples = samples.astype({"section_code": object}) if len(samples) else samples
    grid = pd.MultiIndex.from_product(
        [sections["code"].to_numpy(), pd.to_datetime(months)], names=["section_code", "month"]
    ).to_frame(index=False)
    if len(samples):
        month_of = pd.to_datetime(samples["sampled_on"]).dt.to_period("M").dt.to_timestamp()
        worst = (
            samples.assign(month=month_of)
            .groupby(["section_code", "month"], as_index=False)
            .agg(month_class=("class", "max"), samples=("class", "size"))
        )
    else:
        worst = pd.DataFrame(
            {
                "section_code": pd.Series([], dtype=object),
                "month": pd.Series([], dtype="datetime64[ns]"),
                "month_class": pd.Series([], dtype=float),
                "samples": pd.Series([], dtype=float),
            }
        )
    grid["section_code"] = grid["section_code"].astype(object)
    grid = grid.merge(worst, on=["section_code", "month"], how="left")
    grid = grid.merge(
        sections[["code", "target_class", "upstream_region_code"]],
        left_on="section_code",
        right_on="code",
        how="left",
    ).drop(columns="code")
    has = grid["month_class"].notna()
    met = has & (grid["month_class"] <= grid["target_class"])
    grid["samples"] = grid["samples"].fillna(0).astype(int)
    grid["status"] = np.where(~has, "no_data", np.where(met, "met", "failed"))
    grid["amount_yuan"] = np.where(~has, 0.0, np.where(met, rule.reward_yuan, -rule.deduction_yuan))
    grid["month"] = grid["month"].dt.date
    return grid[columns].sort_values(["month", "section_code"], ignore_index=True)


def region_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """Per assessed region and month: sections met / failed / without data and the net."""
    if rows.empty:
        return pd.DataFrame(
            columns=["upstream_region_code", "month", "met", "failed", "no_data", "amount_yuan"]
        )
    counts = pd.crosstab([rows["upstream_region_code"], rows["month"]], rows["status"]).reindex(
        columns=["met", "failed", "no_data"], fill_value=0
    )
    amount = rows.groupby(["upstream_region_code", "month"])["amount_yuan"].sum()
    return counts.join(amount).reset_index().rename_axis(columns=None)
