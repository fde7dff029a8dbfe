"""The access sweep: every URL rule × every kind of visitor gets the status the access table says.

A new route without an entry in tests/security/access_table.py fails the first test; a route that shows side A's
objects to someone from side B fails the sweep. Refused POSTs carry a valid CSRF token (so the refusal is the
permission check's, not CSRF's) and must leave every row of every table as it was.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import csrf_token
from tests.security import world as W
from tests.security.access_table import LOGIN, SKIP, TABLE, VISITORS, Case

VISITOR_EMAILS = {"expert": W.EXPERT_B, "organiser": W.ORGANISER_B, "assessor": W.ASSESSOR_B, "admin": W.ADMIN}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_url_rule_has_an_entry_in_the_access_table(app):
    endpoints = {r.endpoint for r in rules(app)}
    missing, stale = endpoints - set(TABLE), set(TABLE) - endpoints
    assert not missing, f"routes without an entry in tests/security/access_table.py: {sorted(missing)}"
    assert not stale, f"entries for routes that no longer exist: {sorted(stale)}"
    for rule in rules(app):
        cases = TABLE[rule.endpoint]
        if "GET" in rule.methods:
            assert any(c.get for c in cases), f"{rule.endpoint}: GET is not swept"
        if rule.methods & STATE_CHANGING:
            assert rule.methods & STATE_CHANGING <= {"POST"}, f"{rule.endpoint}: sweep {rule.methods} too"
            assert any(c.post for c in cases), f"{rule.endpoint}: POST is not swept"
            assert all(c.owner for c in cases if c.post), f"{rule.endpoint}: who may POST here?"


def client_for(app, who: str, number: int):
    """A test client from its own address (the login rate limit counts per address), logged in unless anon."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number}"
    if who != "anon":
        response = client.post("/auth/login", data={"email": who, "password": W.PASSWORD,
                                                    "csrf_token": csrf_token(client)})
        assert response.status_code == 302, who
    return client


def matches(response, expected) -> bool:
    location = urlsplit(response.headers.get("Location", "")).path
    if expected == LOGIN:
        return response.status_code == 302 and location == "/auth/login"
    if expected == 302:
        return response.status_code == 302 and location != "/auth/login"
    return response.status_code == expected


def post(client, case: Case, w: W.World, token: str | None):
    data = case.data(w)
    if case.json:
        headers = {"X-CSRFToken": token} if token else {}
        return client.post(case.url(w), json=data, headers=headers)
    if token:
        data["csrf_token"] = token
    return client.post(case.url(w), data=data)


@pytest.fixture
def no_pdf_rendering(monkeypatch):
    """The sweep is about who may see a PDF, not about WeasyPrint: render a stub (saves seconds)."""
    monkeypatch.setattr("delphi.services.release.pdf.render", lambda study, *_, **__: b"%PDF-stub")
    monkeypatch.setattr("delphi.services.assessments.exports.to_pdf", lambda html, css: b"%PDF-stub")


def test_every_route_answers_each_visitor_as_designed_and_refused_posts_change_nothing(app, no_pdf_rendering):
    w = W.build(app)
    adapter = app.url_map.bind("localhost")
    failures: list[str] = []
    cells = 0

    def run(label: str, method: str, case: Case, expected, send) -> None:
        nonlocal cells
        cells += 1
        before = W.fingerprint(app) if method == "POST" else None
        try:
            response = send()
        except Exception as exc:  # noqa: BLE001 - a crash is a finding, reported with the others
            failures.append(f"{method} {case.url(w)} as {label}: raised {exc!r}")
            return
        if not matches(response, expected):
            failures.append(f"{method} {case.url(w)} as {label}: expected {expected}, got {response.status_code} "
                            f"{response.headers.get('Location', '')}")
        if before is not None and W.fingerprint(app) != before:
            changed = [t for t, h in W.fingerprint(app).items() if h != before[t]]
            failures.append(f"{method} {case.url(w)} as {label} ({response.status_code}) changed {changed}")

    for endpoint, cases in TABLE.items():
        for case in cases:
            path, _, query = case.url(w).partition("?")
            for method in ("GET", "POST") if case.get and case.post else ("GET",) if case.get else ("POST",):
                matched, _ = adapter.match(path, method=method, query_args=query)
                assert matched == endpoint, f"{case.url(w)} addresses {matched}, not {endpoint}"

    # The owners first: their GETs prove that every URL really addresses an existing object of side A.
    owners = {}
    for cases in TABLE.values():
        for case in cases:
            if case.get and case.owner:
                if case.owner not in owners:
                    owners[case.owner] = client_for(app, case.owner, 100 + len(owners))
                client = owners[case.owner]
                run("owner", "GET", case, case.owner_get, lambda: client.get(case.url(w)))

    for number, visitor in enumerate(VISITORS, start=1):
        client = client_for(app, VISITOR_EMAILS.get(visitor, "anon"), number)
        token = csrf_token(client)
        for cases in TABLE.values():
            for case in cases:
                if case.get:
                    run(visitor, "GET", case, case.get[visitor], lambda: client.get(case.url(w)))
                if case.post and case.post[visitor] != SKIP:
                    run(visitor, "POST", case, case.post[visitor], lambda: post(client, case, w, token))

    print(f"\naccess sweep: {len(TABLE)} endpoints, {sum(len(c) for c in TABLE.values())} URLs, {cells} requests")
    assert not failures, "\n".join(failures)
