"""The typed records: what they refuse, and that their JSON is the wire JSON the API always
sent (dates as ISO text, time stamps with +00:00), also when read by key."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from gis_service.records.audit import AuditReport
from gis_service.records.problems import ProblemEvent
from gis_service.services.audit_export import export_stem, write_csv
from tests.unit.test_audit_export import report


def test_a_record_refuses_a_key_it_does_not_know() -> None:
    wire = report() | {"surprise": 1}
    with pytest.raises(ValidationError, match="surprise"):
        AuditReport.model_validate(wire)


def test_the_audit_record_reads_back_as_its_wire_json() -> None:
    wire = report()
    record = AuditReport.model_validate(wire)
    assert record.period.start == dt.date(2026, 7, 1)
    assert record.posts[2].deadline == dt.date(2026, 12, 31)
    out = record.wire()
    assert out["generated_at"] == "2026-10-15T02:00:00+00:00"
    assert record["period"] == {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"}
    assert record["targets"] == [t | {"gaps": [list(g) for g in t["gaps"]]} for t in out["targets"]]
    assert out["targets"][0]["last_patrol"] == "2026-09-28"
    # the wire order of the report contract
    assert list(out) == [
        "region", "period", "as_of", "timezone", "rules_version", "generated_at", "targets",
        "posts", "regions", "due", "counted_patrols", "patrols_in_period", "zoning_runs",
        "patrols_not_rematched", "point_posts",
    ]  # fmt: skip
    assert {k: v for k, v in out.items() if k not in ("posts",)} == {
        k: v for k, v in wire.items() if k not in ("posts",)
    }
    assert record.get("reminders", []) == [] and "due" in record and "reminders" not in record


def test_the_export_of_the_record_is_the_export_of_its_json(tmp_path) -> None:
    wire = report()
    record = AuditReport.model_validate(wire)
    assert export_stem(record) == export_stem(wire) == "audit_450500_2026-Q3"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_record = write_csv(record, tmp_path / "a", "x")
    from_json = write_csv(wire, tmp_path / "b", "x")
    assert [p.read_bytes() for p in from_record] == [p.read_bytes() for p in from_json]


def test_time_stamps_keep_their_offset_and_microseconds() -> None:
    at = dt.datetime(2026, 7, 3, 1, 2, 3, 456789, tzinfo=dt.UTC)
    event = ProblemEvent(
        at=at,
        user_name="office",
        action="report",
        from_status=None,
        to_status="reported",
        note=None,
    )
    assert event.wire()["at"] == "2026-07-03T01:02:03.456789+00:00"
    assert event["at"] == at.isoformat()
    with pytest.raises(ValidationError, match="frozen"):
        event.user_name = "someone else"  # type: ignore[misc]
