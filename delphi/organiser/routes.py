"""The organiser's pages: studies, protocol, panel, rounds, between-round decisions, exports, audit log."""
from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from delphi import stats
from delphi.errors import DomainError, InvalidInput
from delphi.extensions import db
from delphi.forms import EmptyForm
from delphi.models import (
    AuditEvent,
    Decision,
    FrameworkVersion,
    Item,
    ItemDecision,
    ItemKind,
    MailLog,
    Study,
    StudyOrganiser,
    VersionStatus,
)
from delphi.organiser import bp
from delphi.organiser.forms import (
    DeadlineForm,
    DecisionForm,
    OpenRoundForm,
    PanelCsvForm,
    PanelistForm,
    ProtocolForm,
    StudyForm,
)
from delphi.permissions import (
    is_organiser,
    load_round_for_organiser,
    load_study_for_organiser,
    require,
)
from delphi.services import decisions, exports, panel, protocols, results, rounds, studies


def _fail(exc: DomainError, endpoint: str, **kwargs):
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(url_for(endpoint, **kwargs))


def _version_choices() -> list[SelectChoice]:
    versions = db.session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.created_at)).all()
    visible = [v for v in versions if v.status == VersionStatus.RELEASED
               or (v.status == VersionStatus.DRAFT and (v.created_by_id == current_user.id or current_user.is_admin))]
    return [SelectChoice(v.id, f"{v.name} — {v.label} ({v.status.value})") for v in visible]


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
        flash("Give the study a title and choose a framework version.", "error")
        return redirect(url_for("organiser.index"))
    version = db.session.get(FrameworkVersion, form.version_id.data)
    try:
        study = studies.create(form.title.data, version, by=current_user, aims=form.aims.data or "",
                               contact=form.contact.data or "")
    except DomainError as exc:
        return _fail(exc, "organiser.index")
    db.session.commit()
    flash(f"Study created on draft {study.framework_version.ref}. Next: check the protocol and add the panel.",
          "success")
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
                           stopping=protocols.STOPPING_RULES)


def _protocol_from_form(form: ProtocolForm) -> dict:
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
            rule = json.loads(form.custom_rule.data or "")
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"The custom rule is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    else:
        rule = form.rule.data
    return {"rated_kinds": form.rated_kinds.data, "questions": questions, "rule": rule,
            "stability_threshold": form.stability_threshold.data, "stopping": form.stopping.data,
            "max_rounds": form.max_rounds.data, "quartiles": form.quartiles.data,
            "drop_decided": form.drop_decided.data,
            "comment_required_at_or_below": form.comment_required_at_or_below.data}


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
    form.comment_required_at_or_below.data = p.get("comment_required_at_or_below")
    form.consent_text.data = st.consent_text


