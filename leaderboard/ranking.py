"""Paired bootstrap ranking of the models evaluated on one benchmark version.

Every statistic is a function of weighted sums over items, where a replicate's weights are the
multinomial counts of a resample of the items. With the weights as a (B, n) matrix and the
per-item outcomes of all models as an (M, n) matrix, one matrix product gives the sums for every
replicate and every model at once; the point estimate is the same computation with all weights
equal to one, so it is exactly the plain metric.

All models of a benchmark version share the same weights (paired), so the replicates of two
models can be subtracted to compare them. Pure numpy: no Django here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmarks.metrics import CALIBRATION_BINS, calibration_bin

METHOD = "paired percentile bootstrap"
MIN_REPLICATES = 2000
CONFIDENCE_LEVEL = 0.95

# Bounds the float64 temporaries (chunks of weight rows, blocks of pairwise comparisons) to
# about 32 MB whatever the number of items, replicates or models.
_CHUNK_ELEMENTS = 1 << 22


def bootstrap_weights(n_items: int, replicates: int = MIN_REPLICATES, *, seed: int) -> np.ndarray:
    """(replicates, n_items) int32 multinomial counts; every row sums to n_items.

    Row b counts how often each item was drawn when n_items items were drawn with replacement.
    The same seed gives the same weights, which every model of the benchmark version shares.
    """
    if n_items < 1:
        raise ValueError(f"need at least one item to resample, got n_items={n_items}")
    if replicates < 1:
        raise ValueError(f"need at least one replicate, got replicates={replicates}")
    rng = np.random.default_rng(seed)
    weights = np.empty((replicates, n_items), dtype=np.int32)
    # One row at a time: the draw never holds more than one resample in memory, and counting a
    # row with bincount is much faster than rng.multinomial with n_items categories.
    for row in weights:
        row[:] = np.bincount(rng.integers(0, n_items, size=n_items), minlength=n_items)
    return weights


def weighted_mean(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(B, M) weighted mean over items of M models' per-item values (M, n)."""
    weights = _check_weights(weights)
    values = _per_model(values, weights.shape[1], "values")
    return _weighted_sums(weights, values) / _totals(weights)


