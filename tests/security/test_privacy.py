"""Privacy regressions of the review (issue 14): consent on every write, unlinkable comments, no account look-up,
hostile numbers in the autosave. The benchmark and the small cells of public outputs have files of their own."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Comment, Panelist, Participation, Rating, Round
from delphi.services.studies import rounds
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser, rate_all


def _unconsented_round(app) -> tuple[int, list[int], int]:
    """A round with expert1 on the panel who never consented (expert2 did)."""
    with app.app_context():
        study = make_study(n_experts=2)
        p = db.session.scalar(select(Panelist).where(Panelist.study_id == study.id, Panelist.pseudonym == "E01"))
        p.consented_at = None
        rnd = open_first_round(study)
        db.session.commit()
        return rnd.id, [ri.item_id for ri in rnd.round_items], p.id


def _count(app, model, panelist_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(model.panelist_id == panelist_id))


def test_a_panelist_without_consent_writes_nothing_by_any_path(app, client, login_as):
    round_id, items, pid = _unconsented_round(app)
    login_as("expert1@example.org")
    home = client.get("/expert/")
    headers = {"X-CSRFToken": csrf_from(home.data)}
    url = f"/expert/rounds/{round_id}/autosave"
    # The rating autosave (twice: the first call fills the PostgreSQL one-statement cache), the comment autosave.
    for body in ({"item": items[0], "question": "agreement", "value": 2},
                 {"item": items[1], "question": "agreement", "value": 2},
                 {"item": items[0], "comment": "mine"}):
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 403, r.json
        assert "consent" in r.json["error"]
    # A consented expert fills the cache, then the unconsented one tries again.
    with app.test_client() as other:
        page = other.get("/auth/login")
        other.post("/auth/login", data={"email": "expert2@example.org", "password": "correct-horse-battery",
                                        "csrf_token": csrf_from(page.data)})
        token = csrf_from(other.get("/expert/").data)
        assert other.post(url, json={"item": items[2], "question": "agreement", "value": 3},
                          headers={"X-CSRFToken": token}).status_code == 200
    r = client.post(url, json={"item": items[2], "question": "agreement", "value": 2}, headers=headers)
    assert r.status_code == 403
    # The Save button and the submission go through the services, which refuse too.
    with app.app_context():
        from delphi.services.studies import ratings
        from delphi.services.studies.panel import NotConsented

        rnd = db.session.get(Round, round_id)
        p = db.session.get(Panelist, pid)
        with pytest.raises(NotConsented):
            ratings.save(rnd, p, items[0], ratings={"agreement": 2})
        with pytest.raises(NotConsented):
            ratings.submit(rnd, p)
        db.session.rollback()
    token = csrf_from(client.get(f"/expert/rounds/{round_id}", follow_redirects=True).data)
    with app.app_context():
        domain = db.session.get(Round, round_id).round_items[0].item.domain_code
    client.post(f"/expert/rounds/{round_id}/domains/{domain}",
                data={"csrf_token": token, f"r-{items[0]}-agreement": "2"})
    client.post(f"/expert/rounds/{round_id}/submit", data={"csrf_token": token})
    assert _count(app, Rating, pid) == 0 and _count(app, Comment, pid) == 0
    with app.app_context():
        assert db.session.scalar(select(Participation.submitted_at).where(
            Participation.panelist_id == pid)) is None


@pytest.mark.parametrize("item", [2**63, 10**30, 2**31, 0, -1])
def test_hostile_item_ids_in_the_autosave_are_a_clear_400(app, client, login_as, item):
    with app.app_context():
        study = make_study(n_experts=1)
        rnd = open_first_round(study)
        db.session.commit()
        round_id = rnd.id
    login_as("expert1@example.org")
    token = csrf_from(client.get("/expert/").data)
    r = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item, "question": "agreement", "value": 3},
                    headers={"X-CSRFToken": token})
    assert r.status_code == 400 and "item id" in r.json["error"]
    r = client.post(f"/expert/rounds/{round_id}/autosave",
                    json={"item": 1, "question": "agreement", "value": 10**30}, headers={"X-CSRFToken": token})
    assert r.status_code == 400


def test_hostile_ids_in_urls_are_not_found_not_a_crash(app, client, login_as, make_user):
    make_user("olga@example.org", roles=("organiser",))
    login_as("olga@example.org")
    for path in (f"/organiser/studies/{2**63}", f"/organiser/studies/{10**30}", f"/assessor/assessments/{2**64}",
                 f"/studies/{2**63}/report"):
        assert client.get(path).status_code == 404, path


def test_other_panelists_comments_are_in_no_fixed_order_across_items(app):
    """Six experts comment on every item in the same order; the reader (E01) sees the others' comments. In id order,
    each author held the same place on every item; now an author's place varies between items."""
    with app.app_context():
        study = make_study(n_experts=6)
        rnd = open_first_round(study)
        from delphi.services.studies import ratings

        for ri in rnd.round_items:
            for p in study.panelists:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 2}, comment=f"{p.pseudonym} on {ri.item_id}")
        rounds.close(rnd, by=organiser())
        from delphi.services.studies import results

        reader = next(p for p in study.panelists if p.pseudonym == "E01")
        item_ids = [ri.item_id for ri in rnd.round_items][:20]
        shown = results.feedback(rnd, reader, item_ids)
        places: dict[str, set[int]] = {}
        for item_id in item_ids:
            comments = [c["text"] for c in shown[item_id]["comments"]]
            assert len(comments) == 5 and all("E01" not in c for c in comments)
            for place, text in enumerate(comments):
                places.setdefault(text.split()[0], set()).add(place)
        # Every author appears in several places (20 items, 5 places: a fixed order would give one each).
        assert all(len(p) >= 3 for p in places.values()), places
        # Stable across reloads.
        assert results.feedback(rnd, reader, item_ids) == shown
        db.session.rollback()


