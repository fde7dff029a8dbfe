"""E-mails go out in the recipient's language (their account's locale), whoever asked for them and in whatever
language the asking page was: a password reset, and a panel's invitations (composed once per language).

No catalogue ships yet, so each test writes a tiny German one for the messages it reads, points the app at it and
empties flask_babel's cache of loaded catalogues (before and after, so no other test sees it)."""
from __future__ import annotations

import textwrap

import pytest
from flask_babel import get_babel
from sqlalchemy import select, update

from delphi import i18n
from delphi.extensions import db
from delphi.models import OutboxMessage, User
from delphi.services.accounts import outbox
from tests.conftest import PASSWORD, csrf_from

GERMAN = {
    # the password reset (services/accounts/users.py)
    "Reset your Delphi platform password": "Setzen Sie Ihr Passwort für die Delphi-Plattform zurück",
    "Hello %(name)s,": "Hallo %(name)s,",
    "Someone (we hope you) asked to reset your password.":
        "Jemand (hoffentlich Sie) hat verlangt, Ihr Passwort zurückzusetzen.",
    "Open this link within %(hours)s hours to choose a new one:":
        "Öffnen Sie diesen Link innerhalb von %(hours)s Stunden, um ein neues zu wählen:",
    "If you did not ask for this, ignore this message; your password is unchanged.":
        "Wenn Sie das nicht verlangt haben, ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.",
    # a panel's invitation (services/studies/panel.py through users.Invitation)
    "Your invitation to the Delphi platform": "Ihre Einladung zur Delphi-Plattform",
    "%(inviter)s invites you %(purpose)s.": "%(inviter)s lädt Sie ein, %(purpose)s.",
    "to join the expert panel of the Delphi study “%(title)s”, in up to %(rounds)s rounds":
        "in bis zu %(rounds)s Runden im Expertengremium der Delphi-Studie „%(title)s“ mitzuwirken",
    "Open this link to join (it works once and expires in %(days)s days):":
        "Öffnen Sie diesen Link, um teilzunehmen (er gilt einmal und läuft in %(days)s Tagen ab):",
}


def _po(entries: dict[str, str]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    head = textwrap.dedent("""\
        msgid ""
        msgstr ""
        "Content-Type: text/plain; charset=UTF-8\\n"
        "Language: de\\n"
        "Plural-Forms: nplurals=2; plural=(n != 1);\\n"

        """)
    return head + "\n".join(f"msgid {quoted(k)}\nmsgstr {quoted(v)}\n" for k, v in entries.items())


def _forget_loaded_catalogues(app) -> None:
    with app.app_context():  # the domain is made on first use, from the app's settings
        i18n.babel.domain_instance.cache.clear()


@pytest.fixture
def german(app, tmp_path, monkeypatch):
    """A German catalogue of the messages above, after the app's own (a later directory's message wins)."""
    folder = tmp_path / "translations"
    po = folder / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(_po(GERMAN), encoding="utf-8")
    assert i18n.compile_catalogues(folder) == [po.with_suffix(".mo")]
    settings = get_babel(app)  # resolved from BABEL_TRANSLATION_DIRECTORIES when the app was made
    monkeypatch.setitem(app.config, "BABEL_TRANSLATION_DIRECTORIES",
                        ";".join([*settings.translation_directories, str(folder)]))
    monkeypatch.setattr(settings, "translation_directories", [*settings.translation_directories, str(folder)])
    _forget_loaded_catalogues(app)
    yield
    _forget_loaded_catalogues(app)


@pytest.fixture
def keep_in_outbox(monkeypatch):
    """Inline delivery would send at once and forget the body: keep every message queued, body and all."""
    monkeypatch.setattr(outbox, "deliver_due", lambda **_: outbox.Delivery())


def _set_locale(app, email: str, locale: str | None) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.email == email).values(locale=locale))
        db.session.commit()


def _mail_to(app, email: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == email)).one()
        db.session.expunge(row)
        return row


