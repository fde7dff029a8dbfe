"""The organiser's framework pages: list, browse, import, export, new draft, edit and release a draft, diff.

Released and retired versions are visible to every organiser; a draft only to its creator and admins (others
get 404 from the loader). Every change is a POST with CSRF that commits once and goes to the audit log; a
refused change re-renders the page with the message next to the form and leaves the draft as it was.
"""
from __future__ import annotations

import io
from pathlib import PurePath
from typing import Callable

import framework as fwlib
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import Domain, Framework, FrameworkVersion, Indicator, Subdomain
from delphi.organiser import bp
from delphi.organiser.framework_forms import (
    ElementForm,
    GenericLevelsForm,
    GlossaryTermForm,
    ImportForm,
    IndicatorForm,
    MetadataForm,
    MoveForm,
    NewDraftForm,
    ReleaseForm,
    TitleForm,
)
from delphi.permissions import is_organiser, require
from delphi.services import audit, framework_edits, framework_io, frameworks

Change = tuple[dict | None, dict | None]
RACE_MESSAGE = "Someone changed this draft at the same moment; reload the page and try again."


# --- Loaders (permission checks return 404, so nobody can probe for other people's drafts) --------------------

def can_see(version: FrameworkVersion) -> bool:
    return not version.is_draft or current_user.is_admin or version.created_by_id == current_user.id


def load_version(slug: str, label: str) -> FrameworkVersion:
    version = frameworks.find_version(slug, label)
    if version is None or not can_see(version):
        abort(404)
    return version


def load_draft(slug: str, label: str) -> FrameworkVersion:
    """A draft the current user may edit; a released version answers VersionImmutable (409)."""
    version = load_version(slug, label)
    frameworks.require_draft(version)
    return version


def _version_url(version: FrameworkVersion, endpoint: str = ".view_version", **kwargs) -> str:
    return url_for(endpoint, slug=version.framework.slug, label=version.label, **kwargs)


# --- Reading ---------------------------------------------------------------------------------------------------

@bp.get("/frameworks")
@require(is_organiser)
def frameworks_index():
    rows = db.session.scalars(select(Framework).order_by(Framework.name)
                              .options(selectinload(Framework.versions))).all()
    listing = [(fw, [v for v in fw.versions if can_see(v)]) for fw in rows]
    return render_template("organiser/frameworks/index.html", listing=[(fw, vs) for fw, vs in listing if vs])


def _render_version(version: FrameworkVersion, draft_form: NewDraftForm | None = None,
                    release_form: ReleaseForm | None = None, status: int = 200):
    version = frameworks.load_tree(version)
    draft_form = draft_form or NewDraftForm(formdata=None, label=frameworks.suggest_label(version.framework))
    release_form = release_form or ReleaseForm(formdata=None)
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
    out = framework_io.export(version, fmt)
    return send_file(io.BytesIO(out.data), mimetype=out.content_type, as_attachment=True,
                     download_name=out.filename)


@bp.get("/frameworks/<slug>/diff")
@require(is_organiser)
def diff_versions(slug: str):
    fw = db.session.scalar(select(Framework).where(Framework.slug == slug))
    versions = [v for v in fw.versions if can_see(v)] if fw is not None else []
    if not versions:
        abort(404)
    by_label = {v.label: v for v in versions}
    newest = versions[-1]
    default_old = newest.parent if newest.parent is not None and newest.parent.label in by_label else versions[0]
    old = by_label.get(request.args.get("from") or default_old.label)
    new = by_label.get(request.args.get("to") or newest.label)
    if old is None or new is None:
        abort(404, "No such version of this framework.")
    changes = fwlib.diff(frameworks.to_document(old), frameworks.to_document(new)) if old.id != new.id else []
    return render_template("organiser/frameworks/diff.html", framework=fw, versions=versions, old=old, new=new,
                           changes=changes)


# --- Import, new draft, release --------------------------------------------------------------------------------

