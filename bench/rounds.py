"""Benchmark: closing a round of 500 panelists × ~300 items, and the expert's domain page with feedback.

Prints figures; not a test. Targets (issue 5): close < 5 s; the domain page in < 100 ms with a number of SQL
queries that does not grow with the number of items or panelists. Usage: python bench/rounds.py [--panelists N]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panelists", type=int, default=500)
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite"
    os.environ["DELPHI_INSTANCE_DIR"] = workdir
    logging.disable(logging.INFO)  # the round-open e-mails to every panelist would fill the terminal

    from flask_migrate import upgrade
    from sqlalchemy import event, insert

    from delphi import create_app
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Decision, Panelist, Participation, Rating
    from delphi.services.accounts import users
    from delphi.services.frameworks import versions
    from delphi.services.studies import decisions, design, rounds

    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        org = users.create_user("org@bench.example.org", "Organiser", "bench-password-1")
        from delphi.models import PlatformRole

        users.grant_role(org, PlatformRole.ORGANISER)
        study = design.create("Bench", versions.ensure_shipped(), by=org)
        protocol = dict(study.protocol, rated_kinds=["indicator", "level"])
        design.set_protocol(study, protocol, by=org)
        from _panel import bulk_panel

        bulk_panel(study, args.panelists)
        now = utcnow()
        rnd = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
        db.session.commit()
        panelist_ids = [p.id for p in study.panelists]
        item_ids = [ri.item_id for ri in rnd.round_items]
        rows = [{"round_id": rnd.id, "panelist_id": pid, "item_id": iid, "question": "agreement",
                 "value": 1 + (pid * 7 + iid * 3) % 3, "updated_at": now}
                for pid in panelist_ids for iid in item_ids]
        t = time.perf_counter()
        for start in range(0, len(rows), 20000):
            db.session.execute(insert(Rating), rows[start:start + 20000])
        db.session.execute(insert(Participation), [{"round_id": rnd.id, "panelist_id": pid, "started_at": now}
                                                   for pid in panelist_ids])
        db.session.commit()
        print(f"setup: {len(panelist_ids)} panelists x {len(item_ids)} items = {len(rows)} ratings "
              f"inserted in {time.perf_counter() - t:.1f} s ({db.engine.dialect.name})")

        t = time.perf_counter()
        rounds.close(rnd, by=org)
        db.session.commit()
        close_s = time.perf_counter() - t
        print(f"close round (stats for {len(item_ids)} items, stored): {close_s:.2f} s  (target < 5 s)")

        for ri in rnd.round_items:
            decisions.decide(rnd, ri.item, Decision.RERATE, by=org)
        rnd2 = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
        db.session.commit()
        expert = db.session.get(Panelist, panelist_ids[0]).user
        expert.password_hash = users.hash_password("bench-password-1")
        db.session.commit()
        round2_id = rnd2.id
        expert_email = expert.email

    client = app.test_client()
    client.post("/auth/login", data={"email": expert_email, "password": "bench-password-1"})
    counts: list[int] = []
    with app.app_context():
        engine = db.engine

    def count(*_):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    timings = []
    for domain in ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"] * 3:
        counts.append(0)
        t = time.perf_counter()
        response = client.get(f"/expert/rounds/{round2_id}/domains/{domain}")
        timings.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, response.status_code
    event.remove(engine, "before_cursor_execute", count)
    per_domain = dict(zip(["I", "II", "III", "IV", "V", "VI", "VII", "VIII"], counts[:8]))
    print(f"expert domain page with feedback ({args.panelists} panelists): median "
          f"{statistics.median(timings):.1f} ms, max {max(timings):.1f} ms (target < 100 ms)")
    print(f"SQL queries per domain page (domains have 1-4 indicators, 6-24 items): {per_domain}")


if __name__ == "__main__":
    main()
