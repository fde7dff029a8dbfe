"""A study through two rounds at the service level, checked against hand-computed outcomes."""
from delphi.extensions import db
from delphi.models import Decision, ItemState, RoundStatus
from delphi.services.frameworks import versions
from delphi.services.studies import decisions, ratings, results, rounds
from tests.study_helpers import make_study, open_first_round, organiser, rate_all


def test_round_one_opens_with_one_item_per_indicator_and_locks_the_protocol(ctx):
    study = make_study()
    rnd = open_first_round(study)
    assert rnd.number == 1 and len(rnd.round_items) == 49
    assert study.protocol_locked_at is not None and len(study.protocol_checksum) == 64


def test_close_classifies_items_by_the_mlm_rule(ctx):
    """5 experts: 5/5 agree → validated; 4 agree + 1 disagree with a comment: 80 % < 85.5 % and 20 % disagree → reformulated."""
    study = make_study()
    rnd = open_first_round(study)
    rate_all(rnd)  # everyone agrees (3 on the 3-point scale)
    first, second = rnd.round_items[0], rnd.round_items[1]
    e1 = study.panelists[0]
    ratings.save(rnd, e1, second.item_id, ratings={"agreement": 1}, comment="Too vague")
    rounds.close(rnd, by=organiser())
    db.session.commit()
    outcomes = results.outcomes(rnd)
    assert outcomes[first.item.code] == "validated"
    assert outcomes[second.item.code] == "reformulated"
    row = results.item_rows(rnd)[second.item.code]["agreement"]
    assert row["n"] == 5 and abs(row["agree_pct"] - 0.8) < 1e-9 and abs(row["disagree_pct"] - 0.2) < 1e-9


def test_rating_after_close_is_refused_and_nothing_changes(ctx):
    study = make_study(n_experts=2)
    rnd = open_first_round(study)
    rate_all(rnd)
    rounds.close(rnd, by=organiser())
    db.session.commit()
    import pytest

    with pytest.raises(rounds.RoundNotOpen):
        ratings.save(rnd, study.panelists[0], rnd.round_items[0].item_id, ratings={"agreement": 1})
    db.session.rollback()
    assert ratings.frame(study.id)["rating"].tolist() == [3] * (2 * 49)


def test_second_round_carries_revised_wording_and_feedback(ctx):
    study = make_study()
    rnd = open_first_round(study)
    rate_all(rnd)
    target = rnd.round_items[1]
    ratings.save(rnd, study.panelists[0], target.item_id, ratings={"agreement": 1}, comment="Say 'national'")
    rounds.close(rnd, by=organiser())
    org = organiser()
    for ri in rnd.round_items:
        if ri.item_id == target.item_id:
            decisions.decide(rnd, ri.item, Decision.REVISE, by=org, reason="E01's comment",
                             new_text="Revised statement about national genomics.")
        elif ri.position == 3:
            decisions.decide(rnd, ri.item, Decision.DROP, by=org, reason="Overlaps with another indicator")
        else:
            decisions.decide(rnd, ri.item, Decision.ACCEPT, by=org)
    from datetime import timedelta

    from delphi.db import utcnow

    rnd2 = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
    db.session.commit()
    assert [ri.item_id for ri in rnd2.round_items] == [target.item_id]
    ri2 = rnd2.round_items[0]
    assert ri2.wording["text"] == "Revised statement about national genomics."
    assert ri2.previous_wording["text"] == target.wording["text"]
    fb = results.feedback(rnd, study.panelists[0], [target.item_id])[target.item_id]
    assert fb["own"] == {"agreement": 1} and fb["comments"] == []
    fb_other = results.feedback(rnd, study.panelists[1], [target.item_id])[target.item_id]
    assert fb_other["comments"] == [{"text": "Say 'national'", "language": "en"}]
    doc = versions.to_document(study.framework_version)
    assert doc.counts().indicators == 48  # one dropped from the draft
    dropped = [i for i in study.items if i.state == ItemState.DROPPED]
    assert len(dropped) == 1
    assert rnd.status == RoundStatus.CLOSED
