"""Answering an assessment: one page per domain (with the Save button), the autosave, and team consensus."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from delphi.assessor.access import load_assessment, require
from delphi.assessor.access import page_context as _context
from delphi.assessor.blueprint import bp
from delphi.extensions import db
from delphi.models.assessment import AssessmentAnswer, AssessmentMemberLevel
from delphi.services.assessments import answers as assessment_answers
from delphi.services.assessments import lifecycle
from delphi.services.assessments import results as assessment_results
from delphi.services.assessments.answers import (
    CONSENSUS_FIELDS,
    SOLO_FIELDS,
    TEAM_FIELDS,
    AnswerConflict,
    AnswerInvalid,
    PageInvalid,
)
from delphi.services.assessments.glossary import Glossary
from delphi.services.assessments.lifecycle import AssessmentFinalised

ANSWER_KEYS = ("current_level", "target_level", "target_date", "confidence", "evidence", "links", "not_applicable",
               "na_reason", "agreed_note", "my_level", "my_comment", "revision")


# --------------------------------------------------------------------------------------------------------------
# Answering

def _values(answer: AssessmentAnswer | None, mine: AssessmentMemberLevel | None) -> dict[str, Any]:
    """What the answer fields show: the stored answer as form strings."""
    values: dict[str, Any] = {k: "" for k in ANSWER_KEYS}
    values.update(not_applicable=False, revision=0)
    if answer is not None:
        values.update(
            current_level=str(answer.current_level or ""), target_level=str(answer.target_level or ""),
            target_date=answer.target_date.isoformat() if answer.target_date else "",
            confidence=answer.confidence.value if answer.confidence else "", evidence=answer.evidence or "",
            links="\n".join(answer.links or []), not_applicable=answer.not_applicable,
            na_reason=answer.na_reason or "", agreed_note=answer.agreed_note or "", revision=answer.revision)
    if mine is not None:
        values.update(my_level=str(mine.level or ""), my_comment=mine.comment or "")
    return values


def _submitted(indicator_id: int) -> dict[str, Any]:
    """One indicator's fields from the page form (names a<id>-<field>)."""
    prefix = f"a{indicator_id}-"
    raw: dict[str, Any] = {}
    for key in ANSWER_KEYS:
        if key == "not_applicable":
            raw[key] = (prefix + key) in request.form
        elif (prefix + key) in request.form:
            raw[key] = request.form.get(prefix + key, "")
    return raw


def _parse_page(indicators, fields) -> tuple[list, dict[int, tuple[str | None, str]], dict[int, dict]]:
    items, problems, raws = [], {}, {}
    for ind in indicators:
        raw = _submitted(ind.id)
        raws[ind.id] = raw
        try:
            items.append((ind, assessment_answers.parse(raw)))
        except AnswerInvalid as error:
            problems[ind.id] = (error.field, error.message)
    return items, problems, raws


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>", methods=["GET", "POST"])
@login_required
def answer(assessment_id: int, index: int):
    acc = load_assessment(assessment_id)
    a = acc.assessment
    tree = lifecycle.tree(a.version, levels=True, glossary=True)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, tuple[str | None, str]] = {}
    raws: dict[int, dict] = {}
    if request.method == "POST":
        require(acc.on_team or acc.is_lead)
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
        fields = TEAM_FIELDS if a.team_mode else SOLO_FIELDS
        items, problems, raws = _parse_page(domain.indicators, fields)
        if not problems:
            try:
                saved = assessment_answers.save_page(a, items, fields=fields, by=current_user,
                                                     with_my_level=a.team_mode)
            except PageInvalid as error:
                db.session.rollback()
                problems = error.problems
            except IntegrityError:
                db.session.rollback()
                flash("The answers could not be stored (the assessment may just have been finalised). "
                      "Nothing was saved.", "error")
                return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
            else:
                db.session.commit()
                stored = sum(1 for r in saved if r.stored)
                flash(f"Saved domain {domain.code}: {stored} of {len(domain.indicators)} indicators have an answer "
                      "stored.", "success")
                if request.form.get("next") == "1" and tree.domain(index + 1):
                    return redirect(url_for("assessor.answer", assessment_id=a.id, index=index + 1))
                return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    stored_answers = assessment_answers.answers(a)
    mine = assessment_answers.my_levels(a, current_user) if a.team_mode else {}
    values = {}
    for ind in domain.indicators:
        shown = _values(stored_answers.get(ind.id), mine.get(ind.id))
        if ind.id in raws:  # a refused save: show what the person typed, not the stored answer
            kept = {k: v for k, v in raws[ind.id].items() if k != "revision"}
            shown.update(kept)
            if problems.get(ind.id, (None,))[0] != "conflict":
                shown["revision"] = raws[ind.id].get("revision", shown["revision"])
        values[ind.id] = shown
    glossary = Glossary(tree.glossary)
    texts = {ind.id: (glossary.annotate(ind.statement), tuple(glossary.annotate(t) for t in ind.levels))
             for ind in domain.indicators}
    completion = lifecycle.completion(a, tree)
    status = 400 if problems else 200
    return render_template("assessor/answer.html", **_context(
        acc, tree=tree, domain=domain, values=values, problems=problems, texts=texts,
        terms=glossary.used_terms(), completion=completion, answers=stored_answers,
        can_edit=acc.can_answer)), status


