"""Statistics of many models as functions of weighted sums over items.

A replicate's weights are the counts of a resample of the items. Each statistic names the
per-item rows whose weighted sums it needs (correct answers, per-bin calibration gaps, per-class
and per-group counts) and how to finish them (a ratio, an absolute value, a mean over classes).
`evaluate` stacks the rows of every statistic of every model, drops the all-zero and repeated
ones, and computes all sums for all replicates with one matrix product: weights (B, n) times
rows (C, n).T. With all weights equal to one the same code gives the plain metric, so the point
estimate and the replicates can never disagree on a definition.

Precision: replicate products run in float32. Counts times 0/1 outcomes are integers below 2**24,
which float32 holds exactly in any order of addition; sums of confidence gaps carry a relative
error near 1e-7, far below the bootstrap's own Monte-Carlo error (about 1e-3 at B = 2,000), and
float32 halves the memory and doubles the speed of the product. Point estimates use float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from benchmarks.metrics import CALIBRATION_BINS, calibration_bin

# Reliability score v1 (DESIGN § Scores): the mean of the components the benchmark version
# defines (accuracy, robust accuracy, fairness, calibration = 1 - ECE), every default weight 1.
# Any change to the formula or to the default weights is a new version of the score.
RELIABILITY_SCORE_VERSION = 1
DEFAULT_SCORE_WEIGHT = 1.0

# Bounds the temporaries of the product (a chunk of weight rows converted to floats) to about
# 32 MB whatever the number of items or replicates.
CHUNK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Statistic:
    """A statistic of M models, from weighted sums over rows.

    rows: (C, n_rows) per-row values whose weighted sums the statistic needs.
    finish: (sums (B, C), totals (B, 1)) -> (B, M) (or (B, M, ...)): the statistic in each
        replicate, where totals is the total weight of the rows.
    item_of_row: None when row i is item i; else (n_rows,) the item each row belongs to (the
        source item of a variant), whose weight the row takes.
    proportion: the statistic is a weighted mean of per-item values in [0, 1] (accuracy, robust
        accuracy), whose interval intervals.bounded_interval may widen to Wilson's.
    """

    rows: np.ndarray
    finish: Callable[[np.ndarray, np.ndarray], np.ndarray]
    item_of_row: np.ndarray | None = None
    proportion: bool = False


def evaluate(
    weights: np.ndarray,
    statistics: Mapping[str, Statistic],
    precision: type = np.float64,
) -> dict[str, np.ndarray]:
    """Every statistic under every weight row (B, n): name -> (B, M) float64."""
    return evaluate_with_point(weights, statistics, precision)[0]


def evaluate_with_point(
    weights: np.ndarray,
    statistics: Mapping[str, Statistic],
    precision: type = np.float64,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(every statistic under every weight row: name -> (B, M); the plain statistic, every
    weight 1, in float64: name -> (M,)).

    One product per set of rows (statistics on the items share one; statistics on variants
    share another when they map to the same items). The plain statistic comes from the same
    distinct rows, summed in float64, so it costs no second pass.
    """
    weights = _check_weights(weights)
    replicated, point = {}, {}
    for item_of_row, names in _grouped_by_rows(statistics).items():
        if item_of_row is None:
            row_weights = weights
        else:
            row_weights = weights[:, np.frombuffer(item_of_row, dtype=np.intp)]
        n_rows = row_weights.shape[1]
        blocks = [np.asarray(statistics[name].rows, dtype=np.float64) for name in names]
        for name, block in zip(names, blocks):
            if block.ndim != 2 or block.shape[1] != n_rows:
                raise ValueError(f"{name}: rows must be (C, {n_rows}), got {block.shape}")
        sums, unit_sums = weighted_sums(row_weights, blocks, precision)
        totals = row_weights.sum(axis=1, dtype=np.float64)[:, None]
        start = 0
        for name, block in zip(names, blocks):
            columns = slice(start, start + len(block))
            replicated[name] = statistics[name].finish(sums[:, columns], totals)
            unit_total = np.array([[float(n_rows)]])  # every row weighs 1
            point[name] = statistics[name].finish(unit_sums[None, columns], unit_total)[0]
            start += len(block)
    return replicated, point


