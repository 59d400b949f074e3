"""Two entries of one leaderboard side by side: the paired difference of each component and of
the score, from the snapshot's stored replicate matrices.

Every model of a snapshot was scored on the same bootstrap replicates, so replicate b of entry
A and replicate b of entry B come from the same resample of the items: their difference keeps
the items' shared difficulty out, and its spread is that of the comparison itself, narrower
than the two intervals side by side suggest. Pure numpy: the archive is the dict
leaderboard.snapshots.load_replicates returns.
"""

import numpy as np

from leaderboard.ranking import reliability_score


def difference(replicates_a, replicates_b, point_a, point_b, confidence_level):
    """{value, low, high, a_better, b_better} for A - B: the point difference, the percentile
    interval of the replicate differences, and the share of replicates in which each is ahead."""
    delta = np.asarray(replicates_a, dtype=np.float64) - np.asarray(replicates_b, dtype=np.float64)
    alpha = (1 - confidence_level) / 2
    low, high = np.quantile(delta, [alpha, 1 - alpha])
    return {
        "value": float(point_a - point_b),
        "low": float(low),
        "high": float(high),
        "a_better": float(np.mean(delta > 0)),
        "b_better": float(np.mean(delta < 0)),
    }


def verdict(diff):
    """"a", "b" or "tie": which one the interval of A - B puts ahead (it excludes 0), if any."""
    if diff["low"] > 0:
        return "a"
    if diff["high"] < 0:
        return "b"
    return "tie"


def compare(archive, column_a, column_b, score_weights, confidence_level):
    """The paired comparison of columns A and B of a replicate archive.

    score_weights: component -> weight, the score to compare (the reader's re-weighting or
    the default). The score is recomputed inside each replicate from the components both
    entries have (an entry still running its suites may lack some), with those weights.

    Returns {components: {name: difference}, score: difference, score_components: [names],
    verdict: "a" | "b" | "tie", confidence_level}.
    """
    names = [str(name) for name in archive["component_names"]]
    shared = [name for name in names
              if np.isfinite(archive[f"point_{name}"][[column_a, column_b]]).all()]
    components = {
        name: difference(archive[f"component_{name}"][:, column_a],
                         archive[f"component_{name}"][:, column_b],
                         archive[f"point_{name}"][column_a], archive[f"point_{name}"][column_b],
                         confidence_level)
        for name in shared
    }
    weights = {name: float(score_weights.get(name, 0.0)) for name in shared}
    if not shared or sum(weights.values()) == 0:
        raise ValueError("these two entries share no score component with a weight above 0")

    def score_of(column):
        replicates = reliability_score(
            {name: archive[f"component_{name}"][:, [column]] for name in shared}, weights)[:, 0]
        point = reliability_score(
            {name: archive[f"point_{name}"][None, [column]] for name in shared}, weights)[0, 0]
        return replicates, point

    (replicates_a, point_a), (replicates_b, point_b) = score_of(column_a), score_of(column_b)
    score = difference(replicates_a, replicates_b, point_a, point_b, confidence_level)
    return {
        "components": components,
        "score": score,
        "score_components": shared,
        "score_weights": weights,
        "verdict": verdict(score),
        "confidence_level": confidence_level,
        "replicates": int(archive["replicates"]),
    }
