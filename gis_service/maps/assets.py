"""Where a map's JavaScript and CSS come from: a CDN, the app's ``/static/vendor``, or inlined.

Folium keeps CDN URLs in ``default_js``/``default_css`` of the map and of every plugin; this
module rewrites them on the instances (never on the classes, so other maps are unaffected)
using the table in :mod:`gis_service.maps.vendor`, then renders the page. ``inline`` puts
every script and stylesheet into the HTML, with the images and fonts the stylesheets refer
to as data URIs: one file that opens from a USB stick on a machine without network.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from branca.element import Element

from gis_service.maps.vendor import CDN, DROPPED, VENDOR_DIR

AssetMode = Literal["cdn", "served", "inline"]
STATIC_PREFIX = "/static/vendor"
_INLINE = "vendor:"
_MIME = {".woff2": "font/woff2", ".woff": "font/woff", ".svg": "image/svg+xml"}


class UnknownAssetError(RuntimeError):
    """A folium element asks for a CDN file that is not vendored (update maps/vendor.py)."""


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def localize(root: Element, mode: AssetMode, *, prefix: str = STATIC_PREFIX) -> None:
    """Rewrite the asset URLs of ``root`` and everything below it, in place.

    Unused folium defaults (jQuery, Bootstrap, Font Awesome, ...) are dropped in every mode;
    in ``served`` and ``inline`` mode an unknown CDN URL raises :class:`UnknownAssetError`.
    """
    for element in _walk(root):
        for attr in ("default_js", "default_css"):
            items = getattr(element, attr, None)
            if not items:
                continue
            kept = []
            for name, url in items:
                if url in DROPPED:
                    continue
                if mode != "cdn" and not url.startswith((prefix, _INLINE)):
                    if url not in CDN:
                        raise UnknownAssetError(f"{url} is not vendored (see maps/vendor.py)")
                    local = CDN[url]
                    url = f"{prefix}/{local}" if mode == "served" else f"{_INLINE}{local}"
                kept.append((name, url))
            setattr(element, attr, kept)


def render(root: Element, mode: AssetMode, *, prefix: str = STATIC_PREFIX) -> str:
    """The page as HTML, its assets localised for ``mode``."""
    figure = root.get_root()
    localize(figure, mode, prefix=prefix)
    html = figure.render()
    if mode == "inline":
        html = _inline(html)
    return html


def _inline(html: str) -> str:
    def script(match: re.Match) -> str:
        code = (VENDOR_DIR / match.group(1)).read_text(encoding="utf-8")
        code = code.replace("</script", "<\\/script")
        return f'<script data-vendor="{match.group(1)}">{code}</script>'

    def style(match: re.Match) -> str:
        css = _css_with_data_uris(match.group(1))
        return f'<style data-vendor="{match.group(1)}">{css}</style>'

    html = re.sub(r'<script src="vendor:([^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="vendor:([^"]+)"\s*/?>', style, html)
    if _INLINE in _VENDORED.sub("", html):
        raise UnknownAssetError("an asset reference was left un-inlined")
    return html


def _css_with_data_uris(path: str) -> str:
    folder = PurePosixPath(path).parent
    css = (VENDOR_DIR / path).read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        ref = match.group(2)
        if ref.startswith(("#", "data:")):
            return match.group(0)
        target = PurePosixPath(*_normalise(folder / ref.split("#")[0].split("?")[0]))
        suffix = target.suffix.lower()
        mime = _MIME.get(suffix) or mimetypes.guess_type(target.name)[0] or "application/octet"
        data = base64.b64encode((VENDOR_DIR / target).read_bytes()).decode()
        return f"url(data:{mime};base64,{data})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", data_uri, css)


def _normalise(path: PurePosixPath) -> list[str]:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return parts


_VENDORED = re.compile(r"<(script|style) data-vendor=[^>]*>.*?</\1>", re.S)
_ABSOLUTE = re.compile(r"""https?://[^/\s"'`)<>\\]+""")
_RELATIVE = re.compile(r"""(?:src|href)\s*=\s*["']//([^/"']+)|url\(\s*['"]?//([^/'")]+)""")
_COMMENT_LINE = re.compile(r"^\s*//.*$", re.M)  # a JS line comment citing an issue
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def remote_references(html: str) -> list[str]:
    """Every absolute URL of the page that names another host (CDN, tile server, ...).

    The bodies of inlined vendored files are skipped (their licence headers and Leaflet's
    attribution link name web sites; the files themselves are checked when vendored), and so
    are whole-line ``//`` comments (folium's templates cite GitHub issues).
    Scheme-relative ``//host`` counts only in ``src``/``href``/``url()``.
    """
    page = _COMMENT_LINE.sub("", _VENDORED.sub("", html))
    out = []
    for match in _ABSOLUTE.finditer(page):
        if urlsplit(match.group(0)).hostname not in _LOCAL_HOSTS:
            out.append(match.group(0))
    out += ["//" + (m.group(1) or m.group(2)) for m in _RELATIVE.finditer(page)]
    return out
