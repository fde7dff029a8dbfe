"""The Delphi report: everything the methods and results of a paper need, computed from the stored data.

Used by the HTML page, its PDF rendering and the data package, so all three say the same thing.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Decision, ItemDecision, Participation, Rating, Round, Study
from delphi.services.frameworks import translations
from delphi.services.release import disclosure
from delphi.services.studies import carry, convergence, history, protocols, results

# ACCORD (Gattrell et al. 2024, PLOS Med 21:e1004326): the methods and results topics this report answers from
# the data, and those the authors must add. Topics are paraphrased; check item numbers against the checklist.
# Each row: (key, topic, the report's anchor, where the report answers it); topics are read in the reader's language.
_ACCORD_ROWS = [
    ("registration", _l("Methods: registration / protocol fixed in advance"), "protocol",
     _l("Pre-registered protocol, lock date and checksum")),
    ("method", _l("Methods: consensus method used (Delphi, rounds, format)"), "protocol",
     _l("Online Delphi, rounds and questions")),
    ("participants", _l("Methods: participants — composition by stakeholder group and country"), "panel",
     _l("Panel composition")),
    ("anonymity", _l("Methods: anonymity of participants"), "protocol", _l("Pseudonymised panel; comments anonymised")),
    ("items", _l("Methods: items rated and the rating scales"), "protocol", _l("What is rated; questions and scales")),
    ("consensus", _l("Methods: definition of consensus, fixed a priori"), "protocol", _l("Consensus rule")),
    ("analysis", _l("Methods: how agreement and stability were analysed"), "protocol", _l("Statistics")),
    ("feedback", _l("Methods: feedback given to participants between rounds"), "protocol", _l("Controlled feedback")),
    ("modifications", _l("Methods: how items were modified, dropped or added between rounds"), "changes",
     _l("Wording changes")),
    ("stopping", _l("Methods: stopping rule and number of rounds"), "protocol", _l("Stopping rule")),
    ("participation", _l("Results: participation per round (response rate, attrition)"), "rounds",
     _l("Rounds and participation")),
    ("outcomes", _l("Results: outcome of every item in every round"), "items", _l("Per-item statistics")),
    ("changes", _l("Results: changes between rounds"), "flow", _l("Item flow")),
    ("final", _l("Results: final list of items reaching consensus"), "final", _l("The final framework")),
]
ACCORD_ANSWERED = [(topic, anchor, where) for _key, topic, anchor, where in _ACCORD_ROWS]
# What a real-time study adds (one open round, answers revisable with the group's answers in view).
ACCORD_REALTIME = [
    (_l("Methods: Real-time Delphi — how and when participants saw the group's answers"), "realtime",
     _l("Live feedback settings")),
    (_l("Methods: when and how the study closed, and which answers were classified"), "realtime",
     _l("Closing and the final answers")),
    (_l("Results: convergence during the round and the stability of answers (first versus last)"), "realtime",
     _l("Convergence, snapshots and first-versus-last stability")),
]
ACCORD_BY_HAND = [
    _l("Title identifying the study as a consensus study"),
    _l("Background, rationale and objectives"),
    _l("Steering committee / facilitators: who they were and how they were chosen"),
    _l("How participants were identified, invited and selected (eligibility criteria)"),
    _l("Literature review or evidence used to build the first draft of items"),
    _l("Piloting of the survey"),
    _l("Ethics approval and the consent procedure beyond the consent text shown"),
    _l("Funding, role of funders, conflicts of interest of organisers"),
    _l("Discussion: strengths and limitations; how the results will be used"),
]


@dataclass
class RoundSummary:
    number: int
    opened_at: Any
    deadline: Any
    closed_at: Any
    n_items: int
    started: int
    completed: int
    panel: int
    outcomes: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    panel_rows: dict[str, Any] = field(default_factory=dict)
    respondents: int = 0  # under the protocol's one definition (results.participation)
    partial: int = 0      # rated without submitting
    partial_counted: bool = True
    carried: int = 0      # answers pre-filled from the previous round and kept unchanged (protocol prefill_previous)

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.panel if self.panel else None


def build(study: Study) -> dict[str, Any]:
    """All report sections as plain data (one query per table, whatever the size of the study)."""
    rounds_ = list(study.rounds)
    panel = list(study.panelists)
    participation = defaultdict(lambda: [0, 0])
    for round_id, started, completed in db.session.execute(
            select(Participation.round_id, func.count(Participation.id),
                   func.count(Participation.submitted_at)).join(Round).where(Round.study_id == study.id)
            .group_by(Participation.round_id)):
        participation[round_id] = [started, completed]
    completed_by = defaultdict(set)
    for round_id, panelist_id in db.session.execute(
            select(Participation.round_id, Participation.panelist_id).join(Round)
            .where(Round.study_id == study.id, Participation.submitted_at.is_not(None))):
        completed_by[round_id].add(panelist_id)
    decisions = db.session.scalars(select(ItemDecision).join(Round).where(Round.study_id == study.id)
                                   .order_by(Round.number, ItemDecision.id)).all()
    decisions_by_round = defaultdict(list)
    for d in decisions:
        decisions_by_round[d.round_id].append(d)

    summaries, item_tables = [], []
    for rnd in rounds_:
        outcomes = results.outcomes(rnd) if rnd.results else {}
        started, completed = participation[rnd.id]
        who = results.respondents(rnd)
        summaries.append(RoundSummary(
            number=rnd.number, opened_at=rnd.opened_at, deadline=rnd.deadline, closed_at=rnd.closed_at,
            n_items=len(rnd.round_items), started=started, completed=completed, panel=len(panel),
            outcomes=dict(Counter(o for o in outcomes.values() if o)),
            decisions=dict(Counter(d.decision.value for d in decisions_by_round[rnd.id])),
            panel_rows={q["key"]: results.panel_row(rnd, q["key"]) for q in study.protocol["questions"]},
            respondents=who["count"], partial=who["partial"], partial_counted=who["partial_counted"],
            carried=carry.count(rnd)))
        rows = results.item_rows(rnd) if rnd.results else {}
        decided = {d.item_id: d for d in decisions_by_round[rnd.id]}
        item_tables.append({"round": rnd.number, "rows": [
            {"code": ri.item.code, "kind": ri.item.kind.value, "stats": rows.get(ri.item.code, {}),
             "outcome": outcomes.get(ri.item.code), "decision": decided.get(ri.item_id)}
            for ri in rnd.round_items]})

    composition = defaultdict(lambda: {"panelists": 0, "invited": 0, "consented": 0,
                                       **{f"r{r.number}": 0 for r in rounds_}})
    for p in panel:  # keyed (attribute, value); None: not given
        for key in (("group", p.stakeholder_group or None), ("country", p.country or None)):
            row = composition[key]
            row["panelists"] += 1
            row["invited"] += 1 if p.invited_at else 0
            row["consented"] += 1 if p.consented_at else 0
            for r in rounds_:
                row[f"r{r.number}"] += 1 if p.id in completed_by[r.id] else 0

    number_of = {r.id: r.number for r in rounds_}
    changes = [{"round": number_of[d.round_id], "decision": d} for d in decisions
               if d.decision in (Decision.REVISE, Decision.DROP, Decision.MERGE)]
    return {
        "study": study,
        "protocol": study.protocol,
        "rule": protocols.rule_summary(study.protocol),
        "kinds": protocols.KIND_LABELS,
        "stopping": protocols.STOPPING_RULES,
        "respondent_text": protocols.RESPONDENTS[protocols.respondents(study.protocol)],
        "panel_size": len(panel),
        "invited": sum(1 for p in panel if p.invited_at),
        "consented": sum(1 for p in panel if p.consented_at),
        "composition": public_composition(composition, study.protocol),
        "small_cell": disclosure.threshold(),
        "interests": interests_summary(study),
        "withdrawn": sum(1 for p in panel if p.withdrawn_at is not None),
        "withdrawn_rule": protocols.WITHDRAWN[study.protocol.get("withdrawn_ratings") or "keep"],
        "rounds": summaries,
        "item_tables": item_tables,
        "changes": changes,
        "item_codes": {i.id: i.code for i in study.items},
        "flow": flow(summaries),
        "completed_by_round": {r.number: completed_by[r.id] for r in rounds_},  # panelist ids who submitted
        "languages": languages(study),
        "realtime": realtime(study) if protocols.is_live(study.protocol) else None,
        **accord(study),
    }


def realtime(study: Study) -> dict[str, Any]:
    """A real-time (or hybrid) study's mode and live settings, per round the panel's convergence over time and
    each expert's first against last answers, how the round closed, and the snapshots taken while it was open."""
    mode = study.protocol.get("mode") or "classic"
    questions = study.protocol["questions"]
    out_rounds = []
    for rnd in study.rounds:
        data = convergence.series(rnd)
        stored = (rnd.results or {}).get("first_last")
        out_rounds.append({"number": rnd.number, "closed_at": rnd.closed_at, "open": rnd.is_open,
                           "closed_at_deadline": rnd.closed_at is not None and rnd.closed_by_id is None,
                           "views": [convergence.panel_view(q, data[q["key"]]) for q in questions],
                           "first_last": stored if stored is not None else history.first_last(rnd)})
    return {"mode": mode, "mode_text": protocols.MODES[mode], "live": study.protocol.get("live") or {},
            "rounds": out_rounds,
            "snapshots": [convergence.snapshot_summary(n, s) for n, s in convergence.study_snapshots(study.id)]}


