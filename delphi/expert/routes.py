"""The expert's pages: dashboard, consent, one rating page per domain with autosave, submission."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, get_template_attribute, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from delphi.converters import MAX_ID
from delphi.errors import DomainError
from delphi.extensions import db, limiter
from delphi.forms import EmptyForm
from delphi.models import Panelist, Participation, Round, RoundItem
from delphi.permissions import load_round_for_expert, load_study_for_expert
from delphi.security import login_cookie_identity
from delphi.services.frameworks import glossary, translations
from delphi.services.studies import autosave as rating_autosave
from delphi.services.studies import carry, languages, live, panel, protocols, ratings, results
from delphi.services.studies.ratings import UNABLE

bp = Blueprint("expert", __name__, url_prefix="/expert")


@bp.get("/")
@login_required
def index():
    panelists = db.session.scalars(select(Panelist).where(Panelist.user_id == current_user.id)).all()
    entries = []
    for p in panelists:
        rnd = p.study.current_round
        entry = {"study": p.study, "panelist": p, "round": rnd, "rated": 0, "total": 0, "submitted": False,
                 "language": languages.of(p),
                 "languages": languages.names(p.study) if languages.is_multilingual(p.study) else []}
        if rnd is not None and rnd.is_open:
            entry["rated"] = ratings.count_rated_items(rnd, p)
            entry["total"] = len(rnd.round_items)
            entry["submitted"] = db.session.scalar(select(Participation.submitted_at).where(
                Participation.round_id == rnd.id, Participation.panelist_id == p.id)) is not None
        entries.append(entry)
    return render_template("expert/index.html", entries=entries)


@bp.post("/studies/<int:study_id>/language")
@login_required
def choose_language(study_id: int):
    """The expert chooses which of the study's languages they read and rate it in (their answers record it)."""
    study, panelist = load_study_for_expert(study_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        languages.choose(panelist, request.form.get("language", ""), by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("You now read and rate this study in %(language)s.",
                language=translations.language_name(panelist.language)), "success")
    back = request.form.get("back")
    if back == "consent":
        return redirect(url_for("expert.consent", study_id=study.id))
    rnd = study.current_round
    if back == "round" and rnd is not None:
        return redirect(url_for("expert.round_start", round_id=rnd.id))
    return redirect(url_for("expert.index"))


@bp.route("/studies/<int:study_id>/consent", methods=["GET", "POST"])
@login_required
def consent(study_id: int):
    study, panelist = load_study_for_expert(study_id)
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("accept") != "yes":
            flash(_("Tick the box to accept the terms, or contact the organiser."), "error")
            return render_template("expert/consent.html", study=study, panelist=panelist, form=form,
                                   **_language_context(panelist)), 400
        languages.settle(panelist)  # the language the consent was read in is the one they rate in
        panel.consent(panelist, request.form.get("interests"))
        db.session.commit()
        flash(_("Thank you. You can now rate."), "success")
        rnd = study.current_round
        if rnd is not None and rnd.is_open:
            return redirect(url_for("expert.round_start", round_id=rnd.id))
        return redirect(url_for("expert.index"))
    return render_template("expert/consent.html", study=study, panelist=panelist, form=form,
                           **_language_context(panelist))


def _language_context(panelist: Panelist) -> dict:
    """What a page shows in the expert's study language: the language, its name and the choice offered."""
    language = languages.of(panelist)
    study = panelist.study
    return {"study_language": language, "study_languages": languages.names(study),
            "consent_text": languages.consent_in(study, language)}


def _domains(round_items: list[RoundItem]) -> list[str]:
    seen: list[str] = []
    for ri in round_items:
        if ri.item.domain_code not in seen:
            seen.append(ri.item.domain_code)
    return seen


def _domain_titles(rnd: Round, language: str) -> dict[str, str]:
    from delphi.models import Domain

    titles = dict(db.session.execute(select(Domain.code, Domain.title).where(
        Domain.version_id == rnd.study.framework_version_id)).all())
    if language != languages.source(rnd.study):
        targets = translations.targets(rnd.study.framework_version, language)
        titles = {code: targets.get(f"domain.{code}.title") or title for code, title in titles.items()}
    return titles


def _round_items(rnd: Round) -> list[RoundItem]:
    """The round's items with their Item rows in one query (no query per item)."""
    return list(db.session.scalars(select(RoundItem).join(RoundItem.item).options(contains_eager(RoundItem.item))
                                   .where(RoundItem.round_id == rnd.id).order_by(RoundItem.position)))


@bp.get("/rounds/<int:round_id>")
@login_required
def round_start(round_id: int):
    rnd, panelist = load_round_for_expert(round_id)
    if panelist.consented_at is None:
        return redirect(url_for("expert.consent", study_id=rnd.study_id))
    domains = _domains(_round_items(rnd))
    if not domains:
        abort(404)
    return redirect(url_for("expert.domain_page", round_id=rnd.id, domain=domains[0]))


@bp.route("/rounds/<int:round_id>/domains/<domain>", methods=["GET", "POST"])
@login_required
def domain_page(round_id: int, domain: str):
    rnd, panelist = load_round_for_expert(round_id)
    if panelist.consented_at is None:
        return redirect(url_for("expert.consent", study_id=rnd.study_id))
    round_items = _round_items(rnd)
    page_items = [ri for ri in round_items if ri.item.domain_code == domain]
    if not page_items:
        abort(404)
    chosen = panelist.language
    language = languages.settle(panelist)  # before any answer: the answers record the language shown
    questions = languages.questions_in(rnd.study, language)
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        errors = _save_form(rnd, panelist, page_items, questions)
        if not errors:  # what the page showed as "kept unless you change it" is kept now
            carry.keep(rnd, panelist, [ri.item_id for ri in page_items])
        if errors:
            db.session.rollback()
            for e in errors[:5]:
                flash(e, "error")
        else:
            db.session.commit()
            flash(_("Your answers on this page are saved."), "success")
            if request.form.get("next_domain"):
                return redirect(url_for("expert.domain_page", round_id=rnd.id, domain=request.form["next_domain"]))
        return redirect(url_for("expert.domain_page", round_id=rnd.id, domain=domain))
    own, comments = ratings.answers(rnd, panelist)
    kept = carry.carried(rnd, panelist)
    shown = {i: {**kept.get(i, {}), **own.get(i, {})} for i in {*own, *kept}}
    previous = next((r for r in rnd.study.rounds if r.number == rnd.number - 1), None)
    feedback = results.feedback(previous, panelist, [ri.item_id for ri in page_items]) if previous else {}
    domains = _domains(round_items)
    n_keys = len(questions)
    complete = {d: all(len(shown.get(ri.item_id, {})) >= n_keys for ri in round_items if ri.item.domain_code == d)
                for d in domains}
    rated = sum(1 for ri in round_items if len(shown.get(ri.item_id, {})) >= n_keys)
    index = domains.index(domain)
    submitted = db.session.scalar(select(Participation.submitted_at).where(
        Participation.round_id == rnd.id, Participation.panelist_id == panelist.id))
    terms = glossary.for_version(rnd.study.framework_version, language)
    live_now = live.feedback(rnd, panelist, [ri.item_id for ri in page_items]) if live.is_live(rnd) else None
    if panelist.language != chosen:
        db.session.commit()  # settle() stored the language this page shows
    return render_template("expert/domain.html", gloss=terms.annotate, terms=terms, rnd=rnd, study=rnd.study,
                           panelist=panelist, domain=domain, wording={
                               ri.id: languages.wording_in(ri.wording, language) for ri in page_items},
                           previous_wording={ri.id: languages.wording_in(ri.previous_wording, language)
                                             for ri in page_items},
                           study_language=language, study_languages=languages.names(rnd.study), live=live_now,
                           live_refresh=live.settings(rnd.study.protocol).refresh_seconds,
                           domains=domains, titles=_domain_titles(rnd, language), complete=complete, items=page_items,
                           questions=questions, own=shown, kept=kept, comments=comments, feedback=feedback, rated=rated,
                           total=len(round_items), next_domain=domains[index + 1] if index + 1 < len(domains) else None,
                           prev_domain=domains[index - 1] if index > 0 else None, submitted=submitted,
                           unable=UNABLE)


def _save_form(rnd, panelist, page_items, questions) -> list[str]:
    """The no-JavaScript path: save every answer on the page; collect errors instead of stopping at one. A value
    the page pre-filled from the previous round and left alone is kept as carried (carry.keep), not as given."""
    errors = []
    kept = carry.carried(rnd, panelist, [ri.item_id for ri in page_items])
    for ri in page_items:
        values = {}
        for q in questions:
            raw = request.form.get(f"r-{ri.item_id}-{q['key']}")
            previous = kept.get(ri.item_id, {})
            if q["key"] in previous and raw == (UNABLE if previous[q["key"]] is None else str(previous[q["key"]])):
                continue
            if raw not in (None, ""):
                values[q["key"]] = raw
        comment = request.form.get(f"c-{ri.item_id}")
        if not values and comment is None:
            continue
        try:
            ratings.save(rnd, panelist, ri.item_id, ratings=values, comment=comment)
        except DomainError as exc:
            errors.append(_("%(code)s: %(reason)s", code=ri.item.code, reason=exc.message))
            if isinstance(exc, ratings.RoundNotOpen):
                break
    return errors


@limiter.request_filter
def _autosave_is_not_rate_limited() -> bool:
    """Autosaves are a logged-in expert's clicks, and a panel behind one proxy shares an IP: no per-IP limit
    (those guard the login and token pages), and no limiter work at all on the hottest path."""
    return request.endpoint == "expert.autosave"


@bp.post("/rounds/<int:round_id>/autosave")
def autosave(round_id: int):
    """JSON: {"item": id, "question": key, "value": 1..n | "unable"} and/or {"item": id, "comment": text}.

    The login is checked by services.studies.autosave in its own SQL (not by loading the user): see that module.
    """
    identity = login_cookie_identity()
    if identity is None:
        return current_app.login_manager.unauthorized()
    g.log_user_id = identity[0]
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("item"), int) or isinstance(data["item"], bool) \
            or not 0 < data["item"] <= MAX_ID:
        return jsonify({"ok": False, "error": _("Send JSON with an item id (a whole number of this round).")}), 400
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        return jsonify({"ok": False, "error": _("A comment must be text.")}), 400
    if data.get("question") is not None and not isinstance(data["question"], str):
        return jsonify({"ok": False, "error": _("Name the question as text.")}), 400
    try:
        rating_autosave.save_answer(*identity, round_id, data["item"], question=data.get("question"),
                                    value=data.get("value"), comment=comment)
    except DomainError as exc:
        return jsonify({"ok": False, "error": exc.message}), exc.status_code
    return jsonify({"ok": True})


