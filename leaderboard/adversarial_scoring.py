"""The adversarial suite's stored rows as statistics for the ranking engine.

Every evaluation of a version attacked the same sample of items, so their per-item outcomes
stack into (models, sampled items) arrays scored in every bootstrap replicate at once.
"""

import numpy as np

from leaderboard.fairness_scoring import same_rows, suite_result
from leaderboard.ranking.adversarial import adversarial_statistics as statistics_of

SUITE = "adversarial"


def adversarial_statistics(version, evaluations):
    """rank()'s extra_components and extra_metrics for the evaluations' adversarial outcomes, or
    {} when the version has no adversarial suite or one of the evaluations has not finished it."""
    results = [suite_result(evaluation, SUITE) for evaluation in evaluations]
    if SUITE not in version.suites or not results or any(result is None for result in results):
        return {}
    per_items = [result.per_item for result in results]
    rows = same_rows(per_items, ["item"], SUITE)
    components, metrics = statistics_of(
        np.array([per_item["robust"] for per_item in per_items], dtype=np.int8),
        np.array([per_item["correct"] for per_item in per_items], dtype=np.int8),
        np.asarray(rows["item"]),
    )
    return {"extra_components": components, "extra_metrics": metrics}
