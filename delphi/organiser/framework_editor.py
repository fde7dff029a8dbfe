"""The framework editor: a draft's overview and domain pages, and one POST per edit (metadata, generic levels,
glossary, add, reword, move, reorder, delete).

Every change is a POST with CSRF that commits once and goes to the audit log; a refused change re-renders the
page with the message next to the form and leaves the draft as it was."""
from __future__ import annotations

from typing import Callable

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import SelectChoice

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import Domain, FrameworkVersion, Indicator, Subdomain
from delphi.organiser.blueprint import bp
from delphi.organiser.framework_access import RACE_MESSAGE, Change, load_draft, load_version, version_url
from delphi.organiser.framework_forms import (
    ElementForm,
    GenericLevelsForm,
    GlossaryTermForm,
    IndicatorForm,
    MetadataForm,
    MoveForm,
    TitleForm,
)
from delphi.permissions import is_organiser, require
from delphi.services.accounts import audit
from delphi.services.frameworks import editing, versions


# A version's status as a sentence names it (the stored value is the enum's).
STATUS_WORDS = {"draft": _l("draft"), "released": _l("released"), "retired": _l("retired")}


def _not_a_draft(version: FrameworkVersion) -> str:
    return _("%(version)s is %(status)s and cannot be changed; create a new draft from it.", version=version.ref,
             status=STATUS_WORDS.get(version.status.value, version.status.value))


@bp.get("/frameworks/<slug>/versions/<label>/edit")
@require(is_organiser)
def edit_version(slug: str, label: str):
    version = load_version(slug, label)
    if not version.is_draft:
        flash(_not_a_draft(version), "warning")
        return redirect(version_url(version))
    return _render_overview(version)


@bp.get("/frameworks/<slug>/versions/<label>/edit/domains/<code>")
@require(is_organiser)
def edit_domain(slug: str, label: str, code: str):
    version = load_version(slug, label)
    if not version.is_draft:
        flash(_not_a_draft(version), "warning")
        return redirect(version_url(version))
    return _render_domain(version, code)


def _render_overview(version: FrameworkVersion, failed: dict[str, FlaskForm] | None = None, status: int = 200):
    version = versions.load_tree(version)
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
    version = versions.load_tree(version)
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
        choices = [SelectChoice(s.code, f"{s.code} {s.title}",
                                optgroup=_("Domain %(code)s %(title)s", code=d.code, title=d.title))
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
        except versions.VersionImmutable:
            raise
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        except IntegrityError:  # a concurrent edit took the code or term first; the constraint decided
            db.session.rollback()
            form.form_errors.append(str(RACE_MESSAGE))
        else:
            if before is None and after is None:
                flash(_("Nothing to change: the texts are the same."), "info")
            else:
                audit.record(current_user, action, "framework_version", version.id, before=before, after=after)
                db.session.commit()
                flash(done, "success")
            return redirect(back() if callable(back) else back)
    flash(_("Nothing was changed: see the message at the form below."), "error")
    return rerender()


def _button(version: FrameworkVersion, action: str, edit: Callable[[], Change], done: str, back: str):
    """A button (no fields): CSRF is checked globally; a refused edit is a flashed message."""
    EmptyForm().validate_on_submit()
    try:
        before, after = edit()
    except versions.VersionImmutable:
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(_("Nothing was changed: %(reason)s", reason=exc.message), "error")
    except IntegrityError:
        db.session.rollback()
        flash(_("Nothing was changed: %(reason)s", reason=RACE_MESSAGE), "error")
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
                  lambda: editing.edit_metadata(version, **{f: form[f].data for f in
                                                                    editing.METADATA_FIELDS}),
                  _("Metadata saved."), version_url(version, ".edit_version", _anchor="metadata"),
                  lambda: _render_overview(version, {"meta": form}, 400))


@bp.post(EDIT + "/generic-levels")
@require(is_organiser)
def edit_generic_levels(slug: str, label: str):
    version = load_draft(slug, label)
    form = GenericLevelsForm(prefix="generic")
    return _apply(version, form, "edit_generic_levels",
                  lambda: editing.edit_generic_levels(version, form.texts()),
                  _("Generic levels saved."), version_url(version, ".edit_version", _anchor="generic-levels"),
                  lambda: _render_overview(version, {"generic": form}, 400))


@bp.post(EDIT + "/glossary")
@require(is_organiser)
def add_glossary_term(slug: str, label: str):
    version = load_draft(slug, label)
    form = GlossaryTermForm(prefix="gnew")
    return _apply(version, form, "add_glossary_term",
                  lambda: editing.add_glossary_term(version, form.term.data, form.definition.data),
                  _("Glossary term '%(term)s' added.", term=(form.term.data or "").strip()),
                  version_url(version, ".edit_version", _anchor="glossary"),
                  lambda: _render_overview(version, {"gnew": form}, 400))


