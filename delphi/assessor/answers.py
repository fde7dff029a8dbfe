"""Answering an assessment: one page per domain (with the Save button), the autosave, and team consensus.

A page or the autosave sends what the person changed, with the revision they started from; the answer service
saves field by field and says what it saved, refused (kept on the page with its message) and found in conflict
(both versions shown; the person chooses).
"""
from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from delphi.assessor.access import load_assessment, require
from delphi.assessor.access import page_context as _context
from delphi.assessor.blueprint import bp
from delphi.extensions import db
from delphi.services.assessments import answers as assessment_answers
from delphi.services.assessments import lifecycle
from delphi.services.assessments import results as assessment_results
from delphi.services.assessments.answers import (
    CONSENSUS_FIELDS,
    FIELD_LABELS,
    SOLO_FIELDS,
    TEAM_FIELDS,
    AnswerConflict,
    AnswerInvalid,
    SaveResult,
)
from delphi.services.assessments.glossary import Glossary
from delphi.services.assessments.lifecycle import AssessmentFinalised

FORM_FIELDS = tuple(FIELD_LABELS)[:-1]  # every answer field of a form (not the revision)


# --------------------------------------------------------------------------------------------------------------
# The page form: a<id>-<field>, a<id>-revision, a<id>-<field>-was (what the page showed), a<id>-<field>-choice and
# a<id>-unresolved (a conflict the page showed)

def _values(answer, mine) -> dict[str, Any]:
    """What one indicator's fields show: the stored answer as form strings, its revision and fingerprints."""
    values = assessment_answers.field_values(answer)
    values.update(my_level=str(mine.level or "") if mine else "", my_comment=(mine.comment or "") if mine else "",
                  revision=answer.revision if answer is not None else 0,
                  was=assessment_answers.fingerprints(answer, mine), unresolved=[])
    return values


def _submitted(indicator_id: int) -> dict[str, Any]:
    prefix = f"a{indicator_id}-"
    form = request.form
    raw: dict[str, Any] = {key: form.get(prefix + key, "") for key in FORM_FIELDS if (prefix + key) in form}
    if (prefix + "not_applicable-was") in form:  # the page drew the checkbox: unticked is a value too
        raw["not_applicable"] = (prefix + "not_applicable") in form
    raw["revision"] = form.get(prefix + "revision", "")
    raw["was"] = {k: form[f"{prefix}{k}-was"] for k in FORM_FIELDS if f"{prefix}{k}-was" in form}
    raw["choices"] = {k: form[f"{prefix}{k}-choice"] for k in FORM_FIELDS if f"{prefix}{k}-choice" in form}
    raw["unresolved"] = [k for k in form.get(prefix + "unresolved", "").split() if k in FORM_FIELDS]
    return raw


def _problem(result: SaveResult, indicator) -> dict[str, Any] | None:
    """What the page shows of one indicator's save that did not go through entirely."""
    if not (result.refused or result.conflicts):
        return None
    conflict = result.conflict(indicator)
    return {"refused": {r.at: r.message for r in result.refused}, "kept": {r.field: r.value for r in result.refused},
            "conflicts": {c.field: c for c in result.conflicts},
            "conflict_message": conflict.message if conflict else "", "saved": result.saved,
            "first": (result.refused[0].at if result.refused else result.conflicts[0].field)}


def _save_page(a, indicators, fields, *, with_my_level: bool) -> tuple[dict[int, dict], int]:
    """Save a page's indicators; returns the problems per indicator and how many indicators have an answer."""
    items, problems = [], {}
    for ind in indicators:
        try:
            items.append((ind, assessment_answers.parse(_submitted(ind.id))))
        except AnswerInvalid as error:
            problems[ind.id] = {"refused": {"revision": error.message}, "kept": {}, "conflicts": {},
                                "conflict_message": "", "saved": (), "first": "title"}
    results = assessment_answers.save_page(a, items, fields=fields, by=current_user, with_my_level=with_my_level)
    for (ind, _given), result in zip(items, results, strict=True):
        problem = _problem(result, ind)
        if problem:
            problems[ind.id] = problem
    return problems, sum(1 for r in results if r.stored)


