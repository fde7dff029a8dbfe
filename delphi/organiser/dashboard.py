"""The consensus dashboard of a closed round: one domain (or one page of items) at a time, with the evidence beside
each decision — statistics, the previous round's values, the panel's comments — and filters that survive every
decision, undo and bulk decision (they travel in the query string)."""
from __future__ import annotations

import math
from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from delphi.extensions import db
from delphi.models import Comment, ItemDecision, ItemKind, Round, RoundItem
from delphi.organiser.blueprint import bp
from delphi.organiser.forms import DecisionForm
from delphi.permissions import is_organiser, load_round_for_organiser, require
from delphi.services.frameworks import translations
from delphi.services.studies import decisions, protocols, results

PAGE_SIZE = 50
FILTERS = ("outcome", "domain", "kind", "state", "unstable", "sort", "view", "page")
SORTS = {
    "position": lambda r: r["position"],
    "agreement": lambda r: (r["agree"] is None, r["agree"] if r["agree"] is not None else 0),
    "iqr": lambda r: (r["iqr"] is None, -(r["iqr"] or 0)),
    "change": lambda r: (r["change"] is None, -(r["change"] or 0)),
}
STATES = {"": _l("all"), "undecided": _l("undecided"), "decided": _l("decided")}
VIEWS = {"groups": "group", "languages": "language"}  # side-by-side view → the results' per-group rows, their key


def read_filters(args) -> dict[str, str]:
    """The dashboard's filters from a query string or a form, unknown values dropped."""
    out = {key: (args.get(key) or "").strip() for key in FILTERS}
    if out["sort"] not in SORTS:
        out["sort"] = "position"
    if out["state"] not in STATES:
        out["state"] = ""
    out["unstable"] = "1" if out["unstable"] == "1" else ""
    out["view"] = out["view"] if out["view"] in VIEWS else ""
    out["page"] = out["page"] if out["page"].isdigit() else ""
    return out


def dashboard_url(round_id: int, filters: dict[str, str], anchor: str | None = None, **changes: str) -> str:
    query = {k: v for k, v in {**filters, **changes}.items() if v}
    return url_for("organiser.review_round", round_id=round_id, **query) + (f"#{anchor}" if anchor else "")


def round_items(rnd: Round) -> list[RoundItem]:
    """The round's items with their Item rows, in one query."""
    return list(db.session.scalars(select(RoundItem).join(RoundItem.item).options(contains_eager(RoundItem.item))
                                   .where(RoundItem.round_id == rnd.id).order_by(RoundItem.position)))


def item_table(rnd: Round, items: list[RoundItem]) -> list[dict[str, Any]]:
    """One light row per item (what filtering and sorting need); the evidence is added for the shown page only."""
    first = rnd.study.protocol["questions"][0]["key"]
    rows, stability = results.item_rows(rnd), results.stability_rows(rnd)
    outcomes = results.outcomes(rnd, rows)
    made = {d.item_id: d for d in db.session.scalars(select(ItemDecision).where(ItemDecision.round_id == rnd.id))}
    table = []
    for ri in items:
        stats_row = rows.get(ri.item.code, {}).get(first) or {}
        stab = stability.get(ri.item.code, {}).get(first)
        kruskal = stats_row.get("kruskal_p")
        table.append({"ri": ri, "item": ri.item, "position": ri.position, "outcome": outcomes.get(ri.item.code),
                      "agree": stats_row.get("agree_pct"), "iqr": stats_row.get("iqr"),
                      "change": stab.get("pct_change") if stab else None,
                      "unstable": bool(stab) and stab.get("stable") is False,
                      "groups_differ": kruskal is not None and kruskal == kruskal and kruskal < 0.05,
                      "decision": made.get(ri.item_id), "stats": rows.get(ri.item.code, {}),
                      "stability": stability.get(ri.item.code, {})})
    return table


def select_rows(table: list[dict[str, Any]], filters: dict[str, str]) -> list[dict[str, Any]]:
    """The rows the filters keep, sorted (every page, before paging)."""
    def keep(r):
        decided = r["decision"] is not None
        return ((not filters["outcome"] or r["outcome"] == filters["outcome"])
                and (filters["domain"] in ("", "all") or r["item"].domain_code == filters["domain"])
                and (not filters["kind"] or r["item"].kind.value == filters["kind"])
                and (filters["state"] != "undecided" or not decided) and (filters["state"] != "decided" or decided)
                and (not filters["unstable"] or r["unstable"]))
    shown = [r for r in table if keep(r)]
    shown.sort(key=SORTS[filters["sort"]])
    return shown


def with_default_domain(filters: dict[str, str], domains: list[str], total: int) -> dict[str, str]:
    """A round larger than a page opens on its first domain (a page of the 294-item MLM stays small); a small one
    shows everything. The organiser can always pick a domain or all of them."""
    if not filters["domain"] and domains and total > PAGE_SIZE:
        return {**filters, "domain": domains[0]}
    return filters


