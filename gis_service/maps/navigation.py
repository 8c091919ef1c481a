"""The bar a served map carries: back to the portal, and a period selector on the map itself.

Only pages served by the app get it (an exported file has no server to go back to). The
period selector keeps every other query parameter of the page's own URL and swaps the period.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from branca.element import MacroElement
from folium.template import Template

from gis_service.maps.elements import js_string


class PortalBar(MacroElement):
    """A Leaflet control: link to the portal (region and period kept) and a period <select>."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-nav { background: rgba(255,255,255,0.95); padding: 5px 8px; font-size: 13px;
            border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4); }
          .gis-nav a { margin-right: 8px; color: #08519c; }
          @media print { .gis-nav { display: none !important; } }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: 'topleft'});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'gis-nav leaflet-control');
            div.innerHTML = {{ this.body_js }};
            L.DomEvent.disableClickPropagation(div);
            div.querySelectorAll('a[data-paper]').forEach(function (a) {
                var url = new URL(window.location.href);
                url.searchParams.set('layout', 'print');
                url.searchParams.set('paper', a.getAttribute('data-paper'));
                a.href = url.toString();
            });
            var select = div.querySelector('select');
            if (select) {
                select.addEventListener('change', function () {
                    var url = new URL(window.location.href);
                    url.searchParams.set('period', select.value);
                    window.location.href = url.toString();
                });
            }
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        (function (div) {  // first in its corner: above zoom and search, not under a list
            div.parentNode.insertBefore(div, div.parentNode.firstChild);
        })({{ this.get_name() }}.getContainer());
        {% endmacro %}
        """
    )

    def __init__(self, *, region: str, period: str, periods: list[str]) -> None:
        super().__init__()
        self._name = "PortalBar"
        portal = escape("/?" + urlencode({"region": region, "period": period}))
        options = "".join(
            f'<option value="{escape(p)}"{" selected" if p == period else ""}>{escape(p)}</option>'
            for p in periods
        )
        self.body = (
            f'<a id="gis-portal-link" href="{portal}">« 门户</a>'
            f'<label>考核期 <select id="gis-period">{options}</select></label> '
            '<a class="gis-print-link" data-paper="a4" href="#">打印 A4</a>'
            '<a class="gis-print-link" data-paper="a3" href="#">A3</a>'
        )
        self.body_js = js_string(self.body)
