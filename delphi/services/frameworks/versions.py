"""Frameworks in the database: import, read back as documents, drafts, edits, release.

The pure `framework` package owns the structure, validation, formats and diff; this module maps its frozen
dataclasses to rows and enforces the life cycle (a released version never changes; the database refuses too).
"""
from __future__ import annotations

import re

import framework as fwlib
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from delphi.db import utcnow
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import (
    Domain,
    Framework,
    FrameworkTranslation,
    FrameworkVersion,
    GlossaryTerm,
    Indicator,
    Level,
    Subdomain,
    User,
    VersionStatus,
)
from delphi.services.accounts import audit

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class VersionImmutable(DomainError):
    def __init__(self, version: FrameworkVersion):
        super().__init__(_("%(version)s is retired and cannot be changed; create a new draft from it instead.",
                           version=version.ref) if version.status == VersionStatus.RETIRED else
                         _("%(version)s is released and cannot be changed; create a new draft from it instead.",
                           version=version.ref))


class UnknownVersion(InvalidInput):
    pass


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:100] or "framework"


def parse_ref(ref: str) -> tuple[str, str]:
    """'slug:label' → (slug, label), with a clear message for anything else."""
    slug, sep, label = ref.partition(":")
    if not sep or not slug or not label:
        raise InvalidInput(_("'%(ref)s' is not a version reference; write it as SLUG:LABEL, e.g. 1plusmg-mlm:2022.",
                             ref=ref))
    return slug, label


def find_version(slug: str, label: str) -> FrameworkVersion | None:
    return db.session.scalar(select(FrameworkVersion).join(Framework)
                             .where(Framework.slug == slug, FrameworkVersion.label == label))


def get_version(ref: str) -> FrameworkVersion:
    version = find_version(*parse_ref(ref))
    if version is None:
        raise UnknownVersion(_("No framework version %(ref)s.", ref=ref))
    return version


def _check_label(framework_row: Framework | None, label: str) -> None:
    if not LABEL_RE.match(label or ""):
        raise InvalidInput(_("'%(label)s' is not a valid version label: use letters, digits, '.', '-' or '_' (e.g. "
                             "2022 or 2025-draft).", label=label))
    if framework_row is not None and db.session.scalar(select(FrameworkVersion.id).where(
            FrameworkVersion.framework_id == framework_row.id, FrameworkVersion.label == label)):
        raise InvalidInput(_("%(slug)s already has a version labelled '%(label)s'.", slug=framework_row.slug,
                             label=label))


def import_document(doc: fwlib.Framework, *, slug: str | None = None, label: str, by: User | None = None,
                    release: bool = False, release_notes: str = "",
                    parent: FrameworkVersion | None = None) -> FrameworkVersion:
    """Store a validated framework document as a new version (a draft unless release=True)."""
    slug = slug or slugify(doc.short_name or doc.name)
    if not SLUG_RE.match(slug):
        raise InvalidInput(_("'%(slug)s' is not a valid framework slug: lowercase letters, digits and '-'.",
                             slug=slug))
    fw_row = db.session.scalar(select(Framework).where(Framework.slug == slug))
    _check_label(fw_row, label)
    if fw_row is None:
        fw_row = Framework(slug=slug, name=doc.name)
        db.session.add(fw_row)
        db.session.flush()
    version = FrameworkVersion(
        framework_id=fw_row.id, label=label, status=VersionStatus.DRAFT, name=doc.name, short_name=doc.short_name,
        description=doc.description, source=doc.source, numbering_note=doc.numbering_note,
        generic_levels=list(doc.generic_levels), created_by_id=by.id if by else None,
        parent_id=parent.id if parent else None)
    db.session.add(version)
    db.session.flush()
    _insert_content(version, doc)
    audit.record(by, "create_version", "framework_version", version.id,
                 after={"ref": f"{slug}:{label}", "parent": parent.ref if parent else None})
    if release:
        publish(version, by=by, release_notes=release_notes)
    return version


