"""The declarative base every table module builds on, and the CHECK-constraint helper they
share. Apart from ``models.py`` so that a table module of its own (``models_seeds``) needs
nothing from ``models`` while ``models`` imports it to put its tables into ``Base.metadata``
(no import cycle)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass
