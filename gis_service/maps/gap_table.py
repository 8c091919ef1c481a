"""The gap table beside the coverage map: every never-patrolled stretch, sortable, as CSV.

An office works through the gaps one by one at a meeting: river, region, level, missing
metres, responsible chiefs, last patrol. A click on a header sorts (numbers as numbers), a
click on a row flies the map there, and "CSV" downloads the table as the browser shows it
(UTF-8 with a byte-order mark so Excel reads the Chinese). Cells are filled with
``textContent``: nothing from the data is parsed as HTML.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from gis_service.maps import geometry
from gis_service.maps.elements import js_string
from gis_service.maps.style import label, level_label

_WORDS = {
    "zh": {"title": "未巡河段表", "csv": "导出 CSV", "hide": "收起"},
    "en": {"title": "Gap table", "csv": "CSV", "hide": "Hide"},
}
# table columns: (label key, frame column, numeric)
COLUMNS = (
    ("river", "river", False),
    ("region", "region", False),
    ("level", "level_label", False),
    ("gap_m", "length_m", True),
    ("chiefs", "chiefs", False),
    ("last_patrol", "last_patrol", False),
)


class GapTable(MacroElement):
    """A Leaflet control with a toggle button and the sortable table (closed at first)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .gis-gap-table { background: rgba(255,255,255,0.96); font-size: 12px;
            border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4); max-width: 46vw; }
          .gis-gap-table button { margin: 4px; }
          .gis-gap-table .body { max-height: 42vh; overflow: auto; display: none; }
          .gis-gap-table.open .body { display: block; }
          .gis-gap-table table { border-collapse: collapse; }
          .gis-gap-table th { cursor: pointer; background: #eee; position: sticky; top: 0; }
          .gis-gap-table th, .gis-gap-table td { padding: 2px 6px; border-bottom: 1px solid #ddd;
            text-align: left; white-space: nowrap; }
          .gis-gap-table td.num { text-align: right; }
          .gis-gap-table tbody tr:hover { background: #fee391; cursor: pointer; }
          @media print { .gis-gap-table { display: none !important; } }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var spec = {{ this.spec_js }};
            var map = {{ this._parent.get_name() }};
            var control = L.control({position: 'bottomleft'});
            control.onAdd = function () {
                var div = L.DomUtil.create('div', 'gis-gap-table leaflet-control');
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                var toggle = L.DomUtil.create('button', 'toggle', div);
                toggle.type = 'button';
                toggle.textContent = spec.words.title + ' (' + spec.rows.length + ')';
                var csv = L.DomUtil.create('button', 'csv', div);
                csv.type = 'button';
                csv.textContent = spec.words.csv;
                var body = L.DomUtil.create('div', 'body', div);
                var table = L.DomUtil.create('table', '', body);
                var head = table.createTHead().insertRow();
                var tbody = table.createTBody();
                var rows = spec.rows.slice(), sortBy = 3, desc = true;
                function draw() {
                    rows.sort(function (a, b) {
                        var x = a[sortBy], y = b[sortBy];
                        var c = spec.numeric[sortBy] ? x - y
                            : String(x).localeCompare(String(y), 'zh');
                        return desc ? -c : c;
                    });
                    tbody.textContent = '';
                    rows.forEach(function (r) {
                        var tr = tbody.insertRow();
                        for (var i = 0; i < spec.headers.length; i++) {
                            var td = tr.insertCell();
                            td.textContent = r[i];
                            if (spec.numeric[i]) { td.className = 'num'; }
                        }
                        tr.addEventListener('click', function () {
                            map.flyTo([r[spec.headers.length], r[spec.headers.length + 1]], 15);
                        });
                    });
                }
                spec.headers.forEach(function (h, i) {
                    var th = document.createElement('th');
                    th.textContent = h;
                    th.addEventListener('click', function () {
                        desc = sortBy === i ? !desc : spec.numeric[i];
                        sortBy = i;
                        draw();
                    });
                    head.appendChild(th);
                });
                draw();
                toggle.addEventListener('click', function () {
                    div.classList.toggle('open');
                });
                csv.addEventListener('click', function () {
                    function cell(v) {
                        var s = String(v);
                        return /[",\\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
                    }
                    var lines = [spec.headers.map(cell).join(',')];
                    rows.forEach(function (r) {
                        lines.push(r.slice(0, spec.headers.length).map(cell).join(','));
                    });
                    var blob = new Blob(['\\ufeff' + lines.join('\\r\\n') + '\\r\\n'],
                        {type: 'text/csv;charset=utf-8'});
                    var a = document.createElement('a');
                    a.href = URL.createObjectURL(blob);
                    a.download = spec.filename;
                    document.body.appendChild(a);
                    a.click();
                    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
                });
                return div;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, spec_js: str) -> None:
        super().__init__()
        self._name = "GapTable"
        self.spec_js = spec_js


def gap_rows(gaps: gpd.GeoDataFrame, lang: str) -> list[list]:
    """One row per gap: the table's cells, then the latitude and longitude of its middle."""
    if gaps is None or len(gaps) == 0:
        return []
    frame = gaps.copy()
    frame["level_label"] = [level_label(v, lang) for v in frame["level"]]
    frame["length_m"] = frame["length_m"].astype(float).round(0).astype(int)
    for _, column, numeric in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
        elif not numeric:
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), "").astype(str)
    middle = geometry.midpoints(frame.geometry.to_numpy())
    cells = frame[[c for _, c, _ in COLUMNS]].to_numpy().tolist()
    lat = np.round(shapely.get_y(middle), 6)
    lon = np.round(shapely.get_x(middle), 6)
    return [[*row, float(y), float(x)] for row, y, x in zip(cells, lat, lon, strict=True)]


def add_gap_table(m, gaps: gpd.GeoDataFrame, *, region: str, period: str, lang: str) -> None:
    """Put the table on ``m`` (nothing when the period has no gap)."""
    rows = gap_rows(gaps, lang)
    if not rows:
        return
    spec = {
        "headers": [label(k, lang) for k, _, _ in COLUMNS],
        "numeric": [n for _, _, n in COLUMNS],
        "rows": rows,
        "words": _WORDS.get(lang, _WORDS["zh"]),
        "filename": f"{_WORDS.get(lang, _WORDS['zh'])['title']}_{region}_{period}.csv",
    }
    spec_js = js_string(spec)
    GapTable(spec_js).add_to(m)
