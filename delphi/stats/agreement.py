"""Panel-level agreement (Kendall's W, Krippendorff's alpha) and between-group tests (Kruskal-Wallis)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import krippendorff
import numpy as np
import numpy.typing as npt
from scipy import stats


@dataclass(frozen=True)
class KendallW:
    """Kendall's coefficient of concordance with its chi-square test; ``m`` raters, ``n`` objects."""

    w: float
    chi2: float
    p: float
    m: int
    n: int


def midranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks (1-based) within every row of ``x``, and each row's tie sum Σ(t³ - t) over its tie groups.

    One argsort of the whole matrix; ties are runs of equal values in the sorted rows.
    """
    m, n = x.shape
    order = np.argsort(x, axis=1, kind="stable")
    s = np.take_along_axis(x, order, axis=1)
    starts_run = np.ones((m, n), dtype=bool)
    starts_run[:, 1:] = s[:, 1:] != s[:, :-1]
    flat = starts_run.ravel()
    run_of = np.cumsum(flat) - 1
    starts = np.flatnonzero(flat)
    lengths = np.diff(np.append(starts, m * n)).astype(float)
    mid = (starts % n) + (lengths + 1) / 2
    ranks = np.empty((m, n), dtype=float)
    np.put_along_axis(ranks, order, mid[run_of].reshape(m, n), axis=1)
    ties = np.bincount(starts // n, weights=lengths ** 3 - lengths, minlength=m)
    return ranks, ties


def kendall_w(ratings: npt.ArrayLike) -> KendallW:
    """Kendall's W with tie correction for an m × n matrix: m raters (rows) each rating all n objects.

    Kendall & Babington Smith 1939 (Ann Math Stat 10:275); tie correction per Kendall 1948 (Rank correlation
    methods) and Siegel & Castellan 1988 (Nonparametric statistics, 2nd ed.): R_i = Σ_j r_ij (mid-ranks within
    each rater), S = Σ_i (R_i - m(n+1)/2)², W = 12 S / (m²(n³ - n) - m Σ_j T_j), T_j = Σ (t³ - t) over rater
    j's tie groups; χ² = m(n-1)W with n-1 df (equal to Friedman's tie-corrected statistic with raters as
    blocks). NaN when m < 2, n < 2 or every rater gave all objects the same rating.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("kendall_w needs a 2-D matrix (raters × objects)")
    m, n = x.shape
    if m < 2 or n < 2:
        return KendallW(np.nan, np.nan, np.nan, m, n)
    if np.isnan(x).any():
        raise ValueError("kendall_w needs complete data: every rater rates every object")
    ranks, ties = midranks(x)
    r = ranks.sum(axis=0)
    s = float(((r - m * (n + 1) / 2) ** 2).sum())
    denom = m * m * (n ** 3 - n) - m * float(ties.sum())
    if denom <= 0:
        return KendallW(np.nan, np.nan, np.nan, m, n)
    w = min(max(12 * s / denom, 0.0), 1.0)
    chi2 = m * (n - 1) * w
    return KendallW(w, chi2, float(stats.chi2.sf(chi2, n - 1)), m, n)


def krippendorff_alpha(value_counts: npt.ArrayLike, values: npt.ArrayLike, level: str = "ordinal") -> float:
    """Krippendorff's alpha from a units × values count matrix (Krippendorff 2011, "Computing Krippendorff's
    alpha-reliability"; the ``krippendorff`` package). Missing ratings are simply absent from the counts;
    units rated once are not pairable and drop out. NaN when no unit has two ratings or only one value
    occurs at all (alpha is then undefined)."""
    vc = np.asarray(value_counts, dtype=float)
    if vc.ndim != 2 or vc.shape[0] == 0 or (vc.sum(axis=1) < 2).all() or (vc.sum(axis=0) > 0).sum() < 2:
        return float("nan")
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return float(krippendorff.alpha(value_counts=vc, value_domain=np.asarray(values),
                                            level_of_measurement=level))
        except ValueError:
            return float("nan")


def kruskal_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kruskal-Wallis H and p for many cells at once from (cells × groups × scale points) counts.

    Kruskal & Wallis 1952 (JASA 47:583-621), with tie correction: within a cell the N ratings get mid-ranks,
    which for tied scale points are cum_before + (t + 1)/2; R_g = Σ ranks of group g;
    H = [12/(N(N+1)) Σ_g R_g²/n_g - 3(N+1)] / [1 - Σ(t³ - t)/(N³ - N)], χ² with (groups present - 1) df —
    the same as ``scipy.stats.kruskal``. NaN with fewer than two groups or when all ratings are equal.
    """
    c = np.asarray(counts, dtype=float)
    per_value = c.sum(axis=1)                                 # cells × values
    big_n = per_value.sum(axis=1)                             # cells
    before = np.cumsum(per_value, axis=1) - per_value
    mid = before + (per_value + 1) / 2                        # cells × values
    n_g = c.sum(axis=2)                                       # cells × groups
    r_g = (c * mid[:, None, :]).sum(axis=2)                   # cells × groups
    k = (n_g > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        term = np.where(n_g > 0, r_g ** 2 / np.where(n_g > 0, n_g, 1), 0.0).sum(axis=1)
        h = 12 / (big_n * (big_n + 1)) * term - 3 * (big_n + 1)
        correction = 1 - (per_value ** 3 - per_value).sum(axis=1) / (big_n ** 3 - big_n)
        h = h / correction
        ok = (k >= 2) & (correction > 0) & (big_n > 1)
        h = np.where(ok, h, np.nan)
        p = np.where(ok, stats.chi2.sf(h, np.maximum(k - 1, 1)), np.nan)
    return h, p
