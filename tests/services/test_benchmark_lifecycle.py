"""The benchmark's promise holds in any order of what organisations and administrators do (issue 14).

A hypothesis state machine lets six organisations finalise assessments with any levels, opt in and out, and an
administrator publish editions, in random orders, on a small released framework (4 indicators), with k = 3. After
every step, for every organisation that has a finalised assessment:
- what it sees is available only if it contributed to the latest edition, still opts in, and at least k other
  organisations contributed;
- every median and highest equals the one recomputed by hand from the edition's frozen levels of the *other*
  organisations (its own never among them), and is shown only with at least k such levels;
- its figures about the others change only when a new edition is published — never because anyone (itself
  included) changed answers: nothing can be differenced between two looks at one edition.
"""
from __future__ import annotations

import itertools
import os
import statistics
from datetime import date, timedelta

import framework as fwlib
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.models import FrameworkVersion, Organisation, OrganisationRole, User
from delphi.models.assessment import Assessment, AssessmentStatus
from delphi.models.benchmark import BenchmarkContributor, BenchmarkEdition, BenchmarkLevel
from delphi.services.accounts import organisations, users
from delphi.services.assessments import answers, benchmark, lifecycle
from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput
from delphi.services.frameworks import versions

EXAMPLES = settings(max_examples=int(os.environ.get("BENCHMARK_EXAMPLES", 8)), stateful_step_count=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
K = 3
ORGS = 6
_numbers = itertools.count(1)
LOOKS = {"available": 0, "unavailable": 0}  # so the test cannot pass without ever checking a shown benchmark
LEVELS = st.tuples(*[st.one_of(st.none(), st.integers(1, 5))] * 4)  # None: not applicable


def mini() -> fwlib.Framework:
    def indicator(code: str) -> fwlib.Indicator:
        return fwlib.Indicator(code=code, statement=f"Statement {code}",
                               levels=tuple(f"{code} level {n}" for n in range(1, 6)))

    return fwlib.Framework(name="Mini", short_name="Mini", description="4 indicators", domains=(fwlib.Domain(
        code="A", title="Domain A", subdomains=(fwlib.Subdomain(code="A.1", title="One", indicators=(
            indicator("A.1.1"), indicator("A.1.2"), indicator("A.1.3"), indicator("A.1.4"))),)),))


def make_machine(app):
    class BenchmarkMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            n = next(_numbers)
            self.version_id = versions.import_document(mini(), slug=f"bench-{n}", label="1", release=True).id
            self.orgs, self.leads = [], []
            for i in range(ORGS):
                org = organisations.create(f"Bench {n} org {i}")
                org.benchmark_opt_in = True  # they start in; the opt rule takes them out and back
                lead = users.create_user(f"lead{i}-{n}@bench.example", f"Lead {i}")
                organisations.add_member(org, lead, OrganisationRole.LEAD)
                self.orgs.append(org.id)
                self.leads.append(lead.id)
            db.session.commit()
            self.day = 0
            self.seen: dict[int, tuple[int | None, tuple]] = {}  # org → (edition, figures) at the last look

        def attempt(self, action) -> bool:
            try:
                action()
            except DomainError:
                db.session.rollback()
                return False
            db.session.commit()
            return True

        @rule(who=st.integers(0, ORGS - 1), levels=LEVELS)
        def finalise_an_assessment(self, who, levels):
            org = db.session.get(Organisation, self.orgs[who])
            lead = db.session.get(User, self.leads[who])
            version = db.session.get(FrameworkVersion, self.version_id)
            self.day += 1
            a = lifecycle.create(org, version, title=f"A{self.day}", reference_date=date(2020, 1, 1) + timedelta(
                days=self.day), team_user_ids=[lead.id], by=lead)
            for ind, level in zip(lifecycle.tree(version).indicators, levels, strict=True):
                given = (AnswerInput(not_applicable=True, na_reason="not here") if level is None
                         else AnswerInput(current_level=level))
                answers.save(a, ind, given, fields=SOLO_FIELDS, by=lead)
            lifecycle.finalise(a, by=lead)
            db.session.commit()

        @initialize(levels=st.lists(LEVELS, min_size=K + 1, max_size=K + 1))
        def start_with_an_edition(self, levels):
            """Every run starts from a published edition of k + 1 organisations, so the rules that follow always
            have a shown benchmark to break (random steps alone rarely assemble one)."""
            for who, these in enumerate(levels):
                self.finalise_an_assessment(who, these)
            self.publish()
            assert benchmark.latest_edition(self.version_id) is not None

        @rule(who=st.integers(0, ORGS - 1), on=st.booleans())
        def opt(self, who, on):
            org = db.session.get(Organisation, self.orgs[who])
            lifecycle.set_benchmark_opt_in(org, on, by=None)
            db.session.commit()

        @rule()
        def publish(self):
            before = db.session.scalar(select(func.count(BenchmarkEdition.id)))
            if not self.attempt(lambda: benchmark.publish_edition(db.session.get(FrameworkVersion, self.version_id),
                                                                  by=None)):
                assert db.session.scalar(select(func.count(BenchmarkEdition.id))) == before

        @invariant()
        def every_view_keeps_the_promise(self):
            db.session.expire_all()
            version = db.session.get(FrameworkVersion, self.version_id)
            tree = lifecycle.tree(version)
            edition = benchmark.latest_edition(self.version_id)
            for org_id in self.orgs:
                mine = db.session.scalar(select(Assessment).where(
                    Assessment.organisation_id == org_id, Assessment.version_id == self.version_id,
                    Assessment.status == AssessmentStatus.FINALISED).order_by(Assessment.id.desc()).limit(1))
                if mine is None:
                    continue
                view = benchmark.for_assessment(mine, tree, answers.answers(mine))
                LOOKS["available" if view.available else "unavailable"] += 1
                figures = tuple((r.median, r.highest) for r in view.rows)
                if not view.available:
                    self.seen[org_id] = (view.edition, ())
                    continue
                org = db.session.get(Organisation, org_id)
                contributors = set(db.session.scalars(select(BenchmarkContributor.organisation_id).where(
                    BenchmarkContributor.edition_id == edition.id)))
                assert org.benchmark_opt_in and org_id in contributors
                assert len(contributors - {org_id}) >= K and view.at_least == K
                frozen: dict[int, list[int]] = {}
                for other, indicator_id, level in db.session.execute(
                        select(BenchmarkLevel.organisation_id, BenchmarkLevel.indicator_id, BenchmarkLevel.level)
                        .where(BenchmarkLevel.edition_id == edition.id)):
                    if other != org_id:  # its own levels are never in its pool
                        frozen.setdefault(indicator_id, []).append(level)
                for row in view.rows:
                    values = frozen.get(row.node.id, [])
                    if len(values) >= K:
                        assert (row.median, row.highest) == (float(statistics.median(values)), max(values))
                    else:
                        assert (row.median, row.highest) == (None, None)
                last = self.seen.get(org_id)
                if last is not None and last[0] == view.edition and last[1]:
                    assert figures == last[1], "the figures moved within one edition"
                self.seen[org_id] = (view.edition, figures)

        def teardown(self):
            db.session.rollback()
            self.ctx.pop()

    return BenchmarkMachine


def test_no_order_of_actions_lets_a_participant_see_a_small_or_changing_pool(app, monkeypatch):
    monkeypatch.setitem(app.config, "BENCHMARK_MIN_ORGANISATIONS", K)
    run_state_machine_as_test(make_machine(app), settings=EXAMPLES)
    assert LOOKS["available"] > 0 and LOOKS["unavailable"] > 0, LOOKS
