"""Open an uploaded archive member by member, with an allow-list, before GDAL sees anything.

GDAL opens whatever a file says it is: a zipped ``.vrt`` reads ``CSV:/etc/passwd`` or a
``/vsicurl/`` URL (the service then echoed the server's files in its errors, or froze on a
request to itself). So GDAL never opens an archive here: the members are checked (names,
kinds, links, sizes) and copied out by us, with the unpacked size counted while copying
(a zip bomb stops at the limit whatever its headers claim); then one dataset of an allowed
format is opened from the copy.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gis_service.errors import InputError

# the datasets we open, and the files that may travel with them
DATASET_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
}
SIDECAR_SUFFIXES = {".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".xml", ".qmd"}
_COPY_BLOCK = 1 << 20


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold; each is checked before the data is loaded and named in
    the error. Defaults fit a province of villages with detailed boundaries."""

    max_unpacked_bytes: int = 300_000_000
    max_features: int = 100_000
    max_vertices: int = 5_000_000
    max_feature_vertices: int = 250_000
    max_geojson_feature_mb: int = 12  # a GeoJSON feature of 250,000 vertices is ~10 MB


def refuse_gdal_paths(text: str, *, source: str) -> None:
    """GDAL virtual file systems (/vsicurl/, /vsizip/, ...) and connection strings (CSV:,
    PG:, ...) are never accepted as a path."""
    lowered = text.lower()
    if "/vsi" in lowered or "\\vsi" in lowered:
        raise InputError("GDAL virtual file system paths (/vsi...) are not accepted", source=source)


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode) if mode else False


def extract_dataset(archive: Path, folder: Path, limits: ImportLimits) -> Path:
    """Check every member of a zip archive and copy the allowed ones to ``folder``; return
    the one dataset (a Shapefile with its sidecars, a GeoPackage or a GeoJSON file)."""
    source = archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable zip archive ({exc})", source=source) from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        declared = sum(m.file_size for m in members)
        if declared > limits.max_unpacked_bytes:
            raise InputError(
                f"unpacks to {declared:,} bytes, over the limit of {limits.max_unpacked_bytes:,} "
                "bytes (max_unpacked_bytes)",
                source=source,
            )
        datasets: list[PurePosixPath] = []
        for member in members:
            name = PurePosixPath(member.filename)
            where = f"member {member.filename!r}"
            refuse_gdal_paths(member.filename, source=f"{source}: {where}")
            if name.is_absolute() or ".." in name.parts or "\\" in member.filename:
                raise InputError(
                    f"{where}: paths outside the archive are not accepted", source=source
                )
            if _is_link(member):
                raise InputError(f"{where}: links inside archives are not accepted", source=source)
            if name.name.startswith("._") or "__MACOSX" in name.parts:
                continue  # macOS resource forks: metadata, never data
            suffix = name.suffix.lower()
            if suffix in DATASET_SUFFIXES:
                datasets.append(name)
            elif suffix not in SIDECAR_SUFFIXES:
                raise InputError(
                    f"{where}: {suffix or 'no extension'} files are not accepted in an archive; "
                    "expected a Shapefile (.shp .shx .dbf .prj .cpg), a GeoPackage or GeoJSON",
                    source=source,
                )
        if len(datasets) != 1:
            found = ", ".join(map(str, datasets)) or "none"
            raise InputError(
                f"an archive must hold exactly one dataset (.shp, .gpkg, .geojson); found {found}",
                source=source,
            )
        dataset = datasets[0]
        budget = limits.max_unpacked_bytes
        for member in members:
            name = PurePosixPath(member.filename)
            if name.name.startswith("._") or "__MACOSX" in name.parts:
                continue
            stem = name.name.split(".", 1)[0].lower()  # x.shp.xml belongs to x.shp
            if name.parent != dataset.parent or stem != dataset.stem.lower():
                raise InputError(
                    f"member {member.filename!r} does not belong to the dataset {str(dataset)!r}; "
                    "an archive holds one dataset and its sidecar files only",
                    source=source,
                )
            budget = _copy(zf, member, folder / name.name, budget, limits, source=source)
    path = folder / dataset.name
    if DATASET_SUFFIXES[dataset.suffix.lower()] == "ESRI Shapefile":
        # sidecars may differ in case (X.SHP, x.dbf): GDAL looks for the dataset's own case
        for part in folder.iterdir():
            head, _, tail = part.name.partition(".")
            if head.lower() == path.stem.lower() and head != path.stem:
                shutil.move(part, part.with_name(f"{path.stem}.{tail}"))
    return path


def _copy(
    zf: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    target: Path,
    budget: int,
    limits: ImportLimits,
    *,
    source: str,
) -> int:
    """Copy one member, counting the bytes really unpacked (headers may lie)."""
    try:
        with zf.open(member) as src, target.open("wb") as dst:
            while block := src.read(_COPY_BLOCK):
                budget -= len(block)
                if budget < 0:
                    raise InputError(
                        f"unpacks to more than {limits.max_unpacked_bytes:,} bytes "
                        "(max_unpacked_bytes)",
                        source=source,
                    )
                dst.write(block)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise InputError(
            f"member {member.filename!r}: damaged or unsupported zip data ({exc})", source=source
        ) from None
    return budget