@bp.get("/rounds/<int:round_id>/live")
@login_required
def live_feedback(round_id: int):
    """JSON {item id: the live panel's HTML} for the given items (?items=1,2,3), for the page to swap in; 304
    when nothing the expert could see changed since the ETag it sends (services/studies/live.py: polling)."""
    rnd, panelist = load_round_for_expert(round_id)
    if not protocols.is_live(rnd.study.protocol):
        abort(404)
    if panelist.consented_at is None:
        abort(403)
    try:
        wanted = [int(x) for x in request.args.get("items", "").split(",") if x.strip()][:500]
    except ValueError:
        return jsonify({"error": _("Name the items as whole numbers separated by commas.")}), 400
    ids = live.in_round(rnd.id, wanted)
    language = languages.of(panelist)
    tag = live.etag(rnd.id, ids, panelist, language)
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": f'"{tag}"'})
    shown = live.feedback(rnd, panelist, ids)
    questions = languages.questions_in(rnd.study, language)
    panel_of = get_template_attribute("expert/_live.html", "live_panel")
    panels = {str(i): str(panel_of(shown[i], questions, language)) for i in ids}
    response = jsonify({"items": panels, "open": rnd.is_open,
                        "refresh": live.settings(rnd.study.protocol).refresh_seconds})
    response.set_etag(tag)
    return response


@bp.post("/rounds/<int:round_id>/submit")
@login_required
def submit(round_id: int):
    rnd, panelist = load_round_for_expert(round_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ratings.submit(rnd, panelist)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("expert.round_start", round_id=rnd.id))
    db.session.commit()
    flash(_("Round %(number)s submitted. Thank you! You can change your answers until the round closes.",
            number=rnd.number), "success")
    return redirect(url_for("expert.index"))