def _shown(stored: dict, mine: dict, indicators, problems: dict[int, dict]) -> dict[int, dict]:
    """Fresh values for every field, except a refused or conflicting one: that shows what the person submitted."""
    values = {}
    for ind in indicators:
        shown = _values(stored.get(ind.id), mine.get(ind.id))
        problem = problems.get(ind.id)
        if problem:
            shown.update(problem["kept"])
            shown.update({f: c.mine for f, c in problem["conflicts"].items()})
            shown["unresolved"] = sorted(problem["conflicts"])
        values[ind.id] = shown
    return values


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>", methods=["GET", "POST"])
@login_required
def answer(assessment_id: int, index: int):
    acc = load_assessment(assessment_id)
    a = acc.assessment
    tree = lifecycle.tree(a.version, levels=True, glossary=True, language=a.language)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, dict] = {}
    if request.method == "POST":
        require(acc.on_team or acc.is_lead)
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
        try:
            problems, stored = _save_page(a, domain.indicators, TEAM_FIELDS if a.team_mode else SOLO_FIELDS,
                                          with_my_level=a.team_mode)
        except IntegrityError:
            db.session.rollback()
            flash(_("The answers could not be stored (the assessment may just have been finalised). "
                    "Nothing was saved."), "error")
            return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
        db.session.commit()
        if not problems:
            flash(_("Saved domain %(domain)s: %(stored)s of %(total)s indicators have an answer stored.",
                    domain=domain.code, stored=stored, total=len(domain.indicators)), "success")
            if request.form.get("next") == "1" and tree.domain(index + 1):
                return redirect(url_for("assessor.answer", assessment_id=a.id, index=index + 1))
            return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    stored_answers = assessment_answers.answers(a)
    mine = assessment_answers.my_levels(a, current_user) if a.team_mode else {}
    glossary = Glossary(tree.glossary)
    texts = {ind.id: (glossary.annotate(ind.statement), tuple(glossary.annotate(t) for t in ind.levels))
             for ind in domain.indicators}
    team_view = a.team_mode and acc.on_team
    return render_template("assessor/answer.html", **_context(
        acc, tree=tree, domain=domain, values=_shown(stored_answers, mine, domain.indicators, problems),
        problems=problems, texts=texts, terms=glossary.used_terms(), completion=lifecycle.completion(a, tree),
        my_completion=lifecycle.member_completion(a, tree, current_user) if team_view else None,
        my_saves=assessment_answers.my_last_saves(a, current_user) if a.team_mode else {},
        answers=stored_answers, labels=FIELD_LABELS, can_edit=acc.can_answer)), 400 if problems else 200


def _json_error(status: int, error: str, message: str, field: str | None = None):
    return jsonify({"ok": False, "error": error, "message": message, "field": field}), status


def _save_body(a, tree, indicator, result: SaveResult) -> tuple[dict[str, Any], int]:
    completion = lifecycle.completion(a, tree)
    d_answered, d_total = completion.per_domain[indicator.domain_index]
    body: dict[str, Any] = {
        "ok": not (result.refused or result.conflicts), "message": _("Saved"), "indicator_id": indicator.id,
        "revision": result.revision, "answered": result.answered, "saved": list(result.saved),
        "saved_at": result.saved_at.isoformat() if result.saved_at else None,
        "refused": {r.field: {"field": r.at, "message": r.message, "value": r.value} for r in result.refused},
        "conflicts": {c.field: {"label": str(FIELD_LABELS[c.field]), "mine": c.mine, "theirs": c.theirs,
                                "by": c.by, "revision": c.revision} for c in result.conflicts},
        "current": assessment_answers.field_values(assessment_answers.answers(a).get(indicator.id)),
        "progress": {"answered": completion.answered, "total": completion.total},
        "domain": {"index": indicator.domain_index, "answered": d_answered, "total": d_total}}
    if a.team_mode:
        mine = lifecycle.member_completion(a, tree, current_user)
        m_answered, m_total = mine.per_domain[indicator.domain_index]
        body.update(my_progress={"answered": mine.answered, "total": mine.total},
                    my_domain={"index": indicator.domain_index, "answered": m_answered, "total": m_total})
    if result.conflicts:
        body.update(error="conflict", message=result.conflict(indicator).message, field=result.conflicts[0].field)
        return body, 409
    if result.refused:
        first = result.refused[0]
        message = (_("%(reason)s The other changes were saved.", reason=first.message) if result.saved
                   else first.message)
        body.update(error="invalid", message=message, field=first.at)
        return body, 400
    return body, 200


