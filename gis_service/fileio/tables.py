"""Read a plain table (CSV or XLSX) as text cells: the importers convert and check each cell
themselves, so nothing is guessed by a reader (no dates or numbers parsed behind our back)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from gis_service.errors import InputError

TABLE_SUFFIXES = (".csv", ".xlsx")


def read_table(path: Path) -> pd.DataFrame:
    """The first sheet of an XLSX, or a UTF-8 CSV (with or without BOM), all cells as text
    ('' for empty); refuses other formats and unreadable files, naming the file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame = pd.read_excel(path, dtype=str, engine="openpyxl", keep_default_na=False)
        else:
            raise InputError(
                f"unsupported table format {suffix or '(none)'}; use {' or '.join(TABLE_SUFFIXES)}",
                source=path.name,
            )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read CSV: {exc}", source=path.name) from None
    except (zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise InputError(f"cannot read XLSX: {exc}", source=path.name) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")
