"""`flask delphi backup FILE` and `flask delphi restore FILE`: the whole database as a ZIP of JSON files.

The format, and how to restore onto a new server, are in docs/BACKUP.md.
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup(file: str) -> None:
    """Write a consistent copy of all data to FILE (a new .zip; an existing file is never overwritten)."""
    from delphi.services.operations import backup as service

    try:
        summary = service.dump(file)
    except service.BackupRefused as exc:
        raise click.ClickException(exc.message) from None
    size = summary.path.stat().st_size
    click.echo(f"Backed up {summary.rows} rows of {summary.tables} tables (schema {summary.schema_revision}) "
               f"to {summary.path} ({size / 2**20:.1f} MiB).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def restore(file: str) -> None:
    """Load a backup FILE into this database, which must be empty and migrated (`flask db upgrade`)."""
    from delphi.services.operations import backup as service

    try:
        summary = service.restore(file)
    except service.BackupRefused as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Restored {summary.rows} rows of {summary.tables} tables (schema {summary.schema_revision}) "
               f"from {summary.path}, made {summary.created_at}.")


def register(group: click.Group) -> None:
    group.add_command(backup)
    group.add_command(restore)
