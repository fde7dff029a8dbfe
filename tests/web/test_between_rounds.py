"""The organiser's work between rounds, as a real study meets it: every datetime aware, deadlines extended,
experts told when a round opens and when it has closed, decisions on an indicator settling the items under it in
any order, releases named like releases and showing their real counts."""
from __future__ import annotations

import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from sqlalchemy import select

from delphi.db import UTCDateTime, utcnow
from delphi.extensions import db
from delphi.models import Decision, Item, ItemDecision, ItemState, Round, Study
from delphi.services.release import publication
from delphi.services.studies import decisions, ratings, rounds
from tests.conftest import PASSWORD, csrf_from, outbox
from tests.study_helpers import make_study, open_first_round, organiser

LEVEL_KINDS = ("indicator", "level_set", "level")


def _closed_round_one(kinds=LEVEL_KINDS, n_experts=3):
    """Round 1 rated by everyone and closed; returns (study, round)."""
    study = make_study(n_experts=n_experts, kinds=kinds)
    rnd = open_first_round(study)
    for p in study.panelists:
        for ri in rnd.round_items:
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": 3})
        ratings.submit(rnd, p)
    rounds.close(rnd, by=organiser())
    return study, rnd


def _item(study: Study, code: str) -> Item:
    return next(i for i in study.items if i.code == code)


def _decide_the_rest(rnd: Round, decision=Decision.ACCEPT) -> None:
    made = set(db.session.scalars(select(ItemDecision.item_id).where(ItemDecision.round_id == rnd.id)))
    for ri in rnd.round_items:
        if ri.item_id not in made:
            decisions.decide(rnd, ri.item, decision, by=organiser())


def _login(app, email):
    client = app.test_client()
    token = csrf_from(client.get("/auth/login").data)
    r = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    return client


# --- Datetimes -------------------------------------------------------------------------------------------------

def test_extending_the_deadline_of_an_open_round_works(app):
    with app.app_context():
        study = make_study(n_experts=1)
        rnd = open_first_round(study)
        db.session.commit()
        study_id, round_id = study.id, rnd.id
    client = _login(app, "olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}")
    new = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/organiser/rounds/{round_id}/extend", data={"csrf_token": csrf_from(page.data),
                                                                 "deadline": new}, follow_redirects=True)
    assert r.status_code == 200
    assert b"now closes" in r.data
    with app.app_context():
        deadline = db.session.get(Round, round_id).deadline
        assert deadline.tzinfo is not None
        assert deadline.strftime("%Y-%m-%dT%H:%M") == new


def test_every_datetime_column_is_declared_utc_aware():
    from delphi.models import Study as _  # noqa: F401  (the whole metadata)

    naive = [f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns
             if column.type.python_type is datetime and not isinstance(column.type, UTCDateTime)]
    assert naive == []


def test_every_datetime_read_back_from_the_database_is_aware_utc(app, runner):
    """Every datetime column of every table, filled by the demo data and a study taken through two rounds."""
    from tests.web.test_release import _two_round_study

    assert runner.invoke(args=["delphi", "seed-demo"]).exit_code == 0
    with app.app_context():
        _two_round_study()
        db.session.commit()
        checked, bad = 0, []
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if c.type.python_type is datetime]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)).all():
                for column, value in zip(columns, row):
                    if value is None:
                        continue
                    checked += 1
                    if value.tzinfo is None or value.utcoffset() != timedelta(0):
                        bad.append(f"{table.name}.{column.name}={value!r}")
    assert checked > 100
    assert bad == []


# --- Telling the panel -----------------------------------------------------------------------------------------

