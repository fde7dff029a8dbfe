"""Uploads are limited in size and type: the framework import and the panel CSV refuse an over-size request
(413, a page saying the limit), an over-size framework file (400), and a picture under a data file's name, each
with one clear message and nothing stored."""
from __future__ import annotations

import io
import re

import pytest

from tests.conftest import csrf_from
from tests.fuzz.inputs import png
from tests.security import world as W
from tests.security.test_access_sweep import client_for

IMPORT = "/organiser/frameworks/import"


@pytest.fixture
def organiser(app):
    from delphi.extensions import db
    from delphi.models import PlatformRole, User
    from delphi.services.accounts import users
    from delphi.services.frameworks import versions
    from delphi.services.studies import design

    with app.app_context():
        user = users.create_user(W.ORGANISER_A, "Olga", W.PASSWORD)
        users.grant_role(user, PlatformRole.ORGANISER)
        study = design.create("Uploads", versions.ensure_shipped(), by=db.session.get(User, user.id))
        db.session.commit()
        client = client_for(app, W.ORGANISER_A, 1)
        client.study_id = study.id
        return client


def upload(client, url: str, page: str, data: bytes, filename: str):
    token = csrf_from(client.get(page).data)
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def messages(html: str) -> list[str]:
    """The error texts shown next to a form field or flashed."""
    return re.findall(r'class="(?:field-error|error|flash flash-error)"[^>]*>([^<]+)<', html)


def test_an_over_size_request_gets_413_with_the_limit_and_stores_nothing(app, organiser, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    before = W.fingerprint(app)
    panel = f"/organiser/studies/{organiser.study_id}/panel"
    for url, page, name in ((IMPORT, IMPORT, "big.json"), (panel + "/csv", panel, "big.csv")):
        response = upload(organiser, url, page, b"x" * (65 * 1024), name)
        assert response.status_code == 413, url
        text = response.data.decode()
        assert "too large" in text.lower() and "64 KiB" in text and "nothing was stored" in text.lower(), text
    assert W.fingerprint(app) == before


def test_a_framework_file_over_the_file_limit_is_refused_by_the_loader(app, organiser, monkeypatch):
    monkeypatch.setattr("framework.io.MAX_FILE_BYTES", 1024)
    before = W.fingerprint(app)
    response = upload(organiser, IMPORT, IMPORT, b"{" + b" " * 2048 + b"}", "big.json")
    assert response.status_code == 400
    assert "big.json: the file is 0.0 MiB; the limit is" in response.data.decode()
    assert W.fingerprint(app) == before


@pytest.mark.parametrize("filename, reason", [
    ("framework.csv", "not UTF-8"), ("framework.json", "not UTF-8"), ("framework.yaml", "not UTF-8"),
    ("framework.xlsx", "not an XLSX file"), ("framework.png", "unknown file type"), ("framework", "no extension")])
def test_a_picture_is_refused_by_the_framework_import_with_one_message(app, organiser, filename, reason):
    before = W.fingerprint(app)
    response = upload(organiser, IMPORT, IMPORT, png(), filename)
    assert response.status_code == 400
    shown = [m for m in messages(response.data.decode()) if filename in m or reason in m]
    assert len(shown) == 1 and reason in shown[0], messages(response.data.decode())
    assert W.fingerprint(app) == before


def test_a_picture_named_csv_is_refused_by_the_panel_upload_with_one_message(app, organiser):
    before = W.fingerprint(app)
    page = f"/organiser/studies/{organiser.study_id}/panel"
    response = upload(organiser, page + "/csv", page, png(), "panel.csv")
    assert response.status_code == 302
    shown = messages(organiser.get(page).data.decode())
    assert len(shown) == 1 and "not UTF-8 text" in shown[0], shown
    assert W.fingerprint(app) == before