@bp.route("/frameworks/import", methods=["GET", "POST"])
@require(is_organiser)
def import_framework():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = PurePath(upload.filename or "upload").name  # never a client's directory
        data = upload.read()  # MAX_CONTENT_LENGTH bounds it; the loader refuses more than MAX_FILE_BYTES
        try:
            result = framework_io.import_file(data, filename, by=current_user, slug=form.slug.data,
                                              label=form.label.data)
        except framework_io.FileRefused as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        except IntegrityError:  # another import took this slug or label at the same moment
            db.session.rollback()
            form.form_errors.append(RACE_MESSAGE)
        else:
            db.session.commit()
            version = result.version
            if result.created:
                counts = frameworks.to_document(version).counts()
                flash(f"Imported {filename} as draft {version.ref}: {counts.domains} domains, "
                      f"{counts.subdomains} subdomains, {counts.indicators} indicators.", "success")
            else:
                flash(f"{version.ref} already holds exactly this content; nothing was imported.", "info")
            return redirect(_version_url(version))
    status = 400 if form.is_submitted() else 200
    return render_template("organiser/frameworks/import.html", form=form), status


@bp.post("/frameworks/<slug>/versions/<label>/drafts")
@require(is_organiser)
def new_draft(slug: str, label: str):
    source = load_version(slug, label)
    form = NewDraftForm()
    if form.validate_on_submit():
        try:
            draft = frameworks.new_draft(source, form.label.data.strip(), by=current_user)
        except DomainError as exc:
            db.session.rollback()
            form.label.errors.append(exc.message)
        except IntegrityError:
            db.session.rollback()
            form.label.errors.append(RACE_MESSAGE)
        else:
            db.session.commit()
            flash(f"Draft {draft.ref} created from {slug}:{label}; edit it below.", "success")
            return redirect(_version_url(draft, ".edit_version"))
    return _render_version(source, draft_form=form, status=400)


@bp.post("/frameworks/<slug>/versions/<label>/release")
@require(is_organiser)
def release_version(slug: str, label: str):
    version = load_draft(slug, label)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            frameworks.publish(version, by=current_user, release_notes=(form.release_notes.data or "").strip())
        except DomainError as exc:
            db.session.rollback()
            form.release_notes.errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"{version.ref} is released; it can no longer change.", "success")
            return redirect(_version_url(version))
    return _render_version(version, release_form=form, status=400)


# --- The editor ------------------------------------------------------------------------------------------------

@bp.get("/frameworks/<slug>/versions/<label>/edit")
@require(is_organiser)
def edit_version(slug: str, label: str):
    version = load_version(slug, label)
    if not version.is_draft:
        flash(f"{version.ref} is {version.status.value} and cannot be changed; create a new draft from it.",
              "warning")
        return redirect(_version_url(version))
    return _render_overview(version)


@bp.get("/frameworks/<slug>/versions/<label>/edit/domains/<code>")
@require(is_organiser)
def edit_domain(slug: str, label: str, code: str):
    version = load_version(slug, label)
    if not version.is_draft:
        flash(f"{version.ref} is {version.status.value} and cannot be changed; create a new draft from it.",
              "warning")
        return redirect(_version_url(version))
    return _render_domain(version, code)


def _render_overview(version: FrameworkVersion, failed: dict[str, FlaskForm] | None = None, status: int = 200):
    version = frameworks.load_tree(version)
    failed = failed or {}
    levels = list(version.generic_levels or []) + [""] * 5
    forms: dict[str, FlaskForm] = {
        "meta": MetadataForm(formdata=None, prefix="meta", obj=version),
        "generic": GenericLevelsForm(formdata=None, prefix="generic",
                                     data={f"level_{n}": levels[n - 1] for n in range(1, 6)}),
        "gnew": GlossaryTermForm(formdata=None, prefix="gnew"),
        "dnew": ElementForm(formdata=None, prefix="dnew"),
    }
    for entry in version.glossary:
        forms[f"g{entry.id}"] = GlossaryTermForm(formdata=None, prefix=f"g{entry.id}", obj=entry)
    forms.update(failed)
    return render_template("organiser/frameworks/edit.html", version=version, forms=forms), status


