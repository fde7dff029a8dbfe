"""Round results: the statistics engine run on the stored ratings, and what experts see as feedback."""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from delphi import stats
from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Comment, Item, ItemDecision, Panelist, Participation, Rating, Round, RoundItem
from delphi.services.studies import history, protocols, ratings


def compute(rnd: Round) -> dict[str, Any]:
    """Analyse all ratings up to this round (so stability against earlier rounds is included), per question."""
    study = rnd.study
    definition = protocols.respondents(study.protocol)
    frame = ratings.frame(study.id, up_to_round=rnd.number, **protocols.counted(study.protocol))
    panel_size = counted_panel(study)
    out: dict[str, Any] = {"computed_at": utcnow().isoformat(), "round": rnd.number, "panel_size": panel_size,
                           "respondents": participation(rnd, definition, panel_size), "questions": {}}
    by_language = "language" in frame.columns and frame.loc[frame["round"] == rnd.number, "language"].nunique() > 1
    for q in study.protocol["questions"]:
        sub = frame[frame["question"] == q["key"]]
        if sub.empty or sub[sub["round"] == rnd.number].empty:
            out["questions"][q["key"]] = None  # nobody answered this question in this round
            continue
        config = protocols.analysis_config(study.protocol, q, panel_size=panel_size)
        out["questions"][q["key"]] = stats.analyse(sub.reset_index(drop=True), config).to_dict()
        if by_language:
            out["questions"][q["key"]]["languages"] = language_rows(sub, config)
    if protocols.is_live(study.protocol):  # one open round of revisable answers: first against last answers
        out["first_last"] = history.first_last(rnd)
    return out


def language_rows(sub, config) -> list[dict[str, Any]]:
    """The per-group rows of the same analysis with the language of each rating as the grouping variable (the
    same items and statistics, per language): rows as in "groups", with "language" for "group"."""
    by_language = sub.drop(columns=["group"], errors="ignore").rename(columns={"language": "group"})
    rows = stats.analyse(by_language.reset_index(drop=True), config).to_dict()["groups"]
    return [{("language" if k == "group" else k): v for k, v in row.items()} for row in rows]


def counted_panel(study) -> int:
    """The panel the response rate divides by: everyone, less those who withdrew if their ratings are left out."""
    query = select(func.count(Panelist.id)).where(Panelist.study_id == study.id)
    if protocols.counted(study.protocol)["withdrawn"] is False:
        query = query.where(Panelist.withdrawn_at.is_(None))
    return db.session.scalar(query) or 0


def participation(rnd: Round, definition: str, panel_size: int) -> dict[str, Any]:
    """Who responded to the round under the protocol's one definition, and who rated without submitting."""
    raters = set(db.session.scalars(select(Rating.panelist_id).where(Rating.round_id == rnd.id).distinct()))
    submitted = set(db.session.scalars(select(Participation.panelist_id).where(
        Participation.round_id == rnd.id, Participation.submitted_at.is_not(None))))
    if protocols.counted(rnd.study.protocol)["withdrawn"] is False:
        gone = set(db.session.scalars(select(Panelist.id).where(Panelist.study_id == rnd.study_id,
                                                                Panelist.withdrawn_at.is_not(None))))
        raters, submitted = raters - gone, submitted - gone
    partial = len(raters - submitted)
    count = len(submitted) if definition == "submitted" else len(raters)
    return {"definition": definition, "count": count, "submitted": len(submitted), "partial": partial,
            "partial_counted": definition != "submitted", "panel": panel_size,
            "rate": count / panel_size if panel_size else None}


def respondents(rnd: Round) -> dict[str, Any]:
    """The round's respondents as stored at close (computed now for results stored before this existed)."""
    stored = (rnd.results or {}).get("respondents")
    if stored:
        return stored
    return participation(rnd, protocols.respondents(rnd.study.protocol), counted_panel(rnd.study))