def weighted_accuracy(weights: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """(B, M) accuracy of M models under B weight rows; correct is (M, n) of 0/1."""
    _check_binary(np.asarray(correct), "correct")
    return weighted_mean(weights, correct)


def weighted_ece(
    weights: np.ndarray,
    correct: np.ndarray,
    confidence: np.ndarray,
    bins: int = CALIBRATION_BINS,
) -> np.ndarray:
    """(B, M) expected calibration error with equal-width confidence bins.

    ECE = sum over bins of |sum_{i in bin} w_i (correct_i - confidence_i)| / sum_i w_i.
    Items are binned by benchmarks.metrics.calibration_bin, as the quality suite bins them:
    bin k holds [k / bins, (k + 1) / bins), the last also holds exactly 1.
    """
    weights = _check_weights(weights)
    n_items = weights.shape[1]
    correct = _per_model(correct, n_items, "correct")
    confidence = _per_model(confidence, n_items, "confidence")
    _check_binary(correct, "correct")
    if correct.shape != confidence.shape:
        raise ValueError(f"correct {correct.shape} and confidence {confidence.shape} differ")
    if not np.all((confidence >= 0) & (confidence <= 1)):
        raise ValueError("confidence must be finite and within [0, 1]")
    n_models = correct.shape[0]
    bin_of_item = calibration_bin(confidence, bins)
    # Row (model, bin) holds the item's gap where the item falls in that bin and 0 elsewhere,
    # so one product gives every per-bin sum of every model.
    gap_per_bin = np.zeros((n_models, bins, n_items))
    gap = correct - confidence
    gap_per_bin[np.arange(n_models)[:, None], bin_of_item, np.arange(n_items)] = gap
    gap_per_bin = gap_per_bin.reshape(n_models * bins, n_items)
    # Most models leave most bins empty (confident models sit in the top bins); an all-zero row
    # sums to 0 in every replicate, so only the others go through the product.
    nonzero = np.flatnonzero(gap_per_bin.any(axis=1))
    bin_sums = _weighted_sums(weights, gap_per_bin[nonzero])
    model_of_row = np.zeros((len(nonzero), n_models))
    model_of_row[np.arange(len(nonzero)), nonzero // bins] = 1
    return (np.abs(bin_sums) @ model_of_row) / _totals(weights)


def weighted_macro_f1(
    weights: np.ndarray,
    predicted: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
) -> np.ndarray:
    """(B, M) macro-F1 from per-class weighted true-positive, prediction and support counts.

    Per class, F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (predicted + support), and the mean runs
    over all n_classes classes, as the quality suite's macro-F1 does (benchmarks.metrics). A
    class with no (weighted) support and no predictions has F1 = 0, scikit-learn's
    zero_division=0: this equals f1_score(labels, predicted, labels=range(n_classes),
    average="macro", zero_division=0), and plain f1_score(average="macro") whenever every class
    occurs among the labels or the predictions.
    """
    weights = _check_weights(weights)
    n_items = weights.shape[1]
    predicted = _class_indices(_per_model(predicted, n_items, "predicted"), n_classes, "predicted")
    labels = _class_indices(np.asarray(labels), n_classes, "labels")
    if labels.shape != (n_items,):
        raise ValueError(f"labels must have shape ({n_items},), got {labels.shape}")
    n_models = predicted.shape[0]
    classes = np.arange(n_classes)
    is_predicted = predicted[:, None, :] == classes[None, :, None]  # (M, K, n)
    is_label = labels[None, :] == classes[:, None]  # (K, n)
    is_true_positive = is_predicted & is_label[None]
    sums = _weighted_sums(
        weights,
        np.concatenate(
            [
                is_true_positive.reshape(n_models * n_classes, n_items),
                is_predicted.reshape(n_models * n_classes, n_items),
                is_label,
            ]
        ),
    )
    counts = sums[:, : 2 * n_models * n_classes].reshape(-1, 2, n_models, n_classes)
    true_positives, predictions = counts[:, 0], counts[:, 1]
    support = sums[:, 2 * n_models * n_classes :][:, None, :]
    denominator = predictions + support
    f1 = np.divide(
        2 * true_positives, denominator, out=np.zeros_like(denominator), where=denominator > 0
    )
    return f1.mean(axis=2)


def reliability_score(
    components: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Weighted mean of the components (each (B, M), higher is better); default unweighted.

    When weights are given they must name exactly the components, be non-negative and not all 0.
    """
    if not components:
        raise ValueError("the reliability score needs at least one component")
    if weights is None:
        weights = dict.fromkeys(components, 1.0)
    if set(weights) != set(components):
        raise ValueError(
            f"score weights {sorted(weights)} must name exactly the components {sorted(components)}"
        )
    values = {name: float(value) for name, value in weights.items()}
    if any(not math.isfinite(value) or value < 0 for value in values.values()):
        raise ValueError(f"score weights must be finite and non-negative, got {values}")
    total = sum(values.values())
    if total == 0:
        raise ValueError("score weights must not all be 0")
    shapes = {np.shape(component) for component in components.values()}
    if len(shapes) != 1:
        raise ValueError(f"components have different shapes: {sorted(shapes)}")
    weighted = (values[name] * np.asarray(part, dtype=float) for name, part in components.items())
    return sum(weighted) / total


def summarize(
    replicates: np.ndarray,
    point: np.ndarray,
    names: Sequence[str],
    confidence_level: float = CONFIDENCE_LEVEL,
) -> list[dict]:
    """Per model: point estimate, percentile interval and rank interval, in leaderboard order.

    With alpha = (1 - confidence_level) / 2, a model's interval is [alpha, 1 - alpha] quantiles
    of its replicates. Model j beats model i when the alpha quantile of theta_j - theta_i over the
    replicates is above 0; i's rank interval is [1 + #models that beat i, N - #models i beats]
    and it is tied for first when that interval includes 1.

    The order is by point estimate (highest first), then by name. A model whose point estimate
    or any replicate is not finite (a failed model) comes last, with no interval and no rank,
    and is not counted in N.

    Each dict: name, column (index in the inputs), point, low, high, rank_low, rank_high,
    tied_for_first; values of a failed model are None.
    """
    replicates = np.asarray(replicates, dtype=float)
    point = np.asarray(point, dtype=float)
    names = list(names)
    if replicates.ndim != 2 or replicates.shape[0] < 1:
        raise ValueError(f"replicates must be (B >= 1, M), got shape {replicates.shape}")
    n_models = replicates.shape[1]
    if point.shape != (n_models,) or len(names) != n_models:
        raise ValueError(
            f"{n_models} replicate columns, {point.shape} point estimates, {len(names)} names"
        )
    if len(set(names)) != n_models:
        raise ValueError("model names must be unique")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    alpha = (1 - confidence_level) / 2

    ranked = np.flatnonzero(np.isfinite(point) & np.isfinite(replicates).all(axis=0))
    low, high = _percentile_interval(replicates[:, ranked], alpha)
    beats = _beats(replicates[:, ranked], alpha)
    rank_low = 1 + beats.sum(axis=1)
    rank_high = len(ranked) - beats.sum(axis=0)

    entries = []
    for position, column in enumerate(ranked):
        entries.append(
            {
                "name": names[column],
                "column": int(column),
                "point": float(point[column]),
                "low": float(low[position]),
                "high": float(high[position]),
                "rank_low": int(rank_low[position]),
                "rank_high": int(rank_high[position]),
                "tied_for_first": bool(rank_low[position] == 1),
            }
        )
    entries.sort(key=lambda entry: (-entry["point"], entry["name"]))
    failed = sorted(set(range(n_models)) - set(ranked.tolist()), key=lambda column: names[column])
    for column in failed:
        entries.append(
            {
                "name": names[column],
                "column": column,
                "point": None,
                "low": None,
                "high": None,
                "rank_low": None,
                "rank_high": None,
                "tied_for_first": False,
            }
        )
    return entries


@dataclass(frozen=True)
class ModelOutcomes:
    """One model's per-item outcomes on the benchmark version's items, in the items' order.

    correct: 1 where the predicted label is the item's label, else 0.
    confidence: the probability the model gave its predicted label.
    predicted: the predicted class index in the benchmark's label order.
    item_scores: further per-item score components in [0, 1], higher is better, e.g.
        {"robust_accuracy": robust} with robust 1 where the item survived every attack; each is
        averaged over the items like accuracy. Every model must give the same names.
    """

    name: str
    correct: np.ndarray
    confidence: np.ndarray
    predicted: np.ndarray
    item_scores: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its percentile interval; all None for a failed model."""

    point: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class ModelRanking:
    name: str
    score: Estimate
    components: dict[str, Estimate]  # what the score averages: accuracy, calibration, ...
    metrics: dict[str, Estimate]  # reported but not in the score: macro_f1, ece
    rank_low: int | None
    rank_high: int | None
    tied_for_first: bool


@dataclass(frozen=True)
class RankingResult:
    replicates: int  # B
    seed: int
    method: str
    n_items: int
    confidence_level: float
    score_weights: dict[str, float]
    models: list[ModelRanking]  # leaderboard order; failed models last
    names: tuple[str, ...]  # the column order of replicate_scores
    replicate_scores: np.ndarray  # (B, M) reliability score per replicate; NaN for failed models


def rank(
    models: Sequence[ModelOutcomes],
    labels: np.ndarray,
    n_classes: int,
    *,
    seed: int,
    replicates: int = MIN_REPLICATES,
    score_weights: Mapping[str, float] | None = None,
    failed: Sequence[str] = (),
    confidence_level: float = CONFIDENCE_LEVEL,
    calibration_bins: int = CALIBRATION_BINS,
) -> RankingResult:
    """Rank models scored on the same items by their reliability score.

    The score's components are accuracy, calibration (1 - ECE) and each of the models'
    item_scores; score_weights re-weights them (default: the unweighted mean). Macro-F1 and
    ECE are reported with intervals too; calibration_bins is the benchmark's ECE bin count.
    Models named in failed have no outcomes: they are listed last with no score.
    """
    if replicates < MIN_REPLICATES:
        raise ValueError(f"use at least {MIN_REPLICATES} replicates, got {replicates}")
    labels = np.asarray(labels)
    n_items = labels.shape[0] if labels.ndim == 1 else -1
    if n_items < 1:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    names = tuple(model.name for model in models) + tuple(failed)
    if len(set(names)) != len(names):
        raise ValueError("model names must be unique")
    extra_names = sorted(models[0].item_scores) if models else []
    for model in models:
        if sorted(model.item_scores) != extra_names:
            raise ValueError(
                f"{model.name} has item scores {sorted(model.item_scores)}, "
                f"the first model has {extra_names}"
            )

    def per_model(values: list) -> np.ndarray:
        """The models' (n,) arrays as one (M, n) array."""
        if not values:
            return np.empty((0, n_items), dtype=np.intp)
        stacked = np.stack([np.asarray(value) for value in values])
        if stacked.shape[1:] != (n_items,):
            raise ValueError(f"per-item arrays must have {n_items} items, got {stacked.shape[1:]}")
        return stacked

    correct = per_model([model.correct for model in models])
    confidence = per_model([model.confidence for model in models])
    predicted = per_model([model.predicted for model in models])
    mismatched = ((correct == 1) != (predicted == labels)).any(axis=1)
    if mismatched.any():
        bad = [model.name for model, wrong in zip(models, mismatched) if wrong]
        raise ValueError(f"correct disagrees with predicted == labels for {bad}")
    item_scores = {
        name: per_model([model.item_scores[name] for model in models]) for name in extra_names
    }
    for name, values in item_scores.items():
        if not np.all((values >= 0) & (values <= 1)):
            raise ValueError(f"item score {name!r} must be finite and within [0, 1]")

    def measure(weights: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        ece = weighted_ece(weights, correct, confidence, calibration_bins)
        components = {"accuracy": weighted_accuracy(weights, correct), "calibration": 1 - ece}
        for name, values in item_scores.items():
            components[name] = weighted_mean(weights, values)
        metrics = {"macro_f1": weighted_macro_f1(weights, predicted, labels, n_classes), "ece": ece}
        return components, metrics

    weights = bootstrap_weights(n_items, replicates, seed=seed)
    replicate_components, replicate_metrics = measure(weights)
    point_components, point_metrics = measure(np.ones((1, n_items), dtype=np.int32))
    if score_weights is None:
        score_weights = dict.fromkeys(replicate_components, 1.0)
    score_weights = {name: float(value) for name, value in score_weights.items()}

    def with_failed_columns(values: np.ndarray) -> np.ndarray:
        return np.hstack([values, np.full((values.shape[0], len(failed)), np.nan)])

    replicate_scores = with_failed_columns(reliability_score(replicate_components, score_weights))
    point_scores = with_failed_columns(reliability_score(point_components, score_weights))[0]
    summary = summarize(replicate_scores, point_scores, names, confidence_level)

    alpha = (1 - confidence_level) / 2

    def estimates(replicate: dict[str, np.ndarray], point: dict[str, np.ndarray]) -> dict:
        """name -> one Estimate per column of the score matrix (failed columns: all None)."""
        result = {}
        for name, values in replicate.items():
            low, high = _percentile_interval(values, alpha)
            result[name] = [
                Estimate(float(point[name][0, column]), float(low[column]), float(high[column]))
                for column in range(len(models))
            ] + [Estimate(None, None, None)] * len(failed)
        return result

    components = estimates(replicate_components, point_components).items()
    metrics = estimates(replicate_metrics, point_metrics).items()
    rankings = [
        ModelRanking(
            name=entry["name"],
            score=Estimate(entry["point"], entry["low"], entry["high"]),
            components={name: per_column[entry["column"]] for name, per_column in components},
            metrics={name: per_column[entry["column"]] for name, per_column in metrics},
            rank_low=entry["rank_low"],
            rank_high=entry["rank_high"],
            tied_for_first=entry["tied_for_first"],
        )
        for entry in summary
    ]
    return RankingResult(
        replicates=replicates,
        seed=seed,
        method=METHOD,
        n_items=n_items,
        confidence_level=confidence_level,
        score_weights=score_weights,
        models=rankings,
        names=names,
        replicate_scores=replicate_scores,
    )


def _percentile_interval(replicates: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The alpha and 1 - alpha quantiles of each column (linear interpolation, as numpy)."""
    if replicates.shape[1] == 0:
        return np.empty(0), np.empty(0)
    low, high = np.quantile(replicates, [alpha, 1 - alpha], axis=0)
    return low, high


def _beats(replicates: np.ndarray, alpha: float) -> np.ndarray:
    """(N, N) bool: [i, j] is True when the alpha quantile of theta_j - theta_i is above 0.

    Sorting B differences for each of N^2 pairs is the slow part, and almost always needless:
    with k = floor(alpha (B - 1)), the interpolated quantile lies between the k-th and (k+1)-th
    smallest difference, so it is above 0 when at most k differences are <= 0 and not above 0
    when at least k + 2 are. Only pairs with exactly k + 1 need the quantile itself.
    """
    n_replicates, n_models = replicates.shape
    by_model = np.ascontiguousarray(replicates.T)  # (N, B): one model's replicates per row
    k = math.floor(alpha * (n_replicates - 1))
    beats = np.zeros((n_models, n_models), dtype=bool)
    rows = max(1, _CHUNK_ELEMENTS // max(n_models * n_replicates, 1))
    for start in range(0, n_models, rows):
        block = by_model[start : start + rows]
        # For finite floats, theta_j - theta_i <= 0 exactly when theta_j <= theta_i.
        not_above = (by_model[None, :, :] <= block[:, None, :]).sum(axis=2)
        beats[start : start + rows] = not_above <= k
        for i, j in np.argwhere(not_above == k + 1):
            beats[start + i, j] = np.quantile(by_model[j] - block[i], alpha) > 0
    return beats


def _weighted_sums(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(B, C) = weights (B, n) @ values (C, n).T in float64, a chunk of weight rows at a time."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.empty((weights.shape[0], values.shape[0]))
    rows = max(1, _CHUNK_ELEMENTS // max(weights.shape[1], 1))
    for start in range(0, weights.shape[0], rows):
        sums[start : start + rows] = weights[start : start + rows].astype(np.float64) @ values.T
    return sums


def _totals(weights: np.ndarray) -> np.ndarray:
    """(B, 1) total weight of each row, to divide (B, M) sums by."""
    return weights.sum(axis=1, dtype=np.float64)[:, None]


def _check_weights(weights: np.ndarray) -> np.ndarray:
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[1] < 1:
        raise ValueError(f"weights must be (B, n >= 1), got shape {weights.shape}")
    if np.any(weights < 0) or np.any(_totals(weights) <= 0):
        raise ValueError("weights must be non-negative with a positive total in every row")
    return weights


def _per_model(values: np.ndarray, n_items: int, what: str) -> np.ndarray:
    """values as (M, n): a single model's (n,) array becomes (1, n)."""
    values = np.atleast_2d(np.asarray(values))
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