@bp.route("/studies/<int:study_id>/protocol", methods=["GET", "POST"])
@require(is_organiser)
def protocol(study_id: int):
    st = load_study_for_organiser(study_id)
    form = ProtocolForm()
    form.rule.choices = [SelectChoice(name, f"{name} — {rule.description or rule.source}"[:120])
                         for name, rule in stats.PRESETS.items()] + [SelectChoice("custom", "Custom rule (JSON below)")]
    if request.method == "GET":
        _fill_protocol_form(form, st)
    elif st.protocol_locked_at is not None:
        flash("The protocol was locked when round 1 opened and can no longer change.", "error")
        return redirect(url_for("organiser.study", study_id=st.id))
    elif form.validate_on_submit():
        try:
            studies.set_protocol(st, _protocol_from_form(form), by=current_user, consent_text=form.consent_text.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("organiser/protocol.html", study=st, form=form), 400
        db.session.commit()
        flash("Protocol saved. It will be locked when round 1 opens.", "success")
        return redirect(url_for("organiser.study", study_id=st.id))
    elif request.method == "POST":
        return render_template("organiser/protocol.html", study=st, form=form), 400
    return render_template("organiser/protocol.html", study=st, form=form)


@bp.route("/studies/<int:study_id>/panel", methods=["GET", "POST"])
@require(is_organiser)
def panel_page(study_id: int):
    st = load_study_for_organiser(study_id)
    form = PanelistForm()
    if form.validate_on_submit():
        try:
            p = panel.add(st, form.email.data, form.name.data, by=current_user,
                          stakeholder_group=form.stakeholder_group.data or "", country=form.country.data or "",
                          expertise=form.expertise.data or "")
        except DomainError as exc:
            return _fail(exc, "organiser.panel_page", study_id=st.id)
        db.session.commit()
        flash(f"{form.name.data} added to the panel as {p.pseudonym}. Send the invitations when the panel is "
              "complete.", "success")
        return redirect(url_for("organiser.panel_page", study_id=st.id))
    mails = db.session.scalars(select(MailLog).where(MailLog.study_id == st.id).order_by(MailLog.sent_at.desc())
                               .limit(200)).all()
    status = 400 if request.method == "POST" else 200  # a POST that reaches here failed validation
    return render_template("organiser/panel.html", study=st, form=form, csv_form=PanelCsvForm(),
                           mails=mails), status


@bp.post("/studies/<int:study_id>/panel/csv")
@require(is_organiser)
def panel_csv(study_id: int):
    st = load_study_for_organiser(study_id)
    form = PanelCsvForm()
    if not form.validate_on_submit():
        flash("Choose a CSV file to check.", "error")
        return redirect(url_for("organiser.panel_page", study_id=st.id))
    try:
        preview = panel.parse_csv(form.file.data.read(), st)
    except DomainError as exc:
        return _fail(exc, "organiser.panel_page", study_id=st.id)
    return render_template("organiser/panel_preview.html", study=st, preview=preview,
                           rows_json=json.dumps(preview.rows))


@bp.post("/studies/<int:study_id>/panel/csv/confirm")
@require(is_organiser)
def panel_csv_confirm(study_id: int):
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rows = json.loads(request.form.get("rows", "[]"))
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("the confirmed rows are not a list of rows")
        # Re-check the confirmed rows exactly as on upload: nothing unchecked reaches the panel.
        preview = panel.check_rows(rows, st, skip_blank=False)
        if preview.errors:
            raise InvalidInput("The panel changed since the file was checked; upload it again.")
        added = panel.add_rows(st, preview.rows, by=current_user)
    except (DomainError, ValueError) as exc:
        return _fail(exc if isinstance(exc, DomainError) else InvalidInput("The confirmation was damaged; "
                                                                          "upload the file again."),
                     "organiser.panel_page", study_id=st.id)
    db.session.commit()
    flash(f"{len(added)} experts added to the panel.", "success")
    return redirect(url_for("organiser.panel_page", study_id=st.id))


@bp.post("/studies/<int:study_id>/panel/invite")
@require(is_organiser)
def invite_panel(study_id: int):
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    sent = panel.invite(st, list(st.panelists), by=current_user)
    db.session.commit()
    flash(f"{sent} invitation(s) sent." if sent else "Everyone on the panel has already been invited.",
          "success" if sent else "info")
    return redirect(url_for("organiser.panel_page", study_id=st.id))


@bp.post("/studies/<int:study_id>/rounds")
@require(is_organiser)
def open_round(study_id: int):
    st = load_study_for_organiser(study_id)
    form = OpenRoundForm()
    if not form.validate_on_submit():
        flash("Give a valid deadline (date and time, UTC).", "error")
        return redirect(url_for("organiser.study", study_id=st.id))
    try:
        rnd = rounds.open_round(st, form.deadline.data, by=current_user)
    except DomainError as exc:
        return _fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(f"Round {rnd.number} is open with {len(rnd.round_items)} items until "
          f"{rnd.deadline:%d %b %Y %H:%M} UTC.", "success")
    return redirect(url_for("organiser.study", study_id=st.id))


@bp.get("/rounds/<int:round_id>/progress.json")
@require(is_organiser)
def round_progress(round_id: int):
    """Live progress for the study page's script: totals only, never an individual's ratings."""
    rnd = load_round_for_organiser(round_id)
    progress = rounds.progress(rnd)
    return {"round": rnd.number, "status": rnd.status.value, "panel": progress["panel"],
            "started": progress["started"], "completed": progress["completed"], "items": progress["items"],
            "per_item": {str(k): v for k, v in progress["per_item"].items()}}


@bp.post("/rounds/<int:round_id>/extend")
@require(is_organiser)
def extend_round(round_id: int):
    rnd = load_round_for_organiser(round_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        flash("Give a valid deadline.", "error")
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    try:
        rounds.extend(rnd, form.deadline.data, by=current_user)
    except DomainError as exc:
        return _fail(exc, "organiser.study", study_id=rnd.study_id)
    db.session.commit()
    flash(f"Round {rnd.number} now closes {rnd.deadline:%d %b %Y %H:%M} UTC.", "success")
    return redirect(url_for("organiser.study", study_id=rnd.study_id))


@bp.post("/rounds/<int:round_id>/remind")
@require(is_organiser)
def remind(round_id: int):
    rnd = load_round_for_organiser(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not rnd.is_open:
        return _fail(rounds.RoundNotOpen(rnd.number), "organiser.study", study_id=rnd.study_id)
    sent = panel.remind(rnd, by=current_user, base_url=current_app.config["BASE_URL"])
    db.session.commit()
    flash(f"Reminder sent to {sent} panelist(s) who have not submitted round {rnd.number}.", "success")
    return redirect(url_for("organiser.study", study_id=rnd.study_id))


@bp.post("/rounds/<int:round_id>/close")
@require(is_organiser)
def close_round(round_id: int):
    rnd = load_round_for_organiser(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        rounds.close(rnd, by=current_user)
    except DomainError as exc:
        return _fail(exc, "organiser.study", study_id=rnd.study_id)
    db.session.commit()
    flash(f"Round {rnd.number} closed; results computed.", "success")
    return redirect(url_for("organiser.review_round", round_id=rnd.id))


SORTS = {
    "position": lambda r: r["position"],
    "agreement": lambda r: (r["agree"] is None, r["agree"] if r["agree"] is not None else 0),
    "iqr": lambda r: (r["iqr"] is None, -(r["iqr"] or 0)),
    "change": lambda r: (r["change"] is None, -(r["change"] or 0)),
}


@bp.get("/rounds/<int:round_id>")
@require(is_organiser)
def review_round(round_id: int):
    """The consensus dashboard: one row per item, with filters, sorting, a group view and panel figures."""
    rnd = load_round_for_organiser(round_id)
    if rnd.is_open:
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    questions = rnd.study.protocol["questions"]
    first = questions[0]["key"]
    rows = results.item_rows(rnd)
    stability = results.stability_rows(rnd)
    outcomes = results.outcomes(rnd)
    made = {d.item_id: d for d in db.session.scalars(select(ItemDecision).where(ItemDecision.round_id == rnd.id))}
    table = []
    for ri in rnd.round_items:
        stats_row = rows.get(ri.item.code, {}).get(first) or {}
        stab = stability.get(ri.item.code, {}).get(first)
        kruskal = stats_row.get("kruskal_p")
        table.append({"ri": ri, "item": ri.item, "position": ri.position, "outcome": outcomes.get(ri.item.code),
                      "agree": stats_row.get("agree_pct"), "iqr": stats_row.get("iqr"),
                      "change": stab.get("pct_change") if stab else None,
                      "unstable": bool(stab) and stab.get("stable") is False,
                      "groups_differ": kruskal is not None and kruskal == kruskal and kruskal < 0.05,
                      "decision": made.get(ri.item_id)})
    outcome_filter = request.args.get("outcome", "")
    domain_filter = request.args.get("domain", "")
    unstable_only = request.args.get("unstable") == "1"
    sort = request.args.get("sort", "position")
    shown = [r for r in table if (not outcome_filter or r["outcome"] == outcome_filter)
             and (not domain_filter or r["item"].domain_code == domain_filter)
             and (not unstable_only or r["unstable"])]
    shown.sort(key=SORTS.get(sort, SORTS["position"]))
    groups = _group_view(rnd, first) if request.args.get("view") == "groups" else None
    panel_rows = {q["key"]: results.panel_row(rnd, q["key"]) for q in questions}
    return render_template("organiser/round.html", rnd=rnd, study=rnd.study, rows=rows, stability=stability,
                           outcomes=outcomes, made=made, questions=questions, panel_rows=panel_rows,
                           form=DecisionForm(), can_decide=rnd.study.current_round.id == rnd.id, table=shown,
                           total=len(table), all_outcomes=sorted({r["outcome"] for r in table if r["outcome"]}),
                           domains=list(dict.fromkeys(r["item"].domain_code for r in table)),
                           filters={"outcome": outcome_filter, "domain": domain_filter, "unstable": unstable_only,
                                    "sort": sort}, groups=groups, progress=rounds.progress(rnd))


def _group_view(rnd, question: str) -> dict:
    """Per item, each stakeholder group's % agreement and median side by side."""
    analysis = ((rnd.results or {}).get("questions") or {}).get(question) or {}
    by_item: dict[str, dict[str, dict]] = {}
    names: list[str] = []
    for row in analysis.get("groups") or []:
        if row["round"] != rnd.number:
            continue
        by_item.setdefault(str(row["item"]), {})[str(row["group"])] = row
        if str(row["group"]) not in names:
            names.append(str(row["group"]))
    return {"names": sorted(names), "by_item": by_item}


@bp.post("/rounds/<int:round_id>/items/<int:item_id>/decision")
@require(is_organiser)
def decide(round_id: int, item_id: int):
    rnd = load_round_for_organiser(round_id)
    item = db.session.get(Item, item_id)
    if item is None or item.study_id != rnd.study_id:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("The decision form was incomplete.", "error")
        return redirect(url_for("organiser.review_round", round_id=rnd.id) + f"#item-{item.id}")
    target = None
    if form.merge_into.data:
        target = db.session.scalar(select(Item).where(Item.study_id == rnd.study_id,
                                                      Item.code == form.merge_into.data.strip()))
        if target is None:
            return _fail(InvalidInput(f"No item {form.merge_into.data} in this study."), "organiser.review_round",
                         round_id=rnd.id)
    levels = [getattr(form, f"level_{n}").data or "" for n in range(1, 6)]
    try:
        decisions.decide(rnd, item, Decision(form.decision.data), by=current_user, reason=form.reason.data or "",
                         new_text=form.new_text.data, new_levels=levels if any(levels) else None,
                         merge_into=target)
    except DomainError as exc:
        return _fail(exc, "organiser.review_round", round_id=rnd.id)
    db.session.commit()
    flash(f"{item.code}: {form.decision.data} recorded.", "success")
    return redirect(url_for("organiser.review_round", round_id=rnd.id) + f"#item-{item.id}")


@bp.post("/studies/<int:study_id>/items")
@require(is_organiser)
def add_item(study_id: int):
    """Between rounds: rate an element added to the draft (e.g. an indicator experts proposed, or half of a split)."""
    st = load_study_for_organiser(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if st.current_round is None or st.current_round.is_open or st.status.value == "finished":
            raise InvalidInput("New items can be added between rounds: after a round has closed and before the "
                               "next one opens.")
        kind = ItemKind(request.form.get("kind", "indicator"))
        item = decisions.add_proposed_item(st, kind, (request.form.get("element_code") or "").strip(),
                                           by=current_user)
    except ValueError:
        return _fail(InvalidInput("Choose what kind of item to add."), "organiser.study", study_id=st.id)
    except DomainError as exc:
        return _fail(exc, "organiser.study", study_id=st.id)
    db.session.commit()
    flash(f"Item {item.code} added; it will be rated in the next round.", "success")
    return redirect(url_for("organiser.study", study_id=st.id))


@bp.get("/studies/<int:study_id>/ratings.<fmt>")
@require(is_organiser)
def export_ratings(study_id: int, fmt: str):
    st = load_study_for_organiser(study_id)
    if fmt == "csv":
        return _download(exports.ratings_csv(st), f"study-{st.id}-ratings.csv", "text/csv")
    if fmt == "xlsx":
        return _download(exports.ratings_xlsx(st), f"study-{st.id}-ratings.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


@bp.get("/rounds/<int:round_id>/results.<fmt>")
@require(is_organiser)
def export_results(round_id: int, fmt: str):
    rnd = load_round_for_organiser(round_id)
    if rnd.results is None:
        abort(404)
    name = f"study-{rnd.study_id}-round-{rnd.number}-results"
    if fmt == "json":
        return _download(exports.results_json(rnd), f"{name}.json", "application/json")
    if fmt == "csv":
        return _download(exports.results_csv(rnd), f"{name}.csv", "text/csv")
    if fmt == "xlsx":
        return _download(exports.results_xlsx(rnd), f"{name}.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    abort(404)


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


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