@bp.post(EDIT + "/glossary/<int:term_id>")
@require(is_organiser)
def edit_glossary_term(slug: str, label: str, term_id: int):
    version = load_draft(slug, label)
    form = GlossaryTermForm(prefix=f"g{term_id}")
    return _apply(version, form, "edit_glossary_term",
                  lambda: editing.edit_glossary_term(version, term_id, form.term.data, form.definition.data),
                  _("Glossary term saved."), version_url(version, ".edit_version", _anchor="glossary"),
                  lambda: _render_overview(version, {f"g{term_id}": form}, 400))


@bp.post(EDIT + "/glossary/<int:term_id>/delete")
@require(is_organiser)
def delete_glossary_term(slug: str, label: str, term_id: int):
    version = load_draft(slug, label)
    return _button(version, "delete_glossary_term",
                   lambda: editing.delete_glossary_term(version, term_id), _("Glossary term deleted."),
                   version_url(version, ".edit_version", _anchor="glossary"))


@bp.post(EDIT + "/domains")
@require(is_organiser)
def add_domain(slug: str, label: str):
    version = load_draft(slug, label)
    form = ElementForm(prefix="dnew")
    code = (form.code.data or "").strip()
    return _apply(version, form, "add_domain",
                  lambda: editing.add_domain(version, form.code.data, form.title.data),
                  _("Domain %(code)s added.", code=code), version_url(version, ".edit_domain", code=code),
                  lambda: _render_overview(version, {"dnew": form}, 400))


@bp.post(EDIT + "/domains/<code>/subdomains")
@require(is_organiser)
def add_subdomain(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    form = ElementForm(prefix="snew")
    new_code = (form.code.data or "").strip()
    return _apply(version, form, "add_subdomain",
                  lambda: editing.add_subdomain(version, code, form.code.data, form.title.data),
                  _("Subdomain %(code)s added.", code=new_code), version_url(version, ".edit_domain", code=code,
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
                  lambda: editing.add_indicator(version, code, form.code.data, form.statement.data,
                                                        form.levels(), form.guidance.data),
                  _("Indicator %(code)s added.", code=new_code), version_url(version, ".edit_domain", code=domain_code,
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
                  lambda: editing.update_indicator(version, code, form.statement.data, form.guidance.data,
                                                           form.levels()),
                  _("Indicator %(code)s saved.", code=code), version_url(version, ".edit_domain", code=domain_code,
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
                  lambda: editing.retitle(version, code, form.title.data),
                  _("Title of %(code)s saved.", code=code), version_url(version, ".edit_domain", code=domain_code,
                                                          _anchor=f"el-{code}"),
                  lambda: _render_domain(version, domain_code, {f"t-{code}": form}, 400))


@bp.post(EDIT + "/elements/<code>/move")
@require(is_organiser)
def move_element(slug: str, label: str, code: str):
    version = versions.load_tree(load_draft(slug, label))
    element = _element(version, code, (Subdomain, Indicator))
    domain_code = _domain_of(element).code
    form = _move_form(version, element)
    target = form.to.data

    def back() -> str:  # after the move the element may live on another domain's page
        moved = editing.find_element(version, code)
        return version_url(version, ".edit_domain", code=_domain_of(moved).code, _anchor=f"el-{code}")

    return _apply(version, form, "move_element", lambda: editing.move(version, code, target),
                  _("%(code)s moved to %(target)s.", code=code, target=target), back,
                  lambda: _render_domain(version, domain_code, {f"m-{code}": form}, 400))


@bp.post(EDIT + "/elements/<code>/<any(up, down):direction>")
@require(is_organiser)
def reorder_element(slug: str, label: str, code: str, direction: str):
    version = load_draft(slug, label)
    element = _element(version, code, (Domain, Subdomain, Indicator))
    back = (version_url(version, ".edit_version", _anchor=f"el-{code}") if isinstance(element, Domain)
            else version_url(version, ".edit_domain", code=_domain_of(element).code, _anchor=f"el-{code}"))
    return _button(version, "reorder_element", lambda: editing.reorder(version, code, direction),
                   _("%(code)s moved up.", code=code) if direction == "up"
                   else _("%(code)s moved down.", code=code), back)


@bp.post(EDIT + "/elements/<code>/delete")
@require(is_organiser)
def delete_element(slug: str, label: str, code: str):
    version = load_draft(slug, label)
    element = _element(version, code, (Domain, Subdomain, Indicator))
    back = (version_url(version, ".edit_version", _anchor="domains") if isinstance(element, Domain)
            else version_url(version, ".edit_domain", code=_domain_of(element).code))
    if request.form.get("confirm") != "yes":  # the first click asks; nothing is deleted yet
        return render_template("organiser/frameworks/confirm_delete.html", version=version, element=element,
                               kind=type(element).__name__.lower(), back=back)
    return _button(version, "delete_element", lambda: editing.remove(version, code),
                   _("%(code)s and everything under it deleted.", code=code), back)


def _element(version: FrameworkVersion, code: str, kinds):
    """The element addressed by the URL, of the kind the route expects, else 404."""
    try:
        element = editing.find_element(version, code)
    except DomainError:
        abort(404)
    if not isinstance(element, kinds):
        abort(404)
    return element
