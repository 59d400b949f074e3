"""Rank intervals from paired score differences.

Model j beats model i when the alpha quantile of theta_j - theta_i over the replicates is above 0
(alpha = 2.5% for 95%); i's rank interval is [1 + #models that beat i, N - #models i beats], and
the models whose interval includes 1 are tied for first. Replicates are paired (every model was
scored on the same resamples), so the differences keep the shared item difficulty out of the
comparison.

Each pairwise decision errs at most alpha of the time, but with many models some of them err;
`simultaneous_beats` gives decisions that hold for all pairs at once (max-t), for readers who
want the whole ordering at 95% rather than each comparison.
"""

from __future__ import annotations

import math

import numpy as np

# Bounds the (rows, N, B) temporaries of pairwise comparisons to about 32 MB.
CHUNK_ELEMENTS = 1 << 22


def beats(replicates: np.ndarray, alpha: float) -> np.ndarray:
    """(N, N) bool: [i, j] is True when the alpha quantile of theta_j - theta_i is above 0.

    Sorting B differences for each of N^2 pairs is the slow part, and almost always needless:
    with k = floor(alpha (B - 1)), the interpolated quantile lies between the k-th and (k+1)-th
    smallest difference, so it is above 0 when at most k differences are <= 0 and not above 0
    when at least k + 2 are. Only pairs with exactly k + 1 need the quantile itself.
    """
    n_replicates, n_models = replicates.shape
    by_model = np.ascontiguousarray(np.asarray(replicates, dtype=np.float64).T)  # (N, B)
    k = math.floor(alpha * (n_replicates - 1))
    result = np.zeros((n_models, n_models), dtype=bool)
    for start, block in _blocks(by_model):
        # For finite floats, theta_j - theta_i <= 0 exactly when theta_j <= theta_i.
        not_above = (by_model[None, :, :] <= block[:, None, :]).sum(axis=2)
        result[start : start + len(block)] = not_above <= k
        for i, j in np.argwhere(not_above == k + 1):
            result[start + i, j] = np.quantile(by_model[j] - block[i], alpha) > 0
    return result


def simultaneous_beats(replicates: np.ndarray, confidence_level: float) -> np.ndarray:
    """(N, N) bool: [i, j] is True when j beats i in max-t intervals valid for all pairs at once.

    For each pair the difference d = theta_j - theta_i has replicate mean m and standard
    deviation s. c is the confidence_level quantile, over replicates, of the largest
    |d - m| / s over all pairs; j beats i when m - c s > 0. A pair whose difference never varies
    (s = 0: the same model twice, or two models right on every item) is decided by its sign.

    d - m is the difference of the two models' centred replicates and |d - m| / s is the same
    for (i, j) and (j, i), so one pass over the pairs j > i of each replicate finds the largest
    t; it runs in float32 (the replicates' own precision), the means and spreads in float64.
    """
    by_model = np.ascontiguousarray(np.asarray(replicates, dtype=np.float64).T)  # (N, B)
    n_models, n_replicates = by_model.shape
    mean, spread = _pairwise_moments(by_model)
    centred = (by_model - by_model.mean(axis=1, keepdims=True)).astype(np.float32)
    inverse_spread = np.divide(1.0, spread, out=np.zeros_like(spread), where=spread > 0)
    inverse_spread = np.triu(inverse_spread, 1).astype(np.float32)
    largest_t = np.zeros(n_replicates, dtype=np.float32)
    for start, block in _blocks(centred):
        t = np.abs(centred[None, start:, :] - block[:, None, :])  # [i, j - start, b] = |d - m|
        t *= inverse_spread[start : start + len(block), start:, None]
        np.maximum(largest_t, t.max(axis=(0, 1)), out=largest_t)
    critical = float(np.quantile(largest_t.astype(np.float64), confidence_level))
    return mean - critical * spread > 0


def _pairwise_moments(by_model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, N) mean and standard deviation (ddof 0) over replicates of theta_j - theta_i at [i, j].

    The spread comes from the covariance matrix (one product), except where two models are so
    alike that var_i + var_j - 2 cov_ij loses its digits to cancellation: those pairs are
    computed from their differences directly (exactly 0 for identical models either way).
    """
    n_models, n_replicates = by_model.shape
    means = by_model.mean(axis=1)
    centred = by_model - means[:, None]
    covariance = centred @ centred.T / max(n_replicates, 1)
    variance = np.diag(covariance)
    sum_of_variances = variance[:, None] + variance[None, :]
    spread_squared = sum_of_variances - 2 * covariance
    spread = np.sqrt(np.maximum(spread_squared, 0))
    upper = np.triu(np.ones((n_models, n_models), dtype=bool), 1)
    for i, j in np.argwhere(upper & (spread_squared < 1e-6 * sum_of_variances)):
        spread[i, j] = spread[j, i] = (by_model[j] - by_model[i]).std()
    np.fill_diagonal(spread, 0)
    return means[None, :] - means[:, None], spread


def rank_intervals(beaten: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From beats(...) (N, N): rank_low = 1 + #models that beat i, rank_high = N - #i beats."""
    return 1 + beaten.sum(axis=1), len(beaten) - beaten.sum(axis=0)


def _blocks(by_model: np.ndarray):
    """(first row, rows) of by_model, few enough rows that a (rows, N, B) array fits the bound."""
    n_models, n_replicates = by_model.shape
    rows = max(1, CHUNK_ELEMENTS // max(n_models * n_replicates, 1))
    for start in range(0, n_models, rows):
        yield start, by_model[start : start + rows]
