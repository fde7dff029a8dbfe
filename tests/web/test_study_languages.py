"""Studies in several languages (issue 17): the protocol offers languages the framework has translations for, each
expert reads and rates in theirs, every rating and comment records its language, a round cannot open while a
language lacks a text, and a revision needs its translation revised too."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from delphi import i18n
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Comment, Decision, FrameworkTranslation, Panelist, Rating, Round, RoundItem, Study
from delphi.services.studies import decisions, design, languages, panel, panel_csv, ratings, rounds
from tests.conftest import csrf_from
from tests.study_helpers import make_study, open_first_round, organiser

# Our translation of the eight domain titles of the 1+MG MLM (the shipped MLM itself stays English-only).
GERMAN = {"I": "Governance und Strategie", "II": "Investitionen und Wirtschaftsmodell",
          "III": "Ethik, Gesetzgebung und Politik", "IV": "Öffentliches Bewusstsein und Akzeptanz",
          "V": "Kompetenzen und Organisation der Fachkräfte", "VI": "Klinische Organisation, Infrastruktur und Werkzeuge",
          "VII": "Leitlinien und Infrastruktur der klinischen Genomik",
          "VIII": "Datenmanagement, Standards und Infrastruktur"}
PORTUGUESE = {"I": "Governação e estratégia", "II": "Investimento e modelo económico",
              "III": "Ética, legislação e políticas", "IV": "Sensibilização e aceitação públicas",
              "V": "Competências e organização dos profissionais",
              "VI": "Organização clínica, infraestruturas e ferramentas",
              "VII": "Orientações e infraestruturas de genómica clínica",
              "VIII": "Gestão de dados, normas e infraestruturas"}


def translate(study: Study, language: str, titles: dict[str, str]) -> None:
    for code, title in titles.items():
        db.session.add(FrameworkTranslation(version_id=study.framework_version_id, language=language,
                                            key=f"domain.{code}.title", text=title))
    db.session.flush()


def multilingual_study(n_experts: int = 3) -> Study:
    """The eight domains rated by expert1 (German), expert2 (Portuguese) and expert3 (English, the source)."""
    study = make_study(n_experts=n_experts, kinds=("domain",))
    translate(study, "de", GERMAN)
    translate(study, "pt", PORTUGUESE)
    languages.set_languages(study, ["de", "pt"], {}, by=organiser())
    by_pseudonym = {p.pseudonym: p for p in study.panelists}
    by_pseudonym["E01"].language = "de"
    by_pseudonym["E02"].language = "pt"
    db.session.flush()
    return study


@pytest.fixture
def running(app):
    with app.app_context():
        study = multilingual_study()
        rnd = open_first_round(study)
        db.session.commit()
        return study.id, rnd.id


def test_the_platform_fills_in_its_own_default_texts_in_each_language_it_speaks(app):
    with app.app_context():
        study = multilingual_study()
        texts = study.protocol["texts"]
        german = texts["de"]["questions"]["agreement"]
        assert german["label"] == i18n.in_language(languages._DEFAULTS[0], "de") != "Do you agree with this item as worded?"
        assert german["labels"] == [i18n.in_language(x, "de") for x in ("Disagree", "Neither agree nor disagree", "Agree")] \
            or len(german["labels"]) == 3
        assert texts["pt"]["consent"] and texts["pt"]["consent"] != study.consent_text
        assert languages.problems(study) == {}


def test_a_language_the_framework_has_no_translation_for_is_refused_and_nothing_changes(app):
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",))
        before = dict(study.protocol)
        with pytest.raises(InvalidInput, match="no French translation"):
            languages.set_languages(study, ["fr"], {}, by=organiser())
        with pytest.raises(InvalidInput, match="not a language tag"):
            languages.set_languages(study, ["not a tag!"], {}, by=organiser())
        assert study.protocol == before and languages.offered(study) == ["en"]


def test_a_round_cannot_open_while_a_language_lacks_a_text_and_says_which(app):
    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",))
        translate(study, "de", {code: title for code, title in GERMAN.items() if code != "VIII"})
        languages.set_languages(study, ["de"], {}, by=organiser())
        db.session.commit()
        with pytest.raises(InvalidInput, match=r"German.*1 framework texts.*Domain VIII"):
            open_first_round(study)
        db.session.rollback()
        study = db.session.get(Study, study.id)
        assert not study.rounds and study.protocol_locked_at is None
        translate(study, "de", {"VIII": GERMAN["VIII"]})
        protocol = dict(study.protocol)
        protocol["texts"] = {"de": {**protocol["texts"]["de"], "consent": ""}}
        design.set_protocol(study, protocol, by=organiser())
        db.session.commit()
        with pytest.raises(InvalidInput, match="consent"):
            open_first_round(study)
        db.session.rollback()
        study = db.session.get(Study, study.id)
        languages.set_languages(study, ["de"], {}, by=organiser())  # the default consent is filled in again
        assert open_first_round(study).number == 1


def test_each_round_snapshots_the_wording_in_every_language_offered(app, running):
    _study_id, round_id = running
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        first = next(ri for ri in rnd.round_items if ri.item.code == "I")
        assert first.wording["text"] == "Governance and strategy"
        assert first.wording["translations"]["de"]["text"] == GERMAN["I"]
        assert first.wording["translations"]["pt"]["text"] == PORTUGUESE["I"]
        assert first.wording["translations"]["de"]["label"] == i18n.in_language("Domain I", "de") or \
            first.wording["translations"]["de"]["label"].endswith(" I")
        assert languages.wording_in(first.wording, "pt")["text"] == PORTUGUESE["I"]
        assert languages.wording_in(first.wording, "en") == {k: v for k, v in first.wording.items()
                                                             if k != "translations"}


def _page(client, login_as, round_id: int, email: str, domain: str = "I"):
    login_as(email)
    response = client.get(f"/expert/rounds/{round_id}/domains/{domain}")
    assert response.status_code == 200
    return response.data.decode()


def test_each_expert_reads_the_items_in_their_language_and_each_answer_records_it(app, client, login_as, running):
    study_id, round_id = running
    german = _page(client, login_as, round_id, "expert1@example.org")
    assert f'lang="de">{GERMAN["I"]}' in german and "Governance and strategy</p>" not in german
    assert 'lang="de"' in german and '<html lang="en">' in german  # the interface stays the reader's
    token = csrf_from(german)
    with app.app_context():
        item_id = db.session.scalar(select(RoundItem.item_id).join(RoundItem.item).where(
            RoundItem.round_id == round_id).order_by(RoundItem.position))
    saved = client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item_id, "question": "agreement",
                                                                       "value": 3}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200, saved.data
    client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item_id, "comment": "Klarer formulieren."},
                headers={"X-CSRFToken": token})
    client.post("/auth/logout", data={"csrf_token": token})
    portuguese = _page(client, login_as, round_id, "expert2@example.org")
    assert f'lang="pt">{PORTUGUESE["I"]}' in portuguese
    token = csrf_from(portuguese)
    client.post(f"/expert/rounds/{round_id}/autosave", json={"item": item_id, "question": "agreement", "value": 2},
                headers={"X-CSRFToken": token})
    with app.app_context():
        given = dict(db.session.execute(select(Panelist.pseudonym, Rating.language).join(
            Panelist, Panelist.id == Rating.panelist_id).where(Rating.round_id == round_id)).all())
        assert given == {"E01": "de", "E02": "pt"}
        assert db.session.scalar(select(Comment.language)) == "de"
        frame = ratings.frame(study_id)
        assert set(frame["language"]) == {"de", "pt"}


def test_the_source_language_expert_sees_the_source_and_the_form_path_records_it_too(app, client, login_as, running):
    _study_id, round_id = running
    page = _page(client, login_as, round_id, "expert3@example.org")
    assert "Governance and strategy" in page and GERMAN["I"] not in page
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        p = next(p for p in rnd.study.panelists if p.pseudonym == "E03")
        assert p.language == "en"  # settled when the page was shown: the answers record what it showed
        ratings.save(rnd, p, rnd.round_items[0].item_id, ratings={"agreement": 3}, comment="Fine.")
        db.session.commit()
        assert db.session.scalar(select(Rating.language).where(Rating.panelist_id == p.id)) == "en"


def test_an_expert_changes_their_language_among_those_offered_only(app, client, login_as, running):
    study_id, round_id = running
    page = _page(client, login_as, round_id, "expert3@example.org")
    assert "study-language" in page and "Portuguese" in page
    token = csrf_from(page)
    url = f"/expert/studies/{study_id}/language"
    assert client.post(url, data={"language": "pt"}).status_code == 400  # no CSRF token
    done = client.post(url, data={"language": "pt", "csrf_token": token, "back": "round"}, follow_redirects=True)
    assert done.status_code == 200 and PORTUGUESE["I"] in done.data.decode()
    refused = client.post(url, data={"language": "fr", "csrf_token": token}, follow_redirects=True)
    assert "not offered in French" in refused.data.decode()
    with app.app_context():
        assert db.session.scalar(select(Panelist.language).where(Panelist.pseudonym == "E03",
                                                                 Panelist.study_id == study_id)) == "pt"


def test_another_experts_study_language_cannot_be_changed(app, client, login_as, make_user, running):
    study_id, _round_id = running
    make_user("outsider@example.org")
    login_as("outsider@example.org")
    token = csrf_from(client.get("/expert/").data)
    assert client.post(f"/expert/studies/{study_id}/language",
                       data={"language": "pt", "csrf_token": token}).status_code == 404


def test_the_consent_is_read_in_the_chosen_language_and_accepting_it_settles_the_language(
        app, client, login_as, make_user):
    make_user("expert9@example.org")
    with app.app_context():
        study = multilingual_study()
        panel.add(study, "expert9@example.org", "Expert 9", by=organiser(), language="pt")
        db.session.commit()
        study_id, consent_pt = study.id, study.protocol["texts"]["pt"]["consent"]
    login_as("expert9@example.org")
    page = client.get(f"/expert/studies/{study_id}/consent").data.decode()
    assert consent_pt in page and 'lang="pt"' in page
    accepted = client.post(f"/expert/studies/{study_id}/consent", data={"csrf_token": csrf_from(page),
                                                                           "accept": "yes"})
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Panelist.language).where(Panelist.pseudonym == "E04",
                                                                 Panelist.study_id == study_id)) == "pt"


def test_the_panel_file_may_name_each_experts_language_and_an_unoffered_one_is_a_line_error(app):
    with app.app_context():
        study = multilingual_study()
        data = ("email,name,language\nana@example.org,Ana,pt\nbo@example.org,Bo,fr\ncy@example.org,Cy,\n"
                "di@example.org,Di,DE\n").encode()
        preview = panel_csv.parse_csv(data, study)
        assert [(r["email"], r["language"]) for r in preview.rows] == [
            ("ana@example.org", "pt"), ("cy@example.org", ""), ("di@example.org", "de")]
        assert preview.errors and preview.errors[0][0] == 3 and "fr is not offered" in preview.errors[0][1]
        added = panel_csv.add_rows(study, preview.rows, by=organiser())
        assert [p.language for p in added] == ["pt", "", "de"]


def test_the_organiser_offers_languages_on_the_study_languages_page(app, client, login_as):
    from tests.study_helpers import ORGANISER

    with app.app_context():
        study = make_study(n_experts=1, kinds=("domain",))
        translate(study, "de", GERMAN)
        db.session.commit()
        study_id = study.id
    login_as(ORGANISER)
    url = f"/organiser/studies/{study_id}/languages"
    page = client.get(url).data.decode()
    assert "German" in page and "8 of" in page
    token = csrf_from(page)
    assert client.post(url, data={"languages": "de"}).status_code == 400
    saved = client.post(url, data={"csrf_token": token, "languages": "de", "text-de-agreement-label": "Stimmen Sie zu?"},
                        follow_redirects=True)
    assert saved.status_code == 200 and "every language offered is complete" in saved.data.decode()
    with app.app_context():
        study = db.session.get(Study, study_id)
        assert languages.offered(study) == ["en", "de"]
        assert study.protocol["texts"]["de"]["questions"]["agreement"]["label"] == "Stimmen Sie zu?"
    refused = client.post(url, data={"csrf_token": token, "languages": "pt"})
    assert refused.status_code == 400 and "no Portuguese translation" in refused.data.decode()
    study_page = client.get(f"/organiser/studies/{study_id}").data.decode()
    assert "Rated in: English, German" in study_page


def test_a_revised_item_needs_its_translation_revised_before_the_next_round(app):
    with app.app_context():
        study = multilingual_study()
        rnd = open_first_round(study)
        for p in study.panelists:
            for ri in rnd.round_items:
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": 3})
        rounds.close(rnd, by=organiser())
        first = next(i for i in study.items if i.code == "I")
        for item in study.items:
            if item is first:
                decisions.decide(rnd, item, Decision.REVISE, by=organiser(), new_text="Governance, strategy and law",
                                  reason="Panel comments")
            else:
                decisions.decide(rnd, item, Decision.RERATE, by=organiser())
        db.session.commit()
        from datetime import timedelta

        from delphi.db import utcnow

        with pytest.raises(InvalidInput, match=r"Item I was revised, but its German translation"):
            rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        db.session.rollback()
        study = db.session.get(Study, study.id)
        for language, text in (("de", "Governance, Strategie und Recht"), ("pt", "Governação, estratégia e direito")):
            row = db.session.scalar(select(FrameworkTranslation).where(
                FrameworkTranslation.version_id == study.framework_version_id,
                FrameworkTranslation.language == language, FrameworkTranslation.key == "domain.I.title"))
            row.text = text
        second = rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        item = next(ri for ri in second.round_items if ri.item.code == "I")
        assert item.previous_wording is not None
        assert languages.wording_in(item.previous_wording, "de")["text"] == GERMAN["I"]
        assert languages.wording_in(item.wording, "de")["text"] == "Governance, Strategie und Recht"
        unchanged = next(ri for ri in second.round_items if ri.item.code == "II")
        assert unchanged.previous_wording is None


def test_a_study_in_one_language_stores_and_shows_no_language(app, client, login_as):
    with app.app_context():
        study = make_study(n_experts=1, kinds=("domain",))
        rnd = open_first_round(study)
        db.session.commit()
        round_id, study_id = rnd.id, study.id
        assert all("translations" not in ri.wording for ri in rnd.round_items)
    page = _page(client, login_as, round_id, "expert1@example.org")
    assert "study-language" not in page and 'class="item-text">' in page and 'item-text" lang=' not in page
    with app.app_context():
        p = db.session.scalar(select(Panelist).where(Panelist.study_id == study_id))
        assert p.language == ""
        rnd = db.session.get(Round, round_id)
        ratings.save(rnd, p, rnd.round_items[0].item_id, ratings={"agreement": 3})
        db.session.flush()
        assert "language" not in ratings.frame(study_id).columns


def test_the_organisers_panel_page_shows_and_edits_each_experts_language(app, client, login_as, running):
    from tests.study_helpers import ORGANISER

    study_id, _ = running
    login_as(ORGANISER)
    page = client.get(f"/organiser/studies/{study_id}/panel").data.decode()
    assert "Rates in" in page and "Portuguese" in page
    with app.app_context():
        p = db.session.scalar(select(Panelist).where(Panelist.study_id == study_id, Panelist.pseudonym == "E03"))
        pid = p.id
    token = csrf_from(page)
    client.post(f"/organiser/studies/{study_id}/panel/{pid}/edit", data={"csrf_token": token, "language": "de",
                                                                        "stakeholder_group": "clinician"})
    with app.app_context():
        assert db.session.get(Panelist, pid).language == "de"
    bad = client.post(f"/organiser/studies/{study_id}/panel/{pid}/edit",
                      data={"csrf_token": token, "language": "fr"}, follow_redirects=True)
    assert "fr is not offered" in bad.data.decode()
    with app.app_context():
        assert db.session.get(Panelist, pid).language == "de"


def test_in_round_two_each_comment_of_round_one_shows_its_language(app, client, login_as):
    from datetime import timedelta

    from delphi.db import utcnow

    with app.app_context():
        study = multilingual_study()
        rnd = open_first_round(study)
        by = {p.pseudonym: p for p in study.panelists}
        first = rnd.round_items[0].item_id
        ratings.save(rnd, by["E02"], first, ratings={"agreement": 2}, comment="Clarificar o âmbito.")
        ratings.save(rnd, by["E03"], first, ratings={"agreement": 3}, comment="Fine as it is.")
        rounds.close(rnd, by=organiser())
        decisions.decide_many(rnd, [ri.item for ri in rnd.round_items], Decision.RERATE, by=organiser())
        second = rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        db.session.commit()
        round_id = second.id
    page = _page(client, login_as, round_id, "expert1@example.org")
    assert '<span lang="pt">Clarificar o âmbito.</span>' in page and '<abbr title="Portuguese">pt</abbr>' in page
    assert '<span lang="en">Fine as it is.</span>' in page


def _import_german(study: Study, statement_of=lambda text: "DE " + text) -> None:
    """The translator's file for the draft as it reads now, every domain title translated, imported."""
    from delphi.services.frameworks import translations, versions
    from framework import translations as fwtr

    version = study.framework_version
    doc = versions.to_document(version)
    german = {key: statement_of(text) for key, text in fwtr.source_texts(doc).items() if key.startswith("domain.")}
    translations.import_xliff(version, fwtr.to_xliff(doc, source_language="en", target_language="de",
                                                     targets=german, original=version.ref), by=organiser())


