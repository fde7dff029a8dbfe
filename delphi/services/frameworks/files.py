"""Framework files in and out of the database: import a file as a new version, export a version as a file.

The pure `framework` package parses, validates and writes the formats; this module only connects it to
versions.import_document / to_document, and turns a FrameworkError into the one message a person sees.
"""
from __future__ import annotations

from dataclasses import dataclass

import framework as fwlib
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Framework, FrameworkVersion, User, VersionStatus
from delphi.services.accounts import audit
from delphi.services.frameworks import translations, versions

CONTENT_TYPES = {
    "json": "application/json",
    "yaml": "application/yaml",
    "csv": "text/csv",  # HTTP responses add "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# A version's status as a message names it.
STATUS_NAMES = {VersionStatus.DRAFT: _l("draft"), VersionStatus.RELEASED: _l("released"),
                VersionStatus.RETIRED: _l("retired")}


class FileRefused(InvalidInput):
    """The file cannot be imported; the message is FrameworkError's: file, place in it, and the problem."""


@dataclass(frozen=True)
class Export:
    data: bytes
    filename: str
    content_type: str


@dataclass(frozen=True)
class Imported:
    version: FrameworkVersion
    created: bool
    """False when the same content was already stored under this label (importing again changes nothing)."""


def read_file(data: bytes, filename: str, fmt: str | None = None) -> fwlib.Framework:
    """Parse and validate a file (format from fmt or the file name's extension), or FileRefused."""
    try:
        return fwlib.load(data, fmt or fwlib.format_for(filename), filename=filename)
    except fwlib.FrameworkError as exc:
        raise FileRefused(str(exc)) from None


def default_label(slug: str) -> str:
    fw_row = db.session.scalar(select(Framework).where(Framework.slug == slug))
    return versions.suggest_label(fw_row) if fw_row is not None else "draft-1"


def import_file(data: bytes, filename: str, *, by: User | None, slug: str | None = None,
                label: str | None = None, release: bool = False, release_notes: str = "") -> Imported:
    """Store a file as a new version (a draft unless release=True); nothing is stored when it is refused.

    Idempotent for a named label: the same content under the same label and status is left as it is.
    """
    doc = read_file(data, filename)
    slug = (slug or "").strip() or versions.slugify(doc.short_name or doc.name)
    label = (label or "").strip()
    if release and not label:
        raise InvalidInput(_("A released version needs a label, e.g. 2025."))
    existing = versions.find_version(slug, label) if label else None
    if existing is not None:
        same = versions.to_document(existing) == doc
        if same and existing.is_draft != release:
            return Imported(existing, created=False)
        status = STATUS_NAMES.get(existing.status, existing.status.value)
        raise InvalidInput(_("%(slug)s already has a version labelled '%(label)s' (%(status)s, the same content); "
                             "choose another label.", slug=slug, label=label, status=status) if same else
                           _("%(slug)s already has a version labelled '%(label)s' (%(status)s, different content); "
                             "choose another label.", slug=slug, label=label, status=status))
    version = versions.import_document(doc, slug=slug, label=label or default_label(slug), by=by,
                                         release=release, release_notes=release_notes)
    audit.record(by, "import_framework_file", "framework_version", version.id,
                 after={"ref": version.ref, "filename": filename, "checksum": fwlib.checksum(doc)})
    return Imported(version, created=True)


def export(version: FrameworkVersion, fmt: str, language: str | None = None) -> Export:
    """The version as a file in one of fwlib.FORMATS, with its download name and content type; in `language`
    (a translation of it: untranslated texts stay in the source language) when given."""
    if fmt not in fwlib.FORMATS:
        raise InvalidInput(_("'%(format)s' is not an export format; use one of %(formats)s.", format=fmt,
                             formats=", ".join(fwlib.FORMATS)))
    if language and language != version.source_language:
        data = fwlib.dump(translations.translated(version, language), fmt)
        return Export(data, f"{version.framework.slug}-{version.label}.{language}.{fmt}", CONTENT_TYPES[fmt])
    data = fwlib.dump(versions.to_document(version), fmt)
    return Export(data, f"{version.framework.slug}-{version.label}.{fmt}", CONTENT_TYPES[fmt])


def public_versions() -> list[FrameworkVersion]:
    """Released and retired versions (drafts are never public), by framework and release date."""
    return list(db.session.scalars(
        select(FrameworkVersion).join(Framework)
        .where(FrameworkVersion.status.in_((VersionStatus.RELEASED, VersionStatus.RETIRED)))
        .order_by(Framework.slug, FrameworkVersion.released_at, FrameworkVersion.id)))
