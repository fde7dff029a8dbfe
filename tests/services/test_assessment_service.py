"""Self-assessment services: invariants held by the database, summaries computed as documented, charts, progress
across framework versions, the glossary, and the demo seed."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tests.web.test_assessment_fixtures import add_member, fill, start


@pytest.fixture
def assessment(app, ctx):
    """An in-progress MLM assessment of Portugal, and its lead."""
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.accounts import users

    add_member(app, "Portugal", "lead@pt.example", "lead")
    aid = start(app, "Portugal", "lead@pt.example", reference_date=date(2025, 1, 1))
    return db.session.get(Assessment, aid), users.find_by_email("lead@pt.example")


def _fresh() -> None:
    """End the test's own transaction: fill() committed through another application context."""
    from delphi.extensions import db

    db.session.rollback()


def _answer_values(a, indicator_id, **values):
    return {"assessment_id": a.id, "indicator_id": indicator_id, "evidence": "", "links": [], "not_applicable": False,
            "na_reason": "", "agreed_note": "", "revision": 0, **values}


def test_database_refuses_a_second_answer_for_the_same_indicator(assessment):
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer
    from delphi.services.assessments import lifecycle

    a, _ = assessment
    ind = lifecycle.tree(a.version).indicators[0]
    from delphi.db import utcnow

    db.session.execute(insert(AssessmentAnswer).values(**_answer_values(a, ind.id, updated_at=utcnow())))
    with pytest.raises(IntegrityError):
        db.session.execute(insert(AssessmentAnswer).values(**_answer_values(a, ind.id, updated_at=utcnow())))
    db.session.rollback()


@pytest.mark.parametrize("values", [
    {"current_level": 6}, {"current_level": 0}, {"target_level": 9},
    {"current_level": 4, "target_level": 3},
    {"current_level": 2, "not_applicable": True, "na_reason": "x"},
])
def test_database_check_constraints_refuse_impossible_answers(assessment, values):
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models.assessment import AssessmentAnswer
    from delphi.services.assessments import lifecycle

    a, _ = assessment
    ind = lifecycle.tree(a.version).indicators[0]
    with pytest.raises(IntegrityError):
        db.session.execute(insert(AssessmentAnswer).values(**_answer_values(a, ind.id, updated_at=utcnow(),
                                                                            **values)))
    db.session.rollback()


def test_database_freezes_a_finalised_assessment_but_keeps_its_action_plan_live(app, assessment):
    from delphi.extensions import db
    from delphi.models.assessment import (
        ActionStatus,
        Assessment,
        AssessmentAction,
        AssessmentAnswer,
        AssessmentTeamMember,
    )
    from delphi.services.assessments import actions, lifecycle

    a, lead = assessment
    fill(app, a.id, "lead@pt.example")
    _fresh()
    a = db.session.get(Assessment, a.id)
    tree = lifecycle.tree(a.version)
    action = actions.add(a, tree, indicator_id=tree.indicators[0].id, description="Plan", by=lead)
    lifecycle.finalise(a, by=lead)
    db.session.commit()
    for statement in (
            update(AssessmentAnswer).where(AssessmentAnswer.assessment_id == a.id).values(current_level=5),
            update(Assessment).where(Assessment.id == a.id).values(title="Rewritten history"),
            update(Assessment).where(Assessment.id == a.id).values(status="in_progress", finalised_at=None),
            insert(AssessmentTeamMember).values(assessment_id=a.id, user_id=lead.id, added_at=a.created_at)):
        with pytest.raises(IntegrityError, match="finalised assessments are read-only"):
            db.session.execute(statement.execution_options(synchronize_session=False))
        db.session.rollback()
    # The plan is carried out after the levels are frozen.
    db.session.execute(update(AssessmentAction).where(AssessmentAction.id == action.id)
                       .values(status=ActionStatus.DONE))
    db.session.commit()
    assert db.session.get(AssessmentAction, action.id).status == ActionStatus.DONE
    with pytest.raises(Exception, match="read-only"):
        lifecycle.finalise(db.session.get(Assessment, a.id), by=lead)


