"""Convergence and snapshots of a real-time round, from answers saved through ratings.save."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import AuditEvent, RatingEvent, RoundSnapshot
from delphi.services.studies import convergence, design, ratings, results, rounds
from tests.study_helpers import make_study, open_first_round, organiser


def live_study(mode: str = "realtime", n_experts: int = 3):
    study = make_study(n_experts=n_experts, kinds=("domain",))
    protocol = dict(study.protocol)
    protocol["mode"] = mode
    design.set_protocol(study, protocol, by=organiser())
    return study, open_first_round(study)


def rate(rnd, values: dict[str, int | str]) -> None:
    """Each expert (by pseudonym) rates every item of the round with the given value."""
    for p in rnd.study.panelists:
        for ri in rnd.round_items:
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": values[p.pseudonym]})


def spread_in_time(rnd, start) -> None:
    """Give the round's events one minute each, in the order they were saved (the series then has distinct moments)."""
    for k, event in enumerate(db.session.scalars(select(RatingEvent).where(RatingEvent.round_id == rnd.id)
                                                 .order_by(RatingEvent.id))):
        event.given_at = start + timedelta(minutes=k)
    db.session.flush()


def test_a_revision_moves_the_series(ctx):
    study, rnd = live_study()
    first = [p.pseudonym for p in study.panelists]
    rate(rnd, {first[0]: 3, first[1]: 3, first[2]: 1})
    item = rnd.round_items[0]
    ratings.save(rnd, study.panelists[2], item.item_id, ratings={"agreement": 3})  # E03 changes their mind
    start = utcnow() - timedelta(hours=1)
    spread_in_time(rnd, start)
    data = convergence.series(rnd, points=4, now=start + timedelta(minutes=24))["agreement"]
    code = item.item.code
    agree = [row["agree_pct"] for row in data["items"] if row["item"] == code]
    assert agree[-1] == 1.0 and agree[-2] == pytest.approx(2 / 3)  # the revision came at minute 24
    panel = data["panel"]
    assert panel[-1]["n_revised"] == 1 and panel[-1]["revised_share"] == pytest.approx(1 / 3)
    assert panel[-2]["n_revised"] == 0
    revisions = {row["item"]: row for row in data["revisions"]}
    assert revisions[code]["n_revisions"] == 1 and revisions[code]["n_answers"] == 4
    assert sum(row["n_revisions"] for row in data["revisions"]) == 1
    assert data["moments"][-1] == (start + timedelta(minutes=24)).isoformat()


def test_a_snapshot_stores_the_results_shape_on_the_current_answers_and_is_audited(ctx):
    study, rnd = live_study()
    pseudonyms = [p.pseudonym for p in study.panelists]
    rate(rnd, dict.fromkeys(pseudonyms, 2))
    snap = convergence.take_snapshot(rnd, "  after the first day  ", by=organiser())
    expected = results.compute(rnd)
    assert snap.label == "after the first day"
    assert set(snap.results) == set(expected)
    assert snap.results["questions"]["agreement"]["items"] == expected["questions"]["agreement"]["items"]
    assert snap.last_event_id == db.session.scalar(select(func.max(RatingEvent.id)))
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "take_snapshot")) == 1
    ratings.save(rnd, study.panelists[0], rnd.round_items[0].item_id, ratings={"agreement": 3})
    later = convergence.take_snapshot(rnd, "", by=organiser())
    assert later.last_event_id > snap.last_event_id
    assert [s.id for s in convergence.snapshots(rnd)] == [snap.id, later.id]
    first_code = rnd.round_items[0].item.code
    medians = [next(r["median"] for r in s.results["questions"]["agreement"]["items"] if r["item"] == first_code)
               for s in convergence.snapshots(rnd)]
    assert medians == [2.0, 2.0]   # 2, 2, 2 then 3, 2, 2
    means = [next(r["mean"] for r in s.results["questions"]["agreement"]["items"] if r["item"] == first_code)
             for s in convergence.snapshots(rnd)]
    assert means == pytest.approx([2.0, 7 / 3])


def test_a_closed_round_takes_no_snapshot(ctx):
    study, rnd = live_study()
    rate(rnd, {p.pseudonym: 3 for p in study.panelists})
    rounds.close(rnd, by=organiser())
    with pytest.raises(convergence.SnapshotRefused):
        convergence.take_snapshot(rnd, "too late", by=organiser())
    assert db.session.scalar(select(func.count(RoundSnapshot.id))) == 0


def test_close_of_a_live_round_stores_first_against_last_answers(ctx):
    study, rnd = live_study()
    p1, p2, p3 = study.panelists
    rate(rnd, {p1.pseudonym: 3, p2.pseudonym: 1, p3.pseudonym: 2})
    item = rnd.round_items[0]
    ratings.save(rnd, p2, item.item_id, ratings={"agreement": 3})
    ratings.save(rnd, p3, item.item_id, ratings={"agreement": "unable"})
    rounds.close(rnd, by=organiser())
    rows = {row["item"]: row for row in rnd.results["first_last"]["agreement"]}
    changed = rows[item.item.code]
    # first 3, 1 (E03's last is unable: left out) → last 3, 3: % change (|0-1| at 1 + |1-2| at 3) / (2·2) = 0.5
    assert (changed["n_paired"], changed["pct_change"], changed["unchanged_share"], changed["stable"]) == \
        (2, 0.5, 0.5, False)
    untouched = rows[rnd.round_items[1].item.code]
    assert (untouched["n_paired"], untouched["pct_change"], untouched["stable"]) == (3, 0.0, True)
    # the final answers classify the items, as for any round: E03's "unable" is not counted
    final = results.item_rows(rnd)[item.item.code]["agreement"]
    assert (final["n"], final["n_abstain"], final["agree_pct"]) == (2, 1, 1.0)


def test_a_classic_round_keeps_its_results_keys(ctx):
    study = make_study(n_experts=3, kinds=("domain",))
    rnd = open_first_round(study)
    rate(rnd, {p.pseudonym: 3 for p in study.panelists})
    rounds.close(rnd, by=organiser())
    assert "first_last" not in rnd.results
    assert set(rnd.results) == {"computed_at", "round", "panel_size", "respondents", "questions"}