def item_rows(rnd: Round) -> dict[str, dict[str, dict[str, Any]]]:
    """{item_code: {question: items-table row}} for this round's own rows."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for key, analysis in ((rnd.results or {}).get("questions") or {}).items():
        if not analysis:
            continue
        for row in analysis["items"]:
            if row["round"] == rnd.number:
                rows.setdefault(str(row["item"]), {})[key] = row
    return rows


def stability_rows(rnd: Round) -> dict[str, dict[str, dict[str, Any]]]:
    """{item_code: {question: stability row}} between the previous round and this one."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for key, analysis in ((rnd.results or {}).get("questions") or {}).items():
        if not analysis:
            continue
        for row in analysis.get("stability", []):
            if row["to_round"] == rnd.number:
                rows.setdefault(str(row["item"]), {})[key] = row
    return rows


def decided_outcomes(rnd: Round) -> set[str]:
    rule = stats.load_rule(rnd.study.protocol.get("rule") or "mlm-2021")
    return set(rule.decided or ())


def item_outcome(per_question: dict[str, dict[str, Any]], question_order: list[str], decided: set[str]) -> str | None:
    """One outcome per item: the first question's outcome that is not 'decided', else the first question's."""
    outcomes = [per_question[k]["outcome"] for k in question_order if k in per_question]
    if not outcomes:
        return None
    for outcome in outcomes:
        if outcome not in decided:
            return outcome
    return outcomes[0]


def outcomes(rnd: Round, rows: dict[str, dict[str, dict[str, Any]]] | None = None) -> dict[str, str | None]:
    """One outcome per item code (rows: item_rows(rnd), when the caller has them already)."""
    order = [q["key"] for q in rnd.study.protocol["questions"]]
    decided = decided_outcomes(rnd)
    return {code: item_outcome(per_q, order, decided) for code, per_q in (rows or item_rows(rnd)).items()}


def undecided_without_decision(rnd: Round) -> list[str]:
    decided_ids = set(db.session.scalars(select(ItemDecision.item_id).where(ItemDecision.round_id == rnd.id)))
    return [ri.item.code for ri in rnd.round_items if ri.item_id not in decided_ids]


