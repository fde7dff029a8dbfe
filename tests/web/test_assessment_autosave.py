"""Autosave: one answer per (assessment, indicator) whatever the number of saves; bad values refused with a clear
JSON error and nothing stored; stale pages and finalised assessments refuse writes."""
from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import csrf_token
from tests.web.test_assessment_fixtures import add_member, fill, indicator_ids, start


@pytest.fixture
def setup(app, client, login_as):
    add_member(app, "Portugal", "lead@pt.example", "lead", name="Lena Lead")
    add_member(app, "Portugal", "ana@pt.example", "assessor", name="Ana Assessor")
    add_member(app, "Portugal", "otto@pt.example", "assessor", name="Otto Outsider")  # member, not on the team
    aid = start(app, "Portugal", "lead@pt.example", team=("ana@pt.example",), reference_date=date(2025, 1, 31))
    ind = indicator_ids(app, aid)[0]
    login_as("ana@pt.example")
    token = csrf_token(client, f"/assessor/assessments/{aid}/domains/1")

    def post(payload, *, token_=None, indicator=ind):
        return client.post(f"/assessor/assessments/{aid}/indicators/{indicator}/answer", json=payload,
                           headers={"X-CSRFToken": token_ or token, "Accept": "application/json"})

    return {"aid": aid, "ind": ind, "post": post}


def _answers(app):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    with app.app_context():
        return [(a.indicator_id, a.current_level, a.target_level, a.revision, a.evidence, list(a.links))
                for a in db.session.query(AssessmentAnswer).order_by(AssessmentAnswer.id)]


def _stored(app) -> dict:
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    with app.app_context():
        row = db.session.query(AssessmentAnswer).one_or_none()
        if row is None:
            return {}
        return {"current_level": row.current_level, "target_level": row.target_level, "links": list(row.links),
                "target_date": row.target_date, "confidence": row.confidence, "not_applicable": row.not_applicable,
                "na_reason": row.na_reason}


def test_saving_twice_updates_the_one_answer(app, setup):
    first = setup["post"]({"current_level": 2, "target_level": 3, "evidence": "First draft", "revision": 0})
    assert first.status_code == 200
    body = first.get_json()
    assert body["ok"] and body["message"] == "Saved" and body["revision"] == 1 and body["answered"]
    assert body["progress"] == {"answered": 1, "total": 49} and body["domain"] == {"index": 1, "answered": 1,
                                                                                   "total": 3}
    second = setup["post"]({"current_level": 3, "target_level": 5, "evidence": "Reviewed",
                            "links": "https://example.org/a\nhttps://example.org/b", "revision": 1})
    assert second.status_code == 200 and second.get_json()["revision"] == 2
    assert _answers(app) == [(setup["ind"], 3, 5, 2, "Reviewed", ["https://example.org/a", "https://example.org/b"])]
    # The same values again: nothing to change, no new revision.
    same = setup["post"]({"current_level": 3, "target_level": 5, "evidence": "Reviewed",
                          "links": ["https://example.org/a", "https://example.org/b"], "revision": 2})
    assert same.status_code == 200 and same.get_json()["revision"] == 2
    assert len(_answers(app)) == 1


@pytest.mark.parametrize("payload, field, message", [
    ({"current_level": 7}, "current_level", "Current level must be a whole number from 1 to 5 (got 7)"),
    ({"current_level": "high"}, "current_level", "whole number from 1 to 5"),
    ({"current_level": 0}, "current_level", "whole number from 1 to 5"),
    ({"current_level": 4, "target_level": 2}, "target_level", "The target level (2) is below the current level (4)"),
    ({"current_level": 2, "links": "javascript:alert(1)"}, "links", "is not a web link"),
    ({"current_level": 2, "links": ["ftp://files.example.org/x"]}, "links", "must start with http:// or https://"),
    ({"not_applicable": True}, "na_reason", "Say why this indicator does not apply"),
    ({"not_applicable": True, "na_reason": "n/a", "current_level": 2}, "not_applicable",
     "cannot also have a level"),
    ({"current_level": 2, "confidence": "certain"}, "confidence", "Confidence must be low, medium or high"),
    ({"current_level": 2, "target_date": "31/12/2027"}, "target_date", "YYYY-MM-DD"),
    ({"current_level": 2, "target_level": 3, "target_date": "2024-12-31"}, "target_date",
     "before the assessment's reference date (2025-01-31)"),
])
def test_bad_values_are_refused_with_a_clear_json_error_and_the_bad_value_is_not_stored(app, setup, payload, field,
                                                                                       message):
    r = setup["post"](payload)
    assert r.status_code == 400
    body = r.get_json()
    assert body["ok"] is False and body["error"] == "invalid" and body["field"] == field
    assert message in body["message"]
    # The refused field is not stored; the valid fields sent with it are (issue 15: one refused field never
    # discards the others), and the answer says which.
    refused = set(body["refused"])
    assert refused and not refused & set(body["saved"])
    assert set(body["saved"]) | refused == set(payload)
    stored = _stored(app)
    for name in refused:
        assert stored.get(name) in (None, "", [], False), (name, stored)


def test_bad_value_leaves_the_stored_answer_unchanged(app, setup):
    setup["post"]({"current_level": 3, "target_level": 4, "revision": 0})
    r = setup["post"]({"current_level": 5, "target_level": 4, "revision": 1})
    assert r.status_code == 400 and r.get_json()["field"] == "target_level"
    assert _answers(app) == [(setup["ind"], 3, 4, 1, "", [])]


def test_a_stale_page_cannot_overwrite_a_newer_answer(app, setup):
    setup["post"]({"current_level": 2, "revision": 0})
    setup["post"]({"current_level": 3, "revision": 1})
    stale = setup["post"]({"current_level": 1, "revision": 1})
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    assert "changed by Ana Assessor after you opened this page" in stale.get_json()["message"]
    assert _answers(app)[0][1:4] == (3, None, 2)
    # Without a revision (an API client that accepts last-write-wins) the save goes through.
    assert setup["post"]({"current_level": 1}).status_code == 200
    assert _answers(app)[0][1] == 1


def test_missing_csrf_token_is_refused_as_json(app, setup, client):
    r = client.post(f"/assessor/assessments/{setup['aid']}/indicators/{setup['ind']}/answer",
                    json={"current_level": 2}, headers={"Accept": "application/json"})
    assert r.status_code == 400 and "CSRF" in r.get_json()["message"]
    assert _answers(app) == []


def test_finalised_assessment_refuses_writes(app, setup):
    fill(app, setup["aid"], "lead@pt.example", finalise=True)
    before = _answers(app)
    r = setup["post"]({"current_level": 5, "target_level": 5})
    assert r.status_code == 409
    assert r.get_json()["error"] == "finalised" and "read-only" in r.get_json()["message"]
    assert _answers(app) == before


def test_indicator_of_another_version_is_not_found(app, setup):
    r = setup["post"]({"current_level": 2}, indicator=999999)
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_member_outside_the_team_can_read_but_not_save(app, setup, client, login_as):
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/assessor/")})
    login_as("otto@pt.example")
    page = client.get(f"/assessor/assessments/{setup['aid']}/domains/1")
    assert page.status_code == 200 and b"not on this assessment's team" in page.data
    token = csrf_token(client, "/assessor/")
    r = setup["post"]({"current_level": 2}, token_=token)
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert _answers(app) == []