def _ask_for_reset(client, email: str, page_language: str) -> None:
    headers = {"Accept-Language": page_language}
    page = client.get("/auth/reset", headers=headers)
    r = client.post("/auth/reset", data={"email": email, "csrf_token": csrf_from(page.data)}, headers=headers)
    assert r.status_code == 302


def test_the_german_catalogue_is_in_use(app, german):
    """The fixture works: in a German request the catalogue's text comes back (else the tests below prove nothing)."""
    from flask_babel import gettext

    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert gettext("Hello %(name)s,", name="Ann") == "Hallo Ann,"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Hello %(name)s,", name="Ann") == "Hello Ann,"


def test_a_password_reset_is_in_the_account_language_not_the_page_language(app, client, make_user, german,
                                                                        keep_in_outbox):
    make_user("ann@example.org", name="Ann")
    make_user("bob@example.org", name="Bob")
    _set_locale(app, "ann@example.org", "de")

    _ask_for_reset(client, "ann@example.org", page_language="en")  # an English page, a German account
    _ask_for_reset(client, "bob@example.org", page_language="de")  # a German page, an account with no language

    ann = _mail_to(app, "ann@example.org")
    assert ann.subject == "Setzen Sie Ihr Passwort für die Delphi-Plattform zurück"
    assert ann.body.startswith("Hallo Ann,\n\nJemand (hoffentlich Sie) hat verlangt, Ihr Passwort zurückzusetzen.\n"
                               "Öffnen Sie diesen Link innerhalb von 2 Stunden, um ein neues zu wählen:\n\n"
                               "http://127.0.0.1:5000/auth/reset/")
    assert ann.body.endswith("\n\nWenn Sie das nicht verlangt haben, ignorieren Sie diese Nachricht; Ihr Passwort "
                             "bleibt unverändert.\n")

    bob = _mail_to(app, "bob@example.org")
    assert bob.subject == "Reset your Delphi platform password"
    assert bob.body.startswith("Hello Bob,\n\nSomeone (we hope you) asked to reset your password.\n"
                               "Open this link within 2 hours to choose a new one:\n\n")
    assert "Hallo" not in bob.body and "Passwort" not in bob.body


def test_a_panel_invitation_follows_each_panelist_language(app, client, login_as, german, keep_in_outbox):
    from tests.study_helpers import ORGANISER, make_study

    with app.app_context():
        study = make_study(n_experts=3)
        study_id = study.id
        db.session.commit()
    _set_locale(app, "expert1@example.org", "de")
    _set_locale(app, "expert3@example.org", "de")
    _set_locale(app, ORGANISER, None)

    login_as(ORGANISER, PASSWORD)
    german_page = {"Accept-Language": "de"}  # the organiser's page is German; expert2 still gets English
    page = client.get(f"/organiser/studies/{study_id}/panel", headers=german_page)
    r = client.post(f"/organiser/studies/{study_id}/panel/invite", data={"csrf_token": csrf_from(page.data)},
                    headers=german_page)
    assert r.status_code == 302

    for email, name in (("expert1@example.org", "Expert 1"), ("expert3@example.org", "Expert 3")):
        mail = _mail_to(app, email)
        assert mail.subject == "Ihre Einladung zur Delphi-Plattform"
        assert mail.body.startswith(f"Hallo {name},\n\nOlga Organiser lädt Sie ein, in bis zu 3 Runden im "
                                    "Expertengremium der Delphi-Studie „MLM validation“ mitzuwirken.")
        assert "Öffnen Sie diesen Link, um teilzunehmen (er gilt einmal und läuft in 14 Tagen ab):" in mail.body

    english = _mail_to(app, "expert2@example.org")
    assert english.subject == "Your invitation to the Delphi platform"
    assert english.body.startswith("Hello Expert 2,\n\nOlga Organiser invites you to join the expert panel of the "
                                   "Delphi study “MLM validation”, in up to 3 rounds.")
    assert "Open this link to join (it works once and expires in 14 days):" in english.body
    assert "Hallo" not in english.body and "Einladung" not in english.subject
