"""Printable QR codes of the signboards (公示牌): each opens the board's public page.

Drawn by ``segno`` (pure Python, PNG and SVG, no other dependency). Error correction level Q
(25 % of the code may be dirty or damaged: a board stands outdoors), a quiet zone of four
modules as ISO/IEC 18004 asks, and a PNG scale giving about 10 px per module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import segno

FORMATS = ("png", "svg")
ERROR_LEVEL = "q"
BORDER = 4
SCALE = 10


@dataclass(frozen=True)
class BoardLink:
    code: str
    name: str
    url: str


def board_url(base: str, code: str) -> str:
    """The page a board's QR code opens: ``{base}/boards/{code}`` (the code URL-quoted)."""
    return f"{base.rstrip('/')}/boards/{quote(code, safe='')}"


def qr_bytes(url: str, fmt: str, *, title: str | None = None) -> bytes:
    """One QR code as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    code = segno.make(url, error=ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=SCALE, border=BORDER, title=title, xmldecl=True)
    else:
        code.save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()


def safe_file_name(code: str) -> str:
    """A board code as a file name (letters, digits, - and _ kept; others as _)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code) or "_"


def write_qr_codes(links: Iterable[BoardLink], out: Path, fmt: str) -> list[Path]:
    """One file per board (``CODE.png``/``.svg``) and ``index.csv`` (code, name, url, file):
    the list a print shop works from."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    for link in links:
        path = out / f"{safe_file_name(link.code)}.{fmt}"
        path.write_bytes(qr_bytes(link.url, fmt, title=f"{link.code} {link.name}"))
        written.append(path)
        rows.append({"code": link.code, "name": link.name, "url": link.url, "file": path.name})
    with (out / "index.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=["code", "name", "url", "file"])
        writer.writeheader()
        writer.writerows(rows)
    return written