@bp.get("/rounds/<int:round_id>")
@require(is_organiser)
def review_round(round_id: int):
    """The consensus dashboard: filters, sorting, a group view, panel figures and a decision per item."""
    rnd = load_round_for_organiser(round_id)
    if rnd.is_open:
        return redirect(url_for("organiser.study", study_id=rnd.study_id))
    study = rnd.study
    questions = study.protocol["questions"]
    items = round_items(rnd)
    table = item_table(rnd, items)
    domains = list(dict.fromkeys(r["item"].domain_code for r in table))
    filters = with_default_domain(read_filters(request.args), domains, len(table))
    has_languages = results.has_language_rows(rnd)
    if filters["view"] == "languages" and not has_languages:
        filters["view"] = ""  # one language: no view by language to show
    matching = select_rows(table, filters)
    pages = max(1, math.ceil(len(matching) / PAGE_SIZE))
    page = min(max(int(filters["page"] or 1), 1), pages)
    shown = matching[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    _add_evidence(rnd, shown)
    undecided = sum(1 for r in table if r["decision"] is None)
    can_decide = study.current_round.id == rnd.id
    codes = {r["item"].id: r["item"].code for r in table}
    defaults = protocols.default_actions(study.protocol)
    return render_template(
        "organiser/round.html", rnd=rnd, study=study, questions=questions, table=shown, total=len(table),
        matching=len(matching), undecided=undecided,
        matching_undecided=sum(1 for r in matching if r["decision"] is None), page=page, pages=pages, filters=filters,
        dashboard_url=lambda **changes: dashboard_url(rnd.id, filters, **changes),
        form=DecisionForm(formdata=None), can_decide=can_decide,
        all_outcomes=sorted({r["outcome"] for r in table if r["outcome"]}), domains=domains,
        kinds=[k for k in ItemKind if any(r["item"].kind == k for r in table)], states=STATES,
        groups=_group_view(rnd, questions[0]["key"]) if filters["view"] == "groups" else None,
        languages=_group_view(rnd, questions[0]["key"], "languages") if filters["view"] == "languages" else None,
        has_languages=has_languages, language_name=translations.language_name,
        panel_rows={q["key"]: results.panel_row(rnd, q["key"]) for q in questions},
        respondents=results.respondents(rnd),
        respondent_text=protocols.RESPONDENTS[protocols.respondents(study.protocol)],
        default_actions=defaults, labels=decisions.LABELS, available=decisions.available, codes=codes,
        bulk_defaults={o: a for o, a in defaults.items() if a in decisions.BULK})


def _add_evidence(rnd: Round, shown: list[dict[str, Any]]) -> None:
    """Comments (without who wrote them) and the previous round's values, for the shown rows only.

    Each comment is {"text", "language"}: language is the BCP 47 tag it was written in when the study runs in
    more than one language (the page marks the text with it, WCAG 3.1.2), else None."""
    ids = [r["item"].id for r in shown]
    source = rnd.study.framework_version.source_language or "en"
    found = [(item_id, text, language or source) for item_id, text, language in db.session.execute(
        select(Comment.item_id, Comment.text, Comment.language).where(
            Comment.round_id == rnd.id, Comment.item_id.in_(ids or [-1])).order_by(Comment.item_id, Comment.id))
        if text and text.strip()]
    offered = set(rnd.study.protocol.get("languages") or []) | {source}
    several = len(offered) > 1 or any(language != source for _i, _t, language in found)
    comments: dict[int, list[dict[str, Any]]] = {}
    for item_id, text, language in found:
        comments.setdefault(item_id, []).append({"text": text, "language": language if several else None})
    previous = next((r for r in rnd.study.rounds if r.number == rnd.number - 1), None)
    before = results.item_rows(previous) if previous is not None and previous.results else {}
    for r in shown:
        r["comments"] = comments.get(r["item"].id, [])
        r["previous"] = before.get(r["item"].code, {})


def _group_view(rnd, question: str, view: str = "groups") -> dict:
    """Per item, each stakeholder group's (or language's: view "languages") % agreement and median side by side.

    names: the groups or language tags in the reader's alphabetical order of their labels, {name: label}."""
    key = VIEWS[view]
    analysis = ((rnd.results or {}).get("questions") or {}).get(question) or {}
    by_item: dict[str, dict[str, dict]] = {}
    names: list[str] = []
    for row in analysis.get(view) or []:
        if row["round"] != rnd.number:
            continue
        by_item.setdefault(str(row["item"]), {})[str(row[key])] = row
        if str(row[key]) not in names:
            names.append(str(row[key]))
    from delphi.i18n import locale_sorted

    labels = {name: translations.language_name(name) if view == "languages" else name for name in names}
    return {"names": locale_sorted(names, key=labels.get), "labels": labels, "by_item": by_item}