def test_rate_all_helper_still_counts_consented_panelists(app):
    """The consent check must not refuse the panel that did consent (make_study consents everyone)."""
    with app.app_context():
        study = make_study(n_experts=3)
        rnd = open_first_round(study)
        rate_all(rnd)
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 3 * len(rnd.round_items)
        db.session.rollback()


def test_adding_an_address_never_reveals_the_accounts_name(app, client, login_as, make_user):
    """An organiser types someone's address with a made-up name: the panel page shows the typed name, not the
    account's (here an administrator's real name), until the expert consents."""
    make_user("olga@example.org", roles=("organiser",))
    make_user("ada@example.org", name="Ada Lovelace-Secret", roles=("admin",))
    with app.app_context():
        study = make_study(n_experts=0, by=organiser())
        db.session.commit()
        study_id = study.id
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    r = client.post(f"/organiser/studies/{study_id}/panel", data={
        "csrf_token": csrf_from(page.data), "email": "ada@example.org", "name": "Whoever"}, follow_redirects=True)
    html = r.data.decode()
    assert r.status_code == 200 and "Whoever" in html and "Lovelace-Secret" not in html
    # A correction before consent changes the organiser's label only, never the account of someone else.
    with app.app_context():
        p = db.session.scalar(select(Panelist).where(Panelist.study_id == study_id))
        pid = p.id
    r = client.post(f"/organiser/studies/{study_id}/panel/{pid}/edit", data={
        "csrf_token": csrf_from(html), "name": "Another guess"}, follow_redirects=True)
    assert "Another guess" in r.data.decode() and "Lovelace-Secret" not in r.data.decode()
    with app.app_context():
        from delphi.models import User
        from delphi.services.studies import panel

        assert db.session.scalar(select(User.name).where(User.email == "ada@example.org")) == "Ada Lovelace-Secret"
        panel.consent(db.session.get(Panelist, pid), None)  # the expert joins: their own name shows from now on
        db.session.commit()
    assert "Ada Lovelace-Secret" in client.get(f"/organiser/studies/{study_id}/panel").data.decode()
