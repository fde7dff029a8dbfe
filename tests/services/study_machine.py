"""What the study state machines share (tests/services/test_study_lifecycle.py, test_multilingual_lifecycle.py):
the study and its current round, an action run as a request would run it, and the end a stuck organiser can always
reach with the pages. A mixin without rules: each machine brings its own rules, invariants and fingerprint."""
from __future__ import annotations

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import Decision, Round, Study, StudyStatus
from delphi.services.release import publication
from delphi.services.studies import decisions, rounds


class StudyActions:
    study_id: int
    refused: int = 0

    @property
    def study(self) -> Study:
        return db.session.get(Study, self.study_id)

    def current(self) -> Round:
        return self.study.current_round

    def fingerprint(self):  # what a refused action must leave as it was
        raise NotImplementedError

    def attempt(self, action) -> bool:
        """Run an action as a request would: commit on success; on a refusal roll back and check that nothing
        changed."""
        before = self.fingerprint()
        try:
            action()
        except DomainError:
            db.session.rollback()
            self.refused += 1
            assert self.fingerprint() == before, "a refused action changed something"
            return False
        db.session.commit()
        return True

    def teardown(self):
        try:
            self.bring_to_an_end()
        finally:
            db.session.rollback()
            self.ctx.pop()

    def bring_to_an_end(self):
        """What a stuck organiser would do with the pages: the study must end, released or not."""
        if self.study.status == StudyStatus.FINISHED:
            return
        if self.current().is_open:
            assert self.attempt(lambda: rounds.close(self.current(), by=self.org))
        assert self.attempt(lambda: decisions.decide_many(self.current(),
                                                          [ri.item for ri in self.current().round_items],
                                                          Decision.RERATE, by=self.org))
        if not self.attempt(lambda: publication.publish(self.study, "final", "", by=self.org)):
            assert self.attempt(lambda: publication.end_without_release(self.study, "nothing to release",
                                                                        by=self.org))
        assert self.study.status == StudyStatus.FINISHED
