"""Per-item descriptive statistics, computed for many items at once from their rating counts.

Ratings are whole numbers on a short scale, so every statistic of an item follows from its counts per scale
point: a (cells × scale points) matrix. Nothing here loops over items.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from delphi.stats.config import AnalysisConfig

#: Decimal places kept for quantiles: they are rationals with small denominators, and rounding removes the
#: floating-point fuzz (an IQR of 1.0000000000000002 must still satisfy "IQR <= 1").
QUANTILE_DECIMALS = 9


def quantiles_from_counts(counts: np.ndarray, p: float, method: str, scale_min: int) -> np.ndarray:
    """The p-quantile of every row of ``counts`` (ratings per scale point), as numpy would compute it.

    Hyndman & Fan 1996 (Am Stat 50:361-365): with the ratings sorted, s_0 <= ... <= s_(n-1), the quantile is
    s_j + g (s_(j+1) - s_j) at the 0-based position h = j + g, clipped to [0, n-1], where
    type 7 ("linear", numpy's default) has h = (n-1)p and type 6 ("weibull", SPSS) has h = (n+1)p - 1.
    The j-th sorted rating is read off the cumulative counts. Rows with no ratings give NaN.
    """
    counts = np.asarray(counts)
    n = counts.sum(axis=1)
    if method == "linear":
        h = (n - 1) * p
    elif method == "weibull":
        h = n * p + p - 1
    else:
        raise ValueError(f"unknown quantile method {method!r}")
    h = np.clip(np.round(h, 12), 0, np.maximum(n - 1, 0))
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = h - lo
    cum = np.cumsum(counts, axis=1)
    s_lo = scale_min + (cum <= lo[:, None]).sum(axis=1)
    s_hi = scale_min + (cum <= hi[:, None]).sum(axis=1)
    q = s_lo + frac * (s_hi - s_lo)
    return np.where(n > 0, np.round(q, QUANTILE_DECIMALS), np.nan)


def wilson_interval(k: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n, vectorised (Wilson 1927, JASA 22:209-212).

    centre = (p + z²/2n) / (1 + z²/n), half-width = z/(1 + z²/n) · sqrt(p(1-p)/n + z²/4n²), z = Φ⁻¹(1 - α/2);
    no continuity correction (as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``). NaN for n = 0.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = np.clip(centre - half, 0.0, 1.0)
    high = np.clip(centre + half, 0.0, 1.0)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def rand_ucla(p30: np.ndarray, p70: np.ndarray, midpoint: float) -> dict[str, np.ndarray]:
    """RAND/UCLA disagreement index (Fitch et al. 2001, RAND MR-1269).

    IPR = P70 - P30; IPRCP = (P30 + P70)/2; AI = |midpoint - IPRCP| (midpoint 5 on the 1-9 scale the method was
    calibrated on; on other scales the scale's centre); IPRAS = 2.35 + 1.5·AI; DI = IPR/IPRAS, disagreement
    when DI > 1. Worked example: BMJ Open 2012;2:e001431, Table 1.
    """
    ipr = np.round(p70 - p30, QUANTILE_DECIMALS)
    iprcp = (p30 + p70) / 2
    ai = np.abs(midpoint - iprcp)
    ipras = 2.35 + 1.5 * ai
    return {"p30": p30, "p70": p70, "ipr": ipr, "iprcp": iprcp, "ai": ai, "ipras": ipras, "di": ipr / ipras}


def counts_records(counts: np.ndarray, values: range) -> list[dict[str, int]]:
    """Each row of counts as ``{"1": 0, "2": 3, ...}`` (keys are scale points as text, every point present)."""
    keys = [str(v) for v in values]
    return [dict(zip(keys, row)) for row in counts.astype(int).tolist()]


def summarise_counts(counts: np.ndarray, config: AnalysisConfig) -> pd.DataFrame:
    """Every per-item statistic from a (cells × scale points) count matrix; one output row per input row.

    Columns: n, median, q1, q3, iqr, mean, sd, cv, mode, counts, agree_pct, neutral_pct, disagree_pct,
    n_agree, n_neutral, n_disagree (the counts behind the shares), agree_ci_low, agree_ci_high, p30, p70, ipr, iprcp, ai, ipras, di.
    mean/sd/cv: sd with ddof = 1, cv = sd/mean. mode: the lowest of the most frequent scale points.
    Percentages are fractions of n (ratings, abstentions excluded).
    """
    counts = np.asarray(counts, dtype=np.int64)
    values = np.arange(config.scale_min, config.scale_max + 1, dtype=float)
    n = counts.sum(axis=1)
    has = n > 0
    nf = n.astype(float)
    method = config.quartiles
    q = {p: quantiles_from_counts(counts, p, method, config.scale_min) for p in (0.25, 0.5, 0.75, 0.3, 0.7)}
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = counts @ values / nf
        ss = (counts * (values[None, :] - mean[:, None]) ** 2).sum(axis=1)
        sd = np.sqrt(ss / (nf - 1))
        sd[n < 2] = np.nan
        cv = np.where(mean != 0, sd / mean, np.nan)
    agree_lo, agree_hi = config.agree  # type: ignore[misc]
    dis_lo, dis_hi = config.disagree  # type: ignore[misc]
    in_agree = (values >= agree_lo) & (values <= agree_hi)
    in_dis = (values >= dis_lo) & (values <= dis_hi)
    k_agree = counts[:, in_agree].sum(axis=1)
    k_dis = counts[:, in_dis].sum(axis=1)
    k_neutral = n - k_agree - k_dis
    with np.errstate(invalid="ignore", divide="ignore"):
        agree_pct = np.where(has, k_agree / nf, np.nan)
        disagree_pct = np.where(has, k_dis / nf, np.nan)
        neutral_pct = np.where(has, k_neutral / nf, np.nan)
    ci_low, ci_high = wilson_interval(k_agree, n)
    mode = pd.array(np.where(has, config.scale_min + counts.argmax(axis=1), 0), dtype="Int64")
    mode[~has] = pd.NA
    out = pd.DataFrame({
        "n": n,
        "median": q[0.5], "q1": q[0.25], "q3": q[0.75],
        "iqr": np.round(q[0.75] - q[0.25], QUANTILE_DECIMALS),
        "mean": mean, "sd": sd, "cv": cv, "mode": mode,
        "counts": counts_records(counts, config.values),
        "agree_pct": agree_pct, "neutral_pct": neutral_pct, "disagree_pct": disagree_pct,
        "n_agree": k_agree, "n_neutral": k_neutral, "n_disagree": k_dis,
        "agree_ci_low": ci_low, "agree_ci_high": ci_high,
    })
    for key, column in rand_ucla(q[0.3], q[0.7], config.midpoint).items():
        out[key] = column
    return out
