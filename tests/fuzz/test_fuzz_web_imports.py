"""The web importers on malformed files: the framework import page and the panel CSV upload (and its
confirmation) answer with a clear message — never a 500 — and store nothing unless the whole file is good."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import csrf_from
from tests.fuzz.inputs import FILES, FUZZ, WEB, json_values, panel_files, png
from tests.security.world import fingerprint, row_counts

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
ORGANISER = "olga@example.org"


@pytest.fixture
def study_id(app, make_user):
    from delphi.extensions import db
    from delphi.models import User
    from delphi.services.frameworks import versions
    from delphi.services.studies import design

    uid = make_user(ORGANISER, roles=("organiser",))
    with app.app_context():
        study = design.create("Fuzzed panel", versions.ensure_shipped(), by=db.session.get(User, uid))
        db.session.commit()
        return study.id


@pytest.fixture
def organiser(client, login_as, study_id):
    login_as(ORGANISER)
    return client


def test_panel_csv_parser_gives_a_preview_or_one_clear_message_and_stores_nothing(app, study_id):
    from delphi.errors import InvalidInput
    from delphi.extensions import db
    from delphi.models import Study
    from delphi.services.studies import panel_csv

    before = row_counts(app)

    @FUZZ
    @given(panel_files())
    def check(data):
        with app.app_context():
            try:
                preview = panel_csv.parse_csv(data, db.session.get(Study, study_id))
            except InvalidInput as exc:
                assert exc.message and "\n" not in exc.message
            else:
                assert all(set(row) == set(panel_csv.CSV_COLUMNS) for row in preview.rows)
            db.session.rollback()

    check()
    assert row_counts(app) == before


def _upload(client, url: str, page: str, data: bytes, filename: str, **fields):
    token = csrf_from(client.get(page).data)
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), filename), **fields},
                       content_type="multipart/form-data")


def test_panel_csv_upload_never_fails_and_stores_nothing(app, organiser, study_id):
    page = f"/organiser/studies/{study_id}/panel"
    before = fingerprint(app)

    @WEB
    @given(panel_files(), st.sampled_from(["panel.csv", "panel.CSV", "photo.png", "panel"]))
    def check(data, filename):
        response = _upload(organiser, f"{page}/csv", page, data, filename)
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert organiser.get(page).status_code == 200  # the flashed message is shown there
        assert fingerprint(app) == before  # checking a file never stores anything

    check()


def test_a_picture_named_csv_is_refused_with_one_message(app, organiser, study_id):
    page = f"/organiser/studies/{study_id}/panel"
    response = _upload(organiser, f"{page}/csv", page, png(), "panel.csv")
    assert response.status_code == 302
    shown = organiser.get(page).data.decode()
    assert shown.count('class="flash flash-error"') == 1 and "not UTF-8 text" in shown


def test_panel_confirmation_adds_all_rows_or_none(app, organiser, study_id):
    from delphi.services.studies.panel_csv import CSV_COLUMNS

    page = f"/organiser/studies/{study_id}/panel"
    rows = st.one_of(json_values, st.lists(st.one_of(
        json_values, st.fixed_dictionaries({}, optional={k: st.one_of(json_values, st.just("a@b.example"))
                                                          for k in CSV_COLUMNS})), max_size=3))

    @WEB
    @given(st.one_of(rows.map(json.dumps), st.text(max_size=40)))
    def check(raw):
        before = row_counts(app)["panelists"]
        token = csrf_from(organiser.get(page).data)
        response = organiser.post(f"{page}/csv/confirm", data={"csrf_token": token, "rows": raw})
        assert response.status_code == 302, response.status_code
        added = row_counts(app)["panelists"] - before
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        assert added == 0 or (isinstance(parsed, list) and added == len(parsed))

    check()


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv", "xlsx"])
def test_framework_import_answers_400_with_the_reason_and_stores_nothing(app, organiser, fmt):
    page = "/organiser/frameworks/import"

    @WEB
    @given(FILES[fmt]())
    def check(data):
        before = fingerprint(app)  # a good file is imported (302) and changes it for the next example
        response = _upload(organiser, page, page, data, f"fuzzed.{fmt}")
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert b"fuzzed." in response.data or b"Nothing" in response.data or b"error" in response.data
            assert fingerprint(app) == before

    check()
