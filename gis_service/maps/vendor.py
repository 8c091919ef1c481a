"""The JavaScript and CSS of the maps and API docs, vendored from the npm registry for offline use.

Folium writes CDN URLs into ``default_js``/``default_css`` of the map and of each plugin. An
intranet without internet cannot load them, so every URL the maps use is mapped here to a
file committed under ``gis_service/maps/static/vendor/`` (``CDN``); the folium defaults the
maps do not use are listed with the reason (``DROPPED``). Any other URL is refused by
:mod:`gis_service.maps.assets`, so a folium upgrade that adds one fails loudly in the tests
instead of silently reaching out to a CDN.

Re-fetch (needs ``npm``, reaches only the npm registry) and rewrite ``SOURCES.md``::

    .venv/bin/python -m gis_service.maps.vendor fetch
    .venv/bin/python -m gis_service.maps.vendor check     # every mapped file is present
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

VENDOR_DIR = Path(__file__).parent / "static" / "vendor"
# Swagger UI and ReDoc (3 MB) apart from the maps' files, which exports inline and keep small
DOCS_VENDOR_DIR = Path(__file__).parents[1] / "api" / "static" / "docs"

# timedimension's control CSS loads Bootstrap 3's glyph font from a CDN: point it at ours
_GLYPH_FONT_FACE = (
    "@font-face {\n    font-family: 'Glyphicons Halflings';\n"
    "    src: url('../../bootstrap-3.4.1/fonts/glyphicons-halflings-regular.woff2') "
    "format('woff2'),\n"
    "         url('../../bootstrap-3.4.1/fonts/glyphicons-halflings-regular.woff') "
    "format('woff');\n}"
)


# ReDoc's side menu shows Redocly's logo from their CDN: an empty image instead
_EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E"


@dataclass(frozen=True)
class Package:
    """One npm package and the files of it the maps use (paths inside the tarball)."""

    name: str
    version: str
    licence: str
    files: tuple[str, ...]
    used_for: str
    # file -> [(regex, replacement)] applied after extraction, and why (in SOURCES.md)
    rewrites: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rewrite_note: str = ""
    for_docs: bool = False  # the API docs pages' files go to DOCS_VENDOR_DIR

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}"


PACKAGES: tuple[Package, ...] = (
    Package(
        "leaflet",
        "1.9.3",
        "BSD-2-Clause",
        (
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
            "LICENSE",
        ),
        "the map itself (the version folium 0.20 uses)",
    ),
    Package(
        "leaflet.fullscreen",
        "3.0.0",
        "MIT",
        ("Control.FullScreen.js", "Control.FullScreen.css", "icon-fullscreen.svg", "LICENSE"),
        "fullscreen button (folium.plugins.Fullscreen; the CDN serves a minified copy)",
    ),
    Package(
        "leaflet-measure",
        "2.1.7",
        "MIT",
        (
            "dist/leaflet-measure.min.js",
            "dist/leaflet-measure.css",
            *(
                f"dist/images/{n}{s}.png"
                for n in ("cancel", "check", "focus", "rulers", "start", "trash")
                for s in ("", "_@2X")
            ),
            "LICENSE",
        ),
        "measure tool (folium.plugins.MeasureControl), Chinese labels built in",
    ),
    Package(
        "leaflet-search",
        "2.9.7",
        "MIT",
        (
            "dist/leaflet-search.min.js",
            "dist/leaflet-search.min.css",
            "images/search-icon.png",
            "images/loader.gif",
            "license.txt",
        ),
        "search by river or chief name (folium.plugins.Search)",
    ),
    Package(
        "leaflet.markercluster",
        "1.1.0",
        "MIT",
        (
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
            "MIT-LICENCE.txt",
        ),
        "clustered problem markers (folium.plugins.MarkerCluster)",
    ),
    Package(
        "leaflet.vectorgrid",
        "1.3.0",
        "Beerware",
        ("dist/Leaflet.VectorGrid.bundled.min.js",),
        "vector tiles from /tiles/... for large coverage maps",
    ),
    Package(
        "leaflet-timedimension",
        "1.1.1",
        "MIT",
        (
            "dist/leaflet.timedimension.min.js",
            "dist/leaflet.timedimension.control.css",
            "LICENSE",
        ),
        "patrol playback (folium.plugins.TimestampedGeoJson)",
        rewrites={
            "dist/leaflet.timedimension.control.css": (
                (r"@font-face\s*\{[^}]*\}", _GLYPH_FONT_FACE),
            )
        },
        rewrite_note="the `@font-face` loading Bootstrap 3's glyph font from "
        "netdna.bootstrapcdn.com now points at the vendored `bootstrap-3.4.1/fonts/` "
        "(woff2, woff).",
    ),
    Package(
        "iso8601-js-period",
        "0.2.1",
        "Apache-2.0",
        ("iso8601.js",),
        "ISO 8601 periods for leaflet-timedimension (the CDN serves a minified copy)",
    ),
    Package(
        "moment",
        "2.18.1",
        "MIT",
        ("min/moment.min.js", "LICENSE"),
        "date format of the playback control (folium's TimestampedGeoJson template)",
    ),
    Package(
        "bootstrap",
        "3.4.1",
        "MIT",
        (
            "fonts/glyphicons-halflings-regular.woff2",
            "fonts/glyphicons-halflings-regular.woff",
            "LICENSE",
        ),
        "only the glyph font of the playback buttons (no Bootstrap CSS or JS)",
    ),
    Package(
        "swagger-ui-dist",
        "5.35.0",
        "Apache-2.0",
        ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"),
        "the interactive API docs at /docs (FastAPI's Swagger UI, served by the app)",
        for_docs=True,
    ),
    Package(
        "redoc",
        "2.5.4",
        "MIT",
        ("bundles/redoc.standalone.js", "LICENSE"),
        "the API reference at /redoc (served by the app, without Google Fonts)",
        rewrites={
            "bundles/redoc.standalone.js": (
                (re.escape("https://cdn.redoc.ly/redoc/logo-mini.svg"), _EMPTY_SVG),
            )
        },
        rewrite_note="the Redocly logo of the side menu, loaded from cdn.redoc.ly, is an "
        "empty inline SVG (a page served by the app requests nothing from elsewhere).",
        for_docs=True,
    ),
)

_BY_NAME = {p.name: p for p in PACKAGES}


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken literally (a plain string would have its backslashes read as
    escapes by ``re.sub``)."""
    return lambda _match: text


