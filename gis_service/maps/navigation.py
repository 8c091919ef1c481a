"""The bar a served map carries: back to the portal, a period selector on the map itself
(maps of a period), links to the other maps of what is shown, and the print layouts.

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
    """A Leaflet control: link to the portal (region and period kept), a period <select>
    (when ``periods`` are given), ``links`` (text, href) to other maps, print links."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-nav { background: rgba(255,255,255,0.95); padding: 5px 8px; font-size: 13px;
            border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4); }
          .gis-nav a { margin-right: 8px; color: #08519c; }
          .gis-nav .gis-map-links { display: block; margin-top: 3px; max-width: 50vw; }
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
                // switched in the page (print_layout.py), the address updated to match
                a.addEventListener('click', function (e) {
                    var paper = a.getAttribute('data-paper');
                    if (window.gisPrintLayout && window.gisPrintLayout(paper)) {
                        e.preventDefault();
                        window.history.replaceState(null, '', a.href);
                    }
                });
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

    def __init__(
        self,
        *,
        region: str | None = None,
        period: str | None = None,
        periods: list[str] | None = None,
        links: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self._name = "PortalBar"
        kept = {k: v for k, v in (("region", region), ("period", period)) if v}
        portal = escape("/?" + urlencode(kept)) if kept else "/"
        select = ""
        if periods:
            options = "".join(
                f'<option value="{escape(p)}"{" selected" if p == period else ""}>'
                f"{escape(p)}</option>"
                for p in periods
            )
            select = f'<label>考核期 <select id="gis-period">{options}</select></label> '
        others = "".join(
            f'<a class="gis-map-link" href="{escape(href)}">{escape(text)}</a>'
            for text, href in links or []
        )
        self.body = (
            f'<a id="gis-portal-link" href="{portal}">« 门户</a>'
            + select
            + '<a class="gis-print-link" data-paper="a4" href="#">打印 A4</a>'
            '<a class="gis-print-link" data-paper="a3" href="#">A3</a>'
            + (f'<span class="gis-map-links">{others}</span>' if others else "")
        )
        self.body_js = js_string(self.body)
