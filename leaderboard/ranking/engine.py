"""Rank the models evaluated on one benchmark version by their reliability score.

rank() is the whole path: per-item outcomes -> statistics (one product for every model and
replicate) -> the score inside each replicate -> intervals and rank intervals. score_models()
is its second half alone, from stored per-replicate components: re-weighting the score's
components recomputes intervals and ranks from them without touching the items.

Replicate matrices are float32 (see statistics), and the score is computed from the float32
components; ranks come from those exact values, so anyone holding the stored matrices gets the
same ranks to the last bit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmarks.metrics import CALIBRATION_BINS
from leaderboard.ranking.intervals import CONFIDENCE_LEVEL, bounded_interval, score_interval
from leaderboard.ranking.ranks import beats, rank_intervals, simultaneous_beats
from leaderboard.ranking.statistics import (
    Statistic,
    accuracy_statistic,
    check_score_weights,
    ece_statistic,
    evaluate_with_point,
    macro_f1_statistic,
    mean_statistic,
    reliability_score,
)
from leaderboard.ranking.weights import ResamplingDesign, independent_items, replicate_weights

METHOD = "paired percentile bootstrap widened to Wilson (design effect)"
MIN_REPLICATES = 2000
REPLICATE_DTYPE = np.float32


def describe_method(design: ResamplingDesign) -> str:
    """METHOD, plus how the items were resampled when not one by one."""
    how = []
    if design.n_clusters < design.n_items:
        how.append(f"{design.n_clusters} clusters")
    if design.n_strata > 1:
        how.append(f"stratified by {design.n_strata} groups")
    return METHOD + (f" ({', '.join(how)})" if how else "")


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
    """A point estimate with its 95% interval; all None for a failed model."""

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
    simultaneous_rank_low: int | None = None  # max-t: holds for all models at once
    simultaneous_rank_high: int | None = None


@dataclass(frozen=True)
class Scores:
    """The score of M models under one set of component weights, with its ranking."""

    weights: dict[str, float]
    point: np.ndarray  # (M,)
    replicates: np.ndarray  # (B, M) float32
    entries: list[dict]  # summarize(): leaderboard order


@dataclass(frozen=True)
class RankingResult:
    replicates: int  # B
    seed: int
    method: str
    n_items: int
    n_clusters: int
    confidence_level: float
    score_weights: dict[str, float]
    models: list[ModelRanking]  # leaderboard order; failed models last
    names: tuple[str, ...]  # the column order of the matrices below
    replicate_scores: np.ndarray  # (B, M) float32 reliability score; NaN for failed models
    component_replicates: dict[str, np.ndarray]  # name -> (B, M) float32
    component_points: dict[str, np.ndarray]  # name -> (M,) float64
    proportions: tuple[str, ...]  # the components that are means of per-item values in [0, 1]


def summarize(
    replicates: np.ndarray,
    point: np.ndarray,
    names: Sequence[str],
    confidence_level: float = CONFIDENCE_LEVEL,
    *,
    interval: tuple[np.ndarray, np.ndarray] | None = None,
    n_units: int | None = None,
) -> list[dict]:
    """Per model: point estimate, interval and rank interval, in leaderboard order.

    The interval is `interval` (low, high per column) when given, else the percentile interval
    of the replicates, with Wilson's where they all sit at 0 or 1 when n_units (the number of
    resampling units) is given. Rank intervals follow ranks.beats, and simultaneous ones ranks.simultaneous_beats.

    The order is by point estimate (highest first), then by name. A model whose point estimate
    or any replicate is not finite (a failed model) comes last, with no interval and no rank,
    and is not counted in N.

    Each dict: name, column (index in the inputs), point, low, high, rank_low, rank_high,
    tied_for_first, simultaneous_rank_low, simultaneous_rank_high; values of a failed model are
    None.
    """
    replicates = np.asarray(replicates)
    point = np.asarray(point, dtype=np.float64)
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
    if interval is None:
        low, high = bounded_interval(replicates[:, ranked], point[ranked], n_units, confidence_level)
    else:
        low, high = (np.asarray(end, dtype=np.float64)[ranked] for end in interval)
    rank_low, rank_high = rank_intervals(beats(replicates[:, ranked], alpha))
    joint_low, joint_high = rank_intervals(simultaneous_beats(replicates[:, ranked], confidence_level))

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
                "simultaneous_rank_low": int(joint_low[position]),
                "simultaneous_rank_high": int(joint_high[position]),
            }
        )
    entries.sort(key=lambda entry: (-entry["point"], entry["name"]))
    failed = sorted(set(range(n_models)) - set(ranked.tolist()), key=lambda column: names[column])
    for column in failed:
        entries.append(
            {
                "name": names[column],
                "column": column,
                **dict.fromkeys(["point", "low", "high", "rank_low", "rank_high",
                                 "simultaneous_rank_low", "simultaneous_rank_high"]),
                "tied_for_first": False,
            }
        )
    return entries


def score_models(
    component_points: Mapping[str, np.ndarray],
    component_replicates: Mapping[str, np.ndarray],
    names: Sequence[str],
    *,
    score_weights: Mapping[str, float] | None = None,
    n_units: int | None = None,
    proportions: Collection[str] = (),
    confidence_level: float = CONFIDENCE_LEVEL,
) -> Scores:
    """The reliability score inside each replicate, its intervals and ranks, from the
    components' point estimates (M,) and float32 replicates (B, M).

    proportions: the components that are means of per-item values in [0, 1]; their intervals,
    and the score's when every weighted component is one, may widen to Wilson's
    (intervals.bounded_interval). This is all that re-weighting needs: a B x M matrix per
    component, no items.
    """
    weights = check_score_weights(score_weights, component_replicates)
    replicates = reliability_score(component_replicates, weights).astype(REPLICATE_DTYPE)
    point = reliability_score({name: np.asarray(component_points[name])[None, :]
                               for name in component_replicates}, weights)[0]
    component_intervals = {
        name: bounded_interval(component_replicates[name], component_points[name], n_units,
                               confidence_level, proportion=name in proportions)
        for name in component_replicates
    }
    score_is_proportion = all(name in proportions for name, weight in weights.items() if weight)
    interval = score_interval(replicates, point, component_intervals, weights, n_units,
                              confidence_level, proportion=score_is_proportion)
    entries = summarize(replicates, point, names, confidence_level, interval=interval)
    return Scores(weights=weights, point=point, replicates=replicates, entries=entries)


def quality_statistics(
    correct: np.ndarray,
    confidence: np.ndarray,
    predicted: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    calibration_bins: int = CALIBRATION_BINS,
) -> tuple[dict[str, Statistic], dict[str, Statistic]]:
    """The quality suite's (score components, reported metrics) for M models (M, n)."""
    ece = ece_statistic(correct, confidence, calibration_bins)
    calibration = Statistic(ece.rows, lambda sums, totals: 1 - ece.finish(sums, totals))
    components = {"accuracy": accuracy_statistic(correct), "calibration": calibration}
    metrics = {"macro_f1": macro_f1_statistic(predicted, labels, n_classes), "ece": ece}
    return components, metrics


