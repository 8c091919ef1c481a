"""What an import did, and the error that lists every problem of a rejected file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from gis_service.errors import InputError

MAX_LISTED_PROBLEMS = 25


@dataclass
class ImportReport:
    kind: str
    file: str
    features: int
    inserted: int = 0
    updated: int = 0
    repaired: list[str] = field(default_factory=list)
    skipped_unchanged: bool = False
    import_id: int | None = None
    crs: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # our field -> the file's column
    unused_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if self.skipped_unchanged:
            return f"{self.file}: unchanged since its last import, skipped"
        ident = f"import {self.import_id}: " if self.import_id is not None else ""
        text = (
            f"{ident}{self.file}: {self.features} {self.kind} read, {self.inserted} inserted, "
            f"{self.updated} updated"
        )
        if self.repaired:
            text += f", {len(self.repaired)} repaired:\n  " + "\n  ".join(self.repaired)
        if self.crs:
            text += f"\n  coordinates: {self.crs}"
        if self.columns:
            text += "\n  columns used: " + ", ".join(
                f"{ours}<-{theirs}" if ours != theirs else ours
                for ours, theirs in self.columns.items()
            )
        if self.unused_columns:
            text += "\n  columns not used: " + ", ".join(self.unused_columns)
        for d in self.derived:
            text += f"\n  derived: {d}"
        for w in self.warnings:
            text += f"\n  warning: {w}"
        return text


class ProblemList:
    """Collects per-feature problems so a user sees all of them at once, not one per try."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, reason: str) -> None:
        self.items.append(f"{where}: {reason}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_LISTED_PROBLEMS]
        more = len(self.items) - len(shown)
        text = f"{len(self.items)} problem(s), nothing imported:\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        raise InputError(text, source=self.source)
