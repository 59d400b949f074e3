"""How fast is the ranking engine, and how much faster than the obvious ways?

M models x N items x B replicates (default 100 x 10,000 x 2,000), binary labels, the quality
suite's score (accuracy and calibration) plus macro-F1 and ECE, as a real leaderboard computes.
Prints the time of each stage of the engine, its end-to-end time (rank()), its peak memory,
and the ratio against:
(a) scipy.stats.bootstrap per model (the score interval) plus scipy.stats.bootstrap per pair of
    models (the paired difference, for the rank rule): timed on a few models and pairs and
    scaled to M models and M (M - 1) / 2 pairs, as the full run takes hours;
(b) a straightforward numpy loop over replicates that draws item indices and computes every
    model's metrics on the drawn items, then the rank rule with np.quantile.

Run: python -m leaderboard.ranking.bench [--models 100 --items 10000 --replicates 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np
from scipy import stats

from benchmarks.metrics import CALIBRATION_BINS, calibration_bin
from leaderboard.ranking import ModelOutcomes, rank
from leaderboard.ranking.engine import REPLICATE_DTYPE, quality_statistics
from leaderboard.ranking.intervals import bounded_interval
from leaderboard.ranking.ranks import beats, rank_intervals, simultaneous_beats
from leaderboard.ranking.statistics import evaluate_with_point, reliability_score
from leaderboard.ranking.weights import independent_items, replicate_weights

ALPHA = 0.025
REPEATS = 3  # the engine's timings are the best of this many runs (the first pays page faults)


def simulate(n_models, n_items, seed=0):
    """Binary classifiers of accuracy 0.70 .. 0.90 with confidences in [0.5, 1] that track how
    hard an item is: labels (n,), correct, confidence, predicted (M, n)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n_items)
    difficulty = rng.standard_normal(n_items)  # shared by every model: the comparisons are paired
    skill = np.linspace(0.5, 1.3, n_models)[:, None]
    latent = skill - 0.8 * difficulty + 0.6 * rng.standard_normal((n_models, n_items))
    correct = (latent > 0).astype(np.int8)
    confidence = 0.5 + 0.5 / (1 + np.exp(-np.abs(latent) - 0.3 * rng.standard_normal(latent.shape)))
    predicted = np.where(correct == 1, labels, 1 - labels)
    return labels, correct, confidence, predicted


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def engine_stages(labels, correct, confidence, predicted, replicates, seed):
    """The engine's stages one by one: seconds per stage."""
    n_models, n_items = correct.shape
    seconds = {}
    weights, seconds["weights"] = timed(replicate_weights, independent_items(n_items),
                                        replicates, seed=seed)
    started = time.perf_counter()
    components, metrics = quality_statistics(correct, confidence, predicted, labels, 2)
    replicated, points = evaluate_with_point(weights, {**components, **metrics}, np.float32)
    seconds["products"] = time.perf_counter() - started
    started = time.perf_counter()
    score = reliability_score({name: replicated[name] for name in components})
    score = score.astype(REPLICATE_DTYPE)
    for name, values in {**replicated, "score": score}.items():
        point = points.get(name, np.zeros(n_models))
        bounded_interval(values, point, n_items, proportion=name == "accuracy")
    seconds["score and intervals (quantiles)"] = time.perf_counter() - started
    _, seconds["ranks (pairwise rule)"] = timed(lambda: rank_intervals(beats(score, ALPHA)))
    _, seconds["ranks (simultaneous, max-t)"] = timed(
        lambda: rank_intervals(simultaneous_beats(score, 0.95)))
    return seconds


def best_of(repeats, measure):
    """The fastest of `repeats` runs: {stage: seconds} taken stage by stage."""
    runs = [measure() for _ in range(repeats)]
    return {stage: min(run[stage] for run in runs) for stage in runs[0]}


def engine_end_to_end(labels, correct, confidence, predicted, replicates, seed):
    """(seconds, peak bytes of numpy memory) of rank(), best of REPEATS."""
    models = [ModelOutcomes(f"model {m}", correct[m], confidence[m], predicted[m])
              for m in range(len(correct))]
    seconds = min(timed(rank, models, labels, 2, seed=seed, replicates=replicates)[1]
                  for _ in range(REPEATS))
    tracemalloc.start()  # apart from the timing: tracing slows allocations down
    rank(models, labels, 2, seed=seed, replicates=replicates)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak


def batched_score(correct, confidence, axis=-1):
    """The reliability score (accuracy + 1 - ECE) / 2 of resampled (..., n) arrays, as fast as
    numpy allows: the per-bin gaps of all rows with one bincount."""
    rows = correct.reshape(-1, correct.shape[-1])
    gaps = (rows - confidence.reshape(rows.shape)).ravel()
    bins = (calibration_bin(confidence.reshape(rows.shape))
            + CALIBRATION_BINS * np.arange(len(rows))[:, None]).ravel()
    per_bin = np.bincount(bins, weights=gaps, minlength=len(rows) * CALIBRATION_BINS)
    ece = np.abs(per_bin.reshape(len(rows), CALIBRATION_BINS)).sum(axis=1) / rows.shape[1]
    score = (rows.mean(axis=1) + 1 - ece) / 2
    return score.reshape(correct.shape[:-1])


def paired_difference(correct_i, confidence_i, correct_j, confidence_j, axis=-1):
    return batched_score(correct_j, confidence_j) - batched_score(correct_i, confidence_i)


