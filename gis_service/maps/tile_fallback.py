"""The basemap's fallback: a tile server that does not answer leaves the app's own base.

A configured tile URL (an intranet server, Tianditu, OpenStreetMap) may be down or out of
reach (an intranet without internet, a key refused). The page then watches its tile layers
in the browser: when they fail and none loads, it removes them, adds the base layers the map
drew from its own data (region boundaries and names, water polygons), and says so in a
visible notice, instead of showing lines on grey.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from gis_service.maps.elements import js_string

NOTICE = {
    "zh": "底图服务无法访问，已改用本系统底图（行政区界线与名称、水域）",
    "en": "The tile server cannot be reached: the map shows its own base "
    "(region boundaries and names, waters) instead",
}
FAILED_TILES = 4  # this many tile errors and no tile loaded: the server is unreachable


class TileFallback(MacroElement):
    """Add after the tile layers and the (hidden) ``fallback`` layers it may switch on."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-basemap-notice { position: absolute; bottom: 28px; left: 50%; z-index: 1000;
            transform: translateX(-50%); background: #fff3cd; border: 1px solid #b8860b;
            border-radius: 4px; padding: 4px 10px; font-size: 13px; color: #5c4400;
            box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var tiles = [{{ this.tiles|join(', ') }}];
            var fallback = [{{ this.fallback|join(', ') }}];
            var loaded = 0, failed = 0, done = false;
            function fallBack() {
                if (done || loaded > 0) { return; }
                done = true;
                tiles.forEach(function (t) { if (map.hasLayer(t)) { map.removeLayer(t); } });
                fallback.forEach(function (l) { if (!map.hasLayer(l)) { l.addTo(map); } });
                var div = L.DomUtil.create('div', 'gis-basemap-notice');
                div.setAttribute('role', 'status');
                div.textContent = {{ this.notice_js }};
                map.getContainer().appendChild(div);
                document.body.classList.add('gis-basemap-fallback');
            }
            tiles.forEach(function (t) {
                t.on('tileload', function () { loaded += 1; });
                t.on('tileerror', function () {
                    failed += 1;
                    if (failed >= {{ this.failed_tiles }}) { fallBack(); }
                });
                // every tile of the view answered, none loaded
                t.on('load', function () { if (failed > 0) { fallBack(); } });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, tiles: list, fallback: list, lang: str = "zh") -> None:
        super().__init__()
        self._name = "TileFallback"
        self.tiles = [t.get_name() for t in tiles]
        self.fallback = [layer.get_name() for layer in fallback]
        self.notice_js = js_string(NOTICE[lang])
        self.failed_tiles = FAILED_TILES
