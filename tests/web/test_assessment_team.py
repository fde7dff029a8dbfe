"""Issue 15, nothing lost in a team: a member's own level never carries shared fields with it, shared fields are
saved field by field (a real conflict on one field shows both versions and lets the person choose), one refused
field never discards the others, and a member sees their own progress beside the team's agreed progress."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest

from tests.conftest import csrf_from, csrf_token
from tests.web.test_assessment_fixtures import add_member, indicator_ids, start

LEAD, ANA = "lead@pt.example", "ana@pt.example"


class _Form(HTMLParser):
    """The fields a browser would submit from the answer form: what the page shows, as the page shows it."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind != "submit":
                self.data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_of(html: str | bytes) -> dict[str, str]:
    parser = _Form()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return dict(parser.data)


@pytest.fixture
def team(app, client, login_as):
    add_member(app, "Portugal", LEAD, "lead", name="Lena Lead")
    add_member(app, "Portugal", ANA, "assessor", name="Ana Assessor")
    aid = start(app, "Portugal", LEAD, team=(ANA,), team_mode=True, reference_date=date(2025, 1, 31))
    ids = indicator_ids(app, aid)
    return {"aid": aid, "ids": ids, "i21": ids[1]}  # I.2.1, in domain I (the issue saw it on II.2.1)


@pytest.fixture
def lead(app, team):
    """The lead, in a browser of their own (a second test client), and a CSRF token for the autosave."""
    from tests.conftest import PASSWORD

    other = app.test_client()
    other.post("/auth/login", data={"email": LEAD, "password": PASSWORD, "csrf_token": csrf_token(other)})
    return other, csrf_token(other, f"/assessor/assessments/{team['aid']}/domains/1")


def _as(client, login_as, email, page):
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/assessor/", follow_redirects=True).data)})
    login_as(email)
    return csrf_token(client, page)


