"""Small folium elements folium lacks: a legend, a title, a vector-tile layer.

Folium has no categorical legend (branca's colormap legend needs d3 from a CDN), so the
legend is a plain Leaflet control with HTML. The vector-tile layer wraps Leaflet.VectorGrid
for maps too large to embed as GeoJSON.
"""

from __future__ import annotations

import html
import json

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

VECTORGRID_JS = (
    "https://cdn.jsdelivr.net/npm/leaflet.vectorgrid@1.3.0/dist/Leaflet.VectorGrid.bundled.min.js"
)


def js_string(text: object) -> str:
    """A JavaScript literal (a string, or any JSON value) keeping Chinese readable in the
    page (``</`` escaped)."""
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


class Legend(MacroElement):
    """A legend control: rows of (kind, colour, text), kind in line/dash/dot/fill."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; font-size: 13px;
            line-height: 20px; border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4);
            max-height: 60vh; overflow-y: auto; }
          .gis-legend h4 { margin: 0 0 4px; font-size: 14px; }
          .gis-legend i { display: inline-block; width: 26px; margin-right: 6px;
            vertical-align: middle; }
          .gis-legend i.line { height: 5px; }
          .gis-legend i.dash { height: 0; border-top: 5px dashed; }
          .gis-legend i.dot { width: 10px; height: 10px; border-radius: 50%;
            margin: 0 14px 0 8px; }
          .gis-legend i.fill { height: 12px; opacity: 0.6; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'gis-legend');
            div.innerHTML = {{ this.body_js }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, title: str, rows: list[tuple[str, str, str]], position: str = "bottomright"
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        items = []
        for kind, colour, text in rows:
            style = f"border-color:{colour}" if kind == "dash" else f"background:{colour}"
            items.append(f'<div><i class="{kind}" style="{style}"></i>{html.escape(text)}</div>')
        self.body = f"<h4>{html.escape(title)}</h4>" + "".join(items)
        self.body_js = js_string(self.body)


class Title(MacroElement):
    """A title box centred at the top of the map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
            z-index: 1000; background: rgba(255,255,255,0.92); padding: 4px 14px;
            border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4); font-size: 16px;
            font-weight: bold; pointer-events: none; white-space: nowrap; }
          .gis-title small { font-weight: normal; font-size: 12px; margin-left: 8px; }
          .gis-title .gis-title-note { font-weight: normal; font-size: 12px; color: #8c2d04;
            white-space: normal; max-width: 60vw; text-align: center; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var div = L.DomUtil.create('div', 'gis-title');
            div.innerHTML = {{ this.body_js }};
            {{ this._parent.get_name() }}.getContainer().appendChild(div);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, subtitle: str = "", note: str = "") -> None:
        super().__init__()
        self._name = "Title"
        small = f"<small>{html.escape(subtitle)}</small>" if subtitle else ""
        below = f'<div class="gis-title-note">{html.escape(note)}</div>' if note else ""
        self.body = html.escape(title) + small + below
        self.body_js = js_string(self.body)


class VectorGridLayer(JSCSSMixin, Layer):
    """One layer of Mapbox vector tiles (``/tiles/{layer}/{z}/{x}/{y}.pbf``) via VectorGrid.

    ``style_js`` is a JavaScript function ``(properties, zoom, data) -> Leaflet path style``
    (an empty list hides the feature); ``popup_js`` ``(properties, data) -> HTML or null``.
    ``data`` is embedded once and handed to both, e.g. coverage per segment id.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (!L.DomEvent.fakeStop) {  // removed in Leaflet 1.8, still called by VectorGrid
            L.DomEvent.fakeStop = function () { return true; };
        }
        var {{ this.get_name() }}_data = {{ this.data|tojson }};
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url|tojson }}, {
            rendererFactory: L.svg.tile,
            interactive: {{ this.interactive|tojson }},
            maxNativeZoom: 18,
            getFeatureId: function (f) { return f.properties.{{ this.id_property }}; },
            vectorTileLayerStyles: {
                {{ this.layer|tojson }}: function (p, z) {
                    return ({{ this.style_js }})(p, z, {{ this.get_name() }}_data);
                }
            }
        });
        {%- if this.popup_js %}
        {{ this.get_name() }}.on('click', function (e) {
            var content = ({{ this.popup_js }})(e.layer.properties, {{ this.get_name() }}_data);
            if (content) {
                L.popup().setLatLng(e.latlng).setContent(content)
                    .openOn({{ this._parent.get_name() }});
            }
        });
        {%- endif %}
        {% endmacro %}
        """
    )
    default_js = [("leaflet.vectorgrid", VECTORGRID_JS)]  # noqa: RUF012 (folium's attribute)

    def __init__(
        self,
        url: str,
        layer: str,
        *,
        name: str,
        style_js: str,
        popup_js: str | None = None,
        data: dict | None = None,
        id_property: str = "id",
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "VectorGridLayer"
        self.url = url
        self.layer = layer
        self.style_js = style_js
        self.popup_js = popup_js
        self.data = data or {}
        self.id_property = id_property
        self.interactive = popup_js is not None


class MapChrome(MacroElement):
    """A metric-only scale bar (Chinese offices work in metres) and a wider search box."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-control-search .search-input { width: 150px; }
          .leaflet-popup-content table th { text-align: left; padding-right: 8px;
            white-space: nowrap; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: 'bottomleft'})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapChrome"