def scipy_per_model_and_pair(correct, confidence, replicates, sample_models, sample_pairs):
    """Seconds for one model's interval and one pair's comparison with scipy.stats.bootstrap."""
    options = dict(paired=True, vectorized=True, n_resamples=replicates, batch=100,
                   method="percentile", rng=np.random.default_rng(0))
    correct = correct.astype(np.float64)
    started = time.perf_counter()
    for m in range(sample_models):
        stats.bootstrap((correct[m], confidence[m]), batched_score, **options)
    per_model = (time.perf_counter() - started) / sample_models
    started = time.perf_counter()
    for i in range(sample_pairs):
        # The lower end of the 95% interval of theta_j - theta_i is the rank rule's 2.5% quantile.
        stats.bootstrap((correct[i], confidence[i], correct[i + 1], confidence[i + 1]),
                        paired_difference, **options)
    per_pair = (time.perf_counter() - started) / sample_pairs
    return per_model, per_pair


def numpy_loop(labels, correct, confidence, predicted, replicates, seed):
    """(B, M) scores from a loop over replicates that draws item indices; seconds."""
    rng = np.random.default_rng(seed)
    n_models, n_items = correct.shape
    started = time.perf_counter()
    scores = np.empty((replicates, n_models))
    for b in range(replicates):
        drawn = rng.integers(0, n_items, n_items)
        scores[b] = batched_score(correct[:, drawn].astype(np.float64), confidence[:, drawn])
        drawn_labels, drawn_predicted = labels[drawn], predicted[:, drawn]
        for label in (0, 1):  # macro-F1, reported beside the score as the engine reports it
            true_positives = ((drawn_predicted == label) & (drawn_labels == label)).sum(axis=1)
            _ = 2 * true_positives / ((drawn_predicted == label).sum(axis=1)
                                      + (drawn_labels == label).sum())
    return scores, time.perf_counter() - started


def quantile_rank_rule(scores):
    """Intervals and the rank rule with np.quantile over every pair, a block of models at a
    time; seconds."""
    started = time.perf_counter()
    np.quantile(scores, [ALPHA, 1 - ALPHA], axis=0)
    n_models = scores.shape[1]
    beaten = np.zeros((n_models, n_models), dtype=bool)
    for i in range(0, n_models, 10):
        differences = scores[:, None, :] - scores[:, i : i + 10, None]
        beaten[i : i + 10] = np.quantile(differences, ALPHA, axis=0) > 0
    rank_intervals(beaten)
    return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scipy-models", type=int, default=3,
                        help="models timed with scipy, then scaled (default 3)")
    parser.add_argument("--scipy-pairs", type=int, default=3,
                        help="pairs timed with scipy, then scaled (default 3)")
    parser.add_argument("--loop-replicates", type=int, default=None,
                        help="replicates timed in the numpy loop, then scaled (default: all)")
    args = parser.parse_args(argv)
    n_models, n_items, replicates = args.models, args.items, args.replicates
    data = simulate(n_models, n_items)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"M = {n_models} models x N = {n_items:,} items x B = {replicates:,} replicates, "
          f"{cores} cores, numpy {np.__version__}")

    rank(*[[ModelOutcomes("warm-up", data[1][0][:100], data[2][0][:100], data[3][0][:100])],
           data[0][:100], 2], seed=0)  # imports and BLAS threads, outside the timings
    stages = best_of(REPEATS, lambda: engine_stages(*data, replicates, args.seed))
    engine_seconds, peak = engine_end_to_end(*data, replicates, args.seed)
    print(f"\nEngine stages (s, best of {REPEATS}):")
    for stage, seconds in stages.items():
        print(f"  {stage:<32} {seconds:7.3f}")
    print(f"  {'end to end (rank())':<32} {engine_seconds:7.3f}")
    print(f"  peak memory during rank(): {peak / 2**20:,.0f} MiB traced by numpy; "
          f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB")

    per_model, per_pair = scipy_per_model_and_pair(data[1], data[2], replicates,
                                                   args.scipy_models, args.scipy_pairs)
    pairs = n_models * (n_models - 1) // 2
    scipy_seconds = n_models * per_model + pairs * per_pair
    print(f"\n(a) scipy.stats.bootstrap: {per_model:.2f} s per model, {per_pair:.2f} s per pair "
          f"(timed on {args.scipy_models} models and {args.scipy_pairs} pairs); "
          f"{n_models} models + {pairs:,} pairs = {scipy_seconds:,.0f} s "
          f"({scipy_seconds / 3600:.1f} h)")
    print(f"    engine is {scipy_seconds / engine_seconds:,.0f}x faster")

    loop_replicates = args.loop_replicates or replicates
    scores, loop_seconds = numpy_loop(*data, loop_replicates, args.seed)
    loop_seconds *= replicates / loop_replicates
    full_scores = np.resize(scores, (replicates, n_models))  # the rank rule's cost needs B rows
    rule_seconds = quantile_rank_rule(full_scores)
    numpy_seconds = loop_seconds + rule_seconds
    scaled = "" if loop_replicates == replicates else f", timed on {loop_replicates} and scaled"
    print(f"(b) numpy index-resampling loop: {loop_seconds:.1f} s for the replicates{scaled}, "
          f"{rule_seconds:.1f} s for quantiles and the rank rule = {numpy_seconds:.1f} s")
    print(f"    engine is {numpy_seconds / engine_seconds:,.1f}x faster")


if __name__ == "__main__":
    main()
