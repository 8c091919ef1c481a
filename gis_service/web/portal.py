"""The portal page at ``/``: region tree, period selector, links to maps, audit and downloads.

Plain HTML and a few lines of inline script, no external file at all, so it opens on an
intranet without internet. Every value from the database goes through :func:`html.escape`
and every query through :func:`urllib.parse.urlencode`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode

from gis_service.domain.periods import Period
from gis_service.domain.vocab import LEVEL_LABELS, WATER_KIND_LABELS
from gis_service.services.collections import MAX_LIMIT
from gis_service.services.portal import PortalView, RegionNode

_UNFOLDED_LEVELS = ("province", "city")
DOWNLOAD_COLLECTIONS = (
    ("segments", "河段"),
    ("zones", "水库水域与库区沿岸"),
    ("water-bodies", "河湖"),
    ("regions", "行政区划"),
)
DOWNLOAD_FORMATS = (
    ("gpkg", "GeoPackage"),
    ("shp", "Shapefile"),
    ("kml", "KML"),
    ("json", "GeoJSON"),
)
KIND_LABELS = {"year": "年度", "half_year": "半年", "quarter": "季度", "month": "月"}

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1b1b1b}
header{background:#08306b;color:#fff;padding:10px 18px}
header h1{font-size:20px;margin:0}
header a{color:#deebf7}
main{display:flex;gap:18px;padding:14px 18px}
nav#region-tree{flex:0 0 320px;max-height:80vh;overflow:auto;border-right:1px solid #ccc}
nav ul{list-style:none;padding-left:14px;margin:2px 0}
nav a{text-decoration:none;color:#08519c}
nav a.current{font-weight:bold;background:#fee391}
section#panel{flex:1}
.level{color:#666;font-size:12px}
.links a{display:inline-block;margin:4px 10px 4px 0;padding:6px 10px;border:1px solid #08519c;
 border-radius:4px;text-decoration:none;color:#08519c}
.links a.primary{background:#08519c;color:#fff}
ul.waters{columns:3;list-style:none;padding:0}
footer{padding:8px 18px;color:#555;font-size:12px}
"""


def _href(path: str, **query: str | None) -> str:
    kept = {k: v for k, v in query.items() if v}
    return escape(f"{path}?{urlencode(kept)}" if kept else path)


def _download(collection: str, region: str, fmt: str) -> str:
    return _href(f"/collections/{collection}/items", region=region, limit=str(MAX_LIMIT), f=fmt)


def _tree(
    nodes: list[RegionNode], current: str | None, opened: set[str], period: str, depth: int = 0
) -> str:
    """Nested lists; counties are in sight (levels above them unfolded) and so is the
    chosen region (its ancestors unfolded)."""
    items = []
    for node in nodes:
        cls = ' class="current"' if node.code == current else ""
        link = (
            f'<a href="{_href("/", region=node.code, period=period)}" '
            f'data-region="{escape(node.code)}"{cls}>{escape(node.name)}</a> '
            f'<span class="level">{escape(LEVEL_LABELS.get(node.level, node.level))}</span>'
        )
        if node.children:
            above_counties = node.level in _UNFOLDED_LEVELS
            unfold = " open" if node.code in opened or above_counties or depth < 1 else ""
            items.append(
                f"<li><details{unfold}><summary>{link}</summary>"
                f"{_tree(node.children, current, opened, period, depth + 1)}</details></li>"
            )
        else:
            items.append(f"<li>{link}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _period_select(periods: list[Period], chosen: Period) -> str:
    groups: dict[str, list[str]] = {}
    for p in periods:
        sel = " selected" if p == chosen else ""
        groups.setdefault(p.kind, []).append(
            f'<option value="{escape(p.label)}"{sel}>{escape(p.label)} '
            f"({p.start:%m-%d}–{p.end:%m-%d})</option>"
        )
    return "".join(
        f'<optgroup label="{escape(KIND_LABELS.get(kind, kind))}">{"".join(opts)}</optgroup>'
        for kind, opts in groups.items()
    )


def _panel(view: PortalView) -> str:
    period = view.period.label
    if view.region is None:
        return (
            "<h2>请选择行政区</h2><p>在左侧选择一个行政区（县、乡镇），再选择考核期，"
            "即可打开巡河覆盖图、河流图和考核结果。</p>"
        )
    r = view.region
    crumbs = " › ".join(
        f'<a href="{_href("/", region=code, period=period)}">{escape(name)}</a>'
        for code, name in r.path
    )
    q = {"region": r.code, "period": period}
    level = escape(LEVEL_LABELS.get(r.level, r.level))
    waters = "".join(
        f'<li><a class="river-link" href="{escape("/maps/rivers/" + quote(w.code, safe=""))}">'
        f'{escape(w.name)}</a> <span class="level">'
        f"{escape(WATER_KIND_LABELS.get(w.kind, w.kind))}</span></li>"
        for w in view.waters
    )
    downloads = "".join(
        f"<tr><th>{escape(title)}</th><td>"
        + " ".join(
            f'<a href="{_download(cid, r.code, fmt)}">{escape(text)}</a>'
            for fmt, text in DOWNLOAD_FORMATS
        )
        + "</td></tr>"
        for cid, title in DOWNLOAD_COLLECTIONS
    )
    return f"""
<p class="crumbs">{crumbs}</p>
<h2 id="region-name">{escape(r.name)} <span class="level">{level} {escape(r.code)}</span></h2>
<form id="period-form" method="get" action="/">
 <input type="hidden" name="region" value="{escape(r.code)}">
 <label>考核期 <select id="period" name="period" onchange="this.form.submit()">
 {_period_select(view.periods, view.period)}</select></label>
 <noscript><button type="submit">确定</button></noscript>
</form>
<h3>地图</h3>
<p class="links">
 <a id="open-coverage" class="primary" href="{_href("/maps/coverage", **q)}">
 巡河覆盖图 {escape(period)}</a>
</p>
<h3>考核（办公室）</h3>
<p class="links">
 <a id="open-audit" href="{_href("/audits", **q)}">考核结果 (JSON)</a>
 <a href="{_href("/audits/export.xlsx", **q)}">考核表 (Excel)</a>
 <a href="{_href("/audits/gaps", **q)}">未巡河段 (GeoJSON)</a>
 <a href="{_href("/audits/gaps", **q, f="gpkg")}">未巡河段 (GeoPackage)</a>
 <a href="{_href("/audits/gaps", **q, f="shp")}">未巡河段 (Shapefile)</a>
</p>
<h3>下载（ArcGIS / QGIS）</h3>
<table class="downloads">{downloads}</table>
<h3>河湖 ({len(view.waters)})</h3>
<ul class="waters">{waters or "<li>此区域没有河湖</li>"}</ul>
"""


def portal_html(view: PortalView, *, title: str, version: str) -> str:
    """The whole page; ``view`` comes from :func:`gis_service.services.portal.portal_view`."""
    current = view.region.code if view.region else None
    opened = {code for code, _ in view.region.path} if view.region else set()
    tree = _tree(view.tree, current, opened, view.period.label)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · 地图门户</title><style>{_STYLE}</style></head>
<body>
<header><h1>{escape(title)} · 巡河地图门户</h1></header>
<main>
<nav id="region-tree" aria-label="行政区">{tree}</nav>
<section id="panel">{_panel(view)}</section>
</main>
<footer>版本 {escape(version)} · <a href="/docs">API 文档</a> · <a href="/redoc">ReDoc</a> ·
<a href="/collections">数据集 (OGC API)</a> · <a href="/summary">数据概况</a></footer>
</body></html>"""
