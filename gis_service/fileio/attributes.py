"""Map a file's attribute names onto the service's field names.

Offices' files name their columns anything (``XZQDM``, ``adcode``, ``名称``): the importer
takes ``mapping`` (our field -> their column) and ``constants`` (our field -> one value for
every feature, e.g. ``level=county`` for a file of counties).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from gis_service.errors import InputError


def parse_pairs(pairs: Sequence[str], *, option: str) -> dict[str, str]:
    """``["code=ADCODE", "name=NAME"]`` -> ``{"code": "ADCODE", "name": "NAME"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} expects FIELD=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def select_fields(
    frame: pd.DataFrame,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    source: str,
) -> pd.DataFrame:
    """A frame with exactly our field names (missing optional fields are all-null)."""
    mapping = dict(mapping or {})
    constants = dict(constants or {})
    known = set(required) | set(optional)
    unknown = (set(mapping) | set(constants)) - known
    if unknown:
        raise InputError(
            f"unknown field(s) {', '.join(sorted(unknown))}; fields are {', '.join(sorted(known))}",
            source=source,
        )
    columns = [c for c in frame.columns if c != "geometry"]
    out = pd.DataFrame(index=frame.index)
    for name in (*required, *optional):
        if name in constants:
            out[name] = constants[name]
            continue
        column = mapping.get(name, name)
        if column in frame.columns:
            out[name] = frame[column]
        elif name in required:
            hint = f" (mapped from {column!r})" if name in mapping else ""
            raise InputError(
                f"missing required column {name!r}{hint}; the file has "
                f"{', '.join(map(repr, columns)) or 'no attribute columns'}. "
                f"Map one with --map {name}=COLUMN or set one with --set {name}=VALUE",
                source=source,
            )
        else:
            out[name] = None
    return out