def test_opening_a_round_emails_every_consented_panelist(app):
    with app.app_context():
        study = make_study(n_experts=3)
        from delphi.services.studies import panel

        panel.add(study, "late@example.org", "Late Expert", by=organiser())  # invited, never consented
        deadline = (utcnow() + timedelta(days=10)).replace(second=0, microsecond=0)
        rnd = rounds.open_round(study, deadline, by=organiser())
        db.session.commit()
        n_items = len(rnd.round_items)
    mails = [m for m in outbox(app) if "round 1" in m["Subject"].lower()]
    assert sorted(m["To"] for m in mails) == [f"expert{i}@example.org" for i in (1, 2, 3)]
    body = mails[0].get_content()
    assert "MLM validation" in mails[0]["Subject"]
    assert deadline.strftime("%d %b %Y %H:%M") in body
    assert f"{n_items} items" in body
    assert "minutes" in body  # a time estimate
    assert re.search(r"http://\S+/expert/rounds/\d+", body)


def test_a_closed_round_reads_as_closed_to_experts(app):
    with app.app_context():
        study, rnd = _closed_round_one(kinds=("indicator",))
        db.session.commit()
        round_id = rnd.id
        domain = rnd.round_items[0].item.domain_code
    client = _login(app, "expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Open until" not in html
    assert "Submit round 1" not in html
    assert "Save this page" not in html
    assert "Round 1 closed" in html
    assert 'data-autosave' not in html  # nothing on the page tries to save
    home = client.get("/expert/").data.decode()
    assert "Round 1 closed" in home


def test_after_the_study_ends_the_expert_home_does_not_promise_another_round(app):
    from tests.web.test_release import _two_round_study

    with app.app_context():
        study = db.session.get(Study, _two_round_study())
        publication.publish(study, "2027", "", by=organiser())
        db.session.commit()
    home = _login(app, "expert1@example.org").get("/expert/").data.decode()
    assert "next round" not in home
    assert "The study has ended" in home


# --- Decisions on an indicator settle everything under it, in any order ----------------------------------------

@pytest.mark.parametrize("order", ["indicator first", "levels first"])
@pytest.mark.parametrize("action", ["merge", "drop"])
def test_a_drop_or_merge_of_an_indicator_settles_its_levels_and_the_next_round_opens(app, order, action):
    with app.app_context():
        study, rnd = _closed_round_one()
        org = organiser()
        source = _item(study, "II.3.3")
        target = _item(study, "II.3.2")
        level = _item(study, "II.3.3:L2")

        def decide_indicator():
            if action == "merge":
                decisions.decide(rnd, source, Decision.MERGE, by=org, merge_into=target)
            else:
                decisions.decide(rnd, source, Decision.DROP, by=org, reason="Out of scope")

        if order == "levels first":
            decisions.decide(rnd, level, Decision.RERATE, by=org)
            decisions.decide(rnd, _item(study, "II.3.3:levels"), Decision.ACCEPT, by=org)
            decide_indicator()
        else:
            decide_indicator()
            with pytest.raises(Exception) as refused:
                decisions.decide(rnd, level, Decision.RERATE, by=org)
            assert "II.3.3" in str(refused.value)
        _decide_the_rest(rnd, Decision.RERATE)
        rnd2 = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
        codes = {ri.item.code for ri in rnd2.round_items}
        assert not any(c.startswith("II.3.3") for c in codes)
        assert "II.3.2" in codes
        row = db.session.scalar(select(ItemDecision).where(ItemDecision.round_id == rnd.id,
                                                           ItemDecision.item_id == level.id))
        assert row.decision == (Decision.MERGE if action == "merge" else Decision.DROP)
        assert row.settled_by_id == source.id
        assert level.state == (ItemState.MERGED if action == "merge" else ItemState.DROPPED)


def test_the_dashboard_shows_a_settled_level_as_decided_with_its_indicator(app):
    with app.app_context():
        study, rnd = _closed_round_one()
        decisions.decide(rnd, _item(study, "III.5.2"), Decision.DROP, by=organiser(), reason="Duplicate")
        db.session.commit()
        round_id = rnd.id
    client = _login(app, "olga@example.org")
    html = client.get(f"/organiser/rounds/{round_id}?domain=III&state=decided").data.decode()
    assert "dropped with III.5.2" in html


# --- Releases --------------------------------------------------------------------------------------------------

def test_a_release_label_that_looks_like_a_draft_is_refused(app):
    from delphi.errors import InvalidInput
    from tests.web.test_release import _two_round_study

    with app.app_context():
        study = db.session.get(Study, _two_round_study())
        for label in ("draft-9", "Draft", "2027-draft", "draft2"):
            with pytest.raises(InvalidInput, match="draft"):
                publication.publish(study, label, "", by=organiser())
        assert study.released_version_id is None


def test_a_release_that_dropped_indicators_states_its_real_counts(app):
    with app.app_context():
        study, rnd = _closed_round_one(kinds=("indicator",))
        org = organiser()
        for code in ("II.3.3", "III.5.2"):
            decisions.decide(rnd, _item(study, code), Decision.DROP, by=org, reason="Out of scope")
        _decide_the_rest(rnd)
        version = publication.publish(study, "2027", "", by=org)
        db.session.commit()
        study_id, slug = study.id, version.framework.slug
    client = _login(app, "olga@example.org")
    page = client.get(f"/frameworks/{slug}/2027").data.decode()
    assert "47 indicators" in page and "49 indicators" not in page
    package = client.get(f"/organiser/studies/{study_id}/data-package.zip")
    final = json.loads(zipfile.ZipFile(BytesIO(package.data)).read("framework-final.json"))
    assert "47 indicators" in final["description"] and "49" not in final["description"]
    assert sum(len(s["indicators"]) for d in final["domains"] for s in d["subdomains"]) == 47


def test_datetimes_compare_with_aware_now(app):
    """The service that failed: extend compares the stored deadline with now."""
    with app.app_context():
        study = make_study(n_experts=1)
        rnd = open_first_round(study)
        db.session.commit()
        db.session.expire_all()
        rnd = db.session.get(Round, rnd.id)
        rounds.extend(rnd, datetime.now(timezone.utc) + timedelta(days=20), by=organiser())
        assert rnd.deadline > utcnow()


# --- One definition of a respondent ----------------------------------------------------------------------------

@pytest.mark.parametrize("definition, respondents, n_first", [("any_rating", 3, 3), ("submitted", 2, 2)])
def test_one_definition_of_a_respondent_for_the_dashboard_statistics_report_and_package(
        app, definition, respondents, n_first):
    import csv
    import io

    from delphi.services.release import report
    from delphi.services.studies import design

    with app.app_context():
        study = make_study(n_experts=3, kinds=("indicator",))
        protocol = dict(study.protocol, respondents=definition)
        design.set_protocol(study, protocol, by=organiser())
        rnd = open_first_round(study)
        first = rnd.round_items[0]
        for p in study.panelists:
            if p.pseudonym == "E03":  # rates one item, never submits
                ratings.save(rnd, p, first.item_id, ratings={"agreement": 1})
                continue
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 3})
            ratings.submit(rnd, p)
        rounds.close(rnd, by=organiser())
        db.session.commit()
        stored = rnd.results
        first_code = first.item.code
        summary = report.build(study)["rounds"][0]
        study_id, round_id = study.id, rnd.id
    assert stored["respondents"]["count"] == respondents
    assert stored["respondents"]["partial"] == 1 and stored["respondents"]["submitted"] == 2
    row = next(r for r in stored["questions"]["agreement"]["items"] if r["item"] == first_code)
    assert row["n"] == n_first
    assert summary.respondents == respondents and summary.partial == 1
    assert summary.response_rate == pytest.approx(respondents / 3)

    client = _login(app, "olga@example.org")
    page = client.get(f"/organiser/rounds/{round_id}?domain={first_code.split('.')[0]}").data.decode()
    percent = round(100 * respondents / 3)
    assert f"{respondents} of 3 panelists responded ({percent}%)" in page
    assert "1 rated without submitting" in page
    assert "response rate 100" not in page  # no second, disagreeing figure

    package = zipfile.ZipFile(BytesIO(client.get(f"/organiser/studies/{study_id}/data-package.zip").data))
    assert json.loads(package.read("analysis.json"))["respondents"] == definition
    counted = {r["panelist"] for r in csv.DictReader(io.StringIO(package.read("ratings.csv").decode()))}
    assert counted == ({"E01", "E02", "E03"} if definition == "any_rating" else {"E01", "E02"})
    if definition == "submitted":
        left_out = list(csv.DictReader(io.StringIO(package.read("ratings-not-counted.csv").decode())))
        assert {r["panelist"] for r in left_out} == {"E03"}
    rounds_csv = list(csv.DictReader(io.StringIO(package.read("rounds.csv").decode())))
    assert rounds_csv[0]["respondents"] == str(respondents)


