"""The fairness suite's stored rows as statistics for the ranking engine.

Every evaluation of a version ran the fairness suite on the same rows (the same variants of the
same items, or the same records), so their predictions stack into one (models, rows) array and
the gaps are computed for all models in every bootstrap replicate at once.
"""

import numpy as np

from leaderboard.ranking.fairness import counterfactual_statistics, sensitive_attribute_statistics

SUITE = "fairness"


def suite_result(evaluation, suite):
    return next((result for result in evaluation.suites.all() if result.suite == suite), None)


def same_rows(per_items, keys, suite=SUITE):
    """The rows' descriptive columns (e.g. source, group), which every evaluation must share."""
    first = {key: per_items[0][key] for key in keys}
    if any(per_item[key] != first[key] for per_item in per_items[1:] for key in keys):
        raise ValueError(f"the {suite} suite's rows differ between evaluations of this version; "
                         "a suite that changed its rows must be a new benchmark version")
    return first


def indices(values):
    """Each value's index among the distinct values in order of first appearance."""
    index_of = {}
    return np.array([index_of.setdefault(value, len(index_of)) for value in values],
                    dtype=np.intp), list(index_of)


def fairness_statistics(version, evaluations, labels):
    """rank()'s extra_components and extra_metrics for the evaluations' fairness outcomes, or {}
    when the version has no fairness suite or one of the evaluations has not finished it yet.

    labels: the gold label index of each evaluation item, in order.
    """
    config = version.suites.get(SUITE)
    results = [suite_result(evaluation, SUITE) for evaluation in evaluations]
    if config is None or not results or any(result is None for result in results):
        return {}
    per_items = [result.per_item for result in results]
    predicted = np.array([per_item["predicted"] for per_item in per_items], dtype=np.int64)
    if config.get("method", "counterfactual") == "counterfactual":
        rows = same_rows(per_items, ["source", "category", "group"])
        cell_of_row, cells = indices(zip(rows["category"], rows["group"]))
        category_of_cell, _ = indices(category for category, _ in cells)
        components, metrics = counterfactual_statistics(
            predicted, np.asarray(rows["source"]), cell_of_row, category_of_cell,
            len(version.labels),
        )
    else:
        attributes = list(config["sensitive_attributes"])
        rows = same_rows(per_items, [f"group_{attribute}" for attribute in attributes])
        positive = version.labels.index(config["positive_label"])
        components, metrics = sensitive_attribute_statistics(
            (predicted == positive).astype(np.int8), np.asarray(labels) == positive,
            {attribute: indices(rows[f"group_{attribute}"])[0] for attribute in attributes},
        )
    return {"extra_components": components, "extra_metrics": metrics}
