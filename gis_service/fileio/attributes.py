"""Map a file's attribute names onto the service's field names; name every column left over.

Offices' files name their columns anything (``XZQDM``, ``adcode``, ``名称``): recognised
names (English, Chinese, DataV.GeoAtlas's ``adcode``/``parent.adcode``) are mapped
automatically; ``mapping`` (our field -> their column, ``parent.adcode`` for a nested member)
and ``constants`` (our field -> one value for every feature, e.g. ``level=county``) override
them. Every column not used is listed, so nothing is dropped without a word.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from gis_service.errors import InputError

# our field -> column names recognised without --map (compared case-insensitively), in order
REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "adcode", "xzqdm", "行政区划代码", "区划代码", "行政代码", "代码"),
    "name": ("name", "xzqmc", "名称", "行政区名称", "行政区划名称", "区划名称"),
    "level": ("level", "级别", "行政级别", "层级"),
    "parent_code": (
        "parent_code",
        "parent.adcode",
        "parent_adcode",
        "parentcode",
        "上级代码",
        "上级区划代码",
        "上级行政区划代码",
        "parent",
    ),
    "kind": ("kind", "类型", "性质"),
}
WATER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "编码", "代码", "河流编码", "水体编码"),
    "name": ("name", "名称", "河流名称", "水体名称"),
    "kind": ("kind", "类型", "水体类型"),
    "parent_code": ("parent_code", "parent", "干流编码", "上级河流编码"),
    "managing_level": ("managing_level", "管理级别", "管理层级"),
    "managing_region_code": ("managing_region_code", "管理区划代码", "管理行政区划代码"),
    "flow_reversed": ("flow_reversed", "逆向"),
    "buffer_width_m": ("buffer_width_m", "缓冲宽度"),
    "source": ("source", "来源"),
}


@dataclass
class SelectedFields:
    """Our fields (``frame``), which column fed each, and the file's unused columns."""

    frame: pd.DataFrame
    used: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)


def parse_pairs(pairs: Sequence[str], *, option: str) -> dict[str, str]:
    """``["code=ADCODE", "name=NAME"]`` -> ``{"code": "ADCODE", "name": "NAME"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} expects FIELD=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _member(value: object, key: str) -> object:
    """``{"adcode": 450500}`` (or its JSON text, as some readers return it) -> 450500."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, Mapping):
        return value.get(key)
    return value


def _column(frame: pd.DataFrame, name: str) -> tuple[str, pd.Series] | None:
    """The column called ``name`` (case-insensitively), or ``parent.adcode``: the member
    ``adcode`` of the nested column ``parent``."""
    by_lower = {str(c).lower(): c for c in frame.columns if c != "geometry"}
    if name.lower() in by_lower:
        column = by_lower[name.lower()]
        return str(column), frame[column]
    head, dot, key = name.partition(".")
    if dot and head.lower() in by_lower:
        column = by_lower[head.lower()]
        values = frame[column]
        if values.map(lambda v: isinstance(v, (Mapping, str))).any():
            return str(column), values.map(lambda v: _member(v, key))
    return None


def select_fields(
    frame: pd.DataFrame,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    aliases: Mapping[str, Sequence[str]] | None = None,
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    source: str,
) -> SelectedFields:
    """Our fields with their values (missing optional fields are all-null)."""
    mapping = dict(mapping or {})
    constants = dict(constants or {})
    aliases = aliases or {}
    known = set(required) | set(optional)
    unknown = (set(mapping) | set(constants)) - known
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(sorted(unknown))}; fields are {', '.join(sorted(known))}",
            source=source,
        )
    columns = [str(c) for c in frame.columns if c != "geometry"]
    out = pd.DataFrame(index=frame.index)
    used: dict[str, str] = {}
    for name in (*required, *optional):
        if name in constants:
            out[name] = constants[name]
            continue
        if name in mapping:
            found = _column(frame, mapping[name])
            if found is None:
                raise InputError(
                    f"--map {name}={mapping[name]}: the file has no column {mapping[name]!r}; "
                    f"it has {', '.join(map(repr, columns)) or 'no attribute columns'}",
                    source=source,
                )
        else:
            candidates = [a for a in aliases.get(name, (name,)) if a not in used.values()]
            found = next(
                (f for a in candidates if (f := _column(frame, a)) and f[0] not in used.values()),
                None,
            )
        if found is not None:
            used[name], out[name] = found[0], found[1].to_numpy()
        elif name in required:
            raise InputError(
                f"missing required column {name!r}; the file has "
                f"{', '.join(map(repr, columns)) or 'no attribute columns'}. "
                f"Map one with --map {name}=COLUMN or set one with --set {name}=VALUE",
                source=source,
            )
        else:
            out[name] = None
    unused = [c for c in columns if c not in used.values()]
    return SelectedFields(out, used, unused)
