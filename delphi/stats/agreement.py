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


@dataclass(frozen=True)
class SkillingsMack:
    """Skillings-Mack statistic for incomplete blocks; ``m`` blocks (panelists) used, ``n`` treatments (items)."""

    statistic: float
    p: float
    m: int
    n: int


def skillings_mack(ratings: npt.ArrayLike) -> SkillingsMack:
    """Skillings-Mack test for an m × n matrix with missing values (NaN): m raters (blocks), n objects.

    Skillings & Mack 1981, "On the use of a Friedman-type statistic in balanced and unbalanced block designs",
    Technometrics 23(2):171-177, eqs. (2.1)-(2.4): within each block i with k_i >= 2 observed values, ranks
    r_ij (mid-ranks for ties), adjusted a_ij = sqrt(12/(k_i + 1)) (r_ij - (k_i + 1)/2) (0 where missing);
    A_j = Σ_i a_ij; Σ has off-diagonal -λ_jl (blocks in which j and l are both observed) and diagonal
    Σ_l≠j λ_jl; SM = A' Σ⁻ A (a generalised inverse), χ² with n - 1 df. Blocks with fewer than two values
    carry no ranking and are left out. Without missing values and ties SM equals Friedman's statistic; in a
    balanced incomplete block design it equals Durbin's (1951). Ties are given mid-ranks without a variance
    correction, so with many ties the test is conservative.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("skillings_mack needs a 2-D matrix (raters × objects)")
    observed = ~np.isnan(x)
    k = observed.sum(axis=1)
    x, observed, k = x[k >= 2], observed[k >= 2], k[k >= 2]
    m, n = x.shape
    if m < 2 or n < 2:
        return SkillingsMack(np.nan, np.nan, m, n)
    ranks, _ = midranks(np.where(observed, x, np.inf))     # missing sort last: observed ranks are 1..k_i
    adjusted = np.where(observed, np.sqrt(12 / (k[:, None] + 1)) * (ranks - (k[:, None] + 1) / 2), 0.0)
    a = adjusted.sum(axis=0)
    o = observed.astype(float)
    lam = o.T @ o
    np.fill_diagonal(lam, 0.0)
    sigma = np.diag(lam.sum(axis=1)) - lam
    # Σ is a graph Laplacian and Σ_j A_j = 0, so for a connected design A' Σ⁻ A = A' Σ₁⁻¹ A with the last item
    # dropped (Σ₁ positive definite): one solve instead of an SVD; a disconnected design takes the pseudo-inverse.
    try:
        statistic = float(a[:-1] @ np.linalg.solve(sigma[:-1, :-1], a[:-1]))
    except np.linalg.LinAlgError:
        statistic = float(a @ np.linalg.pinv(sigma) @ a)
    if not np.isfinite(statistic) or statistic < 1e-12:
        statistic = max(statistic, 0.0) if np.isfinite(statistic) else np.nan
    return SkillingsMack(statistic, float(stats.chi2.sf(statistic, n - 1)), m, n)
