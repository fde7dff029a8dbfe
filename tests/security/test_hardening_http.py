"""Security review, HTTP (issue 14): private pages and downloads are never stored by a cache (one after_request
hook, swept over every route of the access table), and absolute URLs come from BASE_URL, never from the Host
header, which production checks against TRUSTED_HOSTS."""
from __future__ import annotations

import pytest

from tests.security import world as W
from tests.security.access_table import TABLE
from tests.security.test_access_sweep import VISITOR_EMAILS, client_for
from tests.security.test_hardening_accounts import _app_logger_restored, production  # noqa: F401 (a fixture)

# Anonymous visitors may get these from a cache: public pages of released versions, the open API.
PUBLIC = {"public.index", "public.framework_version", "public.study_report",
          "api.frameworks_index", "api.openapi", "api.framework_version"}


@pytest.fixture
def no_pdf_rendering(monkeypatch):
    monkeypatch.setattr("delphi.services.release.pdf.render", lambda study, *_, **__: b"%PDF-stub")
    monkeypatch.setattr("delphi.services.assessments.exports.to_pdf", lambda html, css: b"%PDF-stub")


# 6. Private pages are not cached --------------------------------------------------------------------------------

def test_every_response_to_a_logged_in_person_and_every_private_page_says_no_store(app, no_pdf_rendering):
    w = W.build(app)
    clients = {"anon": client_for(app, "anon", 1)}
    for number, visitor in enumerate(("expert", "organiser", "assessor", "admin"), start=2):
        clients[visitor] = client_for(app, VISITOR_EMAILS[visitor], number)
    for number, owner in enumerate(sorted({c.owner for cs in TABLE.values() for c in cs
                                           if c.get and c.owner and c.owner != "anon"}), start=20):
        clients[owner] = client_for(app, owner, number)
    failures, seen, attachments = [], 0, 0
    for endpoint, cases in TABLE.items():
        for case in cases:
            if not case.get:
                continue
            for who, client in clients.items():
                response = client.get(case.url(w))
                seen += 1
                cache = response.headers.get("Cache-Control", "")
                attachments += "attachment" in response.headers.get("Content-Disposition", "")
                private = who != "anon" or endpoint not in PUBLIC
                if private and "no-store" not in cache:
                    failures.append(f"GET {case.url(w)} as {who}: {response.status_code} Cache-Control {cache!r}")
    print(f"\ncache sweep: {seen} responses, {attachments} downloads")
    assert attachments >= 10  # the exports (CSV, XLSX, data package, PDFs) were really reached
    assert not failures, "\n".join(failures)


def test_public_pages_of_released_versions_stay_cacheable_for_anonymous_visitors(app):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        shipped = versions.ensure_shipped()
        db.session.commit()
        slug, label = shipped.framework.slug, shipped.label
    client = app.test_client()
    api = client.get(f"/api/v1/frameworks/{slug}/versions/{label}")
    assert api.headers["Cache-Control"] == "public, max-age=3600"
    page = client.get(f"/frameworks/{slug}/{label}")
    assert page.status_code == 200 and "no-store" not in page.headers.get("Cache-Control", "")


# 7. The Host header is not trusted ------------------------------------------------------------------------------

def test_absolute_urls_come_from_base_url_whatever_the_host_header(app):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        shipped = versions.ensure_shipped()
        db.session.commit()
        slug, label = shipped.framework.slug, shipped.label
    client = app.test_client()
    base = app.config["BASE_URL"].rstrip("/")
    pages = {"/api/v1/frameworks": f"{base}/api/v1/frameworks/{slug}/versions/{label}",
             "/api/v1/openapi.json": f"{base}/api/v1", f"/frameworks/{slug}/{label}": f"{base}/frameworks/{slug}"}
    for path, expected in pages.items():
        response = client.get(path, headers={"Host": "evil.example"})
        body = response.data.decode()
        assert response.status_code == 200, path
        assert "evil.example" not in body, path
        assert expected in body, path


def test_production_answers_only_the_hosts_it_trusts(monkeypatch):
    from delphi import create_app

    app = create_app(production(monkeypatch, BASE_URL="https://delphi.example.org/"))
    client = app.test_client()
    assert client.get("/auth/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/auth/login", headers={"Host": "delphi.example.org"}).status_code == 200

    app = create_app(production(monkeypatch, TRUSTED_HOSTS=["delphi.example.org", "delphi.internal"]))
    client = app.test_client()
    assert client.get("/auth/login", headers={"Host": "delphi.internal:8000"}).status_code == 200
    assert client.get("/auth/login", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_hosts_come_from_the_environment_when_set():
    import subprocess
    import sys

    code = "import config; print(config.ProductionConfig.TRUSTED_HOSTS)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"TRUSTED_HOSTS": "a.example, b.example", "PATH": ""},
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.strip() == "['a.example', 'b.example']"
