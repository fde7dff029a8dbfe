"""Markup checks the browser's axe run does not make: every form field on a page has an id of its own, and every
label points at exactly one field (issue 15: the admin index had two id="name", leaving one field unlabelled)."""
from __future__ import annotations

import re
from collections import Counter

FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
ID = re.compile(r'\bid="([^"]+)"')
TYPE = re.compile(r'\btype="([^"]+)"')
LABEL_FOR = re.compile(r'<label[^>]*\bfor="([^"]+)"')


def _field_ids(html: str) -> list[str]:
    ids = []
    for _tag, attrs in FIELD.findall(html):
        kind = (TYPE.search(attrs) or [None, "text"])[1]
        if kind in ("hidden", "submit"):  # a submit is named by its value, not a label
            continue
        match = ID.search(attrs)
        if match:
            ids.append(match.group(1))
    return ids


def assert_fields_labelled_once(html: str, where: str) -> None:
    ids = Counter(_field_ids(html))
    assert not [i for i, n in ids.items() if n > 1], f"{where}: duplicate field ids {ids.most_common(3)}"
    for target in LABEL_FOR.findall(html):
        assert ids.get(target) == 1, f"{where}: label for={target!r} points at {ids.get(target, 0)} fields"


def test_the_admin_index_gives_each_field_its_own_id(client, login_as, make_user):
    make_user("root@example.org", roles=("admin",))
    login_as("root@example.org")
    assert_fields_labelled_once(client.get("/admin/").data.decode(), "/admin/")


def test_the_organisers_and_experts_pages_give_each_field_its_own_id(app, client, login_as):
    from delphi.extensions import db
    from tests.study_helpers import make_study, open_first_round

    with app.app_context():
        study = make_study(n_experts=2)
        rnd = open_first_round(study)
        db.session.commit()
        study_id, round_id = study.id, rnd.id
    login_as("olga@example.org")
    for path in (f"/organiser/studies/{study_id}", f"/organiser/studies/{study_id}/panel",
                 f"/organiser/studies/{study_id}/protocol", f"/organiser/rounds/{round_id}"):
        assert_fields_labelled_once(client.get(path).data.decode(), path)


def test_the_assessors_pages_give_each_field_its_own_id(app, client, login_as):
    from tests.web.test_assessment_fixtures import add_member, start

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example")
    login_as("lead@pt.example")
    for path in (f"/assessor/assessments/{aid}", f"/assessor/assessments/{aid}/domains/1",
                 f"/assessor/assessments/{aid}/results", f"/assessor/assessments/{aid}/actions",
                 f"/assessor/assessments/{aid}/benchmark", f"/assessor/assessments/{aid}/settings"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert_fields_labelled_once(page.data.decode(), path)