def weighted_sums(
    weights: np.ndarray, blocks: list[np.ndarray], precision: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """(B, C) float64 = weights (B, n) @ rows (C, n).T computed in `precision`, where the rows
    are the blocks' rows one after the other; and (C,) the rows' plain sums in float64.

    All-zero rows sum to 0 without a product, and a row repeated (two models with the same
    outcomes) is multiplied once: besides the time saved, equal rows get bitwise equal sums, so
    identical models tie exactly whatever the product's order of additions.
    """
    distinct_of_row, distinct_rows = _distinct_nonzero_rows(blocks)
    factors = distinct_rows.astype(precision).T
    products = np.empty((weights.shape[0], len(distinct_rows)), dtype=precision)
    chunk = max(1, CHUNK_ELEMENTS // max(weights.shape[1], 1))
    for start in range(0, weights.shape[0], chunk):
        products[start : start + chunk] = weights[start : start + chunk].astype(precision) @ factors
    del factors
    nonzero = distinct_of_row >= 0
    sums = np.zeros((weights.shape[0], len(distinct_of_row)))
    sums[:, nonzero] = products[:, distinct_of_row[nonzero]]
    unit_sums = np.zeros(len(distinct_of_row))
    unit_sums[nonzero] = distinct_rows.sum(axis=1)[distinct_of_row[nonzero]]
    return sums, unit_sums


def mean_statistic(values: np.ndarray) -> Statistic:
    """The weighted mean over items of M models' per-item values (M, n): accuracy when the
    values are 0/1 answers, robust accuracy when they say which items survived every attack."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    within_unit_interval = bool(np.all((values >= 0) & (values <= 1)))
    return Statistic(values, lambda sums, totals: sums / totals, proportion=within_unit_interval)


def accuracy_statistic(correct: np.ndarray) -> Statistic:
    correct = np.atleast_2d(np.asarray(correct))
    _check_binary(correct, "correct")
    return mean_statistic(correct)


def ece_statistic(
    correct: np.ndarray, confidence: np.ndarray, bins: int = CALIBRATION_BINS
) -> Statistic:
    """Expected calibration error with equal-width confidence bins.

    ECE = sum over bins of |sum_{i in bin} w_i (correct_i - confidence_i)| / sum_i w_i.
    Items are binned by benchmarks.metrics.calibration_bin, as the quality suite bins them:
    bin k holds [k / bins, (k + 1) / bins), the last also holds exactly 1.
    """
    correct = np.atleast_2d(np.asarray(correct))
    confidence = np.atleast_2d(np.asarray(confidence, dtype=np.float64))
    _check_binary(correct, "correct")
    if correct.shape != confidence.shape:
        raise ValueError(f"correct {correct.shape} and confidence {confidence.shape} differ")
    if not np.all((confidence >= 0) & (confidence <= 1)):
        raise ValueError("confidence must be finite and within [0, 1]")
    n_models, n_items = correct.shape
    # Row (model, bin) holds the item's gap where the item falls in that bin and 0 elsewhere.
    # Most of these rows are empty (a binary classifier's confidence never falls below 0.5), and
    # the product skips them.
    gap_per_bin = np.zeros((n_models, bins, n_items))
    gap_per_bin[np.arange(n_models)[:, None], calibration_bin(confidence, bins),
                np.arange(n_items)] = correct - confidence

    def finish(sums, totals):
        # A fixed-order sum over each model's bins (not a product), so equal inputs stay equal.
        return np.abs(sums).reshape(len(sums), n_models, bins).sum(axis=2) / totals

    return Statistic(gap_per_bin.reshape(n_models * bins, n_items), finish)


def macro_f1_statistic(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> Statistic:
    """Macro-F1 from per-class weighted true-positive, prediction and support counts.

    Per class, F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + support), and the mean runs
    over all n_classes classes, as the quality suite's macro-F1 does (benchmarks.metrics). A
    class with no (weighted) support and no predictions has F1 = 0, scikit-learn's
    zero_division=0: this equals f1_score(labels, predicted, labels=range(n_classes),
    average="macro", zero_division=0), and plain f1_score(average="macro") whenever every class
    occurs among the labels or the predictions.
    """
    predicted = _class_indices(np.atleast_2d(np.asarray(predicted)), n_classes, "predicted")
    labels = _class_indices(np.asarray(labels), n_classes, "labels")
    n_models, n_items = predicted.shape
    if labels.shape != (n_items,):
        raise ValueError(f"labels must have shape ({n_items},), got {labels.shape}")
    classes = np.arange(n_classes)
    is_predicted = predicted[:, None, :] == classes[None, :, None]  # (M, K, n)
    is_label = labels[None, :] == classes[:, None]  # (K, n)
    is_true_positive = is_predicted & is_label[None]
    per_model_rows = n_models * n_classes
    rows = np.concatenate([is_true_positive.reshape(per_model_rows, n_items),
                           is_predicted.reshape(per_model_rows, n_items), is_label])

    def finish(sums, totals):
        counts = sums[:, : 2 * per_model_rows].reshape(-1, 2, n_models, n_classes)
        true_positives, predictions = counts[:, 0], counts[:, 1]
        support = sums[:, 2 * per_model_rows :][:, None, :]
        f1 = _ratio(2 * true_positives, predictions + support, empty=0.0)
        return f1.mean(axis=2)

    return Statistic(rows, finish)


def group_rate_statistic(
    values: np.ndarray, groups: np.ndarray, n_groups: int, item_of_row: np.ndarray | None = None
) -> Statistic:
    """(B, M, n_groups): per group, the weighted mean of M models' per-row values (M, n_rows),
    e.g. the rate of positive predictions. A group with no weight in a replicate has rate NaN
    (stratified designs prevent it); the gaps below skip it."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    groups = _class_indices(np.asarray(groups), n_groups, "groups")
    n_models, n_rows = values.shape
    if groups.shape != (n_rows,):
        raise ValueError(f"groups must have shape ({n_rows},), got {groups.shape}")
    in_group = groups[None, :] == np.arange(n_groups)[:, None]  # (G, n)
    rows = np.concatenate([(values[:, None, :] * in_group[None]).reshape(-1, n_rows), in_group])

    def finish(sums, totals):
        per_group = sums[:, : n_models * n_groups].reshape(-1, n_models, n_groups)
        return _ratio(per_group, sums[:, None, n_models * n_groups :], empty=np.nan)

    return Statistic(rows, finish, item_of_row)


def demographic_parity_difference_statistic(
    predicted_positive: np.ndarray, groups: np.ndarray, n_groups: int,
    item_of_row: np.ndarray | None = None,
) -> Statistic:
    """Largest minus smallest per-group rate of positive predictions (fairlearn's
    demographic_parity_difference), in each replicate."""
    rates = group_rate_statistic(predicted_positive, groups, n_groups, item_of_row)
    return Statistic(rates.rows, lambda sums, totals: _spread(rates.finish(sums, totals)),
                     item_of_row)


def equalized_odds_difference_statistic(
    predicted_positive: np.ndarray, label_positive: np.ndarray, groups: np.ndarray,
    n_groups: int, item_of_row: np.ndarray | None = None,
) -> Statistic:
    """The larger of the between-group spreads of the true-positive rate and of the
    false-positive rate (fairlearn's equalized_odds_difference), in each replicate: the rates
    are per-group rates of positive predictions among the positive and the negative items."""
    label_positive = np.asarray(label_positive).astype(bool)
    # Group (g, y) = 2 g + y: one statistic gives the rates among negatives and positives.
    cells = 2 * np.asarray(groups) + label_positive
    rates = group_rate_statistic(predicted_positive, cells, 2 * n_groups, item_of_row)

    def finish(sums, totals):
        by_label = rates.finish(sums, totals).reshape(len(sums), -1, n_groups, 2)
        return np.fmax(_spread(by_label[..., 0]), _spread(by_label[..., 1]))

    return Statistic(rates.rows, finish, item_of_row)


def reliability_score(
    components: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Weighted mean of the components (each (B, M), higher is better); default unweighted.

    When weights are given they must name exactly the components, be finite, non-negative and
    not all 0.
    """
    if not components:
        raise ValueError("the reliability score needs at least one component")
    values = check_score_weights(weights, components)
    shapes = {np.shape(component) for component in components.values()}
    if len(shapes) != 1:
        raise ValueError(f"components have different shapes: {sorted(shapes)}")
    # Relative to the largest weight: any finite weights then neither overflow (1e308 twice)
    # nor underflow (5e-324 alone) on the way to the mean.
    largest = max(values.values())
    values = {name: value / largest for name, value in values.items()}
    total = sum(values.values())
    # A fixed order of additions (the components' order), so equal columns give equal scores.
    weighted = (values[name] * np.asarray(part, dtype=np.float64) for name, part in components.items())
    return sum(weighted) / total


def check_score_weights(
    weights: Mapping[str, float] | None, components: Mapping[str, object]
) -> dict[str, float]:
    """The score weights as floats, every component DEFAULT_SCORE_WEIGHT when None; ValueError
    when unusable."""
    if weights is None:
        return dict.fromkeys(components, DEFAULT_SCORE_WEIGHT)
    if set(weights) != set(components):
        raise ValueError(
            f"score weights {sorted(weights)} must name exactly the components {sorted(components)}"
        )
    values = {name: float(weights[name]) for name in components}
    if any(not math.isfinite(value) or value < 0 for value in values.values()):
        raise ValueError(f"score weights must be finite and non-negative, got {values}")
    if sum(values.values()) == 0:
        raise ValueError("score weights must not all be 0")
    return values


def weighted_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(B, M) weighted mean over items of M models' per-item values (M, n)."""
    return _one(weights, mean_statistic(_per_model(values, weights, "values")))


def weighted_accuracy(weights: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """(B, M) accuracy of M models under B weight rows; correct is (M, n) of 0/1."""
    return _one(weights, accuracy_statistic(_per_model(correct, weights, "correct")))


def weighted_ece(weights, correct, confidence, bins: int = CALIBRATION_BINS) -> np.ndarray:
    """(B, M) expected calibration error; see ece_statistic."""
    correct = _per_model(correct, weights, "correct")
    return _one(weights, ece_statistic(correct, _per_model(confidence, weights, "confidence"), bins))


def weighted_macro_f1(weights, predicted, labels, n_classes: int) -> np.ndarray:
    """(B, M) macro-F1; see macro_f1_statistic."""
    predicted = _per_model(predicted, weights, "predicted")
    return _one(weights, macro_f1_statistic(predicted, labels, n_classes))


def _one(weights: np.ndarray, statistic: Statistic) -> np.ndarray:
    return evaluate(weights, {"statistic": statistic})["statistic"]


def _grouped_by_rows(statistics: Mapping[str, Statistic]) -> dict:
    """Statistic names grouped by the items their rows map to (bytes of item_of_row, or None)."""
    groups: dict = {}
    for name, statistic in statistics.items():
        key = None
        if statistic.item_of_row is not None:
            key = np.ascontiguousarray(statistic.item_of_row, dtype=np.intp).tobytes()
        groups.setdefault(key, []).append(name)
    return groups


def _distinct_nonzero_rows(blocks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For the blocks' rows one after the other: (index of each among the distinct non-zero
    rows, or -1 for a zero row; those distinct rows), without copying the rows into one array."""
    distinct: dict[bytes, int] = {}
    first_of_distinct: list[np.ndarray] = []
    distinct_of_row = []
    for block in blocks:
        for row in block:
            if not row.any():
                distinct_of_row.append(-1)
                continue
            index = distinct.setdefault(row.tobytes(), len(distinct))
            if index == len(first_of_distinct):
                first_of_distinct.append(row)
            distinct_of_row.append(index)
    width = blocks[0].shape[1] if blocks else 0
    rows = np.array(first_of_distinct) if first_of_distinct else np.zeros((0, width))
    return np.array(distinct_of_row, dtype=np.intp), rows


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float) -> np.ndarray:
    """numerator / denominator, `empty` where the denominator is 0."""
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    out = np.full(numerator.shape, empty, dtype=np.float64)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def _spread(rates: np.ndarray) -> np.ndarray:
    """Largest minus smallest rate over the last axis, skipping NaN (groups absent from a
    replicate); 0 when at most one group has a rate."""
    present = ~np.isnan(rates)
    high = np.where(present, rates, -np.inf).max(axis=-1)
    low = np.where(present, rates, np.inf).min(axis=-1)
    return np.where(present.sum(axis=-1) > 1, high - low, 0.0)


def _check_weights(weights: np.ndarray) -> np.ndarray:
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[1] < 1:
        raise ValueError(f"weights must be (B, n >= 1), got shape {weights.shape}")
    if np.any(weights < 0) or np.any(weights.sum(axis=1, dtype=np.float64) <= 0):
        raise ValueError("weights must be non-negative with a positive total in every row")
    return weights


def _per_model(values: np.ndarray, weights: np.ndarray, what: str) -> np.ndarray:
    """values as (M, n): a single model's (n,) array becomes (1, n)."""
    values = np.atleast_2d(np.asarray(values))
    n_items = np.shape(weights)[-1]
    if values.ndim != 2 or values.shape[1] != n_items:
        raise ValueError(f"{what} must be (M, {n_items}), got shape {values.shape}")
    return values


def _check_binary(values: np.ndarray, what: str) -> None:
    if not np.all((values == 0) | (values == 1)):
        raise ValueError(f"{what} must hold only 0 and 1")


def _class_indices(values: np.ndarray, n_classes: int, what: str) -> np.ndarray:
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, got {n_classes}")
    if values.size and not (
        np.issubdtype(values.dtype, np.integer) and values.min() >= 0 and values.max() < n_classes
    ):
        raise ValueError(f"{what} must be integer class indices in [0, {n_classes})")
    return values
