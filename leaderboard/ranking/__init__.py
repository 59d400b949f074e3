"""The bootstrap ranking engine: paired, clustered and stratified, from weighted sums.

- weights: which items resample together (clusters) and which groups must appear (strata), and
  the replicate weights every model of a benchmark version shares;
- statistics: every statistic as a function of weighted sums, so one matrix product gives all
  models under all replicates;
- intervals: percentile intervals, with Wilson's where a statistic sits at 0 or 1;
- ranks: rank intervals from paired differences, pairwise or simultaneous (max-t);
- engine: rank() end to end, and score_models() to re-weight from stored replicates.

Pure numpy and scipy: no Django here. `python -m leaderboard.ranking.coverage_study` and
`python -m leaderboard.ranking.bench` measure its coverage and its speed.
"""

from leaderboard.ranking.engine import (
    METHOD,
    MIN_REPLICATES,
    REPLICATE_DTYPE,
    Estimate,
    ModelOutcomes,
    ModelRanking,
    RankingResult,
    Scores,
    describe_method,
    quality_statistics,
    rank,
    score_models,
    summarize,
)
from leaderboard.ranking.intervals import (
    CONFIDENCE_LEVEL,
    bounded_interval,
    percentile_interval,
    wilson_interval,
)
from leaderboard.ranking.ranks import beats, rank_intervals, simultaneous_beats
from leaderboard.ranking.statistics import (
    DEFAULT_SCORE_WEIGHT,
    RELIABILITY_SCORE_VERSION,
    Statistic,
    evaluate,
    evaluate_with_point,
    reliability_score,
    weighted_accuracy,
    weighted_ece,
    weighted_macro_f1,
    weighted_mean,
)
from leaderboard.ranking.weights import (
    ResamplingDesign,
    bootstrap_weights,
    cluster_counts,
    design_from_keys,
    design_from_row_units,
    independent_items,
    replicate_weights,
)

__all__ = [
    "CONFIDENCE_LEVEL", "DEFAULT_SCORE_WEIGHT", "METHOD", "MIN_REPLICATES",
    "RELIABILITY_SCORE_VERSION", "REPLICATE_DTYPE", "Estimate",
    "ModelOutcomes", "ModelRanking", "RankingResult", "ResamplingDesign", "Scores", "Statistic",
    "beats", "bootstrap_weights", "bounded_interval", "cluster_counts", "describe_method",
    "design_from_keys", "design_from_row_units", "evaluate", "evaluate_with_point", "independent_items", "percentile_interval",
    "quality_statistics", "rank", "rank_intervals", "reliability_score", "replicate_weights",
    "score_models", "simultaneous_beats", "summarize", "weighted_accuracy", "weighted_ece",
    "weighted_macro_f1", "weighted_mean", "wilson_interval",
]