def _local(name: str, path: str) -> str:
    return f"{_BY_NAME[name].folder}/{path}"


# the API docs pages (/docs, /redoc): vendored files, relative to DOCS_VENDOR_DIR
SWAGGER_JS = _local("swagger-ui-dist", "swagger-ui-bundle.js")
SWAGGER_CSS = _local("swagger-ui-dist", "swagger-ui.css")
SWAGGER_FAVICON = _local("swagger-ui-dist", "favicon-32x32.png")
REDOC_JS = _local("redoc", "bundles/redoc.standalone.js")


# folium's CDN URL -> vendored file (relative to VENDOR_DIR)
CDN: dict[str, str] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": _local(
        "leaflet", "dist/leaflet.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": _local(
        "leaflet", "dist/leaflet.css"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": _local(
        "leaflet.fullscreen", "Control.FullScreen.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": _local(
        "leaflet.fullscreen", "Control.FullScreen.css"
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": (
        _local("leaflet-measure", "dist/leaflet-measure.min.js")
    ),
    "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": (
        _local("leaflet-measure", "dist/leaflet-measure.css")
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": _local(
        "leaflet-search", "dist/leaflet-search.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": _local(
        "leaflet-search", "dist/leaflet-search.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js": (
        _local("leaflet.markercluster", "dist/leaflet.markercluster.js")
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css": (
        _local("leaflet.markercluster", "dist/MarkerCluster.css")
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css": (  # noqa: E501
        _local("leaflet.markercluster", "dist/MarkerCluster.Default.css")
    ),
    "https://cdn.jsdelivr.net/npm/iso8601-js-period@0.2.1/iso8601.min.js": _local(
        "iso8601-js-period", "iso8601.js"
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.min.js": (
        _local("leaflet-timedimension", "dist/leaflet.timedimension.min.js")
    ),
    "https://cdn.jsdelivr.net/npm/leaflet-timedimension@1.1.1/dist/leaflet.timedimension.control.css": (  # noqa: E501
        _local("leaflet-timedimension", "dist/leaflet.timedimension.control.css")
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/moment.js/2.18.1/moment.min.js": _local(
        "moment", "min/moment.min.js"
    ),
    # our own element (gis_service.maps.elements.VectorGridLayer), same scheme as folium's
    "https://cdn.jsdelivr.net/npm/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js": (  # noqa: E501
        _local("leaflet.vectorgrid", "dist/Leaflet.VectorGrid.bundled.min.js")
    ),
}

# folium defaults the maps never use: removed from the page, online or offline
DROPPED: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "no folium element of ours needs jQuery",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js": (
        "leaflet-timedimension 1.1.1 does not use jQuery"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/jqueryui/1.10.2/jquery-ui.min.js": (
        "leaflet-timedimension 1.1.1 does not use jQuery UI"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js": (
        "no Bootstrap component is used"
    ),
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css": (
        "no Bootstrap component is used"
    ),
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": (
        "only for folium.Icon (awesome markers), not used"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js": (  # noqa: E501
        "folium.Icon is not used: markers are L.divIcon / circle markers"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css": (  # noqa: E501
        "folium.Icon is not used"
    ),
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css": (
        "no Font Awesome icon is used"
    ),
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css": (  # noqa: E501
        "folium.Icon is not used"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/highlight.js/8.4/styles/default.min.css": (
        "a code highlighter's style, nothing on a map uses it"
    ),
}


