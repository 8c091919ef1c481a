"""Response classes."""

from __future__ import annotations

from fastapi.responses import JSONResponse


class GeoJSONResponse(JSONResponse):
    """RFC 7946 media type, UTF-8 JSON with Chinese kept readable."""

    media_type = "application/geo+json"
