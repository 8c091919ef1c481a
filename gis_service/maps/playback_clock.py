"""The playback slider's clock in the offices' time zone, not the browser's.

folium's TimestampedGeoJson formats the slider's time with ``moment(date)``: the viewer's
own zone (UTC on a server, whatever a laptop says), while the map's title and popups give
local times in the configured zone. This element re-points the control's formatter at a
fixed UTC offset (the zone's offset at the patrol's start; China has no daylight saving)
and redraws the label, so one page shows one time zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from branca.element import MacroElement
from folium.template import Template

from gis_service.maps.elements import js_string


def utc_offset_minutes(timezone: str, at: dt.datetime) -> int:
    """Minutes east of UTC of ``timezone`` at ``at`` (naive: read as UTC, like GPS time)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    offset = at.astimezone(zoneinfo.ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


class PlaybackClock(MacroElement):
    """Add after the TimestampedGeoJson: its slider then shows ``timezone``'s clock."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            if (typeof L.Control.TimeDimensionCustom === 'undefined') { return; }
            L.Control.TimeDimensionCustom.prototype._getDisplayDateFormat = function (date) {
                return moment(date).utcOffset({{ this.offset }}).format({{ this.format_js }});
            };
            if (typeof timeDimensionControl !== 'undefined' && timeDimensionControl._update) {
                timeDimensionControl._update();
            }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, timezone: str, at: dt.datetime, fmt: str = "YYYY-MM-DD HH:mm:ss") -> None:
        super().__init__()
        self._name = "PlaybackClock"
        self.offset = utc_offset_minutes(timezone, at)
        # moment's [..] is literal text: the zone's name after the time
        self.format_js = js_string(f"{fmt} [{timezone}]")
