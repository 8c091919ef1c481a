"""The signboards on the river map: every board of the river, those to reprint flagged."""

from __future__ import annotations

import datetime as dt
import json
import re

from gis_service.maps.base import MapOptions
from gis_service.sample.signboards import load_boards
from gis_service.services import maps as map_svc
from tests.maps.test_map_builders import feature_counts

DAY = dt.date(2026, 11, 30)


def _boards(html: str) -> list[dict]:
    for name in re.findall(r"function (geo_json_\w+)_styler", html):
        styler = html[html.index(f"function {name}_styler") :]
        if "gis-signboard" in styler[: styler.index("\n        }\n")]:
            found = re.search(rf"{name}_add\((\{{.*?\}})\);\n", html, re.S)
            assert found is not None
            return json.loads(found.group(1))["features"]
    return []


def test_river_map_shows_the_boards_and_those_to_reprint(conn, sample_loaded, sample_dir):
    load_boards(conn, sample_dir, DAY)
    m = map_svc.river_map(conn, "R4505-02-02", day=DAY, options=MapOptions(basemap="none"))
    html = map_svc.render(m, map_svc.export_mode(True))
    # 那丽河: one board in 六角社区 and three in 平背社区, whose township chief was replaced
    assert feature_counts(html, "gis-signboard") == 4
    boards = {f["id"]: f["properties"] for f in _boards(html)}
    assert {k for k, v in boards.items() if v["state"] == "需重印"} == {
        "GSP031",
        "GSP032",
        "GSP033",
    }
    assert "已不在任: 蒙祥海" in boards["GSP031"]["changes"]
    assert "梁生" in boards["GSP031"]["chiefs"] and "蒙祥海" not in boards["GSP031"]["chiefs"]
    layer = "公示牌 (4, 需重印 3)"  # the layer control's entry
    assert layer in html or json.dumps(layer)[1:-1] in html
    # a river without boards has no such layer
    other = map_svc.river_map(conn, "Q4505-01", day=DAY, options=MapOptions(basemap="none"))
    assert feature_counts(map_svc.render(other, map_svc.export_mode(True)), "gis-signboard") == 2
