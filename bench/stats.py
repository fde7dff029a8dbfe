"""Benchmark of the statistics engine against a floor: pandas reading the same CSV and a groupby median.

    python bench/stats.py                     # 1,000 panelists × 300 items × 2 rounds (600 k ratings)
    python bench/stats.py --panelists 10000   # 6 M ratings; target < 60 s and < 4 GB peak

The ratings file is generated in a child process (so its memory does not count). This process then times
the full analysis (read_ratings + analyse + JSON) and the floor alternately, twice each, and compares the best
of each; the peak RSS is taken right after the first analysis, before the floor ever ran. The last line is
``stats/floor ratio: X.XX`` (target <= 3); the line before compares the wide reader with the long one on the
same ratings (target <= 1.5). Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from delphi.stats import AnalysisConfig, ReadOptions, analyse, read_ratings
from delphi.stats.export import to_json


def generate(path: str, panelists: int, items: int, rounds: int, seed: int = 1) -> None:
    """A synthetic two-round Delphi: per-item tendencies, ~2 % abstentions, some comments, 4 groups."""
    rng = np.random.default_rng(seed)
    pan = np.array([f"P{i:06d}" for i in range(panelists)], dtype=object)
    group = np.array(["clinician", "patient", "researcher", "policy"], dtype=object)[np.arange(panelists) % 4]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("round,item,panelist,rating,comment,group\n")
        base = rng.integers(2, 6, items)
        for r in range(1, rounds + 1):
            for i in range(items):
                ratings = np.clip(base[i] + rng.integers(-2, 2, panelists), 1, 5).astype(str).astype(object)
                ratings[rng.random(panelists) < 0.02] = ""
                comment = np.where(rng.random(panelists) < 0.01, "please reword", "")
                pd.DataFrame({"round": r, "item": f"I{i:04d}", "panelist": pan, "rating": ratings,
                              "comment": comment, "group": group}).to_csv(fh, header=False, index=False)


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--panelists", type=int, default=1000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    n = args.panelists * args.items * args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "ratings.csv")
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=generate, args=(path, args.panelists, args.items, args.rounds))
        child.start()
        child.join()
        print(f"generated {args.panelists:,} panelists x {args.items} items x {args.rounds} rounds = {n:,} ratings "
              f"({Path(path).stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")

        config = AnalysisConfig.from_strings("1-5", agree="4-5", rule="mlm-2021", panel_size=args.panelists)

        def run_stats() -> tuple[float, float, float, int]:
            t0 = time.perf_counter()
            ratings = read_ratings(path, scale=(1, 5))
            t_read = time.perf_counter() - t0
            result = analyse(ratings, config)
            t_analyse = time.perf_counter() - t0 - t_read
            text = to_json(result)
            return time.perf_counter() - t0, t_read, t_analyse, len(text)

        def run_floor() -> float:
            t0 = time.perf_counter()
            frame = pd.read_csv(path)
            frame.groupby(["round", "item"])["rating"].median()
            return time.perf_counter() - t0

        # Alternate, and keep the best of two, so that neither side profits from the other's warm-up.
        stats_times, floor_times = [], []
        for attempt in range(2):
            total, t_read, t_analyse, size = run_stats()
            stats_times.append(total)
            print(f"stats run {attempt + 1}: {total:.2f} s (read_ratings {t_read:.2f} s, analyse {t_analyse:.2f} s, "
                  f"JSON {total - t_read - t_analyse:.2f} s, {size / 1e6:.1f} MB)")
            if attempt == 0:
                print(f"peak RSS after the first analysis: {peak_rss_mb():,.0f} MB")
            floor_times.append(run_floor())
            print(f"floor run {attempt + 1} (pandas read_csv + groupby median): {floor_times[-1]:.2f} s")
        t_stats, t_floor = min(stats_times), min(floor_times)
        print(f"best of 2: stats {t_stats:.2f} s, floor {t_floor:.2f} s; peak RSS {peak_rss_mb():,.0f} MB")
        wide_path = str(Path(tmp) / "wide.csv")
        long_times, wide_times = [], []
        # the same ratings, one row per round × panelist, one column per item
        long = pd.read_csv(path, dtype={"rating": "string"}, keep_default_na=False)
        long = long[["round", "item", "panelist", "rating", "group"]]
        wide = long.pivot_table(index=["round", "panelist", "group"], columns="item", values="rating",
                                aggfunc="first").reset_index()
        wide.to_csv(wide_path, index=False)
        del long, wide
        options = ReadOptions(wide=True, id_column="panelist")
        for _ in range(2):
            t0 = time.perf_counter()
            read_ratings(path, scale=(1, 5))
            long_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            read_ratings(wide_path, scale=(1, 5), options=options)
            wide_times.append(time.perf_counter() - t0)
        print(f"read_ratings, best of 2: long {min(long_times):.2f} s, wide (same ratings, "
              f"{Path(wide_path).stat().st_size / 1e6:.0f} MB) {min(wide_times):.2f} s")
    print(f"wide/long reader ratio: {min(wide_times) / min(long_times):.2f} (target <= 1.5)")
    print(f"stats/floor ratio: {t_stats / t_floor:.2f}")


if __name__ == "__main__":
    main()
