"""河湖长制 GIS service: who answers for this stretch, did anyone walk it, where are the gaps.

``import gis_service as gis`` gives the notebook API (``gis.segments()``, ``gis.audit()``, ...,
see ``gis_service.notebook``). It is loaded on first use, so the CLI starts without pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gis_service._notebook_names import NOTEBOOK_API as _NOTEBOOK_API

__version__ = "0.1.0"

__all__ = ["__version__", *_NOTEBOOK_API]

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers only
    from gis_service.notebook import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK_API:
        from gis_service import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'gis_service' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_NOTEBOOK_API})