# --- Declarations of interest and where each expert stands -----------------------------------------------------

@pytest.mark.parametrize("publish", [False, True])
def test_declarations_of_interest_reach_the_organiser_and_the_report_without_attribution(app, publish):
    from delphi.services.studies import design, panel

    with app.app_context():
        study = make_study(n_experts=3, kinds=("indicator",))
        design.set_protocol(study, dict(study.protocol, publish_interests=publish), by=organiser())
        e1 = next(p for p in study.panelists if p.pseudonym == "E01")
        panel.consent(e1, "Advisory board of a sequencing company")
        rnd = open_first_round(study)
        ratings.save(rnd, e1, rnd.round_items[0].item_id, ratings={"agreement": 3})
        db.session.commit()
        study_id = study.id
    client = _login(app, "olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel").data.decode()
    assert "Advisory board of a sequencing company" in page
    row = re.search(r'<tr id="panelist-\d+"[^>]*><td>E01.*?</tr>', page, re.S).group(0)
    assert "started" in row and "agreement" not in row  # progress, never a rating
    assert re.search(r'<tr id="panelist-\d+"[^>]*><td>E02.*?not started', page, re.S)

    report = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    assert "1 of the 3 panelists who consented declared interests" in report
    assert ("Advisory board of a sequencing company" in report) == publish
    package = zipfile.ZipFile(BytesIO(client.get(f"/organiser/studies/{study_id}/data-package.zip").data))
    assert ("interests.csv" in package.namelist()) == publish
    if publish:
        text = package.read("interests.csv").decode()
        assert "Advisory board" in text and "E01" not in text


