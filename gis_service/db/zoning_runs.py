"""Zoning runs: which run is in force on which day, what refers to each run, pruning.

A day is governed by the newest run (highest id) whose effective date is not after it: a
rebuild without a date replaces every earlier run, a dated one replaces them from its date
on. A run that governs no day any more and to which no coverage or patrol refers can go.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class ZoningRunRecord:
    """One run as ``GET /zoning/runs`` and ``gis-service zoning runs`` show it."""

    id: int
    created_at: dt.datetime
    effective_from: dt.date
    metric_epsg: int
    input_sha256: str
    coverage_rows: int  # stored coverage rows measured against it
    patrols: int  # patrols last measured against it
    superseded: bool  # a newer run applies from an earlier or the same date: it governs no day
    newest: bool  # its zoning is the one in the working tables (maps, lists)


@dataclass(frozen=True)
class RunSpan:
    """The run in force from ``start`` to ``end`` (inclusive) of a stretch of days."""

    run_id: int
    effective_from: dt.date
    start: dt.date
    end: dt.date

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "effective_from": self.effective_from.isoformat(),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
        }


@dataclass(frozen=True)
class RunInForce:
    """The run governing a day: what a report of that day names (``zoning_run``)."""

    id: int
    effective_from: dt.date

    def to_dict(self) -> dict:
        return {"id": self.id, "effective_from": self.effective_from.isoformat()}


def current_run(conn: Connection) -> int | None:
    """The newest zoning run: the one the working tables (``river_segment`` …) hold."""
    return conn.execute(text("SELECT max(id) FROM zoning_run")).scalar()


def run_in_force(conn: Connection, day: dt.date) -> RunInForce | None:
    """The newest run whose effective date is not after ``day`` (the rule of the audit and
    of re-matching); None before every run's date."""
    spans = run_spans(conn, day, day)
    return RunInForce(spans[0].run_id, spans[0].effective_from) if spans else None


# the working tables holding the newest run, each kept per run as ``<table>_version``
VERSIONED_TABLES = (
    "river_segment",
    "still_water_zone",
    "joint_section",
    "confluence",
    "river_convener",
)


# no run has this id (ids start at 1): reading it reads nothing (a day before every run)
NO_RUN = 0


def of_run(table: str, run_id: int | None) -> tuple[str, str]:
    """The table holding ``run_id``'s rows of a zoning table and the condition selecting
    them (bind ``:run``): its ``_version`` table, or with None the working table (the
    newest run's). Table names come from the caller's code, never from a request."""
    if table not in VERSIONED_TABLES:
        raise ValueError(table)
    if run_id is None:
        return table, "TRUE"
    return f"{table}_version", "run_id = :run"


def list_runs(conn: Connection) -> list[ZoningRunRecord]:
    rows = conn.execute(
        text(
            "SELECT r.id, r.created_at, r.effective_from, r.metric_epsg, r.input_sha256, "
            "(SELECT count(*) FROM patrol_coverage c WHERE c.run_id = r.id), "
            "(SELECT count(*) FROM patrol p WHERE p.zoning_run_id = r.id), "
            "EXISTS (SELECT 1 FROM zoning_run n WHERE n.id > r.id "
            "        AND n.effective_from <= r.effective_from), "
            "r.id = (SELECT max(id) FROM zoning_run) "
            "FROM zoning_run r ORDER BY r.id"
        )
    ).all()
    return [ZoningRunRecord(*row) for row in rows]


def run_spans(conn: Connection, first: dt.date, last: dt.date) -> list[RunSpan]:
    """The runs governing the days from ``first`` to ``last``, in order of the days (days
    before every run's date have no run and no span)."""
    runs = conn.execute(
        text("SELECT id, effective_from FROM zoning_run WHERE effective_from <= :e ORDER BY id"),
        {"e": last},
    ).all()
    cuts = sorted({first} | {eff for _, eff in runs if first < eff <= last})
    spans: list[RunSpan] = []
    for k, start in enumerate(cuts):
        end = cuts[k + 1] - dt.timedelta(days=1) if k + 1 < len(cuts) else last
        governing = [(rid, eff) for rid, eff in runs if eff <= start]
        if not governing:
            continue
        rid, eff = governing[-1]
        if spans and spans[-1].run_id == rid:
            spans[-1] = RunSpan(rid, eff, spans[-1].start, end)
        else:
            spans.append(RunSpan(rid, eff, start, end))
    return spans


def run_on(spans: list[RunSpan], day: dt.date) -> int | None:
    for span in spans:
        if span.start <= day <= span.end:
            return span.run_id
    return None


def prunable(conn: Connection) -> list[int]:
    """Runs that govern no day (a newer run applies from an earlier or the same date) and to
    which no stored coverage row or patrol refers."""
    return list(
        conn.execute(
            text(
                "SELECT r.id FROM zoning_run r WHERE EXISTS (SELECT 1 FROM zoning_run n "
                "WHERE n.id > r.id AND n.effective_from <= r.effective_from) "
                "AND NOT EXISTS (SELECT 1 FROM patrol_coverage c WHERE c.run_id = r.id) "
                "AND NOT EXISTS (SELECT 1 FROM patrol p WHERE p.zoning_run_id = r.id) "
                "ORDER BY r.id"
            )
        ).scalars()
    )


def prune(conn: Connection) -> list[int]:
    """Delete the prunable runs (their versions of segments, zones, joint sections,
    confluences and conveners, and their jobs, go with them: ON DELETE CASCADE)."""
    ids = prunable(conn)
    if ids:
        conn.execute(text("DELETE FROM zoning_run WHERE id = ANY(:i)"), {"i": ids})
    return ids
