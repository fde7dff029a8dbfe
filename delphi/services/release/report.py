"""The Delphi report: everything the methods and results of a paper need, computed from the stored data.

Used by the HTML page, its PDF rendering and the data package, so all three say the same thing.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Decision, ItemDecision, Participation, Round, Study
from delphi.services.release import disclosure
from delphi.services.studies import carry, protocols, results

# ACCORD (Gattrell et al. 2024, PLOS Med 21:e1004326): the methods and results topics this report answers from
# the data, and those the authors must add. Topics are paraphrased; check item numbers against the checklist.
ACCORD_ANSWERED = [
    ("Methods: registration / protocol fixed in advance", "protocol", "Pre-registered protocol, lock date and checksum"),
    ("Methods: consensus method used (Delphi, rounds, format)", "protocol", "Online Delphi, rounds and questions"),
    ("Methods: participants — composition by stakeholder group and country", "panel", "Panel composition"),
    ("Methods: anonymity of participants", "protocol", "Pseudonymised panel; comments anonymised"),
    ("Methods: items rated and the rating scales", "protocol", "What is rated; questions and scales"),
    ("Methods: definition of consensus, fixed a priori", "protocol", "Consensus rule"),
    ("Methods: how agreement and stability were analysed", "protocol", "Statistics"),
    ("Methods: feedback given to participants between rounds", "protocol", "Controlled feedback"),
    ("Methods: how items were modified, dropped or added between rounds", "changes", "Wording changes"),
    ("Methods: stopping rule and number of rounds", "protocol", "Stopping rule"),
    ("Results: participation per round (response rate, attrition)", "rounds", "Rounds and participation"),
    ("Results: outcome of every item in every round", "items", "Per-item statistics"),
    ("Results: changes between rounds", "flow", "Item flow"),
    ("Results: final list of items reaching consensus", "final", "The final framework"),
]
ACCORD_BY_HAND = [
    "Title identifying the study as a consensus study",
    "Background, rationale and objectives",
    "Steering committee / facilitators: who they were and how they were chosen",
    "How participants were identified, invited and selected (eligibility criteria)",
    "Literature review or evidence used to build the first draft of items",
    "Piloting of the survey",
    "Ethics approval and the consent procedure beyond the consent text shown",
    "Funding, role of funders, conflicts of interest of organisers",
    "Discussion: strengths and limitations; how the results will be used",
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
    for p in panel:
        for key in (f"group: {p.stakeholder_group or 'not given'}", f"country: {p.country or 'not given'}"):
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
        **accord(study),
    }


# What the data of an archived study cannot answer: the original study fixed these, and its own papers say how.
NOT_FROM_AN_ARCHIVE = {"protocol", "anonymity", "definition of consensus", "feedback", "how items were modified",
                       "stopping rule"}


def accord(study: Study) -> dict[str, list]:
    """The ACCORD topics answered from the data and those left to the authors (more of them for an archive)."""
    if not study.archive:
        return {"accord_answered": ACCORD_ANSWERED, "accord_by_hand": ACCORD_BY_HAND}
    left = [row for row in ACCORD_ANSWERED if any(f"Methods: {w}" in row[0] or f"/ {w}" in row[0]
                                                  for w in NOT_FROM_AN_ARCHIVE)]
    return {"accord_answered": [row for row in ACCORD_ANSWERED if row not in left],
            "accord_by_hand": [f"{row[0]} (archived study: as the original study did it)" for row in left]
            + ACCORD_BY_HAND}


def public_composition(composition: dict[str, dict[str, int]], protocol: dict) -> dict[str, dict[str, int]]:
    """The composition table as published: groups and countries of fewer than the small-cell threshold pooled
    (disclosure.merge_small_rows), unless the protocol records the panel's consent to publish them."""
    if disclosure.publishes_attributes(protocol):
        return dict(sorted(composition.items()))
    k = disclosure.threshold()
    out: dict[str, dict[str, int]] = {}
    for prefix, other in (("group: ", "other groups"), ("country: ", "other countries")):
        rows = {key: row for key, row in composition.items() if key.startswith(prefix)}
        merged = disclosure.merge_small_rows(rows, k, size="panelists", other=other, prefix=prefix)
        out.update(sorted(merged.items()))
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