# --- Undo and decisions on many items --------------------------------------------------------------------------

def _draft_checksum(study: Study) -> str:
    import framework as fwlib

    from delphi.services.frameworks import versions

    db.session.expire_all()
    return fwlib.checksum(versions.to_document(study.framework_version))


def _states(study: Study) -> dict[str, str]:
    return {i.code: i.state.value for i in study.items}


@pytest.mark.parametrize("decision, code, extra", [
    (Decision.REVISE, "II.3.3", {"new_text": "A new statement", "reason": "comments"}),
    (Decision.REVISE, "II.3.3:levels", {"new_levels": [f"New level {n}" for n in range(1, 6)], "reason": "c"}),
    (Decision.DROP, "II.3", {"reason": "out of scope"}),
    (Decision.DROP, "II.3.3", {"reason": "out of scope"}),
    (Decision.MERGE, "II.3", {"merge_into": "II.2"}),
    (Decision.MERGE, "II.3.3", {"merge_into": "II.3.2"}),
    (Decision.ACCEPT, "II.3.3:L2", {}),
])
def test_undo_puts_the_draft_and_the_items_back_as_they_were(app, decision, code, extra):
    with app.app_context():
        study, rnd = _closed_round_one(kinds=("subdomain", "indicator", "level_set", "level"))
        org = organiser()
        checksum, states = _draft_checksum(study), _states(study)
        kwargs = dict(extra)
        if "merge_into" in kwargs:
            kwargs["merge_into"] = _item(study, kwargs["merge_into"])
        decisions.decide(rnd, _item(study, code), decision, by=org, **kwargs)
        assert _draft_checksum(study) != checksum or decision == Decision.ACCEPT
        decisions.undo(rnd, _item(study, code), by=org)
        assert _draft_checksum(study) == checksum
        assert _states(study) == states
        assert db.session.scalars(select(ItemDecision).where(ItemDecision.round_id == rnd.id)).all() == []
        # ... and the study goes on: decide everything, open round 2.
        decisions.decide(rnd, _item(study, code), decision, by=org, **kwargs)
        _decide_the_rest(rnd, Decision.RERATE)
        assert rounds.open_round(study, utcnow() + timedelta(days=7), by=org).number == 2


