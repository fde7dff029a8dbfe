"""Benchmark: the Delphi report (HTML and PDF) of a study with ~300 items, 500 panelists and 3 rounds.

Prints figures; not a test. Target (issue 6): each renders in under 10 s. The PDF and the data package are then
asked again: the kept copy (issue 19: a worker builds them in production) is served after a digest of the inputs.
Usage: python bench/report.py
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--panelists", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-report-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite")
    os.environ["DELPHI_INSTANCE_DIR"] = workdir
    logging.disable(logging.INFO)  # the round-open e-mails to every panelist would fill the terminal

    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from delphi import create_app
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Decision, Panelist, Participation, PlatformRole, Rating, User
    from delphi.services.accounts import users
    from delphi.services.frameworks import versions
    from delphi.services.studies import decisions, design, rounds

    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        org = users.create_user("org@bench.example.org", "Organiser", "bench-password-1")
        users.grant_role(org, PlatformRole.ORGANISER)
        study = design.create("Report bench", versions.ensure_shipped(), by=org)
        design.set_protocol(study, dict(study.protocol, rated_kinds=["indicator", "level"], max_rounds=5), by=org)
        now = utcnow()
        db.session.execute(insert(User), [{"email": f"e{i}@bench.example.org", "name": f"E{i}", "active": True,
                                           "session_version": 1, "created_at": now} for i in range(args.panelists)])
        ids = db.session.scalars(select(User.id).where(User.email.like("e%@bench.example.org"))).all()
        groups = ["clinician", "policy", "research", "patient"]
        db.session.execute(insert(Panelist), [{"study_id": study.id, "user_id": uid, "pseudonym": f"E{i + 1:04d}",
                                               "stakeholder_group": groups[i % 4], "country": ["PT", "ES", "FI"][i % 3],
                                               "expertise": "", "added_at": now, "consented_at": now,
                                               "invited_at": now} for i, uid in enumerate(ids)])
        db.session.expire(study)
        t_setup = time.perf_counter()
        for number in range(1, args.rounds + 1):
            rnd = rounds.open_round(study, utcnow() + timedelta(days=7), by=org)
            db.session.flush()
            pids = [p.id for p in study.panelists]
            rows = [{"round_id": rnd.id, "panelist_id": pid, "item_id": ri.item_id, "question": "agreement",
                     "value": 1 + (pid * 7 + ri.item_id * 3 + number) % 3, "updated_at": now}
                    for pid in pids for ri in rnd.round_items]
            for start in range(0, len(rows), 20000):
                db.session.execute(insert(Rating), rows[start:start + 20000])
            db.session.execute(insert(Participation), [{"round_id": rnd.id, "panelist_id": pid, "started_at": now,
                                                        "submitted_at": now} for pid in pids])
            rounds.close(rnd, by=org)
            for ri in rnd.round_items:
                decisions.decide(rnd, ri.item, Decision.RERATE if number < args.rounds else Decision.ACCEPT, by=org)
            db.session.commit()
        study_id = study.id
        n_items = len(study.items)
        print(f"setup: {args.panelists} panelists x {n_items} items x {args.rounds} rounds "
              f"in {time.perf_counter() - t_setup:.1f} s ({db.engine.dialect.name})")

    client = app.test_client()
    client.post("/auth/login", data={"email": "org@bench.example.org", "password": "bench-password-1"})
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/auth/login", data={"email": "org@bench.example.org", "password": "bench-password-1"})
    for label, path in (("HTML", f"/organiser/studies/{study_id}/report"),
                        ("PDF", f"/organiser/studies/{study_id}/report.pdf"),
                        ("data package", f"/organiser/studies/{study_id}/data-package.zip")):
        t = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, (path, response.status_code)
        print(f"report {label}: {elapsed:.2f} s, {len(response.data) / 1e6:.1f} MB (target < 10 s)")
        if label != "HTML":  # kept (prepared_outputs): the same inputs are served without building (issue 19)
            t = time.perf_counter()
            again = client.get(path)
            kept = time.perf_counter() - t
            assert again.status_code == 200 and again.data == response.data
            print(f"report {label}, kept copy: {kept * 1000:.0f} ms (digest of the inputs + read), "
                  f"{kept / elapsed:.3f} x the build")


if __name__ == "__main__":
    main()
