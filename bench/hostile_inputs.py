"""Seconds and peak memory for the hostile inputs of issue 14, on this code or on an older checkout.

    python bench/hostile_inputs.py                       # this work tree
    python bench/hostile_inputs.py --code /tmp/before    # a checkout of the code before the fix (git worktree)
    python bench/hostile_inputs.py --only xlsx            # the cases whose name contains "xlsx"

The crafted files are written once by this process (with the generators of tests/security/
test_hardening_inputs.py); each case then runs in its own child process with `--code` first on sys.path, so
its peak RSS (ru_maxrss, minus the child's RSS after its imports) is its own. A case that takes longer than
--timeout seconds is stopped and reported as such. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- what a child runs (must work on the old code too) -----------------------------------------------------------

def _app(tmp: str):
    os.environ["TEST_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite"
    from flask_migrate import upgrade

    from config import TestConfig
    from delphi import create_app
    app = create_app(TestConfig)
    with app.app_context():
        upgrade()
    return app


def run_case(case: str, path: str, app) -> str:
    """Do one case and return one word of outcome (ok, refused: ..., error: ...)."""
    if case.startswith("framework-"):
        import framework
        fmt = path.rsplit(".", 1)[1]
        framework.load(Path(path).read_bytes(), fmt, filename=Path(path).name)
        return "ok"
    if case.startswith("service-import"):
        with app.app_context():
            from delphi.extensions import db
            from delphi.services.frameworks import files
            files.import_file(Path(path).read_bytes(), Path(path).name, by=None)
            db.session.commit()
        return "ok"
    if case.startswith("analyse-"):
        from delphi.stats.cli import main
        devnull = open(os.devnull, "w")  # noqa: SIM115
        sys.stdout = devnull
        code = main(["analyse", path, "--scale", "1-3"])
        sys.stdout = sys.__stdout__
        return "ok" if code == 0 else f"exit {code}"
    if case.startswith("rule-"):
        from delphi.stats import AnalysisConfig, load_rule
        rule = load_rule(json.loads(Path(path).read_text()))
        for _ in range(3):  # a study page builds the protocol's rule about three times
            AnalysisConfig(1, 3, rule=load_rule(json.loads(Path(path).read_text())))
        return f"ok ({len(rule.clauses)} clauses)"
    if case.startswith("deep-json"):
        text = Path(path).read_text()
        if (Path.cwd() / "delphi" / "jsonsafe.py").exists():  # cwd is --code (the editable install would
            from delphi import jsonsafe                        # find this module in the newer tree)
            jsonsafe.loads(text)
        else:
            json.loads(text)  # what the panel confirmation did before
        return "ok"
    if case.startswith("restore-"):
        with app.app_context():
            from delphi.services.operations import backup
            backup.restore(path)
        return "ok"
    raise SystemExit(f"unknown case {case}")


def child(case: str, path: str, tmp: str) -> None:
    import delphi.stats  # noqa: F401  the imports every case pays, measured before the clock starts
    import framework  # noqa: F401
    app = _app(tmp) if case.startswith(("service-import", "restore-")) else None  # not timed
    base = _rss_mb()
    start = time.perf_counter()
    try:
        outcome = run_case(case, path, app)
    except RecursionError:
        outcome = "error: RecursionError (a 500)"
    except Exception as exc:  # noqa: BLE001  the point is to see what each version does
        outcome = f"refused: {str(exc).splitlines()[0][:110]}" if str(exc) else type(exc).__name__
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": _rss_mb(), "delta_mb": _rss_mb() - base, "outcome": outcome}))


# --- the files ---------------------------------------------------------------------------------------------------

def write_files(tmp: Path, code: str) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT))
    from tests.security.test_hardening_inputs import (
        INDICATOR_HEADER,
        RATINGS_HEADER,
        backup_bomb,
        crafted_xlsx,
        deep_json,
        xfd_rows,
    )
    files: dict[str, Path] = {}
    for rows in (2_000, 8_000):
        p = tmp / f"framework-xfd-{rows}.xlsx"
        p.write_bytes(crafted_xlsx(xfd_rows(rows, INDICATOR_HEADER)))
        files[f"framework-xlsx-xfd-{rows}-rows"] = p
        p = tmp / f"ratings-xfd-{rows}.xlsx"
        p.write_bytes(crafted_xlsx(xfd_rows(rows, RATINGS_HEADER), sheet="ratings"))
        files[f"analyse-xlsx-xfd-{rows}-rows"] = p
    for n in (2_000, 16_000):
        p = tmp / f"framework-{n}.json"
        p.write_text(json.dumps(_framework(n)))
        files[f"framework-json-{n}-indicators"] = p
        files[f"service-import-json-{n}-indicators"] = p
    p = tmp / "rule-50k.json"
    p.write_text(json.dumps({"name": "big", "otherwise": "x", "clauses": [
        {"when": {"agree_pct": [">=", 0.5]}, "outcome": f"o{i}"} for i in range(50_000)]}))
    files["rule-50k-clauses"] = p
    p = tmp / "deep.json"
    p.write_text(deep_json(100_000))
    files["deep-json-100k"] = p
    good = tmp / "good.zip"
    subprocess.run([sys.executable, __file__, "--empty-backup", str(good)], check=True, cwd=code,
                   env=dict(os.environ, PYTHONPATH=code), capture_output=True)  # at the schema of --code
    bomb = tmp / "bomb.zip"
    backup_bomb(good, bomb, megabytes=1536)
    files["restore-bomb-1.5GiB"] = bomb
    bomb = tmp / "bomb-512.zip"
    backup_bomb(good, bomb, megabytes=512)
    files["restore-bomb-512MiB"] = bomb
    return files


def backup_of_empty(target: str) -> None:
    app = _app(tempfile.mkdtemp())
    with app.app_context():
        from delphi.services.operations import backup
        backup.dump(target)


def _framework(n: int) -> dict:
    domains, k = [], 0
    while k < n:
        subdomains = []
        d = len(domains) + 1
        for s in range(1, 11):
            indicators = []
            for i in range(1, 21):
                if k == n:
                    break
                k += 1
                indicators.append({"code": f"D{d}.{s}.{i}", "statement": f"Statement {k}",
                                   "levels": [f"Level {j}" for j in range(1, 6)]})
            if indicators:
                subdomains.append({"code": f"D{d}.{s}", "title": f"Subdomain {d}.{s}", "indicators": indicators})
        domains.append({"code": f"D{d}", "title": f"Domain {d}", "subdomains": subdomains})
    return {"name": "Big", "short_name": "big", "domains": domains}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", default=str(ROOT), help="the checkout whose delphi/ and framework/ are measured")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--child", nargs=3, metavar=("CASE", "FILE", "TMP"), help=argparse.SUPPRESS)
    parser.add_argument("--empty-backup", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.empty_backup:
        backup_of_empty(args.empty_backup)
        return
    if args.child:
        child(*args.child)
        return
    tmp = Path(tempfile.mkdtemp(prefix="hostile-"))
    files = write_files(tmp, args.code)
    env = dict(os.environ, PYTHONPATH=args.code, LOG_LEVEL="WARNING")
    print(f"code: {args.code}")
    print(f"{'case':40} {'file':>9} {'seconds':>8} {'peak MB':>8} {'+MB':>7}  outcome")
    for case, path in files.items():
        if args.only not in case:
            continue
        size = f"{path.stat().st_size / 1024:.0f} KB"
        try:
            done = subprocess.run([sys.executable, __file__, "--child", case, str(path), tempfile.mkdtemp(dir=tmp)],
                                  env=env, cwd=args.code, capture_output=True, text=True, timeout=args.timeout,
                                  check=False)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{case:40} {size:>9} {result['seconds']:8.2f} {result['peak_mb']:8.0f} {result['delta_mb']:7.0f}"
                  f"  {result['outcome']}")
        except subprocess.TimeoutExpired:
            print(f"{case:40} {size:>9} {'>' + str(int(args.timeout)):>8} {'?':>8} {'?':>7}  stopped after "
                  f"{args.timeout:.0f} s")
        except (ValueError, IndexError):
            print(f"{case:40} {size:>9}  child failed: {done.stderr.strip().splitlines()[-1:]}")


if __name__ == "__main__":
    main()