def feedback(previous: Round, panelist: Panelist, item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Controlled feedback from the previous round for the given items, in a fixed number of queries.

    Per item: per-question statistics (counts, median, IQR, agreement, outcome), the expert's own previous
    ratings, and the other panelists' comments without any identifier.
    """
    rows = item_rows(previous)
    # Item id → code, for the items that were rated in the previous round (a new item has no feedback yet).
    code_of = dict(db.session.execute(select(Item.id, Item.code).join(RoundItem, RoundItem.item_id == Item.id).where(
        RoundItem.round_id == previous.id, Item.id.in_(item_ids))).all())
    own: dict[int, dict[str, int | None]] = {}
    for item_id, question, value in db.session.execute(
            select(Rating.item_id, Rating.question, Rating.value).where(
                Rating.round_id == previous.id, Rating.panelist_id == panelist.id, Rating.item_id.in_(item_ids))):
        own.setdefault(item_id, {})[question] = value
    others: dict[int, list[tuple[str, dict[str, str]]]] = {}
    mine: dict[int, str] = {}
    source = previous.study.framework_version.source_language or "en"
    for item_id, comment_id, author, text, language in db.session.execute(
            select(Comment.item_id, Comment.id, Comment.panelist_id, Comment.text, Comment.language).where(
                Comment.round_id == previous.id, Comment.item_id.in_(item_ids))):
        if author == panelist.id:
            mine[item_id] = text  # shown to its author beside their own previous rating
        else:  # with the language it was written in (its lang attribute; the text shows it anyway)
            others.setdefault(item_id, []).append((shuffle_key(previous.id, item_id, comment_id),
                                                   {"text": text, "language": language or source}))
    by_group = group_feedback(previous, panelist) if previous.study.protocol.get("feedback_by_group") else {}
    order = [q["key"] for q in previous.study.protocol["questions"]]
    decided = decided_outcomes(previous)
    result = {}
    for item_id in item_ids:
        if item_id not in code_of:
            continue  # new item: no feedback yet
        per_q = rows.get(code_of[item_id], {})
        result[item_id] = {"stats": per_q, "own": own.get(item_id, {}), "comments": [c for _, c in sorted(others.get(item_id, []),
                                                                                     key=lambda pair: pair[0])],
                           "own_comment": mine.get(item_id), "groups": by_group.get(code_of[item_id], {}),
                           "outcome": item_outcome(per_q, order, decided), "round": previous.number}
    return result


def shuffle_key(round_id: int, item_id: int, comment_id: int) -> str:
    """Other panelists' comments in an order of their own per item: a keyed hash, stable across reloads but
    unrelated between items, so an author's position on one item says nothing of their position on another
    (in id order, each author held the same place on every item)."""
    secret = current_app.config["SECRET_KEY"]
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, f"comment-order:{round_id}:{item_id}:{comment_id}".encode(), hashlib.sha256).hexdigest()


MIN_GROUP = 3  # no group distribution of fewer answers: a panelist could otherwise read another's rating


def group_feedback(previous: Round, panelist: Panelist) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{item code: {question: [group cells]}}: each stakeholder group's distribution in the previous round, when
    the protocol shows feedback by group (as DelphiManager offers; panelists who saw every group's distribution
    agreed more on retained items: Brookes et al., Trials 2016;17:409). Groups under MIN_GROUP answers are
    pooled as "other groups"; a pool still under MIN_GROUP joins the smallest shown group, so no cell, and no
    difference between a cell and the whole panel, isolates fewer than MIN_GROUP answers."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for key, analysis in ((previous.results or {}).get("questions") or {}).items():
        by_item: dict[str, list[dict[str, Any]]] = {}
        for row in (analysis or {}).get("groups") or []:
            if row["round"] == previous.number:
                by_item.setdefault(str(row["item"]), []).append(row)
        for code, rows in by_item.items():
            cells = merge_small_groups([(str(r["group"]), r["counts"]) for r in rows])
            if len(cells) > 1:
                for cell in cells:
                    cell["own"] = panelist.stakeholder_group in cell["members"]
                out.setdefault(code, {})[key] = cells
    return out


def merge_small_groups(groups: list[tuple[str, dict[str, int]]]) -> list[dict[str, Any]]:
    """Cells of at least MIN_GROUP answers: [{"label", "members", "counts", "n"}], largest first."""
    def n_of(counts: dict[str, int]) -> int:
        return sum(int(v) for v in counts.values())

    big = [{"label": g, "members": [g], "counts": dict(c), "n": n_of(c)} for g, c in groups if n_of(c) >= MIN_GROUP]
    small = [(g, c) for g, c in groups if 0 < n_of(c) < MIN_GROUP]
    if small:
        pool = {"label": _("other groups"), "members": [g for g, _c in small],
                "counts": {k: sum(int(c.get(k, 0)) for _g, c in small) for k in small[0][1]}, "n": 0}
        pool["n"] = n_of(pool["counts"])
        if pool["n"] >= MIN_GROUP:
            big.append(pool)
        elif big:
            smallest = min(big, key=lambda cell: cell["n"])
            smallest["label"] = _("%(group)s and other groups", group=smallest["label"])
            smallest["members"] += pool["members"]
            smallest["counts"] = {k: int(smallest["counts"].get(k, 0)) + int(pool["counts"].get(k, 0))
                                  for k in smallest["counts"]}
            smallest["n"] += pool["n"]
    return sorted(big, key=lambda cell: -cell["n"])


def panel_row(rnd: Round, question: str) -> dict[str, Any] | None:
    analysis = ((rnd.results or {}).get("questions") or {}).get(question)
    if not analysis:
        return None
    for row in analysis["panel"]:
        if row["round"] == rnd.number:
            return row
    return None


def has_language_rows(rnd: Round) -> bool:
    """Whether the round's stored results have statistics per language (ratings given in more than one)."""
    return any((analysis or {}).get("languages") for analysis in ((rnd.results or {}).get("questions") or {}).values())
