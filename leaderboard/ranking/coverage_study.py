"""Coverage study: do the engine's intervals contain the truth as often as they claim?

Data with a known truth is simulated many times; each dataset goes through the engine (the
same weights, statistics, intervals and rank rule the leaderboard uses), and we count how often
the 95% score interval holds the true score and the rank interval the true rank.

Each dataset: M = 5 models answer the same n items (paired) with true accuracies
p + STEPS * sqrt(p (1 - p) / n): spaced in standard errors of one accuracy, so the neighbours
are as hard to tell apart at n = 1,000 as at n = 100. Model m is right on item i when a latent Gaussian score falls below the p_m quantile, so its
accuracy is p_m exactly. The latent score adds a part shared by every model on the item (item
difficulty: pairing), a part shared by the items of a cluster (only in clustered cells: five
variants of one source item), and the model's own noise. Clustered cells resample clusters;
the "items resampled alone" column resamples their items one by one, to show what ignoring
the clusters costs.

The score is one component averaged over items (accuracy; robust accuracy and counterfactual
consistency take the same path, and so does a score made of such components only), with the
engine's interval for it: the percentile interval widened to Wilson's (intervals). Run: python -m leaderboard.ranking.coverage_study
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from leaderboard.ranking.intervals import CONFIDENCE_LEVEL, bounded_interval
from leaderboard.ranking.ranks import beats, rank_intervals, simultaneous_beats
from leaderboard.ranking.statistics import evaluate, mean_statistic
from leaderboard.ranking.weights import design_from_keys, independent_items, replicate_weights

STEPS = np.array([-4.0, -2.0, 0.0, 1.0, 2.0])  # true accuracies minus p, in standard errors
STUDIED_MODEL = 2  # the model whose true accuracy is p: the score-coverage column
CLUSTER_SIZE = 5
# Shares of the latent score's variance: (cluster, item, model's own noise).
INDEPENDENT_SHARES = (0.0, 0.6, 0.4)
CLUSTERED_SHARES = (0.4, 0.2, 0.4)
# Datasets simulated and resampled together: a fresh weight seed for each batch.
BATCH = 50


@dataclass(frozen=True)
class CellResult:
    n_items: int
    p: float
    clustered: bool
    datasets: int
    score_coverage: float  # the studied model's 95% interval holds p
    items_alone_coverage: float | None  # the same, resampling a clustered cell's items alone
    mean_width: float  # of the studied model's interval
    at_bound_share: float  # datasets where the studied model is right (or wrong) on every item
    at_bound_coverage: float | None  # coverage among those datasets alone
    rank_coverage_worst: float  # lowest over the models: the rank interval holds the true rank
    rank_coverage_all: float  # every model's rank interval holds its true rank
    simultaneous_coverage_all: float  # the same for the simultaneous (max-t) rank intervals
    seconds: float


def true_accuracies(n_items, p):
    return p + STEPS * np.sqrt(p * (1 - p) / n_items)


def simulate(rng, datasets, n_items, p, clustered):
    """(datasets, M, n) 0/1 answers with the true accuracies; and the cluster of each item."""
    clusters = np.arange(n_items) // CLUSTER_SIZE if clustered else np.arange(n_items)
    cluster_share, item_share, own_share = CLUSTERED_SHARES if clustered else INDEPENDENT_SHARES
    n_models = len(STEPS)
    latent = (
        np.sqrt(cluster_share) * rng.standard_normal((datasets, 1, clusters.max() + 1))[..., clusters]
        + np.sqrt(item_share) * rng.standard_normal((datasets, 1, n_items))
        + np.sqrt(own_share) * rng.standard_normal((datasets, n_models, n_items))
    )
    thresholds = norm.ppf(true_accuracies(n_items, p))[None, :, None]
    return (latent < thresholds).astype(np.int8), clusters


def accuracy_replicates(correct, design, replicates, seed):
    """(B, datasets * M) float32 accuracies under the design's weights, and the point (M,)."""
    rows = correct.reshape(-1, correct.shape[-1])
    statistic = {"accuracy": mean_statistic(rows)}
    weights = replicate_weights(design, replicates, seed=seed)
    replicated = evaluate(weights, statistic, precision=np.float32)["accuracy"].astype(np.float32)
    return replicated, rows.mean(axis=1)


