"""Accountability records over HTTP: the office issues 提醒/约谈/通报批评/提请问责 and records the
answers; a chief reads only their own; viewers nothing. Deadlines are counted by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gis_service.api.app import create_app
from gis_service.config import local_today
from tests.conftest import bearer

CHIEF, OTHER = "P0203", "P0145"


@pytest.fixture(scope="module")
def api(engine, sample_loaded):
    with TestClient(create_app(engine)) as c:
        yield c


@pytest.fixture
def made(engine):
    ids: list[int] = []
    yield ids
    with engine.begin() as conn:  # newest first: follow-ups point at older records
        for i in sorted(ids, reverse=True):
            conn.execute(text("DELETE FROM accountability_record WHERE id = :i"), {"i": i})


def _issue(api, token, made, **body):
    body = {"kind": "reminder", "chief_id": CHIEF, "reason": "2026年第三季度巡河次数不足"} | body
    res = api.post("/accountability", json=body, headers=bearer(token))
    if res.status_code == 201:
        made.append(res.json()["id"])
    return res


def test_reminder_before_national_day_is_due_27_october_and_overdue_when_read(api, tokens, made):
    """Issued Wed 30 Sep 2026; 1-7 Oct off, Sat 10 Oct worked: the 15th working day is Tue
    27 Oct (8, 9, 10, 12-16, 19-23, 26, 27). Read after that without an answer: overdue."""
    res = _issue(api, tokens["office"], made, issued_on="2026-09-30", period="2026-q3",
                 issuer="北海市河长办", reference="北河长办提醒〔2026〕99号")  # fmt: skip
    assert res.status_code == 201, res.text
    record = res.json()
    assert record["deadline"] == "2026-10-27" and record["kind_label"] == "提醒"
    assert record["period"] == "2026-Q3" and record["issued_by"] == "test-office"
    assert local_today() > dt.date(2026, 10, 27)  # the tests run after the deadline
    assert record["status"] == "overdue" and record["overdue"] is True
    office = bearer(tokens["office"])
    late = api.post(
        f"/accountability/{record['id']}/feedback",
        json={"text": "已补巡并整改", "received_on": "2026-10-28"},
        headers=office,
    )
    assert late.status_code == 200, late.text
    assert late.json()["status"] == "answered_late" and late.json()["overdue"] is False
    again = api.post(
        f"/accountability/{record['id']}/feedback", json={"text": "再次反馈"}, headers=office
    )
    assert again.status_code == 409


def test_issued_today_is_awaiting_and_answered_in_time(api, tokens, made):
    record = _issue(api, tokens["office"], made, kind="interview").json()
    assert record["issued_on"] == local_today().isoformat()
    assert record["status"] == "awaiting_feedback" and record["overdue"] is False
    answered = api.post(
        f"/accountability/{record['id']}/feedback",
        json={"text": "已整改"},
        headers=bearer(tokens["office"]),
    ).json()
    assert answered["status"] == "answered" and answered["feedback_on"] == record["issued_on"]


def test_the_ladder_up_to_referral(api, tokens, made):
    office = tokens["office"]
    first = _issue(api, office, made, issued_on="2026-08-03").json()
    assert first["deadline"] == "2026-08-24"  # 4-7, 10-14, 17-21, 24 August
    second = _issue(api, office, made, kind="interview", issued_on="2026-09-01",
                    follows_id=first["id"]).json()  # fmt: skip
    assert second["deadline"] == "2026-09-21"  # Sun 20 Sep is worked (调休)
    referral = _issue(api, office, made, kind="referral", issued_on="2026-10-12",
                      follows_id=second["id"])  # fmt: skip
    assert referral.status_code == 201
    assert referral.json()["deadline"] is None and referral.json()["status"] == "referred"
    down = _issue(api, office, made, kind="reminder", follows_id=referral.json()["id"])
    assert down.status_code == 400 and "does not follow" in down.json()["detail"]
    other = _issue(api, office, made, chief_id=OTHER, kind="notice", follows_id=first["id"])
    assert other.status_code == 400 and "not P0145" in other.json()["detail"]
    answer = api.post(
        f"/accountability/{referral.json()['id']}/feedback",
        json={"text": "x"},
        headers=bearer(office),
    )
    assert answer.status_code == 400 and "no written answer is due" in answer.json()["detail"]


def test_roles(api, tokens, made):
    mine = _issue(api, tokens["office"], made).json()
    theirs = _issue(api, tokens["office"], made, chief_id=OTHER).json()
    chief = bearer(tokens[CHIEF])
    assert api.get("/accountability").status_code == 401  # no token
    assert api.get("/accountability", headers=bearer(tokens["viewer"])).status_code == 403
    assert api.get(f"/accountability/{mine['id']}").status_code == 401
    listed = api.get("/accountability", headers=chief)
    assert listed.status_code == 200
    assert {r["chief_id"] for r in listed.json()} == {CHIEF}
    assert mine["id"] in {r["id"] for r in listed.json()}
    assert api.get("/accountability", params={"chief": OTHER}, headers=chief).status_code == 403
    assert api.get(f"/accountability/{mine['id']}", headers=chief).status_code == 200
    assert api.get(f"/accountability/{theirs['id']}", headers=chief).status_code == 403
    assert _issue(api, tokens[CHIEF], made).status_code == 403  # chiefs do not issue
    answer = api.post(f"/accountability/{mine['id']}/feedback", json={"text": "x"}, headers=chief)
    assert answer.status_code == 403
    everyone = api.get("/accountability", headers=bearer(tokens["office"])).json()
    assert {mine["id"], theirs["id"]} <= {r["id"] for r in everyone}
    only_other = api.get(
        "/accountability", params={"chief": OTHER}, headers=bearer(tokens["office"])
    ).json()
    assert {r["chief_id"] for r in only_other} == {OTHER}


def test_filters_and_bad_input(api, engine, tokens, made):
    office = tokens["office"]
    overdue = _issue(api, office, made, issued_on="2026-09-30", period="2026-Q3").json()
    fresh = _issue(api, office, made, period="2026-Q3").json()
    listed = api.get(
        "/accountability", params={"status": "overdue", "period": "2026-Q3"},
        headers=bearer(office),
    ).json()  # fmt: skip
    ids = {r["id"] for r in listed}
    assert overdue["id"] in ids and fresh["id"] not in ids
    with engine.connect() as conn:
        post_of_other = conn.execute(
            text("SELECT id FROM chief_post WHERE chief_id = :c LIMIT 1"), {"c": OTHER}
        ).scalar_one()
        own_post = conn.execute(
            text("SELECT id FROM chief_post WHERE chief_id = :c LIMIT 1"), {"c": CHIEF}
        ).scalar_one()
    assert _issue(api, office, made, post_id=own_post).status_code == 201
    cases = [
        ({"chief_id": "P9999"}, 404, "P9999"),
        ({"post_id": post_of_other}, 400, "post_id"),
        ({"period": "2026-Q5"}, 400, "period"),
        ({"issued_on": (local_today() + dt.timedelta(days=1)).isoformat()}, 400, "after today"),
        ({"kind": "warning"}, 422, "kind"),
        ({"problem_id": "00000000-0000-0000-0000-000000000000"}, 404, "problem"),
        ({"follows_id": 2_000_000_000}, 404, "2000000000"),
    ]
    for body, status, word in cases:
        res = _issue(api, office, made, **body)
        assert res.status_code == status, (body, res.text)
        assert word in res.text
    assert api.get("/accountability/2000000000", headers=bearer(office)).status_code == 404