def test_a_translation_remembers_its_source_so_an_undone_revision_leaves_it_out_of_date(app):
    from datetime import timedelta

    from delphi.db import utcnow
    from delphi.services.frameworks import translations

    with app.app_context():
        study = make_study(n_experts=2, kinds=("domain",))
        _import_german(study)
        languages.set_languages(study, ["de"], {}, by=organiser())
        rnd = open_first_round(study)
        rounds.close(rnd, by=organiser())
        first = next(i for i in study.items if i.code == "I")
        decisions.decide(rnd, first, Decision.REVISE, by=organiser(), new_text="Governance and law",
                         reason="Panel comments")
        decisions.decide_many(rnd, [ri.item for ri in rnd.round_items], Decision.RERATE, by=organiser())
        assert translations.out_of_date(study.framework_version, "de") == ["domain.I.title"]
        _import_german(study)  # the revision translated: "DE Governance and law"
        assert translations.out_of_date(study.framework_version, "de") == []
        decisions.undo(rnd, first, by=organiser())  # back to "Governance and strategy"; its translation is not
        decisions.decide(rnd, first, Decision.RERATE, by=organiser())
        db.session.commit()
        assert translations.out_of_date(study.framework_version, "de") == ["domain.I.title"]
        assert translations.overview(study.framework_version)[0].out_of_date == 1
        assert "made from an earlier wording" in languages.problems(study)["de"][0]
        with pytest.raises(InvalidInput, match="made from an earlier wording"):
            rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        db.session.rollback()
        study = db.session.get(Study, study.id)
        exported, _name = translations.export_xliff(study.framework_version, "de")
        assert b'category="review"' in exported
        _import_german(study)
        second = rounds.open_round(study, utcnow() + timedelta(days=7), by=organiser())
        item = next(ri for ri in second.round_items if ri.item.code == "I")
        assert languages.wording_in(item.wording, "de")["text"] == "DE Governance and strategy"
