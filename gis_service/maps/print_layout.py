"""The print layout of a map: what a coordination meeting gets on paper (A4/A3 landscape).

Printing keeps the title (region, period, as-of date), the legend and the scale bar, adds a
north arrow and a source line, and hides every control (zoom, layers, search, measure,
fullscreen, the portal bar, the gap table). The same rules apply on screen when the page is
opened with ``layout=print`` (the body gets ``gis-print``), so the layout can be checked, and
rendered to PDF/PNG by headless Chromium, before printing.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from branca.element import MacroElement
from folium.template import Template

from gis_service.maps.elements import js_string

Paper = Literal["a4", "a3"]
PAPER_MM: dict[str, tuple[int, int]] = {"a4": (297, 210), "a3": (420, 297)}  # landscape
# controls hidden on paper (Leaflet's own and ours)
HIDDEN = (
    ".leaflet-control-zoom",
    ".leaflet-control-layers",
    ".leaflet-control-search",
    ".leaflet-control-measure",
    ".leaflet-control-fullscreen",
    ".leaflet-control-timecontrol",  # a patrol's playback: the title gives its time on paper
    ".gis-nav",
    ".gis-gap-table",
    ".leaflet-popup-pane",
)
_NORTH_ARROW = (
    '<svg width="34" height="48" viewBox="0 0 34 48" aria-label="北">'
    '<polygon points="17,2 30,40 17,32 4,40" fill="#222"/>'
    '<text x="17" y="47" font-size="11" text-anchor="middle">N</text></svg>'
)


class PrintLayout(MacroElement):
    """Print rules, north arrow and source line; ``layout`` ``print`` shows them on screen."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style id="gis-page-size">
          @page { size: {{ this.page_size }}; margin: {{ this.margin_mm }}mm; }
          @media print {
            html, body { width: {{ this.width_mm - 2 * this.margin_mm }}mm;
              height: {{ this.height_mm - 2 * this.margin_mm }}mm; overflow: hidden; }
          }
        </style>
        <style>
          .gis-north, .gis-source { display: none; }
          .gis-north { position: absolute; top: 60px; right: 14px; z-index: 1000;
            background: rgba(255,255,255,0.9); padding: 2px 4px; border-radius: 4px; }
          .gis-source { position: absolute; bottom: 4px; left: 50%; z-index: 1000;
            transform: translateX(-50%); background: rgba(255,255,255,0.9); font-size: 11px;
            padding: 1px 8px; white-space: nowrap; }
          {{ this.rules }}
          @media print {
            {{ this.print_rules }}
          }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var north = L.DomUtil.create('div', 'gis-north');
            north.innerHTML = {{ this.north_js }};
            map.getContainer().appendChild(north);
            var source = L.DomUtil.create('div', 'gis-source');
            source.textContent = {{ this.source_js }};
            map.getContainer().appendChild(source);
            if ({{ this.on_screen|tojson }}) { document.body.classList.add('gis-print'); }
            // the layout on screen without reloading the page (a patrol map's link token
            // has left the address bar: a reload would no longer be allowed)
            var papers = {{ this.papers_js }}, margin = {{ this.margin_mm }};
            window.gisPrintLayout = function (paper) {
                var mm = papers[paper];
                if (!mm) { return false; }
                document.getElementById('gis-page-size').textContent =
                    '@page { size: ' + paper.toUpperCase() + ' landscape; margin: ' + margin +
                    'mm; } @media print { html, body { width: ' + (mm[0] - 2 * margin) +
                    'mm; height: ' + (mm[1] - 2 * margin) + 'mm; overflow: hidden; } }';
                document.body.classList.add('gis-print');
                map.invalidateSize();
                return true;
            };
        })();
        {% endmacro %}
        """
    )

    def __init__(self, *, source: str, paper: Paper = "a4", on_screen: bool = False) -> None:
        super().__init__()
        self._name = "PrintLayout"
        if paper not in PAPER_MM:
            raise ValueError(f"paper {paper!r}: use one of {', '.join(PAPER_MM)}")
        self.width_mm, self.height_mm = PAPER_MM[paper]
        self.margin_mm = 6  # within every printer's unprintable border
        self.page_size = f"{paper.upper()} landscape"
        hidden = ", ".join(HIDDEN)
        shown = ".gis-north, .gis-source { display: block !important; }"
        self.print_rules = f"{hidden} {{ display: none !important; }} {shown}"
        on = ", ".join(f"body.gis-print {s}" for s in HIDDEN)
        self.rules = (
            f"{on} {{ display: none !important; }} "
            "body.gis-print .gis-north, body.gis-print .gis-source "
            "{ display: block !important; }"
        )
        self.north_js = js_string(_NORTH_ARROW)
        self.source_js = js_string(source)
        self.on_screen = on_screen
        self.papers_js = js_string(PAPER_MM)


def source_line(now: dt.datetime) -> str:
    """The source line of a printed map: who made it and when (``now`` in the office's zone)."""
    zone = getattr(now.tzinfo, "key", None) or now.strftime("%Z")
    return f"数据来源：河湖长制 GIS 服务 · 制图时间 {now:%Y-%m-%d %H:%M} ({zone})"
