"""Stability of ratings between two rounds, on the panelists who rated an item in both.

Everything is computed for all (item, round pair) cells at once from the paired ratings: ``cell`` says which
cell a pair belongs to, ``a`` and ``b`` are the two rounds' ratings as 0-based scale positions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

#: Largest sample scipy.stats.wilcoxon(method="auto") treats exactly; ties/zeros only up to EXACT_TIED_MAX.
EXACT_MAX = 50
EXACT_TIED_MAX = 13
_DP_CELLS_PER_BATCH_ELEMENTS = 4_000_000


def _bincount2(cell: np.ndarray, value: np.ndarray, n_cells: int, n_values: int,
               weights: np.ndarray | None = None) -> np.ndarray:
    flat = np.bincount(cell * n_values + value, weights=weights, minlength=n_cells * n_values)
    return flat.reshape(n_cells, n_values)


def pct_change(counts_a: np.ndarray, counts_b: np.ndarray) -> np.ndarray:
    """Percentage change of the rating distribution (Scheibe, Skutsch & Schofer 1975, "Experiments in Delphi
    methodology", in Linstone & Turoff (eds.), The Delphi Method): Σ_c |f_c,b - f_c,a| / (2n) over scale points
    c, f the counts of the same n panelists in both rounds; the share of "units of change" — 0 when the
    distributions coincide."""
    n = counts_a.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.abs(counts_b - counts_a).sum(axis=1) / (2 * n), np.nan)


def quadratic_kappa(counts_a: np.ndarray, counts_b: np.ndarray, sq_diff_sum: np.ndarray) -> np.ndarray:
    """Quadratic-weighted kappa between two rounds (Cohen 1968, Psychol Bull 70:213; used for Delphi stability
    by Holey et al. 2007, BMC Med Res Methodol 7:52).

    κ_w = 1 - Σ w_ij O_ij / Σ w_ij E_ij with w_ij = (i - j)²; Σ w O is the mean squared difference of the
    paired ratings and Σ w E = var_a + var_b + (mean_a - mean_b)² (population variances of the marginals).
    Computed in integers (scaled by n²) so that a zero denominator is exact: then κ is undefined (NaN).
    """
    v = np.arange(counts_a.shape[1], dtype=np.int64)
    n = counts_a.sum(axis=1).astype(np.int64)
    s1a, s2a = counts_a @ v, counts_a @ (v * v)
    s1b, s2b = counts_b @ v, counts_b @ (v * v)
    denom = n * s2a - s1a * s1a + n * s2b - s1b * s1b + (s1a - s1b) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = 1 - n * sq_diff_sum / denom
    return np.where((n > 0) & (denom > 0), kappa, np.nan)


def _exact_signed_rank_p(abs_counts: np.ndarray, mid2: np.ndarray, n_nz: np.ndarray, r_plus2: np.ndarray
                         ) -> np.ndarray:
    """Two-sided exact p of the signed-rank statistic by enumerating all sign assignments (dynamic programming
    over the distribution of the doubled rank sum), many cells at once. Matches scipy's exact test (no ties)
    and its complete permutation test (small samples with ties or zeros): p = min(1, 2·min(P(T<=t), P(T>=t)))."""
    cells, k = abs_counts.shape
    out = np.empty(cells)
    n_max_all = int(n_nz.max(initial=0))
    per_cell = max(1, (n_max_all + 1) * (int(n_max_all * (n_max_all + 1)) + 1))
    batch = max(1, _DP_CELLS_PER_BATCH_ELEMENTS // per_cell)
    for start in range(0, cells, batch):
        sl = slice(start, start + batch)
        cnt, m2, nn, obs = abs_counts[sl], mid2[sl], n_nz[sl], r_plus2[sl]
        n_max = int(nn.max(initial=0))
        i = np.arange(n_max)
        cum = np.cumsum(cnt, axis=1)
        which = (cum[:, None, :] <= i[None, :, None]).sum(axis=2)            # scale position of element i
        ranks2 = np.take_along_axis(m2, np.minimum(which, k - 1), axis=1)
        ranks2 = np.where(i[None, :] < nn[:, None], ranks2, 0).astype(np.int64)
        top = int(ranks2.sum(axis=1).max(initial=0))
        grid = np.arange(top + 1)
        dist = np.zeros((len(cnt), top + 1))
        dist[:, 0] = 1.0
        for j in range(n_max):
            shift = ranks2[:, j:j + 1]
            idx = grid[None, :] - shift
            moved = np.where(idx >= 0, np.take_along_axis(dist, np.maximum(idx, 0), axis=1), 0.0)
            dist = np.where(shift > 0, 0.5 * (dist + moved), dist)
        le = (dist * (grid[None, :] <= obs[:, None])).sum(axis=1)
        ge = (dist * (grid[None, :] >= obs[:, None])).sum(axis=1)
        out[sl] = np.minimum(1.0, 2 * np.minimum(le, ge))
    return out


def wilcoxon_p(cell: np.ndarray, a: np.ndarray, b: np.ndarray, n_cells: int, n_values: int) -> np.ndarray:
    """Two-sided Wilcoxon signed-rank p per cell (Wilcoxon 1945, Biometrics Bull 1:80), vectorised.

    Same choices as ``scipy.stats.wilcoxon(a, b)`` with its defaults (zero differences dropped, mid-ranks for
    tied |d|, no continuity correction, method="auto"): an exact p when n <= 50 without ties or zeros, or
    n <= 13 (complete enumeration of signs); otherwise the normal approximation
    z = (R+ - n'(n'+1)/4) / sqrt((n'(n'+1)(2n'+1) - Σ(t³-t)/2)/24) over the n' non-zero differences.
    One deliberate difference: when every paired difference is zero we give p = 1 (scipy: 1 for n <= 13,
    NaN above). NaN when the cell has no pairs.
    """
    n_full = np.bincount(cell, minlength=n_cells)
    d = b.astype(np.int64) - a.astype(np.int64)
    nz = d != 0
    abs_counts = _bincount2(cell[nz], np.abs(d[nz]), n_cells, n_values)
    pos = d > 0
    pos_counts = _bincount2(cell[pos], d[pos], n_cells, n_values)
    n_nz = abs_counts.sum(axis=1)
    before = np.cumsum(abs_counts, axis=1) - abs_counts
    mid2 = 2 * before + abs_counts + 1                                       # doubled mid-ranks, integers
    r_plus2 = (pos_counts * mid2).sum(axis=1)
    ties = (abs_counts ** 3 - abs_counts).sum(axis=1)
    nf = n_nz.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt((nf * (nf + 1) * (2 * nf + 1) - ties / 2) / 24)
        z = (r_plus2 / 2 - nf * (nf + 1) / 4) / se
        p = np.minimum(1.0, 2 * stats.norm.sf(np.abs(z)))
    has_ties = (abs_counts > 1).any(axis=1)
    has_zero = n_full > n_nz
    exact = (n_nz > 0) & (((n_full <= EXACT_MAX) & ~has_ties & ~has_zero) | (n_full <= EXACT_TIED_MAX))
    if exact.any():
        idx = np.flatnonzero(exact)
        p[idx] = _exact_signed_rank_p(abs_counts[idx], mid2[idx], n_nz[idx], r_plus2[idx])
    p[(n_full > 0) & (n_nz == 0)] = 1.0
    p[n_full == 0] = np.nan
    return p


def paired_statistics(cell: np.ndarray, a: np.ndarray, b: np.ndarray, n_cells: int, n_values: int) -> pd.DataFrame:
    """Stability statistics per cell from paired ratings (0-based scale positions in rounds a and b).

    Columns: n_paired, pct_change, unchanged_share, wilcoxon_p, kappa_w. Reporting several measures side by side
    matters: a swap of positions between panelists leaves the distribution (pct_change, Wilcoxon) unchanged
    while no rating stays the same (Chaffin & Talley 1980, Technol Forecast Soc
    Change 16).
    """
    cell = np.asarray(cell, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    n = np.bincount(cell, minlength=n_cells)
    counts_a = _bincount2(cell, a, n_cells, n_values)
    counts_b = _bincount2(cell, b, n_cells, n_values)
    same = np.bincount(cell, weights=(a == b).astype(float), minlength=n_cells)
    sq = np.bincount(cell, weights=((a - b) ** 2).astype(float), minlength=n_cells).round().astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        unchanged = np.where(n > 0, same / n, np.nan)
    return pd.DataFrame({
        "n_paired": n,
        "pct_change": pct_change(counts_a, counts_b),
        "unchanged_share": unchanged,
        "wilcoxon_p": wilcoxon_p(cell, a, b, n_cells, n_values),
        "kappa_w": quadratic_kappa(counts_a, counts_b, sq),
    })