def _insert_content(version: FrameworkVersion, doc: fwlib.Framework) -> None:
    """Bulk-insert the tree: one INSERT per level of the hierarchy, not one per element."""
    vid = version.id
    db.session.add_all(GlossaryTerm(version_id=vid, term=t.term, definition=t.definition, position=i)
                       for i, t in enumerate(doc.glossary))
    domains = [Domain(version_id=vid, code=d.code, title=d.title, position=i) for i, d in enumerate(doc.domains)]
    db.session.add_all(domains)
    db.session.flush()
    subdomains, sub_docs = [], []
    for d_row, d in zip(domains, doc.domains):
        for i, s in enumerate(d.subdomains):
            subdomains.append(Subdomain(version_id=vid, domain_id=d_row.id, code=s.code, title=s.title, position=i))
            sub_docs.append(s)
    db.session.add_all(subdomains)
    db.session.flush()
    indicators, ind_docs = [], []
    for s_row, s in zip(subdomains, sub_docs):
        for i, ind in enumerate(s.indicators):
            indicators.append(Indicator(version_id=vid, subdomain_id=s_row.id, code=ind.code,
                                        statement=ind.statement, guidance=ind.guidance, position=i))
            ind_docs.append(ind)
    db.session.add_all(indicators)
    db.session.flush()
    db.session.add_all(Level(version_id=vid, indicator_id=i_row.id, level=n, description=text)
                       for i_row, ind in zip(indicators, ind_docs) for n, text in enumerate(ind.levels, 1))
    db.session.flush()


def load_tree(version: FrameworkVersion) -> FrameworkVersion:
    """Eager-load the whole tree in a fixed number of queries (no N+1 on browse and export)."""
    return db.session.scalars(
        select(FrameworkVersion).where(FrameworkVersion.id == version.id)
        .options(selectinload(FrameworkVersion.glossary),
                 selectinload(FrameworkVersion.domains).selectinload(Domain.subdomains)
                 .selectinload(Subdomain.indicators).selectinload(Indicator.levels))
        .execution_options(populate_existing=True)).one()


def to_document(version: FrameworkVersion) -> fwlib.Framework:
    """The version as the pure library's frozen Framework (what export, diff and checksum work on)."""
    version = load_tree(version)
    return fwlib.Framework(
        name=version.name, short_name=version.short_name, description=version.description,
        source=version.source, numbering_note=version.numbering_note,
        generic_levels=tuple(version.generic_levels or ()),
        glossary=tuple(fwlib.GlossaryTerm(term=g.term, definition=g.definition) for g in version.glossary),
        domains=tuple(
            fwlib.Domain(code=d.code, title=d.title, subdomains=tuple(
                fwlib.Subdomain(code=s.code, title=s.title, indicators=tuple(
                    fwlib.Indicator(code=i.code, statement=i.statement, guidance=i.guidance,
                                    levels=tuple(lv.description for lv in i.levels))
                    for i in s.indicators))
                for s in d.subdomains))
            for d in version.domains))


DRAFT_LIKE = re.compile(r"draft", re.IGNORECASE)
COUNT_PHRASE = re.compile(r"\b(\d+)(\s+)(domains|subdomains|indicators)\b")


def check_release_label(label: str) -> None:
    """A citable release is never named like a draft ('draft-9', '2027-draft')."""
    if DRAFT_LIKE.search(label or ""):
        raise InvalidInput(_("'%(label)s' reads like a draft, but a release is the citable version: give it a label "
                             "such as 2027 or 2.0.", label=label))


def with_true_counts(text: str | None, doc: fwlib.Framework) -> str | None:
    """The description with '49 indicators'-style phrases set to what the version really holds, so a release that
    dropped or merged elements does not cite the old numbers."""
    if not text:
        return text
    counts = doc.counts()
    actual = {"domains": counts.domains, "subdomains": counts.subdomains, "indicators": counts.indicators}
    return COUNT_PHRASE.sub(lambda m: f"{actual[m.group(3)]}{m.group(2)}{m.group(3)}", text)


def suggest_release_label(version: FrameworkVersion) -> str:
    """The draft's own label if it reads like a release, else this year (or the next free variant of it)."""
    if not DRAFT_LIKE.search(version.label):
        return version.label
    year, n = str(utcnow().year), 0
    label = year
    while find_version(version.framework.slug, label) is not None:
        n += 1
        label = f"{year}.{n}"
    return label