def _json_error(status: int, error: str, message: str, field: str | None = None):
    return jsonify({"ok": False, "error": error, "message": message, "field": field}), status


@bp.post("/assessments/<int:assessment_id>/indicators/<int:indicator_id>/answer")
@login_required
def autosave(assessment_id: int, indicator_id: int):
    """Save one indicator's answer (JSON in, JSON out); the page's script calls it on every change."""
    acc = load_assessment(assessment_id)
    a = acc.assessment
    if not (acc.on_team or acc.is_lead):
        return _json_error(403, "forbidden", "You are not on this assessment's team, so you cannot answer.")
    tree = lifecycle.tree(a.version)
    indicator = tree.by_id.get(indicator_id)
    if indicator is None:
        return _json_error(404, "not_found", "This indicator is not part of the assessment's framework version.")
    payload = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(payload, dict):
        return _json_error(400, "invalid", "Send the answer as a JSON object of fields.")
    try:
        given = assessment_answers.parse(payload)
        result = assessment_answers.save(a, indicator, given, fields=TEAM_FIELDS if a.team_mode else SOLO_FIELDS,
                                         by=current_user)
        if a.team_mode:
            assessment_answers.save_my_level(a, indicator, given, by=current_user)
    except AnswerInvalid as error:
        db.session.rollback()
        return _json_error(400, "invalid", error.message, error.field)
    except AnswerConflict as error:
        db.session.rollback()
        return _json_error(409, "conflict", error.message)
    except AssessmentFinalised as error:
        db.session.rollback()
        return _json_error(409, "finalised", error.message)
    except IntegrityError:
        db.session.rollback()
        return _json_error(409, "refused", "The database refused this answer (the assessment may just have been "
                                           "finalised); nothing was saved. Reload the page.")
    db.session.commit()
    completion = lifecycle.completion(a, tree)
    d_answered, d_total = completion.per_domain[indicator.domain_index]
    return jsonify({
        "ok": True, "message": "Saved", "indicator_id": indicator.id, "revision": result.revision,
        "answered": result.answered, "saved_at": result.saved_at.isoformat() if result.saved_at else None,
        "progress": {"answered": completion.answered, "total": completion.total},
        "domain": {"index": indicator.domain_index, "answered": d_answered, "total": d_total}})


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>/consensus", methods=["GET", "POST"])
@login_required
def consensus(assessment_id: int, index: int):
    """Team mode: the lead reads the spread of individual levels and records the agreed level with a note."""
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    a = acc.assessment
    if not a.team_mode:
        flash("This assessment is not in team mode: the team answers the levels directly.", "info")
        return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    tree = lifecycle.tree(a.version, levels=True)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, tuple[str | None, str]] = {}
    raws: dict[int, dict] = {}
    if request.method == "POST":
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
        items, problems, raws = _parse_page(domain.indicators, CONSENSUS_FIELDS)
        if not problems:
            try:
                assessment_answers.save_page(a, items, fields=CONSENSUS_FIELDS, by=current_user)
            except PageInvalid as error:
                db.session.rollback()
                problems = error.problems
            else:
                db.session.commit()
                flash(f"Agreed levels of domain {domain.code} saved.", "success")
                return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
    stored = assessment_answers.answers(a)
    names = {m.user_id: m.user.name for m in a.team}
    spread = assessment_results.spreads(
        assessment_answers.member_levels(a, [i.id for i in domain.indicators]), names)
    values = {}
    for ind in domain.indicators:
        shown = _values(stored.get(ind.id), None)
        if ind.id in raws:
            shown.update({k: v for k, v in raws[ind.id].items() if k != "revision"})
            if problems.get(ind.id, (None,))[0] != "conflict":
                shown["revision"] = raws[ind.id].get("revision", shown["revision"])
        values[ind.id] = shown
    completion = lifecycle.completion(a, tree)
    return render_template("assessor/consensus.html", **_context(
        acc, tree=tree, domain=domain, values=values, problems=problems, spread=spread, completion=completion,
        team_size=len(a.team))), 400 if problems else 200
