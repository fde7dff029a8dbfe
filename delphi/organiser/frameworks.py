"""The organiser's framework pages: list, browse, export, diff, import, new draft, release a draft.

Every change is a POST with CSRF that commits once and goes to the audit log."""
from __future__ import annotations

from pathlib import PurePath

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

import framework as fwlib
from delphi.downloads import attachment
from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import Framework, FrameworkVersion
from delphi.organiser.blueprint import bp
from delphi.organiser.framework_access import RACE_MESSAGE, can_see, load_draft, load_version, version_url
from delphi.organiser.framework_forms import ImportForm, NewDraftForm, ReleaseForm
from delphi.permissions import is_organiser, require
from delphi.services.frameworks import files, translations, versions


@bp.get("/frameworks")
@require(is_organiser)
def frameworks_index():
    from delphi.i18n import locale_sorted

    rows = locale_sorted(db.session.scalars(select(Framework).options(selectinload(Framework.versions))).all(),
                         key=lambda fw: fw.name)
    listing = [(fw, [v for v in fw.versions if can_see(v)]) for fw in rows]
    return render_template("organiser/frameworks/index.html", listing=[(fw, vs) for fw, vs in listing if vs])


def _render_version(version: FrameworkVersion, draft_form: NewDraftForm | None = None,
                    release_form: ReleaseForm | None = None, status: int = 200):
    version = versions.load_tree(version)
    draft_form = draft_form or NewDraftForm(formdata=None, label=versions.suggest_label(version.framework))
    release_form = release_form or ReleaseForm(formdata=None, label=versions.suggest_release_label(version))
    return render_template("organiser/frameworks/version.html", version=version, draft_form=draft_form,
                           release_form=release_form, formats=fwlib.FORMATS), status


@bp.get("/frameworks/<slug>/versions/<label>")
@require(is_organiser)
def view_version(slug: str, label: str):
    return _render_version(load_version(slug, label))


@bp.get("/frameworks/<slug>/versions/<label>/export/<fmt>")
@require(is_organiser)
def export_version(slug: str, label: str, fmt: str):
    version = load_version(slug, label)
    if fmt not in fwlib.FORMATS:
        abort(404)
    out = files.export(version, fmt)
    return attachment(out.data, out.filename, out.content_type)


@bp.get("/frameworks/<slug>/diff")
@require(is_organiser)
def diff_versions(slug: str):
    fw = db.session.scalar(select(Framework).where(Framework.slug == slug))
    visible = [v for v in fw.versions if can_see(v)] if fw is not None else []
    if not visible:
        abort(404)
    by_label = {v.label: v for v in visible}
    newest = visible[-1]
    default_old = newest.parent if newest.parent is not None and newest.parent.label in by_label else visible[0]
    old = by_label.get(request.args.get("from") or default_old.label)
    new = by_label.get(request.args.get("to") or newest.label)
    if old is None or new is None:
        abort(404, _("No such version of this framework."))
    same = old.id == new.id
    changes = [] if same else fwlib.diff(versions.to_document(old), versions.to_document(new))
    translation_changes = [] if same else translations.diff(old, new)
    return render_template("organiser/frameworks/diff.html", framework=fw, versions=visible, old=old, new=new,
                           changes=changes, translation_changes=translation_changes)


@bp.route("/frameworks/import", methods=["GET", "POST"])
@require(is_organiser)
def import_framework():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = PurePath(upload.filename or "upload").name  # never a client's directory
        data = upload.read()  # MAX_CONTENT_LENGTH bounds it; the loader refuses more than MAX_FILE_BYTES
        try:
            result = files.import_file(data, filename, by=current_user, slug=form.slug.data,
                                              label=form.label.data)
        except files.FileRefused as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        except IntegrityError:  # another import took this slug or label at the same moment
            db.session.rollback()
            form.form_errors.append(str(RACE_MESSAGE))
        else:
            db.session.commit()
            version = result.version
            if result.created:
                counts = versions.to_document(version).counts()
                flash(_("Imported %(filename)s as draft %(version)s: %(domains)s domains, %(subdomains)s "
                        "subdomains, %(indicators)s indicators.", filename=filename, version=version.ref,
                        domains=counts.domains, subdomains=counts.subdomains, indicators=counts.indicators),
                      "success")
            else:
                flash(_("%(version)s already holds exactly this content; nothing was imported.", version=version.ref),
                      "info")
            return redirect(version_url(version))
    status = 400 if form.is_submitted() else 200
    return render_template("organiser/frameworks/import.html", form=form), status


@bp.post("/frameworks/<slug>/versions/<label>/drafts")
@require(is_organiser)
def new_draft(slug: str, label: str):
    source = load_version(slug, label)
    form = NewDraftForm()
    if form.validate_on_submit():
        try:
            draft = versions.new_draft(source, form.label.data.strip(), by=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.label.errors.append(exc.message)
        except IntegrityError:
            db.session.rollback()
            form.label.errors.append(str(RACE_MESSAGE))
        else:
            db.session.commit()
            flash(_("Draft %(draft)s created from %(slug)s:%(label)s; edit it below.", draft=draft.ref, slug=slug,
                    label=label), "success")
            return redirect(version_url(draft, ".edit_version"))
    return _render_version(source, draft_form=form, status=400)


@bp.post("/frameworks/<slug>/versions/<label>/release")
@require(is_organiser)
def release_version(slug: str, label: str):
    version = load_draft(slug, label)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            versions.publish(version, by=current_user, release_notes=(form.release_notes.data or "").strip(),
                             label=(form.label.data or "").strip() or None)
        except DomainError as exc:
            db.session.rollback()
            form.release_notes.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(version)s is released; it can no longer change.", version=version.ref), "success")
            return redirect(version_url(version))
    return _render_version(version, release_form=form, status=400)