def test_a_settled_item_and_a_decision_after_the_next_round_opened_cannot_be_undone(app):
    from delphi.errors import InvalidInput

    with app.app_context():
        study, rnd = _closed_round_one()
        org = organiser()
        decisions.decide(rnd, _item(study, "II.3.3"), Decision.DROP, by=org, reason="scope")
        with pytest.raises(InvalidInput, match="undo that decision instead"):
            decisions.undo(rnd, _item(study, "II.3.3:L2"), by=org)
        with pytest.raises(InvalidInput, match="no decision to undo"):
            decisions.undo(rnd, _item(study, "II.3.2"), by=org)
        _decide_the_rest(rnd, Decision.RERATE)
        rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
        with pytest.raises(InvalidInput, match="later round has opened"):
            decisions.undo(rnd, _item(study, "II.3.3"), by=org)


def test_decisions_on_many_items_skip_the_decided_and_the_impossible(app):
    with app.app_context():
        study, rnd = _closed_round_one()
        org = organiser()
        decisions.decide(rnd, _item(study, "II.3.3"), Decision.DROP, by=org, reason="scope")
        decisions.decide(rnd, _item(study, "II.3.2"), Decision.RERATE, by=org)
        n = decisions.decide_many(rnd, [ri.item for ri in rnd.round_items], Decision.ACCEPT, by=org)
        total = len(rnd.round_items)
        settled = 1 + 1 + 5  # II.3.3, its level set and its five levels
        assert n == total - settled - 1
        made = db.session.scalars(select(ItemDecision).where(ItemDecision.round_id == rnd.id)).all()
        assert len(made) == total and len({d.item_id for d in made}) == total
        assert _item(study, "II.3.2").state == ItemState.ACTIVE
        with pytest.raises(Exception, match="one by one"):
            decisions.decide_many(rnd, [_item(study, "II.3.1")], Decision.DROP, by=org)


# --- The panel as a living list --------------------------------------------------------------------------------