# What the data of an archived study cannot answer: the original study fixed these, and its own papers say how.
NOT_FROM_AN_ARCHIVE = {"registration", "anonymity", "consensus", "feedback", "modifications", "stopping"}


def accord(study: Study) -> dict[str, list]:
    """The ACCORD topics answered from the data and those left to the authors (more of them for an archive)."""
    if not study.archive:
        live = ACCORD_REALTIME if protocols.is_live(study.protocol) else []
        return {"accord_answered": ACCORD_ANSWERED + live, "accord_by_hand": ACCORD_BY_HAND}
    return {"accord_answered": [(topic, anchor, where) for key, topic, anchor, where in _ACCORD_ROWS
                                if key not in NOT_FROM_AN_ARCHIVE],
            "accord_by_hand": [_("%(topic)s (archived study: as the original study did it)", topic=topic)
                               for key, topic, _anchor, _where in _ACCORD_ROWS if key in NOT_FROM_AN_ARCHIVE]
            + ACCORD_BY_HAND}


def _row_label(attribute: str, value: str) -> str:
    return (_("group: %(name)s", name=value) if attribute == "group"
            else _("country: %(name)s", name=value))


def public_composition(composition: dict[tuple[str, str | None], dict[str, int]],
                       protocol: dict) -> dict[str, dict[str, int]]:
    """The composition table as published, {"group: clinician": row, "country: CZ": row, …} in the reader's
    language: groups and countries of fewer than the small-cell threshold pooled (disclosure.merge_small_rows),
    unless the protocol records the panel's consent to publish them."""
    not_given = _("not given")
    publish = disclosure.publishes_attributes(protocol)
    k = disclosure.threshold()
    out: dict[str, dict[str, int]] = {}
    for attribute, other in (("group", _("other groups")), ("country", _("other countries"))):
        rows = {value or not_given: row for (kind, value), row in composition.items() if kind == attribute}
        if not publish:
            rows = disclosure.merge_small_rows(rows, k, size="panelists", other=other)
        out.update(sorted((_row_label(attribute, label), row) for label, row in rows.items()))
    return dict(sorted(out.items())) if publish else out


