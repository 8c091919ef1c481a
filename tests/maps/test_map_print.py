"""The coverage map on paper: PDF/PNG through Chromium, and a clear 503 without it."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from gis_service.maps import chromium
from tests.maps.test_browser import OUTPUT
from tests.maps.test_maps_api import REGION, served  # noqa: F401  (the module's fixture)

pytestmark = pytest.mark.skipif(
    chromium.find_chromium() is None, reason="chromium is not installed (apt-get install chromium)"
)
URL = f"/maps/coverage.pdf?region={REGION}&period=2026-Q3&as_of=2026-10-15&basemap=none"


def _pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next(x for x in info.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def test_coverage_pdf_is_one_page_with_title_period_and_legend(served):  # noqa: F811
    _, client = served
    response = client.get(URL)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / "coverage_a4.pdf"
    path.write_bytes(response.content)
    assert _pages(path) == 1
    text = _pdf_text(path)
    for expected in ("合浦县 巡河覆盖图", "2026-Q3", "河段覆盖率", "未巡河段", "数据来源"):
        assert expected in text, (expected, text[:500])
    # landscape A4: 842 x 595 points
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    size = next(x for x in info.splitlines() if x.startswith("Page size:")).split()
    assert round(float(size[2])) == 842 and round(float(size[4])) == 595


def test_coverage_png_at_a3(served):  # noqa: F811
    _, client = served
    response = client.get(URL.replace(".pdf", ".png") + "&paper=a3")
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    # A3 landscape at 96 dpi: 1587 x 1123 pixels
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "coverage_a3.png").write_bytes(response.content)
    width = int.from_bytes(response.content[16:20], "big")
    height = int.from_bytes(response.content[20:24], "big")
    assert (width, height) == (1587, 1123)


def test_without_chromium_a_503_names_the_package(served, monkeypatch):  # noqa: F811
    _, client = served
    monkeypatch.setenv("GIS_CHROMIUM", "no-such-chromium-here")
    response = client.get(URL)
    assert response.status_code == 503
    assert "apt-get install chromium" in response.json()["detail"]


def test_cli_writes_the_pdf(sample_loaded, tmp_path, db_url, monkeypatch):
    from gis_service.cli import app

    monkeypatch.setenv("DATABASE_URL", db_url)
    from gis_service.config import get_settings
    from gis_service.db.engine import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        out = tmp_path / "hepu.pdf"
        result = CliRunner().invoke(
            app,
            [
                "map", "coverage", "--region", REGION, "--period", "2026-Q3",
                "--as-of", "2026-10-15", "--basemap", "none", "--pdf", "-o", str(out),
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert _pages(out) == 1 and "2026-Q3" in _pdf_text(out)
        both = CliRunner().invoke(
            app, ["map", "coverage", "--region", REGION, "--period", "2026-Q3", "--pdf",
                  "--png", "-o", str(out)],
        )  # fmt: skip
        assert both.exit_code != 0 and "choose one" in both.output
    finally:
        get_settings.cache_clear()
        get_engine.cache_clear()
