"""A Delphi study never gets stuck, in any order of the organiser's and the experts' actions.

A hypothesis state machine drives the services the pages call, on a small framework (one domain, two subdomains,
four indicators, their level sets and levels: 30 items), in random orders: rate, submit, withdraw and reinstate
panelists, extend, close, decide every kind of action on every kind of item, undo, decide many, open the next round,
release, end. After every step:
the draft and the items agree, every item of a round before the current one has exactly one decision, the stored
statistics count exactly the stored ratings, and a refused action changed nothing. At the end of every run, the
study is brought to its end with what the pages offer (close, re-rate the rest, release — or end without one).
"""
from __future__ import annotations

import itertools
import os
from datetime import timedelta

import framework as fwlib
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import (Decision, Item, ItemDecision, ItemKind, ItemState, Rating, RatingEvent, Round,
                           StudyStatus)
from delphi.services.frameworks import versions
from delphi.services.release import publication
from delphi.services.studies import decisions, design, panel, ratings, rounds
from tests.services.study_machine import StudyActions
from tests.study_helpers import organiser

# Bounded for CI on both databases (~20 s each); LIFECYCLE_EXAMPLES=200 searches harder on a developer's machine.
EXAMPLES = settings(max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", 12)), stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_numbers = itertools.count(1)


def mini_framework() -> fwlib.Framework:
    def indicator(code: str) -> fwlib.Indicator:
        return fwlib.Indicator(code=code, statement=f"Statement of {code}",
                               levels=tuple(f"{code} at level {n}" for n in range(1, 6)))

    return fwlib.Framework(name="Mini maturity model", short_name="Mini", description="1 domains, 2 subdomains, "
                           "4 indicators", domains=(fwlib.Domain(code="A", title="Domain A", subdomains=(
                               fwlib.Subdomain(code="A.1", title="First", indicators=(indicator("A.1.1"),
                                                                                     indicator("A.1.2"))),
                               fwlib.Subdomain(code="A.2", title="Second", indicators=(indicator("A.2.1"),
                                                                                      indicator("A.2.2"))))),))


def _element_exists(doc: fwlib.Framework, item: Item) -> bool:
    return doc.find(item.element_code) is not None


def make_machine(app, mode: str = "classic"):
    class StudyMachine(StudyActions, RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            n = next(_numbers)
            self.org = organiser()
            released = versions.import_document(mini_framework(), slug=f"mini-{n}", label="1", release=True)
            study = design.create(f"Lifecycle {n}", released, by=self.org)
            design.set_protocol(study, dict(study.protocol, rated_kinds=["subdomain", "indicator", "level_set",
                                                                         "level"], max_rounds=3, mode=mode),
                                by=self.org)
            for i in range(1, 4):
                p = panel.add(study, f"expert{i}@example.org", f"Expert {i}", by=self.org)
                panel.consent(p, None)
            rounds.open_round(study, utcnow() + timedelta(days=7), by=self.org)
            db.session.commit()
            self.study_id = study.id
            self.refused = 0

        # --- helpers (the rest in tests/services/study_machine.py) ---------------------------------------------
        def fingerprint(self):
            db.session.expire_all()
            study = self.study
            doc = versions.to_document(study.framework_version)
            decided = db.session.execute(select(ItemDecision.round_id, ItemDecision.item_id, ItemDecision.decision)
                                         .join(Round).where(Round.study_id == study.id)
                                         .order_by(ItemDecision.round_id, ItemDecision.item_id)).all()
            return (fwlib.checksum(doc), study.status.value, len(study.rounds),
                    tuple((i.code, i.state.value) for i in study.items), tuple(decided))

        def items_of_current(self) -> list[Item]:
            return [ri.item for ri in self.current().round_items]

        # --- the experts --------------------------------------------------------------------------------------
        @precondition(lambda self: self.current().is_open)
        @rule(value=st.sampled_from([1, 2, 3]), everyone=st.booleans(), comment=st.booleans())
        def rate(self, value, everyone, comment):
            rnd = self.current()
            panelists = self.study.panelists if everyone else self.study.panelists[:1]

            def go():
                for p in panelists:
                    for ri in rnd.round_items:
                        ratings.save(rnd, p, ri.item_id, ratings={"agreement": value},
                                     comment="Reword it like this" if comment else None)
            self.attempt(go)

        @precondition(lambda self: self.current().is_open)
        @rule(who=st.integers(0, 2))
        def submit(self, who):
            self.attempt(lambda: ratings.submit(self.current(), self.study.panelists[who]))

        # --- the organiser ------------------------------------------------------------------------------------
        @precondition(lambda self: self.study.status != StudyStatus.FINISHED)
        @rule(who=st.integers(0, 2), back=st.booleans())
        def withdraw_or_reinstate(self, who, back):
            p = self.study.panelists[who]
            if back:
                self.attempt(lambda: panel.reinstate(p, by=self.org))
            else:
                self.attempt(lambda: panel.withdraw(p, "changed jobs", by=self.org))

        @precondition(lambda self: self.current().is_open)
        @rule(days=st.integers(-2, 10))
        def extend(self, days):
            rnd = self.current()
            self.attempt(lambda: rounds.extend(rnd, rnd.deadline + timedelta(days=days), by=self.org))

        @precondition(lambda self: self.current().is_open)
        @rule()
        def close(self):
            assert self.attempt(lambda: rounds.close(self.current(), by=self.org))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule(index=st.integers(0, 40), decision=st.sampled_from(list(Decision)), into=st.integers(0, 40),
              with_reason=st.booleans())
        def decide(self, index, decision, into, with_reason):
            rnd, items = self.current(), self.items_of_current()
            item = items[index % len(items)]
            same_kind = [i for i in self.study.items if i.kind == item.kind]
            merge_into = same_kind[into % len(same_kind)]
            n = next(_numbers)
            self.attempt(lambda: decisions.decide(
                rnd, item, decision, by=self.org, reason="because" if with_reason else "",
                new_text=f"Reworded {n}", new_levels=[f"Level {k} reworded {n}" for k in range(1, 6)],
                merge_into=merge_into))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule(index=st.integers(0, 40))
        def undo(self, index):
            items = self.items_of_current()
            self.attempt(lambda: decisions.undo(self.current(), items[index % len(items)], by=self.org))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule(decision=st.sampled_from([Decision.ACCEPT, Decision.RERATE]), kind=st.sampled_from(list(ItemKind)))
        def decide_many(self, decision, kind):
            chosen = [i for i in self.items_of_current() if i.kind == kind]
            self.attempt(lambda: decisions.decide_many(self.current(), chosen, decision, by=self.org))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule()
        def open_next_round(self):
            self.attempt(lambda: rounds.open_round(self.study, utcnow() + timedelta(days=7), by=self.org))

        @precondition(lambda self: self.study.status != StudyStatus.FINISHED)
        @rule()
        def release(self):
            self.attempt(lambda: publication.publish(self.study, "2.0", "", by=self.org))

        @precondition(lambda self: self.study.status != StudyStatus.FINISHED)
        @rule()
        def end(self):
            self.attempt(lambda: publication.end_without_release(self.study, "abandoned", by=self.org))

        @precondition(lambda self: self.study.status == StudyStatus.FINISHED)
        @rule()
        def nothing_reopens_an_ended_study(self):
            assert not self.attempt(lambda: rounds.open_round(self.study, utcnow() + timedelta(days=7), by=self.org))
            assert not self.attempt(lambda: publication.end_without_release(self.study, "again", by=self.org))

        # --- invariants ---------------------------------------------------------------------------------------
        @invariant()
        def the_draft_and_the_items_agree(self):
            study = self.study
            doc = versions.to_document(study.framework_version)
            for item in study.items:
                present = _element_exists(doc, item)
                gone = item.state in (ItemState.DROPPED, ItemState.MERGED)
                assert present != gone, f"{item.code} is {item.state.value} but its element is " \
                                        f"{'in' if present else 'not in'} the draft"

        @invariant()
        def every_earlier_round_has_exactly_one_decision_per_item(self):
            study = self.study
            for rnd in study.rounds[:-1]:
                made = db.session.execute(select(ItemDecision.item_id, func.count()).where(
                    ItemDecision.round_id == rnd.id).group_by(ItemDecision.item_id)).all()
                assert dict(made) == {ri.item_id: 1 for ri in rnd.round_items}

        @invariant()
        def the_statistics_count_exactly_the_stored_ratings(self):
            for rnd in self.study.rounds:
                if rnd.results is None:
                    continue
                stored = db.session.scalar(select(func.count(Rating.id)).where(Rating.round_id == rnd.id)) or 0
                analysis = rnd.results["questions"].get("agreement")
                counted = sum(r["n"] + r.get("n_abstain", 0) for r in analysis["items"]
                              if r["round"] == rnd.number) if analysis else 0
                assert counted == stored

        @invariant()
        def every_current_answer_is_the_last_of_its_history(self):
            """The current answer is the last one given (issue 18): every write left its event, in order."""
            last = {}
            for round_id, panelist_id, item_id, question, value in db.session.execute(
                    select(RatingEvent.round_id, RatingEvent.panelist_id, RatingEvent.item_id, RatingEvent.question,
                           RatingEvent.value).join(Round, Round.id == RatingEvent.round_id)
                    .where(Round.study_id == self.study_id).order_by(RatingEvent.id)):
                last[(round_id, panelist_id, item_id, question)] = value
            current = {(r.round_id, r.panelist_id, r.item_id, r.question): r.value for r in db.session.scalars(
                select(Rating).join(Round, Round.id == Rating.round_id).where(Round.study_id == self.study_id))}
            assert current == last

    return StudyMachine


def test_a_study_can_always_be_released_or_ended_whatever_the_order_of_actions(app):
    run_state_machine_as_test(make_machine(app), settings=EXAMPLES)


def test_a_real_time_study_can_always_be_released_or_ended_and_keeps_every_answer(app):
    """One round, open until the organiser closes it (issue 18): the same actions, the same invariants."""
    run_state_machine_as_test(make_machine(app, mode="realtime"), settings=EXAMPLES)