@pytest.mark.parametrize("kept", ["keep", "exclude"])
def test_a_withdrawn_panelist_rates_no_more_is_told_nothing_and_counts_as_the_protocol_says(app, kept):
    from delphi.models import Panelist
    from delphi.services.release import report
    from delphi.services.studies import design, panel

    with app.app_context():
        study = make_study(n_experts=3, kinds=("indicator",))
        design.set_protocol(study, dict(study.protocol, withdrawn_ratings=kept), by=organiser())
        rnd = open_first_round(study)
        for p in study.panelists:
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 1 if p.pseudonym == "E03" else 3})
        e3 = next(p for p in study.panelists if p.pseudonym == "E03")
        panel.withdraw(e3, "moved abroad", by=organiser())
        db.session.commit()
        round_id, item_id, study_id = rnd.id, rnd.round_items[0].item_id, study.id
        with pytest.raises(panel.Withdrawn):
            ratings.save(rnd, e3, item_id, ratings={"agreement": 2})
        with pytest.raises(panel.Withdrawn):
            ratings.submit(rnd, e3)
        db.session.rollback()
        assert panel.remind(db.session.get(Round, round_id), by=organiser(), base_url="http://x") == 2

    expert = _login(app, "expert3@example.org")
    token = csrf_from(expert.get("/expert/").data)
    r = expert.post(f"/expert/rounds/{round_id}/autosave", json={"item": item_id, "question": "agreement",
                                                                 "value": 2}, headers={"X-CSRFToken": token})
    assert r.status_code == 409 and "withdrawn" in r.json["error"]
    assert "You withdrew from this study" in expert.get("/expert/").data.decode()

    with app.app_context():
        study = db.session.get(Study, study_id)
        rounds.close(study.current_round, by=organiser())
        decisions.decide_many(study.current_round, [ri.item for ri in study.current_round.round_items],
                              Decision.RERATE, by=organiser())
        rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        db.session.commit()
        closed = study.rounds[0]
        row = closed.results["questions"]["agreement"]["items"][0]
        assert row["n"] == (3 if kept == "keep" else 2)
        assert closed.results["respondents"]["panel"] == (3 if kept == "keep" else 2)
        assert report.build(study)["withdrawn"] == 1
        e3_id = db.session.scalar(select(Panelist.id).where(Panelist.study_id == study_id, Panelist.pseudonym == "E03"))
    told = [m["To"] for m in outbox(app) if "Round 2 of" in m["Subject"]]
    assert sorted(told) == ["expert1@example.org", "expert2@example.org"]
    client = _login(app, "olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    assert "1 withdrew during the study" in page
    assert f'id="panelist-{e3_id}" class="withdrawn"' in client.get(f"/organiser/studies/{study_id}/panel").data.decode()


def test_the_organiser_corrects_details_and_sends_a_new_invitation_link(app):
    import re as _re

    from delphi.models import Panelist
    from delphi.services.studies import panel

    with app.app_context():
        study = make_study(n_experts=0, kinds=("indicator",))
        p = panel.add(study, "new@example.org", "Nwe Expert", by=organiser())
        panel.invite(study, [p], by=organiser())
        db.session.commit()
        study_id, pid = study.id, p.id
    first_link = _re.search(r"http://\S+/auth/invite/\S+", outbox(app)[-1].get_content()).group(0)
    client = _login(app, "olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    token = csrf_from(page.data)
    base = f"/organiser/studies/{study_id}/panel/{pid}"
    r = client.post(base + "/edit", data={"csrf_token": token, "name": "New Expert", "stakeholder_group": "patients",
                                          "country": "Česko", "expertise": "ethics"}, follow_redirects=True)
    assert "details saved" in r.data.decode()
    r = client.post(base + "/invite", data={"csrf_token": token}, follow_redirects=True)
    assert "A new invitation was sent" in r.data.decode()
    new_link = _re.search(r"http://\S+/auth/invite/\S+", outbox(app)[-1].get_content()).group(0)
    assert new_link != first_link
    with app.app_context():
        p = db.session.get(Panelist, pid)
        assert (p.user.name, p.stakeholder_group, p.country) == ("New Expert", "patients", "Česko")
    assert app.test_client().get(first_link.replace("http://127.0.0.1:5000", "")).status_code == 400  # revoked
    fresh = app.test_client().get(new_link.replace("http://127.0.0.1:5000", ""))
    assert fresh.status_code == 200 and "Accept" in fresh.data.decode()
    mail = outbox(app)[-1].get_content()
    assert "items of the framework" in mail and "minutes" in mail  # what is asked and how long it takes


# --- Round 2 feedback: by group, with the expert's own previous comment ----------------------------------------

def test_small_groups_are_pooled_so_no_cell_has_fewer_than_three_answers():
    from delphi.services.studies.results import merge_small_groups

    def c(*n):
        return {str(k): v for k, v in enumerate(n, 1)}

    cells = merge_small_groups([("A", c(1, 2, 2)), ("B", c(0, 1, 2)), ("C", c(1, 0, 0)), ("D", c(0, 0, 1))])
    assert [(x["label"], x["n"]) for x in cells] == [("A", 5), ("B and other groups", 5)]
    assert cells[1]["counts"] == c(1, 1, 3) and cells[1]["members"] == ["B", "C", "D"]
    assert [x["label"] for x in merge_small_groups([("A", c(3, 0, 0)), ("C", c(1, 1, 0)), ("D", c(0, 0, 1))])] == [
        "A", "other groups"]
    # Only small groups: one pooled cell, which is the whole panel (the page then shows no group split at all).
    assert [(x["label"], x["n"]) for x in merge_small_groups([("A", c(1, 1, 0)), ("B", c(0, 0, 1))])] == [
        ("other groups", 3)]
    assert merge_small_groups([("A", c(1, 1, 0))]) == []


def test_pooled_groups_never_isolate_fewer_than_three_answers():
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    from delphi.services.studies.results import MIN_GROUP, merge_small_groups

    @settings(max_examples=200, deadline=None)
    @given(hs.lists(hs.tuples(hs.integers(0, 4), hs.integers(0, 4), hs.integers(0, 4)), min_size=1, max_size=6))
    def check(rows):
        groups = [(f"g{i}", {"1": a, "2": b, "3": d}) for i, (a, b, d) in enumerate(rows)]
        cells = merge_small_groups(groups)
        total = sum(a + b + d for a, b, d in rows)
        assert all(cell["n"] >= MIN_GROUP for cell in cells)
        if cells:  # every answer is in exactly one cell, so whole panel minus cells isolates nobody
            assert sum(cell["n"] for cell in cells) == total
            members = [m for cell in cells for m in cell["members"]]
            assert sorted(members) == sorted(g for g, counts in groups if sum(counts.values()))

    check()


@pytest.mark.parametrize("by_group", [True, False])
def test_round_two_feedback_shows_groups_when_the_protocol_says_and_the_experts_own_comment(app, by_group):
    from delphi.services.studies import design

    with app.app_context():
        study = make_study(n_experts=7, kinds=("domain",))  # 4 clinicians, 3 policy makers
        design.set_protocol(study, dict(study.protocol, feedback_by_group=by_group), by=organiser())
        rnd = open_first_round(study)
        for p in study.panelists:
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 1 if p.pseudonym == "E01" else 3},
                             comment="Split this domain in two" if p.pseudonym == "E01" else None)
        rounds.close(rnd, by=organiser())
        decisions.decide_many(rnd, [ri.item for ri in rnd.round_items], Decision.RERATE, by=organiser())
        rnd2 = rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        db.session.commit()
        round_id, domain = rnd2.id, rnd2.round_items[0].item.domain_code
    page = _login(app, "expert1@example.org").get(f"/expert/rounds/{round_id}/domains/{domain}").data.decode()
    assert "Your comment in round 1: <q>Split this domain in two</q>" in page
    assert ("By stakeholder group" in page) == by_group
    if by_group:
        assert "clinician (your group): n 4" in page and "policy: n 3" in page


