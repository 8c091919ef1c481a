"""Administrative codes and levels (GB/T 2260 for county and above, 9/12 digits below)."""

from __future__ import annotations

import math
import re

from gis_service.domain.vocab import CODE_DIGITS, LEVELS

# what offices and public data sets write for our levels
LEVEL_ALIASES: dict[str, str] = {
    "省": "province",
    "自治区": "province",
    "直辖市": "province",
    "prefecture": "city",
    "市": "city",
    "地区": "city",
    "州": "city",
    "盟": "city",
    "district": "county",
    "县": "county",
    "区": "county",
    "旗": "county",
    "县级市": "county",
    "town": "township",
    "street": "township",
    "乡": "township",
    "镇": "township",
    "街道": "township",
    "乡镇": "township",
    "苏木": "township",
    "村": "village",
    "社区": "village",
    "嘎查": "village",
    "居委会": "village",
}

_DIGITS = re.compile(r"^[0-9]+$")


def normalise_code(value: object) -> str | None:
    """Codes arrive as text, integers or floats (Shapefile DBF): return the digit string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def normalise_level(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    lowered = text.lower()
    if lowered in LEVELS:
        return lowered
    return LEVEL_ALIASES.get(text) or LEVEL_ALIASES.get(lowered)


def code_problem(code: str | None, level: str) -> str | None:
    """Why ``code`` is not a valid code for ``level``, or None."""
    if not code:
        return "missing code"
    if not _DIGITS.match(code):
        return f"code {code!r} is not all digits"
    want = CODE_DIGITS[level]
    if len(code) != want:
        return f"code {code!r} has {len(code)} digits; a {level} code has {want}"
    return None