def languages(study: Study) -> dict[str, Any]:
    """The languages offered (protocol) and the ratings given in each per round, as published.

    offered: [(tag, name)], the source language first. rows: {name: {"panelists", "r<N>_ratings",
    "r<N>_panelists"}}, shown when ratings were given (or could be) in more than one language; languages rated in
    by fewer than the small-cell threshold of panelists are pooled as "other languages" (disclosure.
    published_languages) unless the panel agreed to publish its attributes. published: {tag: tag or WITHHELD},
    the same rule for the data package."""
    source = study.framework_version.source_language or "en"
    offered = list(dict.fromkeys([source, *(study.protocol.get("languages") or [])]))
    given: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)  # (round, language) → {panelist id: ratings}
    for number, language, panelist_id, n in db.session.execute(
            select(Round.number, Rating.language, Rating.panelist_id, func.count(Rating.id))
            .join(Round, Round.id == Rating.round_id).where(Round.study_id == study.id)
            .group_by(Round.number, Rating.language, Rating.panelist_id)):
        cell = given[(number, language or source)]  # '' = given before languages were recorded: the source
        cell[panelist_id] = cell.get(panelist_id, 0) + n
    members: dict[str, set[int]] = defaultdict(set)
    for (_number, language), counts in given.items():
        members[language] |= set(counts)
    published = ({lang: lang for lang in members} if disclosure.publishes_attributes(study.protocol)
                 else disclosure.published_languages(members, disclosure.threshold()))
    out = {"offered": [(tag, translations.language_name(tag)) for tag in offered if len(offered) > 1],
           "source": source, "published": published, "rows": {}}
    if len(members) < 2 and len(offered) < 2:
        return out  # one language: nothing to tell apart
    other = _("other languages")

    def label(tag: str) -> str:
        return other if published[tag] == disclosure.WITHHELD else translations.language_name(tag)

    who: dict[str, set[int]] = defaultdict(set)
    per_round: dict[tuple[str, int], list] = defaultdict(lambda: [0, set()])
    for (number, language), counts in given.items():
        who[label(language)] |= set(counts)
        cell = per_round[(label(language), number)]
        cell[0] += sum(counts.values())
        cell[1] |= set(counts)
    numbers = [r.number for r in study.rounds]
    rows = {name: {"panelists": len(ids), **{f"r{n}_ratings": per_round[(name, n)][0] for n in numbers},
                   **{f"r{n}_panelists": len(per_round[(name, n)][1]) for n in numbers}} for name, ids in who.items()}
    out["rows"] = dict(sorted(rows.items(), key=lambda kv: (kv[0] == other, -kv[1]["panelists"], kv[0])))
    return out


def interests_summary(study: Study) -> dict[str, Any]:
    """Declarations of interest without attribution: how many declared; the texts only if the protocol says the
    panel agreed to publish them (then in alphabetical order, never beside a pseudonym)."""
    consented = [p for p in study.panelists if p.consented_at is not None]
    declared = sorted(p.interests for p in consented if p.interests)
    publish = bool(study.protocol.get("publish_interests"))
    return {"consented": len(consented), "declared": len(declared), "published": publish,
            "texts": declared if publish else []}


def flow(summaries: list[RoundSummary]) -> list[dict[str, int]]:
    """Per round: items rated, and how many were validated (accepted), revised, dropped (or merged), carried over."""
    out = []
    for s in summaries:
        d = s.decisions
        out.append({"round": s.number, "rated": s.n_items, "accepted": d.get("accept", 0),
                    "revised": d.get("revise", 0), "dropped": d.get("drop", 0) + d.get("merge", 0),
                    "carried": d.get("rerate", 0) + d.get("revise", 0),
                    "undecided": s.n_items - sum(d.values())})
    return out