def _autosave(client, aid, ind, token, payload):
    return client.post(f"/assessor/assessments/{aid}/indicators/{ind}/answer", json=payload,
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def _answer(app, ind):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer

    with app.app_context():
        row = db.session.query(AssessmentAnswer).filter_by(indicator_id=ind).one_or_none()
        return None if row is None else {"evidence": row.evidence, "target_level": row.target_level,
                                         "current_level": row.current_level, "revision": row.revision}


def _my_level(app, ind, email=ANA):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentMemberLevel
    from delphi.services.accounts import users

    with app.app_context():
        row = db.session.query(AssessmentMemberLevel).filter_by(
            indicator_id=ind, user_id=users.find_by_email(email).id).one_or_none()
        return None if row is None else row.level


# --------------------------------------------------------------------------------------------------------------
# 1. A member's level never carries shared fields; shared fields are saved field by field


def test_member_saving_their_level_twice_from_a_stale_page_keeps_the_leads_evidence(app, client, login_as, team,
                                                                                     lead):
    aid, ind = team["aid"], team["i21"]
    page_url = f"/assessor/assessments/{aid}/domains/1"
    login_as(ANA)
    stale = client.get(page_url)  # Ana opens the page before the lead writes
    lead_client, token = lead
    assert _autosave(lead_client, aid, ind, token, {"evidence": "Lead: national strategy 2024", "revision": 0}
                     ).status_code == 200
    form = form_of(stale.data)
    form[f"a{ind}-my_level"] = "3"  # she clicks a level, nothing else
    first = client.post(page_url, data=form)
    second = client.post(page_url, data=form_of(first.data) if first.status_code == 400 else form)
    assert second.status_code in (200, 302)
    assert _answer(app, ind)["evidence"] == "Lead: national strategy 2024"
    assert _my_level(app, ind) == 3


def test_a_leads_change_to_shared_fields_never_blocks_a_members_level_in_the_autosave(app, client, login_as, team):
    aid, ind = team["aid"], team["i21"]
    page_url = f"/assessor/assessments/{aid}/domains/1"
    token = _as(client, login_as, LEAD, page_url)
    _autosave(client, aid, ind, token, {"evidence": "Lead's evidence", "revision": 0})
    token = _as(client, login_as, ANA, page_url)
    r = _autosave(client, aid, ind, token, {"my_level": 4, "revision": 0})  # the script sends what changed
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["saved"] == ["my_level"]
    assert _my_level(app, ind) == 4 and _answer(app, ind)["evidence"] == "Lead's evidence"
    # A shared field the lead did not touch is saved too, though the page started from revision 0.
    r = _autosave(client, aid, ind, token, {"target_level": 5, "revision": 0})
    assert r.status_code == 200 and _answer(app, ind)["target_level"] == 5
    assert _answer(app, ind)["evidence"] == "Lead's evidence"


def test_a_real_conflict_on_one_field_answers_409_with_both_values_and_keep_mine_resolves_it(
        app, client, login_as, team):
    aid, ind = team["aid"], team["i21"]
    page_url = f"/assessor/assessments/{aid}/domains/1"
    token = _as(client, login_as, LEAD, page_url)
    _autosave(client, aid, ind, token, {"evidence": "Lead's evidence", "revision": 0})
    token = _as(client, login_as, ANA, page_url)
    r = _autosave(client, aid, ind, token, {"evidence": "Ana's evidence", "confidence": "high", "my_level": 2,
                                            "revision": 0})
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "conflict" and "changed by Lena Lead after you opened this page" in body["message"]
    assert body["conflicts"]["evidence"]["mine"] == "Ana's evidence"
    assert body["conflicts"]["evidence"]["theirs"] == "Lead's evidence"
    assert body["conflicts"]["evidence"]["by"] == "Lena Lead"
    assert sorted(body["saved"]) == ["confidence", "my_level"]  # the fields without a conflict were saved
    assert _answer(app, ind)["evidence"] == "Lead's evidence" and _my_level(app, ind) == 2
    # Keep mine: save again from the revision the conflict named.
    rev = body["conflicts"]["evidence"]["revision"]
    r = _autosave(client, aid, ind, token, {"evidence": "Ana's evidence", "revisions": {"evidence": rev}})
    assert r.status_code == 200 and _answer(app, ind)["evidence"] == "Ana's evidence"


def test_a_real_conflict_on_the_page_shows_both_versions_and_the_person_chooses(app, client, login_as, team, lead):
    aid, ind = team["aid"], team["i21"]
    page_url = f"/assessor/assessments/{aid}/domains/1"
    login_as(ANA)
    stale = client.get(page_url)
    lead_client, token = lead
    _autosave(lead_client, aid, ind, token, {"evidence": "Lead's evidence", "revision": 0})
    form = form_of(stale.data)
    form[f"a{ind}-evidence"] = "Ana's evidence"
    form[f"a{ind}-my_level"] = "2"
    r = client.post(page_url, data=form)
    assert r.status_code == 400
    html = r.data.decode()
    assert "I.2.1 was changed by Lena Lead after you opened this page" in html
    assert "Lead&#39;s evidence" in html and "Ana&#39;s evidence" in html
    assert f'name="a{ind}-evidence-choice" value="mine"' in html and f'name="a{ind}-evidence-choice" value="theirs"' in html
    assert _answer(app, ind)["evidence"] == "Lead's evidence" and _my_level(app, ind) == 2
    # Saving again without choosing overwrites nothing.
    again = client.post(page_url, data=form_of(html))
    assert again.status_code == 400 and _answer(app, ind)["evidence"] == "Lead's evidence"
    # Take theirs: the lead's evidence stays, and the page then shows it.
    choose = form_of(again.data)
    choose[f"a{ind}-evidence-choice"] = "theirs"
    assert client.post(page_url, data=choose).status_code == 302
    assert _answer(app, ind)["evidence"] == "Lead's evidence"
    # Keep mine, on a second conflict.
    stale = client.get(page_url)
    _autosave(lead_client, aid, ind, token, {"evidence": "Lead's second thoughts",
                                             "revision": _answer(app, ind)["revision"]})
    form = form_of(stale.data)
    form[f"a{ind}-evidence"] = "Ana's evidence"
    conflict = client.post(page_url, data=form)
    assert conflict.status_code == 400
    choose = form_of(conflict.data)
    choose[f"a{ind}-evidence-choice"] = "mine"
    assert client.post(page_url, data=choose).status_code == 302
    assert _answer(app, ind)["evidence"] == "Ana's evidence"


def test_the_leads_agreement_page_saves_only_what_the_lead_changed(app, client, login_as, team):
    aid, ind = team["aid"], team["i21"]
    consensus = f"/assessor/assessments/{aid}/domains/1/consensus"
    token = _as(client, login_as, LEAD, consensus)
    stale = client.get(consensus)
    _autosave(client, aid, ind, token, {"target_level": 5, "revision": 0})  # e.g. from the answer page
    form = form_of(stale.data)
    form[f"a{ind}-current_level"] = "3"
    r = client.post(consensus, data=form)
    assert r.status_code == 302, r.data.decode()[:2000]
    assert (_answer(app, ind)["current_level"], _answer(app, ind)["target_level"]) == (3, 5)


# --------------------------------------------------------------------------------------------------------------
# 2. One refused field never discards the indicator's other fields


@pytest.fixture
def solo(app, client, login_as):
    add_member(app, "Portugal", LEAD, "lead", name="Lena Lead")
    aid = start(app, "Portugal", LEAD, reference_date=date(2025, 1, 31))
    login_as(LEAD)
    page_url = f"/assessor/assessments/{aid}/domains/1"
    return {"aid": aid, "ind": indicator_ids(app, aid)[0], "url": page_url, "token": csrf_token(client, page_url)}


def test_a_refused_target_does_not_discard_the_evidence_typed_after_it(app, client, solo):
    aid, ind, token = solo["aid"], solo["ind"], solo["token"]
    assert _autosave(client, aid, ind, token, {"current_level": 4, "revision": 0}).status_code == 200
    refused = _autosave(client, aid, ind, token, {"target_level": 2, "revision": 1})
    assert refused.status_code == 400 and refused.get_json()["field"] == "target_level"
    # The script keeps sending the refused value with the next change: the evidence is saved, the target refused.
    r = _autosave(client, aid, ind, token, {"target_level": 2, "evidence": "Typed after", "revision": 1})
    assert r.status_code == 400
    body = r.get_json()
    assert body["field"] == "target_level" and "below the current level (4)" in body["message"]
    assert body["saved"] == ["evidence"] and list(body["refused"]) == ["target_level"]
    assert "The other changes were saved" in body["message"]
    assert _answer(app, ind) == {"evidence": "Typed after", "target_level": None, "current_level": 4, "revision": 2}


def test_a_refused_field_on_the_page_keeps_its_value_and_message_and_the_rest_is_saved(app, client, solo):
    ind = solo["ind"]
    form = form_of(client.get(solo["url"]).data)
    form.update({f"a{ind}-current_level": "4", f"a{ind}-target_level": "2", f"a{ind}-evidence": "Board minutes",
                 "next": "1"})
    r = client.post(solo["url"], data=form)
    assert r.status_code == 400  # stays on the page: nothing refused is lost by going on
    html = r.data.decode()
    assert f'id="a{ind}-target_level-error"' in html and "The target level (2) is below the current level (4)" in html
    assert re.search(r'<option value="2" selected>Level 2', html.split(f'id="a{ind}-target_level"')[1])
    assert "Board minutes" in html
    assert _answer(app, ind) == {"evidence": "Board minutes", "target_level": None, "current_level": 4, "revision": 1}
    # Without JavaScript, the links to other domains warn that the refused value is not saved.
    assert "not saved yet" in html.split('class="pager"')[1].split("</nav>")[0]
    # Correcting it saves it.
    form = form_of(html)
    form[f"a{ind}-target_level"] = "5"
    assert client.post(solo["url"], data=form).status_code == 302
    assert _answer(app, ind)["target_level"] == 5 and _answer(app, ind)["evidence"] == "Board minutes"


# --------------------------------------------------------------------------------------------------------------
# 3. A member sees their own progress beside the team's agreed progress, and their own last save


def test_a_member_who_rated_everything_sees_their_own_progress_and_the_teams(app, client, login_as, team, lead):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentMemberLevel

    aid, ids = team["aid"], team["ids"]
    page_url = f"/assessor/assessments/{aid}/domains/1"
    token = _as(client, login_as, ANA, page_url)
    for ind in ids:
        r = _autosave(client, aid, ind, token, {"my_level": 2})
        assert r.status_code == 200
    body = r.get_json()
    assert body["progress"] == {"answered": 0, "total": 49}  # agreed levels
    assert body["my_progress"] == {"answered": 49, "total": 49}
    html = client.get(page_url).data.decode()
    assert "Your levels: 49 of 49" in html and "Agreed by the team: 0 of 49" in html
    overview = client.get(f"/assessor/assessments/{aid}").data.decode()
    assert "Your levels: 49 of 49" in overview and "Agreed by the team: 0 of 49" in overview
    # "Saved at" is the member's own last save, not the lead's later one.
    with app.app_context():
        db.session.query(AssessmentMemberLevel).filter_by(indicator_id=ids[0]).update(
            {"updated_at": datetime(2020, 3, 4, 10, 11, tzinfo=timezone.utc)})
        db.session.commit()
    lead_client, lead_token = lead
    _autosave(lead_client, aid, ids[0], lead_token, {"evidence": "Lead's evidence", "revision": 0})
    html = client.get(page_url).data.decode()
    status = html.split(f'id="a{ids[0]}-status"')[1].split("</p>")[0]
    assert "You last saved 2020-03-04 10:11 UTC" in status
