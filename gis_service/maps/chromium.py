"""Maps as PDF or PNG for a meeting, drawn by Debian's headless Chromium.

The page is the standalone map (every script and style inlined, so Chromium requests
nothing over the network) in its print layout (title, legend, scale, north arrow, source
line; controls hidden), printed on one landscape A4/A3 page or captured as a PNG at the
page's size. Without Chromium the caller gets :class:`ToolUnavailableError` naming the
Debian package, never a crash.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from gis_service.errors import ToolUnavailableError
from gis_service.maps.print_layout import PAPER_MM

PACKAGE = "chromium"
Format = Literal["pdf", "png"]
# CSS pixels per millimetre (96 dpi), for the PNG's window at the paper's size
_PX_PER_MM = 96 / 25.4
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=8000",
)


def find_chromium() -> str | None:
    """The Chromium executable (``GIS_CHROMIUM`` overrides), or None."""
    override = os.environ.get("GIS_CHROMIUM")
    if override is not None:
        return shutil.which(override)
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(html: str, fmt: Format, *, paper: str = "a4", timeout: float = 90.0) -> bytes:
    """``html`` (a standalone page) as a one-page PDF or a PNG of the paper's size."""
    if fmt not in ("pdf", "png"):
        raise ValueError(f"format {fmt!r}: use pdf or png")
    width_mm, height_mm = PAPER_MM[paper]
    exe = find_chromium()
    if exe is None:
        raise ToolUnavailableError(
            f"PDF and PNG maps need Chromium, which is not installed here: "
            f"apt-get install {PACKAGE} fonts-noto-cjk (Debian package {PACKAGE!r})"
        )
    with tempfile.TemporaryDirectory(prefix="gis-map-") as tmp:
        page = Path(tmp) / "map.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / f"map.{fmt}"
        width = round(width_mm * _PX_PER_MM)
        height = round(height_mm * _PX_PER_MM)
        if fmt == "pdf":
            target = [f"--print-to-pdf={out}", "--no-pdf-header-footer"]
        else:
            target = [f"--screenshot={out}"]
        command = [
            exe,
            *_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--window-size={width},{height}",
            *target,
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ToolUnavailableError(f"Chromium took longer than {timeout:.0f} s") from None
        if done.returncode != 0 or not out.is_file():
            tail = (done.stderr or "").strip().splitlines()[-3:]
            raise ToolUnavailableError(f"Chromium failed ({done.returncode}): {' | '.join(tail)}")
        return out.read_bytes()
