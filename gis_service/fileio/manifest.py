"""The manifest of a bulk patrol upload: which file is whose, in which coordinate system and
mode. A CSV (UTF-8, BOM optional) with a header; columns by name, Chinese labels accepted:

    file,chief,coord_system,mode
    P0145_0001.gpx,P0145,wgs84,walk

``chief`` may also be called ``chief_id`` or ``person_id`` (as in the sample's manifest);
``coord_system`` and ``mode`` may be empty (then the file's own or the default). Other
columns are ignored by name, never by accident: they are listed in the report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from gis_service.errors import InputError

_COLUMNS = {
    "file": ("file", "filename", "文件"),
    "chief": ("chief", "chief_id", "person_id", "河长", "河长编号"),
    "coord_system": ("coord_system", "coordinate_system", "crs", "坐标系"),
    "mode": ("mode", "方式"),
}


@dataclass(frozen=True)
class ManifestRow:
    file: str
    chief: str | None
    coord_system: str | None
    mode: str | None
    line: int  # line of the CSV, for messages


@dataclass(frozen=True)
class Manifest:
    rows: list[ManifestRow]
    ignored_columns: list[str]
    path: Path | None = None


def read_manifest(path: Path) -> Manifest:
    """Rows of a manifest file; a missing ``file`` column, an empty file name or a file
    listed twice is an error naming the line."""
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=source) from None
    except UnicodeDecodeError:
        raise InputError("the manifest is not UTF-8 text", source=source) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    where: dict[str, int] = {}
    for field, names in _COLUMNS.items():
        for k, h in enumerate(header):
            if h in names and field not in where:
                where[field] = k
    if "file" not in where:
        raise InputError("the manifest has no 'file' column", source=source, location="line 1")
    used = set(where.values())
    ignored = [h for k, h in enumerate(header) if k not in used]
    rows: list[ManifestRow] = []
    seen: dict[str, int] = {}
    for line, values in enumerate(reader, 2):
        if not any(v.strip() for v in values):
            continue

        def get(field: str, values=values) -> str | None:
            k = where.get(field)
            value = values[k].strip() if k is not None and k < len(values) else ""
            return value or None

        name = get("file")
        if name is None:
            raise InputError("no file name", source=source, location=f"line {line}")
        if name in seen:
            raise InputError(
                f"{name} is listed twice (lines {seen[name]} and {line})",
                source=source,
                location=f"line {line}",
            )
        seen[name] = line
        rows.append(ManifestRow(name, get("chief"), get("coord_system"), get("mode"), line))
    return Manifest(rows, ignored, path)
