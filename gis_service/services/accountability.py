"""Accountability records (问责记录): store a step of the ladder, record the written answer,
list them. The rules (deadline, state, what may follow what) live in
``gis_service.domain.accountability``; the office's local date and work calendar are passed in
by the front ends.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis_service.db.queries import DESCENDANTS
from gis_service.db.session import atomic
from gis_service.domain.accountability import (
    AccountabilityRecord,
    check_feedback,
    check_follows,
    check_issue,
    feedback_deadline,
)
from gis_service.domain.periods import parse_period
from gis_service.domain.vocab import ACCOUNTABILITY_KINDS, ACCOUNTABILITY_STATUSES
from gis_service.domain.workdays import WorkCalendar
from gis_service.errors import InputError, NotFoundError

_SELECT = """
SELECT a.id, a.kind, a.chief_id, c.name AS chief_name, a.reason, a.issued_on, a.deadline,
       a.issued_by, a.issuer, a.reference, a.post_id, a.period, a.problem_id::text AS problem_id,
       a.follows_id, a.feedback, a.feedback_on
FROM accountability_record a JOIN chief c ON c.id = a.chief_id
"""


@dataclass(frozen=True)
class NewRecord:
    """A step of the ladder as the office issues it."""

    kind: str
    chief_id: str
    reason: str
    issued_on: dt.date
    issuer: str | None = None
    reference: str | None = None
    post_id: int | None = None
    period: str | None = None
    problem_id: uuid.UUID | None = None
    follows_id: int | None = None


@dataclass(frozen=True)
class RecordQuery:
    chief_id: str | None = None
    kind: str | None = None
    status: str | None = None  # computed on ``today``
    region: str | None = None  # the chief holds (or held) a post in it or below
    period: str | None = None


def _period_label(label: str | None) -> str | None:
    """The canonical label of an audit period (2026-Q3, ...), refused with a message if bad."""
    if not label:
        return None
    try:
        return parse_period(label).label
    except ValueError as exc:
        raise InputError(f"period: {exc}") from None


def _record(row) -> AccountabilityRecord:
    return AccountabilityRecord(**dict(row))


def get_record(conn: Connection, record_id: int) -> AccountabilityRecord:
    row = conn.execute(text(_SELECT + " WHERE a.id = :i"), {"i": record_id}).mappings().first()
    if row is None:
        raise NotFoundError(f"accountability record {record_id} not found")
    return _record(row)


def issue_record(
    conn: Connection,
    new: NewRecord,
    *,
    user: str,
    today: dt.date,
    calendar: WorkCalendar,
) -> AccountabilityRecord:
    """Store a 提醒/约谈/通报批评 (with its 15-working-day answer deadline) or a 提请问责.

    Every reference is checked: the chief exists, the post is that chief's, the period is a
    period label, the problem exists, a follow-up climbs the ladder against the same chief."""
    check_issue(new.kind, new.reason, new.issued_on, today)
    period = _period_label(new.period)
    with atomic(conn):
        if (
            conn.execute(text("SELECT 1 FROM chief WHERE id = :c"), {"c": new.chief_id}).first()
            is None
        ):
            raise NotFoundError(f"chief {new.chief_id!r} not found")
        if new.post_id is not None:
            holder = conn.execute(
                text("SELECT chief_id FROM chief_post WHERE id = :p"), {"p": new.post_id}
            ).scalar()
            if holder is None:
                raise NotFoundError(f"post {new.post_id} not found")
            if holder != new.chief_id:
                raise InputError(f"post_id: post {new.post_id} is {holder}'s, not {new.chief_id}'s")
        if (
            new.problem_id is not None
            and conn.execute(
                text("SELECT 1 FROM problem WHERE id = :p"), {"p": new.problem_id}
            ).first()
            is None
        ):
            raise NotFoundError(f"problem {new.problem_id} not found")
        if new.follows_id is not None:
            check_follows(get_record(conn, new.follows_id), new.kind, new.chief_id)
        record_id = conn.execute(
            text(
                """
                INSERT INTO accountability_record (kind, chief_id, post_id, period, problem_id,
                    follows_id, reason, reference, issuer, issued_by, issued_on, deadline)
                VALUES (:kind, :chief, :post, :period, :problem, :follows, :reason, :ref,
                    :issuer, :by, :on, :deadline)
                RETURNING id
                """
            ),
            {
                "kind": new.kind,
                "chief": new.chief_id,
                "post": new.post_id,
                "period": period,
                "problem": new.problem_id,
                "follows": new.follows_id,
                "reason": new.reason.strip(),
                "ref": new.reference,
                "issuer": new.issuer,
                "by": user,
                "on": new.issued_on,
                "deadline": feedback_deadline(new.kind, new.issued_on, calendar),
            },
        ).scalar_one()
    return get_record(conn, record_id)


def record_feedback(
    conn: Connection,
    record_id: int,
    feedback: str,
    *,
    received_on: dt.date,
    user: str,
    today: dt.date,
) -> AccountabilityRecord:
    """Record the written answer (书面反馈整改落实情况), once, on the day it was received."""
    with atomic(conn):
        locked = conn.execute(
            text("SELECT id FROM accountability_record WHERE id = :i FOR UPDATE"),
            {"i": record_id},
        ).first()
        if locked is None:
            raise NotFoundError(f"accountability record {record_id} not found")
        check_feedback(get_record(conn, record_id), feedback, received_on, today)
        conn.execute(
            text(
                "UPDATE accountability_record SET feedback = :f, feedback_on = :d, "
                "feedback_by = :u WHERE id = :i"
            ),
            {"f": feedback.strip(), "d": received_on, "u": user, "i": record_id},
        )
    return get_record(conn, record_id)


def list_records(conn: Connection, q: RecordQuery, *, today: dt.date) -> list[AccountabilityRecord]:
    """Records matching ``q``, oldest first; the status filter is evaluated on ``today``."""
    if q.kind is not None and q.kind not in ACCOUNTABILITY_KINDS:
        raise InputError(f"kind must be one of {', '.join(ACCOUNTABILITY_KINDS)}")
    if q.status is not None and q.status not in ACCOUNTABILITY_STATUSES:
        raise InputError(f"status must be one of {', '.join(ACCOUNTABILITY_STATUSES)}")
    period = _period_label(q.period)
    sql = (
        DESCENDANTS
        + _SELECT
        + """
        WHERE (CAST(:chief AS text) IS NULL OR a.chief_id = :chief)
          AND (CAST(:kind AS text) IS NULL OR a.kind = :kind)
          AND (CAST(:period AS text) IS NULL OR a.period = :period)
          AND (CAST(:region AS text) IS NULL OR EXISTS (
                SELECT 1 FROM chief_post p
                WHERE p.chief_id = a.chief_id AND p.region_code IN (SELECT code FROM sub)))
        ORDER BY a.issued_on, a.id
        """
    )
    params = {"chief": q.chief_id, "kind": q.kind, "period": period, "region": q.region}
    records = [_record(r) for r in conn.execute(text(sql), params).mappings()]
    if q.status is not None:
        records = [r for r in records if r.status(today) == q.status]
    return records