@bp.post("/assessments/<int:assessment_id>/indicators/<int:indicator_id>/answer")
@login_required
def autosave(assessment_id: int, indicator_id: int):
    """Save the changed fields of one indicator (JSON in, JSON out); the page's script calls it on every change."""
    acc = load_assessment(assessment_id)
    a = acc.assessment
    if not (acc.on_team or acc.is_lead):
        return _json_error(403, "forbidden", _("You are not on this assessment's team, so you cannot answer."))
    tree = lifecycle.tree(a.version)
    indicator = tree.by_id.get(indicator_id)
    if indicator is None:
        return _json_error(404, "not_found", _("This indicator is not part of the assessment's framework version."))
    payload = request.get_json(silent=True) if request.is_json else request.form.to_dict()
    if not isinstance(payload, dict):
        return _json_error(400, "invalid", _("Send the answer as a JSON object of fields."))
    try:
        given = assessment_answers.parse(payload)
        result = assessment_answers.save_answer(a, indicator, given, by=current_user, with_my_level=a.team_mode,
                                                fields=TEAM_FIELDS if a.team_mode else SOLO_FIELDS)
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
        return _json_error(409, "refused", _("The database refused this answer (the assessment may just have "
                                             "been finalised); nothing was saved. Reload the page."))
    db.session.commit()
    body, status = _save_body(a, tree, indicator, result)
    return jsonify(body), status


@bp.route("/assessments/<int:assessment_id>/domains/<int:index>/consensus", methods=["GET", "POST"])
@login_required
def consensus(assessment_id: int, index: int):
    """Team mode: the lead reads the spread of individual levels and records the agreed level with a note."""
    acc = load_assessment(assessment_id)
    require(acc.is_lead)
    a = acc.assessment
    if not a.team_mode:
        flash(_("This assessment is not in team mode: the team answers the levels directly."), "info")
        return redirect(url_for("assessor.answer", assessment_id=a.id, index=index))
    tree = lifecycle.tree(a.version, levels=True, language=a.language)
    domain = tree.domain(index)
    if domain is None:
        abort(404)
    problems: dict[int, dict] = {}
    if request.method == "POST":
        if a.is_finalised:
            flash(AssessmentFinalised(a).message, "error")
            return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
        problems, _stored = _save_page(a, domain.indicators, CONSENSUS_FIELDS, with_my_level=False)
        db.session.commit()
        if not problems:
            flash(_("Agreed levels of domain %(domain)s saved.", domain=domain.code), "success")
            return redirect(url_for("assessor.consensus", assessment_id=a.id, index=index))
    stored = assessment_answers.answers(a)
    names = {m.user_id: m.user.name for m in a.team}
    spread = assessment_results.spreads(
        assessment_answers.member_levels(a, [i.id for i in domain.indicators]), names)
    return (render_template("assessor/consensus.html", **_context(
        acc, tree=tree, domain=domain, values=_shown(stored, {}, domain.indicators, problems), problems=problems,
        spread=spread, completion=lifecycle.completion(a, tree), team_size=len(a.team), labels=FIELD_LABELS)),
        400 if problems else 200)
