"""Benchmark: the results page of a complete 49-indicator 1+MG MLM self-assessment.

Builds a fresh SQLite database through the migrations, fills every indicator (level, target, evidence) plus an
action plan, and times GET /assessor/assessments/<id>/results (median of N runs). Also counts the SQL queries
and compares them with a 12-indicator framework: the count must not grow with the number of indicators.
Prints figures; not a test. Target: under 100 ms. Usage: python bench/assessment_results.py [--runs N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench-password-1"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="delphi-bench-")
    os.environ["DATABASE_URL"] = args.database or f"sqlite:///{workdir}/bench.sqlite"
    os.environ["DELPHI_INSTANCE_DIR"] = workdir

    import framework as fwlib
    from flask_migrate import upgrade
    from sqlalchemy import event

    from delphi import create_app
    from delphi.extensions import db
    from delphi.models import OrganisationRole
    from delphi.models.assessment import Confidence
    from delphi.services.accounts import users
    from delphi.services.assessments import actions, answers, lifecycle
    from delphi.services.frameworks import versions
    from delphi.services.accounts import organisations
    from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput

    app = create_app("development")
    app.config.update(PASSWORD_HASH_METHOD="scrypt:1024:8:1", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    ids: dict[str, int] = {}
    with app.app_context():
        upgrade()
        lead = users.create_user("lead@bench.example.org", "Bench Lead", PASSWORD)
        org = organisations.create("Benchland")
        organisations.add_member(org, lead, OrganisationRole.LEAD)
        mlm = versions.ensure_shipped()
        doc = fwlib.load_shipped("1plusmg-mlm")
        small = versions.import_document(replace(doc, domains=doc.domains[:2] + doc.domains[3:4] + doc.domains[5:6]),
                                           slug="bench-small", label="1", release=True)
        for key, version in (("mlm", mlm), ("small", small)):
            a = lifecycle.create(org, version, title=f"Bench {key}", reference_date=date(2025, 6, 30),
                                   team_user_ids=[lead.id], by=lead)
            tree = lifecycle.tree(version)
            for n, ind in enumerate(tree.indicators):
                current = 1 + (n * 3) % 5
                answers.save(a, ind, AnswerInput(
                    current_level=current, target_level=min(5, current + 1 + n % 2), target_date=date(2027, 1, 1),
                    confidence=list(Confidence)[n % 3], evidence=f"Evidence for {ind.code}",
                    links=(f"https://example.org/{ind.code}",)), fields=SOLO_FIELDS, by=lead)
            for ind in tree.indicators[:10]:
                actions.add(a, tree, indicator_id=ind.id, description=f"Close the gap of {ind.code}",
                                       owner="Ministry", by=lead)
            lifecycle.finalise(a, by=lead)
            ids[key] = a.id
            ids[f"{key}_indicators"] = len(tree.indicators)
        db.session.commit()
        engine = db.engine

    client = app.test_client()
    response = client.post("/auth/login", data={"email": "lead@bench.example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    counts: list[int] = []

    def count(*_):
        counts[-1] += 1

    def measure(path: str, runs: int) -> tuple[list[float], int]:
        client.get(path)  # warm-up: template compilation, first connection
        timings = []
        event.listen(engine, "before_cursor_execute", count)
        try:
            for _ in range(runs):
                counts.append(0)
                t = time.perf_counter()
                r = client.get(path)
                timings.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, (path, r.status_code)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return timings, counts[-1]

    timings, queries = measure(f"/assessor/assessments/{ids['mlm']}/results", args.runs)
    _, small_queries = measure(f"/assessor/assessments/{ids['small']}/results", 3)
    median = statistics.median(timings)
    print(f"results page, complete {ids['mlm_indicators']}-indicator 1+MG MLM assessment (8 radars, heat-map, gaps): "
          f"median {median:.1f} ms over {args.runs} runs (min {min(timings):.1f}, max {max(timings):.1f}) "
          f"-> {'OK' if median < 100 else 'SLOW'} (target < 100 ms)")
    print(f"SQL queries per results page: {queries} with {ids['mlm_indicators']} indicators, "
          f"{small_queries} with {ids['small_indicators']} indicators "
          f"({'constant' if queries == small_queries else 'GROWS with indicators'})")
    base = f"/assessor/assessments/{ids['mlm']}"
    for label, path, runs in (("answer page, domain III (11 indicators)", f"{base}/domains/3", 10),
                              ("benchmark page", f"{base}/benchmark", 10),
                              ("JSON export", f"{base}/export.json", 5),
                              ("XLSX export", f"{base}/export.xlsx", 5),
                              ("PDF export (WeasyPrint)", f"{base}/export.pdf", 3)):
        t, q = measure(path, runs)
        print(f"{label}: median {statistics.median(t):.1f} ms over {runs} runs, {q} SQL queries")


if __name__ == "__main__":
    main()
