"""`flask delphi …`: administration commands, each a thin caller of the services."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import PlatformRole


@click.group("delphi")
def delphi_cli() -> None:
    """Delphi platform administration."""


def _fail(message: str) -> None:
    db.session.rollback()
    raise click.ClickException(message)


@delphi_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 12 characters, not a common password.")
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create a platform administrator (or grant the role to an existing account)."""
    from delphi.services.accounts import users

    try:
        user = users.find_by_email(users.normalise_email(email))
        if user is None:
            user = users.create_user(email, name, password)
        users.grant_role(user, PlatformRole.ADMIN)
        users.grant_role(user, PlatformRole.ORGANISER)
    except InvalidInput as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Administrator {user.email} is ready.")


@delphi_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", default=None, help="Omit to e-mail an invitation link instead.")
@click.option("--organiser", is_flag=True, help="Grant the organiser role.")
@with_appcontext
def create_user(email: str, name: str, password: str | None, organiser: bool) -> None:
    """Create an account; without --password an invitation link is e-mailed."""
    from delphi.services.accounts import users

    try:
        user = users.create_user(email, name, password)
        if organiser:
            users.grant_role(user, PlatformRole.ORGANISER)
        link = None if password else users.send_invitation(user, None, "to the Delphi platform")
    except InvalidInput as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Created {user.email}{' (organiser)' if organiser else ''}.")
    if link:
        click.echo(f"Invitation link (also e-mailed): {link}")


@delphi_cli.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create demo accounts and data so a newcomer can click through; safe to run again."""
    from delphi.services.operations import demo

    logins = demo.seed()
    db.session.commit()
    click.echo("Demo data ready. Log in at http://127.0.0.1:5000/auth/login with:")
    for role, email, password in logins:
        click.echo(f"  {role:<22} {email:<32} {password}")


@delphi_cli.command("close-due-rounds")
@with_appcontext
def close_due_rounds() -> None:
    """Close every open round whose deadline has passed and compute its results (run it from cron)."""
    from delphi.services.studies import rounds

    closed = rounds.close_due()
    db.session.commit()
    if not closed:
        click.echo("No round is past its deadline.")
    for rnd in closed:
        click.echo(f"Closed round {rnd.number} of study {rnd.study_id} ({rnd.study.title}); results computed.")


@delphi_cli.command("send-reminders")
@with_appcontext
def send_reminders() -> None:
    """Send the protocol's automatic reminders that are due, each once (run it from cron, e.g. hourly)."""
    from delphi.services.studies import panel

    sent = panel.send_due_reminders()
    db.session.commit()
    if not sent:
        click.echo("No reminder is due.")
    for rnd, days, n in sent:
        click.echo(f"Reminded {n} panelist(s) of round {rnd.number} of study {rnd.study_id} ({rnd.study.title}): "
                   f"{days} day(s) before the deadline.")


@delphi_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop (no scheduler).")
@click.option("--no-scheduler", is_flag=True, help="Only run jobs; another worker runs the scheduler.")
@with_appcontext
def worker(burst: bool, no_scheduler: bool) -> None:
    """Run queued jobs (mail delivery, scheduled work) from redis, with the scheduler beside (make worker)."""
    from flask import current_app

    from delphi.jobs import queue
    from delphi.jobs import worker as jobs_worker

    app = current_app._get_current_object()
    if not queue.redis_url(app):
        _fail("set JOBS_REDIS_URL (or a redis:// RATELIMIT_STORAGE_URI): the worker takes its jobs from redis")
    click.echo(f"Worker on {queue.QUEUE_NAME!r} at {queue.redis_url(app).split('@')[-1]}"
               f"{'' if burst or no_scheduler else ', with the scheduler'}.")
    jobs_worker.run(app, burst=burst, with_scheduler=not no_scheduler)


@delphi_cli.command("deliver-mail")
@with_appcontext
def deliver_mail() -> None:
    """Deliver every due message of the outbox now (the worker does this by itself)."""
    from delphi.services.accounts import outbox

    done = outbox.deliver_due()
    click.echo(f"Sent {done.sent}; {done.retrying} to retry later; {done.failed} failed.")


from delphi.framework_cli import framework_cli  # noqa: E402

delphi_cli.add_command(framework_cli)

from delphi.backup_cli import register as _register_backup  # noqa: E402

_register_backup(delphi_cli)


@delphi_cli.command("publish-benchmarks")
@with_appcontext
def publish_benchmarks() -> None:
    """Publish a new benchmark edition for every framework version whose contributions changed (run it from cron,
    e.g. monthly); versions with too few contributing organisations are skipped with the reason."""
    from delphi.services.assessments import benchmark

    done = benchmark.publish_due()
    db.session.commit()
    if not done:
        click.echo("No organisation contributes to a benchmark yet.")
    for version, edition, what in done:
        click.echo(f"{version.ref}: edition {edition.number} published." if edition else f"{version.ref}: {what}")
