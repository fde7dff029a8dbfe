"""The organiser's study pages: the list, a new study, the study page, its protocol, the ratings export and
the audit log."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from delphi import jsonsafe, stats
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.models import AuditEvent, Decision, FrameworkVersion, Study, StudyOrganiser, VersionStatus
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import DeadlineForm, OpenRoundForm, ProtocolForm, StudyForm
from delphi.organiser.responses import download, fail
from delphi.permissions import is_organiser, load_study_for_organiser, require
from delphi.services.studies import decisions, design, exports, languages, protocols, rounds


# A version's status as the choices name it (the stored value is the enum's).
STATUS_WORDS = {"draft": _l("draft"), "released": _l("released"), "retired": _l("retired")}


def _version_choices() -> list[SelectChoice]:
    versions = db.session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.created_at)).all()
    visible = [v for v in versions if v.status == VersionStatus.RELEASED
               or (v.status == VersionStatus.DRAFT and (v.created_by_id == current_user.id or current_user.is_admin))]
    return [SelectChoice(v.id, f"{v.name} — {v.label} ({STATUS_WORDS.get(v.status.value, v.status.value)})")
            for v in visible]


@bp.get("/")
@require(is_organiser)
def index():
    my_studies = db.session.scalars(select(Study).join(StudyOrganiser).where(StudyOrganiser.user_id == current_user.id)
                                    .order_by(Study.created_at.desc())).all()
    form = StudyForm()
    form.version_id.choices = _version_choices()
    return render_template("organiser/index.html", studies=my_studies, form=form)


@bp.post("/studies")
@require(is_organiser)
def create_study():
    form = StudyForm()
    form.version_id.choices = _version_choices()
    if not form.validate_on_submit():
        flash(_("Give the study a title and choose a framework version."), "error")
        return redirect(url_for("organiser.index"))
    version = db.session.get(FrameworkVersion, form.version_id.data)
    try:
        study = design.create(form.title.data, version, by=current_user, aims=form.aims.data or "",
                               contact=form.contact.data or "")
    except DomainError as exc:
        return fail(exc, "organiser.index")
    db.session.commit()
    flash(_("Study created on draft %(version)s. Next: check the protocol and add the panel.",
            version=study.framework_version.ref), "success")
    return redirect(url_for("organiser.study", study_id=study.id))


@bp.get("/studies/<int:study_id>")
@require(is_organiser)
def study(study_id: int):
    st = load_study_for_organiser(study_id)
    current = st.current_round
    progress = rounds.progress(current) if current and current.is_open else None
    return render_template("organiser/study.html", study=st, current=current, progress=progress,
                           open_form=OpenRoundForm(deadline=rounds.default_deadline()),
                           deadline_form=DeadlineForm(deadline=current.deadline if current else None),
                           rule=protocols.rule_summary(st.protocol), kinds=protocols.KIND_LABELS,
                           stopping=protocols.STOPPING_RULES, study_languages=languages.offered(st))


def _protocol_from_form(form: ProtocolForm, st_live: dict | None = None) -> dict:
    questions = []
    for n in (1, 2):
        key = (getattr(form, f"q{n}_key").data or "").strip()
        if not key:
            continue
        labels_raw = getattr(form, f"q{n}_labels").data or ""
        labels = [x.strip() for x in labels_raw.split("|")] if labels_raw.strip() else None
        questions.append({"key": key, "label": getattr(form, f"q{n}_label").data or key,
                          "points": getattr(form, f"q{n}_points").data, "labels": labels,
                          "allow_unable": getattr(form, f"q{n}_unable").data})
    if form.rule.data == "custom":
        try:
            rule = jsonsafe.loads(form.custom_rule.data or "")
        except jsonsafe.JSONRefused as exc:
            raise InvalidInput(_("The custom rule: %(reason)s", reason=str(exc))) from None
        if not isinstance(rule, dict):
            raise InvalidInput(_("The custom rule must be a preset name or a JSON object with clauses, "
                                 "like the presets shown below."))
    else:
        rule = form.rule.data
    return {"rated_kinds": form.rated_kinds.data, "questions": questions, "rule": rule,
            "stability_threshold": form.stability_threshold.data, "stopping": form.stopping.data,
            "max_rounds": form.max_rounds.data, "quartiles": form.quartiles.data,
            "drop_decided": form.drop_decided.data, "respondents": form.respondents.data,
            "publish_interests": form.publish_interests.data,
            "publish_panel_attributes": form.publish_panel_attributes.data, "feedback_by_group": form.feedback_by_group.data,
            "prefill_previous": form.prefill_previous.data,
            "withdrawn_ratings": form.withdrawn_ratings.data,
            "reminder_days_before": [d.strip() for d in (form.reminder_days.data or "").split(",") if d.strip()],
            "default_actions": {k.removeprefix("default_action-"): v for k, v in request.form.items()
                                if k.startswith("default_action-")},
            "comment_required_at_or_below": form.comment_required_at_or_below.data,
            "mode": form.mode.data,
            "live": {"min_answers": form.live_min_answers.data or 3, "after_own_answer": form.live_after_own_answer.data,
                     "refresh_seconds": (st_live or {}).get("refresh_seconds", 3)}}


def _fill_protocol_form(form: ProtocolForm, st: Study) -> None:
    p = st.protocol
    form.rated_kinds.data = p["rated_kinds"]
    for n, q in enumerate(p["questions"][:2], 1):
        getattr(form, f"q{n}_key").data = q["key"]
        getattr(form, f"q{n}_label").data = q["label"]
        getattr(form, f"q{n}_points").data = q["points"]
        getattr(form, f"q{n}_labels").data = " | ".join(q["labels"])
        getattr(form, f"q{n}_unable").data = q.get("allow_unable", False)
    if isinstance(p["rule"], str):
        form.rule.data = p["rule"]
    else:
        form.rule.data = "custom"
        form.custom_rule.data = json.dumps(p["rule"], indent=2)
    form.stability_threshold.data = p["stability_threshold"]
    form.stopping.data = p["stopping"]
    form.max_rounds.data = p["max_rounds"]
    form.quartiles.data = p["quartiles"]
    form.drop_decided.data = p["drop_decided"]
    form.respondents.data = p.get("respondents") or "any_rating"
    form.publish_interests.data = bool(p.get("publish_interests"))
    form.publish_panel_attributes.data = bool(p.get("publish_panel_attributes"))
    form.feedback_by_group.data = bool(p.get("feedback_by_group"))
    form.prefill_previous.data = bool(p.get("prefill_previous"))
    form.withdrawn_ratings.data = p.get("withdrawn_ratings") or "keep"
    form.reminder_days.data = ", ".join(str(d) for d in p.get("reminder_days_before") or [])
    form.comment_required_at_or_below.data = p.get("comment_required_at_or_below")
    form.consent_text.data = st.consent_text
    form.mode.data = p.get("mode") or "classic"
    live = p.get("live") or {}
    form.live_min_answers.data = live.get("min_answers", 3)
    form.live_after_own_answer.data = live.get("after_own_answer", True)


@bp.route("/studies/<int:study_id>/protocol", methods=["GET", "POST"])
@require(is_organiser)
def protocol(study_id: int):
    st = load_study_for_organiser(study_id)
    form = ProtocolForm()
    form.rule.choices = [SelectChoice(name, f"{name} — {rule.description or rule.source}"[:120])
                         for name, rule in stats.PRESETS.items()]
    form.rule.choices.append(SelectChoice("custom", _("Custom rule (JSON below)")))
    if request.method == "GET":
        _fill_protocol_form(form, st)
    elif st.protocol_locked_at is not None:
        flash(_("The protocol was locked when round 1 opened and can no longer change."), "error")
        return redirect(url_for("organiser.study", study_id=st.id))
    elif form.validate_on_submit():
        try:
            # Keys the form does not show (set through the JSON protocol) are kept.
            design.set_protocol(st, {**st.protocol, **_protocol_from_form(form, st.protocol.get("live"))},
                                by=current_user,
                                consent_text=form.consent_text.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("organiser/protocol.html", study=st, form=form, **_action_context(st)), 400
        db.session.commit()
        flash(_("Protocol saved. It will be locked when round 1 opens."), "success")
        return redirect(url_for("organiser.study", study_id=st.id))
    elif request.method == "POST":
        return render_template("organiser/protocol.html", study=st, form=form, **_action_context(st)), 400
    return render_template("organiser/protocol.html", study=st, form=form, **_action_context(st))


def _action_context(st: Study) -> dict:
    return {"default_actions": protocols.default_actions(st.protocol),
            "action_labels": {d.value: decisions.LABELS[d] for d in Decision if d.value in protocols.ACTIONS}}


@bp.get("/studies/<int:study_id>/ratings.<fmt>")
@require(is_organiser)
def export_ratings(study_id: int, fmt: str):
    st = load_study_for_organiser(study_id)
    if fmt == "csv":
        return download(exports.ratings_csv(st), f"study-{st.id}-ratings.csv", "text/csv")
    if fmt == "xlsx":
        return download(exports.ratings_xlsx(st), f"study-{st.id}-ratings.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


@bp.get("/studies/<int:study_id>/audit")
@require(is_organiser)
def audit_log(study_id: int):
    st = load_study_for_organiser(study_id)
    round_ids = [r.id for r in st.rounds]
    item_ids = [i.id for i in st.items]
    events = db.session.scalars(select(AuditEvent).where(
        ((AuditEvent.subject_type == "study") & (AuditEvent.subject_id == st.id))
        | ((AuditEvent.subject_type == "round") & AuditEvent.subject_id.in_(round_ids or [-1]))
        | ((AuditEvent.subject_type == "item") & AuditEvent.subject_id.in_(item_ids or [-1])))
        .order_by(AuditEvent.at.desc()).limit(1000)).all()
    return render_template("organiser/audit.html", study=st, events=events)