def _render_domain(version: FrameworkVersion, code: str, failed: dict[str, FlaskForm] | None = None,
                   status: int = 200):
    version = frameworks.load_tree(version)
    domain = next((d for d in version.domains if d.code == code), None)
    if domain is None:
        abort(404)
    generic = list(version.generic_levels or [])
    forms: dict[str, FlaskForm] = {f"t-{domain.code}": TitleForm(formdata=None, prefix=f"t-{domain.code}",
                                                                    obj=domain),
                                   "snew": ElementForm(formdata=None, prefix="snew")}
    for sub in domain.subdomains:
        forms[f"t-{sub.code}"] = TitleForm(formdata=None, prefix=f"t-{sub.code}", obj=sub)
        forms[f"m-{sub.code}"] = _move_form(version, sub, formdata=None)
        forms[f"n-{sub.code}"] = IndicatorForm(formdata=None, prefix=f"n-{sub.code}")
        for ind in sub.indicators:
            forms[f"i-{ind.code}"] = _indicator_form(ind, formdata=None)
            forms[f"m-{ind.code}"] = _move_form(version, ind, formdata=None)
    forms.update(failed or {})
    for key, form in forms.items():
        if isinstance(form, IndicatorForm):
            form.name_levels(generic)
    return render_template("organiser/frameworks/edit_domain.html", version=version, domain=domain,
                           forms=forms), status


def _indicator_form(indicator: Indicator, **kwargs) -> IndicatorForm:
    data = {"statement": indicator.statement, "guidance": indicator.guidance or ""}
    data |= {f"level_{lv.level}": lv.description for lv in indicator.levels}
    return IndicatorForm(prefix=f"i-{indicator.code}", data=data, **kwargs)


def _move_form(version: FrameworkVersion, element: Subdomain | Indicator, **kwargs) -> MoveForm:
    """Where an indicator (any other subdomain) or a subdomain (any other domain) can go."""
    if isinstance(element, Indicator):
        current = element.subdomain_id
        choices = [SelectChoice(s.code, f"{s.code} {s.title}", optgroup=f"Domain {d.code} {d.title}")
                   for d in version.domains for s in d.subdomains if s.id != current]
    else:
        choices = [SelectChoice(d.code, f"{d.code} {d.title}") for d in version.domains
                   if d.id != element.domain_id]
    form = MoveForm(prefix=f"m-{element.code}", **kwargs)
    form.to.choices = choices
    return form


def _domain_of(element: Domain | Subdomain | Indicator) -> Domain:
    if isinstance(element, Indicator):
        return element.subdomain.domain
    if isinstance(element, Subdomain):
        return element.domain
    return element


def _apply(version: FrameworkVersion, form: FlaskForm, action: str, edit: Callable[[], Change],
           done: str, back: str | Callable[[], str], rerender: Callable[[], tuple]):
    """Validate, edit, audit and commit once; on bad input nothing changes and the form shows why (400)."""
    if form.validate_on_submit():
        try:
            before, after = edit()
        except frameworks.VersionImmutable:
            raise
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        except IntegrityError:  # a concurrent edit took the code or term first; the constraint decided
            db.session.rollback()
            form.form_errors.append(RACE_MESSAGE)
        else:
            if before is None and after is None:
                flash("Nothing to change: the texts are the same.", "info")
            else:
                audit.record(current_user, action, "framework_version", version.id, before=before, after=after)
                db.session.commit()
                flash(done, "success")
            return redirect(back() if callable(back) else back)
    flash("Nothing was changed: see the message at the form below.", "error")
    return rerender()


def _button(version: FrameworkVersion, action: str, edit: Callable[[], Change], done: str, back: str):
    """A button (no fields): CSRF is checked globally; a refused edit is a flashed message."""
    EmptyForm().validate_on_submit()
    try:
        before, after = edit()
    except frameworks.VersionImmutable:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(f"Nothing was changed: {exc.message}", "error")
    except IntegrityError:
        db.session.rollback()
        flash(f"Nothing was changed: {RACE_MESSAGE}", "error")
    else:
        audit.record(current_user, action, "framework_version", version.id, before=before, after=after)
        db.session.commit()
        flash(done, "success")
    return redirect(back)