def rank(
    models: Sequence[ModelOutcomes],
    labels: np.ndarray,
    n_classes: int,
    *,
    seed: int,
    replicates: int = MIN_REPLICATES,
    design: ResamplingDesign | None = None,
    score_weights: Mapping[str, float] | None = None,
    failed: Sequence[str] = (),
    confidence_level: float = CONFIDENCE_LEVEL,
    calibration_bins: int = CALIBRATION_BINS,
    extra_components: Mapping[str, Statistic] | None = None,
    extra_metrics: Mapping[str, Statistic] | None = None,
) -> RankingResult:
    """Rank models scored on the same items by their reliability score.

    The score's components are accuracy, calibration (1 - ECE) and each of the models'
    item_scores; score_weights re-weights them (default: the unweighted mean). Macro-F1 and
    ECE are reported with intervals too; calibration_bins is the benchmark's ECE bin count.
    extra_components and extra_metrics add statistics of the models (in the order of `models`)
    that are not means over the items, e.g. fairness gaps of per-group sums
    (leaderboard.ranking.fairness); they are computed inside each replicate like the others.
    design says which items resample together and which groups must appear (default: every
    item on its own). Models named in failed have no outcomes: they are listed last with no
    score.
    """
    if replicates < MIN_REPLICATES:
        raise ValueError(f"use at least {MIN_REPLICATES} replicates, got {replicates}")
    labels = np.asarray(labels)
    n_items = labels.shape[0] if labels.ndim == 1 else -1
    if n_items < 1:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    design = design or independent_items(n_items)
    if design.n_items != n_items:
        raise ValueError(f"the design has {design.n_items} items, the labels {n_items}")
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
    predicted = per_model([model.predicted for model in models])
    mismatched = ((correct == 1) != (predicted == labels)).any(axis=1)
    if mismatched.any():
        bad = [model.name for model, wrong in zip(models, mismatched) if wrong]
        raise ValueError(f"correct disagrees with predicted == labels for {bad}")
    components, metrics = quality_statistics(
        correct, per_model([model.confidence for model in models]), predicted, labels,
        n_classes, calibration_bins,
    )
    for name in extra_names:
        values = per_model([model.item_scores[name] for model in models])
        if not np.all((values >= 0) & (values <= 1)):
            raise ValueError(f"item score {name!r} must be finite and within [0, 1]")
        components[name] = mean_statistic(values)
    for name, statistic in {**(extra_components or {}), **(extra_metrics or {})}.items():
        if name in components or name in metrics:
            raise ValueError(f"the statistic {name!r} is defined twice")
        (components if name in (extra_components or {}) else metrics)[name] = statistic

    statistics = {**components, **metrics}
    weights = replicate_weights(design, replicates, seed=seed)
    replicate_values, point_values = evaluate_with_point(weights, statistics, np.float32)

    def with_failed(values: np.ndarray, dtype) -> np.ndarray:
        """(rows, M) plus a NaN column per failed model."""
        padding = np.full((values.shape[0], len(failed)), np.nan)
        return np.hstack([values, padding]).astype(dtype)

    replicated = {name: with_failed(value, REPLICATE_DTYPE) for name, value in replicate_values.items()}
    points = {name: with_failed(value[None, :], np.float64)[0]
              for name, value in point_values.items()}
    component_replicates = {name: replicated[name] for name in components}
    component_points = {name: points[name] for name in components}
    proportions = tuple(name for name, statistic in components.items() if statistic.proportion)
    scores = score_models(component_points, component_replicates, names,
                          score_weights=score_weights, n_units=design.n_clusters,
                          proportions=proportions, confidence_level=confidence_level)

    def estimates(names_of: Mapping) -> dict[str, list[Estimate]]:
        """statistic -> one Estimate per column (failed columns: all None)."""
        result = {}
        for name in names_of:
            low, high = bounded_interval(replicated[name][:, : len(models)],
                                         points[name][: len(models)], design.n_clusters,
                                         confidence_level,
                                         proportion=statistics[name].proportion)
            result[name] = [
                Estimate(float(points[name][column]), float(low[column]), float(high[column]))
                for column in range(len(models))
            ] + [Estimate(None, None, None)] * len(failed)
        return result

    component_estimates = estimates(components)
    metric_estimates = estimates(metrics)
    rankings = [
        ModelRanking(
            name=entry["name"],
            score=Estimate(entry["point"], entry["low"], entry["high"]),
            components={name: each[entry["column"]] for name, each in component_estimates.items()},
            metrics={name: each[entry["column"]] for name, each in metric_estimates.items()},
            rank_low=entry["rank_low"],
            rank_high=entry["rank_high"],
            tied_for_first=entry["tied_for_first"],
            simultaneous_rank_low=entry["simultaneous_rank_low"],
            simultaneous_rank_high=entry["simultaneous_rank_high"],
        )
        for entry in scores.entries
    ]
    return RankingResult(
        replicates=replicates,
        seed=seed,
        method=describe_method(design),
        n_items=n_items,
        n_clusters=design.n_clusters,
        confidence_level=confidence_level,
        score_weights=scores.weights,
        models=rankings,
        names=names,
        replicate_scores=scores.replicates,
        component_replicates=component_replicates,
        component_points=component_points,
        proportions=proportions,
    )
