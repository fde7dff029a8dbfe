"""`flask delphi framework …`: list, import, export and diff framework versions (thin callers of the services)."""
from __future__ import annotations

from pathlib import Path

import click
import framework as fwlib
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import Framework


def _fail(message: str):
    db.session.rollback()
    raise click.ClickException(message)


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


@click.group("framework")
def framework_cli() -> None:
    """Maturity frameworks: list, import, export, diff."""


@framework_cli.command("list")
@with_appcontext
def list_frameworks() -> None:
    """Every framework and its versions (status, created and released dates)."""
    rows = db.session.scalars(select(Framework).order_by(Framework.slug)
                              .options(selectinload(Framework.versions))).all()
    if not rows:
        click.echo("No frameworks yet. Import one with: flask delphi framework import FILE")
        return
    for fw in rows:
        click.echo(f"{fw.slug}  {fw.name}")
        for v in fw.versions:
            click.echo(f"  {v.ref:<40} {v.status.value:<9} created {_date(v.created_at)}  "
                       f"released {_date(v.released_at)}")


@framework_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="Framework slug (default: from the framework's short name).")
@click.option("--label", default=None, help="Label of the new draft (default: draft-N).")
@click.option("--release", "release_label", metavar="LABEL", default=None,
              help="Store it as a released version with this label instead of a draft.")
@with_appcontext
def import_framework(file: Path, slug: str | None, label: str | None, release_label: str | None) -> None:
    """Import FILE (JSON, YAML, CSV or XLSX) as a new draft; importing the same content again changes nothing."""
    from delphi.services.frameworks import files, versions

    if release_label and label and label != release_label:
        _fail("Give the label once: --release LABEL names the released version.")
    if not file.is_file():
        _fail(f"{file}: no such file.")
    if file.stat().st_size > fwlib.MAX_FILE_BYTES:
        _fail(f"{file.name}: the file is {file.stat().st_size / 2**20:.1f} MiB; "
              f"the limit is {fwlib.MAX_FILE_BYTES / 2**20:g} MiB")
    try:
        result = files.import_file(file.read_bytes(), file.name, by=None, slug=slug,
                                          label=release_label or label, release=bool(release_label))
    except DomainError as exc:
        _fail(exc.message)
    version = result.version
    if not result.created:
        click.echo(f"{version.ref} already holds this content ({version.status.value}); nothing changed.")
        return
    counts = versions.to_document(version).counts()
    db.session.commit()
    click.echo(f"Imported {file.name} as {version.ref} ({version.status.value}): {counts.domains} domains, "
               f"{counts.subdomains} subdomains, {counts.indicators} indicators, {counts.levels} level texts.")


@framework_cli.command("export")
@click.argument("ref", metavar="SLUG:LABEL")
@click.option("--format", "fmt", type=click.Choice(fwlib.FORMATS), default=None,
              help="File format (default: from -o's extension, else json).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output; xlsx needs a file).")
@with_appcontext
def export_framework(ref: str, fmt: str | None, output: Path | None) -> None:
    """Export a version as JSON, YAML, CSV or XLSX."""
    from delphi.services.frameworks import files, versions

    if fmt is None:
        try:
            fmt = fwlib.format_for(output.name) if output else "json"
        except fwlib.FrameworkError as exc:
            _fail(f"{exc}; or name the format with --format")
    if fmt == "xlsx" and output is None:
        _fail("xlsx is a binary format: give a file with -o FILE.xlsx")
    try:
        out = files.export(versions.get_version(ref), fmt)
    except DomainError as exc:
        _fail(exc.message)
    if output is None:
        click.echo(out.data, nl=False)
        return
    output.write_bytes(out.data)
    click.echo(f"Wrote {ref} as {fmt} to {output} ({len(out.data)} bytes).")


@framework_cli.command("diff")
@click.argument("old_ref", metavar="SLUG:LABEL")
@click.argument("new_ref", metavar="SLUG:LABEL")
@with_appcontext
def diff_frameworks(old_ref: str, new_ref: str) -> None:
    """What changed from the first version to the second, one line per change ([-deleted-] {+inserted+})."""
    from delphi.services.frameworks import versions

    try:
        old, new = versions.get_version(old_ref), versions.get_version(new_ref)
    except DomainError as exc:
        _fail(exc.message)
    changes = fwlib.diff(versions.to_document(old), versions.to_document(new))
    for change in changes:
        click.echo(change.summary())
        if change.kind == "reworded":
            click.echo("    " + "".join(
                w.text if w.op == "equal" else f"[-{w.text}-]" if w.op == "delete" else f"{{+{w.text}+}}"
                for w in change.words))
    click.echo(f"{len(changes)} change{'s' if len(changes) != 1 else ''} from {old_ref} to {new_ref}."
               if changes else f"No differences between {old_ref} and {new_ref}.")