def test_automatic_reminders_go_to_non_submitters_once_each_as_the_protocol_says(app, runner):
    from delphi.services.studies import design, panel

    with app.app_context():
        study = make_study(n_experts=3, kinds=("domain",))
        design.set_protocol(study, dict(study.protocol, reminder_days_before=[3, 1]), by=organiser())
        deadline = utcnow() + timedelta(days=10)
        rnd = rounds.open_round(study, deadline, by=organiser())
        e1 = next(p for p in study.panelists if p.pseudonym == "E01")
        for ri in rnd.round_items:
            ratings.save(rnd, e1, ri.item_id, ratings={"agreement": 3})
        ratings.submit(rnd, e1)
        db.session.commit()
        assert panel.send_due_reminders(now=deadline - timedelta(days=5)) == []  # not yet
        first = panel.send_due_reminders(now=deadline - timedelta(days=2, hours=12))
        assert [(days, n) for _, days, n in first] == [(3, 2)]
        assert panel.send_due_reminders(now=deadline - timedelta(days=2)) == []  # never twice
        second = panel.send_due_reminders(now=deadline - timedelta(hours=20))
        assert [(days, n) for _, days, n in second] == [(1, 2)]
        assert panel.send_due_reminders(now=deadline + timedelta(hours=1)) == []  # past the deadline: none
        db.session.commit()
    reminded = sorted(m["To"] for m in outbox(app) if m["Subject"].startswith("Reminder"))
    assert reminded == ["expert2@example.org", "expert2@example.org", "expert3@example.org", "expert3@example.org"]
    assert runner.invoke(args=["delphi", "send-reminders"]).output.strip() == "No reminder is due."
