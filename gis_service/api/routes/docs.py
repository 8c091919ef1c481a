"""The API docs pages (/docs, /redoc), their scripts and styles served by the app itself.

FastAPI's defaults load Swagger UI and ReDoc from jsDelivr (and ReDoc's fonts from Google):
on an intranet without internet both pages stay blank. The same pages are built here with
the files vendored under ``/static/docs`` (see :mod:`gis_service.maps.vendor`), so they
render with no request leaving the app; Swagger UI's online validator is switched off too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gis_service.maps.vendor import REDOC_JS, SWAGGER_CSS, SWAGGER_FAVICON, SWAGGER_JS

router = APIRouter(include_in_schema=False)
DOCS_PREFIX = "/static/docs"  # DOCS_VENDOR_DIR, mounted by the app


def _asset(request: Request, path: str) -> str:
    return f"{request.scope.get('root_path', '')}{DOCS_PREFIX}/{path}"


def _openapi_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=_asset(request, SWAGGER_JS),
        swagger_css_url=_asset(request, SWAGGER_CSS),
        swagger_favicon_url=_asset(request, SWAGGER_FAVICON),
        # the online validator badge would call validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=_asset(request, REDOC_JS),
        redoc_favicon_url=_asset(request, SWAGGER_FAVICON),
        with_google_fonts=False,
    )
