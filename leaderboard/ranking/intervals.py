"""Intervals for one statistic of many models from its bootstrap replicates.

The interval is the percentile interval of the replicates (their alpha and 1 - alpha
quantiles). For a proportion (a mean of per-item values in [0, 1]: accuracy, robust accuracy,
consistency, or a score made of those only) it is widened where a Wilson-type interval is wider:
the hull of the two.

Why widen: near 0 or 1 the percentile interval is too short. When a sample happens to score
high, its resamples vary little (a proportion's variance p (1 - p) / n shrinks towards the
bound) and the interval stops short of the truth below; with few resampling units (20 clusters)
and a score near 0.95 it covered only 91.8% in the coverage study instead of 95%. Wilson's score
interval uses the variance at each candidate value rather than at the estimate, which is what
is missing there. Its n is the effective number of independent units the bootstrap saw,
n_eff = p (1 - p) / var*(replicates): n for independent 0/1 items, less where items of a cluster
agree (the design effect, as Korn & Graubard 1998 use it for cluster surveys). The hull keeps
the percentile interval wherever it is the wider one, so the result is never shorter than
DESIGN's interval; with it no cell of the study covers less than 95%, and all but one within
2 points of it (20 clusters at 0.95 over-cover at 97.9%: the price of never under-covering;
docs/methodology.md). Other statistics keep the plain percentile interval: p (1 - p) is not
their variance, and ECE's replicates sit below its estimate (its bias grows on a resample), so
an interval centred on the estimate would misplace them.

Where a statistic sits at exactly 0 or 1 (every item right, or every item wrong) every
replicate equals it and the percentile interval shrinks to a point, claiming a certainty no
finite sample gives. Wilson's interval then uses n = the number of resampling units (clusters):
at 1 it is [n / (n + z^2), 1], at 0 its mirror. Why not BCa: BCa corrects the percentile
interval with a bias term (the share of replicates below the estimate) and an acceleration
from the jackknife; when every replicate and every jackknife value equal the estimate both are
0 / 0, so BCa is undefined exactly where a fallback is needed (scipy.stats.bootstrap returns NaN
there), and its jackknife would cost one more pass per resampling unit. Counting clusters
rather than items is the cautious choice: with every item equal, the data cannot tell how
dependent a cluster's items are.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.stats import norm

CONFIDENCE_LEVEL = 0.95

# A point this close to 0 or 1 is at the bound (sums of float32 products of exact 0/1 values
# land exactly on it; the tolerance only absorbs the final division).
_AT_BOUND = 1e-9


def percentile_interval(replicates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The alpha and 1 - alpha quantiles of each column (linear interpolation, as numpy)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    if replicates.shape[1] == 0:
        return np.empty(0), np.empty(0)
    low, high = np.quantile(replicates, [alpha, 1 - alpha], axis=0)
    return low, high


def wilson_interval(
    proportion: np.ndarray, n: np.ndarray | float, confidence_level: float = CONFIDENCE_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval for proportions observed on n independent units."""
    proportion = np.asarray(proportion, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = norm.ppf(1 - (1 - confidence_level) / 2)
    shrink = 1 + z**2 / n
    centre = (proportion + z**2 / (2 * n)) / shrink
    half_width = z / shrink * np.sqrt(proportion * (1 - proportion) / n + z**2 / (4 * n**2))
    return np.clip(centre - half_width, 0, 1), np.clip(centre + half_width, 0, 1)


def bounded_interval(
    replicates: np.ndarray,
    point: np.ndarray,
    n_units: int | None,
    confidence_level: float = CONFIDENCE_LEVEL,
    *,
    proportion: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval of a statistic within [0, 1]: the percentile interval; Wilson's where every
    replicate sits at 0 or 1; and for a proportion, the hull with the Wilson-type interval
    (see the module's docstring).

    n_units: the number of resampling units, Wilson's n where every replicate sits at 0 or 1.
    None: the percentile interval alone.
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    point = np.asarray(point, dtype=np.float64)
    low, high = percentile_interval(replicates, (1 - confidence_level) / 2)
    if n_units is None or replicates.shape[1] == 0:
        return low, high
    n_effective = effective_units(replicates, point, n_units)
    if not proportion:  # Wilson only where every replicate sits at 0 or 1
        n_effective[~_degenerate(replicates)] = np.nan
    usable = np.isfinite(n_effective)
    wilson_low, wilson_high = wilson_interval(np.clip(point[usable], 0, 1), n_effective[usable],
                                              confidence_level)
    low[usable] = np.minimum(low[usable], wilson_low)
    high[usable] = np.maximum(high[usable], wilson_high)
    return low, high


def effective_units(replicates: np.ndarray, point: np.ndarray, n_units: int) -> np.ndarray:
    """Per column, the n of independent units that gives the replicates' variance:
    p (1 - p) / var*, at least 1. n_units where the statistic sits at 0 or 1 with no spread;
    NaN where no proportion-like reading exists (a spread-free value inside (0, 1), or a
    column that is not finite)."""
    variance = replicates.var(axis=0, ddof=1) if len(replicates) > 1 else np.zeros(len(point))
    spread = np.isfinite(variance) & (variance > 0) & np.isfinite(point)
    n_effective = np.full(len(point), np.nan)
    binomial = np.clip(point, 0, 1) * (1 - np.clip(point, 0, 1))
    n_effective[spread] = np.maximum(binomial[spread] / variance[spread], 1)
    at_bound = (np.abs(point) < _AT_BOUND) | (np.abs(point - 1) < _AT_BOUND)
    n_effective[~spread & np.isfinite(variance) & at_bound] = n_units
    return n_effective


def score_interval(
    replicates: np.ndarray,
    point: np.ndarray,
    component_intervals: Mapping[str, tuple[np.ndarray, np.ndarray]],
    score_weights: Mapping[str, float],
    n_units: int | None,
    confidence_level: float = CONFIDENCE_LEVEL,
    *,
    proportion: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The reliability score's interval: bounded_interval; where every replicate is equal,
    the weighted mean of its components' intervals.

    A score can be constant without sitting at a bound (accuracy 0 and calibration 1 give 0.5
    in every replicate); its components then sit at their bounds and have Wilson intervals,
    and the weighted mean of their ends is the score's interval. At 0 or 1 this is the score's
    own Wilson interval, as every component is at the same bound.
    """
    replicates = np.asarray(replicates, dtype=np.float64)
    low, high = bounded_interval(replicates, point, n_units, confidence_level,
                                 proportion=proportion)
    degenerate = _degenerate(replicates) if replicates.shape[1] else np.zeros(0, bool)
    if degenerate.any():
        total = sum(score_weights.values())
        for end, which in ((low, 0), (high, 1)):
            combined = sum(score_weights[name] * np.asarray(ends[which], dtype=np.float64)
                           for name, ends in component_intervals.items()) / total
            end[degenerate] = combined[degenerate]
    return low, high


def _degenerate(replicates: np.ndarray) -> np.ndarray:
    """Columns whose replicates are all equal (and finite)."""
    return np.isfinite(replicates).all(axis=0) & (np.ptp(replicates, axis=0) == 0)