EDIT = "/frameworks/<slug>/versions/<label>/edit"


@bp.post(EDIT + "/metadata")
@require(is_organiser)
def edit_metadata(slug: str, label: str):
    version = load_draft(slug, label)
    form = MetadataForm(prefix="meta")
    return _apply(version, form, "edit_framework_metadata",
                  lambda: framework_edits.edit_metadata(version, **{f: form[f].data for f in
                                                                    framework_edits.METADATA_FIELDS}),
                  "Metadata saved.", _version_url(version, ".edit_version", _anchor="metadata"),
                  lambda: _render_overview(version, {"meta": form}, 400))


@bp.post(EDIT + "/generic-levels")
@require(is_organiser)
def edit_generic_levels(slug: str, label: str):
    version = load_draft(slug, label)
    form = GenericLevelsForm(prefix="generic")
    return _apply(version, form, "edit_generic_levels",
                  lambda: framework_edits.edit_generic_levels(version, form.texts()),
                  "Generic levels saved.", _version_url(version, ".edit_version", _anchor="generic-levels"),
                  lambda: _render_overview(version, {"generic": form}, 400))


@bp.post(EDIT + "/glossary")
@require(is_organiser)
def add_glossary_term(slug: str, label: str):
    version = load_draft(slug, label)
    form = GlossaryTermForm(prefix="gnew")
    return _apply(version, form, "add_glossary_term",
                  lambda: framework_edits.add_glossary_term(version, form.term.data, form.definition.data),
                  f"Glossary term '{(form.term.data or '').strip()}' added.",
                  _version_url(version, ".edit_version", _anchor="glossary"),
                  lambda: _render_overview(version, {"gnew": form}, 400))


@bp.post(EDIT + "/glossary/<int:term_id>")
@require(is_organiser)
def edit_glossary_term(slug: str, label: str, term_id: int):
    version = load_draft(slug, label)
    form = GlossaryTermForm(prefix=f"g{term_id}")
    return _apply(version, form, "edit_glossary_term",
                  lambda: framework_edits.edit_glossary_term(version, term_id, form.term.data, form.definition.data),
                  "Glossary term saved.", _version_url(version, ".edit_version", _anchor="glossary"),
                  lambda: _render_overview(version, {f"g{term_id}": form}, 400))


@bp.post(EDIT + "/glossary/<int:term_id>/delete")
@require(is_organiser)
def delete_glossary_term(slug: str, label: str, term_id: int):
    version = load_draft(slug, label)
    return _button(version, "delete_glossary_term",
                   lambda: framework_edits.delete_glossary_term(version, term_id), "Glossary term deleted.",
                   _version_url(version, ".edit_version", _anchor="glossary"))


@bp.post(EDIT + "/domains")
@require(is_organiser)
def add_domain(slug: str, label: str):
    version = load_draft(slug, label)
    form = ElementForm(prefix="dnew")
    code = (form.code.data or "").strip()
    return _apply(version, form, "add_domain",
                  lambda: framework_edits.add_domain(version, form.code.data, form.title.data),
                  f"Domain {code} added.", _version_url(version, ".edit_domain", code=code),
                  lambda: _render_overview(version, {"dnew": form}, 400))