def test_domain_summaries_are_computed_as_their_methods_say(app, assessment):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import answers, lifecycle
    from delphi.services.assessments import results as assessment_results

    a, _ = assessment
    # Domain III has 11 indicators: levels 1,2,3,4,5,1,2,3,4,5 and one not applicable.
    levels = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, None]
    tree = lifecycle.tree(a.version)
    codes = [i.code for i in tree.domains[2].indicators]
    fill(app, a.id, "lead@pt.example", level=lambda n, code: levels[codes.index(code)] if code in codes else 3,
         target=lambda n, cur: min(5, cur + 2))
    _fresh()
    a = db.session.get(Assessment, a.id)
    results = assessment_results.compute(tree, answers.answers(a))
    d3 = results.domains[2].summary
    assert (d3.indicators, d3.rated, d3.not_applicable, d3.answered) == (11, 10, 1, 11)
    assert d3.median == 3.0  # 1 1 2 2 3 3 4 4 5 5 -> (3 + 3) / 2
    assert d3.mean == 3.0
    assert d3.share_3plus == pytest.approx(6 / 10)  # 3 3 4 4 5 5
    assert (d3.lowest, d3.highest) == (1, 5)
    # Gaps: targets are level + 2 capped at 5 -> gap 2 for levels 1-3, 1 for level 4, 0 for level 5.
    assert d3.mean_gap == pytest.approx(round((2 * 3 + 1) * 2 / 10, 2))
    assert [g.gap for g in results.gaps] == sorted((g.gap for g in results.gaps), reverse=True)
    assert all(g.gap > 0 for g in results.gaps)
    assert results.reached == 2  # the two level-5 indicators of domain III
    assert {i.current for i in results.strengths} <= {4, 5} and {i.current for i in results.weaknesses} <= {1, 2}
    assert assessment_results.fmt(3.0) == "3" and assessment_results.fmt(2.5) == "2.5"
    assert assessment_results.fmt(None) == "–" and assessment_results.percent(0.6) == "60%"


def test_radar_puts_level_five_on_the_rim_and_falls_back_to_bars_below_three_axes():
    from delphi.services.assessments import charts

    radar = charts.radar(["A", "B", "C", "D"], ["a", "b", "c", "d"], [("current", "Current", [5, None, 1, 3])])
    assert radar.kind == "radar" and len(radar.axes) == 4 and len(radar.rings) == 5
    top = radar.series[0].markers[0]
    assert (top.x, round(radar.cy - top.y, 1)) == (radar.cx, round(radar.radius, 1))  # first axis points up
    assert len(radar.series[0].markers) == 3  # no marker for the missing value
    # A missing value is a gap, never a point at the centre (which reads as level 0): the line runs C → D → A
    # and stops; no closed shape, the axis is dashed.
    series = radar.series[0]
    assert not series.closed and series.points == ""
    assert all(f"{radar.cx},{radar.cy}" not in seg for seg in series.segments)
    c, d, a = (series.markers[1], series.markers[2], series.markers[0])
    assert series.segments == (f"{c.x},{c.y} {d.x},{d.y} {a.x},{a.y}",)
    assert [ax.missing for ax in radar.axes] == [False, True, False, False]
    full = charts.radar(["A", "B", "C"], ["a", "b", "c"], [("current", "Current", [5, 2, 1])])
    assert full.series[0].closed and len(full.series[0].points.split()) == 3
    lone = charts.radar(["A", "B", "C", "D"], ["a", "b", "c", "d"], [("t", "T", [None, 3, None, None])])
    assert lone.series[0].segments == () and len(lone.series[0].markers) == 1
    bars = charts.radar(["A", "B"], ["a", "b"], [("current", "Current", [2, 4]), ("target", "Target", [3, None])])
    assert bars.kind == "bars" and len(bars.rows) == 2
    assert bars.rows[0].bars[0].width == pytest.approx(bars.plot_width * 2 / 5)
    assert bars.rows[1].bars[1].value is None and bars.rows[1].bars[1].width == 0


