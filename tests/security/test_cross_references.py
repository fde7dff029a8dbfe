"""Ids in a request body cannot reach another side's objects: a person allowed on a page who names a foreign item,
framework version, team member or indicator in the form or JSON is refused and nothing changes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.conftest import csrf_from
from tests.security import world as W
from tests.security.test_access_sweep import client_for


def _ids(app, w: W.World) -> dict[str, int]:
    from delphi.extensions import db
    from delphi.models import Item, Organisation, Round, User
    from delphi.services.accounts import users
    from delphi.services.assessments import lifecycle
    from delphi.services.frameworks import versions

    with app.app_context():
        round_a2 = db.session.get(Round, w.round_a2)
        in_round = {ri.item_id for ri in round_a2.round_items}
        draft = versions.find_version(w.framework_slug, w.draft_label)
        lead_b = users.find_by_email(W.ASSESSOR_B)
        secret = lifecycle.create(db.session.get(Organisation, w.org_b), versions.ensure_shipped(),
                                    title="Secret B", reference_date=date(2024, 1, 1), team_user_ids=[lead_b.id],
                                    team_mode=False, by=lead_b)
        db.session.commit()
        return {
            "item_of_b": db.session.scalar(select(Item.id).where(Item.study_id == w.study_b)),
            "item_not_in_round": db.session.scalar(select(Item.id).where(Item.study_id == w.study_a,
                                                                         Item.id.not_in(in_round))),
            "draft_a": draft.id,
            "draft_indicator": lifecycle.tree(draft).indicators[0].id,
            "user_b": db.session.scalar(select(User.id).where(User.email == W.ASSESSOR_B)),
            "assessment_b": secret.id,
        }


def test_foreign_ids_in_forms_and_json_are_refused_and_change_nothing(app):
    w = W.build(app)
    ids = _ids(app, w)
    expert, organiser_b = client_for(app, W.EXPERT_A, 1), client_for(app, W.ORGANISER_B, 2)
    lead = client_for(app, W.ASSESSOR_A, 3)
    before = W.fingerprint(app)

    page = expert.get(f"/expert/rounds/{w.round_a2}/domains/{w.domain_a}")
    token = csrf_from(page.data)
    for item in (ids["item_of_b"], ids["item_not_in_round"]):
        response = expert.post(f"/expert/rounds/{w.round_a2}/autosave", headers={"X-CSRFToken": token},
                               json={"item": item, "question": "agreement", "value": 3})
        assert response.status_code == 400 and response.get_json()["ok"] is False, item

    page = organiser_b.get("/organiser/")
    assert b"draft-a" not in page.data  # organiser A's draft is not offered...
    response = organiser_b.post("/organiser/studies", data={"csrf_token": csrf_from(page.data), "title": "Taken",
                                                            "version_id": ids["draft_a"]})
    assert response.status_code == 302  # ...nor accepted: "choose a framework version"

    a = f"/assessor/assessments/{w.assessment_a}"
    page = lead.get(a + "/settings")
    response = lead.post(a + "/settings", data={
        "csrf_token": csrf_from(page.data), "title": "Baseline A", "reference_date": "2024-06-30",
        "team": [str(ids["user_b"])]})
    assert response.status_code == 400
    page = lead.get(f"/assessor/organisations/{w.org_a}/assessments/new")
    response = lead.post(f"/assessor/organisations/{w.org_a}/assessments/new", data={
        "csrf_token": csrf_from(page.data), "title": "On a draft", "reference_date": "2024-06-30",
        "version": str(ids["draft_a"])})
    assert response.status_code == 400
    page = lead.get(a + "/actions")
    response = lead.post(a + "/actions", data={"csrf_token": csrf_from(page.data), "description": "Foreign",
                                               "indicator": str(ids["draft_indicator"]), "status": "open"})
    assert response.status_code == 400
    response = lead.post(f"{a}/indicators/{ids['draft_indicator']}/answer", headers={"X-CSRFToken": csrf_from(
        lead.get(a + "/domains/1").data)}, json={"current_level": "2"})
    assert response.status_code == 404
    assert W.fingerprint(app) == before

    progress = lead.get(f"/assessor/organisations/{w.org_a}/progress?a={ids['assessment_b']}&include=all")
    assert progress.status_code == 200 and b"Secret B" not in progress.data
