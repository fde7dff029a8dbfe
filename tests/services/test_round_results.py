"""Stored round results equal `delphi analyse` on the exported ratings; closing loses no rating under a race."""
from __future__ import annotations

import json
import math
import threading
from datetime import timedelta

from delphi.db import utcnow
from delphi.extensions import db
from delphi.models import Decision, Rating, Round
from delphi.services.studies import decisions, exports, ratings, rounds
from delphi.stats.cli import main as analyse_main
from tests.study_helpers import make_study, open_first_round, organiser


def _normalise(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 12)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if k not in ("software_version", "generated_at")}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def test_stored_results_equal_delphi_analyse_on_the_exported_ratings(ctx, tmp_path, capsys):
    study = make_study(n_experts=5)
    rnd = open_first_round(study)
    pattern = [3, 3, 2, 1, 3]
    for k, p in enumerate(study.panelists):
        for j, ri in enumerate(rnd.round_items):
            value = pattern[(k + j) % 5]
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": value},
                         comment="needs work" if value == 1 else None)
    rounds.close(rnd, by=organiser())
    org = organiser()
    for ri in rnd.round_items:
        decisions.decide(rnd, ri.item, Decision.RERATE if ri.position <= 10 else Decision.ACCEPT, by=org)
    rnd2 = rounds.open_round(study, utcnow() + timedelta(days=3), by=org)
    for k, p in enumerate(study.panelists):
        for ri in rnd2.round_items:
            ratings.save(rnd2, p, ri.item_id, ratings={"agreement": 3 if k < 4 else 2})
    rounds.close(rnd2, by=org)
    db.session.commit()

    path = tmp_path / "ratings.csv"
    path.write_bytes(exports.ratings_csv(study))
    code = analyse_main(["analyse", str(path), "--scale", "1-3", "--agree", "3-3", "--disagree", "1-1",
                         "--rule", "mlm-2021", "--panel-size", "5", "--max-rounds", "3"])
    out = capsys.readouterr().out
    assert code == 0
    reproduced = json.loads(out)
    stored = rnd2.results["questions"]["agreement"]
    for table in ("items", "stability", "panel"):
        assert _normalise(reproduced[table]) == _normalise(stored[table]), table
    assert len(stored["stability"]) == 10  # the ten re-rated items, paired between rounds 1 and 2


def _race(app, n_threads: int = 6, per_thread: int = 49) -> None:
    with app.app_context():
        study = make_study(n_experts=n_threads)
        rnd = open_first_round(study)
        db.session.commit()
        round_id = rnd.id
        panelist_ids = [p.id for p in study.panelists]
        item_ids = [ri.item_id for ri in rnd.round_items][:per_thread]
    accepted: dict[int, list[int]] = {pid: [] for pid in panelist_ids}
    refused: dict[int, int] = {pid: 0 for pid in panelist_ids}
    errors: list[str] = []
    start = threading.Barrier(n_threads + 1)

    def expert(pid: int) -> None:
        from delphi.models import Panelist

        with app.app_context():
            start.wait()
            for item_id in item_ids:
                try:
                    rnd_ = db.session.get(Round, round_id)
                    ratings.save(rnd_, db.session.get(Panelist, pid), item_id, ratings={"agreement": 3})
                    db.session.commit()
                    accepted[pid].append(item_id)
                except rounds.RoundNotOpen:
                    db.session.rollback()
                    refused[pid] += 1
                except Exception as exc:  # anything else is a bug: report it, don't hide it
                    db.session.rollback()
                    errors.append(repr(exc))
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=expert, args=(pid,)) for pid in panelist_ids]
    for t in threads:
        t.start()
    start.wait()
    with app.app_context():
        # let some ratings land, then close while the experts are still writing
        import time

        time.sleep(0.15)
        rnd = db.session.get(Round, round_id)
        rounds.close(rnd, by=None)
        db.session.commit()
    for t in threads:
        t.join()
    with app.app_context():
        rnd = db.session.get(Round, round_id)
        stored = {(r.panelist_id, r.item_id) for r in db.session.query(Rating).filter_by(round_id=round_id)}
        counted = sum(row["n"] for row in rnd.results["questions"]["agreement"]["items"]) \
            if rnd.results["questions"]["agreement"] else 0
    assert errors == []
    expected = {(pid, item) for pid, items in accepted.items() for item in items}
    assert stored == expected  # every accepted rating is stored, nothing else
    assert counted == len(expected)  # and every one of them is counted in the results
    assert sum(refused.values()) + len(expected) == n_threads * len(item_ids)
    assert expected and sum(refused.values()) > 0  # the close really happened mid-stream


def test_ratings_racing_a_close_are_either_counted_or_refused(app):
    _race(app)