def test_progress_across_framework_versions_matches_codes_and_marks_rewording(app, assessment):
    import framework as fwlib

    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import progress
    from delphi.services.frameworks import versions

    a, _ = assessment
    fill(app, a.id, "lead@pt.example", level=lambda n, code: 2, finalise=True)
    _fresh()
    doc = fwlib.load_shipped("1plusmg-mlm")
    d1, d3 = doc.domains[0], doc.domains[2]
    s11 = d1.subdomains[0]
    reworded = replace(s11.indicators[0], statement="Country/region has a dedicated and funded governance body.")
    s31 = d3.subdomains[0]
    dropped = s31.indicators[-1]
    added = replace(s31.indicators[0], code="III.1.9", statement="A brand new indicator.")
    doc2 = replace(doc, domains=(
        replace(d1, subdomains=(replace(s11, indicators=(reworded, *s11.indicators[1:])), *d1.subdomains[1:])),
        doc.domains[1],
        replace(d3, subdomains=(replace(s31, indicators=(*s31.indicators[:-1], added)), *d3.subdomains[1:])),
        *doc.domains[3:]))
    versions.import_document(doc2, slug="1plusmg-mlm", label="2025", release=True)
    db.session.commit()
    second = start(app, "Portugal", "lead@pt.example", title="Second", reference_date=date(2026, 1, 1),
                   version_ref="1plusmg-mlm:2025")
    fill(app, second, "lead@pt.example", level=lambda n, code: 3, finalise=True)
    _fresh()
    report = progress.compare([db.session.get(Assessment, second), db.session.get(Assessment, a.id)])
    assert [c.label for c in report.columns] == ["2025-01-01", "2026-01-01"]  # oldest first
    rows = {r.code: r for r in report.rows}
    assert rows["I.1.1"].reworded_in == ("1plusmg-mlm:2025",) and rows["I.1.1"].change is None
    assert rows["I.2.1"].reworded_in == () and rows["I.2.1"].change == 1
    assert rows[dropped.code].only_in == ("1plusmg-mlm:2022",) and rows[dropped.code].cells[1].text == "not in version"
    assert rows["III.1.9"].only_in == ("1plusmg-mlm:2025",) and rows["III.1.9"].cells[0].present is False
    assert report.mixed_versions and report.improved == 47 and report.declined == 0
    assert report.domain_means[0][2] == (2.0, 3.0)
    assert report.chart is not None and len(report.chart.lines) == 8


def test_glossary_annotation_escapes_text_and_matches_whole_words_only():
    from delphi.services.assessments.glossary import Glossary

    g = Glossary([("Norms", "Legislation, policies & codes"), ("Centrally", "In a national <node>")])
    html = str(g.annotate("Norms are set centrally; abnormsal <b>text</b> stays."))
    assert html.startswith('<abbr class="term" title="Legislation, policies &amp; codes">Norms</abbr>')
    assert '<abbr class="term" title="In a national &lt;node&gt;">centrally</abbr>' in html
    assert "abnormsal &lt;b&gt;text&lt;/b&gt;" in html
    assert [t for t, _ in g.used_terms()] == ["Centrally", "Norms"]
    empty = Glossary([])
    assert not empty and str(empty.annotate("a <b>")) == "a &lt;b&gt;" and empty.used_terms() == []


def test_completion_counts_levels_and_not_applicable(app, assessment):
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import lifecycle

    a, _ = assessment
    fill(app, a.id, "lead@pt.example", level=lambda n, code: None if n == 1 else 3, only=5)
    _fresh()
    a = db.session.get(Assessment, a.id)
    done = lifecycle.completion(a, lifecycle.tree(a.version))
    assert (done.answered, done.total, done.per_domain[1], done.per_domain[2]) == (5, 49, (3, 3), (2, 5))
    assert [i.code for i in lifecycle.unanswered(a, lifecycle.tree(a.version))][:2] == ["II.3.1", "II.3.2"]


def test_demo_seed_creates_one_finished_assessment_and_is_idempotent(app, ctx):
    from delphi.extensions import db
    from delphi.models import Organisation, OrganisationRole
    from delphi.models.assessment import Assessment, AssessmentAction, AssessmentAnswer, AssessmentStatus
    from delphi.services.accounts import organisations, users
    from delphi.services.assessments import demo

    org = organisations.create("Demoland")
    lead = users.create_user("lead@demo.example", "Lea Lead", None)
    assessor = users.create_user("arno@demo.example", "Arno Assessor", None)
    organisations.add_member(org, lead, OrganisationRole.LEAD)
    organisations.add_member(org, assessor, OrganisationRole.ASSESSOR)
    demo.seed(org, lead, assessor)
    db.session.commit()
    demo.seed(db.session.get(Organisation, org.id), lead, assessor)
    db.session.commit()
    a = db.session.scalar(select(Assessment))
    assert db.session.scalar(select(func.count(Assessment.id))) == 1
    assert a.status == AssessmentStatus.FINALISED and {m.user_id for m in a.team} == {lead.id, assessor.id}
    assert db.session.scalar(select(func.count(AssessmentAnswer.id))) == 49
    assert db.session.scalar(select(func.count(AssessmentAction.id))) >= 1
    assert db.session.execute(text("SELECT count(*) FROM assessment_answers WHERE current_level IS NULL")).scalar() == 0