@bp.post(EDIT + "/domains/<code>/subdomains")
@require(is_organiser)
def add_subdomain(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    form = ElementForm(prefix="snew")
    new_code = (form.code.data or "").strip()
    return _apply(version, form, "add_subdomain",
                  lambda: framework_edits.add_subdomain(version, code, form.code.data, form.title.data),
                  f"Subdomain {new_code} added.", _version_url(version, ".edit_domain", code=code,
                                                                  _anchor=f"el-{new_code}"),
                  lambda: _render_domain(version, code, {"snew": form}, 400))


@bp.post(EDIT + "/subdomains/<code>/indicators")
@require(is_organiser)
def add_indicator(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    subdomain = _element(version, code, Subdomain)
    domain_code = subdomain.domain.code
    form = IndicatorForm(prefix=f"n-{code}")
    new_code = (form.code.data or "").strip()
    return _apply(version, form, "add_indicator",
                  lambda: framework_edits.add_indicator(version, code, form.code.data, form.statement.data,
                                                        form.levels(), form.guidance.data),
                  f"Indicator {new_code} added.", _version_url(version, ".edit_domain", code=domain_code,
                                                                  _anchor=f"el-{new_code}"),
                  lambda: _render_domain(version, domain_code, {f"n-{code}": form}, 400))


@bp.post(EDIT + "/indicators/<code>")
@require(is_organiser)
def update_indicator(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    indicator = _element(version, code, Indicator)
    domain_code = indicator.subdomain.domain.code
    form = IndicatorForm(prefix=f"i-{code}")
    return _apply(version, form, "reword_indicator",
                  lambda: framework_edits.update_indicator(version, code, form.statement.data, form.guidance.data,
                                                           form.levels()),
                  f"Indicator {code} saved.", _version_url(version, ".edit_domain", code=domain_code,
                                                           _anchor=f"el-{code}"),
                  lambda: _render_domain(version, domain_code, {f"i-{code}": form}, 400))


@bp.post(EDIT + "/elements/<code>/title")
@require(is_organiser)
def retitle(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    element = _element(version, code, (Domain, Subdomain))
    domain_code = _domain_of(element).code
    form = TitleForm(prefix=f"t-{code}")
    return _apply(version, form, "retitle_element",
                  lambda: framework_edits.retitle(version, code, form.title.data),
                  f"Title of {code} saved.", _version_url(version, ".edit_domain", code=domain_code,
                                                          _anchor=f"el-{code}"),
                  lambda: _render_domain(version, domain_code, {f"t-{code}": form}, 400))


@bp.post(EDIT + "/elements/<code>/move")
@require(is_organiser)
def move_element(slug: str, label: str, code: str):
    version = frameworks.load_tree(load_draft(slug, label))
    element = _element(version, code, (Subdomain, Indicator))
    domain_code = _domain_of(element).code
    form = _move_form(version, element)
    target = form.to.data

    def back() -> str:  # after the move the element may live on another domain's page
        moved = framework_edits.find_element(version, code)
        return _version_url(version, ".edit_domain", code=_domain_of(moved).code, _anchor=f"el-{code}")

    return _apply(version, form, "move_element", lambda: framework_edits.move(version, code, target),
                  f"{code} moved to {target}.", back,
                  lambda: _render_domain(version, domain_code, {f"m-{code}": form}, 400))


@bp.post(EDIT + "/elements/<code>/<any(up, down):direction>")
@require(is_organiser)
def reorder_element(slug: str, label: str, code: str, direction: str):
    version = load_draft(slug, label)
    element = _element(version, code, (Domain, Subdomain, Indicator))
    back = (_version_url(version, ".edit_version", _anchor=f"el-{code}") if isinstance(element, Domain)
            else _version_url(version, ".edit_domain", code=_domain_of(element).code, _anchor=f"el-{code}"))
    return _button(version, "reorder_element", lambda: framework_edits.reorder(version, code, direction),
                   f"{code} moved {direction}.", back)


@bp.post(EDIT + "/elements/<code>/delete")
@require(is_organiser)
def delete_element(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    element = _element(version, code, (Domain, Subdomain, Indicator))
    back = (_version_url(version, ".edit_version", _anchor="domains") if isinstance(element, Domain)
            else _version_url(version, ".edit_domain", code=_domain_of(element).code))
    if request.form.get("confirm") != "yes":  # the first click asks; nothing is deleted yet
        return render_template("organiser/frameworks/confirm_delete.html", version=version, element=element,
                               kind=type(element).__name__.lower(), back=back)
    return _button(version, "delete_element", lambda: framework_edits.remove(version, code),
                   f"{code} and everything under it deleted.", back)


def _element(version: FrameworkVersion, code: str, kinds):
    """The element addressed by the URL, of the kind the route expects, else 404."""
    try:
        element = framework_edits.find_element(version, code)
    except DomainError:
        abort(404)
    if not isinstance(element, kinds):
        abort(404)
    return element
