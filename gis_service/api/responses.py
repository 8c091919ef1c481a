"""Response classes."""

from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from gis_service.fileio.downloads import Download


class GeoJSONResponse(JSONResponse):
    """RFC 7946 media type, UTF-8 JSON with Chinese kept readable."""

    media_type = "application/geo+json"


def download_response(download: Download, headers: dict[str, str] | None = None) -> Response:
    """A file for ArcGIS/QGIS (GeoPackage, zipped Shapefile, KML) as an attachment."""
    return Response(
        download.body,
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            **(headers or {}),
        },
    )