def publish(version: FrameworkVersion, *, by: User | None, release_notes: str = "",
            label: str | None = None) -> FrameworkVersion:
    """Release a draft (under a new label if given): validate it, state its true counts, fix its checksum, and
    make it immutable."""
    require_draft(version)
    if label is not None and label != version.label:
        _check_label(version.framework, label)
        check_release_label(label)
        version.label = label
    check_release_label(version.label)
    doc = to_document(version)
    corrected = with_true_counts(version.description, doc)
    if corrected != version.description:
        audit.record(by, "correct_counts", "framework_version", version.id,
                     before={"description": version.description}, after={"description": corrected})
        version.description = corrected
        doc = to_document(version)
    problems = validate_content(doc)
    if problems:
        shown = "; ".join(problems[:5])
        raise InvalidInput(_("This draft cannot be released yet: %(problems)s (and %(more)s more)", problems=shown,
                             more=len(problems) - 5) if len(problems) > 5 else
                           _("This draft cannot be released yet: %(problems)s", problems=shown))
    version.checksum = fwlib.checksum(doc)
    version.release_notes = release_notes or version.release_notes
    version.released_at = utcnow()
    version.status = VersionStatus.RELEASED
    db.session.flush()
    audit.record(by, "release_version", "framework_version", version.id,
                 after={"ref": version.ref, "checksum": version.checksum})
    return version


def validate_content(doc: fwlib.Framework) -> list[str]:
    """Problems that stop a release (the editor lets a draft be incomplete while work goes on)."""
    problems = []
    if not doc.domains:
        problems.append(_("it has no domains"))
    for d in doc.domains:
        if not d.subdomains:
            problems.append(_("domain %(code)s has no subdomains", code=d.code))
        for s in d.subdomains:
            if not s.indicators:
                problems.append(_("subdomain %(code)s has no indicators", code=s.code))
            for i in s.indicators:
                if not i.statement.strip():
                    problems.append(_("indicator %(code)s has no statement", code=i.code))
                for n, text in enumerate(i.levels, 1):
                    if not text.strip():
                        problems.append(_("indicator %(code)s level %(number)s is empty", code=i.code, number=n))
    return problems


def retire(version: FrameworkVersion, *, by: User | None) -> None:
    if version.status != VersionStatus.RELEASED:
        raise InvalidInput(_("Only a released version can be retired."))
    version.status = VersionStatus.RETIRED
    audit.record(by, "retire_version", "framework_version", version.id, after={"ref": version.ref})


def new_draft(source: FrameworkVersion, label: str, *, by: User | None) -> FrameworkVersion:
    """A draft copy of any version (released, retired or draft), remembering where it came from, with its
    source language and translations (services/frameworks/translations.py)."""
    draft = import_document(to_document(source), slug=source.framework.slug, label=label, by=by, parent=source)
    draft.source_language = source.source_language
    rows = [{"version_id": draft.id, "language": t.language, "key": t.key, "text": t.text,
             "updated_at": t.updated_at, "source_digest": t.source_digest} for t in db.session.scalars(
                 select(FrameworkTranslation).where(FrameworkTranslation.version_id == source.id))]
    if rows:
        db.session.execute(insert(FrameworkTranslation), rows)
    db.session.flush()
    return draft


def suggest_label(fw_row: Framework) -> str:
    """A free label for a new draft, e.g. 'draft-3'."""
    taken = set(db.session.scalars(select(FrameworkVersion.label).where(FrameworkVersion.framework_id == fw_row.id)))
    n = len(taken) + 1
    while f"draft-{n}" in taken:
        n += 1
    return f"draft-{n}"


def require_draft(version: FrameworkVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise VersionImmutable(version)


SHIPPED_SLUG = "1plusmg-mlm"
SHIPPED_LABEL = "2022"


def ensure_shipped(by: User | None = None) -> FrameworkVersion:
    """The 1+MG MLM as released version 2022 (it was validated by its own Delphi); idempotent."""
    existing = find_version(SHIPPED_SLUG, SHIPPED_LABEL)
    if existing is not None:
        return existing
    return import_document(fwlib.load_shipped(SHIPPED_SLUG), slug=SHIPPED_SLUG, label=SHIPPED_LABEL, by=by,
                           release=True, release_notes="The 1+MG Maturity Level Model as published by the B1MG "
                           "project (February 2022), validated by a two-round Delphi (21 experts invited, "
                           "14 completed).")
