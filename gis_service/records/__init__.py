"""Typed records that cross the layers (services -> routes, maps, notebook, CLI).

Pydantic models: a service builds one, a route declares it (or a schema built from it) as its
``response_model``, the maps and the notebook read its attributes. ``wire()`` is the JSON the
API sends; the JSON field order is the field order here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer


class Record(BaseModel):
    """A record: fields fixed (an unknown key is refused, never dropped) and immutable.

    Reading by key (``report["posts"]``) gives the value as the wire JSON holds it (dates as
    ISO text, nested records as plain JSON objects): callers written against the JSON
    (notebooks, scripts, older tests) keep working. New code reads attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def wire(self) -> dict[str, Any]:
        """The JSON object the API sends (dates as ISO text)."""
        return self.model_dump(mode="json")

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return self.model_dump(mode="json", include={key})[key]

    def items(self) -> Any:
        return self.wire().items()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in type(self).model_fields else default

    def __contains__(self, key: object) -> bool:
        return key in type(self).model_fields

    def keys(self) -> list[str]:
        return list(type(self).model_fields)


# a time stamp as Python's isoformat writes it (+00:00, microseconds kept): the wire format
# the API has always sent (pydantic's own JSON would write Z)
IsoDateTime = Annotated[dt.datetime, PlainSerializer(lambda t: t.isoformat(), when_used="json")]
