"""A study in two languages never gets stuck and never mislabels an answer, in any order of actions.

A hypothesis state machine on a small framework with a German translation: experts rate (through ratings.save),
comment and change their language between English and German; the organiser closes rounds, revises items and
undoes revisions, imports the translator's file for the draft as it reads (or not), re-rates the rest, opens the
next round, ends. After every step: each rating and comment records an offered language; every round shows every
item in German, translated from the very English wording the round shows; a refused action changed nothing. At the
end of every run the study is brought to its end with what the pages offer (tests/services/study_machine.py).
"""
from __future__ import annotations

import itertools
import os
from datetime import timedelta

import framework as fwlib
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import (Comment, Decision, FrameworkTranslation, Panelist, Rating, Round, StudyStatus)
from delphi.services.frameworks import translations, versions
from delphi.services.release import publication
from delphi.services.studies import decisions, design, languages, panel, ratings, rounds
from framework import translations as fwtr
from tests.services.study_machine import StudyActions
from tests.study_helpers import organiser

# Bounded for CI on both databases; LIFECYCLE_EXAMPLES=200 searches harder. Short runs of many examples: the
# interesting orders (close, revise without translating, open) are a few steps long.
EXAMPLES = settings(max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", 25)), stateful_step_count=12,
                    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
_numbers = itertools.count(1)
CODES = ("A.1.1", "A.1.2", "A.2.1")


def _framework() -> fwlib.Framework:
    def indicator(code: str) -> fwlib.Indicator:
        return fwlib.Indicator(code=code, statement=f"Statement {code}",
                               levels=tuple(f"{code} level {n}" for n in range(1, 6)))

    return fwlib.Framework(name="Bilingual model", short_name="Bi", domains=(fwlib.Domain(
        code="A", title="Domain A", subdomains=(
            fwlib.Subdomain(code="A.1", title="First", indicators=(indicator("A.1.1"), indicator("A.1.2"))),
            fwlib.Subdomain(code="A.2", title="Second", indicators=(indicator("A.2.1"),)))),))


def _german(statement: str) -> str:
    """Our "translation" of a statement: enough to tell which English wording it translates."""
    return statement.replace("Statement", "Aussage").replace("revision", "Fassung")


def make_machine(app):
    class BilingualStudy(StudyActions, RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            n = next(_numbers)
            self.org = organiser()
            released = versions.import_document(_framework(), slug=f"bi-{n}", label="1", release=True)
            study = design.create(f"Bilingual {n}", released, by=self.org)
            db.session.add_all(FrameworkTranslation(version_id=study.framework_version_id, language="de",
                                                    key=f"indicator.{code}.statement",
                                                    text=_german(f"Statement {code}")) for code in CODES)
            db.session.flush()
            design.set_protocol(study, dict(study.protocol, rated_kinds=["indicator"], max_rounds=4), by=self.org)
            languages.set_languages(study, ["de"], {}, by=self.org)
            for i in range(1, 4):
                p = panel.add(study, f"expert{i}@example.org", f"Expert {i}", by=self.org,
                              language="de" if i == 1 else "en")
                panel.consent(p, None)
            rounds.open_round(study, utcnow() + timedelta(days=7), by=self.org)
            db.session.commit()
            self.study_id = study.id
            self.revision = 0


        def fingerprint(self):
            db.session.expire_all()
            study = self.study
            return (fwlib.checksum(versions.to_document(study.framework_version)), study.status.value,
                    len(study.rounds), tuple(p.language for p in study.panelists),
                    tuple(db.session.execute(select(Rating.id, Rating.value, Rating.language)
                                             .order_by(Rating.id)).all()))

        def panelist(self, who: int) -> Panelist:
            return self.study.panelists[who]

        # --- the experts --------------------------------------------------------------------------------------
        @precondition(lambda self: self.current().is_open)
        @rule(who=st.integers(0, 2), index=st.integers(0, 2), value=st.sampled_from([1, 2, 3]),
              comment=st.booleans())
        def rate(self, who, index, value, comment):
            rnd = self.current()
            items = [ri.item_id for ri in rnd.round_items]
            p = self.panelist(who)
            self.attempt(lambda: ratings.save(rnd, p, items[index % len(items)], ratings={"agreement": value},
                                              comment=f"Note {value}" if comment else None))

        @rule(who=st.integers(0, 2), language=st.sampled_from(["en", "de", "fr"]))
        def choose_language(self, who, language):
            p = self.panelist(who)
            done = self.attempt(lambda: languages.choose(p, language, by=p.user))
            assert done == (language in ("en", "de")), "an offered language is refused, or another accepted"

        # --- the organiser ------------------------------------------------------------------------------------
        @precondition(lambda self: self.current().is_open)
        @rule()
        def close(self):
            assert self.attempt(lambda: rounds.close(self.current(), by=self.org))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule(index=st.integers(0, 2), translate=st.booleans())
        def revise(self, index, translate):
            rnd = self.current()
            items = [ri.item for ri in rnd.round_items]
            item = items[index % len(items)]
            self.revision += 1
            text = f"Statement {item.code}, revision {self.revision}"
            if self.attempt(lambda: decisions.decide(rnd, item, Decision.REVISE, by=self.org, new_text=text,
                                                     reason="comments")) and translate:
                self.attempt(self.translate_the_draft)

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule(index=st.integers(0, 2))
        def undo(self, index):
            rnd = self.current()
            items = [ri.item for ri in rnd.round_items]
            self.attempt(lambda: decisions.undo(rnd, items[index % len(items)], by=self.org))

        @rule()
        def translate(self):
            """The translator's file for the draft as it reads now, imported (what the translations page does)."""
            self.attempt(self.translate_the_draft)

        def translate_the_draft(self) -> None:
            version = self.study.framework_version
            doc = versions.to_document(version)
            german = {key: _german(text) for key, text in fwtr.source_texts(doc).items()
                      if key.startswith("indicator.") and key.endswith(".statement")}
            data = fwtr.to_xliff(doc, source_language="en", target_language="de", targets=german,
                                 original=version.ref)
            translations.import_xliff(version, data, by=self.org)

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule()
        def rerate_the_rest(self):
            rnd = self.current()
            self.attempt(lambda: decisions.decide_many(rnd, [ri.item for ri in rnd.round_items], Decision.RERATE,
                                                       by=self.org))

        @precondition(lambda self: not self.current().is_open and self.study.status != StudyStatus.FINISHED)
        @rule()
        def open_next_round(self):
            self.attempt(lambda: rounds.open_round(self.study, utcnow() + timedelta(days=7), by=self.org))

        @precondition(lambda self: self.study.status != StudyStatus.FINISHED)
        @rule()
        def end(self):
            self.attempt(lambda: publication.end_without_release(self.study, "abandoned", by=self.org))

        # --- invariants ---------------------------------------------------------------------------------------
        @invariant()
        def every_answer_records_an_offered_language(self):
            offered = set(languages.offered(self.study))
            given = set(db.session.scalars(select(Rating.language).join(Round).where(
                Round.study_id == self.study_id)))
            given |= set(db.session.scalars(select(Comment.language).join(Round, Round.id == Comment.round_id)
                                            .where(Round.study_id == self.study_id)))
            assert given <= offered, given - offered

        @invariant()
        def every_round_shows_every_item_in_german(self):
            for rnd in self.study.rounds:
                for ri in rnd.round_items:
                    german = languages.wording_in(ri.wording, "de")
                    # Every item reaches the panel with the translation of the very wording it shows in English
                    # (after a revision, and after an undo of one, too).
                    assert german["text"] == _german(ri.wording["text"]), (rnd.number, ri.item.code, german)

    return BilingualStudy


def test_a_bilingual_study_labels_every_answer_and_can_always_end(app):
    run_state_machine_as_test(make_machine(app), settings=EXAMPLES)


def test_a_rating_records_the_language_read_when_it_was_last_written(app):
    """The invariant above allows any offered language; this pins the exact one, through a change of mind."""
    with app.app_context():
        machine_study = make_machine(app)()
        try:
            study = machine_study.study
            rnd = study.current_round
            p = study.panelists[1]
            item = rnd.round_items[0].item_id
            ratings.save(rnd, p, item, ratings={"agreement": 2}, comment="first")
            assert db.session.scalar(select(Rating.language).where(Rating.panelist_id == p.id)) == "en"
            languages.choose(p, "de", by=p.user)
            ratings.save(rnd, p, item, ratings={"agreement": 3}, comment="zweite")
            db.session.flush()
            assert db.session.scalar(select(Rating.language).where(Rating.panelist_id == p.id)) == "de"
            assert db.session.scalar(select(Comment.language).where(Comment.panelist_id == p.id)) == "de"
        finally:
            db.session.rollback()
            machine_study.ctx.pop()
