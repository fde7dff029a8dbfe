"""Landing pages per role; a person may hold several roles."""
from tests.conftest import csrf_from


def test_organiser_lands_on_the_organiser_page(client, make_user, login_as):
    make_user("olga@example.org", roles=("organiser",))
    r = login_as("olga@example.org", follow=True)
    assert r.request.path == "/organiser/"


def test_admin_creates_an_organiser_who_gets_an_invitation(app, client, make_user, login_as):
    from tests.conftest import outbox

    make_user("root@example.org", roles=("admin",))
    login_as("root@example.org")
    page = client.get("/admin/")
    assert page.status_code == 200
    r = client.post("/admin/organisers", data={"email": "New.Org@Example.org", "name": "Nora",
                                               "csrf_token": csrf_from(page.data)}, follow_redirects=True)
    assert b"Nora is now an organiser" in r.data
    assert outbox(app)[-1]["To"] == "new.org@example.org"


def test_non_admin_cannot_open_administration(client, make_user, login_as):
    make_user("olga@example.org", roles=("organiser",))
    login_as("olga@example.org")
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/organisations/1").status_code == 403


def test_assessor_lands_on_the_assessment_page(app, client, make_user, login_as):
    from delphi.extensions import db
    from delphi.models import OrganisationRole, User
    from delphi.services.accounts import organisations

    uid = make_user("asa@example.org")
    with app.app_context():
        org = organisations.create("Portugal")
        organisations.add_member(org, db.session.get(User, uid), OrganisationRole.ASSESSOR)
        db.session.commit()
    r = login_as("asa@example.org", follow=True)
    assert r.request.path == "/assessor/" and b"Portugal" in r.data


def test_person_with_two_roles_chooses_and_sees_both_in_navigation(app, client, make_user, login_as):
    from delphi.extensions import db
    from delphi.models import OrganisationRole, User
    from delphi.services.accounts import organisations

    uid = make_user("two@example.org", roles=("organiser",))
    with app.app_context():
        org = organisations.create("Catalonia")
        organisations.add_member(org, db.session.get(User, uid), OrganisationRole.LEAD)
        db.session.commit()
    r = login_as("two@example.org", follow=True)
    assert r.request.path == "/home"
    assert b'href="/organiser/"' in r.data and b'href="/assessor/"' in r.data
    assert client.get("/organiser/").status_code == 200
    assert client.get("/assessor/").status_code == 200


def test_person_without_roles_is_told_what_happens_next(client, make_user, login_as):
    make_user("nobody@example.org")
    r = login_as("nobody@example.org", follow=True)
    assert b"no role yet" in r.data


def test_anonymous_visitor_is_sent_to_login(client):
    r = client.get("/organiser/")
    assert r.status_code == 302 and "/auth/login?next=" in r.headers["Location"]