def run_cell(n_items, p, clustered, datasets, replicates, seed) -> CellResult:
    started = time.perf_counter()
    rng = np.random.default_rng([seed, n_items, int(p * 1000), clustered])
    n_models = len(STEPS)
    truths = true_accuracies(n_items, p)
    true_rank = 1 + (truths[None, :] > truths[:, None]).sum(axis=1)
    alpha = (1 - CONFIDENCE_LEVEL) / 2
    covered, covered_alone, widths, at_bound = [], [], [], []
    rank_covered, simultaneous_covered = [], []
    for batch, start in enumerate(range(0, datasets, BATCH)):
        correct, clusters = simulate(rng, min(BATCH, datasets - start), n_items, p, clustered)
        design = design_from_keys(n_items, clusters=clusters)
        batch_seed = [seed, n_items, int(p * 1000), clustered, batch]
        replicated, point = accuracy_replicates(correct, design, replicates, batch_seed)
        studied = np.arange(len(correct)) * n_models + STUDIED_MODEL
        low, high = bounded_interval(replicated[:, studied], point[studied], design.n_clusters,
                                     proportion=True)
        covered += list((low <= p) & (p <= high))
        widths += list(high - low)
        at_bound += list((point[studied] == 0) | (point[studied] == 1))
        if clustered:
            alone, _ = accuracy_replicates(correct, independent_items(n_items), replicates,
                                           batch_seed)
            low, high = bounded_interval(alone[:, studied], point[studied], n_items,
                                         proportion=True)
            covered_alone += list((low <= p) & (p <= high))
        for dataset in range(len(correct)):
            columns = replicated[:, dataset * n_models : (dataset + 1) * n_models]
            rank_low, rank_high = rank_intervals(beats(columns, alpha))
            rank_covered.append((rank_low <= true_rank) & (true_rank <= rank_high))
            joint_low, joint_high = rank_intervals(simultaneous_beats(columns, CONFIDENCE_LEVEL))
            simultaneous_covered.append(((joint_low <= true_rank) & (true_rank <= joint_high)).all())
    rank_covered = np.array(rank_covered)
    covered, at_bound = np.array(covered), np.array(at_bound)
    return CellResult(
        n_items=n_items, p=p, clustered=clustered, datasets=datasets,
        score_coverage=float(np.mean(covered)),
        items_alone_coverage=float(np.mean(covered_alone)) if clustered else None,
        mean_width=float(np.mean(widths)),
        at_bound_share=float(at_bound.mean()),
        at_bound_coverage=float(covered[at_bound].mean()) if at_bound.any() else None,
        rank_coverage_worst=float(rank_covered.mean(axis=0).min()),
        rank_coverage_all=float(rank_covered.all(axis=1).mean()),
        simultaneous_coverage_all=float(np.mean(simultaneous_covered)),
        seconds=time.perf_counter() - started,
    )


def markdown_table(results):
    lines = [
        "| n | p | items | score interval covers p | items resampled alone | mean width "
        "| all items right (covered) "
        "| rank interval covers the true rank (worst model) | all 5 models at once "
        "| all 5, simultaneous (max-t) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        alone = "—" if r.items_alone_coverage is None else f"{100 * r.items_alone_coverage:.1f}%"
        bound = f"{100 * r.at_bound_share:.1f}%"
        if r.at_bound_coverage is not None:
            bound += f" ({100 * r.at_bound_coverage:.0f}%)"
        kind = f"clustered ({r.n_items // CLUSTER_SIZE} × {CLUSTER_SIZE})" if r.clustered else "independent"
        lines.append(
            f"| {r.n_items:,} | {r.p} | {kind} | {100 * r.score_coverage:.1f}% | {alone} "
            f"| {r.mean_width:.3f} | {bound} | {100 * r.rank_coverage_worst:.1f}% "
            f"| {100 * r.rank_coverage_all:.1f}% | {100 * r.simultaneous_coverage_all:.1f}% |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000, help="per cell (default 1000)")
    parser.add_argument("--replicates", type=int, default=2000, help="B (default 2000)")
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args(argv)
    results = []
    for n_items in (100, 1000):
        for p in (0.5, 0.95):
            for clustered in (False, True):
                result = run_cell(n_items, p, clustered, args.datasets, args.replicates, args.seed)
                print(f"n={n_items} p={p} clustered={clustered}: {result.seconds:.1f} s", flush=True)
                results.append(result)
    # A coverage estimated from D datasets has a standard error near sqrt(0.95 * 0.05 / D).
    standard_error = 100 * np.sqrt(CONFIDENCE_LEVEL * (1 - CONFIDENCE_LEVEL) / args.datasets)
    print(f"\n{args.datasets:,} datasets per cell, B = {args.replicates:,}, seed {args.seed}; "
          f"Monte-Carlo standard error of a coverage near 95%: {standard_error:.1f} points.\n")
    print(markdown_table(results))


if __name__ == "__main__":
    main()
