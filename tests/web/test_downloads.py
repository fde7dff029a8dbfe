"""Every download carries its name in any language: RFC 6266 Content-Disposition, an ASCII fallback and the real
name as filename*=UTF-8''… — the header itself always Latin-1, as WSGI servers (gunicorn) require."""
from __future__ import annotations

import re

import pytest
from werkzeug.http import parse_options_header

from delphi.downloads import ascii_fallback, content_disposition
from tests.conftest import PASSWORD, csrf_from
from tests.web.test_assessment_fixtures import add_member, start

TITLES = {"czech": "Národní hodnocení genomiky č. 1", "polish": "Ocena dojrzałości — Łódź",
          "greek": "Αξιολόγηση ωριμότητας", "cyrillic": "Оценка зрелости геномики"}


def _decoded(header: str) -> str:
    """The name a browser saves under, after checking the header as a server and an old client would."""
    header.encode("latin-1")  # what gunicorn checks: a non-Latin-1 header is an InvalidResponseHeader (500)
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback.isascii() and fallback  # what a client without RFC 8187 shows
    kind, options = parse_options_header(header)
    assert kind == "attachment"
    return options["filename"]  # werkzeug, like browsers, prefers filename* (decoded) when present


@pytest.mark.parametrize("name", [*TITLES.values(), "plain-ascii.csv", 'quo"te.pdf', "αβγ.pdf"])
def test_the_header_is_latin1_and_gives_back_the_exact_name(name):
    header = content_disposition(name)
    assert _decoded(header) == name


def test_the_ascii_fallback_keeps_what_it_can():
    assert ascii_fallback("Národní hodnocení č. 1.pdf") == "Narodni hodnoceni c. 1.pdf"
    assert ascii_fallback("Αξιολόγηση.pdf") == "download.pdf"
    assert ascii_fallback("assessment-3-αξιολόγηση.pdf") == "assessment-3.pdf"


@pytest.mark.parametrize("script", sorted(TITLES))
def test_an_assessment_with_a_title_in_any_script_exports_in_every_format(app, script):
    add_member(app, "Česká republika", "lead@cz.example", role="lead")
    aid = start(app, "Česká republika", "lead@cz.example", title=TITLES[script])
    client = app.test_client()
    client.post("/auth/login", data={"email": "lead@cz.example", "password": PASSWORD,
                                     "csrf_token": csrf_from(client.get("/auth/login").data)})
    for fmt in ("json", "xlsx", "pdf"):
        r = client.get(f"/assessor/assessments/{aid}/export.{fmt}")
        assert r.status_code == 200, fmt
        name = _decoded(r.headers["Content-Disposition"])
        assert name.endswith(f".{fmt}") and TITLES[script].split()[0].lower() in name
        assert r.headers["Cache-Control"] == "private, no-store"


def test_study_downloads_carry_the_study_title(app):
    from delphi.extensions import db
    from tests.study_helpers import make_study, open_first_round

    with app.app_context():
        study = make_study(n_experts=1, kinds=("domain",), title="Délfská studie č. 2")
        open_first_round(study)
        db.session.commit()
        study_id = study.id
    client = app.test_client()
    client.post("/auth/login", data={"email": "olga@example.org", "password": PASSWORD,
                                     "csrf_token": csrf_from(client.get("/auth/login").data)})
    r = client.get(f"/organiser/studies/{study_id}/data-package.zip")
    assert r.status_code == 200
    assert "délfská-studie-č-2" in _decoded(r.headers["Content-Disposition"])
    r = client.get(f"/organiser/studies/{study_id}/ratings.csv")
    assert r.status_code == 200 and _decoded(r.headers["Content-Disposition"]).endswith(".csv")
