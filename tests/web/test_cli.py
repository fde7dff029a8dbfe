"""The `flask delphi` command group."""


def test_seed_demo_prints_logins_and_is_idempotent(app, runner):
    from sqlalchemy import func, select

    from delphi.extensions import db
    from delphi.models import Organisation, User

    first = runner.invoke(args=["delphi", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "organiser@demo.delphi" in first.output and "demo-password-1" in first.output
    second = runner.invoke(args=["delphi", "seed-demo"])
    assert second.exit_code == 0
    with app.app_context():
        people = select(func.count(User.id)).where(User.email.not_like("%@archived.invalid"))
        assert db.session.scalar(people) == 9  # admin, organiser, 5 experts, 2 assessors
        # The archived demo study's 14 pseudonymous seats: accounts that cannot log in (inactive, no password).
        seats = select(func.count(User.id)).where(User.email.like("%@archived.invalid"), User.active.is_(False),
                                                  User.password_hash.is_(None))
        assert db.session.scalar(seats) == 14
        # The demo organisation and five fictitious peers, so the benchmark has a published edition to show.
        assert db.session.scalar(select(func.count(Organisation.id))) == 6
        from delphi.models import BenchmarkEdition

        assert db.session.scalar(select(func.count(BenchmarkEdition.id))) == 1
        # A real-time demo study with answers and a revision in their history, so live feedback has data to show.
        from delphi.models import RatingEvent, Study
        from delphi.services.operations.demo import DEMO_REALTIME

        live = db.session.scalars(select(Study).where(Study.title == DEMO_REALTIME)).all()
        assert len(live) == 1 and live[0].protocol["mode"] == "realtime"
        events = db.session.scalar(select(func.count(RatingEvent.id)).where(
            RatingEvent.round_id == live[0].current_round.id))
        assert events == 4 * 8 + 1


def test_the_demo_assessor_sees_a_benchmark(app, runner, client, login_as):
    from sqlalchemy import select

    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments.demo import DEMO_TITLE

    runner.invoke(args=["delphi", "seed-demo"])
    with app.app_context():
        aid = db.session.scalar(select(Assessment.id).where(Assessment.title == DEMO_TITLE))
    login_as("lead@demo.delphi", "demo-password-1")
    html = client.get(f"/assessor/assessments/{aid}/benchmark").data.decode()
    assert "at least 5 other organisations" in html and "Demo peer" not in html


def test_demo_organiser_can_log_in(app, runner, client, login_as):
    runner.invoke(args=["delphi", "seed-demo"])
    r = login_as("organiser@demo.delphi", "demo-password-1", follow=True)
    assert r.request.path.startswith("/organiser/")


def test_create_admin_and_create_user(app, runner):
    r = runner.invoke(args=["delphi", "create-admin", "Root@Example.org", "--password", "a-long-password"])
    assert r.exit_code == 0 and "root@example.org" in r.output
    r = runner.invoke(args=["delphi", "create-user", "x@example.org", "--name", "X", "--organiser"])
    assert r.exit_code == 0 and "Invitation link" in r.output
    r = runner.invoke(args=["delphi", "create-user", "x@example.org", "--name", "X"])
    assert r.exit_code == 1 and "already exists" in r.output


def test_create_user_with_bad_email_fails_with_one_clear_line(runner):
    r = runner.invoke(args=["delphi", "create-user", "not-an-email", "--name", "X"])
    assert r.exit_code == 1 and "not a valid e-mail" in r.output and "Traceback" not in r.output
