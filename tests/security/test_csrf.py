"""CSRF on every state-changing request: the person allowed to make it is refused (400) without a valid token,
and nothing changes. Forms carry the token in the body; JSON endpoints in the X-CSRFToken header."""
from __future__ import annotations

from tests.conftest import csrf_token
from tests.security import world as W
from tests.security.access_table import TABLE
from tests.security.test_access_sweep import STATE_CHANGING, client_for, post, rules


def test_every_state_changing_rule_is_in_the_csrf_sweep(app):
    swept = {endpoint for endpoint, cases in TABLE.items() if any(c.post for c in cases)}
    assert {r.endpoint for r in rules(app) if r.methods & STATE_CHANGING} <= swept


def test_post_without_or_with_a_foreign_csrf_token_is_refused_for_the_authorised_person(app):
    w = W.build(app)
    # A well-formed token minted for another session: valid signature, wrong session.
    foreign_token = csrf_token(client_for(app, "anon", 200))
    clients: dict[str, object] = {}
    failures: list[str] = []
    requests = 0
    for endpoint, cases in TABLE.items():
        for case in cases:
            if not case.post:
                continue
            if case.owner not in clients:
                clients[case.owner] = client_for(app, case.owner, 201 + len(clients))
            client = clients[case.owner]
            for label, token in (("no token", None), ("another session's token", foreign_token)):
                before = W.fingerprint(app)
                response = post(client, case, w, token)
                requests += 1
                if response.status_code != 400 or b"CSRF" not in response.data:
                    failures.append(f"POST {case.url(w)} as {case.owner} with {label}: {response.status_code}")
                if W.fingerprint(app) != before:
                    failures.append(f"POST {case.url(w)} as {case.owner} with {label} changed the database")
    # The refused logout left the person logged in.
    assert clients[W.ORGANISER_A].get("/organiser/").status_code == 200
    print(f"\ncsrf sweep: {requests} refused requests")
    assert not failures, "\n".join(failures)
