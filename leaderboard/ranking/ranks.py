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
    """
    by_model = np.ascontiguousarray(np.asarray(replicates, dtype=np.float64).T)  # (N, B)
    n_models, n_replicates = by_model.shape
    means = np.empty((n_models, n_models))
    spreads = np.empty((n_models, n_models))
    largest_t = np.zeros(n_replicates)
    for start, block in _blocks(by_model):
        differences = by_model[None, :, :] - block[:, None, :]  # [i, j, b] = theta_j - theta_i
        mean = differences.mean(axis=2)
        spread = differences.std(axis=2)
        means[start : start + len(block)], spreads[start : start + len(block)] = mean, spread
        varies = spread > 0
        if varies.any():
            t = np.abs(differences[varies] - mean[varies][:, None]) / spread[varies][:, None]
            largest_t = np.maximum(largest_t, t.max(axis=0))
    critical = np.quantile(largest_t, confidence_level)
    return means - critical * spreads > 0


def rank_intervals(beaten: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From beats(...) (N, N): rank_low = 1 + #models that beat i, rank_high = N - #i beats."""
    return 1 + beaten.sum(axis=1), len(beaten) - beaten.sum(axis=0)


def _blocks(by_model: np.ndarray):
    """(first row, rows) of by_model, few enough rows that a (rows, N, B) array fits the bound."""
    n_models, n_replicates = by_model.shape
    rows = max(1, CHUNK_ELEMENTS // max(n_models * n_replicates, 1))
    for start in range(0, n_models, rows):
        yield start, by_model[start : start + rows]
