"""Benchmark: the organiser's work between rounds on the 1+MG MLM study (294 items: 49 indicators and their 245
level descriptions) with 500 panelists — the consensus dashboard, one decision, an undo, a bulk decision.

Prints figures and ratios; not a test. Targets (issue 13): one dashboard page < 300 ms and < 300 kB; one decision
< 200 ms; a bulk decision of ~300 items < 2 s. The baseline, measured in the same run, is the organiser's study
list (a small logged-in page through the same app, session and database).

Usage: python bench/between_rounds.py [--panelists 500] [--database URL] [--keep]   (--keep leaves the SQLite
file and prints how to serve it, to look at the pages by hand)
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
PASSWORD = "bench-password-1"


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """(median ms, max ms, last result) over repeats calls."""
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times), result


def seed(app, panelists: int):
    from sqlalchemy import insert

    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Comment, Participation, PlatformRole, Rating
    from delphi.services.accounts import users
    from delphi.services.frameworks import versions
    from delphi.services.studies import design, rounds

    org = users.create_user("org@bench.example.org", "Organiser", PASSWORD)
    users.grant_role(org, PlatformRole.ORGANISER)
    study = design.create("MLM between rounds", versions.ensure_shipped(), by=org)
    design.set_protocol(study, dict(study.protocol, rated_kinds=["indicator", "level"]), by=org)
    from _panel import bulk_panel

    bulk_panel(study, panelists)
    now = utcnow()
    rnd = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
    db.session.commit()
    panelist_ids = [p.id for p in study.panelists]
    item_ids = [ri.item_id for ri in rnd.round_items]
    rows = [{"round_id": rnd.id, "panelist_id": pid, "item_id": iid, "question": "agreement",
             "value": 1 + (pid * 7 + iid * 3) % 3, "updated_at": now} for pid in panelist_ids for iid in item_ids]
    for start in range(0, len(rows), 20000):
        db.session.execute(insert(Rating), rows[start:start + 20000])
    # One panelist in ten comments on one item in seven: the dashboard shows every comment of its page.
    db.session.execute(insert(Comment), [
        {"round_id": rnd.id, "panelist_id": pid, "item_id": iid, "text": f"Suggested rewording of item {iid}: "
         "make the level measurable and name who is responsible.", "updated_at": now}
        for n, pid in enumerate(panelist_ids) if n % 10 == 0 for iid in item_ids if iid % 7 == 0])
    db.session.execute(insert(Participation), [{"round_id": rnd.id, "panelist_id": pid, "started_at": now,
                                                "submitted_at": now} for pid in panelist_ids])
    db.session.commit()
    t = time.perf_counter()
    rounds.close(rnd, by=org)
    db.session.commit()
    print(f"setup: {len(panelist_ids)} panelists x {len(item_ids)} items = {len(rows)} ratings; close "
          f"{time.perf_counter() - t:.2f} s ({db.engine.dialect.name})")
    return rnd.id, study.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panelists", type=int, default=500)
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print how to serve it")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite"
    os.environ["DELPHI_INSTANCE_DIR"] = workdir
    logging.disable(logging.INFO)  # 500 round-open e-mails would fill the terminal

    from flask_migrate import upgrade

    from delphi import create_app
    from delphi.extensions import db
    from delphi.models import Item, ItemDecision, Round

    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        round_id, study_id = seed(app, args.panelists)
        rnd = db.session.get(Round, round_id)
        item_ids = [ri.item_id for ri in rnd.round_items]
        db.session.remove()

    client = app.test_client()
    r = client.post("/auth/login", data={"email": "org@bench.example.org", "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    dashboard = f"/organiser/rounds/{round_id}"

    base_ms, _, _ = timed(lambda: client.get("/organiser/"), args.repeats)
    page_ms, page_max, page = timed(lambda: client.get(dashboard), args.repeats)
    assert page.status_code == 200
    shown = re.search(r'id="shown">([^<]*)', page.data.decode()).group(1)
    print(f"baseline (organiser's study list): {base_ms:.1f} ms median")
    print(f"dashboard page (first domain): {page_ms:.1f} ms median, {page_max:.1f} ms max, "
          f"{len(page.data) / 1024:.0f} kB — {shown}  [target < 300 ms, < 300 kB; {page_ms / base_ms:.1f}x baseline]")
    all_ms, _, all_page = timed(lambda: client.get(dashboard + "?domain=all"), max(3, args.repeats // 3))
    print(f"dashboard page (all domains, page 1 of several): {all_ms:.1f} ms median, {len(all_page.data) / 1024:.0f} kB")

    decide_times = []
    for item_id in item_ids[:args.repeats]:
        t = time.perf_counter()
        r = client.post(f"{dashboard}/items/{item_id}/decision", data={"decision": "accept", "domain": "I"})
        decide_times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 302, r.status_code
    print(f"one decision (POST, redirect not followed): {statistics.median(decide_times):.1f} ms median, "
          f"{max(decide_times):.1f} ms max  [target < 200 ms; {statistics.median(decide_times) / base_ms:.1f}x baseline]")
    undo_ms, undo_max, _ = timed(lambda: client.post(f"{dashboard}/items/{item_ids[0]}/undo", data={}), 1)
    print(f"undo of one decision: {undo_ms:.1f} ms")

    with app.app_context():
        before = db.session.query(ItemDecision).filter_by(round_id=round_id).count()
    t = time.perf_counter()
    r = client.post(f"{dashboard}/decisions", data={"scope": "matching", "decision": "rerate", "domain": "all",
                                                    "state": "undecided"})
    bulk_s = time.perf_counter() - t
    assert r.status_code == 302
    with app.app_context():
        after = db.session.query(ItemDecision).filter_by(round_id=round_id).count()
        total = db.session.query(Item).filter_by(study_id=study_id).count()
    print(f"bulk decision: {after - before} items re-rated in {bulk_s:.2f} s  [target < 2 s for ~300]; "
          f"{after} of {total} items decided")
    if args.keep:
        print(f"\nkept: DATABASE_URL={os.environ['DATABASE_URL']} DELPHI_INSTANCE_DIR={workdir} "
              f".venv/bin/flask --app delphi run   (log in as org@bench.example.org / {PASSWORD})")


if __name__ == "__main__":
    main()
