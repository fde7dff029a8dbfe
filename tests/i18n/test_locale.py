"""Which language a person gets, through HTTP: their setting, else the switcher's cookie, else Accept-Language,
else English; the switcher needs its CSRF token, refuses unknown languages and never redirects off the site."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from delphi import i18n
from tests.conftest import csrf_token
from tests.i18n.test_catalogues import catalogue


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def _german(msgid: str) -> str:
    return catalogue("de").get(msgid).string


def test_english_without_any_preference(client):
    page = client.get("/auth/login")
    assert _lang(page) == "en" and ">Log in</a>" in page.get_data(as_text=True)


@pytest.mark.parametrize("header, expected", [
    ("de-DE,de;q=0.9,en;q=0.5", "de"), ("pt-PT,pt;q=0.9", "pt"), ("pt-BR", "pt"), ("fr-FR,fr;q=0.9", "en"),
    ("fr;q=0.9,pt;q=0.8", "pt"), ("en-GB,de;q=0.9", "en"),
])
def test_the_browser_language_when_offered(client, header, expected):
    page = client.get("/auth/login", headers={"Accept-Language": header})
    assert _lang(page) == expected


def test_german_page_reads_german(client):
    page = client.get("/auth/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert f">{_german('Log in')}</a>" in page and _german("Log in") != "Log in"


def test_the_switcher_sets_a_cookie_that_beats_the_browser(client):
    token = csrf_token(client)
    answer = client.post("/language", data={"language": "pt", "next": "/auth/login", "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/auth/login")
    assert _lang(client.get("/auth/login", headers={"Accept-Language": "de"})) == "pt"


def test_the_switcher_needs_its_token_and_a_known_language(client):
    assert client.post("/language", data={"language": "de"}).status_code == 400
    token = csrf_token(client)
    refused = client.post("/language", data={"language": "xx", "csrf_token": token})
    assert refused.status_code == 400 and "not offered" in refused.get_data(as_text=True)
    assert _lang(client.get("/auth/login")) == "en"  # nothing was changed


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_the_switcher_stays_on_the_site(client, target):
    token = csrf_token(client)
    answer = client.post("/language", data={"language": "de", "next": target, "csrf_token": token})
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]


def test_a_secret_link_is_not_written_into_its_page_but_the_switch_comes_back_to_it(client):
    page = client.get("/auth/invite/made-up-token-ann@example.org")
    assert b"example.org" not in page.data
    token = csrf_token(client)
    back = client.post("/language", data={"language": "de", "csrf_token": token},
                       headers={"Referer": "http://localhost/auth/invite/abc"})
    assert back.headers["Location"].endswith("/auth/invite/abc")
    elsewhere = client.post("/language", data={"language": "de", "csrf_token": token},
                            headers={"Referer": "http://evil.example/auth/invite/abc"})
    assert elsewhere.headers["Location"].endswith("/")


def test_a_persons_setting_follows_them_to_another_browser(app, client, make_user, login_as):
    make_user("ana@example.org")
    login_as("ana@example.org")
    token = csrf_token(client, "/home")
    client.post("/language", data={"language": "pt", "next": "/home", "csrf_token": token})
    from delphi.extensions import db
    from delphi.models import User

    with app.app_context():
        assert db.session.scalars(db.select(User.locale).where(User.email == "ana@example.org")).one() == "pt"
    other = app.test_client()  # no cookie, a German browser: the setting wins once logged in
    page = other.get("/auth/login", headers={"Accept-Language": "de"})
    assert _lang(page) == "de"
    other.post("/auth/login", data={"email": "ana@example.org", "password": "correct-horse-battery",
                                    "csrf_token": csrf_token(other)}, headers={"Accept-Language": "de"})
    assert _lang(other.get("/home", headers={"Accept-Language": "de"}, follow_redirects=True)) == "pt"


def test_every_page_has_the_switcher(client):
    page = client.get("/").get_data(as_text=True)
    for code, name in i18n.LANGUAGES.items():
        assert f'<option value="{code}" lang="{code}"' in page and name in page
    assert '<label for="language-choice">' in page


@pytest.mark.parametrize("language, day, moment, share, stat", [
    ("en", "02 Dec 2026", "02 Dec 2026 14:05", "45%", "0.57"),
    ("de", "02 Dez. 2026", "02 Dez. 2026 14:05", "45\xa0%", "0,57"),
    ("pt", "02 dez. 2026", "02 dez. 2026 14:05", "45%", "0,57"),
])
def test_dates_and_numbers_follow_the_locale(app, language, day, moment, share, stat):
    from flask_babel import force_locale

    when = datetime(2026, 12, 2, 14, 5, tzinfo=timezone.utc)
    with app.test_request_context(), force_locale(language):
        assert (i18n.day(when), i18n.moment(when), i18n.percent(0.45), i18n.number(0.5712)) == (
            day, moment, share, stat)


def test_sorting_folds_accents_and_case():
    names = ["Österreich", "Zypern", "česko", "Belgien", "Ísland", "Deutschland", "Cyprus"]
    assert i18n.locale_sorted(names) == ["Belgien", "česko", "Cyprus", "Deutschland", "Ísland", "Österreich",
                                         "Zypern"]


def test_the_administrators_lists_sort_accented_names_with_their_letter(app, client, make_user, login_as):
    from delphi.extensions import db
    from delphi.services.accounts import organisations

    make_user("admin@example.org", roles=("admin",))
    with app.app_context():
        for name in ("Österreich", "Zypern", "Česko", "Belgien"):
            organisations.create(name)
        db.session.commit()
    login_as("admin@example.org")
    page = client.get("/admin/").get_data(as_text=True)
    positions = [page.find(name) for name in ("Belgien", "Česko", "Österreich", "Zypern")]
    assert -1 not in positions and positions == sorted(positions)


def test_stored_statuses_are_shown_in_the_readers_words(app):
    from flask_babel import force_locale

    from delphi.labels import label
    from delphi.models import StudyStatus
    from delphi.models.assessment import ActionStatus

    with app.test_request_context():
        assert label(StudyStatus.RUNNING) == "running" and label("no-such-value") == "no-such-value"
        with force_locale("de"):
            assert label(StudyStatus.RUNNING) == _german("running") != "running"
            assert label(ActionStatus.DONE) == _german("done")