def missing_files() -> list[str]:
    """Vendored files that the mapping names but that are not on disk."""
    maps = {f"{p.folder}/{f}" for p in PACKAGES if not p.for_docs for f in p.files}
    docs = {f"{p.folder}/{f}" for p in PACKAGES if p.for_docs for f in p.files}
    missing = [f for f in maps | set(CDN.values()) if not (VENDOR_DIR / f).is_file()]
    missing += [f"docs:{f}" for f in docs if not (DOCS_VENDOR_DIR / f).is_file()]
    return sorted(missing)


def _npm_pack(spec: str, dest: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(dest)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dest / json.loads(out)[0]["filename"]


def fetch(target: Path = VENDOR_DIR, docs_target: Path = DOCS_VENDOR_DIR) -> None:
    """Download each package with ``npm pack`` and extract the files the maps use."""
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            tarball = _npm_pack(f"{package.name}@{package.version}", Path(tmp))
            with tarfile.open(tarball) as archive:
                for path in package.files:
                    member = archive.extractfile(f"package/{path}")
                    if member is None:
                        raise FileNotFoundError(f"{package.name}: {path}")
                    data = member.read()
                    for pattern, repl in package.rewrites.get(path, ()):
                        data = re.sub(pattern, _literal(repl), data.decode()).encode()
                    root = docs_target if package.for_docs else target
                    out = root / package.folder / path
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(data)
            print(f"{package.name}@{package.version}: {len(package.files)} files")
    (target / "SOURCES.md").write_text(sources_markdown(), encoding="utf-8")


def sources_markdown() -> str:
    lines = [
        "# Vendored map assets",
        "",
        "Fetched from the npm registry with `npm pack` by "
        "`python -m gis_service.maps.vendor fetch` (see `gis_service/maps/vendor.py`, which "
        "also maps each folium CDN URL to these files). Only the files the maps use. "
        "Swagger UI and ReDoc (the API docs pages /docs and /redoc) are kept apart in "
        "`gis_service/api/static/docs/`, served at `/static/docs`.",
        "",
        "| package | version | licence | files | used for |",
        "|---|---|---|---|---|",
    ]
    for p in PACKAGES:
        files = ", ".join(f"`{f}`" for f in p.files)
        lines.append(f"| {p.name} | {p.version} | {p.licence} | {files} | {p.used_for} |")
    lines += ["", "## Changes to the upstream files", ""]
    for p in PACKAGES:
        for path in p.rewrites:
            lines.append(f"- `{p.folder}/{path}`: {p.rewrite_note}")
    lines += [
        "",
        "## folium defaults not vendored",
        "",
        *(f"- {url}: {why}" for url, why in DROPPED.items()),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "fetch":
        fetch()
        return 0
    missing = missing_files()
    for f in missing:
        print(f"missing: {f}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
